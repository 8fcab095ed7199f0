#include "engine/flow_runner.h"

#include <algorithm>

#include "core/condition_expression.h"
#include "engine/flow_properties.h"

namespace azx::engine {
namespace {

void appendUnique(std::vector<flow::ExecutableNode*>& nodes, flow::ExecutableNode* node) {
  if (node && std::find(nodes.begin(), nodes.end(), node) == nodes.end()) nodes.push_back(node);
}

ConditionOnJobStatus conditionOf(const flow::ExecutableNode& node) {
  return node.conditionOnJobStatus.value_or(ConditionOnJobStatus::AllSuccess);
}

}  // namespace

FlowRunner::FlowRunner(FlowRunnerDeps deps, std::unique_ptr<flow::ExecutableFlow> flow,
                       std::shared_ptr<NodePropsSource> propsSource,
                       std::filesystem::path executionDir)
    : deps_(std::move(deps)),
      flow_(std::move(flow)),
      propsSource_(std::move(propsSource)),
      // Absolute once: job paths below it are made absolute per job, each a getcwd otherwise.
      executionDir_(std::filesystem::absolute(executionDir)) {
  failureAction_ = flow_->options.failureAction;
  jobThreads_ = deps_.config.maxJobThreads;
  auto threads = flow_->options.flowParameters.find("flow.num.job.threads");
  if (threads != flow_->options.flowParameters.end()) {
    try {
      int requested = std::stoi(threads->second);
      if (requested > 0 && requested <= deps_.config.maxJobThreads) jobThreads_ = requested;
    } catch (...) {
      // Azkaban ignores a malformed value and keeps the default.
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(executionDir_, ec);
  const std::string rootId = flow_->flowId();
  flowLogPath_ =
      executionDir_ / ("_flow." + std::to_string(flow_->executionId) + "." + rootId + ".log");
  std::filesystem::remove(flowLogPath_, ec);  // created truncated, as Azkaban does
  log_ = std::make_unique<LogFile>(flowLogPath_, std::to_string(flow_->executionId) + "." + rootId,
                                   *deps_.clock, LogLayout(), LogFile::kDefaultMaxBytes,
                                   LogFile::kDefaultBackups, deps_.loop);
}

FlowRunner::~FlowRunner() = default;

std::vector<const JobRunner*> FlowRunner::activeRunners() const {
  std::vector<const JobRunner*> result;
  for (const auto& runner : runners_) result.push_back(runner.get());
  return result;
}

void FlowRunner::emit(EventType type, const flow::ExecutableNode& node) {
  for (auto* listener : listeners_) listener->onEvent(type, *flow_, node);
}

void FlowRunner::updateFlow() {
  // updateTime is non-decreasing per execution: the web filters `update` on it.
  int64_t t = std::max(now(), lastUpdateTime_);
  lastUpdateTime_ = t;
  flow_->root.updateTime = t;
  for (auto* listener : listeners_) listener->onFlowUpdated(*flow_);
}

void FlowRunner::schedulePass() {
  if (passScheduled_ || ended_) return;
  passScheduled_ = true;
  deps_.loop->post([this] {
    passScheduled_ = false;
    processPass();
  });
}

void FlowRunner::start() {
  if (started_) return;
  started_ = true;
  flow::ExecutableNode& root = flow_->root;
  log_->info("Running execid:" + std::to_string(flow_->executionId) + " flow:" + flow_->flowId() +
             " project:" + std::to_string(flow_->projectId) +
             " version:" + std::to_string(flow_->version));
  if (flow_->options.pipelineExecId) {
    log_->info("Running simulateously with " + std::to_string(*flow_->options.pipelineExecId) +
               ". Pipelining level " + std::to_string(flow_->options.pipelineLevel.value_or(1)));
  }
  log_->info("Updating initial flow directory.");
  log_->info("Fetching job and shared properties.");

  // Root input props (flow-semantics 2.2): flow parameters -> 2.0 root config -> built-ins.
  int64_t startMillis = now();
  PropsPtr props = commonFlowProperties(*flow_, startMillis);
  if (PropsPtr config = propsSource_->rootFlowConfig(flow_->flowId())) {
    config->setParent(props);
    props = config;
  }
  if (!flow_->options.flowParameters.empty()) {
    props = Props::fromMap(flow_->options.flowParameters, props, "flowParameters");
  }
  root.inputProps = props;
  root.startTime = startMillis;
  updateFlow();
  // Flow 2.0 keeps its config in the YAML file named by the flow-props entry: there are no
  // shared .properties files to load (Azkaban's loadAllProperties is 1.0 only).
  if (flow_->azkabanFlowVersion < 2.0)
    sharedProps_ = propsSource_->loadSharedProps(root.properties);
  emit(EventType::FlowStarted, root);

  log_->info("Starting flows");
  runReadyJob(root);
  updateFlow();
  schedulePass();
}

void FlowRunner::processPass() {
  if (ended_) return;
  if (!paused_) {
    if (retryRequested_) {
      retryAllFailures();
    } else {
      progressGraph();
    }
  }
  if (flowFinished_) endFlow();
}

bool FlowRunner::progressGraph() {
  std::vector<flow::ExecutableNode*> finished;
  finished.swap(finishedNodes_);
  std::vector<flow::ExecutableNode*> toCheck;
  // Failures of the pass first: when a failure and the flow's last success arrive together,
  // the flow ends FAILED whatever order they were reported in (Java's outcome there depends on
  // that order and can be KILLED).
  std::vector<flow::ExecutableNode*> retried;
  for (flow::ExecutableNode* node : finished) {
    if (!node->parent || node->status != Status::Failed) continue;
    if (retryJobIfPossible(*node)) {
      retried.push_back(node);
      appendUnique(toCheck, node);
    } else {
      setFlowFailed(*node);
    }
  }
  for (flow::ExecutableNode* node : finished) {
    std::vector<std::string> outNodeIds = node->outNodes;
    flow::ExecutableNode* parentFlow = node->parent;
    if (!parentFlow) continue;  // the root itself was finalised
    if (std::find(retried.begin(), retried.end(), node) != retried.end()) continue;
    // A finished job's inputs are read by no one any more (a retry rebuilds them); a flow's
    // stay, its children inherit them.
    if (!node->isFlow()) node->inputProps.reset();

    if (outNodeIds.empty() && readyToFinalize(*parentFlow)) {
      finalizeFlow(*parentFlow);
      finishExecutableNode(*parentFlow);
      if (!parentFlow->isRoot()) {
        outNodeIds = parentFlow->outNodes;
        parentFlow = parentFlow->parent;
      }
    }
    for (const auto& id : outNodeIds) appendUnique(toCheck, parentFlow->findChild(id));
  }

  bool jobsRun = false;
  for (flow::ExecutableNode* node : toCheck) {
    if (isFinished(node->status) || isRunning(node->status) || node->status == Status::Killing) {
      continue;
    }
    jobsRun |= runReadyJob(*node);
  }
  if (jobsRun || !finished.empty()) {
    updateFlow();
    return true;
  }
  return false;
}

bool FlowRunner::conditionOnJobStatusMet(const flow::ExecutableNode& node, bool* waiting) const {
  *waiting = false;
  const flow::ExecutableNode* parent = node.parent;
  if (!parent) return true;
  bool anySucceeded = false;
  bool anyFailed = false;
  const size_t count = node.inNodes.size();
  auto hint = blockingDependency_.find(&node);
  const size_t first = hint != blockingDependency_.end() && hint->second < count ? hint->second : 0;
  for (size_t k = 0; k < count; ++k) {
    const size_t i = (first + k) % count;
    const flow::ExecutableNode* in = parent->findChild(node.inNodes[i]);
    if (!in) continue;
    if (!isFinished(in->status)) {
      blockingDependency_[&node] = i;
      *waiting = true;
      return false;
    }
    anySucceeded |= isSucceeded(in->status);
    anyFailed |= isFailed(in->status);
  }
  if (hint != blockingDependency_.end()) blockingDependency_.erase(hint);
  switch (conditionOf(node)) {
    case ConditionOnJobStatus::AllSuccess:
      return !anyFailed;
    case ConditionOnJobStatus::AllFailed:
      return !anySucceeded;
    case ConditionOnJobStatus::AllDone:
      return true;
    case ConditionOnJobStatus::OneSuccess:
      return anySucceeded;
    case ConditionOnJobStatus::OneFailed:
      return anyFailed;
  }
  return true;
}

bool FlowRunner::conditionMet(const flow::ExecutableNode& node) {
  if (!node.condition || node.condition->empty()) return true;
  const flow::ExecutableNode* parent = node.parent;
  std::string resolved = substituteConditionReferences(
      *node.condition,
      [parent](const std::string& job, const std::string& param) -> std::optional<std::string> {
        const flow::ExecutableNode* sibling = parent ? parent->findChild(job) : nullptr;
        if (!sibling || !sibling->outputProps) return std::nullopt;
        return sibling->outputProps->get(param);
      });
  log_->info("Resolved condition of " + node.id + " is " + resolved);
  bool result = evaluateConditionExpression(resolved);
  log_->info(std::string("Condition is evaluated to ") + (result ? "true" : "false"));
  return result;
}

std::optional<Status> FlowRunner::impliedStatus(flow::ExecutableNode& node) {
  if (isRunning(node.status) || node.status == Status::Succeeded) return std::nullopt;
  bool waiting = false;
  bool cancelled = false;
  if (!conditionOnJobStatusMet(node, &waiting)) {
    if (waiting) return std::nullopt;
    log_->info("Condition on job status: " + std::string(toString(conditionOf(node))) +
               " is evaluated to false for " + node.id);
    cancelled = true;
  }
  if (!cancelled && !conditionMet(node)) cancelled = true;
  if (node.status == Status::Disabled || node.status == Status::Skipped) return Status::Skipped;
  if (cancelled) return Status::Cancelled;
  if (failed_ && failureAction_ == FailureAction::FinishCurrentlyRunning) return Status::Cancelled;
  if (killed_) return Status::Cancelled;
  return Status::Ready;
}

bool FlowRunner::runReadyJob(flow::ExecutableNode& node) {
  if (isFinished(node.status) || isRunning(node.status)) return false;
  auto next = impliedStatus(node);
  if (!next) return false;
  int64_t t = now();
  if (*next == Status::Cancelled) {
    if (node.isRoot()) {
      log_->info("Flow '" + node.flowId + "' was cancelled before execution had started.");
      finalizeFlow(node);
    } else {
      log_->info("Cancelling '" + node.nestedId() + "' due to prior errors.");
      node.status = node.status == Status::Disabled ? Status::Skipped : Status::Cancelled;
      node.startTime = node.endTime = node.updateTime = t;
      finishExecutableNode(node);
    }
  } else if (*next == Status::Skipped) {
    log_->info("Skipping disabled job '" + node.id + "'.");
    node.status = Status::Skipped;
    node.startTime = node.endTime = node.updateTime = t;
    finishExecutableNode(node);
  } else if (node.isFlow()) {
    log_->info("Running flow '" + node.nestedId() + "'.");
    node.status = Status::Running;
    node.updateTime = t;
    if (node.startTime <= 0) node.startTime = t;
    prepareJobProperties(node);
    for (flow::ExecutableNode* start : node.startNodes()) runReadyJob(*start);
  } else {
    runExecutableNode(node);
  }
  return true;
}

void FlowRunner::prepareJobProperties(flow::ExecutableNode& node) {
  if (node.isRoot()) return;
  PropsPtr props;
  if (flow_->azkabanFlowVersion < 2.0 && !node.isFlow() && node.propSource) {
    auto shared = sharedProps_.find(*node.propSource);
    if (shared != sharedProps_.end()) props = shared->second;
  }
  if (node.parent && node.parent->inputProps) {
    if (props) {
      // The shared .properties go below the flow's chain: that needs a chain of our own.
      PropsPtr flowProps = Props::clone(node.parent->inputProps);
      flowProps->setEarliestAncestor(props);
      props = flowProps;
    } else {
      props = node.parent->inputProps;  // shared read-only; the node's keys go on top
    }
  }
  if (PropsPtr outputs = collectOutputProps(node)) {
    outputs->setEarliestAncestor(props);
    props = outputs;
  }
  auto own = propsSource_->loadNodeProps(node);
  if (!own) log_->error(own.error().message);
  // The top of the chain is always the node's own: the job runner adds its keys there, and
  // the rest of the chain may be shared with the parent flow.
  PropsPtr definition = own && *own ? *own : Props::make();
  if (own && *own) {
    definition->put("azkaban.memory.check", flow_->options.memoryCheck ? "true" : "false");
  }
  definition->setParent(props);
  node.inputProps = definition;
}

PropsPtr FlowRunner::collectOutputProps(const flow::ExecutableNode& node) const {
  PropsPtr previous;
  for (const auto& id : node.inNodes) {
    const flow::ExecutableNode* in = node.parent ? node.parent->findChild(id) : nullptr;
    if (!in || !in->outputProps) continue;
    PropsPtr output = Props::clone(in->outputProps);
    output->setParent(previous);  // Azkaban replaces the clone's parent (quirk kept)
    previous = output;
  }
  return previous;
}

std::filesystem::path FlowRunner::workingDirFor(const flow::ExecutableNode& node) const {
  if (flow_->azkabanFlowVersion >= 2.0 || !node.jobSource) return executionDir_;
  return (executionDir_ / *node.jobSource).parent_path();
}

void FlowRunner::runExecutableNode(flow::ExecutableNode& node) {
  prepareJobProperties(node);
  node.status = Status::Queued;
  node.updateTime = now();
  int64_t delay = 0;
  if (auto it = pendingDelay_.find(&node); it != pendingDelay_.end()) {
    delay = it->second;
    pendingDelay_.erase(it);
  }
  JobRunnerDeps deps{deps_.loop, deps_.clock, deps_.registry, deps_.plugins, deps_.config.job};
  auto runner = std::make_unique<JobRunner>(deps, *this, *flow_, node, workingDirFor(node), delay);
  log_->info("Submitting job '" + node.nestedId() + "' to run.");
  JobRunner* raw = runner.get();
  runners_.push_back(std::move(runner));
  waitingForThread_.push_back(raw);
  startQueuedRunners();
}

void FlowRunner::startQueuedRunners() {
  while (!waitingForThread_.empty() && runningCount_ < jobThreads_) {
    JobRunner* runner = waitingForThread_.front();
    waitingForThread_.pop_front();
    ++runningCount_;
    log_->info("Log file path for job: " + runner->node().id + " is: " +
               (workingDirFor(runner->node()) /
                (JobRunner::fileStem(flow_->executionId, runner->node().attempt,
                                     runner->node().nestedId()) +
                 ".log"))
                   .string());
    runner->run();
  }
}

bool FlowRunner::retryJobIfPossible(flow::ExecutableNode& node) {
  if (node.isFlow()) return false;
  auto retries =
      node.inputProps ? node.inputProps->getLong("retries") : std::optional<long long>(0);
  if (node.inputProps && node.inputProps->contains("retries") && !retries) {
    // Azkaban's getInt throws here and the whole execution ends FAILED (flow-semantics 2.6).
    failFlow("Invalid retries value for job " + node.id);
    return false;
  }
  long long maxRetries = retries.value_or(0);
  if (maxRetries > node.attempt) {
    log_->info("Job '" + node.id + "' will be retried. Attempt " + std::to_string(node.attempt) +
               " of " + std::to_string(maxRetries));
    auto backoff = node.inputProps->getLong("retry.backoff");
    pendingDelay_[&node] = backoff.value_or(0);
    node.pastAttempts.push_back(
        flow::PastAttempt{node.attempt, node.startTime, node.endTime, node.status});
    node.attempt += 1;
    node.status = Status::Ready;
    node.startTime = -1;
    node.endTime = -1;
    node.updateTime = now();
    return true;
  }
  if (maxRetries > 0) {
    log_->info("Job '" + node.id + "' has run out of retry attempts");
    pendingDelay_.erase(&node);
  }
  return false;
}

void FlowRunner::setFlowFailed(flow::ExecutableNode& node) {
  bool shouldFail = true;
  for (const auto& id : node.outNodes) {
    const flow::ExecutableNode* out = node.parent->findChild(id);
    if (out && conditionOf(*out) == ConditionOnJobStatus::AllSuccess) {
      shouldFail = true;
      break;
    }
    shouldFail = false;
  }
  if (!shouldFail) return;
  propagateStatus(*node.parent, Status::FailedFinishing);
  if (failureAction_ == FailureAction::CancelAll) killAll();
  failed_ = true;
}

void FlowRunner::propagateStatus(flow::ExecutableNode& level, Status status) {
  if (isFinished(level.status) || level.status == Status::Killing) return;
  log_->info("Setting " + (level.isRoot() ? level.flowId : level.nestedId()) + " to " +
             std::string(toString(status)));
  bool changed = level.status != status;
  if (changed) {
    level.status = status;
    level.updateTime = now();
  }
  if (level.parent) {
    propagateStatus(*level.parent, status);
  } else if (deps_.config.pollModel && changed && status == Status::FailedFinishing &&
             deps_.alerter && !firstErrorAlerted_ && flow_->options.notifyOnFirstFailure) {
    firstErrorAlerted_ = true;
    deps_.alerter->alertOnFirstError(*flow_);
  }
}

bool FlowRunner::readyToFinalize(const flow::ExecutableNode& flowNode) const {
  for (const flow::ExecutableNode* end : flowNode.endNodes()) {
    if (!isFinished(end->status)) return false;
  }
  return true;
}

void FlowRunner::finalizeFlow(flow::ExecutableNode& flowNode) {
  const std::string id = flowNode.isRoot() ? flowNode.flowId : "";
  bool succeeded = true;
  PropsPtr previous;
  for (const flow::ExecutableNode* end : flowNode.endNodes()) {
    Status s = end->status;
    if (s == Status::Killed || s == Status::Killing || s == Status::Failed ||
        s == Status::Cancelled) {
      succeeded = false;
    }
    if (end->outputProps) {
      PropsPtr output = Props::clone(end->outputProps);
      output->setParent(previous);
      previous = output;
    }
  }
  flowNode.outputProps = previous;
  if (!succeeded && flowNode.status == Status::Running) flowNode.status = Status::Killed;
  flowNode.endTime = now();
  flowNode.updateTime = flowNode.endTime;
  const std::string seconds = std::to_string((flowNode.endTime - flowNode.startTime) / 1000);
  switch (flowNode.status) {
    case Status::FailedFinishing:
      log_->info("Setting flow '" + id + "' status to FAILED in " + seconds + " seconds");
      flowNode.status = Status::Failed;
      break;
    case Status::Killing:
      log_->info("Setting flow '" + id + "' status to KILLED in " + seconds + " seconds");
      flowNode.status = Status::Killed;
      break;
    case Status::Failed:
    case Status::Killed:
    case Status::Cancelled:
    case Status::FailedSucceeded:
      log_->info("Flow '" + id + "' is set to " + std::string(toString(flowNode.status)) + " in " +
                 seconds + " seconds");
      break;
    default:
      flowNode.status = Status::Succeeded;
      log_->info("Flow '" + id + "' is set to SUCCEEDED in " + seconds + " seconds");
  }
  if (flowNode.isRoot()) flowFinished_ = true;
}

void FlowRunner::finishExecutableNode(flow::ExecutableNode& node) {
  finishedNodes_.push_back(&node);
  emit(EventType::JobFinished, node);
  schedulePass();
}

void FlowRunner::failFlow(const std::string& reason) {
  log_->error(reason);
  flow_->root.status = Status::Failed;
  flow_->root.updateTime = now();
  flowFinished_ = true;
  schedulePass();
}

void FlowRunner::endFlow() {
  if (ended_) return;
  ended_ = true;
  log_->info("Finishing up flow. Awaiting Termination");
  updateFlow();
  log_->info("Finished Flow");
  flow::ExecutableNode& root = flow_->root;
  root.endTime = std::max(now(), root.startTime);
  log_->info("Setting end time for flow " + std::to_string(flow_->executionId) + " to " +
             std::to_string(root.endTime));
  log_->close();
  // The listeners write the final document themselves (F2, then the flow log).
  lastUpdateTime_ = std::max(now(), lastUpdateTime_);
  root.updateTime = lastUpdateTime_;
  for (auto* listener : listeners_) listener->onFlowFinished(*flow_, flowLogPath_);
  emit(EventType::FlowFinished, root);
  if (deps_.config.pollModel && deps_.alerter) {
    if (root.status != Status::Succeeded) {
      if (!flow_->options.failureEmails.empty()) {
        deps_.alerter->alertOnError(*flow_, {"Flow finished"});
      }
    } else if (!flow_->options.successEmails.empty()) {
      deps_.alerter->alertOnSuccess(*flow_);
    }
  }
  // Jobs still running after an internal error are stopped; their runners die with us.
  for (auto& runner : runners_) runner->kill();
  if (onFinished_) {
    auto callback = onFinished_;
    deps_.loop->post([this, callback] { callback(*this); });
  }
}

void FlowRunner::killAll() {
  if (killed_) return;
  log_->info("Kill has been called on flow " + std::to_string(flow_->executionId));
  flow_->root.status = Status::Killing;
  flow_->root.updateTime = now();
  paused_ = false;
  killed_ = true;
  log_->info("Killing " + std::to_string(runners_.size()) + " jobs.");
  std::vector<JobRunner*> snapshot;
  for (auto& runner : runners_) snapshot.push_back(runner.get());
  for (JobRunner* runner : snapshot) {
    bool queued = std::find(waitingForThread_.begin(), waitingForThread_.end(), runner) !=
                  waitingForThread_.end();
    runner->kill();
    if (queued) {
      // Waiting for a thread: it ends KILLED at once without running anything.
      waitingForThread_.erase(
          std::find(waitingForThread_.begin(), waitingForThread_.end(), runner));
      ++runningCount_;
      runner->run();
    }
  }
  updateFlow();
  schedulePass();
}

void FlowRunner::kill(const std::string& user) {
  if (ended_) return;
  log_->info("Flow killed by " + user);
  killAll();
}

Result<void> FlowRunner::pause(const std::string& user) {
  log_->info("Execution pause requested by " + user);
  if (killed_ || flowFinished_ || ended_) {
    std::string message = "Execution " + std::to_string(flow_->executionId) + " with status " +
                          std::string(toString(flow_->root.status)) + " cannot be paused.";
    log_->warn(message);
    return Error{message};
  }
  paused_ = true;
  flow_->root.status = Status::Paused;
  flow_->root.updateTime = now();
  log_->info("Flow paused by " + user);
  updateFlow();
  log_->info("Execution " + std::to_string(flow_->executionId) + " has been paused.");
  return okResult();
}

void FlowRunner::resume(const std::string& user) {
  if (!paused_) {
    log_->info("Cannot resume flow that isn't paused");
    return;
  }
  log_->info("Flow resumed by " + user);
  paused_ = false;
  flow_->root.status = failed_   ? Status::FailedFinishing
                       : killed_ ? Status::Killing
                                 : Status::Running;
  flow_->root.updateTime = now();
  updateFlow();
  schedulePass();
}

void FlowRunner::retryFailures(const std::string& user) {
  log_->info("Retrying failures invoked by " + user);
  retryRequested_ = true;
  schedulePass();
}

void FlowRunner::retryAllFailures() {
  retryRequested_ = false;
  log_->info("Restarting all failed jobs");
  failed_ = false;
  killed_ = false;
  flow_->root.status = Status::Running;
  std::vector<flow::ExecutableNode*> restart;
  resetFailedState(flow_->root, restart);
  for (flow::ExecutableNode* node : restart) {
    if (node->status == Status::Ready || node->status == Status::Disabled) {
      runReadyJob(*node);
    } else if (node->status == Status::Succeeded) {
      for (const auto& id : node->outNodes) {
        if (flow::ExecutableNode* out = node->parent->findChild(id)) runReadyJob(*out);
      }
    }
  }
  updateFlow();
}

void FlowRunner::resetFailedState(flow::ExecutableNode& flowNode,
                                  std::vector<flow::ExecutableNode*>& restart) {
  std::deque<flow::ExecutableNode*> queue;
  for (flow::ExecutableNode* end : flowNode.endNodes()) queue.push_back(end);
  int64_t maxStart = -1;
  bool anyStarted = false;
  int64_t t = now();
  auto resetTimes = [t](flow::ExecutableNode& n) {
    n.startTime = -1;
    n.endTime = -1;
    n.updateTime = t;
  };
  while (!queue.empty()) {
    flow::ExecutableNode* node = queue.front();
    queue.pop_front();
    if (node->startTime > 0) anyStarted = true;
    maxStart = std::max(maxStart, node->startTime);
    bool goUp = true;
    switch (node->status) {
      case Status::Succeeded:
        restart.push_back(node);
        goUp = false;
        break;
      case Status::Running:
      case Status::Killing:
        goUp = false;
        break;
      case Status::Skipped:
        node->status = Status::Disabled;
        resetTimes(*node);
        break;
      default:
        if (node->isFlow()) {
          if (node->status == Status::Cancelled) {
            node->status = Status::Ready;
            resetTimes(*node);
          } else if (node->status == Status::Killed || node->status == Status::Failed ||
                     node->status == Status::FailedFinishing) {
            resetFailedState(*node, restart);
            goUp = false;
          } else {
            goUp = false;
          }
        } else if (node->status == Status::Cancelled) {
          node->status = Status::Ready;
          resetTimes(*node);
        } else if (node->status == Status::Failed || node->status == Status::Killed) {
          node->pastAttempts.push_back(
              flow::PastAttempt{node->attempt, node->startTime, node->endTime, node->status});
          node->attempt += 1;
          node->status = Status::Ready;
          resetTimes(*node);
          restart.push_back(node);
        }
    }
    if (!goUp) continue;
    for (const auto& id : node->inNodes) {
      if (flow::ExecutableNode* in = flowNode.findChild(id)) queue.push_back(in);
    }
  }
  if (!anyStarted) {
    flowNode.status = Status::Ready;
  } else {
    flowNode.status = Status::Running;
    for (flow::ExecutableNode* start : flowNode.startNodes()) {
      if (start->status == Status::Ready || start->status == Status::Disabled) {
        restart.push_back(start);
      }
    }
  }
  flowNode.endTime = -1;
  flowNode.updateTime = t;
}

// ---- JobRunnerHost ----

void FlowRunner::onJobEvent(JobRunner& runner, EventType type) {
  flow::ExecutableNode& node = runner.node();
  if (type == EventType::JobStatusChanged) {
    updateFlow();
    emit(type, node);
    return;
  }
  if (type != EventType::JobFinished) {
    emit(type, node);
    return;
  }
  int64_t seconds = (node.endTime - node.startTime) / 1000;
  log_->info("Job " + node.nestedId() + " finished with status " +
             std::string(toString(node.status)) + " in " + std::to_string(seconds) + " seconds");
  if (paused_ && node.status == Status::Failed && failureAction_ == FailureAction::CancelAll) {
    paused_ = false;
  }
  finishedNodes_.push_back(&node);
  if (node.parent) node.parent->updateTime = now();
  blockedOnPipeline_.erase(&runner);
  auto it = std::find_if(runners_.begin(), runners_.end(),
                         [&runner](const auto& r) { return r.get() == &runner; });
  if (it != runners_.end()) {
    // The runner is still on the stack: destroy it from the loop.
    deps_.loop->post([dead = std::shared_ptr<JobRunner>(std::move(*it))] {});
    runners_.erase(it);
    if (std::find(waitingForThread_.begin(), waitingForThread_.end(), &runner) ==
        waitingForThread_.end()) {
      --runningCount_;
    }
  }
  emit(type, node);
  startQueuedRunners();
  schedulePass();
}

void FlowRunner::onJobAttemptStarted(JobRunner& runner, const PropsPtr& inputProps) {
  for (auto* listener : listeners_) {
    listener->onJobAttemptStarted(*flow_, runner.node(), inputProps);
  }
}

void FlowRunner::onJobUpdated(JobRunner& runner) {
  for (auto* listener : listeners_) listener->onJobUpdated(*flow_, runner.node());
}

void FlowRunner::onJobAttemptFinished(JobRunner& runner,
                                      const std::vector<std::filesystem::path>& logFiles,
                                      const std::optional<std::filesystem::path>& attachment) {
  for (auto* listener : listeners_) {
    listener->onJobAttemptFinished(*flow_, runner.node(), logFiles, attachment);
  }
}

// ---- Pipelining (flow-semantics 4.12) ----

std::vector<std::string> FlowRunner::pipelineWatchList(const flow::ExecutableNode& node) const {
  std::vector<std::string> watched{node.nestedId()};
  if (flow_->options.pipelineLevel.value_or(1) < 2) return watched;
  const flow::ExecutableNode* level = node.parent;
  std::vector<std::string> children = node.outNodes;
  if (children.empty() && level && !level->isRoot()) {
    children = level->outNodes;  // an end node of an embedded flow: the flow's out-nodes
    level = level->parent;
  }
  std::function<void(const flow::ExecutableNode&)> addStarts = [&](const flow::ExecutableNode& n) {
    if (!n.isFlow()) {
      watched.push_back(n.nestedId());
      return;
    }
    for (const flow::ExecutableNode* start : n.startNodes()) addStarts(*start);
  };
  for (const auto& id : children) {
    if (const flow::ExecutableNode* child = level ? level->findChild(id) : nullptr)
      addStarts(*child);
  }
  return watched;
}

bool FlowRunner::pipelineBlocks(JobRunner& runner) {
  if (!flow_->options.pipelineExecId || !pipelineView_) return false;
  if (pipelineView_->executionFinished()) return false;
  for (const auto& id : pipelineWatchList(runner.node())) {
    auto status = pipelineView_->nodeStatus(id);
    if (!status || pipelineView_->inSkippedLevel(id) || isFinished(*status)) continue;
    blockedOnPipeline_.insert(&runner);
    return true;
  }
  blockedOnPipeline_.erase(&runner);
  return false;
}

void FlowRunner::pipelineChanged() {
  std::vector<JobRunner*> blocked(blockedOnPipeline_.begin(), blockedOnPipeline_.end());
  for (JobRunner* runner : blocked) {
    if (blockedOnPipeline_.count(runner) == 0) continue;
    blockedOnPipeline_.erase(runner);
    if (!pipelineBlocks(*runner)) runner->pipelineReleased();
  }
}

}  // namespace azx::engine
