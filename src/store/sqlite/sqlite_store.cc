#include "store/sqlite/sqlite_store.h"

#include <sqlite3.h>

#include <fstream>
#include <sstream>

#include "core/gzip.h"
#include "flow/flow_data.h"
#include "store/log_chunks.h"

namespace azx::store {
namespace {

// Same logical model as Azkaban's create.execution_*.sql (azkaban-wire 4.3); INTEGER
// PRIMARY KEY AUTOINCREMENT never reuses an exec id, like MySQL's AUTO_INCREMENT.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS execution_flows (
  exec_id       INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id    INTEGER NOT NULL,
  version       INTEGER NOT NULL,
  flow_id       TEXT    NOT NULL,
  status        INTEGER,
  submit_user   TEXT,
  submit_time   INTEGER,
  update_time   INTEGER,
  start_time    INTEGER,
  end_time      INTEGER,
  enc_type      INTEGER,
  flow_data     BLOB,
  executor_id   INTEGER DEFAULT NULL,
  use_executor  INTEGER DEFAULT NULL,
  flow_priority INTEGER NOT NULL DEFAULT 5
);
CREATE INDEX IF NOT EXISTS ex_flows_start_time ON execution_flows (start_time);
CREATE INDEX IF NOT EXISTS ex_flows_end_time ON execution_flows (end_time);
CREATE INDEX IF NOT EXISTS ex_flows_time_range ON execution_flows (start_time, end_time);
CREATE INDEX IF NOT EXISTS ex_flows_flows ON execution_flows (project_id, flow_id);
CREATE INDEX IF NOT EXISTS executor_id ON execution_flows (executor_id);
CREATE INDEX IF NOT EXISTS ex_flows_staus ON execution_flows (status);
CREATE TABLE IF NOT EXISTS execution_jobs (
  exec_id       INTEGER NOT NULL,
  project_id    INTEGER NOT NULL,
  version       INTEGER NOT NULL,
  flow_id       TEXT    NOT NULL,
  job_id        TEXT    NOT NULL,
  attempt       INTEGER,
  start_time    INTEGER,
  end_time      INTEGER,
  status        INTEGER,
  input_params  BLOB,
  output_params BLOB,
  attachments   BLOB,
  PRIMARY KEY (exec_id, job_id, flow_id, attempt)
);
CREATE INDEX IF NOT EXISTS ex_job_id ON execution_jobs (project_id, job_id);
CREATE TABLE IF NOT EXISTS execution_logs (
  exec_id     INTEGER NOT NULL,
  name        TEXT,
  attempt     INTEGER,
  enc_type    INTEGER,
  start_byte  INTEGER,
  end_byte    INTEGER,
  log         BLOB,
  upload_time INTEGER,
  PRIMARY KEY (exec_id, name, attempt, start_byte)
);
CREATE INDEX IF NOT EXISTS ex_log_attempt ON execution_logs (exec_id, name, attempt);
CREATE INDEX IF NOT EXISTS ex_log_index ON execution_logs (exec_id, name);
CREATE INDEX IF NOT EXISTS ex_log_upload_time ON execution_logs (upload_time);
)sql";

constexpr const char* kFlowColumns =
    "exec_id, project_id, version, flow_id, status, submit_user, submit_time, update_time, "
    "start_time, end_time, enc_type, flow_data, executor_id, use_executor, flow_priority";

