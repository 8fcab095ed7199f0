#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "flow/executable_flow.h"

namespace azx::store {

// Raw column values of one execution_flows row (azkaban-wire 4.3), for tests and the CLI.
struct ExecutionRow {
  int execId = 0;
  int projectId = 0;
  int version = 0;
  std::string flowId;
  std::optional<int> status;
  std::optional<std::string> submitUser;
  std::optional<int64_t> submitTime;
  std::optional<int64_t> updateTime;
  std::optional<int64_t> startTime;
  std::optional<int64_t> endTime;
  std::optional<int> encType;
  std::optional<std::string> flowData;  // the stored blob (gzip when encType == 2)
  std::optional<int> executorId;
  std::optional<int> useExecutor;
  int flowPriority = 5;
};

// One execution_jobs row. Blob columns hold the stored (gzip) bytes.
struct JobRow {
  int execId = 0;
  int projectId = 0;
  int version = 0;
  std::string flowId;
  std::string jobId;
  std::optional<int> attempt;
  std::optional<int64_t> startTime;
  std::optional<int64_t> endTime;
  std::optional<int> status;
  std::optional<std::string> inputParams;
  std::optional<std::string> outputParams;
  std::optional<std::string> attachments;
};

// One execution_logs row.
struct LogRow {
  int execId = 0;
  std::string name;
  int attempt = 0;
  int encType = 0;
  int64_t startByte = 0;
  int64_t endByte = 0;
  std::string log;  // the stored (gzip) chunk
  int64_t uploadTime = 0;
};

// execution_jobs.flow_id of a job: its parent's flow path, "main" or "main,sub:subflow"
// (azkaban-wire 9.3).
std::string parentFlowPath(const flow::ExecutableNode& node);
// execution_logs.name of a job: ids below the root joined with ':' ("sub:jobB").
std::string nodeNestedId(const flow::ExecutableNode& node);

// Values the web derives from flowParameters when inserting a row (ExecutionFlowDao).
std::optional<int> useExecutorParam(const flow::ExecutableFlow& flow);
int flowPriorityParam(const flow::ExecutableFlow& flow);

// gzip(JSON) of a property chain for input_params/output_params; nullopt for no properties.
std::optional<std::string> encodePropsChain(const PropsPtr& props);

}  // namespace azx::store
