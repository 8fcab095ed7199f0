#include "engine/store_recorder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "flow/flow_data.h"
#include "tests/store/spec_example.h"

namespace azx::engine {
namespace {

// Records the writes it is asked for, in order, with the batches around them.
class RecordingStore final : public store::ExecutionStore {
 public:
  // Runs before each write is recorded; an error fails the write.
  std::function<Result<void>(const std::string& op)> hook;
  bool rollBackBatches = false;
  // When set, a batch lets this loop run everything posted so far before it commits: a signal
  // sent from inside the batch is then seen inside it.
  EventLoop* syncBeforeCommit = nullptr;
  std::atomic<bool> insideBatch{false};

  std::vector<std::string> ops() {
    std::lock_guard lock(mutex_);
    return ops_;
  }

  Result<int> createExecution(flow::ExecutableFlow&, int64_t) override { return 1; }
  Result<std::optional<std::unique_ptr<flow::ExecutableFlow>>> fetchExecutableFlow(int) override {
    return std::optional<std::unique_ptr<flow::ExecutableFlow>>{};
  }
  Result<void> updateFlowRow(const store::FlowRowUpdate&) override { return record("F2"); }
  Result<void> uploadExecutableNode(const flow::ExecutableFlow&, const flow::ExecutableNode& node,
                                    const PropsPtr&) override {
    return record("J1 " + node.id);
  }
  Result<void> updateExecutableNode(const flow::ExecutableFlow&,
                                    const flow::ExecutableNode& node) override {
    return record("J2 " + node.id);
  }
  Result<void> uploadAttachmentFile(const flow::ExecutableFlow&, const flow::ExecutableNode& node,
                                    const std::filesystem::path&) override {
    return record("J3 " + node.id);
  }
  Result<void> uploadLogFiles(int, const std::string& name, int,
                              const std::vector<std::filesystem::path>&, int64_t) override {
    return record("L1 " + name);
  }
  Result<store::LogChunk> fetchLogs(int, const std::string&, int, int64_t, int64_t) override {
    return store::LogChunk{};
  }
  Result<void> inBatch(const std::function<void()>& body) override {
    append("BEGIN");
    insideBatch = true;
    body();
    if (syncBeforeCommit) {
      // Bounded, so that a loop which stopped running cannot hold the writer for ever.
      auto reached = std::make_shared<std::promise<void>>();
      syncBeforeCommit->post([reached] { reached->set_value(); });
      reached->get_future().wait_for(std::chrono::seconds(10));
    }
    insideBatch = false;
    if (rollBackBatches) {
      append("ROLLBACK");
      return Error{"batch rolled back"};
    }
    append("COMMIT");
    return okResult();
  }

 private:
  Result<void> record(const std::string& op) {
    Result<void> result = hook ? hook(op) : okResult();
    append(result ? op : op + " failed");
    return result;
  }
  void append(const std::string& op) {
    std::lock_guard lock(mutex_);
    ops_.push_back(op);
  }

  std::mutex mutex_;
  std::vector<std::string> ops_;
};

// Holds the writer inside its first write, so that what is queued meanwhile forms one batch.
class Gate {
 public:
  Result<void> pass() {
    std::unique_lock lock(mutex_);
    if (!entered_) {
      entered_ = true;
      cv_.notify_all();
      cv_.wait(lock, [this] { return open_; });
    }
    return okResult();
  }
  void waitEntered() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return entered_; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool entered_ = false;
  bool open_ = false;
};

class StoreRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto parsed = flow::parseFlowDataText(azx::testing::kSpecExample);
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    flow_ = std::move(parsed.value());
    store_ = std::make_shared<RecordingStore>();
  }

  std::unique_ptr<StoreRecorder> makeRecorder() {
    StoreRecorderOptions options;
    options.retryDelay = std::chrono::milliseconds(1);
    return std::make_unique<StoreRecorder>(store_, loop_, clock_, options);
  }

  const flow::ExecutableNode& node(const std::string& id) {
    if (id == "jobB") return *flow_->root.findChild("sub")->findChild("jobB");
    return *flow_->root.findChild(id);
  }

  // Writes queued on the loop thread reach the writer when the loop next waits.
  void letLoopWait() {
    bool waited = false;
    loop_.addTimer(std::chrono::milliseconds(0), [&] { waited = true; });
    loop_.runUntil([&] { return waited; });
  }

  // The first write passes the gate alone; `queued` is enqueued while it waits there.
  void writeWhileHeld(StoreRecorder& recorder, Gate& gate, const std::function<void()>& queued) {
    recorder.onJobAttemptStarted(*flow_, node("jobA"), Props::make());
    letLoopWait();
    gate.waitEntered();
    queued();
    gate.open();
  }