// Binds parameters in order and resets the statement when it goes out of scope, so a reused
// prepared statement never keeps stale bindings or an open read transaction.
class Bound {
 public:
  explicit Bound(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Bound() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Bound(const Bound&) = delete;
  Bound& operator=(const Bound&) = delete;

  Bound& integer(int64_t v) {
    sqlite3_bind_int64(stmt_, ++index_, v);
    return *this;
  }
  Bound& text(const std::string& v) {
    sqlite3_bind_text(stmt_, ++index_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Bound& blob(const std::optional<std::string>& v) {
    if (!v) return null();
    sqlite3_bind_blob(stmt_, ++index_, v->data(), static_cast<int>(v->size()), SQLITE_TRANSIENT);
    return *this;
  }
  Bound& optInteger(const std::optional<int>& v) { return v ? integer(*v) : null(); }
  Bound& null() {
    sqlite3_bind_null(stmt_, ++index_);
    return *this;
  }
  int step() { return sqlite3_step(stmt_); }
  sqlite3_stmt* stmt() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_;
  int index_ = 0;
};

std::optional<int64_t> columnOptInt(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int64(s, i);
}
std::optional<int> columnOptInt32(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int(s, i);
}
std::optional<std::string> columnOptBlob(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
  const void* data = sqlite3_column_blob(s, i);
  int size = sqlite3_column_bytes(s, i);
  return std::string(static_cast<const char*>(data), static_cast<size_t>(size));
}
std::string columnText(sqlite3_stmt* s, int i) { return columnOptBlob(s, i).value_or(""); }

Result<std::string> readWholeFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error{"cannot read \"" + file.string() + "\""};
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

SqliteStore::SqliteStore(sqlite3* db, std::filesystem::path path)
    : db_(db), path_(std::move(path)) {}

SqliteStore::~SqliteStore() {
  for (auto* stmt : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Error SqliteStore::sqliteError(const std::string& what) const {
  return Error{"sqlite store \"" + path_.string() + "\": " + what + ": " + sqlite3_errmsg(db_)};
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::filesystem::path& file,
                                                       const Options& options) {
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(file.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Error{"cannot open sqlite store \"" + file.string() + "\": " + msg};
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(db, file));
  sqlite3_busy_timeout(db, options.busyTimeoutMillis);
  // WAL: readers never block the writer; NORMAL is durable across process crashes in WAL mode.
  // A 256 KiB page cache: writes touch one execution's rows, so the 2 MB default only holds
  // flow_data pages already on disk.
  const std::string pragmas =
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-256;";
  char* err = nullptr;
  for (const std::string& sql : {pragmas, std::string(kSchema)}) {
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err != nullptr ? err : "unknown error";
      sqlite3_free(err);
      return Error{"cannot initialise sqlite store \"" + file.string() + "\": " + msg};
    }
  }
  if (auto prepared = store->prepareAll(); !prepared) return prepared.error();
  return store;
}

Result<void> SqliteStore::prepareAll() {
  const std::string flowColumns = kFlowColumns;
  const std::pair<StatementId, std::string> sql[] = {
      {kInsertFlow,
       "INSERT INTO execution_flows (project_id, flow_id, version, status, submit_time, "
       "submit_user, update_time, use_executor, flow_priority) VALUES (?,?,?,?,?,?,?,?,?)"},
      {kSelectFlow, "SELECT exec_id, enc_type, flow_data FROM execution_flows WHERE exec_id=?"},
      {kUpdateFlow,
       "UPDATE execution_flows SET status=?, update_time=?, start_time=?, end_time=?, "
       "enc_type=?, flow_data=? WHERE exec_id=?"},
      {kInsertJob,
       "INSERT INTO execution_jobs (exec_id, project_id, version, flow_id, job_id, start_time, "
       "end_time, status, input_params, attempt) VALUES (?,?,?,?,?,?,?,?,?,?)"},
      {kUpdateJob,
       "UPDATE execution_jobs SET start_time=?, end_time=?, status=?, output_params=? WHERE "
       "exec_id=? AND flow_id=? AND job_id=? AND attempt=?"},
      {kUpdateAttachment,
       "UPDATE execution_jobs SET attachments=? WHERE exec_id=? AND flow_id=? AND job_id=? "
       "AND attempt=?"},
      {kInsertLog,
       "INSERT INTO execution_logs (exec_id, name, attempt, enc_type, start_byte, end_byte, "
       "log, upload_time) VALUES (?,?,?,?,?,?,?,?)"},
      {kSelectLogs,
       "SELECT enc_type, start_byte, end_byte, log FROM execution_logs WHERE exec_id=? AND "
       "name=? AND attempt=? AND end_byte > ? AND start_byte <= ? ORDER BY start_byte"},
      {kListFlows, "SELECT " + flowColumns + " FROM execution_flows ORDER BY exec_id"},
      {kSelectFlowRow, "SELECT " + flowColumns + " FROM execution_flows WHERE exec_id=?"},
      {kSelectJobRows,
       "SELECT exec_id, project_id, version, flow_id, job_id, attempt, start_time, end_time, "
       "status, input_params, output_params, attachments FROM execution_jobs WHERE exec_id=? "
       "ORDER BY flow_id, job_id, attempt"},
      {kSelectLogRows,
       "SELECT exec_id, name, attempt, enc_type, start_byte, end_byte, log, upload_time FROM "
       "execution_logs WHERE exec_id=? ORDER BY name, attempt, start_byte"},
      {kBegin, "BEGIN IMMEDIATE"},
      {kCommit, "COMMIT"},
      {kRollback, "ROLLBACK"},
      {kSavepoint, "SAVEPOINT log_upload"},
      {kRelease, "RELEASE log_upload"},
      {kRollbackToSavepoint, "ROLLBACK TO log_upload"},
  };
  for (const auto& [id, text] : sql) {
    if (sqlite3_prepare_v2(db_, text.c_str(), -1, &statements_[id], nullptr) != SQLITE_OK) {
      return sqliteError("prepare \"" + text + "\"");
    }
  }
  return okResult();
}

Result<int> SqliteStore::createExecution(flow::ExecutableFlow& flow, int64_t nowMillis) {
  std::lock_guard lock(mutex_);
  // As the web's ExecutionFlowDao.uploadExecutableFlow: PREPARING, submit time now, then F2.
  flow.root.status = Status::Preparing;
  flow.submitTime = nowMillis;
  {
    Bound b(statements_[kInsertFlow]);
    b.integer(flow.projectId)
        .text(flow.flowId())
        .integer(flow.version)
        .integer(toCode(flow.root.status))
        .integer(nowMillis)
        .text(flow.submitUser)
        .integer(nowMillis)
        .optInteger(useExecutorParam(flow))
        .integer(flowPriorityParam(flow));
    if (b.step() != SQLITE_DONE) return sqliteError("insert execution_flows");
  }
  flow.executionId = static_cast<int>(sqlite3_last_insert_rowid(db_));
  if (auto updated = updateFlowLocked(makeFlowRowUpdate(flow)); !updated) return updated.error();
  return flow.executionId;
}

Result<std::optional<std::unique_ptr<flow::ExecutableFlow>>> SqliteStore::fetchExecutableFlow(
    int execId) {
  std::optional<std::string> data;
  std::optional<int> encType;
  {
    std::lock_guard lock(mutex_);
    Bound b(statements_[kSelectFlow]);
    b.integer(execId);
    int rc = b.step();
    if (rc == SQLITE_DONE) return std::optional<std::unique_ptr<flow::ExecutableFlow>>{};
    if (rc != SQLITE_ROW) return sqliteError("select execution_flows");
    encType = columnOptInt32(b.stmt(), 1);
    data = columnOptBlob(b.stmt(), 2);
  }
  if (!data) return Error{"execution " + std::to_string(execId) + " has no flow_data"};
  auto text =
      encType.value_or(0) == kEncodingGzip ? gzipDecompress(*data) : Result<std::string>(*data);
  if (!text) return text.error().withContext("flow_data of execution " + std::to_string(execId));
  auto parsed = flow::parseFlowDataText(*text);
  if (!parsed) return parsed.error().withContext("execution " + std::to_string(execId));
  return std::optional<std::unique_ptr<flow::ExecutableFlow>>(std::move(parsed.value()));
}

Result<void> SqliteStore::updateFlowRow(const FlowRowUpdate& row) {
  std::lock_guard lock(mutex_);
  return updateFlowLocked(row);
}

Result<void> SqliteStore::updateFlowLocked(const FlowRowUpdate& row) {
  Bound b(statements_[kUpdateFlow]);
  b.integer(toCode(row.status))
      .integer(row.updateTime)
      .integer(row.startTime)
      .integer(row.endTime)
      .integer(kEncodingGzip)
      .blob(gzipCompress(row.flowDataText, GzipSpeed::Fastest))
      .integer(row.execId);
  if (b.step() != SQLITE_DONE) return sqliteError("update execution_flows");
  if (sqlite3_changes(db_) == 0) {
    return Error{"sqlite store: no execution_flows row for exec id " + std::to_string(row.execId)};
  }
  return okResult();
}

Result<void> SqliteStore::uploadExecutableNode(const flow::ExecutableFlow& flow,
                                               const flow::ExecutableNode& node,
                                               const PropsPtr& inputProps) {
  auto params = encodePropsChain(inputProps);
  std::lock_guard lock(mutex_);
  Bound b(statements_[kInsertJob]);
  b.integer(flow.executionId)
      .integer(flow.projectId)
      .integer(flow.version)
      .text(parentFlowPath(node))
      .text(node.id)
      .integer(node.startTime)
      .integer(-1)
      .integer(toCode(node.status))
      .blob(params)
      .integer(node.attempt);
  if (b.step() != SQLITE_DONE) return sqliteError("insert execution_jobs \"" + node.id + "\"");
  return okResult();
}

Result<void> SqliteStore::updateExecutableNode(const flow::ExecutableFlow& flow,
                                               const flow::ExecutableNode& node) {
  auto params = encodePropsChain(node.outputProps);
  std::lock_guard lock(mutex_);
  Bound b(statements_[kUpdateJob]);
  b.integer(node.startTime)
      .integer(node.endTime)
      .integer(toCode(node.status))
      .blob(params)
      .integer(flow.executionId)
      .text(parentFlowPath(node))
      .text(node.id)
      .integer(node.attempt);
  if (b.step() != SQLITE_DONE) return sqliteError("update execution_jobs \"" + node.id + "\"");
  return okResult();
}

Result<void> SqliteStore::uploadAttachmentFile(const flow::ExecutableFlow& flow,
                                               const flow::ExecutableNode& node,
                                               const std::filesystem::path& file) {
  auto text = readWholeFile(file);
  if (!text) return text.error();
  std::string blob = gzipCompress(*text);
  std::lock_guard lock(mutex_);
  Bound b(statements_[kUpdateAttachment]);
  // Keyed by flow path like J1/J2 (azkaban-wire 10 #4), not Java's nested id.
  b.blob(blob)
      .integer(flow.executionId)
      .text(parentFlowPath(node))
      .text(node.id)
      .integer(node.attempt);
  if (b.step() != SQLITE_DONE) return sqliteError("update execution_jobs attachments");
  return okResult();
}

Result<void> SqliteStore::uploadLogFiles(int execId, const std::string& name, int attempt,
                                         const std::vector<std::filesystem::path>& files,
                                         int64_t nowMillis) {
  auto chunks = buildLogChunks(files);
  if (!chunks) return chunks.error();
  if (chunks->empty()) return okResult();
  std::lock_guard lock(mutex_);
  // A savepoint, not BEGIN: the upload may run inside a batch's transaction, and its chunks
  // must land all together or not at all either way.
  {
    Bound begin(statements_[kSavepoint]);
    if (begin.step() != SQLITE_DONE) return sqliteError("begin log upload");
  }
  auto undo = [this] {
    Bound back(statements_[kRollbackToSavepoint]);
    back.step();
    Bound release(statements_[kRelease]);
    release.step();
  };
  for (const auto& chunk : *chunks) {
    Bound b(statements_[kInsertLog]);
    b.integer(execId)
        .text(name)
        .integer(attempt)
        .integer(kEncodingGzip)
        .integer(chunk.startByte)
        .integer(chunk.endByte)
        .blob(chunk.gzippedData)
        .integer(nowMillis);
    if (b.step() != SQLITE_DONE) {
      Error error = sqliteError("insert execution_logs \"" + name + "\"");
      undo();
      return error;
    }
  }
  Bound release(statements_[kRelease]);
  if (release.step() != SQLITE_DONE) {
    Error error = sqliteError("commit log upload");
    undo();
    return error;
  }
  return okResult();
}

Result<void> SqliteStore::inBatch(const std::function<void()>& body) {
  std::lock_guard lock(mutex_);
  {
    Bound begin(statements_[kBegin]);
    if (begin.step() != SQLITE_DONE) {
      // No transaction: the writes still work, one commit each.
      body();
      return okResult();
    }
  }
  body();
  // Some errors (disk full, I/O) roll the whole transaction back; then nothing is durable.
  if (sqlite3_get_autocommit(db_) != 0) {
    return Error{"sqlite store \"" + path_.string() + "\": a batch of writes was rolled back"};
  }
  Bound commit(statements_[kCommit]);
  if (commit.step() != SQLITE_DONE) {
    Error error = sqliteError("commit a batch of writes");
    Bound rollback(statements_[kRollback]);
    rollback.step();
    return error;
  }
  return okResult();
}

Result<LogChunk> SqliteStore::fetchLogs(int execId, const std::string& name, int attempt,
                                        int64_t offset, int64_t length) {
  std::vector<StoredLogRow> rows;
  {
    std::lock_guard lock(mutex_);
    Bound b(statements_[kSelectLogs]);
    b.integer(execId).text(name).integer(attempt).integer(offset).integer(offset + length);
    int rc;
    while ((rc = b.step()) == SQLITE_ROW) {
      StoredLogRow row;
      row.encType = sqlite3_column_int(b.stmt(), 0);
      row.startByte = sqlite3_column_int64(b.stmt(), 1);
      row.endByte = sqlite3_column_int64(b.stmt(), 2);
      row.log = columnOptBlob(b.stmt(), 3).value_or("");
      rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) return sqliteError("select execution_logs");
  }
  return sliceLogRows(rows, offset, length);
}

Result<std::vector<ExecutionRow>> SqliteStore::readExecutionRows(sqlite3_stmt* s) {
  std::vector<ExecutionRow> rows;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    ExecutionRow r;
    r.execId = sqlite3_column_int(s, 0);
    r.projectId = sqlite3_column_int(s, 1);
    r.version = sqlite3_column_int(s, 2);
    r.flowId = columnText(s, 3);
    r.status = columnOptInt32(s, 4);
    r.submitUser = columnOptBlob(s, 5);
    r.submitTime = columnOptInt(s, 6);
    r.updateTime = columnOptInt(s, 7);
    r.startTime = columnOptInt(s, 8);
    r.endTime = columnOptInt(s, 9);
    r.encType = columnOptInt32(s, 10);
    r.flowData = columnOptBlob(s, 11);
    r.executorId = columnOptInt32(s, 12);
    r.useExecutor = columnOptInt32(s, 13);
    r.flowPriority = sqlite3_column_int(s, 14);
    rows.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return sqliteError("select execution_flows rows");
  return rows;
}

Result<std::vector<ExecutionRow>> SqliteStore::listExecutions() {
  std::lock_guard lock(mutex_);
  Bound b(statements_[kListFlows]);
  return readExecutionRows(b.stmt());
}

Result<std::optional<ExecutionRow>> SqliteStore::fetchExecutionRow(int execId) {
  std::lock_guard lock(mutex_);
  Bound b(statements_[kSelectFlowRow]);
  b.integer(execId);
  auto rows = readExecutionRows(b.stmt());
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<ExecutionRow>{};
  return std::optional<ExecutionRow>(std::move(rows->front()));
}

Result<std::vector<JobRow>> SqliteStore::fetchJobRows(int execId) {
  std::lock_guard lock(mutex_);
  Bound b(statements_[kSelectJobRows]);
  b.integer(execId);
  sqlite3_stmt* s = b.stmt();
  std::vector<JobRow> rows;
  int rc;
  while ((rc = b.step()) == SQLITE_ROW) {
    JobRow r;
    r.execId = sqlite3_column_int(s, 0);
    r.projectId = sqlite3_column_int(s, 1);
    r.version = sqlite3_column_int(s, 2);
    r.flowId = columnText(s, 3);
    r.jobId = columnText(s, 4);
    r.attempt = columnOptInt32(s, 5);
    r.startTime = columnOptInt(s, 6);
    r.endTime = columnOptInt(s, 7);
    r.status = columnOptInt32(s, 8);
    r.inputParams = columnOptBlob(s, 9);
    r.outputParams = columnOptBlob(s, 10);
    r.attachments = columnOptBlob(s, 11);
    rows.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return sqliteError("select execution_jobs rows");
  return rows;
}

Result<std::vector<LogRow>> SqliteStore::fetchLogRows(int execId) {
  std::lock_guard lock(mutex_);
  Bound b(statements_[kSelectLogRows]);
  b.integer(execId);
  sqlite3_stmt* s = b.stmt();
  std::vector<LogRow> rows;
  int rc;
  while ((rc = b.step()) == SQLITE_ROW) {
    LogRow r;
    r.execId = sqlite3_column_int(s, 0);
    r.name = columnText(s, 1);
    r.attempt = sqlite3_column_int(s, 2);
    r.encType = sqlite3_column_int(s, 3);
    r.startByte = sqlite3_column_int64(s, 4);
    r.endByte = sqlite3_column_int64(s, 5);
    r.log = columnOptBlob(s, 6).value_or("");
    r.uploadTime = sqlite3_column_int64(s, 7);
    rows.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return sqliteError("select execution_logs rows");
  return rows;
}

}  // namespace azx::store
