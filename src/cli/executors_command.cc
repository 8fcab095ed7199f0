#include "cli/executors_command.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/status.h"
#include "server/server_config.h"
#include "store/mysql/mysql_store.h"

namespace azx::cli {
namespace {

std::once_flag curlInit;

size_t collectBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// Configuration and database opened as `serve` does (database.type must be mysql).
Result<std::unique_ptr<store::MysqlStore>> openStore(const std::filesystem::path& confDir) {
  auto loaded = server::loadServerConfig(confDir, server::processEnvironment());
  if (!loaded) return loaded.error();
  const auto& props = *loaded->config.props;
  auto type = props.getOr("database.type", "");
  if (type != "mysql") return Error{"database.type must be 'mysql' (found '" + type + "')"};
  auto mysql = store::mysqlConfigFromProps(props);
  if (!mysql) return mysql.error();
  // An operator tool should report an unreachable database, not wait on it for minutes.
  mysql->retry.maxAttempts = 3;
  mysql->retry.maxBackoffMillis = 2000;
  mysql->numConnections = 1;
  auto opened = store::MysqlStore::open(
      *mysql, [](const std::string& message) { spdlog::warn("database: {}", message); });
  if (!opened) return opened.error();
  return std::move(*opened);
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

std::string describeRow(const store::ExecutorRow& row) {
  return "executor " + std::to_string(row.id) + " " + row.host + ":" + std::to_string(row.port) +
         " (active=" + (row.active ? "1" : "0") + ")";
}

int64_t nowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

PingOutcome pingExecutor(const std::string& host, int port, int timeoutMs) {
  std::call_once(curlInit, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return {false, "curl_easy_init failed"};
  CURL* h = curl.get();
  const std::string url = "http://" + host + ":" + std::to_string(port) + "/executor";
  // The web's parameter list for ping: action, execid=null, user without a value.
  const std::string body = "action=ping&execid=null&user";
  std::string reply;
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeoutMs));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeoutMs));
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");  // executors are reached directly, as by the web
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collectBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
  CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) return {false, curl_easy_strerror(rc)};
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 300) return {false, "HTTP " + std::to_string(status)};
  auto json = nlohmann::json::parse(reply, nullptr, false);
  if (json.is_object() && json.value("status", nlohmann::json()) == "alive") {
    return {true, "alive"};
  }
  return {false, "unexpected reply " + reply.substr(0, 200)};
}

int executorsList(const ExecutorsListOptions& options, std::ostream& out) {
  auto store = openStore(options.confDir);
  if (!store) {
    spdlog::error("{}", store.error().message);
    return 2;
  }
  auto rows = (*store)->listExecutors();
  if (!rows) {
    spdlog::error("{}", rows.error().message);
    return 2;
  }
  auto probed = probe(*rows, options.timeoutMs);
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
  auto store = openStore(options.confDir);
  if (!store) {
    spdlog::error("{}", store.error().message);
    return 2;
  }
  auto rows = (*store)->listExecutors();
  if (!rows) {
    spdlog::error("{}", rows.error().message);
    return 2;
  }
  int pruned = 0;
  for (const auto& p : probe(*rows, options.timeoutMs)) {
    const auto& row = p.row;
    if (p.ping.alive) {
      out << describeRow(row) << ": alive, left alone\n";
      continue;
    }
    out << describeRow(row) << ": no answer (" << p.ping.detail << "), pruning\n";
    // Inactive first, so that a web reloading executors meanwhile no longer picks it.
    if (row.active) {
      if (auto off = (*store)->updateExecutor(row.id, row.host, row.port, false); !off) {
        out << "  warning: could not set active=0: " << off.error().message << "\n";
      } else {
        out << "  set active=0\n";
      }
    }
    auto unfinished = (*store)->fetchUnfinishedExecutions(row.id);
    if (!unfinished) {
      spdlog::error("{}", unfinished.error().message);
      return 1;
    }
    for (const auto& execution : *unfinished) {
      auto done = (*store)->finalizeOrphanedExecution(execution.execId, nowMillis());
      if (done) {
        out << "  execution " << execution.execId << " ("
            << toString(statusFromCode(execution.status)) << ") finalised as FAILED\n";
      } else {
        // The web finalises it itself once the row is gone (azkaban-wire 3.5).
        out << "  warning: execution " << execution.execId
            << " not finalised: " << done.error().message << "\n";
      }
    }
    if (auto deleted = (*store)->deleteExecutorById(row.id); !deleted) {
      spdlog::error("{}", deleted.error().message);
      return 1;
    }
    out << "  row deleted\n";
    ++pruned;
  }
  out << "pruned " << pruned << " of " << rows->size() << " executor rows" << std::endl;
  return 0;
}

}  // namespace azx::cli
