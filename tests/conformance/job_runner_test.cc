// Conformance CS-30..CS-37: one job run directly through a JobRunner (upstream JobRunnerTest),
// with a host that counts the DB writes (insert + updates of the job row, flow-semantics 3.3).
#include "engine/job_runner.h"

#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <regex>
#include <thread>

#include "engine/log_file.h"
#include "tests/conformance/conformance_util.h"

namespace azx::testing {
namespace {

using engine::EventType;

class CountingHost final : public engine::JobRunnerHost {
 public:
  void onJobEvent(engine::JobRunner& /*runner*/, EventType type) override {
    events.push_back(type);
  }
  void onJobAttemptStarted(engine::JobRunner& /*runner*/, const PropsPtr& /*inputProps*/) override {
    ++dbWrites;  // insert of the job row
  }
  void onJobUpdated(engine::JobRunner& /*runner*/) override { ++dbWrites; }  // RUNNING
  void onJobAttemptFinished(engine::JobRunner& /*runner*/,
                            const std::vector<std::filesystem::path>& logFiles,
                            const std::optional<std::filesystem::path>& /*attachment*/) override {
    ++dbWrites;  // final status
    logs = logFiles;
  }

  std::vector<EventType> events;
  std::vector<std::filesystem::path> logs;
  int dbWrites = 0;
};

struct Outcome {
  Status status = Status::Ready;
  int64_t startTime = -1;
  int64_t endTime = -1;
  std::optional<std::map<std::string, std::string>> outputProps;
  std::map<std::string, std::string> inputProps;
  bool killed = false;
  std::filesystem::path logPath;
  std::vector<EventType> events;
  int dbWrites = 0;
};

class JobRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    workingDir_ = freshTempDir("job-runner");
    controller_ = std::make_shared<TestJobController>(freshTempDir("job-runner-control"));
    (void)registry_.add(std::make_shared<TestJobTypeFactory>(controller_));
    thread_ = std::thread([this] { loop_.run(); });
  }
  void TearDown() override {
    onLoop([this] {
      if (runner_) runner_->kill();
      return 0;
    });
    waitUntil([this] { return !runner_ || runner_->finished(); }, 20s);
    onLoop([this] {
      runner_.reset();
      return 0;
    });
    loop_.stop();
    thread_.join();
  }

  template <class F>
  auto onLoop(F f) -> std::invoke_result_t<F&> {
    auto task = std::make_shared<std::packaged_task<std::invoke_result_t<F&>()>>(std::move(f));
    auto result = task->get_future();
    loop_.post([task] { (*task)(); });
    return result.get();
  }
  bool waitUntil(const std::function<bool()>& predicate, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!onLoop([&] { return predicate(); })) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(10ms);
    }
    return true;
  }

  // Builds execution `execId` with the single job `testJob` and starts its runner.
  void start(std::map<std::string, std::string> props, int execId = 1,
             Status initial = Status::Ready, int64_t delayMillis = 0) {
    onLoop([&] {
      flow_.executionId = execId;
      flow_.submitUser = "testUser";
      flow_.projectName = "testProject";
      flow_.root.flowId = "testFlow";
      auto node = std::make_unique<flow::ExecutableNode>();
      node->id = "testJob";
      node->type = "test";
      node->status = initial;
      props["type"] = "test";
      node->inputProps = Props::fromMap(props);
      node_ = &flow_.root.addChild(std::move(node));
      engine::JobRunnerDeps deps;
      deps.loop = &loop_;
      deps.clock = &clock_;
      deps.registry = &registry_;
      deps.config.logMaxBytes = 5 * 1024 * 1024;
      deps.config.logBackups = 4;
      runner_ =
          std::make_unique<engine::JobRunner>(deps, host_, flow_, *node_, workingDir_, delayMillis);
      runner_->run();
      return 0;
    });
  }
  bool waitFinished(std::chrono::milliseconds timeout = 20s) {
    return waitUntil([this] { return runner_->finished(); }, timeout);
  }
  Outcome outcome() {
    return onLoop([this] {
      Outcome o;
      o.status = node_->status;
      o.startTime = node_->startTime;
      o.endTime = node_->endTime;
      if (node_->outputProps) o.outputProps = node_->outputProps->flatten();
      if (node_->inputProps) o.inputProps = node_->inputProps->flatten();
      o.killed = runner_->killed();
      o.logPath = runner_->logPath();
      o.events = host_.events;
      o.dbWrites = host_.dbWrites;
      return o;
    });
  }
  // Any file of the working directory whose name starts with "_job." (the job logs).
  std::vector<std::filesystem::path> jobLogs() const {
    std::vector<std::filesystem::path> found;
    for (const auto& entry : std::filesystem::directory_iterator(workingDir_)) {
      if (entry.path().filename().string().rfind("_job.", 0) == 0) found.push_back(entry.path());
    }
    return found;
  }
  static std::string firstLine(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);
    return line;
  }

  std::filesystem::path workingDir_;
  std::shared_ptr<TestJobController> controller_;
  jobtypes::JobTypeRegistry registry_;
  EventLoop loop_;
  std::thread thread_;
  SystemClock clock_;
  CountingHost host_;
  flow::ExecutableFlow flow_;
  flow::ExecutableNode* node_ = nullptr;
  std::unique_ptr<engine::JobRunner> runner_;
};

