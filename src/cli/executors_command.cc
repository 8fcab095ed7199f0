#include "cli/executors_command.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "aws/http/http_client.h"
#include "cli/serve.h"
#include "core/clock.h"
#include "core/status.h"
#include "server/server_config.h"
#include "store/mysql/mysql_store.h"

namespace azx::cli {
namespace {

// The database as `serve` opens it; an operator tool should report an unreachable database,
// not wait on it for minutes.
Result<std::shared_ptr<store::MysqlStore>> openStore(const std::filesystem::path& confDir) {
  auto loaded = server::loadServerConfig(confDir, server::processEnvironment());
  if (!loaded) return loaded.error();
  return openConfiguredMysql(*loaded->config.props, [](store::MysqlConfig& mysql) {
    mysql.retry.maxAttempts = 3;
    mysql.retry.maxBackoffMillis = 2000;
    mysql.numConnections = 1;
  });
}

struct ProbedExecutor {
  store::ExecutorRow row;
  PingOutcome ping;
};

// Pings every row at once, so a list of dead hosts costs one timeout, not one per row.
std::vector<ProbedExecutor> probe(const std::vector<store::ExecutorRow>& rows, int timeoutMs) {
  std::vector<std::future<PingOutcome>> pings;
  for (const auto& row : rows) {
    pings.push_back(std::async(std::launch::async, pingExecutor, row.host, row.port, timeoutMs));
  }
  std::vector<ProbedExecutor> out;
  for (size_t i = 0; i < rows.size(); ++i) out.push_back({rows[i], pings[i].get()});
  return out;
}

struct ProbedTable {
  std::shared_ptr<store::MysqlStore> store;
  std::vector<ProbedExecutor> executors;
};

// What list and prune both start from: every row of `executors`, each pinged.
Result<ProbedTable> openAndProbe(const std::filesystem::path& confDir, int timeoutMs) {
  auto store = openStore(confDir);
  if (!store) return store.error();
  auto rows = (*store)->listExecutors();
  if (!rows) return rows.error();
  return ProbedTable{*store, probe(*rows, timeoutMs)};
}

std::string describeRow(const store::ExecutorRow& row) {
  return "executor " + std::to_string(row.id) + " " + row.host + ":" + std::to_string(row.port) +
         " (active=" + (row.active ? "1" : "0") + ")";
}

}  // namespace

PingOutcome pingExecutor(const std::string& host, int port, int timeoutMs) {
  aws::HttpRequest request;
  request.method = "POST";
  request.url = "http://" + host + ":" + std::to_string(port) + "/executor";
  // The web's parameter list for ping: action, execid=null, user without a value.
  request.body = "action=ping&execid=null&user";
  request.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
  request.timeout = request.connectTimeout = std::chrono::milliseconds(timeoutMs);
  request.direct = true;  // executors are reached without proxies, as by the web
  auto response = aws::CurlHttpClient().send(request);
  if (!response) return {false, response.error().message};
  if (response->status >= 300) return {false, "HTTP " + std::to_string(response->status)};
  auto json = nlohmann::json::parse(response->body, nullptr, false);
  if (json.is_object() && json.value("status", nlohmann::json()) == "alive") {
    return {true, "alive"};
  }
  return {false, "unexpected reply " + response->body.substr(0, 200)};
}

int executorsList(const ExecutorsListOptions& options, std::ostream& out) {
  auto table = openAndProbe(options.confDir, options.timeoutMs);
  if (!table) {
    spdlog::error("{}", table.error().message);
    return 2;
  }
  const auto& probed = table->executors;
  if (options.output == "json") {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& p : probed) {
      list.push_back({{"id", p.row.id},
                      {"host", p.row.host},
                      {"port", p.row.port},
                      {"active", p.row.active},
                      {"alive", p.ping.alive},
                      {"ping", p.ping.detail}});
    }
    out << list.dump(2) << std::endl;
    return 0;
  }
  out << "ID\tHOST\tPORT\tACTIVE\tPING\n";
  for (const auto& p : probed) {
    out << p.row.id << '\t' << p.row.host << '\t' << p.row.port << '\t'
        << (p.row.active ? "yes" : "no") << '\t'
        << (p.ping.alive ? std::string("alive") : "dead (" + p.ping.detail + ")") << '\n';
  }
  out.flush();
  return 0;
}

int executorsPrune(const ExecutorsPruneOptions& options, std::ostream& out) {
  auto table = openAndProbe(options.confDir, options.timeoutMs);
  if (!table) {
    spdlog::error("{}", table.error().message);
    return 2;
  }
  store::MysqlStore* store = table->store.get();
  int pruned = 0;
  for (const auto& p : table->executors) {
    const auto& row = p.row;
    if (p.ping.alive) {
      out << describeRow(row) << ": alive, left alone\n";
      continue;
    }
    out << describeRow(row) << ": no answer (" << p.ping.detail << "), pruning\n";
    // Inactive first, so that a web reloading executors meanwhile no longer picks it.
    if (row.active) {
      if (auto off = store->updateExecutor(row.id, row.host, row.port, false); !off) {
        out << "  warning: could not set active=0: " << off.error().message << "\n";
      } else {
        out << "  set active=0\n";
      }
    }
    auto unfinished = store->fetchUnfinishedExecutions(row.id);
    if (!unfinished) {
      spdlog::error("{}", unfinished.error().message);
      return 1;
    }
    for (const auto& execution : *unfinished) {
      auto done = store->finalizeOrphanedExecution(execution.execId, SystemClock().nowMillis());
      if (done) {
        out << "  execution " << execution.execId << " ("
            << toString(statusFromCode(execution.status)) << ") finalised as FAILED\n";
      } else {
        // The web finalises it itself once the row is gone (azkaban-wire 3.5).
        out << "  warning: execution " << execution.execId
            << " not finalised: " << done.error().message << "\n";
      }
    }
    if (auto deleted = store->deleteExecutorById(row.id); !deleted) {
      spdlog::error("{}", deleted.error().message);
      return 1;
    }
    out << "  row deleted\n";
    ++pruned;
  }
  out << "pruned " << pruned << " of " << table->executors.size() << " executor rows" << std::endl;
  return 0;
}

}  // namespace azx::cli
