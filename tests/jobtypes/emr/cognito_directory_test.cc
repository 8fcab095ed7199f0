// The Cognito EMR-user directory: the user-name rule, loading, precedence over /etc/group,
// refresh (a failed one keeps the last good snapshot), configuration, and the emr job's EMR
// user through it.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>

#include "core/event_loop.h"
#include "fake_emr_api.h"
#include "jobtypes/emr/cognito_user_directory.h"
#include "jobtypes/emr/emr_job.h"
#include "tests/support/test_paths.h"

namespace azx::jobtypes::emr {
namespace {

using namespace std::chrono_literals;
using aws::CognitoUser;

CognitoUser user(std::string username, std::map<std::string, std::string> attributes) {
  CognitoUser u;
  u.username = std::move(username);
  for (auto& [k, v] : attributes) u.attributes.push_back({k, v});
  return u;
}

aws::AwsError serviceError(const std::string& code) {
  aws::AwsError e;
  e.code = code;
  e.message = "injected";
  e.httpStatus = 400;
  e.operation = "AWSCognitoIdentityProviderService.ListGroups";
  return e;
}

// Groups in order with their members; ListUsers answers `everyone`. Thread-safe.
class FakeCognitoApi final : public CognitoApi {
 public:
  void set(std::vector<std::pair<std::string, std::vector<CognitoUser>>> groups,
           std::vector<CognitoUser> everyone = {}) {
    std::lock_guard<std::mutex> lock(mutex_);
    groups_ = std::move(groups);
    everyone_ = std::move(everyone);
  }
  void failNext(int n) { failures_ = n; }
  void blockUntilReleased() { blocked_ = true; }
  void release() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      blocked_ = false;
    }
    cv_.notify_all();
  }
  int calls(const std::string& api) {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_[api];
  }

  aws::AwsResult<std::vector<std::string>> listGroups() override {
    std::unique_lock<std::mutex> lock(mutex_);
    ++calls_["ListGroups"];
    cv_.wait(lock, [this] { return !blocked_; });
    if (failures_ > 0) {
      --failures_;
      return serviceError("TooManyRequestsException");
    }
    std::vector<std::string> names;
    for (const auto& g : groups_) names.push_back(g.first);
    return names;
  }
  aws::AwsResult<std::vector<CognitoUser>> listUsersInGroup(const std::string& group) override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++calls_["ListUsersInGroup"];
    for (const auto& g : groups_) {
      if (g.first == group) return g.second;
    }
    return serviceError("ResourceNotFoundException");
  }
  aws::AwsResult<std::vector<CognitoUser>> listUsers() override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++calls_["ListUsers"];
    return everyone_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::pair<std::string, std::vector<CognitoUser>>> groups_;
  std::vector<CognitoUser> everyone_;
  std::map<std::string, int> calls_;
  std::atomic<int> failures_{0};
  bool blocked_ = false;
};

class FixedClock final : public Clock {
 public:
  int64_t nowMillis() const override { return 1767225600000; }
};

std::filesystem::path writeGroupFile(const std::string& label, const std::string& text) {
  auto path = azx::testing::freshTempDir(label) / "group";
  std::ofstream(path) << text;
  return path;
}

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 5s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

// ---- the user-name rule (container-and-ops 3 step 9.3-9.4)

TEST(CognitoNameRule, PreferredUsernameElseUsernamePlusThreeCharactersOfSub) {
  auto preferred = user("0f7c-uuid-username", {{"preferred_username", "alice"},
                                               {"sub", "7f3e2a10-aaaa-bbbb-cccc-0123456789ab"}});
  EXPECT_EQ(cognitoDisplayName(preferred), "alice");
  EXPECT_EQ(cognitoLocalUserName(preferred), "alice7f3");
  auto plain = user("bob", {{"sub", "e91d-0000"}, {"email", "bob@example.com"}});
  EXPECT_EQ(cognitoDisplayName(plain), "bob");
  EXPECT_EQ(cognitoLocalUserName(plain), "bobe91");
}