const std::vector<EventType> kRanEvents = {EventType::JobStarted, EventType::JobStatusChanged,
                                           EventType::JobFinished};
const std::vector<EventType> kQuickEvents = {EventType::JobStarted, EventType::JobFinished};

TEST_F(JobRunnerTest, CS30_SuccessfulJob) {
  start({{"seconds", "0"}, {"fail", "false"}});
  ASSERT_TRUE(waitFinished());
  Outcome o = outcome();
  EXPECT_EQ(o.status, S);
  EXPECT_LE(0, o.startTime);
  EXPECT_LE(o.startTime, o.endTime);
  const auto expectedLog = std::filesystem::absolute(workingDir_ / "_job.1.testJob.log");
  EXPECT_EQ(o.logPath, expectedLog);
  ASSERT_TRUE(std::filesystem::exists(expectedLog));
  EXPECT_EQ(
      firstLine(expectedLog).rfind(engine::formatJavaDate(clock_.nowMillis(), "dd-MM-yyyy"), 0), 0u)
      << firstLine(expectedLog);
  // Default layout `%d{dd-MM-yyyy HH:mm:ss z} %c{1} %p - %m\n` (flow-semantics 5.2).
  EXPECT_TRUE(std::regex_match(
      firstLine(expectedLog),
      std::regex(
          R"(\d\d-\d\d-\d{4} \d\d:\d\d:\d\d \S+ testJob INFO - Starting job testJob at \d+)")))
      << firstLine(expectedLog);
  ASSERT_TRUE(o.outputProps);
  EXPECT_TRUE(o.outputProps->empty());
  EXPECT_EQ(o.inputProps["azkaban.job.log.file"], expectedLog.string());
  EXPECT_EQ(o.inputProps["user.to.proxy"], "testUser");
  EXPECT_EQ(o.dbWrites, 3);
  EXPECT_EQ(o.events, kRanEvents);
}

TEST_F(JobRunnerTest, CS31_FailingJob) {
  start({{"seconds", "0"}, {"fail", "true"}});
  ASSERT_TRUE(waitFinished());
  Outcome o = outcome();
  EXPECT_EQ(o.status, F);
  EXPECT_GT(o.startTime, 0);
  EXPECT_GE(o.endTime, 0);
  ASSERT_TRUE(o.outputProps) << "output props are empty, not absent";
  EXPECT_EQ(o.outputProps->size(), 0u);
  EXPECT_TRUE(std::filesystem::exists(o.logPath));
  EXPECT_FALSE(o.killed);
  EXPECT_EQ(o.dbWrites, 3);
  EXPECT_EQ(o.events, kRanEvents);
}

TEST_F(JobRunnerTest, CS32_DisabledJobIsSkipped) {
  start({{"seconds", "0"}, {"fail", "false"}}, 1, Status::Disabled);
  ASSERT_TRUE(waitFinished());
  Outcome o = outcome();
  EXPECT_EQ(o.status, SK);
  EXPECT_GT(o.startTime, 0);
  EXPECT_GT(o.endTime, 0);
  EXPECT_LT(o.endTime - o.startTime, 2000);
  EXPECT_FALSE(o.outputProps) << "absent, not empty";
  EXPECT_TRUE(jobLogs().empty());
  EXPECT_EQ(o.dbWrites, 0);
  EXPECT_EQ(o.events, kQuickEvents);
}

