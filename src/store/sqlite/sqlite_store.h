#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "store/execution_store.h"
#include "store/store_rows.h"

struct sqlite3;
struct sqlite3_stmt;

namespace azx::store {

// The embedded default store: one SQLite file in WAL mode whose tables mirror Azkaban's
// execution_flows / execution_jobs / execution_logs (same columns and keys, SQLite types).
// One connection guarded by a mutex; statements are prepared once at open.
class SqliteStore final : public ExecutionStore {
 public:
  struct Options {
    int busyTimeoutMillis = 5000;
  };

  // Opens (creating when missing) the database file and its tables. A file left by a crashed
  // process (stale -wal/-shm, rows still RUNNING) opens normally: SQLite replays the WAL.
  static Result<std::unique_ptr<SqliteStore>> open(const std::filesystem::path& file,
                                                   const Options& options);
  static Result<std::unique_ptr<SqliteStore>> open(const std::filesystem::path& file) {
    return open(file, Options{});
  }
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

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
  Result<void> inBatch(const std::function<void()>& body) override;

  // Read-back helpers for tests and the CLI, ordered by their keys.
  Result<std::vector<ExecutionRow>> listExecutions();
  Result<std::optional<ExecutionRow>> fetchExecutionRow(int execId);
  Result<std::vector<JobRow>> fetchJobRows(int execId);
  Result<std::vector<LogRow>> fetchLogRows(int execId);

  const std::filesystem::path& path() const { return path_; }

 private:
  enum StatementId {
    kInsertFlow,
    kSelectFlow,
    kUpdateFlow,
    kInsertJob,
    kUpdateJob,
    kUpdateAttachment,
    kInsertLog,
    kSelectLogs,
    kListFlows,
    kSelectFlowRow,
    kSelectJobRows,
    kSelectLogRows,
    kBegin,
    kCommit,
    kRollback,
    kSavepoint,
    kRelease,
    kRollbackToSavepoint,
    kStatementCount
  };

  SqliteStore(sqlite3* db, std::filesystem::path path);
  Result<void> prepareAll();
  Result<void> updateFlowLocked(const FlowRowUpdate& row);
  Result<std::vector<ExecutionRow>> readExecutionRows(sqlite3_stmt* stmt);
  Error sqliteError(const std::string& what) const;

  // Recursive: inBatch holds it across the writes it groups, and each write takes it too.
  std::recursive_mutex mutex_;
  sqlite3* db_;
  std::filesystem::path path_;
  sqlite3_stmt* statements_[kStatementCount] = {};
};

}  // namespace azx::store
