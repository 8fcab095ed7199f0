#pragma once

#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "engine/flow_runner.h"

namespace azx::engine {

// Owns the flow runners of one executor on one event loop (Azkaban's FlowRunnerManager):
// starts them, finds them by execution id, and links pipelined executions. Loop thread only.
class Engine {
 public:
  explicit Engine(FlowRunnerDeps deps);
  ~Engine();

  struct Submission {
    std::unique_ptr<flow::ExecutableFlow> flow;
    std::shared_ptr<NodePropsSource> propsSource;
    std::filesystem::path executionDir;
    std::vector<ExecutionListener*> listeners;
    // After the flow finished and its listeners saw it; the runner is destroyed right after.
    std::function<void(const FlowRunner&)> onFinished;
  };
  // Starts the execution; error when one with the same id is running.
  Result<FlowRunner*> submit(Submission submission);

  FlowRunner* find(int execId) const;
  std::vector<FlowRunner*> running() const;

 private:
  class PipelineLink;
  class PipelineNotifier;

  FlowRunnerDeps deps_;
  std::map<int, std::unique_ptr<FlowRunner>> runners_;
  std::map<int, std::unique_ptr<PipelineLink>> links_;
  std::unique_ptr<PipelineNotifier> notifier_;
};

}  // namespace azx::engine
