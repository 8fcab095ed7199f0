// The `test` job type of tests/support (conformance 0.1) on its own: real processes driven by
// the controller.
#include "tests/support/test_job_type.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "core/event_loop.h"
#include "tests/support/test_paths.h"

namespace azx::testing {
namespace {

using namespace std::chrono_literals;

class NullLogger final : public jobtypes::JobLogger {
 public:
  void info(std::string_view) override {}
  void warn(std::string_view) override {}
  void error(std::string_view) override {}
};

class TestJobTypeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = freshTempDir("test-job-type");
    controller_ = std::make_shared<TestJobController>(dir_ / "control");
    TestJobTypeOptions options;
    options.killGrace = 5s;
    factory_ = std::make_unique<TestJobTypeFactory>(controller_, options);
    future_ = result_.get_future();
    thread_ = std::thread([this] { loop_.run(); });
  }
  void TearDown() override {
    post([this] { job_.reset(); });
    loop_.stop();
    thread_.join();
  }

  template <class F>
  void post(F f) {
    std::promise<void> done;
    loop_.post([&] {
      f();
      done.set_value();
    });
    done.get_future().get();
  }

  // Starts one attempt of job `id` with `props`; the result arrives in result_.
  void start(const std::string& id, std::map<std::string, std::string> props, int attempt = 0) {
    post([&] {
      jobtypes::JobContext context;
      context.jobId = id;
      context.nestedId = id;
      context.execId = 7;
      context.attempt = attempt;
      props["azkaban.job.attempt"] = std::to_string(attempt);
      context.jobProps = props;
      context.workingDir = dir_;
      context.logger = &logger_;
      context.loop = &loop_;
      context.clock = &clock_;
      auto created = factory_->create(std::move(context));
      ASSERT_TRUE(created.ok());
      job_ = std::move(*created);
      job_->start([this](jobtypes::JobResult r) { result_.set_value(std::move(r)); });
    });
  }
  std::optional<jobtypes::JobResult> waitResult(std::chrono::milliseconds timeout = 10s) {
    if (future_.wait_for(timeout) != std::future_status::ready) return std::nullopt;
    return future_.get();
  }
  bool waitWaiting(const std::string& id) {
    for (int i = 0; i < 1000; ++i) {
      if (controller_->isWaiting(id, 7)) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

  std::filesystem::path dir_;
  std::shared_ptr<TestJobController> controller_;
  std::unique_ptr<TestJobTypeFactory> factory_;
  EventLoop loop_;
  std::thread thread_;
  SystemClock clock_;
  NullLogger logger_;
  std::unique_ptr<jobtypes::Job> job_;
  std::promise<jobtypes::JobResult> result_;
  std::future<jobtypes::JobResult> future_;
};

TEST_F(TestJobTypeTest, WaitJobSucceedsWithOutputs) {
  start("w", {{"type", "test"}});
  ASSERT_TRUE(waitWaiting("w"));
  ASSERT_TRUE(controller_->succeed("w", {{"k", "v"}, {"x", "1"}}, 7));
  auto result = waitResult();
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->succeeded) << result->error;
  ASSERT_TRUE(result->outputProps);
  EXPECT_EQ(result->outputProps->flatten(),
            (std::map<std::string, std::string>{{"k", "v"}, {"x", "1"}}));
  EXPECT_FALSE(controller_->isWaiting("w", 7));
}

TEST_F(TestJobTypeTest, WaitJobFails) {
  start("w", {{"type", "test"}});
  ASSERT_TRUE(controller_->fail("w", 7));
  auto result = waitResult();
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->succeeded);
}

TEST_F(TestJobTypeTest, WaitJobEndsOnKillUnlessItIgnoresIt) {
  start("w", {{"type", "test"}});
  ASSERT_TRUE(waitWaiting("w"));
  controller_->setIgnoreKill("w", true, 7);
  post([this] { job_->cancel(); });
  // Still alive after the SIGTERM: a command still reaches it.
  EXPECT_EQ(future_.wait_for(300ms), std::future_status::timeout);
  EXPECT_TRUE(controller_->isWaiting("w", 7));
  ASSERT_TRUE(controller_->fail("w", 7));
  auto result = waitResult();
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->succeeded);
}

TEST_F(TestJobTypeTest, WaitJobKilled) {
  start("w", {{"type", "test"}});
  ASSERT_TRUE(waitWaiting("w"));
  post([this] { job_->cancel(); });
  auto result = waitResult(3s);
  ASSERT_TRUE(result) << "SIGTERM must end the script promptly";
  EXPECT_FALSE(result->succeeded);
  EXPECT_FALSE(controller_->succeed("w", {}, 7, 200ms)) << "nothing is listening any more";
}

TEST_F(TestJobTypeTest, FailJobPassesAfterPassRetryAttempts) {
  start("f", {{"type", "test"}, {"fail", "true"}, {"passRetry", "2"}}, 2);
  auto result = waitResult();
  ASSERT_TRUE(result);
  EXPECT_FALSE(result->succeeded) << "attempt 2 is not > passRetry 2";
}

TEST_F(TestJobTypeTest, FailJobSucceedsOnceAttemptExceedsPassRetry) {
  start("f", {{"type", "test"}, {"fail", "true"}, {"passRetry", "2"}}, 3);
  auto result = waitResult();
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->succeeded) << result->error;
  ASSERT_TRUE(result->outputProps);
  EXPECT_TRUE(result->outputProps->flatten().empty());
}

TEST_F(TestJobTypeTest, SleepJobSucceedsByItselfWithoutOutputs) {
  start("s", {{"type", "test"}, {"fail", "false"}, {"seconds", "0.3"}});
  auto result = waitResult();
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->succeeded) << result->error;
  ASSERT_TRUE(result->outputProps);
  EXPECT_TRUE(result->outputProps->flatten().empty());
}

}  // namespace
}  // namespace azx::testing