TEST(CognitoNameRule, ShortSubGivesWhatItHasMissingOrEmptySubGivesNoName) {
  EXPECT_EQ(cognitoLocalUserName(user("carol", {{"sub", "ab"}})), "carolab");
  EXPECT_EQ(cognitoLocalUserName(user("carol", {{"sub", "a"}})), "carola");
  EXPECT_EQ(cognitoLocalUserName(user("dave", {{"preferred_username", "d"}})), std::nullopt);
  EXPECT_EQ(cognitoLocalUserName(user("erin", {{"sub", ""}})), std::nullopt);
  // The display name still follows the rule without a sub.
  EXPECT_EQ(cognitoDisplayName(user("dave", {{"preferred_username", "d"}})), "d");
}

// ---- loading

TEST(CognitoDirectoryLoad, GroupsInOrderWithLocalNamesAndListUsersOnlyWhenNeeded) {
  FakeCognitoApi api;
  api.set({{"analysts",
            {user("u-alice", {{"preferred_username", "alice"}, {"sub", "7f3aaa"}}),
             user("bob", {{"sub", "e91bbb"}})}},
           {"engineers", {user("bob", {{"sub", "e91bbb"}})}},
           {"empty", {}}});
  FixedClock clock;
  auto snapshot = loadCognitoDirectory(api, clock);
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  ASSERT_EQ(snapshot->groups.size(), 3u);
  EXPECT_EQ(snapshot->groups[0].name, "analysts");
  EXPECT_EQ(snapshot->groups[0].members, (std::vector<std::string>{"alice7f3", "bobe91"}));
  EXPECT_EQ(snapshot->groups[1].members, (std::vector<std::string>{"bobe91"}));
  EXPECT_TRUE(snapshot->groups[2].members.empty());
  EXPECT_EQ(snapshot->userCount(), 2u);
  EXPECT_EQ(snapshot->loadedAtMillis, clock.nowMillis());
  EXPECT_TRUE(snapshot->skippedUsers.empty());
  EXPECT_EQ(api.calls("ListGroups"), 1);
  EXPECT_EQ(api.calls("ListUsersInGroup"), 3);
  EXPECT_EQ(api.calls("ListUsers"), 0);  // every member came with its sub
}

TEST(CognitoDirectoryLoad, MemberWithoutSubIsCompletedFromListUsersElseLeftOut) {
  FakeCognitoApi api;
  api.set({{"g1", {user("u1", {{"preferred_username", "one"}}), user("u2", {})}},
           {"g2", {user("u2", {}), user("u3", {{"sub", "333"}})}}},
          {user("u1", {{"preferred_username", "one"}, {"sub", "111x"}}), user("u2", {}),
           user("u3", {{"sub", "333"}})});
  FixedClock clock;
  auto snapshot = loadCognitoDirectory(api, clock);
  ASSERT_TRUE(snapshot) << snapshot.error().message;
  EXPECT_EQ(snapshot->groups[0].members, std::vector<std::string>{"one111"});
  EXPECT_EQ(snapshot->groups[1].members, std::vector<std::string>{"u3333"});
  EXPECT_EQ(snapshot->skippedUsers, std::vector<std::string>{"u2"});  // once, not per group
  EXPECT_EQ(api.calls("ListUsers"), 1);                               // once per load
}

TEST(CognitoDirectoryLoad, AnyFailedCallFailsTheLoadWithContext) {
  FakeCognitoApi api;
  api.failNext(1);
  FixedClock clock;
  auto r = loadCognitoDirectory(api, clock);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("TooManyRequestsException"), std::string::npos);

  class MissingGroup final : public CognitoApi {
   public:
    aws::AwsResult<std::vector<std::string>> listGroups() override {
      return std::vector<std::string>{"gone"};
    }
    aws::AwsResult<std::vector<CognitoUser>> listUsersInGroup(const std::string&) override {
      return serviceError("ResourceNotFoundException");
    }
    aws::AwsResult<std::vector<CognitoUser>> listUsers() override {
      return std::vector<CognitoUser>{};
    }
  } missing;
  auto m = loadCognitoDirectory(missing, clock);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message.rfind("group 'gone': ", 0), 0u) << m.error().message;
}

// ---- precedence over /etc/group (emr-jobtypes 2.3.3 after the entrypoint's import)

