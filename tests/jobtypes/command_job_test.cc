#include "jobtypes/command/command_job.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "tests/support/test_paths.h"

namespace azx::jobtypes {
namespace {

class MemoryLogger final : public JobLogger {
 public:
  void info(std::string_view m) override { lines.emplace_back(m); }
  void warn(std::string_view m) override { lines.emplace_back(m); }
  void error(std::string_view m) override { lines.emplace_back(m); }
  bool contains(const std::string& text) const {
    for (const auto& l : lines) {
      if (l.find(text) != std::string::npos) return true;
    }
    return false;
  }
  std::vector<std::string> lines;
};

struct Outcome {
  JobResult result;
  bool done = false;
};

class CommandJobTest : public ::testing::Test {
 protected:
  JobContext context(std::map<std::string, std::string> props) {
    JobContext c;
    c.jobId = "job1";
    c.nestedId = "job1";
    c.execId = 3;
    props.emplace("azkaban.flow.submituser", "tester");
    c.jobProps = std::move(props);
    c.sysProps = Props::make();
    c.sysProps->put("execute.as.user", "false");
    c.workingDir = dir_;
    c.logger = &logger_;
    c.loop = &loop_;
    c.clock = &clock_;
    return c;
  }
  Outcome run(std::map<std::string, std::string> props, CommandJobOptions options = {},
              std::function<void(CommandJob&)> afterStart = {}) {
    return runWith(context(std::move(props)), std::move(options), std::move(afterStart));
  }
  Outcome runWith(JobContext c, CommandJobOptions options = {},
                  std::function<void(CommandJob&)> afterStart = {}) {
    CommandJob job(std::move(c), options);
    Outcome r;
    job.start([&](JobResult result) {
      r.result = std::move(result);
      r.done = true;
    });
    if (afterStart) loop_.post([&] { afterStart(job); });
    loop_.runUntil([&] { return r.done; });
    return r;
  }

