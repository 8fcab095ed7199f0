#include "store/mysql/mysql_store.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "core/gzip.h"
#include "flow/flow_data.h"
#include "store/log_chunks.h"
#include "store/mysql/azkaban_schema.h"
#include "store/mysql/mysql_connection.h"

namespace azx::store {

namespace {

using Param = MysqlStore::Param;
using Row = MysqlStore::Row;
using mysql_detail::isConnectionError;

std::once_flag libraryInit;

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

std::string trimText(const std::string& text) {
  size_t b = text.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  size_t e = text.find_last_not_of(" \t\r\n");
  return text.substr(b, e - b + 1);
}

// The identifier following position `pos` (skipping blanks), up to a blank or '('.
std::string identifierAt(const std::string& text, size_t pos) {
  while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
  size_t end = pos;
  while (end < text.size() && !std::isspace(static_cast<unsigned char>(text[end])) &&
         text[end] != '(') {
    ++end;
  }
  std::string id = text.substr(pos, end - pos);
  id.erase(std::remove(id.begin(), id.end(), '`'), id.end());
  return id;
}

// Splits a schema file into statements: `--` comment lines dropped, cut at ';'.
std::vector<std::string> splitStatements(const std::string& sql) {
  std::string cleaned;
  std::istringstream lines(sql);
  for (std::string line; std::getline(lines, line);) {
    if (trimText(line).rfind("--", 0) == 0) continue;
    cleaned += line;
    cleaned += '\n';
  }
  std::vector<std::string> out;
  size_t start = 0;
  while (start < cleaned.size()) {
    size_t semi = cleaned.find(';', start);
    if (semi == std::string::npos) semi = cleaned.size();
    std::string statement = trimText(cleaned.substr(start, semi - start));
    if (!statement.empty()) out.push_back(statement);
    start = semi + 1;
  }
  return out;
}

Result<std::string> readWholeFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error{"cannot read \"" + file.string() + "\""};
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

std::string MysqlConfig::describe() const {
  std::string where = unixSocket ? *unixSocket : host + ":" + std::to_string(port);
  return user + "@" + where + "/" + database;
}

Result<MysqlConfig> mysqlConfigFromProps(const Props& props) {
  MysqlConfig config;
  for (const char* key : {"mysql.host", "mysql.port", "mysql.database", "mysql.user",
                          "mysql.password", "mysql.numconnections"}) {
    if (!props.contains(key)) return Error{"missing required key \"" + std::string(key) + "\""};
  }
  config.host = trim(*props.get("mysql.host"));
  config.database = trim(*props.get("mysql.database"));
  config.user = trim(*props.get("mysql.user"));
  config.password = *props.get("mysql.password");  // may legitimately contain blanks
  auto port = props.getLong("mysql.port");
  if (!port || *port <= 0 || *port > 65535) return Error{"invalid \"mysql.port\""};
  config.port = static_cast<int>(*port);
  auto connections = props.getLong("mysql.numconnections");
  if (!connections || *connections <= 0 || *connections > 10000) {
    return Error{"invalid \"mysql.numconnections\""};
  }
  config.numConnections = static_cast<int>(*connections);
  return config;
}

MysqlStore::MysqlStore(MysqlConfig config, MysqlLogCallback log)
    : config_(std::move(config)), log_(std::move(log)) {
  if (!log_) {
    log_ = [](const std::string& message) { std::cerr << "mysql store: " << message << "\n"; };
  }
  if (config_.numConnections < 1) config_.numConnections = 1;
}

MysqlStore::~MysqlStore() {
  std::lock_guard lock(mutex_);
  idle_.clear();
}

Result<std::unique_ptr<MysqlStore>> MysqlStore::open(const MysqlConfig& config,
                                                     MysqlLogCallback log) {
  std::call_once(libraryInit, [] { mysql_library_init(0, nullptr, nullptr); });
  if (config.database.empty()) return Error{"mysql store: database name is empty"};
  std::unique_ptr<MysqlStore> store(new MysqlStore(config, std::move(log)));
  auto ok = store->withRetry("connect", false, [](Connection& c) -> Result<void> {
    if (c.connected()) return okResult();
    return c.connect();
  });
  if (!ok) return ok.error();
  return store;
}

uint64_t MysqlStore::retryCount() const {
  std::lock_guard lock(mutex_);
  return retries_;
}

std::unique_ptr<MysqlStore::Connection> MysqlStore::borrow() {
  std::unique_lock lock(mutex_);
  available_.wait(lock, [&] { return !idle_.empty() || created_ < config_.numConnections; });
  if (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return c;
  }
  ++created_;
  return std::make_unique<Connection>(config_);
}

void MysqlStore::giveBack(std::unique_ptr<Connection> connection) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(connection));
  }
  available_.notify_one();
}

