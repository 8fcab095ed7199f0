#include "engine/store_recorder.h"

#include <spdlog/spdlog.h>

namespace azx::engine {
namespace {

// An ancestor of a snapshotted node: what its flow path and nested id are made of.
void copyPathFields(const flow::ExecutableNode& from, flow::ExecutableNode& to) {
  to.id = from.id;
  to.type = from.type;
  to.flowId = from.flowId;
  to.status = from.status;
}

// What the job-row statements (J1-J3) read of the node itself.
void copyRowFields(const flow::ExecutableNode& from, flow::ExecutableNode& to) {
  copyPathFields(from, to);
  to.startTime = from.startTime;
  to.endTime = from.endTime;
  to.updateTime = from.updateTime;
  to.attempt = from.attempt;
  to.outputProps = from.outputProps ? Props::clone(from.outputProps) : nullptr;
  to.pastAttempts = from.pastAttempts;
}

// Every field of the node but its children.
void copyNodeFields(const flow::ExecutableNode& from, flow::ExecutableNode& to) {
  copyRowFields(from, to);
  to.condition = from.condition;
  to.conditionOnJobStatus = from.conditionOnJobStatus;
  to.inNodes = from.inNodes;
  to.outNodes = from.outNodes;
  to.propSource = from.propSource;
  to.jobSource = from.jobSource;
  to.extraKeys = from.extraKeys;
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
  // Taken two or three times per job attempt: only what the row statements read.
  auto copy = std::make_unique<flow::ExecutableFlow>();
  copy->executionId = flow.executionId;
  copy->projectId = flow.projectId;
  copy->version = flow.version;
  std::vector<const flow::ExecutableNode*> path;
  for (const flow::ExecutableNode* n = &node; n && !n->isRoot(); n = n->parent) path.push_back(n);
  copyPathFields(flow.root, copy->root);
  flow::ExecutableNode* at = &copy->root;
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    auto child = std::make_unique<flow::ExecutableNode>();
    if (*it == &node) {
      copyRowFields(node, *child);
    } else {
      copyPathFields(**it, *child);
    }
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
      writer_([this](std::stop_token stop) { writerLoop(stop); }) {
  wakeHook_ = loop_.addBeforeWait([this] {
    if (wakePending_.exchange(false)) cv_.notify_all();
  });
}

StoreRecorder::~StoreRecorder() {
  loop_.removeBeforeWait(wakeHook_);
  drain();
  writer_.request_stop();
  cv_.notify_all();
}

void StoreRecorder::enqueue(std::string what, Write write, bool alone) {
  bool wasEmpty;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    wasEmpty = queue_.empty();
    queue_.push_back(QueuedWrite{std::move(what), std::move(write), alone});
  }
  // A queue that already held writes has woken the writer, or the writer is busy and looks
  // again before it waits. The loop wakes it once before it waits itself: a wake-up per
  // write would be a futex call per row.
  if (!wasEmpty) return;
  if (loop_.inLoopThread()) {
    wakePending_ = true;
  } else {
    cv_.notify_all();
  }
}

void StoreRecorder::drain() {
  wakePending_ = false;
  cv_.notify_all();
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void StoreRecorder::writerLoop(std::stop_token stop) {
  while (true) {
    std::vector<QueuedWrite> batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, stop, [this] { return !queue_.empty(); });
      if (queue_.empty()) return;  // stop requested with nothing left
      // Everything queued so far, up to a write that must run alone.
      do {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      } while (!batch.front().alone && !queue_.empty() && !queue_.front().alone &&
               batch.size() < kMaxBatch);
      busy_ = true;
    }
    size_t written = writeBatch(batch);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // Not written yet: back to the front, in order.
      for (size_t i = batch.size(); i > written; --i) queue_.push_front(std::move(batch[i - 1]));
      busy_ = false;
    }
    cv_.notify_all();
  }
}

size_t StoreRecorder::writeBatch(std::vector<QueuedWrite>& batch) {
  if (batch.size() == 1) {
    writeWithRetry(batch.front());
    return 1;
  }
  size_t succeeded = 0;
  auto committed = store_->inBatch([&] {
    for (; succeeded < batch.size(); ++succeeded) {
      if (!batch[succeeded].write(*store_)) return;
    }
  });
  if (!committed) {
    // Nothing of the batch is durable: write its part again, one by one.
    spdlog::warn("{}; writing {} rows one by one", committed.error().message, succeeded);
    for (size_t i = 0; i < succeeded; ++i) writeWithRetry(batch[i]);
  }
  if (succeeded == batch.size()) return succeeded;
  // The failed write waits and retries on its own; those after it stay queued behind it.
  writeWithRetry(batch[succeeded]);
  return succeeded + 1;
}

void StoreRecorder::writeWithRetry(const QueuedWrite& item) {
  auto delay = options_.retryDelay;
  for (int attempt = 1;; ++attempt) {
    Result<void> result = item.write(*store_);
    if (result) return;
    if (attempt >= options_.maxAttempts) {
      ++dropped_;
      spdlog::error("giving up on {} after {} attempts: {}", item.what, attempt,
                    result.error().message);
      return;
    }
    ++retried_;
    spdlog::warn("{} failed (attempt {}), retrying in {} ms: {}", item.what, attempt, delay.count(),
                 result.error().message);
    std::this_thread::sleep_for(delay);
    delay = std::min<std::chrono::milliseconds>(delay * 2, std::chrono::seconds(30));
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
  // Before the runner adds its keys, which go on the top level only; the levels below are
  // shared with the flow and no longer change (FlowRunner::prepareJobProperties).
  PropsPtr props = Props::cloneTop(inputProps);
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
  enqueue(
      "completion of execution " + std::to_string(execId),
      [this, execId](store::ExecutionStore&) {
        if (onPersisted_) loop_.post([this, execId] { onPersisted_(execId); });
        return okResult();
      },
      /*alone=*/true);
}

}  // namespace azx::engine