TEST(CognitoGroupPrecedence, ReproducesTheImportedEtcGroup) {
  auto file = writeGroupFile("cognito-precedence",
                             "root:x:0:\n"
                             "users:x:100:bobe91,local1\n"
                             "staff:x:50:alice7f3,dave444,local1\n"
                             "nomembers:x:60:\n");
  DirectorySnapshot snap;
  snap.groups = {{"analysts", {"alice7f3", "carol123"}},
                 {"users", {"carol123", "dave444"}},  // exists locally: its line gains members
                 {"engineers", {"alice7f3"}},
                 {"nomembers", {"erin555"}}};
  // Cognito groups come after the local lines: the last in ListGroups order wins...
  EXPECT_EQ(groupWithDirectory("alice7f3", &snap, file), "engineers");
  // ...but a Cognito group that already existed keeps its earlier line.
  EXPECT_EQ(groupWithDirectory("carol123", &snap, file), "analysts");
  EXPECT_EQ(groupWithDirectory("dave444", &snap, file), "staff");
  EXPECT_EQ(groupWithDirectory("erin555", &snap, file), "nomembers");
  // Users in no Cognito group: /etc/group alone.
  EXPECT_EQ(groupWithDirectory("local1", &snap, file), "staff");
  EXPECT_EQ(groupWithDirectory("bobe91", &snap, file), "users");
  EXPECT_EQ(groupWithDirectory("nobody", &snap, file), std::nullopt);
  // No snapshot (not loaded yet): exactly groupFromFile.
  for (const char* u : {"alice7f3", "carol123", "local1", "nobody"}) {
    EXPECT_EQ(groupWithDirectory(u, nullptr, file), groupFromFile(u, file)) << u;
  }
  // No readable /etc/group: Cognito alone.
  EXPECT_EQ(groupWithDirectory("alice7f3", &snap, file.parent_path() / "missing"), "engineers");
  EXPECT_EQ(groupWithDirectory("dave444", &snap, file.parent_path() / "missing"), "users");
}

// ---- the directory object: refresh, thread, start

TEST(CognitoUserDirectoryTest, FailedRefreshKeepsTheLastGoodSnapshot) {
  auto api = std::make_shared<FakeCognitoApi>();
  api->set({{"g", {user("alice", {{"sub", "111"}})}}});
  std::vector<std::string> logs;
  CognitoDirectoryOptions options;
  options.description = "pool P";
  options.log = [&](bool warning, const std::string& line) {
    logs.push_back((warning ? "W " : "I ") + line);
  };
  CognitoUserDirectory directory(api, options);
  EXPECT_EQ(directory.snapshot(), nullptr);
  ASSERT_TRUE(directory.refresh());
  auto first = directory.snapshot();
  ASSERT_NE(first, nullptr);
  api->failNext(1);
  api->set({{"g", {user("alice", {{"sub", "111"}})}}, {"h", {}}});
  auto failed = directory.refresh();
  ASSERT_FALSE(failed);
  EXPECT_EQ(directory.snapshot(), first);  // the very same snapshot
  EXPECT_EQ(directory.loadsSucceeded(), 1);
  EXPECT_EQ(directory.loadsFailed(), 1);
  ASSERT_TRUE(directory.refresh());
  EXPECT_EQ(directory.snapshot()->groups.size(), 2u);
  EXPECT_EQ(first->groups.size(), 1u);  // a reader's old copy is untouched
  ASSERT_EQ(logs.size(), 3u);
  EXPECT_EQ(logs[0], "I Cognito user directory: 1 groups, 1 users from pool P");
  EXPECT_EQ(logs[1].rfind("W Cognito user directory: refresh from pool P failed; keeping the "
                          "snapshot of 20",
                          0),
            0u)
      << logs[1];
  EXPECT_NE(logs[1].find("(1 groups): "), std::string::npos) << logs[1];
  EXPECT_NE(logs[1].find("TooManyRequestsException"), std::string::npos) << logs[1];
}