Result<void> MysqlStore::withRetry(const std::string& what, bool duplicateMeansDone,
                                   const std::function<Result<void>(Connection&)>& op) {
  auto connection = borrow();
  int backoff = std::max(1, config_.retry.initialBackoffMillis);
  for (int attempt = 1;; ++attempt) {
    const bool wasConnected = connection->connected();
    auto result = op(*connection);
    if (result) {
      giveBack(std::move(connection));
      return result;
    }
    unsigned code = connection->lastErrno();
    if (duplicateMeansDone && attempt > 1 && code == ER_DUP_ENTRY) {
      log_(what + ": duplicate key after a lost reply; the earlier try had committed");
      giveBack(std::move(connection));
      return okResult();
    }
    bool lastTry = config_.retry.maxAttempts > 0 && attempt >= config_.retry.maxAttempts;
    if (!isConnectionError(code) || lastTry) {
      giveBack(std::move(connection));
      std::string suffix =
          isConnectionError(code) ? " (gave up after " + std::to_string(attempt) + " tries)" : "";
      return result.error().withContext("mysql " + what + suffix);
    }
    connection->close();
    {
      std::lock_guard lock(mutex_);
      ++retries_;
    }
    const int delay = attempt == 1 && wasConnected ? 0 : backoff;
    log_(what + " failed (" + result.error().message + "); reconnecting to " + config_.describe() +
         " in " + std::to_string(delay) + " ms, try " + std::to_string(attempt + 1) +
         (config_.retry.maxAttempts > 0 ? " of " + std::to_string(config_.retry.maxAttempts)
                                        : std::string()));
    // A pooled connection the server dropped while idle (wait_timeout, restart) is the
    // common case: the first retry on a fresh connection goes out at once.
    if (attempt == 1 && wasConnected) continue;
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff));
    backoff = std::min(backoff * 2, std::max(backoff, config_.retry.maxBackoffMillis));
  }
}

Result<std::vector<Row>> MysqlStore::query(const std::string& what, const std::string& sql,
                                           const std::vector<Param>& params) {
  std::vector<Row> rows;
  auto ok = withRetry(what, false, [&](Connection& c) -> Result<void> {
    rows.clear();
    auto r = c.execute(sql, params, &rows);
    if (!r) return r.error();
    return okResult();
  });
  if (!ok) return ok.error();
  return rows;
}

Result<void> MysqlStore::initSchema() {
  auto tableExists = [&](const std::string& table) -> Result<bool> {
    auto rows = query("schema check",
                      "SELECT COUNT(*) FROM information_schema.tables WHERE "
                      "table_schema = DATABASE() AND table_name = ?",
                      {Param::text(table)});
    if (!rows) return rows.error();
    return !rows->empty() && !rows->front().empty() && rows->front()[0].integer > 0;
  };
  std::set<std::string> created;
  for (const auto& file : azkabanSchemaFiles()) {
    for (const auto& statement : splitStatements(file.sql)) {
      std::string head = upper(statement.substr(0, std::min<size_t>(statement.size(), 64)));
      if (head.rfind("DROP TABLE", 0) == 0 || head.rfind("COMMIT", 0) == 0) continue;
      if (head.rfind("CREATE TABLE", 0) == 0) {
        std::string table = identifierAt(statement, 12);
        auto exists = tableExists(table);
        if (!exists) return exists.error();
        if (*exists) continue;
        created.insert(table);
      } else if (head.rfind("CREATE INDEX", 0) == 0) {
        size_t on = upper(statement).find(" ON ");
        std::string table = on == std::string::npos ? "" : identifierAt(statement, on + 4);
        if (created.count(table) == 0) continue;  // table existed already: keep its indexes
      }
      auto ok = withRetry("schema " + file.name, false, [&](Connection& c) -> Result<void> {
        auto r = c.execute(statement, {}, nullptr);
        if (!r) return r.error();
        return okResult();
      });
      if (!ok) return ok.error().withContext(file.name);
    }
  }
  return okResult();
}

