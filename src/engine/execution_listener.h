#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "core/props.h"
#include "flow/executable_flow.h"

namespace azx::engine {

// Azkaban's executor events (flow-semantics 4.16).
enum class EventType { FlowStarted, FlowFinished, JobStarted, JobStatusChanged, JobFinished };

// Read-only observer of executions: persistence, progress output, metrics and tests plug in
// here, so the engine never knows about a database. Called on the engine loop thread; the
// references are valid only during the call.
class ExecutionListener {
 public:
  virtual ~ExecutionListener() = default;

  virtual void onEvent(EventType /*type*/, const flow::ExecutableFlow& /*flow*/,
                       const flow::ExecutableNode& /*node*/) {}
  // The flow document changed at one of Azkaban's write points (azkaban-wire 9.2).
  virtual void onFlowUpdated(const flow::ExecutableFlow& /*flow*/) {}
  // J1: an attempt really starts, with the chain the flow assembled.
  virtual void onJobAttemptStarted(const flow::ExecutableFlow& /*flow*/,
                                   const flow::ExecutableNode& /*node*/,
                                   const PropsPtr& /*inputProps*/) {}
  // J2: the attempt became RUNNING.
  virtual void onJobUpdated(const flow::ExecutableFlow& /*flow*/,
                            const flow::ExecutableNode& /*node*/) {}
  // End of an attempt: log pieces (oldest first) and the attachment file if written; then J2.
  virtual void onJobAttemptFinished(const flow::ExecutableFlow& /*flow*/,
                                    const flow::ExecutableNode& /*node*/,
                                    const std::vector<std::filesystem::path>& /*logFiles*/,
                                    const std::optional<std::filesystem::path>& /*attachment*/) {}
  // The flow reached its final status; `flowLog` is closed and complete.
  virtual void onFlowFinished(const flow::ExecutableFlow& /*flow*/,
                              const std::filesystem::path& /*flowLog*/) {}
};

}  // namespace azx::engine