TEST(CognitoUserDirectoryTest, UsersWithoutSubAreLoggedOnceNotAtEveryRefresh) {
  auto api = std::make_shared<FakeCognitoApi>();
  api->set({{"g", {user("nosub", {})}}});
  std::vector<std::string> warnings;
  CognitoDirectoryOptions options;
  options.log = [&](bool warning, const std::string& line) {
    if (warning) warnings.push_back(line);
  };
  CognitoUserDirectory directory(api, options);
  ASSERT_TRUE(directory.refresh());
  ASSERT_TRUE(directory.refresh());
  EXPECT_EQ(warnings, std::vector<std::string>{"Cognito user directory: user 'nosub' has no sub "
                                               "attribute and no local name; left out"});
}

TEST(CognitoUserDirectoryTest, ThreadRefreshesAndRidesOutFailures) {
  auto api = std::make_shared<FakeCognitoApi>();
  api->set({{"g", {user("alice", {{"sub", "111"}})}}});
  CognitoDirectoryOptions options;
  options.refreshInterval = 20ms;
  options.retryInterval = 10ms;
  auto directory = std::make_shared<CognitoUserDirectory>(api, options);
  directory->start();  // the first load is done when start() returns
  ASSERT_NE(directory->snapshot(), nullptr);
  auto lookup = directoryGroupLookup(directory, "/nonexistent/group");
  EXPECT_EQ(lookup("alice111"), "g");
  api->failNext(3);
  api->set({{"g", {}}, {"moved", {user("alice", {{"sub", "111"}})}}});
  ASSERT_TRUE(eventually([&] { return directory->loadsFailed() >= 3; }));
  ASSERT_TRUE(
      eventually([&] { return lookup("alice111") == std::optional<std::string>("moved"); }));
  EXPECT_GE(directory->loadsSucceeded(), 2);
}