Result<int> MysqlStore::createExecution(flow::ExecutableFlow& flow, int64_t nowMillis) {
  flow.root.status = Status::Preparing;
  flow.submitTime = nowMillis;
  int64_t id = 0;
  // The web's insert, then LAST_INSERT_ID on the same connection, in one transaction.
  auto ok = withRetry("insert execution_flows", false, [&](Connection& c) -> Result<void> {
    if (auto a = c.setAutocommit(false); !a) return a;
    auto inserted = c.execute(
        "INSERT INTO execution_flows (project_id, flow_id, version, status, submit_time, "
        "submit_user, update_time, use_executor, flow_priority) VALUES (?,?,?,?,?,?,?,?,?)",
        {Param::i(flow.projectId), Param::text(flow.flowId()), Param::i(flow.version),
         Param::i(toCode(flow.root.status)), Param::i(nowMillis), Param::text(flow.submitUser),
         Param::i(nowMillis), Param::optInt(useExecutorParam(flow)),
         Param::i(flowPriorityParam(flow))},
        nullptr);
    if (!inserted) {
      c.rollbackQuietly();
      return inserted.error();
    }
    std::vector<Row> rows;
    auto last = c.execute("SELECT LAST_INSERT_ID()", {}, &rows);
    if (!last || rows.empty() || rows[0].empty()) {
      c.rollbackQuietly();
      return last ? Error{"LAST_INSERT_ID returned nothing"} : last.error();
    }
    id = rows[0][0].integer;
    if (auto committed = c.commit(); !committed) {
      c.rollbackQuietly();
      return committed;
    }
    return c.setAutocommit(true);
  });
  if (!ok) return ok.error();
  flow.executionId = static_cast<int>(id);
  if (auto updated = updateExecutableFlow(flow); !updated) return updated.error();
  return flow.executionId;
}

Result<std::optional<std::unique_ptr<flow::ExecutableFlow>>> MysqlStore::fetchExecutableFlow(
    int execId) {
  auto rows = query("F1 select execution_flows",
                    "SELECT exec_id, enc_type, flow_data FROM execution_flows WHERE exec_id=?",
                    {Param::i(execId)});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<std::unique_ptr<flow::ExecutableFlow>>{};
  const Row& row = rows->front();
  if (row[2].isNull) return Error{"execution " + std::to_string(execId) + " has no flow_data"};
  auto text = row[1].optInt().value_or(0) == kEncodingGzip ? gzipDecompress(row[2].bytes)
                                                           : Result<std::string>(row[2].bytes);
  if (!text) return text.error().withContext("flow_data of execution " + std::to_string(execId));
  auto parsed = flow::parseFlowDataText(*text);
  if (!parsed) return parsed.error().withContext("execution " + std::to_string(execId));
  return std::optional<std::unique_ptr<flow::ExecutableFlow>>(std::move(parsed.value()));
}

Result<void> MysqlStore::updateFlowRow(const FlowRowUpdate& row) {
  std::string blob = gzipCompress(row.flowDataText, GzipSpeed::Fastest);
  uint64_t matched = 0;
  auto ok = withRetry("F2 update execution_flows", false, [&](Connection& c) -> Result<void> {
    auto r = c.execute(
        "UPDATE execution_flows SET status=?, update_time=?, start_time=?, end_time=?, "
        "enc_type=?, flow_data=? WHERE exec_id=?",
        {Param::i(toCode(row.status)), Param::i(row.updateTime), Param::i(row.startTime),
         Param::i(row.endTime), Param::i(kEncodingGzip), Param::blob(blob), Param::i(row.execId)},
        nullptr);
    if (!r) return r.error();
    matched = *r;
    return okResult();
  });
  if (!ok) return ok;
  if (matched == 0) {
    return Error{"mysql F2: no execution_flows row for exec id " + std::to_string(row.execId)};
  }
  return okResult();
}

