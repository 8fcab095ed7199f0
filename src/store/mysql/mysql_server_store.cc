// The ServerStore half of MysqlStore: the executor's own `executors` row (E1-E4), releasing
// and claiming executions (F3, F4), project downloads (P1-P5), and the operator statements of
// `executors list/prune` (azkaban-wire 2.3.5, 2.4, 3, 4.4, 6.2).

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/gzip.h"
#include "flow/flow_data.h"
#include "store/log_chunks.h"
#include "store/mysql/mysql_connection.h"
#include "store/mysql/mysql_store.h"

namespace azx::store {
namespace {

using Param = MysqlStore::Param;
using Row = MysqlStore::Row;
using Cell = MysqlStore::Cell;

// Java's JdbcProjectImpl fetches project_files in windows of this many chunks (P2).
constexpr int kChunkWindow = 5;
// Lock conflicts between concurrent claimers are retried this often before giving up.
constexpr int kClaimLockRetries = 5;

// Integer value of a cell that may come back as text (aggregates such as MAX()).
std::optional<int64_t> cellInteger(const Cell& cell) {
  if (cell.isNull) return std::nullopt;
  if (cell.bytes.empty()) return cell.integer;
  try {
    return std::stoll(cell.bytes);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

ExecutorRow toExecutorRow(const Row& r) {
  ExecutorRow e;
  e.id = static_cast<int>(r[0].integer);
  e.host = r[1].bytes;
  e.port = static_cast<int>(r[2].integer);
  e.active = !r[3].isNull && r[3].integer != 0;
  return e;
}

// Blob of a column with an encoding_type/enc_type companion (azkaban-wire 4.2): 2 is gzip,
// anything else plain.
Result<std::string> decodeBlob(const Cell& encoding, const Cell& blob) {
  if (blob.isNull) return std::string();
  if (encoding.optInt().value_or(0) == kEncodingGzip) return gzipDecompress(blob.bytes);
  return blob.bytes;
}

// Web notion of "finished" (azkaban-wire 4.2): only these end an execution for the web.
bool webFinished(Status status) {
  return status == Status::Succeeded || status == Status::Failed || status == Status::Killed;
}

}  // namespace

// ---- executors (E1-E4 and operator tooling) ----

Result<std::optional<ExecutorRow>> MysqlStore::fetchExecutor(const std::string& host, int port) {
  auto rows = query("E1 select executors",
                    "SELECT id, host, port, active FROM executors WHERE host=? AND port=?",
                    {Param::text(host), Param::i(port)});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<ExecutorRow>{};
  return std::optional<ExecutorRow>(toExecutorRow(rows->front()));
}

Result<void> MysqlStore::insertExecutor(const std::string& host, int port) {
  // A duplicate on a retry means the first try's reply was lost after it committed.
  return withRetry("E2 insert executors", true, [&](Connection& c) -> Result<void> {
    auto r = c.execute("INSERT INTO executors (host, port) VALUES (?, ?)",
                       {Param::text(host), Param::i(port)}, nullptr);
    if (!r) return r.error();
    return okResult();
  });
}

Result<void> MysqlStore::updateExecutor(int id, const std::string& host, int port, bool active) {
  uint64_t matched = 0;
  auto ok = withRetry("E3 update executors", false, [&](Connection& c) -> Result<void> {
    auto r = c.execute("UPDATE executors SET host=?, port=?, active=? WHERE id=?",
                       {Param::text(host), Param::i(port), Param::i(active ? 1 : 0), Param::i(id)},
                       nullptr);
    if (!r) return r.error();
    matched = *r;
    return okResult();
  });
  if (!ok) return ok;
  // Java's ExecutorDao fails the same way when no row has the id.
  if (matched == 0) return Error{"mysql E3: no executor with id " + std::to_string(id)};
  return okResult();
}

Result<int> MysqlStore::deleteExecutor(const std::string& host, int port) {
  uint64_t deleted = 0;
  auto ok = withRetry("E4 delete executors", false, [&](Connection& c) -> Result<void> {
    auto r = c.execute("DELETE FROM executors WHERE host=? AND port=?",
                       {Param::text(host), Param::i(port)}, nullptr);
    if (!r) return r.error();
    deleted = *r;
    return okResult();
  });
  if (!ok) return ok.error();
  return static_cast<int>(deleted);
}

Result<std::vector<ExecutorRow>> MysqlStore::listExecutors() {
  auto rows =
      query("list executors", "SELECT id, host, port, active FROM executors ORDER BY id", {});
  if (!rows) return rows.error();
  std::vector<ExecutorRow> out;
  for (const auto& r : *rows) out.push_back(toExecutorRow(r));
  return out;
}

Result<void> MysqlStore::deleteExecutorById(int id) {
  return withRetry("delete executors by id", false, [&](Connection& c) -> Result<void> {
    auto r = c.execute("DELETE FROM executors WHERE id=?", {Param::i(id)}, nullptr);
    if (!r) return r.error();
    return okResult();
  });
}

Result<std::vector<UnfinishedExecution>> MysqlStore::fetchUnfinishedExecutions(int executorId) {
  auto rows = query("select unfinished execution_flows",
                    "SELECT exec_id, status, executor_id FROM execution_flows WHERE status NOT IN "
                    "(50, 60, 70) AND executor_id=? ORDER BY exec_id",
                    {Param::i(executorId)});
  if (!rows) return rows.error();
  std::vector<UnfinishedExecution> out;
  for (const auto& r : *rows) {
    UnfinishedExecution u;
    u.execId = static_cast<int>(r[0].integer);
    u.status = r[1].optInt().value_or(0);
    u.executorId = r[2].optInt();
    out.push_back(u);
  }
  return out;
}

// ---- F3 / F4 ----

Result<void> MysqlStore::unassignExecutor(int execId, int64_t nowMillis) {
  // Java runs F3 as a one-statement transaction; kept so for identical lock behaviour.
  return withRetry("F3 unassign execution_flows", false, [&](Connection& c) -> Result<void> {
    if (auto a = c.setAutocommit(false); !a) return a;
    auto r = c.execute("UPDATE execution_flows SET executor_id=NULL, update_time=? WHERE exec_id=?",
                       {Param::i(nowMillis), Param::i(execId)}, nullptr);
    if (!r) {
      c.rollbackQuietly();
      return r.error();
    }
    if (auto committed = c.commit(); !committed) {
      c.rollbackQuietly();
      return committed;
    }
    return c.setAutocommit(true);
  });
}

Result<std::optional<int>> MysqlStore::claimQueuedExecution(int executorId, bool active,
                                                            int64_t nowMillis) {
  // azkaban-wire 2.4 step 4; an inactive executor takes only executions pinned to it.
  const std::string select =
      std::string(
          "SELECT exec_id FROM execution_flows WHERE status = 20 AND executor_id IS NULL AND "
          "flow_data IS NOT NULL AND ") +
      (active ? "(use_executor IS NULL OR use_executor = ?)" : "use_executor = ?") +
      " ORDER BY flow_priority DESC, update_time ASC, exec_id ASC LIMIT 1 FOR UPDATE";
  std::optional<int> claimed;
  bool commitInDoubt = false;
  bool lockConflict = false;
  auto attempt = [&](Connection& c) -> Result<void> {
    claimed.reset();
    lockConflict = false;
    if (commitInDoubt) {
      // The previous try lost the connection during COMMIT: if that commit did happen, the row
      // carries our id and this very timestamp and is still queued; take it instead of
      // claiming a second one and leaving this one stranded.
      std::vector<Row> rows;
      auto r = c.execute(
          "SELECT exec_id FROM execution_flows WHERE executor_id=? AND update_time=? AND "
          "status = 20 ORDER BY exec_id LIMIT 1",
          {Param::i(executorId), Param::i(nowMillis)}, &rows);
      if (!r) return r.error();
      commitInDoubt = false;
      if (!rows.empty()) {
        claimed = static_cast<int>(rows.front()[0].integer);
        return okResult();
      }
    }
    if (auto a = c.setAutocommit(false); !a) return a;
    auto fail = [&](const Error& e) -> Result<void> {
      lockConflict = c.lastErrno() == ER_LOCK_DEADLOCK || c.lastErrno() == ER_LOCK_WAIT_TIMEOUT;
      c.rollbackQuietly();
      return e;
    };
    std::vector<Row> rows;
    auto selected = c.execute(select, {Param::i(executorId)}, &rows);
    if (!selected) return fail(selected.error());
    std::optional<int> candidate;
    if (!rows.empty()) {
      candidate = static_cast<int>(rows.front()[0].integer);
      auto updated =
          c.execute("UPDATE execution_flows SET executor_id=?, update_time=? WHERE exec_id=?",
                    {Param::i(executorId), Param::i(nowMillis), Param::i(*candidate)}, nullptr);
      if (!updated) return fail(updated.error());
    }
    commitInDoubt = candidate.has_value();
    if (auto committed = c.commit(); !committed) {
      commitInDoubt = commitInDoubt && mysql_detail::isConnectionError(c.lastErrno());
      return fail(committed.error());
    }
    commitInDoubt = false;
    claimed = candidate;
    // The claim is committed; a connection that cannot restore autocommit is just dropped.
    if (auto a = c.setAutocommit(true); !a) c.close();
    return okResult();
  };
  for (int tries = 1;; ++tries) {
    // Connection loss is retried inside withRetry (the whole transaction again).
    auto ok = withRetry("F4 claim execution_flows", false, attempt);
    if (ok) return claimed;
    if (!lockConflict || tries >= kClaimLockRetries) return ok.error();
    log_("F4 claim: lock conflict with another claimer, trying again");
  }
}

// ---- project versions (P1-P5) ----

Result<std::optional<ProjectVersionRow>> MysqlStore::fetchProjectVersion(int projectId,
                                                                         int version) {
  auto rows = query("P1 select project_versions",
                    "SELECT project_id, version, upload_time, uploader, file_type, file_name, md5, "
                    "num_chunks, resource_id, startup_dependencies FROM project_versions WHERE "
                    "project_id=? AND version=?",
                    {Param::i(projectId), Param::i(version)});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<ProjectVersionRow>{};
  const Row& r = rows->front();
  ProjectVersionRow v;
  v.projectId = static_cast<int>(r[0].integer);
  v.version = static_cast<int>(r[1].integer);
  v.uploadTime = r[2].integer;
  v.uploader = r[3].bytes;
  v.fileType = r[4].bytes;
  v.fileName = r[5].bytes;
  v.md5 = r[6].bytes;
  v.numChunks = r[7].optInt().value_or(0);
  v.resourceId = r[8].optBytes();
  v.startupDependencies = r[9].optBytes();
  return std::optional<ProjectVersionRow>(std::move(v));
}

Result<void> MysqlStore::fetchProjectFile(const ProjectVersionRow& version,
                                          const std::filesystem::path& target) {
  const std::string name =
      std::to_string(version.projectId) + "." + std::to_string(version.version);
  if (version.numChunks <= 0) return Error{"project " + name + " has no file chunks"};
  std::ofstream out(target, std::ios::binary | std::ios::trunc);
  if (!out) return Error{"cannot write \"" + target.string() + "\""};
  int expected = 0;
  // Java's loop: windows [0,5), [5,10), ... while the window start <= num_chunks. Each window
  // is its own read, so only one window is held in memory.
  for (int from = 0; from <= version.numChunks; from += kChunkWindow) {
    auto rows = query("P2 select project_files",
                      "SELECT project_id, version, chunk, size, file FROM project_files WHERE "
                      "project_id=? AND version=? AND chunk >= ? AND chunk < ? ORDER BY chunk ASC",
                      {Param::i(version.projectId), Param::i(version.version), Param::i(from),
                       Param::i(from + kChunkWindow)});
    if (!rows) return rows.error();
    for (const auto& r : *rows) {
      const int chunk = static_cast<int>(r[2].integer);
      // A gap would silently corrupt the archive; say which chunk is missing.
      if (chunk != expected) {
        return Error{"project " + name + ": chunk " + std::to_string(expected) + " is missing"};
      }
      out.write(r[4].bytes.data(), static_cast<std::streamsize>(r[4].bytes.size()));
      if (!out) return Error{"cannot write \"" + target.string() + "\""};
      ++expected;
    }
  }
  if (expected != version.numChunks) {
    return Error{"project " + name + ": found " + std::to_string(expected) + " of " +
                 std::to_string(version.numChunks) + " chunks"};
  }
  out.close();
  if (!out) return Error{"cannot write \"" + target.string() + "\""};
  return okResult();
}

Result<std::optional<std::map<std::string, std::string>>> MysqlStore::fetchJobOverride(
    int projectId, int version, const std::string& jobId) {
  using Override = std::optional<std::map<std::string, std::string>>;
  const std::string propertyName = jobId + ".jor";
  auto rows = query("P3 select project_properties",
                    "SELECT project_id, version, name, modified_time, encoding_type, property "
                    "FROM project_properties WHERE project_id=? AND version=? AND name=?",
                    {Param::i(projectId), Param::i(version), Param::text(propertyName)});
  if (!rows) return rows.error();
  if (rows->empty()) return Override{};
  const Row& r = rows->front();
  const std::string where = "project_properties \"" + propertyName + "\"";
  auto text = decodeBlob(r[4], r[5]);
  if (!text) return text.error().withContext(where);
  nlohmann::json document = nlohmann::json::parse(*text, nullptr, false);
  if (document.is_discarded() || !document.is_object()) {
    return Error{where + ": property is not a JSON object"};
  }
  std::map<std::string, std::string> props;
  for (const auto& [key, value] : document.items()) {
    if (value.is_string()) {
      props[key] = value.get<std::string>();
    } else if (value.is_number() || value.is_boolean()) {
      props[key] = value.dump();  // the web writes strings; tolerate scalars from other tools
    } else {
      return Error{where + ": value of \"" + key + "\" is not a string"};
    }
  }
  return Override(std::move(props));
}

Result<std::optional<std::string>> MysqlStore::fetchFlowFile(int projectId, int version,
                                                             const std::string& flowFileName) {
  auto newest = query("P4 select project_flow_files version",
                      "SELECT MAX(flow_version) FROM project_flow_files WHERE project_id=? AND "
                      "project_version=? AND flow_name=?",
                      {Param::i(projectId), Param::i(version), Param::text(flowFileName)});
  if (!newest) return newest.error();
  // NULL (no rows) counts as 0, which no stored version has.
  int64_t flowVersion = 0;
  if (!newest->empty() && !newest->front().empty()) {
    flowVersion = cellInteger(newest->front()[0]).value_or(0);
  }
  if (flowVersion <= 0) return std::optional<std::string>{};
  auto rows = query(
      "P5 select project_flow_files",
      "SELECT flow_file FROM project_flow_files WHERE project_id=? AND "
      "project_version=? AND flow_name=? AND flow_version=?",
      {Param::i(projectId), Param::i(version), Param::text(flowFileName), Param::i(flowVersion)});
  if (!rows) return rows.error();
  if (rows->empty() || rows->front()[0].isNull) return std::optional<std::string>{};
  return std::optional<std::string>(rows->front()[0].bytes);
}

// ---- executors prune ----

Result<void> MysqlStore::finalizeOrphanedExecution(int execId, int64_t nowMillis) {
  auto fetched = fetchExecutableFlow(execId);
  if (!fetched) return fetched.error();
  if (!*fetched) return Error{"no execution " + std::to_string(execId)};
  flow::ExecutableFlow& flow = ***fetched;
  if (flow.root.status == Status::Preparing && flow.root.startTime <= 0) {
    // No executor ever started it. A web may be dispatching it right now (executor_id is set
    // before `execute` is sent and reset when that fails, azkaban-wire 2.3.2) and would then
    // send it on to another executor; failing it here would make that one run a FAILED flow.
    // The web finalises it itself once the executor row is gone (2.3.4).
    return Error{
        "never started (PREPARING); left to the web, which dispatches it elsewhere or "
        "finalises it once the executor row is gone"};
  }
  if (!webFinished(flow.root.status)) {
    // Attempt rows of jobs the dead executor was running would stay RUNNING in the job
    // history for ever; they end FAILED like their top-level nodes below.
    auto jobs = withRetry("finalise execution_jobs", false, [&](Connection& c) -> Result<void> {
      // READY, PREPARING, RUNNING, PAUSED, KILLING, FAILED_FINISHING, QUEUED.
      auto r = c.execute(
          "UPDATE execution_jobs SET status=?, end_time=? WHERE exec_id=? AND status IN "
          "(10, 20, 30, 40, 55, 80, 110)",
          {Param::i(toCode(Status::Failed)), Param::i(nowMillis), Param::i(execId)}, nullptr);
      if (!r) return r.error();
      return okResult();
    });
    if (!jobs) return jobs;
    // ExecutionControllerUtils.failEverything: top level only, embedded flows not descended.
    for (auto& node : flow.root.nodes) {
      switch (node->status) {
        case Status::Succeeded:
        case Status::Failed:
        case Status::Killed:
        case Status::Skipped:
        case Status::Disabled:
          continue;
        case Status::Ready:
          node->status = Status::Killing;
          break;
        default:
          node->status = Status::Failed;
          break;
      }
      if (node->startTime == -1) node->startTime = nowMillis;
      if (node->endTime == -1) node->endTime = nowMillis;
      node->updateTime = nowMillis;
    }
    if (flow.root.endTime == -1) flow.root.endTime = nowMillis;
    flow.root.status = Status::Failed;
    // F2 stores the root updateTime as update_time; it must move forward (azkaban-wire 4.5).
    flow.root.updateTime = std::max(flow.root.updateTime, nowMillis);
    if (auto written = updateExecutableFlow(flow); !written) return written;
  }
  return withRetry("delete active_executing_flows", false, [&](Connection& c) -> Result<void> {
    auto r = c.execute("DELETE FROM active_executing_flows WHERE exec_id=?", {Param::i(execId)},
                       nullptr);
    // Poll-mode databases may have dropped the deprecated table; nothing to delete then.
    if (!r && c.lastErrno() != ER_NO_SUCH_TABLE) return r.error();
    return okResult();
  });
}

}  // namespace azx::store