  std::filesystem::path dir_ = testing::freshTempDir("command-job");
  EventLoop loop_;
  SystemClock clock_;
  MemoryLogger logger_;
};

TEST_F(CommandJobTest, RunsCommandsInOrderWithEnvAndOutputs) {
  auto r = run({{"command", "bash -c 'echo first $GREETING'"},
                {"command.1",
                 "bash -c 'echo {\\\"k\\\": 1.5, \\\"s\\\": \\\"v\\\"} > $JOB_OUTPUT_PROP_FILE'"},
                {"command.3", "echo never"},
                {"env.GREETING", "hello"}});
  ASSERT_TRUE(r.result.succeeded) << r.result.error;
  EXPECT_TRUE(logger_.contains("first hello"));
  EXPECT_FALSE(logger_.contains("never"));  // command.2 is missing, so command.3 is not run
  ASSERT_TRUE(r.result.outputProps);
  EXPECT_EQ(r.result.outputProps->get("k"), "1.5");
  EXPECT_EQ(r.result.outputProps->get("s"), "v");
}

TEST_F(CommandJobTest, PropFileHoldsResolvedProperties) {
  auto r = run({{"command", "bash -c 'cp $JOB_PROP_FILE copied.props'"}, {"my.key", "a b"}});
  ASSERT_TRUE(r.result.succeeded) << r.result.error;
  std::ifstream in(dir_ / "copied.props");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("my.key=a b"), std::string::npos) << text.str();
}

TEST_F(CommandJobTest, NonZeroExitFailsAndSkipsTheRest) {
  auto r = run({{"command", "bash -c 'exit 3'"}, {"command.1", "echo after"}});
  EXPECT_FALSE(r.result.succeeded);
  EXPECT_EQ(r.result.error, "Process exited with code 3");
  EXPECT_FALSE(logger_.contains("after"));
  EXPECT_FALSE(r.result.outputProps);
}

TEST_F(CommandJobTest, OutputThatIsNotAnObjectYieldsNoOutputs) {
  auto r = run({{"command", "bash -c 'echo [1,2] > $JOB_OUTPUT_PROP_FILE'"}});
  ASSERT_TRUE(r.result.succeeded);
  ASSERT_TRUE(r.result.outputProps);
  EXPECT_TRUE(r.result.outputProps->local().empty());
}

TEST_F(CommandJobTest, MissingCommandAndUnknownProgramFailClearly) {
  auto missing = run({{"other", "x"}});
  EXPECT_EQ(missing.result.error, "Job set up failed: Missing required property 'command'");
  auto unknown = run({{"command", "no-such-program-azx"}});
  EXPECT_FALSE(unknown.result.succeeded);
  EXPECT_NE(unknown.result.error.find("no-such-program-azx"), std::string::npos);
}

TEST_F(CommandJobTest, CancelKillsTheWholeProcessGroup) {
  // The child shell starts a grandchild; both must go with the group.
  auto pidFile = dir_ / "grandchild.pid";
  CommandJobOptions options;
  options.killGrace = std::chrono::milliseconds(2000);
  bool cancelled = false;
  CommandJob job(
      context({{"command", "bash -c 'sleep 300 & echo $! > " + pidFile.string() + "; wait'"}}),
      options);
  Outcome r;
  job.start([&](JobResult result) {
    r.result = std::move(result);
    r.done = true;
  });
  std::function<void()> poll = [&] {
    if (!cancelled && std::filesystem::exists(pidFile) && std::filesystem::file_size(pidFile) > 0) {
      cancelled = true;
      job.cancel();
    } else if (!cancelled) {
      loop_.addTimer(std::chrono::milliseconds(10), poll);
    }
  };
  loop_.post(poll);
  loop_.runUntil([&] { return r.done; });
  EXPECT_FALSE(r.result.succeeded);
  std::ifstream in(pidFile);
  pid_t grandchild = 0;
  in >> grandchild;
  ASSERT_GT(grandchild, 0);
  // Reaped by init or a zombie at most: signal 0 fails, or /proc shows it as a zombie.
  bool gone = kill(grandchild, 0) != 0;
  if (!gone) {
    std::ifstream stat("/proc/" + std::to_string(grandchild) + "/stat");
    std::string pid, comm, state;
    stat >> pid >> comm >> state;
    gone = state == "Z" || state.empty();
  }
  EXPECT_TRUE(gone) << "grandchild " << grandchild << " survived the kill";
}

TEST_F(CommandJobTest, BlacklistedEffectiveUserIsRefused) {
  JobContext c = context({{"command", "true"}, {"user.to.proxy", "root"}});
  c.sysProps->put("execute.as.user", "true");
  CommandJob job(std::move(c), {});
  Outcome r;
  job.start([&](JobResult result) {
    r.result = std::move(result);
    r.done = true;
  });
  loop_.runUntil([&] { return r.done; });
  EXPECT_EQ(r.result.error, "Not permitted to proxy as 'root' through Azkaban");
}

TEST_F(CommandJobTest, ExecuteAsUserSwitchesToTheEffectiveUser) {
  if (geteuid() != 0) GTEST_SKIP() << "switching users needs root";
  auto nobody = lookupUser("nobody");
  if (!nobody) GTEST_SKIP() << "no user 'nobody' on this host";
  JobContext c = context({{"command", "id -un"}, {"user.to.proxy", "nobody"}});
  c.sysProps->put("execute.as.user", "true");
  c.sysProps->put("azkaban.group.name", "nogroup");
  std::filesystem::permissions(dir_, std::filesystem::perms::all);
  auto r = runWith(std::move(c));
  ASSERT_TRUE(r.result.succeeded) << r.result.error;
  EXPECT_TRUE(logger_.contains("effective user is: nobody"));
  // The process printed its own user name: it ran as nobody, not as root.
  bool printed = false;
  for (const auto& line : logger_.lines) printed |= line == "nobody";
  EXPECT_TRUE(printed);
}

// Descriptors the executor holds without close-on-exec (client libraries' sockets) must not
// reach the job: both spawn paths (posix_spawn, and fork for execute-as-user) close them.
TEST_F(CommandJobTest, JobsInheritOnlyStandardDescriptors) {
  int leaked = open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(leaked, 3);
  auto r = run({{"command", "bash -c 'test -e /proc/self/fd/" + std::to_string(leaked) +
                                " && echo inherited || echo clean'"}});
  ASSERT_TRUE(r.result.succeeded) << r.result.error;
  // Exact lines: the log also holds the command text, which names both words.
  auto printed = [&](const std::string& word) {
    return std::count(logger_.lines.begin(), logger_.lines.end(), word) > 0;
  };
  EXPECT_TRUE(printed("clean"));
  EXPECT_FALSE(printed("inherited"));
  if (geteuid() == 0 && lookupUser("nobody")) {
    JobContext c = context({{"command", "bash -c 'test -e /proc/self/fd/" + std::to_string(leaked) +
                                            " && echo forked-inherited || echo forked-clean'"},
                            {"user.to.proxy", "nobody"}});
    c.sysProps->put("execute.as.user", "true");
    c.sysProps->put("azkaban.group.name", "nogroup");
    std::filesystem::permissions(dir_, std::filesystem::perms::all);
    auto forked = runWith(std::move(c));
    ASSERT_TRUE(forked.result.succeeded) << forked.result.error;
    EXPECT_TRUE(printed("forked-clean"));
    EXPECT_FALSE(printed("forked-inherited"));
  }
  close(leaked);
}

TEST_F(CommandJobTest, ConfiguredBlacklistIsHonoured) {
  JobContext c = context({{"command", "true"}, {"user.to.proxy", "svc"}});
  c.sysProps->put("execute.as.user", "true");
  c.sysProps->put("azkaban.server.blacklist.users", "root,azkaban,svc");
  CommandJob job(std::move(c), {});
  Outcome r;
  job.start([&](JobResult result) {
    r.result = std::move(result);
    r.done = true;
  });
  loop_.runUntil([&] { return r.done; });
  EXPECT_EQ(r.result.error, "Not permitted to proxy as 'svc' through Azkaban");
}

}  // namespace
}  // namespace azx::jobtypes