TEST_F(JobRunnerTest, CS33_PreKilledJobStaysKilled) {
  start({{"seconds", "0"}, {"fail", "false"}}, 1, Status::Killed);
  ASSERT_TRUE(waitFinished());
  Outcome o = outcome();
  EXPECT_EQ(o.status, K);
  EXPECT_GT(o.startTime, 0);
  EXPECT_GT(o.endTime, 0);
  EXPECT_LT(o.endTime - o.startTime, 2000);
  EXPECT_EQ(o.dbWrites, 0);
  EXPECT_FALSE(o.outputProps);
  EXPECT_TRUE(jobLogs().empty());
  EXPECT_FALSE(o.killed);
  EXPECT_EQ(o.events, kQuickEvents);
}

TEST_F(JobRunnerTest, CS34_KillRunningJob) {
  start({{"seconds", "10"}, {"fail", "false"}}, 13);
  ASSERT_TRUE(waitUntil([this] { return node_->status == Status::Running; }, 20s));
  onLoop([this] {
    runner_->kill();
    return 0;
  });
  ASSERT_TRUE(waitFinished());
  Outcome o = outcome();
  EXPECT_EQ(o.status, K);
  EXPECT_GT(o.startTime, 0);
  EXPECT_GT(o.endTime, 0);
  EXPECT_LT(o.endTime - o.startTime, 3000);
  EXPECT_EQ(o.dbWrites, 3);
  EXPECT_EQ(o.logPath.filename(), "_job.13.testJob.log");
  EXPECT_TRUE(std::filesystem::exists(o.logPath));
  ASSERT_TRUE(o.outputProps);
  EXPECT_EQ(o.outputProps->size(), 0u);
  EXPECT_TRUE(o.killed);
  EXPECT_EQ(o.events, kRanEvents);
}

TEST_F(JobRunnerTest, CS35_DelayedStartThenSuccess) {
  const int64_t scenarioStart = clock_.nowMillis();
  start({{"seconds", "0"}, {"fail", "false"}}, 1, Status::Ready, 10000);
  ASSERT_TRUE(waitUntil([this] { return runner_->waiting(); }, 5s));
  ASSERT_TRUE(waitFinished(30s));
  Outcome o = outcome();
  EXPECT_EQ(o.status, S);
  EXPECT_GE(o.startTime, scenarioStart);
  EXPECT_GE(o.startTime, scenarioStart + 10000) << "start time is taken after the delay";
  EXPECT_GE(o.endTime, o.startTime);
  EXPECT_TRUE(o.outputProps);
  EXPECT_TRUE(std::filesystem::exists(o.logPath));
  EXPECT_FALSE(o.killed);
  EXPECT_EQ(o.dbWrites, 3);
  EXPECT_EQ(o.events, kRanEvents);
}

TEST_F(JobRunnerTest, CS36_KillDuringStartDelay) {
  const int64_t scenarioStart = clock_.nowMillis();
  start({{"seconds", "0"}, {"fail", "false"}}, 1, Status::Ready, 10000);
  ASSERT_TRUE(waitUntil([this] { return runner_->waiting(); }, 5s));
  EXPECT_EQ(outcome().status, RD) << "status still as handed in while delayed";
  onLoop([this] {
    runner_->kill();
    return 0;
  });
  ASSERT_TRUE(waitFinished(5s)) << "KILLED promptly";
  Outcome o = outcome();
  EXPECT_EQ(o.status, K);
  EXPECT_GT(o.startTime, 0);
  EXPECT_LT(o.startTime - scenarioStart, 5000);
  EXPECT_LT(o.endTime - o.startTime, 1000);
  EXPECT_TRUE(o.killed);
  EXPECT_TRUE(std::filesystem::exists(o.logPath));
  EXPECT_FALSE(o.outputProps);
  EXPECT_EQ(o.dbWrites, 2);
  EXPECT_EQ(o.events, (std::vector<EventType>{EventType::JobFinished}));
}

TEST_F(JobRunnerTest, CS37_CustomLogLayout) {
  start({{"seconds", "0"}, {"fail", "false"}, {"azkaban.job.log.layout", "TEST %c{1} %p - %m\n"}});
  ASSERT_TRUE(waitFinished());
  Outcome o = outcome();
  ASSERT_TRUE(std::filesystem::exists(o.logPath));
  EXPECT_EQ(firstLine(o.logPath).rfind("TEST", 0), 0u) << firstLine(o.logPath);
}

}  // namespace
}  // namespace azx::testing