Result<void> MysqlStore::uploadExecutableNode(const flow::ExecutableFlow& flow,
                                              const flow::ExecutableNode& node,
                                              const PropsPtr& inputProps) {
  std::vector<Param> params{Param::i(flow.executionId),
                            Param::i(flow.projectId),
                            Param::i(flow.version),
                            Param::text(parentFlowPath(node)),
                            Param::text(node.id),
                            Param::i(node.startTime),
                            Param::i(-1),
                            Param::i(toCode(node.status)),
                            Param::blob(encodePropsChain(inputProps)),
                            Param::i(node.attempt)};
  return withRetry("J1 insert execution_jobs \"" + node.id + "\"", true,
                   [&](Connection& c) -> Result<void> {
                     auto r = c.execute(
                         "INSERT INTO execution_jobs (exec_id, project_id, version, flow_id, "
                         "job_id, start_time, end_time, status, input_params, attempt) VALUES "
                         "(?,?,?,?,?,?,?,?,?,?)",
                         params, nullptr);
                     if (!r) return r.error();
                     return okResult();
                   });
}

Result<void> MysqlStore::updateExecutableNode(const flow::ExecutableFlow& flow,
                                              const flow::ExecutableNode& node) {
  std::vector<Param> params{
      Param::i(node.startTime),      Param::i(node.endTime),
      Param::i(toCode(node.status)), Param::blob(encodePropsChain(node.outputProps)),
      Param::i(flow.executionId),    Param::text(parentFlowPath(node)),
      Param::text(node.id),          Param::i(node.attempt)};
  return withRetry("J2 update execution_jobs \"" + node.id + "\"", false,
                   [&](Connection& c) -> Result<void> {
                     auto r = c.execute(
                         "UPDATE execution_jobs SET start_time=?, end_time=?, status=?, "
                         "output_params=? WHERE exec_id=? AND flow_id=? AND job_id=? AND "
                         "attempt=?",
                         params, nullptr);
                     if (!r) return r.error();
                     return okResult();
                   });
}

Result<void> MysqlStore::uploadAttachmentFile(const flow::ExecutableFlow& flow,
                                              const flow::ExecutableNode& node,
                                              const std::filesystem::path& file) {
  auto text = readWholeFile(file);
  if (!text) return text.error();
  // Keyed by flow path like J1/J2 (azkaban-wire 10 #4), not Java's nested id.
  std::vector<Param> params{Param::blob(gzipCompress(*text)), Param::i(flow.executionId),
                            Param::text(parentFlowPath(node)), Param::text(node.id),
                            Param::i(node.attempt)};
  return withRetry("J3 update execution_jobs attachments", false,
                   [&](Connection& c) -> Result<void> {
                     auto r = c.execute(
                         "UPDATE execution_jobs SET attachments=? WHERE exec_id=? AND flow_id=? "
                         "AND job_id=? AND attempt=?",
                         params, nullptr);
                     if (!r) return r.error();
                     return okResult();
                   });
}

Result<void> MysqlStore::uploadLogFiles(int execId, const std::string& name, int attempt,
                                        const std::vector<std::filesystem::path>& files,
                                        int64_t nowMillis) {
  auto chunks = buildLogChunks(files);
  if (!chunks) return chunks.error();
  if (chunks->empty()) return okResult();
  return withRetry(
      "L1 insert execution_logs \"" + name + "\"", true, [&](Connection& c) -> Result<void> {
        if (auto a = c.setAutocommit(false); !a) return a;
        for (const auto& chunk : *chunks) {
          auto r = c.execute(
              "INSERT INTO execution_logs (exec_id, name, attempt, enc_type, "
              "start_byte, end_byte, log, upload_time) VALUES (?,?,?,?,?,?,?,?)",
              {Param::i(execId), Param::text(name), Param::i(attempt), Param::i(kEncodingGzip),
               Param::i(chunk.startByte), Param::i(chunk.endByte), Param::blob(chunk.gzippedData),
               Param::i(nowMillis)},
              nullptr);
          if (!r) {
            c.rollbackQuietly();
            return r.error();
          }
        }
        if (auto committed = c.commit(); !committed) {
          c.rollbackQuietly();
          return committed;
        }
        return c.setAutocommit(true);
      });
}

