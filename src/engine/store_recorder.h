#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/event_loop.h"
#include "engine/execution_listener.h"
#include "store/execution_store.h"

namespace azx::engine {

// Deep copies, so another thread can read an execution the loop keeps changing.
std::unique_ptr<flow::ExecutableFlow> snapshotFlow(const flow::ExecutableFlow& flow);
// Only the root, the ancestors of `node` and `node` itself, with the fields J1/J2/J3 read (ids,
// flow ids, the node's status, times, attempt and outputs); returns the copy and the node in it.
std::pair<std::unique_ptr<flow::ExecutableFlow>, const flow::ExecutableNode*> snapshotNodePath(
    const flow::ExecutableFlow& flow, const flow::ExecutableNode& node);

struct StoreRecorderOptions {
  // Flow documents are written at most this often per execution (the last state always is).
  std::chrono::milliseconds flowWriteInterval{100};
  // A failed write is retried this many times, waiting retryDelay doubling up to 30 s.
  int maxAttempts = 40;
  std::chrono::milliseconds retryDelay{500};
};

// Persists executions through an ExecutionStore from a writer thread of its own, so a slow or
// absent database never stalls the engine loop. Writes keep their order; a failed write waits
// and is retried (bounded, logged) instead of being dropped; flow documents are coalesced.
class StoreRecorder final : public ExecutionListener {
 public:
  StoreRecorder(store::ExecutionStorePtr store, EventLoop& loop, const Clock& clock,
                StoreRecorderOptions options = {});
  ~StoreRecorder() override;

  // Called on the loop once everything queued for the finished execution is written.
  void setOnPersisted(std::function<void(int execId)> callback) {
    onPersisted_ = std::move(callback);
  }
  // Blocks until the queue is empty (for shutdown and tests).
  void drain();
  // Failed writes so far (after retries gave up) and retried attempts, for /metrics.
  uint64_t droppedWrites() const { return dropped_; }
  uint64_t retriedWrites() const { return retried_; }

  void onFlowUpdated(const flow::ExecutableFlow& flow) override;
  void onJobAttemptStarted(const flow::ExecutableFlow& flow, const flow::ExecutableNode& node,
                           const PropsPtr& inputProps) override;
  void onJobUpdated(const flow::ExecutableFlow& flow, const flow::ExecutableNode& node) override;
  void onJobAttemptFinished(const flow::ExecutableFlow& flow, const flow::ExecutableNode& node,
                            const std::vector<std::filesystem::path>& logFiles,
                            const std::optional<std::filesystem::path>& attachment) override;
  void onFlowFinished(const flow::ExecutableFlow& flow,
                      const std::filesystem::path& flowLog) override;

 private:
  using Write = std::function<Result<void>(store::ExecutionStore&)>;
  struct QueuedWrite {
    std::string what;
    Write write;
    // Runs on its own, after everything before it is committed (e.g. "all persisted").
    bool alone = false;
  };
  // Writes taken from the queue at once, so one transaction covers them.
  static constexpr size_t kMaxBatch = 256;

  void enqueue(std::string what, Write write, bool alone = false);
  void writeFlowNow(const flow::ExecutableFlow& flow);
  void writerLoop(std::stop_token stop);
  // Returns how many of `batch` were written; the rest go back to the queue.
  size_t writeBatch(std::vector<QueuedWrite>& batch);
  void writeWithRetry(const QueuedWrite& item);

  store::ExecutionStorePtr store_;
  EventLoop& loop_;
  const Clock& clock_;
  StoreRecorderOptions options_;
  std::function<void(int)> onPersisted_;

  struct FlowThrottle {
    int64_t lastWrite = 0;
    EventLoop::TimerId timer = 0;
    const flow::ExecutableFlow* pending = nullptr;
  };
  std::map<int, FlowThrottle> throttles_;  // loop thread only

  std::mutex mutex_;
  std::condition_variable_any cv_;
  std::deque<QueuedWrite> queue_;
  bool busy_ = false;
  std::atomic<bool> wakePending_{false};  // the writer is told when the loop next waits
  EventLoop::HookId wakeHook_ = 0;
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> retried_{0};
  std::jthread writer_;
};

}  // namespace azx::engine
