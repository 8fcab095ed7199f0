#include "engine/store_recorder.h"

#include <spdlog/spdlog.h>

namespace azx::engine {
namespace {

void copyNodeFields(const flow::ExecutableNode& from, flow::ExecutableNode& to) {
  to.id = from.id;
  to.status = from.status;
  to.startTime = from.startTime;
  to.endTime = from.endTime;
  to.updateTime = from.updateTime;
  to.type = from.type;
  to.condition = from.condition;
  to.conditionOnJobStatus = from.conditionOnJobStatus;
  to.attempt = from.attempt;
  to.inNodes = from.inNodes;
  to.outNodes = from.outNodes;
  to.propSource = from.propSource;
  to.jobSource = from.jobSource;
  to.outputProps = from.outputProps ? Props::clone(from.outputProps) : nullptr;
  to.pastAttempts = from.pastAttempts;
  to.extraKeys = from.extraKeys;
  to.flowId = from.flowId;
  to.properties = from.properties;
}

void copyTree(const flow::ExecutableNode& from, flow::ExecutableNode& to) {
  copyNodeFields(from, to);
  for (const auto& child : from.nodes) {
    auto copy = std::make_unique<flow::ExecutableNode>();
    copyTree(*child, *copy);
    to.addChild(std::move(copy));
  }
}

void copyExecutionFields(const flow::ExecutableFlow& from, flow::ExecutableFlow& to) {
  to.executionId = from.executionId;
  to.executionPath = from.executionPath;
  to.projectId = from.projectId;
  to.projectName = from.projectName;
  to.scheduleId = from.scheduleId;
  to.submitUser = from.submitUser;
  to.version = from.version;
  to.lastModifiedTime = from.lastModifiedTime;
  to.lastModifiedUser = from.lastModifiedUser;
  to.azkabanFlowVersion = from.azkabanFlowVersion;
  to.options = from.options;
  to.proxyUsers = from.proxyUsers;
  to.submitTime = from.submitTime;
  to.slaOptions = from.slaOptions;
  to.isLocked = from.isLocked;
  to.flowLockErrorMessage = from.flowLockErrorMessage;
}

}  // namespace

std::unique_ptr<flow::ExecutableFlow> snapshotFlow(const flow::ExecutableFlow& flow) {
  auto copy = std::make_unique<flow::ExecutableFlow>();
  copyExecutionFields(flow, *copy);
  copyTree(flow.root, copy->root);
  return copy;
}

std::pair<std::unique_ptr<flow::ExecutableFlow>, const flow::ExecutableNode*> snapshotNodePath(
    const flow::ExecutableFlow& flow, const flow::ExecutableNode& node) {
  auto copy = std::make_unique<flow::ExecutableFlow>();
  copyExecutionFields(flow, *copy);
  std::vector<const flow::ExecutableNode*> path;
  for (const flow::ExecutableNode* n = &node; n && !n->isRoot(); n = n->parent) path.push_back(n);
  copyNodeFields(flow.root, copy->root);
  flow::ExecutableNode* at = &copy->root;
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    auto child = std::make_unique<flow::ExecutableNode>();
    copyNodeFields(**it, *child);
    at = &at->addChild(std::move(child));
  }
  return {std::move(copy), at};
}

StoreRecorder::StoreRecorder(store::ExecutionStorePtr store, EventLoop& loop, const Clock& clock,
                             StoreRecorderOptions options)
    : store_(std::move(store)),
      loop_(loop),
      clock_(clock),
      options_(options),
      writer_([this](std::stop_token stop) { writerLoop(stop); }) {}

StoreRecorder::~StoreRecorder() {
  drain();
  writer_.request_stop();
  cv_.notify_all();
}

void StoreRecorder::enqueue(std::string what, Write write) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.emplace_back(std::move(what), std::move(write));
  }
  cv_.notify_all();
}

void StoreRecorder::drain() {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void StoreRecorder::writerLoop(std::stop_token stop) {
  while (true) {
    std::pair<std::string, Write> item;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, stop, [this] { return !queue_.empty(); });
      if (queue_.empty()) return;  // stop requested with nothing left
      item = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    auto delay = options_.retryDelay;
    for (int attempt = 1;; ++attempt) {
      Result<void> result = item.second(*store_);
      if (result) break;
      if (attempt >= options_.maxAttempts) {
        ++dropped_;
        spdlog::error("giving up on {} after {} attempts: {}", item.first, attempt,
                      result.error().message);
        break;
      }
      ++retried_;
      spdlog::warn("{} failed (attempt {}), retrying in {} ms: {}", item.first, attempt,
                   delay.count(), result.error().message);
      std::this_thread::sleep_for(delay);
      delay = std::min<std::chrono::milliseconds>(delay * 2, std::chrono::seconds(30));
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      busy_ = false;
    }
    cv_.notify_all();
  }
}

