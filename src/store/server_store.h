#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace azx::store {

struct ExecutorRow {
  int id = 0;
  std::string host;
  int port = 0;
  bool active = false;
};

struct ProjectVersionRow {
  int projectId = 0;
  int version = 0;
  int64_t uploadTime = 0;
  std::string uploader;
  std::string fileType;
  std::string fileName;
  std::string md5;  // 16 raw bytes
  int numChunks = 0;
  std::optional<std::string> resourceId;
  std::optional<std::string> startupDependencies;
};

struct UnfinishedExecution {
  int execId = 0;
  int status = 0;
  std::optional<int> executorId;
};

// What the executor server reads and writes besides executions (azkaban-wire 4.4): its own
// `executors` row (E1–E4), releasing and claiming executions (F3, F4), and project versions
// (P1–P5). Implemented on MySQL; thread-safe; calls may block.
class ServerStore {
 public:
  virtual ~ServerStore() = default;

  // E1
  virtual Result<std::optional<ExecutorRow>> fetchExecutor(const std::string& host, int port) = 0;
  // E2
  virtual Result<void> insertExecutor(const std::string& host, int port) = 0;
  // E3
  virtual Result<void> updateExecutor(int id, const std::string& host, int port, bool active) = 0;
  // E4; returns the rows deleted
  virtual Result<int> deleteExecutor(const std::string& host, int port) = 0;
  // Operator tooling (executors list / prune), not statements of the Java executor.
  virtual Result<std::vector<ExecutorRow>> listExecutors() = 0;
  virtual Result<void> deleteExecutorById(int id) = 0;
  // Executions whose status is not SUCCEEDED/KILLED/FAILED and that name `executorId`.
  virtual Result<std::vector<UnfinishedExecution>> fetchUnfinishedExecutions(int executorId) = 0;

  // F3: hands an execution back to the web's queue.
  virtual Result<void> unassignExecutor(int execId, int64_t nowMillis) = 0;
  // F4: claims the next queued execution in one transaction (azkaban-wire 2.4 step 4).
  virtual Result<std::optional<int>> claimQueuedExecution(int executorId, bool active,
                                                          int64_t nowMillis) = 0;

  // P1
  virtual Result<std::optional<ProjectVersionRow>> fetchProjectVersion(int projectId,
                                                                       int version) = 0;
  // P2: the archive's chunks in order, written to `target`.
  virtual Result<void> fetchProjectFile(const ProjectVersionRow& version,
                                        const std::filesystem::path& target) = 0;
  // P3: the `<jobId>.jor` override as a property map, nullopt when there is none.
  virtual Result<std::optional<std::map<std::string, std::string>>> fetchJobOverride(
      int projectId, int version, const std::string& jobId) = 0;
  // P4 + P5: the newest stored text of a `.flow` file, nullopt when there is none.
  virtual Result<std::optional<std::string>> fetchFlowFile(int projectId, int version,
                                                           const std::string& flowFileName) = 0;
};

}  // namespace azx::store