TEST(CognitoUserDirectoryTest, StartDoesNotStopOnAFailedFirstLoadAndRetries) {
  auto api = std::make_shared<FakeCognitoApi>();
  api->set({{"g", {user("alice", {{"sub", "111"}})}}});
  api->failNext(1);
  std::vector<std::string> warnings;
  std::mutex m;
  CognitoDirectoryOptions options;
  options.description = "pool P";
  options.refreshInterval = 0ms;  // load once (after the retry)
  options.retryInterval = 10ms;
  options.log = [&](bool warning, const std::string& line) {
    std::lock_guard<std::mutex> lock(m);
    if (warning) warnings.push_back(line);
  };
  auto directory = std::make_shared<CognitoUserDirectory>(api, options);
  directory->start();
  {
    std::lock_guard<std::mutex> lock(m);
    ASSERT_FALSE(warnings.empty());
    EXPECT_EQ(warnings[0].rfind("Cognito user directory: load from pool P failed; EMR users "
                                "resolve through /etc/group only until a load succeeds: ",
                                0),
              0u)
        << warnings[0];
  }
  ASSERT_TRUE(eventually([&] { return directory->snapshot() != nullptr; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(api->calls("ListGroups"), 2);  // load once: no refresh after the success
}

TEST(CognitoUserDirectoryTest, StartWaitsOnlyInitialWaitForASlowFirstLoad) {
  auto api = std::make_shared<FakeCognitoApi>();
  api->set({{"g", {user("alice", {{"sub", "111"}})}}});
  api->blockUntilReleased();
  std::atomic<bool> warned{false};
  CognitoDirectoryOptions options;
  options.initialWait = 30ms;
  options.log = [&](bool warning, const std::string& line) {
    if (warning && line.find("still running after 30 ms") != std::string::npos) warned = true;
  };
  auto directory = std::make_shared<CognitoUserDirectory>(api, options);
  directory->start();
  EXPECT_TRUE(warned);
  EXPECT_EQ(directory->snapshot(), nullptr);
  api->release();
  ASSERT_TRUE(eventually([&] { return directory->snapshot() != nullptr; }));
}

// ---- configuration

TEST(CognitoDirectoryConfigTest, PropertiesThenAzkEnvironmentThenTheJavaVariables) {
  Props props;
  auto none = readCognitoDirectoryConfig(props, aws::mapEnv({}));
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());

  auto java = readCognitoDirectoryConfig(
      props, aws::mapEnv({{"USER_POOL_ID", " eu-west-2_Java "},
                          {"COGNITO_ROLE_ARN", "arn:aws:iam::1:role/read"}}));
  ASSERT_TRUE(java && *java);
  EXPECT_EQ((*java)->userPoolId, "eu-west-2_Java");
  EXPECT_EQ((*java)->roleArn, "arn:aws:iam::1:role/read");
  EXPECT_EQ((*java)->refresh, std::chrono::seconds(900));
  EXPECT_EQ((*java)->pageSize, std::nullopt);

  auto env = aws::mapEnv({{"USER_POOL_ID", "eu-west-2_Java"},
                          {"AZK_AZKABAN_COGNITO_USER_POOL_ID", "eu-west-2_Azk"},
                          {"AZK_AZKABAN_COGNITO_PAGE_SIZE", "5"}});
  auto azk = readCognitoDirectoryConfig(props, env);
  ASSERT_TRUE(azk && *azk);
  EXPECT_EQ((*azk)->userPoolId, "eu-west-2_Azk");
  EXPECT_EQ((*azk)->pageSize, 5);

  props.put("azkaban.cognito.user.pool.id", "eu-west-2_Props");
  props.put("azkaban.cognito.role.arn", "arn:aws:iam::1:role/props");
  props.put("azkaban.cognito.refresh.seconds", "0");
  props.put("azkaban.cognito.region", "eu-west-1");
  auto fromProps = readCognitoDirectoryConfig(props, env);
  ASSERT_TRUE(fromProps && *fromProps);
  EXPECT_EQ((*fromProps)->userPoolId, "eu-west-2_Props");
  EXPECT_EQ((*fromProps)->roleArn, "arn:aws:iam::1:role/props");
  EXPECT_EQ((*fromProps)->refresh, std::chrono::seconds(0));
  EXPECT_EQ((*fromProps)->region, "eu-west-1");
}

TEST(CognitoDirectoryConfigTest, MalformedNumbersNameTheKey) {
  for (auto [key, value] :
       std::vector<std::pair<std::string, std::string>>{{"azkaban.cognito.refresh.seconds", "soon"},
                                                        {"azkaban.cognito.refresh.seconds", "-5"},
                                                        {"azkaban.cognito.page.size", "0"},
                                                        {"azkaban.cognito.page.size", "61"}}) {
    Props props;
    props.put("azkaban.cognito.user.pool.id", "eu-west-2_P");
    props.put(key, value);
    auto r = readCognitoDirectoryConfig(props, aws::mapEnv({}));
    ASSERT_FALSE(r) << key << "=" << value;
    EXPECT_EQ(r.error().message.rfind(key + ": '" + value + "' is not an integer between", 0), 0u)
        << r.error().message;
  }
}

TEST(CognitoDirectoryConfigTest, RegionFromSettingThenPoolIdThenChain) {
  aws::ProviderContext ctx;
  ctx.env = aws::mapEnv({{"AWS_REGION", "us-east-1"},
                         {"AWS_CONFIG_FILE", "/nonexistent"},
                         {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"}});
  CognitoDirectoryConfig c;
  c.userPoolId = "eu-west-2_AbC123";
  EXPECT_EQ(*cognitoRegion(c, ctx), "eu-west-2");
  c.region = "eu-central-1";
  EXPECT_EQ(*cognitoRegion(c, ctx), "eu-central-1");
  c.region.clear();
  c.userPoolId = "local_pool";  // not a region prefix
  EXPECT_EQ(*cognitoRegion(c, ctx), "us-east-1");
  ctx.env = aws::mapEnv(
      {{"AWS_CONFIG_FILE", "/nonexistent"}, {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"}});
  EXPECT_FALSE(cognitoRegion(c, ctx));
}

// ---- the emr job's EMR user through the directory (no OS user needed)

class NullLogger final : public JobLogger {
 public:
  void info(std::string_view m) override { lines.emplace_back(m); }
  void warn(std::string_view m) override { lines.emplace_back(m); }
  void error(std::string_view m) override { lines.emplace_back(m); }
  std::vector<std::string> lines;
};

struct EmrUserRun {
  std::optional<JobResult> result;
  std::vector<std::string> args;  // of the submitted step
  std::vector<std::string> log;
};

EmrUserRun runEmrJob(EmrJobTypeOptions options, const std::string& proxyUser) {
  auto api = std::make_shared<testing::FakeEmrApi>();
  options.pool = std::make_shared<EmrTrackerPool>(
      [api](const std::string&) -> Result<std::shared_ptr<EmrApi>> {
        return std::shared_ptr<EmrApi>(api);
      });
  EventLoop loop;
  SystemClock clock;
  NullLogger logger;
  JobContext ctx;
  ctx.jobId = "job1";
  ctx.jobProps = {{"step", "/opt/run.sh a"},
                  {"azkaban.flow.uuid", "uuid-1"},
                  {"azkaban.flow.submituser", proxyUser},
                  {"user.to.proxy", proxyUser}};
  ctx.sysProps = Props::make();
  ctx.sysProps->put("aws.emr.cluster.name", "cluster");
  ctx.sysProps->put("aws.emr.step.name", "batch-step");
  ctx.sysProps->put("aws.emr.step.script", "/home/hadoop/step.sh");
  ctx.sysProps->put("execute.as.user", "true");  // the effective user needs no OS account
  ctx.sysProps->put("aws.emr.poll.interval", "50");
  ctx.logger = &logger;
  ctx.loop = &loop;
  ctx.clock = &clock;
  EmrJobFactory factory(std::move(options));
  auto job = factory.create(std::move(ctx));
  EmrUserRun run;
  (*job)->start([&](JobResult r) { run.result = std::move(r); });
  bool timedOut = false;
  auto timer = loop.addTimer(10s, [&] { timedOut = true; });
  std::function<void()> tick;
  EventLoop::TimerId t = 0;
  tick = [&] { t = loop.addTimer(10ms, tick); };
  tick();
  loop.runUntil([&] { return run.result.has_value() || !api->stepIds().empty() || timedOut; });
  loop.cancelTimer(t);
  loop.cancelTimer(timer);
  if (!api->stepIds().empty()) {
    run.args = api->definition(api->stepIds().at(0)).args;
    (*job)->cancel();
    api->setState(api->stepIds().at(0), "CANCELLED");
    timer = loop.addTimer(10s, [&] { timedOut = true; });
    loop.runUntil([&] { return run.result.has_value() || timedOut; });
    loop.cancelTimer(timer);
  }
  run.log = logger.lines;
  return run;
}

TEST(EmrJobCognitoUser, EmrUserIsTheUsersCognitoGroup) {
  auto api = std::make_shared<FakeCognitoApi>();
  api->set({{"data-analysts", {user("u-1", {{"preferred_username", "alice"}, {"sub", "7f3e"}})}},
            {"data-engineers", {user("u-1", {{"preferred_username", "alice"}, {"sub", "7f3e"}})}}});
  auto directory = std::make_shared<CognitoUserDirectory>(api, CognitoDirectoryOptions{});
  ASSERT_TRUE(directory->refresh());
  auto groupFile = writeGroupFile("cognito-emr-job", "users:x:100:alice7f3\n");
  EmrJobTypeOptions options;
  options.groupLookup = directoryGroupLookup(directory, groupFile);
  options.groupSource = "/etc/group or pool P";
  auto run = runEmrJob(options, "alice7f3");
  ASSERT_EQ(run.args.size(), 5u) << (run.result ? run.result->error : "no result");
  EXPECT_EQ(run.args[2], "data-engineers");  // the last Cognito group beats the local line
  EXPECT_NE(
      std::find(run.log.begin(), run.log.end(), "Script to be run as emr user 'data-engineers'"),
      run.log.end());

  auto unknown = runEmrJob(options, "mallory");
  ASSERT_TRUE(unknown.result);
  EXPECT_FALSE(unknown.result->succeeded);
  EXPECT_EQ(unknown.result->error, "No group found for user 'mallory' in /etc/group or pool P");
  EXPECT_TRUE(unknown.args.empty());
}

}  // namespace
}  // namespace azx::jobtypes::emr