void StoreRecorder::writeFlowNow(const flow::ExecutableFlow& flow) {
  auto& throttle = throttles_[flow.executionId];
  if (throttle.timer) loop_.cancelTimer(throttle.timer);
  throttle.timer = 0;
  throttle.pending = nullptr;
  throttle.lastWrite = clock_.nowMillis();
  // Serialised here rather than deep-copied: the text is all the writer needs.
  auto row = std::make_shared<const store::FlowRowUpdate>(store::makeFlowRowUpdate(flow));
  enqueue("flow update of execution " + std::to_string(flow.executionId),
          [row](store::ExecutionStore& s) { return s.updateFlowRow(*row); });
}

void StoreRecorder::onFlowUpdated(const flow::ExecutableFlow& flow) {
  auto& throttle = throttles_[flow.executionId];
  int64_t since = clock_.nowMillis() - throttle.lastWrite;
  if (since >= options_.flowWriteInterval.count() && !throttle.timer) {
    writeFlowNow(flow);
    return;
  }
  throttle.pending = &flow;
  if (!throttle.timer) {
    auto wait = std::max<int64_t>(1, options_.flowWriteInterval.count() - since);
    int execId = flow.executionId;
    throttle.timer = loop_.addTimer(std::chrono::milliseconds(wait), [this, execId] {
      auto& t = throttles_[execId];
      t.timer = 0;
      if (t.pending) writeFlowNow(*t.pending);
    });
  }
}

void StoreRecorder::onJobAttemptStarted(const flow::ExecutableFlow& flow,
                                        const flow::ExecutableNode& node,
                                        const PropsPtr& inputProps) {
  auto [copy, at] = snapshotNodePath(flow, node);
  std::shared_ptr<const flow::ExecutableFlow> snapshot(std::move(copy));
  PropsPtr props = Props::clone(inputProps);  // before the runner adds its keys
  const flow::ExecutableNode* n = at;
  enqueue("job row of " + node.nestedId(), [snapshot, n, props](store::ExecutionStore& s) {
    return s.uploadExecutableNode(*snapshot, *n, props);
  });
}

void StoreRecorder::onJobUpdated(const flow::ExecutableFlow& flow,
                                 const flow::ExecutableNode& node) {
  auto [copy, at] = snapshotNodePath(flow, node);
  std::shared_ptr<const flow::ExecutableFlow> snapshot(std::move(copy));
  const flow::ExecutableNode* n = at;
  enqueue("job update of " + node.nestedId(), [snapshot, n](store::ExecutionStore& s) {
    return s.updateExecutableNode(*snapshot, *n);
  });
}

void StoreRecorder::onJobAttemptFinished(const flow::ExecutableFlow& flow,
                                         const flow::ExecutableNode& node,
                                         const std::vector<std::filesystem::path>& logFiles,
                                         const std::optional<std::filesystem::path>& attachment) {
  auto [copy, at] = snapshotNodePath(flow, node);
  std::shared_ptr<const flow::ExecutableFlow> snapshot(std::move(copy));
  const flow::ExecutableNode* n = at;
  int execId = flow.executionId;
  std::string name = node.nestedId();
  int attempt = node.attempt;
  int64_t now = clock_.nowMillis();
  enqueue("log of " + name, [=](store::ExecutionStore& s) {
    return s.uploadLogFiles(execId, name, attempt, logFiles, now);
  });
  if (attachment) {
    auto file = *attachment;
    enqueue("attachment of " + name, [snapshot, n, file](store::ExecutionStore& s) {
      return s.uploadAttachmentFile(*snapshot, *n, file);
    });
  }
  enqueue("job update of " + name, [snapshot, n](store::ExecutionStore& s) {
    return s.updateExecutableNode(*snapshot, *n);
  });
}

void StoreRecorder::onFlowFinished(const flow::ExecutableFlow& flow,
                                   const std::filesystem::path& flowLog) {
  writeFlowNow(flow);
  int execId = flow.executionId;
  int64_t now = clock_.nowMillis();
  enqueue("flow log of execution " + std::to_string(execId), [=](store::ExecutionStore& s) {
    return s.uploadLogFiles(execId, "", 0, {flowLog}, now);
  });
  throttles_.erase(execId);
  enqueue("completion of execution " + std::to_string(execId),
          [this, execId](store::ExecutionStore&) {
            if (onPersisted_) loop_.post([this, execId] { onPersisted_(execId); });
            return okResult();
          });
}

}  // namespace azx::engine
