#include "engine/engine.h"

namespace azx::engine {

// Lets a pipelined execution see the execution it waits for, while that one runs or after.
class Engine::PipelineLink final : public PipelineView {
 public:
  PipelineLink(const Engine& engine, int watchedExecId)
      : engine_(engine), watched_(watchedExecId) {}

  std::optional<Status> nodeStatus(const std::string& nestedId) const override {
    const flow::ExecutableNode* node = find(nestedId);
    if (!node) return std::nullopt;
    return node->status;
  }
  bool inSkippedLevel(const std::string& nestedId) const override {
    const flow::ExecutableNode* node = find(nestedId);
    for (const flow::ExecutableNode* level = node ? node->parent : nullptr; level;
         level = level->parent) {
      if (level->status == Status::Skipped || level->status == Status::Disabled) return true;
    }
    return false;
  }
  bool executionFinished() const override {
    FlowRunner* runner = engine_.find(watched_);
    return runner == nullptr || runner->finished();
  }

 private:
  const flow::ExecutableNode* find(const std::string& nestedId) const {
    if (FlowRunner* runner = engine_.find(watched_)) {
      return runner->flow().root.findByNestedId(nestedId);
    }
    return nullptr;
  }

  const Engine& engine_;
  int watched_;
};

// Wakes the executions pipelined behind one whose nodes finish.
class Engine::PipelineNotifier final : public ExecutionListener {
 public:
  explicit PipelineNotifier(Engine& engine) : engine_(engine) {}
  void onEvent(EventType type, const flow::ExecutableFlow& flow,
               const flow::ExecutableNode& /*node*/) override {
    if (type != EventType::JobFinished && type != EventType::FlowFinished) return;
    int execId = flow.executionId;
    engine_.deps_.loop->post([this, execId] {
      for (FlowRunner* runner : engine_.running()) {
        if (runner->flow().options.pipelineExecId == execId) runner->pipelineChanged();
      }
    });
  }

 private:
  Engine& engine_;
};

Engine::Engine(FlowRunnerDeps deps)
    : deps_(std::move(deps)), notifier_(std::make_unique<PipelineNotifier>(*this)) {}

Engine::~Engine() = default;

Result<FlowRunner*> Engine::submit(Submission submission) {
  const int execId = submission.flow->executionId;
  if (runners_.count(execId) > 0) {
    return Error{"Execution " + std::to_string(execId) + " is already running"};
  }
  auto runner = std::make_unique<FlowRunner>(deps_, std::move(submission.flow),
                                             std::move(submission.propsSource),
                                             std::move(submission.executionDir));
  for (auto* listener : submission.listeners) runner->addListener(listener);
  runner->addListener(notifier_.get());
  if (auto pipelineId = runner->flow().options.pipelineExecId) {
    auto link = std::make_unique<PipelineLink>(*this, *pipelineId);
    runner->setPipelineView(link.get());
    links_[execId] = std::move(link);
  }
  auto onFinished = std::move(submission.onFinished);
  runner->setOnFinished([this, onFinished](FlowRunner& done) {
    int id = done.executionId();
    if (onFinished) onFinished(done);
    // Executions pipelined behind this one were woken by its FlowFinished event (notifier_);
    // once it is gone their views see a finished execution.
    deps_.loop->post([this, id] {
      links_.erase(id);
      runners_.erase(id);
    });
  });
  FlowRunner* raw = runner.get();
  runners_[execId] = std::move(runner);
  raw->start();
  return raw;
}

FlowRunner* Engine::find(int execId) const {
  auto it = runners_.find(execId);
  return it == runners_.end() ? nullptr : it->second.get();
}

std::vector<FlowRunner*> Engine::running() const {
  std::vector<FlowRunner*> result;
  for (const auto& [id, runner] : runners_) result.push_back(runner.get());
  return result;
}

}  // namespace azx::engine