Result<LogChunk> MysqlStore::fetchLogs(int execId, const std::string& name, int attempt,
                                       int64_t offset, int64_t length) {
  auto rows = query("select execution_logs",
                    "SELECT exec_id, name, attempt, enc_type, start_byte, end_byte, log FROM "
                    "execution_logs WHERE exec_id=? AND name=? AND attempt=? AND end_byte > ? "
                    "AND start_byte <= ? ORDER BY start_byte",
                    {Param::i(execId), Param::text(name), Param::i(attempt), Param::i(offset),
                     Param::i(offset + length)});
  if (!rows) return rows.error();
  std::vector<StoredLogRow> stored;
  for (const auto& row : *rows) {
    StoredLogRow s;
    s.encType = row[3].optInt().value_or(0);
    s.startByte = row[4].integer;
    s.endByte = row[5].integer;
    s.log = row[6].bytes;
    stored.push_back(std::move(s));
  }
  return sliceLogRows(stored, offset, length);
}

namespace {

ExecutionRow toExecutionRow(const Row& r) {
  ExecutionRow e;
  e.execId = static_cast<int>(r[0].integer);
  e.projectId = static_cast<int>(r[1].integer);
  e.version = static_cast<int>(r[2].integer);
  e.flowId = r[3].bytes;
  e.status = r[4].optInt();
  e.submitUser = r[5].optBytes();
  e.submitTime = r[6].optLong();
  e.updateTime = r[7].optLong();
  e.startTime = r[8].optLong();
  e.endTime = r[9].optLong();
  e.encType = r[10].optInt();
  e.flowData = r[11].optBytes();
  e.executorId = r[12].optInt();
  e.useExecutor = r[13].optInt();
  e.flowPriority = static_cast<int>(r[14].integer);
  return e;
}

constexpr const char* kFlowColumns =
    "SELECT exec_id, project_id, version, flow_id, status, submit_user, submit_time, "
    "update_time, start_time, end_time, enc_type, flow_data, executor_id, use_executor, "
    "flow_priority FROM execution_flows";

}  // namespace

Result<std::vector<ExecutionRow>> MysqlStore::listExecutions() {
  auto rows = query("list execution_flows", std::string(kFlowColumns) + " ORDER BY exec_id", {});
  if (!rows) return rows.error();
  std::vector<ExecutionRow> out;
  for (const auto& r : *rows) out.push_back(toExecutionRow(r));
  return out;
}

Result<std::optional<ExecutionRow>> MysqlStore::fetchExecutionRow(int execId) {
  auto rows = query("select execution_flows row", std::string(kFlowColumns) + " WHERE exec_id=?",
                    {Param::i(execId)});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<ExecutionRow>{};
  return std::optional<ExecutionRow>(toExecutionRow(rows->front()));
}

Result<std::vector<JobRow>> MysqlStore::fetchJobRows(int execId) {
  auto rows = query("select execution_jobs rows",
                    "SELECT exec_id, project_id, version, flow_id, job_id, attempt, start_time, "
                    "end_time, status, input_params, output_params, attachments FROM "
                    "execution_jobs WHERE exec_id=? ORDER BY flow_id, job_id, attempt",
                    {Param::i(execId)});
  if (!rows) return rows.error();
  std::vector<JobRow> out;
  for (const auto& r : *rows) {
    JobRow j;
    j.execId = static_cast<int>(r[0].integer);
    j.projectId = static_cast<int>(r[1].integer);
    j.version = static_cast<int>(r[2].integer);
    j.flowId = r[3].bytes;
    j.jobId = r[4].bytes;
    j.attempt = r[5].optInt();
    j.startTime = r[6].optLong();
    j.endTime = r[7].optLong();
    j.status = r[8].optInt();
    j.inputParams = r[9].optBytes();
    j.outputParams = r[10].optBytes();
    j.attachments = r[11].optBytes();
    out.push_back(std::move(j));
  }
  return out;
}

Result<std::vector<LogRow>> MysqlStore::fetchLogRows(int execId) {
  auto rows = query("select execution_logs rows",
                    "SELECT exec_id, name, attempt, enc_type, start_byte, end_byte, log, "
                    "upload_time FROM execution_logs WHERE exec_id=? ORDER BY name, attempt, "
                    "start_byte",
                    {Param::i(execId)});
  if (!rows) return rows.error();
  std::vector<LogRow> out;
  for (const auto& r : *rows) {
    LogRow l;
    l.execId = static_cast<int>(r[0].integer);
    l.name = r[1].bytes;
    l.attempt = static_cast<int>(r[2].integer);
    l.encType = static_cast<int>(r[3].integer);
    l.startByte = r[4].integer;
    l.endByte = r[5].integer;
    l.log = r[6].bytes;
    l.uploadTime = r[7].integer;
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace azx::store
