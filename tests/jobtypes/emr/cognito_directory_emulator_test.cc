// The Cognito EMR-user directory end to end against the AWS emulator (tests/aws_emulator):
// real SigV4, botocore-validated requests, STS AssumeRole for the read role, pages of 2.
// Needs /usr/bin/python3 with python3-botocore (CTest label aws-emulator).
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "aws/http/http_client.h"
#include "core/event_loop.h"
#include "jobtypes/emr/cognito_user_directory.h"
#include "jobtypes/emr/emr_job.h"
#include "tests/support/test_paths.h"

namespace azx::jobtypes::emr {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr char kPool[] = "eu-west-2_E2ePool7";
constexpr char kRole[] = "arn:aws:iam::123456789012:role/azkaban-executor-read-only-cognito-test";

// One emulator process for the test, started through harness.py and stopped by its pid.
class Emulator {
 public:
  Emulator() {
    auto state = azx::testing::freshTempDir("cognito-emulator");
    std::string cmd = std::string("/usr/bin/python3 ") + AZX_SOURCE_DIR +
                      "/tests/aws_emulator/harness.py start --state-dir " + state.string();
    FILE* out = popen(cmd.c_str(), "r");
    if (!out) return;
    char line[128] = {0};
    if (fgets(line, sizeof(line), out)) std::sscanf(line, "%d %d", &port_, &pid_);
    pclose(out);
  }
  ~Emulator() {
    if (port_ > 0) (void)admin("POST", "shutdown");
    for (int i = 0; pid_ > 0 && i < 100 && kill(pid_, 0) == 0; ++i) {
      std::this_thread::sleep_for(50ms);
    }
    if (pid_ > 0 && kill(pid_, 0) == 0) kill(pid_, SIGKILL);
  }
  bool running() const { return port_ > 0; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  json admin(const std::string& method, const std::string& route, const json& body = nullptr) {
    aws::HttpRequest req;
    req.method = method;
    req.url = endpoint() + "/__admin/" + route;
    req.timeout = 10s;
    if (!body.is_null()) {
      req.body = body.dump();
      req.headers.push_back({"Content-Type", "application/json"});
    }
    auto reply = http_.send(req);
    if (!reply) return json{{"error", reply.error().message}};
    return json::parse(reply->body, nullptr, false);
  }

 private:
  aws::CurlHttpClient http_;
  int port_ = 0;
  int pid_ = 0;
};

class CognitoEmulatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(emu_.running()) << "the emulator did not start (/usr/bin/python3, botocore?)";
    // Five groups and seven users; every listing takes more than one page of 2.
    for (int g = 0; g < 5; ++g) {
      ASSERT_EQ(emu_.admin("POST", "cognito/groups",
                           {{"pool", kPool}, {"GroupName", "group-" + std::to_string(g)}})
                    .value("ok", false),
                true);
    }
    seedUser("u-alice", {{"preferred_username", "alice"}, {"sub", "7f3e2a10-0000"}},
             {"group-0", "group-1", "group-3"});
    seedUser("bob", {{"sub", "e91d5c00-1111"}}, {"group-0", "group-1"});
    seedUser("u-carol", {{"preferred_username", "carol"}, {"sub", "c4a5"}},
             {"group-0", "group-1", "group-2"});
    for (int i = 0; i < 4; ++i) {
      seedUser("extra-" + std::to_string(i), {{"sub", std::to_string(i) + "00-sub"}},
               {"group-0", "group-4"});
    }
  }
  void seedUser(const std::string& name, json attributes, std::vector<std::string> groups) {
    json r = emu_.admin("POST", "cognito/users",
                        {{"pool", kPool},
                         {"Username", name},
                         {"Attributes", std::move(attributes)},
                         {"Groups", std::move(groups)}});
    ASSERT_TRUE(r.contains("sub")) << r.dump();
  }
  aws::ProviderContext context() {
    aws::ProviderContext ctx;
    ctx.env = aws::mapEnv({{"AWS_ENDPOINT_URL", emu_.endpoint()},
                           {"AWS_ACCESS_KEY_ID", "AKIAEMULATORTEST0001"},
                           {"AWS_SECRET_ACCESS_KEY", "emulatorSecretKey/0000000000000000000000"},
                           {"AWS_EC2_METADATA_DISABLED", "true"},
                           {"AWS_CONFIG_FILE", "/nonexistent"},
                           {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"}});
    return ctx;
  }
  std::shared_ptr<CognitoUserDirectory> directory(bool withRole) {
    CognitoDirectoryConfig config;
    config.userPoolId = kPool;
    if (withRole) config.roleArn = kRole;
    config.pageSize = 2;
    auto made = makeCognitoUserDirectory(config, context());
    EXPECT_TRUE(made) << made.error().message;
    return made ? *made : nullptr;
  }

  Emulator emu_;
};

TEST_F(CognitoEmulatorTest, LoadsEveryPageThroughTheAssumedReadRole) {
  auto dir = directory(/*withRole=*/true);
  ASSERT_TRUE(dir);
  EXPECT_NE(dir->description().find("eu-west-2"), std::string::npos) << dir->description();
  emu_.admin("POST", "calls/reset");
  auto loaded = dir->refresh();
  ASSERT_TRUE(loaded) << loaded.error().message;
  auto snap = dir->snapshot();
  ASSERT_TRUE(snap);
  ASSERT_EQ(snap->groups.size(), 5u);
  EXPECT_EQ(snap->groups[0].name, "group-0");
  EXPECT_EQ(snap->groups[0].members,
            (std::vector<std::string>{"alice7f3", "bobe91", "carolc4a", "extra-0000", "extra-1100",
                                      "extra-2200", "extra-3300"}));
  EXPECT_EQ(snap->groups[2].members, std::vector<std::string>{"carolc4a"});
  EXPECT_EQ(snap->userCount(), 7u);
  json calls = emu_.admin("GET", "calls")["calls"];
  EXPECT_EQ(calls.value("sts.AssumeRole", 0), 1);
  EXPECT_EQ(calls.value("cognito-idp.ListGroups", 0), 3);  // 2 + 2 + 1
  // group-0: 7 members -> 4 pages; group-1: 3 -> 2; group-2: 1; group-3: 1; group-4: 4 -> 2.
  EXPECT_EQ(calls.value("cognito-idp.ListUsersInGroup", 0), 10);
  EXPECT_EQ(calls.value("cognito-idp.ListUsers", 0), 0);  // every member came with its sub
  json log = emu_.admin("GET", "cognito/calls")["calls"];
  ASSERT_EQ(log.size(), 13u);
  for (const auto& c : log) {
    EXPECT_EQ(c["caller"],
              "arn:aws:sts::123456789012:assumed-role/"
              "azkaban-executor-read-only-cognito-test/EMR_Get_Users");
  }
  // The role's credentials are cached: a second load assumes nothing.
  ASSERT_TRUE(dir->refresh());
  EXPECT_EQ(emu_.admin("GET", "calls")["calls"].value("sts.AssumeRole", 0), 1);
}

TEST_F(CognitoEmulatorTest, RefreshSeesChangesAndAFailedOneKeepsTheSnapshot) {
  auto dir = directory(/*withRole=*/false);
  ASSERT_TRUE(dir);
  ASSERT_TRUE(dir->refresh());
  auto groupFile = azx::testing::freshTempDir("cognito-emulator-group") / "group";
  auto lookup = directoryGroupLookup(dir, groupFile);  // no local file: Cognito only
  EXPECT_EQ(lookup("alice7f3"), "group-3");
  EXPECT_EQ(lookup("bobe91"), "group-1");
  EXPECT_EQ(lookup("bob"), std::nullopt);  // the display name alone is no local name

  emu_.admin("POST", "cognito/remove-member",
             {{"pool", kPool}, {"Username", "u-alice"}, {"GroupName", "group-3"}});
  emu_.admin("POST", "cognito/users",
             {{"pool", kPool},
              {"Username", "bob"},
              {"Attributes", {{"sub", "e91d5c00-1111"}}},
              {"Groups", {"group-0", "group-1", "group-4"}}});
  // Every attempt of ListGroups fails (the client tries 3 times): the load fails as a whole.
  emu_.admin("POST", "faults", {{"api", "cognito-idp.ListGroups"}, {"count", 3}, {"status", 500}});
  auto before = dir->snapshot();
  auto failed = dir->refresh();
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find("InternalErrorException"), std::string::npos)
      << failed.error().message;
  EXPECT_EQ(dir->snapshot(), before);
  EXPECT_EQ(lookup("alice7f3"), "group-3");

  ASSERT_TRUE(dir->refresh());
  EXPECT_EQ(lookup("alice7f3"), "group-1");
  EXPECT_EQ(lookup("bobe91"), "group-4");

  // What the emr job does with it (use.emr.user=false, no service user).
  UserInputs in;
  in.submitUser = "alice7f3";
  auto emr = emrUser(in, "alice7f3", lookup, "/etc/group or " + dir->description());
  ASSERT_TRUE(emr) << emr.error().message;
  EXPECT_EQ(*emr, "group-1");
}

TEST_F(CognitoEmulatorTest, StartLogsAFailureAndKeepsTheServerGoing) {
  CognitoDirectoryConfig config;
  config.userPoolId = "eu-west-2_NoSuchPool";
  config.refresh = 0s;
  std::vector<std::string> warnings;
  std::mutex m;
  CognitoDirectoryOptions options;
  options.retryInterval = 1h;  // no second attempt within the test
  options.log = [&](bool warning, const std::string& line) {
    std::lock_guard<std::mutex> lock(m);
    if (warning) warnings.push_back(line);
  };
  auto made = makeCognitoUserDirectory(config, context(), options);
  ASSERT_TRUE(made) << made.error().message;
  (*made)->start();
  std::lock_guard<std::mutex> lock(m);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("ResourceNotFoundException"), std::string::npos) << warnings[0];
  EXPECT_NE(warnings[0].find("User pool eu-west-2_NoSuchPool does not exist."), std::string::npos)
      << warnings[0];
  EXPECT_EQ((*made)->snapshot(), nullptr);
}

class LinesLogger final : public JobLogger {
 public:
  void info(std::string_view m) override { lines.emplace_back(m); }
  void warn(std::string_view m) override { lines.emplace_back(m); }
  void error(std::string_view m) override { lines.emplace_back(m); }
  std::vector<std::string> lines;
};

// The server's path: registerEmrJobType with azkaban.properties, the process-wide directory,
// the process-wide tracker pool, a real step on the emulator's cluster. Changes the process
// environment, so it must stay the only test in this binary that reads it.
TEST_F(CognitoEmulatorTest, RegisterEmrJobTypeFromServerPropsResolvesTheStepUser) {
  for (const char* v : {"USER_POOL_ID", "COGNITO_ROLE_ARN", "AWS_PROFILE", "AWS_REGION",
                        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"}) {
    unsetenv(v);
  }
  setenv("AWS_ENDPOINT_URL", emu_.endpoint().c_str(), 1);
  setenv("AWS_ACCESS_KEY_ID", "AKIAEMULATORTEST0001", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "emulatorSecretKey/0000000000000000000000", 1);
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  setenv("AWS_CONFIG_FILE", "/nonexistent", 1);
  setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", 1);
  std::string cluster = emu_.admin("POST", "emr/clusters", {{"name", "cognito-cluster"}})["id"];
  emu_.admin("POST", "calls/reset");

  Props serverProps;
  serverProps.put("azkaban.cognito.user.pool.id", kPool);
  serverProps.put("azkaban.cognito.page.size", "2");
  JobTypeRegistry registry;
  registerEmrJobType(registry, serverProps);
  EXPECT_EQ(emu_.admin("GET", "calls")["calls"].value("cognito-idp.ListGroups", 0), 3);
  registerEmrJobType(registry, serverProps);  // a job-type reload: the same directory, no reads
  EXPECT_EQ(emu_.admin("GET", "calls")["calls"].value("cognito-idp.ListGroups", 0), 3);
  ASSERT_NE(registry.find("emr"), nullptr);

  EventLoop loop;
  SystemClock clock;
  LinesLogger logger;
  JobContext ctx;
  ctx.jobId = "emr_alice";
  ctx.jobProps = {{"step", "/opt/scripts/report.sh --day 1"},
                  {"azkaban.flow.uuid", "uuid-cognito"},
                  {"azkaban.flow.submituser", "alice7f3"},
                  {"user.to.proxy", "alice7f3"}};
  ctx.sysProps = Props::make();
  ctx.sysProps->put("aws.emr.cluster.name", "cognito-cluster");
  ctx.sysProps->put("aws.emr.step.name", "batch-step");
  ctx.sysProps->put("aws.emr.step.script", "/bin/echo");  // the emulator runs Args[0]
  ctx.sysProps->put("aws.region", "eu-west-2");
  ctx.sysProps->put("aws.emr.poll.interval", "200");
  ctx.sysProps->put("aws.emr.log.poll.interval", "200");
  ctx.logger = &logger;
  ctx.loop = &loop;
  ctx.clock = &clock;
  auto job = registry.find("emr")->create(std::move(ctx));
  ASSERT_TRUE(job) << job.error().message;
  std::optional<JobResult> result;
  (*job)->start([&](JobResult r) { result = std::move(r); });
  bool timedOut = false;
  auto timer = loop.addTimer(60s, [&] { timedOut = true; });
  loop.runUntil([&] { return result.has_value() || timedOut; });
  loop.cancelTimer(timer);
  ASSERT_TRUE(result) << "the job did not finish";
  EXPECT_TRUE(result->succeeded) << result->error;
  json steps = emu_.admin("GET", "emr/steps")["steps"];
  ASSERT_EQ(steps.size(), 1u) << steps.dump();
  EXPECT_EQ(steps[0]["cluster_id"], cluster);
  EXPECT_EQ(steps[0]["args"],
            (json{"/bin/echo", "uuid-cognito", "group-3", "/opt/scripts/report.sh", "--day 1"}));
  EXPECT_NE(
      std::find(logger.lines.begin(), logger.lines.end(), "Script to be run as emr user 'group-3'"),
      logger.lines.end());
}

}  // namespace
}  // namespace azx::jobtypes::emr
