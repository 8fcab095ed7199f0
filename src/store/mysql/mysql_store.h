#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/execution_store.h"
#include "store/server_store.h"
#include "store/store_rows.h"

namespace azx::store {

struct MysqlRetryPolicy {
  // Total tries of one operation, the first included; 0 = retry forever (Java's behaviour).
  int maxAttempts = 40;
  // Back-off doubles from initial up to max between tries (Java: a flat 15 s).
  int initialBackoffMillis = 1000;
  int maxBackoffMillis = 15000;
};

struct MysqlConfig {
  std::string host = "localhost";
  int port = 3306;
  std::optional<std::string> unixSocket;  // used instead of host/port when set
  std::string database;
  std::string user;
  std::string password;  // never logged
  int numConnections = 10;
  MysqlRetryPolicy retry;
  int connectTimeoutSeconds = 10;
  // Socket read/write timeouts, so a dead server does not block a write forever.
  int readTimeoutSeconds = 60;
  int writeTimeoutSeconds = 60;
  // Refuse servers with @@global.read_only=1 (fail-over protection, azkaban-wire 4.1).
  bool rejectReadOnly = true;

  // "user@host:port/database" or "user@socket/database", without the password.
  std::string describe() const;
};

// Reads the mandatory Azkaban keys mysql.host, mysql.port, mysql.database, mysql.user,
// mysql.password and mysql.numconnections (azkaban-wire 4.1/8.2); a missing or malformed key
// is an error naming it. Retry and timeout settings keep their defaults.
Result<MysqlConfig> mysqlConfigFromProps(const Props& props);

// Called for every retry and reconnect; the message never contains the password.
using MysqlLogCallback = std::function<void(const std::string& message)>;

// Azkaban 3.81's MySQL schema through MariaDB Connector/C, prepared statements only. Issues
// exactly the statements of azkaban-wire 4.4 (E1-E4, F1-F4, J1-J3, L1, P1-P5; plus the web's
// INSERT for createExecution and the operator statements of `executors list/prune`). A lost
// connection is re-established and the operation retried with bounded back-off instead of
// being dropped. The ServerStore part lives in mysql_server_store.cc.
class MysqlStore final : public ExecutionStore, public ServerStore {
 public:
  // Connects once (with the retry policy) to validate the configuration.
  static Result<std::unique_ptr<MysqlStore>> open(const MysqlConfig& config,
                                                  MysqlLogCallback log = {});
  ~MysqlStore() override;
  MysqlStore(const MysqlStore&) = delete;
  MysqlStore& operator=(const MysqlStore&) = delete;

  // Creates the 3.81 tables that do not exist yet (indexes with their tables); existing
  // tables are left untouched, so it is safe to run repeatedly.
  Result<void> initSchema();

  Result<int> createExecution(flow::ExecutableFlow& flow, int64_t nowMillis) override;
  Result<std::optional<std::unique_ptr<flow::ExecutableFlow>>> fetchExecutableFlow(
      int execId) override;
  Result<void> updateFlowRow(const FlowRowUpdate& row) override;
  Result<void> uploadExecutableNode(const flow::ExecutableFlow& flow,
                                    const flow::ExecutableNode& node,
                                    const PropsPtr& inputProps) override;
  Result<void> updateExecutableNode(const flow::ExecutableFlow& flow,
                                    const flow::ExecutableNode& node) override;
  Result<void> uploadAttachmentFile(const flow::ExecutableFlow& flow,
                                    const flow::ExecutableNode& node,
                                    const std::filesystem::path& file) override;
  Result<void> uploadLogFiles(int execId, const std::string& name, int attempt,
                              const std::vector<std::filesystem::path>& files,
                              int64_t nowMillis) override;
  Result<LogChunk> fetchLogs(int execId, const std::string& name, int attempt, int64_t offset,
                             int64_t length) override;

  // ServerStore (mysql_server_store.cc).
  Result<std::optional<ExecutorRow>> fetchExecutor(const std::string& host, int port) override;
  Result<void> insertExecutor(const std::string& host, int port) override;
  Result<void> updateExecutor(int id, const std::string& host, int port, bool active) override;
  Result<int> deleteExecutor(const std::string& host, int port) override;
  Result<std::vector<ExecutorRow>> listExecutors() override;
  Result<void> deleteExecutorById(int id) override;
  Result<std::vector<UnfinishedExecution>> fetchUnfinishedExecutions(int executorId) override;
  Result<void> unassignExecutor(int execId, int64_t nowMillis) override;
  Result<std::optional<int>> claimQueuedExecution(int executorId, bool active,
                                                  int64_t nowMillis) override;
  Result<std::optional<ProjectVersionRow>> fetchProjectVersion(int projectId, int version) override;
  Result<void> fetchProjectFile(const ProjectVersionRow& version,
                                const std::filesystem::path& target) override;
  Result<std::optional<std::map<std::string, std::string>>> fetchJobOverride(
      int projectId, int version, const std::string& jobId) override;
  Result<std::optional<std::string>> fetchFlowFile(int projectId, int version,
                                                   const std::string& flowFileName) override;

  // What the 3.81 web's finaliser does to an execution whose executor is gone (azkaban-wire
  // 2.3.5): F1; if not SUCCEEDED/FAILED/KILLED, top-level nodes that did not finish become
  // FAILED (READY ones KILLING), missing times become `nowMillis`, the flow FAILED; F2; then
  // the execution's active_executing_flows row is deleted. Unfinished execution_jobs rows
  // become FAILED as well (the web leaves them RUNNING). An execution no executor started
  // (PREPARING, no start time) is an error and left alone: a web may be dispatching it.
  // For `executors prune`.
  Result<void> finalizeOrphanedExecution(int execId, int64_t nowMillis);

  // Read-back helpers for tests and the CLI (not statements the Java executor issues).
  Result<std::vector<ExecutionRow>> listExecutions();
  Result<std::optional<ExecutionRow>> fetchExecutionRow(int execId);
  Result<std::vector<JobRow>> fetchJobRows(int execId);
  Result<std::vector<LogRow>> fetchLogRows(int execId);

  const MysqlConfig& config() const { return config_; }
  // Number of retries performed so far (all operations); for tests and metrics.
  uint64_t retryCount() const;

  class Connection;
  struct Param;
  struct Cell;
  using Row = std::vector<Cell>;

 private:
  MysqlStore(MysqlConfig config, MysqlLogCallback log);

  std::unique_ptr<Connection> borrow();
  void giveBack(std::unique_ptr<Connection> connection);
  // Runs `op` on a pooled connection; on connection loss reconnects and retries per policy.
  // With `duplicateMeansDone`, a duplicate-key error on a retry counts as success (the lost
  // reply belonged to a write that did commit).
  Result<void> withRetry(const std::string& what, bool duplicateMeansDone,
                         const std::function<Result<void>(Connection&)>& op);
  Result<std::vector<Row>> query(const std::string& what, const std::string& sql,
                                 const std::vector<Param>& params);

  MysqlConfig config_;
  MysqlLogCallback log_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int created_ = 0;
  uint64_t retries_ = 0;
};

}  // namespace azx::store
