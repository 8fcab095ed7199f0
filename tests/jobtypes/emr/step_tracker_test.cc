// The shared tracker and the emr job against the fake API: outcomes, log relay, throttling,
// cancel, event mode, batching.
#include "jobtypes/emr/step_tracker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "core/event_loop.h"
#include "fake_emr_api.h"
#include "jobtypes/emr/emr_job.h"

namespace azx::jobtypes::emr {
namespace {

using namespace std::chrono_literals;
using testing::FakeEmrApi;

// Records what the tracker reports for one step.
class RecordingObserver final : public StepObserver {
 public:
  void onLog(const std::string& line) override {
    std::lock_guard lk(m_);
    lines_.push_back(line);
  }
  void onSubmitted(const std::string&, const std::string& stepId) override {
    std::lock_guard lk(m_);
    stepId_ = stepId;
    cv_.notify_all();
  }
  void onFinished(const StepOutcome& o) override {
    std::lock_guard lk(m_);
    ++finished_;
    outcome_ = o;
    cv_.notify_all();
  }
  std::string waitSubmitted() {
    std::unique_lock lk(m_);
    cv_.wait_for(lk, 5s, [&] { return !stepId_.empty(); });
    return stepId_;
  }
  bool waitFinished(std::chrono::milliseconds d = 10s) {
    std::unique_lock lk(m_);
    return cv_.wait_for(lk, d, [&] { return finished_ > 0; });
  }
  StepOutcome outcome() {
    std::lock_guard lk(m_);
    return outcome_;
  }
  int finishedCount() {
    std::lock_guard lk(m_);
    return finished_;
  }
  // Lines that are relayed log events (tests give them an "EV " prefix).
  std::vector<std::string> events() {
    std::lock_guard lk(m_);
    std::vector<std::string> out;
    for (const auto& l : lines_) {
      if (l.rfind("EV ", 0) == 0) out.push_back(l);
    }
    return out;
  }
  bool saw(const std::string& text) {
    std::lock_guard lk(m_);
    for (const auto& l : lines_) {
      if (l.find(text) != std::string::npos) return true;
    }
    return false;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
  std::string stepId_;
  StepOutcome outcome_;
  int finished_ = 0;
};

TrackerSettings fastSettings() {
  TrackerSettings s;
  s.clusterName = "cluster";
  s.pollInterval = 20ms;
  s.logPollInterval = 20ms;
  s.safetyPollInterval = 60000ms;
  s.eventsWaitSeconds = 1;
  s.submitBatchWindow = 20ms;
  s.cancelCheckInterval = 20ms;
  s.retryDelay = 20ms;
  return s;
}

SubmitRequest request(std::shared_ptr<StepObserver> obs, const std::string& arg = "a") {
  SubmitRequest r;
  r.discovery.clusterName = "cluster";
  r.discovery.initialWaitMs = 1;
  r.discovery.bootPollIntervalMs = 1;
  r.step.name = "batch-step";
  r.step.jar = "s3://x/script-runner.jar";
  r.step.args = {"/step.sh", "uuid", "user", "/s.sh", arg};
  r.observer = std::move(obs);
  return r;
}

std::vector<std::string> expectedEvents(int from, int to) {
  std::vector<std::string> v;
  for (int i = from; i < to; ++i) v.push_back("EV " + std::to_string(i));
  return v;
}

TEST(EmrStepTrackerTest, CompletedStepSucceedsAndEveryEventIsRelayedOnceInOrder) {
  auto api = std::make_shared<FakeEmrApi>();
  api->logPageSize = 3;
  auto obs = std::make_shared<RecordingObserver>();
  EmrStepTracker tracker(api, fastSettings());
  tracker.submit(request(obs));
  auto id = obs->waitSubmitted();
  ASSERT_FALSE(id.empty());
  api->setState(id, "RUNNING");
  for (int i = 0; i < 7; ++i) api->addLog(id, "EV " + std::to_string(i));
  ASSERT_TRUE(api->waitForCalls("GetLogEvents", 4));
  for (int i = 7; i < 12; ++i) api->addLog(id, "EV " + std::to_string(i));
  api->setState(id, "COMPLETED");
  // Written after the terminal state (agent latency): the drain must still relay these.
  for (int i = 12; i < 20; ++i) api->addLog(id, "EV " + std::to_string(i));
  ASSERT_TRUE(obs->waitFinished());
  EXPECT_TRUE(obs->outcome().succeeded);
  EXPECT_EQ(obs->outcome().state, "COMPLETED");
  EXPECT_EQ(obs->outcome().stepId, id);
  EXPECT_EQ(obs->outcome().clusterId, "j-CLUSTER");
  // Either all 20 (drain saw the late ones) — the drain reads until the token stops changing.
  EXPECT_EQ(obs->events(), expectedEvents(0, 20));
  EXPECT_EQ(obs->finishedCount(), 1);
}

TEST(EmrStepTrackerTest, InterruptedFailedCancelledAndUnknownStatesEndTheJobAsFailure) {
  for (const char* state : {"INTERRUPTED", "FAILED", "CANCELLED", "SOME_NEW_STATE"}) {
    auto api = std::make_shared<FakeEmrApi>();
    auto obs = std::make_shared<RecordingObserver>();
    EmrStepTracker tracker(api, fastSettings());
    tracker.submit(request(obs));
    auto id = obs->waitSubmitted();
    api->setState(id, "RUNNING");
    api->setState(id, state);
    ASSERT_TRUE(obs->waitFinished()) << state;
    EXPECT_FALSE(obs->outcome().succeeded) << state;
    EXPECT_EQ(obs->outcome().state, state);
    EXPECT_NE(obs->outcome().message.find(std::string("Reason: ") + state), std::string::npos);
  }
}

TEST(EmrStepTrackerTest, StepMissingFromListStepsFails) {
  auto api = std::make_shared<FakeEmrApi>();
  auto obs = std::make_shared<RecordingObserver>();
  EmrStepTracker tracker(api, fastSettings());
  tracker.submit(request(obs));
  auto id = obs->waitSubmitted();
  ASSERT_FALSE(id.empty());
  api->forget(id);
  ASSERT_TRUE(obs->waitFinished());
  EXPECT_FALSE(obs->outcome().succeeded);
  EXPECT_EQ(obs->outcome().state, "FAILED");
  EXPECT_TRUE(obs->saw("Failed to find step with ID: " + id));
}

TEST(EmrStepTrackerTest, ThrottlingAndServerErrorsNeverFailAJob) {
  auto api = std::make_shared<FakeEmrApi>();
  api->failNext("ListClusters", 1, testing::throttled("ListClusters"));
  api->failNext("AddJobFlowSteps", 2, testing::throttled("AddJobFlowSteps"));
  auto obs = std::make_shared<RecordingObserver>();
  auto settings = fastSettings();
  settings.maxSlowdown = 2;  // keep the test quick while still slowing down
  EmrStepTracker tracker(api, settings);
  tracker.submit(request(obs));
  auto id = obs->waitSubmitted();
  ASSERT_FALSE(id.empty());
  api->failNext("ListSteps", 15, testing::throttled("ListSteps"));
  api->failNext("GetLogEvents", 6, testing::awsError("ServiceUnavailableException", 503));
  api->setState(id, "RUNNING");
  api->addLog(id, "EV 0");
  api->addLog(id, "EV 1");
  ASSERT_TRUE(api->waitForCalls("ListSteps", 16, 20000));
  EXPECT_EQ(obs->finishedCount(), 0);  // still running despite every poll failing
  api->failNext("ListSteps", 5, testing::awsError("InternalServerError", 500));
  api->setState(id, "COMPLETED");
  ASSERT_TRUE(obs->waitFinished(20s));
  EXPECT_TRUE(obs->outcome().succeeded) << obs->outcome().message;
  EXPECT_EQ(obs->events(), expectedEvents(0, 2));
  EXPECT_EQ(api->calls("AddJobFlowSteps"), 3);
  EXPECT_EQ(api->stepIds().size(), 1u);  // throttled submissions created nothing twice
}

TEST(EmrStepTrackerTest, TrackerSlowsDownWhenThrottled) {
  auto api = std::make_shared<FakeEmrApi>();
  auto obs = std::make_shared<RecordingObserver>();
  EmrStepTracker tracker(api, fastSettings());
  tracker.submit(request(obs));
  auto id = obs->waitSubmitted();
  api->failNext("ListSteps", 1000, testing::throttled("ListSteps"));
  ASSERT_TRUE(api->waitForCalls("ListSteps", 4));
  // Bounded wait for the condition: the factor reaches its cap while throttling lasts.
  for (int i = 0; i < 500 && tracker.slowdown() < 8; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(tracker.slowdown(), 8);
  api->failNext("ListSteps", 0, testing::throttled("ListSteps"));
  api->setState(id, "COMPLETED");
  ASSERT_TRUE(obs->waitFinished(20s));
  EXPECT_TRUE(obs->outcome().succeeded);
  EXPECT_LT(tracker.slowdown(), 8);
}

TEST(EmrStepTrackerTest, CancelSendsCancelStepsAndEndsWhenCancelled) {
  auto api = std::make_shared<FakeEmrApi>();
  auto obs = std::make_shared<RecordingObserver>();
  EmrStepTracker tracker(api, fastSettings());
  auto h = tracker.submit(request(obs));
  auto id = obs->waitSubmitted();
  api->setState(id, "RUNNING");
  ASSERT_TRUE(api->waitForCalls("ListSteps", 2));
  tracker.cancel(h);
  ASSERT_TRUE(api->waitForCalls("CancelSteps", 1));
  EXPECT_EQ(api->cancelRequests().at(0), std::vector<std::string>{id});
  EXPECT_EQ(api->state(id), "CANCEL_PENDING");
  EXPECT_EQ(obs->finishedCount(), 0);  // not before EMR says CANCELLED
  api->setState(id, "CANCELLED");
  ASSERT_TRUE(obs->waitFinished());
  EXPECT_TRUE(obs->outcome().cancelled);
  EXPECT_FALSE(obs->outcome().succeeded);
  EXPECT_EQ(obs->outcome().state, "CANCELLED");
  EXPECT_EQ(api->calls("CancelSteps"), 1);
}

TEST(EmrStepTrackerTest, CancelDuringClusterWaitSubmitsNothing) {
  auto api = std::make_shared<FakeEmrApi>();
  api->listClustersFn = [](int, const std::string&) -> aws::AwsResult<ClusterPage> {
    return ClusterPage{};  // no cluster ever
  };
  auto obs = std::make_shared<RecordingObserver>();
  EmrStepTracker tracker(api, fastSettings());
  auto r = request(obs);
  r.discovery.bootPollIntervalMs = 60000;  // a long wait the cancel must cut short
  auto h = tracker.submit(std::move(r));
  ASSERT_TRUE(api->waitForCalls("Invoke", 1));
  tracker.cancel(h);
  ASSERT_TRUE(obs->waitFinished(5s));
  EXPECT_TRUE(obs->outcome().cancelled);
  EXPECT_EQ(obs->outcome().state, "");
  EXPECT_EQ(api->calls("AddJobFlowSteps"), 0);
  EXPECT_EQ(api->calls("Invoke"), 1);
}

TEST(EmrStepTrackerTest, ConcurrentSubmissionsShareCallsAndListStepsStaysWithinTenIds) {
  auto api = std::make_shared<FakeEmrApi>();
  api->cluster.stepConcurrencyLevel = 1;
  auto settings = fastSettings();
  settings.submitBatchWindow = 200ms;
  EmrStepTracker tracker(api, settings);
  std::vector<std::shared_ptr<RecordingObserver>> observers;
  for (int i = 0; i < 25; ++i) {
    observers.push_back(std::make_shared<RecordingObserver>());
    tracker.submit(request(observers.back(), std::to_string(i)));
  }
  ASSERT_TRUE(api->waitForSteps(25));
  for (auto& o : observers) ASSERT_FALSE(o->waitSubmitted().empty());
  EXPECT_EQ(api->calls("AddJobFlowSteps"), 1);
  EXPECT_EQ(api->calls("ListClusters"), 1);
  EXPECT_EQ(api->calls("DescribeCluster"), 1);
  EXPECT_EQ(api->calls("ModifyCluster"), 1);
  for (const auto& id : api->stepIds()) api->setState(id, "RUNNING");
  for (const auto& id : api->stepIds()) api->setState(id, "COMPLETED");
  for (auto& o : observers) {
    ASSERT_TRUE(o->waitFinished());
    EXPECT_TRUE(o->outcome().succeeded);
  }
  EXPECT_LE(api->maxStepIdsSeen(), 10);
  // Each step got its own arguments back.
  for (const auto& id : api->stepIds()) EXPECT_EQ(api->definition(id).args.size(), 5u);
}

TEST(EmrStepTrackerTest, EventModeFollowsSqsEventsWithoutPolling) {
  auto api = std::make_shared<FakeEmrApi>();
  api->emitEvents = true;
  auto settings = fastSettings();
  settings.eventsQueueUrl = "http://sqs/q";
  settings.logPollInterval = 60000ms;  // only the drain reads logs here
  auto obs = std::make_shared<RecordingObserver>();
  EmrStepTracker tracker(api, settings);
  tracker.submit(request(obs));
  auto id = obs->waitSubmitted();
  api->setState(id, "RUNNING");
  api->addLog(id, "EV 0");
  ASSERT_TRUE(api->waitForCalls("ReceiveMessage", 2));
  api->setState(id, "COMPLETED");
  ASSERT_TRUE(obs->waitFinished());  // noticed through the event: ListSteps stays at most 1
  EXPECT_TRUE(obs->outcome().succeeded);
  EXPECT_EQ(obs->events(), expectedEvents(0, 1));
  EXPECT_LE(api->calls("ListSteps"), 1);      // at most the first safety poll
  EXPECT_GE(api->calls("DeleteMessage"), 2);  // every message, via the batch default
}

TEST(EmrStepTrackerTest, EventModeFallsBackToPollingWhenTheQueueIsUnusable) {
  auto api = std::make_shared<FakeEmrApi>();
  api->failNext("ReceiveMessage", 1,
                testing::awsError("AWS.SimpleQueueService.NonExistentQueue", 400));
  auto settings = fastSettings();
  settings.eventsQueueUrl = "http://sqs/missing";
  auto obs = std::make_shared<RecordingObserver>();
  EmrStepTracker tracker(api, settings);
  tracker.submit(request(obs));
  auto id = obs->waitSubmitted();
  api->setState(id, "COMPLETED");
  ASSERT_TRUE(obs->waitFinished());
  EXPECT_TRUE(obs->outcome().succeeded);
  EXPECT_TRUE(obs->saw("polling ListSteps instead"));
}

// --- the Job on an EventLoop ---

class RecordingLogger final : public JobLogger {
 public:
  void info(std::string_view m) override { lines.emplace_back(m); }
  void warn(std::string_view m) override { lines.emplace_back(m); }
  void error(std::string_view m) override { lines.emplace_back(m); }
  bool has(const std::string& text) const {
    for (const auto& l : lines) {
      if (l.find(text) != std::string::npos) return true;
    }
    return false;
  }
  std::vector<std::string> lines;
};

struct JobFixture {
  std::shared_ptr<FakeEmrApi> api = std::make_shared<FakeEmrApi>();
  std::shared_ptr<EmrTrackerPool> pool;
  EventLoop loop;
  SystemClock clock;
  RecordingLogger logger;
  std::optional<JobResult> result;

  JobFixture() {
    pool = std::make_shared<EmrTrackerPool>(
        [api = api](const std::string&) -> Result<std::shared_ptr<EmrApi>> {
          return std::shared_ptr<EmrApi>(api);
        });
  }
  std::unique_ptr<Job> make(std::map<std::string, std::string> extra = {}) {
    JobContext ctx;
    ctx.jobId = "job1";
    ctx.jobProps = {{"step", "/opt/run.sh one \"two three\""},
                    {"azkaban.flow.uuid", "uuid-1"},
                    {"azkaban.flow.submituser", "alice"},
                    {"user.to.proxy", "alice"}};
    for (auto& [k, v] : extra) ctx.jobProps[k] = v;
    ctx.sysProps = Props::make();
    ctx.sysProps->put("aws.emr.cluster.name", "cluster");
    ctx.sysProps->put("aws.emr.step.name", "batch-step");
    ctx.sysProps->put("aws.emr.step.script", "/home/hadoop/step.sh");
    ctx.sysProps->put("use.emr.user", "true");
    ctx.sysProps->put("aws.emr.poll.interval", "100");
    ctx.sysProps->put("aws.emr.log.poll.interval", "100");
    ctx.logger = &logger;
    ctx.loop = &loop;
    ctx.clock = &clock;
    EmrJobFactory factory({pool, nullptr});
    auto job = factory.create(std::move(ctx));
    return std::move(*job);
  }
  void start(Job& job) {
    job.start([this](JobResult r) { result = std::move(r); });
  }
  bool runUntilDone(std::chrono::milliseconds limit = 10s) {
    bool timedOut = false;
    auto timer = loop.addTimer(limit, [&] { timedOut = true; });
    loop.runUntil([&] { return result.has_value() || timedOut; });
    loop.cancelTimer(timer);
    return result.has_value();
  }
  // Runs the loop until the fake has `n` steps.
  bool runUntilSteps(size_t n) {
    bool timedOut = false;
    auto timer = loop.addTimer(5s, [&] { timedOut = true; });
    std::function<void()> tick;
    EventLoop::TimerId t = 0;
    tick = [&] { t = loop.addTimer(10ms, tick); };
    tick();
    loop.runUntil([&] { return api->stepIds().size() >= n || timedOut; });
    loop.cancelTimer(t);
    loop.cancelTimer(timer);
    return api->stepIds().size() >= n;
  }
};

TEST(EmrJobTest, SuccessRelaysLogsAndSetsOutputs) {
  JobFixture f;
  auto job = f.make();
  f.start(*job);
  EXPECT_FALSE(f.result.has_value());  // start() does not block or finish
  ASSERT_TRUE(f.runUntilSteps(1));
  auto id = f.api->stepIds().at(0);
  EXPECT_EQ(f.api->definition(id).args,
            (std::vector<std::string>{"/home/hadoop/step.sh", "uuid-1", "alice", "/opt/run.sh",
                                      "one \"two three\""}));
  f.api->setState(id, "RUNNING");
  f.api->addLog(id, "hello from the step");
  f.api->setState(id, "COMPLETED");
  ASSERT_TRUE(f.runUntilDone());
  EXPECT_TRUE(f.result->succeeded) << f.result->error;
  ASSERT_TRUE(f.result->outputProps);
  EXPECT_EQ(f.result->outputProps->getOr(kOutputStepId, ""), id);
  EXPECT_EQ(f.result->outputProps->getOr(kOutputClusterId, ""), "j-CLUSTER");
  EXPECT_EQ(f.result->outputProps->getOr(kOutputStepState, ""), "COMPLETED");
  EXPECT_TRUE(f.logger.has("Running EMR Step..."));
  EXPECT_TRUE(f.logger.has("Got cluster id: 'j-CLUSTER'"));
  EXPECT_TRUE(f.logger.has("Script to be run as emr user 'alice'"));
  EXPECT_TRUE(f.logger.has("EMR Step Complete"));
  EXPECT_EQ(std::count(f.logger.lines.begin(), f.logger.lines.end(), "hello from the step"), 1);
}

TEST(EmrJobTest, FailedStepFailsTheJob) {
  JobFixture f;
  auto job = f.make();
  f.start(*job);
  ASSERT_TRUE(f.runUntilSteps(1));
  auto id = f.api->stepIds().at(0);
  f.api->setState(id, "FAILED");
  ASSERT_TRUE(f.runUntilDone());
  EXPECT_FALSE(f.result->succeeded);
  EXPECT_NE(f.result->error.find("did not successfully complete. Reason: FAILED"),
            std::string::npos);
  EXPECT_EQ(f.result->outputProps->getOr(kOutputStepState, ""), "FAILED");
}

TEST(EmrJobTest, CancelCallsCancelStepsAndEndsOnCancelled) {
  JobFixture f;
  auto job = f.make();
  f.start(*job);
  ASSERT_TRUE(f.runUntilSteps(1));
  auto id = f.api->stepIds().at(0);
  f.api->setState(id, "RUNNING");
  job->cancel();
  ASSERT_TRUE(f.api->waitForCalls("CancelSteps", 1));
  f.api->setState(id, "CANCELLED");
  ASSERT_TRUE(f.runUntilDone());
  EXPECT_FALSE(f.result->succeeded);
  EXPECT_EQ(f.api->cancelRequests().at(0), std::vector<std::string>{id});
  EXPECT_EQ(f.result->outputProps->getOr(kOutputStepState, ""), "CANCELLED");
}

TEST(EmrJobTest, BadConfigurationFailsWithoutAwsCalls) {
  JobFixture f;
  auto job = f.make({{"user.to.proxy", "root"}, {"azkaban.flow.submituser", "root"}});
  f.start(*job);
  ASSERT_TRUE(f.runUntilDone());
  EXPECT_FALSE(f.result->succeeded);
  EXPECT_EQ(f.result->error, "Not permitted to proxy as 'root' through Azkaban");
  EXPECT_TRUE(f.api->allCalls().empty());
}

}  // namespace
}  // namespace azx::jobtypes::emr
