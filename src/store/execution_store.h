#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/props.h"
#include "core/result.h"
#include "flow/executable_flow.h"

namespace azx::store {

// A slice of an uploaded log (azkaban-wire 7): the bytes in [offset, offset + data.size()).
struct LogChunk {
  int64_t offset = 0;
  std::string data;
};

// One F2 write with the document already serialised, so the engine can hand it over without
// copying the whole execution.
struct FlowRowUpdate {
  int execId = -1;
  Status status = Status::Ready;
  int64_t updateTime = -1;
  int64_t startTime = -1;
  int64_t endTime = -1;
  std::string flowDataText;  // flow_data JSON (gzipped by the store)
};
FlowRowUpdate makeFlowRowUpdate(const flow::ExecutableFlow& flow);

// What the executor records about executions, with the logical model of Azkaban's
// execution_flows / execution_jobs / execution_logs tables (azkaban-wire 4.4). Implemented by
// the embedded SQLite store and the MySQL store. Methods are called from the store writer
// thread (not the engine loop) and may block; implementations are thread-safe.
class ExecutionStore {
 public:
  virtual ~ExecutionStore() = default;

  // Creates the execution row the way the web server does at submission, assigning
  // flow.executionId. Used by local runs; the server path receives rows made by the web.
  virtual Result<int> createExecution(flow::ExecutableFlow& flow, int64_t nowMillis) = 0;
  // F1: the stored flow_data of an execution, nullopt when there is no such row.
  virtual Result<std::optional<std::unique_ptr<flow::ExecutableFlow>>> fetchExecutableFlow(
      int execId) = 0;
  // F2: status, update/start/end time and the whole flow_data document (gzip JSON).
  virtual Result<void> updateFlowRow(const FlowRowUpdate& row) = 0;
  Result<void> updateExecutableFlow(const flow::ExecutableFlow& flow) {
    return updateFlowRow(makeFlowRowUpdate(flow));
  }

  // J1: a job attempt really starts. `inputProps` is the property chain as assembled by the flow.
  virtual Result<void> uploadExecutableNode(const flow::ExecutableFlow& flow,
                                            const flow::ExecutableNode& node,
                                            const PropsPtr& inputProps) = 0;
  // J2: times, status and output properties of the attempt `node.attempt`.
  virtual Result<void> updateExecutableNode(const flow::ExecutableFlow& flow,
                                            const flow::ExecutableNode& node) = 0;
  // J3: the attachment file's text.
  virtual Result<void> uploadAttachmentFile(const flow::ExecutableFlow& flow,
                                            const flow::ExecutableNode& node,
                                            const std::filesystem::path& file) = 0;

  // L1: the files of one log (oldest first) as 51,200-byte gzipped chunks. `name` is the job's
  // nested id, or "" for the flow log.
  virtual Result<void> uploadLogFiles(int execId, const std::string& name, int attempt,
                                      const std::vector<std::filesystem::path>& files,
                                      int64_t nowMillis) = 0;
  // Reads back [offset, offset + length) of an uploaded log; data is empty past the end.
  virtual Result<LogChunk> fetchLogs(int execId, const std::string& name, int attempt,
                                     int64_t offset, int64_t length) = 0;

  // Runs the writes that `body` makes as one transaction where the store has a cheap one
  // (SQLite: one commit instead of one per row); by default they commit one by one. `body`
  // stops at its first failed write. Success means every write that succeeded is durable; an
  // error means none of them is, and the caller may run them again.
  virtual Result<void> inBatch(const std::function<void()>& body) {
    body();
    return okResult();
  }
};

using ExecutionStorePtr = std::shared_ptr<ExecutionStore>;

}  // namespace azx::store
