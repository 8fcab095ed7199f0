#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "engine/execution_listener.h"
#include "engine/job_runner.h"
#include "engine/log_file.h"
#include "engine/node_props_source.h"
#include "flow/executable_flow.h"

namespace azx::engine {

// Alerts the executor itself sends in poll mode (flow-semantics 4.16).
class Alerter {
 public:
  virtual ~Alerter() = default;
  virtual void alertOnFirstError(const flow::ExecutableFlow& flow) = 0;
  virtual void alertOnError(const flow::ExecutableFlow& flow,
                            const std::vector<std::string>& reasons) = 0;
  virtual void alertOnSuccess(const flow::ExecutableFlow& flow) = 0;
};

// How a flow runner sees the execution it is pipelined behind (flow-semantics 4.12).
class PipelineView {
 public:
  virtual ~PipelineView() = default;
  // The other execution's node status, or nullopt when it does not exist there.
  virtual std::optional<Status> nodeStatus(const std::string& nestedId) const = 0;
  // True when a flow level containing the node is SKIPPED or DISABLED.
  virtual bool inSkippedLevel(const std::string& nestedId) const = 0;
  virtual bool executionFinished() const = 0;
};

struct FlowRunnerConfig {
  JobRunnerConfig job;
  int maxJobThreads = 10;  // executor key flow.num.job.threads
  bool pollModel = false;  // azkaban.poll.model
};

struct FlowRunnerDeps {
  EventLoop* loop = nullptr;
  const Clock* clock = nullptr;
  const jobtypes::JobTypeRegistry* registry = nullptr;
  const jobtypes::JobTypePlugins* plugins = nullptr;
  Alerter* alerter = nullptr;
  FlowRunnerConfig config;
};

// Runs one execution (flow-semantics 4): readiness, failure actions, retries, conditions,
// embedded flows, pause/resume/kill and retry-failures, as Azkaban 3.81's FlowRunner, but as
// an event-driven state machine on the loop thread instead of a thread per flow.
class FlowRunner final : public JobRunnerHost {
 public:
  FlowRunner(FlowRunnerDeps deps, std::unique_ptr<flow::ExecutableFlow> flow,
             std::shared_ptr<NodePropsSource> propsSource, std::filesystem::path executionDir);
  ~FlowRunner() override;

  void addListener(ExecutionListener* listener) { listeners_.push_back(listener); }
  // Called once the flow has finished and every listener has seen onFlowFinished.
  void setOnFinished(std::function<void(FlowRunner&)> callback) {
    onFinished_ = std::move(callback);
  }
  void setPipelineView(const PipelineView* view) { pipelineView_ = view; }

  void start();
  void kill(const std::string& user);
  Result<void> pause(const std::string& user);
  void resume(const std::string& user);
  void retryFailures(const std::string& user);
  // The pipelined execution changed: blocked jobs re-check their watch lists.
  void pipelineChanged();

  const flow::ExecutableFlow& flow() const { return *flow_; }
  flow::ExecutableFlow& mutableFlow() { return *flow_; }
  int executionId() const { return flow_->executionId; }
  bool finished() const { return ended_; }
  bool paused() const { return paused_; }
  bool killed() const { return killed_; }
  const std::filesystem::path& flowLogPath() const { return flowLogPath_; }
  const std::filesystem::path& executionDir() const { return executionDir_; }
  // Job runners still alive (for `log` while running and for tests).
  std::vector<const JobRunner*> activeRunners() const;

  // JobRunnerHost
  void onJobEvent(JobRunner& runner, EventType type) override;
  void onJobAttemptStarted(JobRunner& runner, const PropsPtr& inputProps) override;
  void onJobUpdated(JobRunner& runner) override;
  void onJobAttemptFinished(JobRunner& runner, const std::vector<std::filesystem::path>& logFiles,
                            const std::optional<std::filesystem::path>& attachment) override;
  bool pipelineBlocks(JobRunner& runner) override;

 private:
  void schedulePass();
  void processPass();
  bool progressGraph();
  bool runReadyJob(flow::ExecutableNode& node);
  std::optional<Status> impliedStatus(flow::ExecutableNode& node);
  bool conditionOnJobStatusMet(const flow::ExecutableNode& node, bool* waiting) const;
  bool conditionMet(const flow::ExecutableNode& node);
  void runExecutableNode(flow::ExecutableNode& node);
  void prepareJobProperties(flow::ExecutableNode& node);
  PropsPtr collectOutputProps(const flow::ExecutableNode& node) const;
  bool retryJobIfPossible(flow::ExecutableNode& node);
  void setFlowFailed(flow::ExecutableNode& node);
  void propagateStatus(flow::ExecutableNode& level, Status status);
  bool readyToFinalize(const flow::ExecutableNode& flowNode) const;
  void finalizeFlow(flow::ExecutableNode& flowNode);
  void finishExecutableNode(flow::ExecutableNode& node);
  void killAll();
  void startQueuedRunners();
  void endFlow();
  void failFlow(const std::string& reason);
  void retryAllFailures();
  void resetFailedState(flow::ExecutableNode& flowNode,
                        std::vector<flow::ExecutableNode*>& restart);
  void updateFlow();
  void emit(EventType type, const flow::ExecutableNode& node);
  std::filesystem::path workingDirFor(const flow::ExecutableNode& node) const;
  std::vector<std::string> pipelineWatchList(const flow::ExecutableNode& node) const;
  int64_t now() const { return deps_.clock->nowMillis(); }

  FlowRunnerDeps deps_;
  std::unique_ptr<flow::ExecutableFlow> flow_;
  std::shared_ptr<NodePropsSource> propsSource_;
  std::filesystem::path executionDir_;
  std::filesystem::path flowLogPath_;
  std::unique_ptr<LogFile> log_;
  std::vector<ExecutionListener*> listeners_;
  std::function<void(FlowRunner&)> onFinished_;
  const PipelineView* pipelineView_ = nullptr;

  std::map<std::string, PropsPtr> sharedProps_;
  std::vector<flow::ExecutableNode*> finishedNodes_;
  std::map<const flow::ExecutableNode*, int64_t> pendingDelay_;
  // Per waiting node, the dependency that was unfinished at its last check. A wide fan-in is
  // checked once per finished dependency; starting at the last blocker keeps each check O(1)
  // instead of O(width).
  mutable std::map<const flow::ExecutableNode*, size_t> blockingDependency_;
  std::vector<std::unique_ptr<JobRunner>> runners_;  // active (queued, waiting or running)
  std::deque<JobRunner*> waitingForThread_;
  std::set<JobRunner*> blockedOnPipeline_;
  int runningCount_ = 0;
  int jobThreads_ = 10;
  FailureAction failureAction_ = FailureAction::FinishCurrentlyRunning;

  bool started_ = false;
  bool passScheduled_ = false;
  bool paused_ = false;
  bool killed_ = false;
  bool failed_ = false;  // failure mode (Azkaban's flowFailed)
  bool flowFinished_ = false;
  bool ended_ = false;
  bool retryRequested_ = false;
  bool firstErrorAlerted_ = false;
  int64_t lastUpdateTime_ = -1;
};

}  // namespace azx::engine