  // J1 of jobC and jobB and J2 of jobA, queued behind J1 of jobA.
  void writeThreeWhileHeld(StoreRecorder& recorder, Gate& gate) {
    writeWhileHeld(recorder, gate, [&] {
      recorder.onJobAttemptStarted(*flow_, node("jobC"), Props::make());
      recorder.onJobAttemptStarted(*flow_, node("jobB"), Props::make());
      recorder.onJobUpdated(*flow_, node("jobA"));
    });
  }

  EventLoop loop_;
  SystemClock clock_;
  std::unique_ptr<flow::ExecutableFlow> flow_;
  std::shared_ptr<RecordingStore> store_;
};

TEST_F(StoreRecorderTest, QueuedWritesShareOneBatch) {
  Gate gate;
  store_->hook = [&](const std::string&) { return gate.pass(); };
  auto recorder = makeRecorder();
  writeThreeWhileHeld(*recorder, gate);
  recorder->drain();
  EXPECT_EQ(store_->ops(), (std::vector<std::string>{"J1 jobA", "BEGIN", "J1 jobC", "J1 jobB",
                                                     "J2 jobA", "COMMIT"}));
}

TEST_F(StoreRecorderTest, FailedWriteIsRetriedAloneAndTheRestKeepTheirOrder) {
  Gate gate;
  bool failedOnce = false;
  store_->hook = [&](const std::string& op) -> Result<void> {
    if (op == "J1 jobB" && !failedOnce) {
      failedOnce = true;
      return Error{"connection lost"};
    }
    return gate.pass();
  };
  auto recorder = makeRecorder();
  writeThreeWhileHeld(*recorder, gate);
  recorder->drain();
  // The writes before the failure are committed, the failed one is written again before the
  // one that followed it.
  EXPECT_EQ(store_->ops(),
            (std::vector<std::string>{"J1 jobA", "BEGIN", "J1 jobC", "J1 jobB failed", "COMMIT",
                                      "J1 jobB", "J2 jobA"}));
  EXPECT_EQ(recorder->retriedWrites(), 0u) << "the first rewrite is not a retry";
  EXPECT_EQ(recorder->droppedWrites(), 0u);
}

TEST_F(StoreRecorderTest, RolledBackBatchIsWrittenAgainOneByOne) {
  Gate gate;
  store_->hook = [&](const std::string&) { return gate.pass(); };
  store_->rollBackBatches = true;
  auto recorder = makeRecorder();
  writeWhileHeld(*recorder, gate, [&] {
    recorder->onJobAttemptStarted(*flow_, node("jobC"), Props::make());
    recorder->onJobUpdated(*flow_, node("jobC"));
  });
  recorder->drain();
  EXPECT_EQ(store_->ops(), (std::vector<std::string>{"J1 jobA", "BEGIN", "J1 jobC", "J2 jobC",
                                                     "ROLLBACK", "J1 jobC", "J2 jobC"}));
}

TEST_F(StoreRecorderTest, WriterIsWokenOnceTheLoopWaits) {
  std::atomic<int> written{0};
  store_->hook = [&](const std::string&) -> Result<void> {
    ++written;
    return okResult();
  };
  auto recorder = makeRecorder();
  recorder->onJobAttemptStarted(*flow_, node("jobA"), Props::make());
  recorder->onJobAttemptStarted(*flow_, node("jobC"), Props::make());
  // Nothing forces the writes out here (no drain): only the loop's wait does.
  bool done = false;
  std::function<void()> poll = [&] {
    if (written == 2) {
      done = true;
      return;
    }
    loop_.addTimer(std::chrono::milliseconds(1), poll);
  };
  poll();
  loop_.runUntil([&] { return done; });
  EXPECT_EQ(written, 2);
}

TEST_F(StoreRecorderTest, PersistedIsSignalledAfterTheCommit) {
  Gate gate;
  store_->hook = [&](const std::string&) { return gate.pass(); };
  store_->syncBeforeCommit = &loop_;
  auto recorder = makeRecorder();
  bool persisted = false;
  bool signalledInsideBatch = true;
  std::vector<std::string> opsAtSignal;
  recorder->setOnPersisted([&](int) {
    persisted = true;
    signalledInsideBatch = store_->insideBatch;
    opsAtSignal = store_->ops();
  });
  writeWhileHeld(*recorder, gate, [&] {
    recorder->onJobUpdated(*flow_, node("jobA"));
    recorder->onFlowFinished(*flow_, "flow.log");
  });
  loop_.runUntil([&] { return persisted; });
  EXPECT_FALSE(signalledInsideBatch);
  EXPECT_EQ(opsAtSignal,
            (std::vector<std::string>{"J1 jobA", "BEGIN", "J2 jobA", "F2", "L1 ", "COMMIT"}));
}

}  // namespace
}  // namespace azx::engine
