#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/status.h"

namespace azx::api {

struct FileSlice {
  int64_t offset = 0;
  std::string data;  // whole UTF-8 characters only
};

struct ExecutorStatistics {
  double remainingMemoryPercent = 0;
  int64_t remainingMemoryInMB = 0;
  int remainingFlowCapacity = 0;
  int numberOfAssignedFlows = 0;
  int64_t lastDispatchedTime = 0;
  double cpuUsage = 0;
};

struct OwnRow {
  int id = 0;
  bool active = false;
};

// What the HTTP API needs from the executor. Implemented by the server; every method may be
// called from any HTTP worker thread and may block. Errors carry the exact message Azkaban's
// servlet would put into {"error": ...}.
class ExecutorBackend {
 public:
  virtual ~ExecutorBackend() = default;

  virtual Result<void> execute(int execId) = 0;
  virtual Result<void> cancel(int execId, const std::string& user) = 0;
  virtual Result<void> pause(int execId, const std::string& user) = 0;
  virtual Result<void> resume(int execId, const std::string& user) = 0;
  virtual Result<void> retryFailures(int execId, const std::string& user) = 0;
  // Section 5.8 delta per id, or {"error":"Flow does not exist","executionId":id}; nothing for
  // executions not updated since the given time.
  virtual std::vector<nlohmann::json> update(const std::vector<int>& execIds,
                                             const std::vector<int64_t>& updateTimes) = 0;
  // Flow log (jobId empty) or job log of a running execution, from the local file.
  virtual Result<FileSlice> readLog(int execId, const std::string& jobId, int attempt,
                                    int64_t offset, int64_t length) = 0;
  virtual Result<FileSlice> readMetadata(int execId, const std::string& jobId, int attempt,
                                         int64_t offset, int64_t length) = 0;
  // The attachment file's JSON, or null when the job wrote none.
  virtual Result<nlohmann::json> attachments(int execId, const std::string& jobId, int attempt) = 0;
  // Status and update time of a running or recently finished execution.
  virtual std::optional<std::pair<Status, int64_t>> status(int execId) = 0;

  virtual Result<void> setActive(bool active) = 0;
  virtual Result<OwnRow> ownRow() = 0;
  virtual Result<void> shutdown() = 0;
  virtual Result<void> reloadJobTypePlugins() = 0;
  virtual ExecutorStatistics statistics(bool fresh) = 0;

  // For /jmx and /metrics.
  virtual std::vector<int> runningExecutionIds() = 0;
  virtual std::vector<int> queuedExecutionIds() = 0;
  virtual std::string prometheusMetrics() = 0;
  virtual bool healthy(std::string* why) = 0;
};

}  // namespace azx::api
