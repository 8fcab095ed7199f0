// EMRStepTest (cluster discovery), EmrUtilityTest (paging), UserUtilityTest, step building.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "fake_emr_api.h"
#include "jobtypes/emr/cluster_discovery.h"
#include "jobtypes/emr/step_builder.h"
#include "jobtypes/emr/user_utility.h"

namespace azx::jobtypes::emr {
namespace {

using testing::FakeEmrApi;

ClusterSummary other(int n) {
  return {"OTHER_CLUSTER_ID_" + std::to_string(n), "OTHER_CLUSTER_NAME_" + std::to_string(n),
          "WAITING"};
}
const ClusterSummary kTarget{"TARGET_CLUSTER_ID", "TARGET_CLUSTER_NAME", "WAITING"};

DiscoveryOptions options() {
  DiscoveryOptions o;
  o.clusterName = "TARGET_CLUSTER_NAME";
  o.copySecConfig = false;
  o.initialWaitMs = 10;
  o.bootPollIntervalMs = 1;
  o.bootPollAttempts = 5;
  return o;
}

struct Hooks {
  std::atomic<bool> killed{false};
  std::vector<int64_t> waits;
  DiscoveryHooks get() {
    DiscoveryHooks h;
    h.killed = [this] { return killed.load(); };
    h.wait = [this](std::chrono::milliseconds d) {
      waits.push_back(d.count());
      return true;
    };
    h.random = [] { return 0.5; };
    return h;
  }
};

// Answers ListClusters with `answers[call-1]` (the last one repeated).
void script(FakeEmrApi& api, std::vector<std::vector<ClusterSummary>> answers,
            std::function<void(int)> onCall = {}) {
  api.listClustersFn = [answers, onCall](int call,
                                         const std::string&) -> aws::AwsResult<ClusterPage> {
    if (onCall) onCall(call);
    size_t i = std::min(static_cast<size_t>(call - 1), answers.size() - 1);
    return ClusterPage{answers[i], ""};
  };
}

TEST(EmrStepTest, ShouldNotStartClusterIfClusterAlreadyStarted) {
  FakeEmrApi api;
  script(api, {{other(1), kTarget}});
  Hooks h;
  auto id = resolveClusterId(api, options(), h.get());
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(*id, "TARGET_CLUSTER_ID");
  EXPECT_EQ(api.calls("ListClusters"), 1);
  EXPECT_EQ(api.calls("Invoke"), 0);
  EXPECT_EQ(api.allCalls().size(), 1u);  // nothing else on EMR
  EXPECT_EQ(api.lastStates(),
            (std::vector<std::string>{"STARTING", "BOOTSTRAPPING", "WAITING", "RUNNING"}));
}

TEST(EmrStepTest, ShouldNotStartClusterIfClusterStartsAfterInitialAdditionalCheck) {
  FakeEmrApi api;
  script(api, {{other(1), other(2)}, {other(1), other(2), kTarget}});
  Hooks h;
  auto id = resolveClusterId(api, options(), h.get());
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "TARGET_CLUSTER_ID");
  EXPECT_EQ(api.calls("ListClusters"), 2);
  EXPECT_EQ(api.calls("Invoke"), 0);
  // The random pause is drawn from [0, emr.initial.wait).
  ASSERT_FALSE(h.waits.empty());
  EXPECT_LT(h.waits.front(), 10);
}

TEST(EmrStepTest, ShouldStartClusterIfClusterNotStartedAfterInitialAdditionalCheck) {
  FakeEmrApi api;
  script(api, {{other(1)}, {other(1)}, {other(1), kTarget}});
  Hooks h;
  auto id = resolveClusterId(api, options(), h.get());
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "TARGET_CLUSTER_ID");
  EXPECT_EQ(api.calls("ListClusters"), 3);
  EXPECT_EQ(api.calls("Invoke"), 1);
  EXPECT_EQ(api.lambdaPayloads().at(0), R"({"overrides":{"Name":"TARGET_CLUSTER_NAME"}})");
}

TEST(EmrStepTest, ShouldThrowExceptionIfLambdaInvocationFails) {
  FakeEmrApi api;
  script(api, {{other(1)}});
  api.invokeFn = [](const std::string&) -> aws::AwsResult<LambdaResult> {
    return LambdaResult{501, "", std::nullopt};
  };
  Hooks h;
  auto id = resolveClusterId(api, options(), h.get());
  EXPECT_FALSE(id);
  EXPECT_EQ(api.calls("ListClusters"), 2);
  EXPECT_EQ(api.calls("Invoke"), 1);
}

TEST(EmrStepTest, ShouldThrowExceptionIfClusterDoesntAppearAfterLambdaInvocation) {
  FakeEmrApi api;
  script(api, {{other(1)}});
  Hooks h;
  auto id = resolveClusterId(api, options(), h.get());
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().message, "No batch EMR cluster available");
  EXPECT_EQ(api.calls("ListClusters"), 6);
  EXPECT_EQ(api.calls("Invoke"), 1);
}

TEST(EmrStepTest, ShouldNotStartClusterIfJobKilledBeforeInitialAdditionalCheck) {
  FakeEmrApi api;
  Hooks h;
  script(api, {{other(1)}}, [&](int) { h.killed = true; });
  auto id = resolveClusterId(api, options(), h.get());
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "");
  EXPECT_EQ(api.calls("ListClusters"), 1);
  EXPECT_EQ(api.calls("Invoke"), 0);
}

TEST(EmrStepTest, ShouldNotStartClusterIfJobKilledAfterInitialAdditionalCheck) {
  FakeEmrApi api;
  Hooks h;
  script(api, {{other(1)}}, [&](int call) {
    if (call == 2) h.killed = true;
  });
  auto id = resolveClusterId(api, options(), h.get());
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "");
  EXPECT_EQ(api.calls("ListClusters"), 2);
  EXPECT_EQ(api.calls("Invoke"), 0);
}

TEST(EmrStepTest, ThrottledLookupsAreRetriedNotFatal) {
  FakeEmrApi api;
  script(api, {{kTarget}});
  api.failNext("ListClusters", 3, testing::throttled("ListClusters"));
  Hooks h;
  auto id = resolveClusterId(api, options(), h.get());
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(*id, "TARGET_CLUSTER_ID");
  EXPECT_EQ(api.calls("Invoke"), 0);
}

TEST(EmrStepTest, ConfigureClusterWaitsForWaitingAndRaisesConcurrency) {
  FakeEmrApi api;
  api.cluster = {"j-1", "WAITING", 1};
  Hooks h;
  ASSERT_TRUE(configureCluster(api, "j-1", options(), h.get()));
  EXPECT_EQ(api.calls("ModifyCluster"), 1);
  EXPECT_EQ(api.cluster.stepConcurrencyLevel, 256);
  // Already 256: one DescribeCluster, nothing else.
  ASSERT_TRUE(configureCluster(api, "j-1", options(), h.get()));
  EXPECT_EQ(api.calls("ModifyCluster"), 1);
  api.cluster = {"j-1", "TERMINATING", 1};
  auto r = configureCluster(api, "j-1", options(), h.get());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "Cluster has been or is being terminated");
}

// EmrUtilityTest: 3 pages J-0..J-9 (MARKER-1), J-10..J-19 (MARKER-2), J-20..J-24.
void pages(FakeEmrApi& api) {
  api.listClustersFn = [](int, const std::string& marker) -> aws::AwsResult<ClusterPage> {
    int from = marker.empty() ? 0 : marker == "MARKER-1" ? 10 : 20;
    int to = from == 20 ? 25 : from + 10;
    ClusterPage p;
    for (int i = from; i < to; ++i) {
      p.clusters.push_back({"J-" + std::to_string(i), "CLUSTER-" + std::to_string(i), "RUNNING"});
    }
    p.marker = from == 0 ? "MARKER-1" : from == 10 ? "MARKER-2" : "";
    return p;
  };
}

TEST(EmrUtilityTest, ActiveClusterIdFoundOnEveryPage) {
  for (int n = 0; n < 25; ++n) {
    FakeEmrApi api;
    pages(api);
    auto id = activeClusterId(api, "CLUSTER-" + std::to_string(n), {});
    ASSERT_TRUE(id);
    EXPECT_EQ(id->value_or(""), "J-" + std::to_string(n));
  }
}

TEST(EmrUtilityTest, ActiveClusterIdEmptyWhenNotFound) {
  for (int n = 0; n < 25; ++n) {
    FakeEmrApi api;
    pages(api);
    auto id = activeClusterId(api, "NON_ACTIVE_CLUSTER-" + std::to_string(n), {});
    ASSERT_TRUE(id);
    EXPECT_FALSE(id->has_value());
  }
}

TEST(EmrUtilityTest, ActiveClusterSummariesReturnsAllPaginatedResults) {
  FakeEmrApi api;
  pages(api);
  auto all = activeClusterSummaries(api, {});
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 25u);
  for (int i = 0; i < 25; ++i) EXPECT_EQ((*all)[i].id, "J-" + std::to_string(i));
  EXPECT_EQ(api.calls("ListClusters"), 3);
  EXPECT_EQ(api.markers(), (std::vector<std::string>{"", "MARKER-1", "MARKER-2"}));
}

// UserUtilityTest.
TEST(UserUtilityTest, ShouldGiveAppropriateEffectiveUser) {
  struct Row {
    bool useEmr;
    const char* service;
    const char* submit;
    const char* proxy;
    const char* expected;
  } rows[] = {{false, "", "user", "proxy", "proxy"},
              {false, "", "user", "", "user"},
              {false, "", "user", "user", "user"},
              {true, "", "user", "user", "user"},
              {false, "service-user", "user", "proxy", "service-user"},
              {false, "service-user", "", "", "service-user"},
              {true, "service-user", "user", "proxy", "service-user"},
              {true, "service-user", "", "", "service-user"}};
  for (const auto& r : rows) {
    auto u = effectiveUser({r.service, r.useEmr, r.submit, r.proxy});
    ASSERT_TRUE(u) << u.error().message;
    EXPECT_EQ(*u, r.expected);
  }
}

TEST(UserUtilityTest, ShouldThrowExceptionIfNoUsersInProperties) {
  for (bool useEmr : {true, false}) {
    auto u = effectiveUser({"", useEmr, "", ""});
    ASSERT_FALSE(u);
    EXPECT_EQ(u.error().message, "No service user, submit user or proxy user specified.");
  }
}

TEST(UserUtilityTest, ShouldThrowExceptionWhenProxyDisallowedAndProxyDoesNotMatchUser) {
  auto u = effectiveUser({"", true, "user", "proxy"});
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().message,
            "'user.to.proxy' property (proxy) must be the same as 'azkaban.flow.submituser' "
            "property (user) when 'use.emr.user' (true) is true.");
}

TEST(UserUtilityTest, TestEmrUser) {
  struct Row {
    bool useEmr;
    const char* service;
    const char* effective;
    const char* expected;
  } rows[] = {{false, "service-user", "service-user", "service-user"},
              {false, "service-user", "effective-user", "service-user"},
              {false, "", "effective-user", "group"},
              {true, "service-user", "effective-user", "service-user"},
              {true, "", "effective-user", "effective-user"}};
  GroupLookup group = [](const std::string&) { return std::optional<std::string>("group"); };
  for (const auto& r : rows) {
    auto u = emrUser({r.service, r.useEmr, "", ""}, std::string(r.effective), group);
    ASSERT_TRUE(u) << u.error().message;
    EXPECT_EQ(*u, r.expected);
  }
  // The service user is trimmed for the EMR user, not for the effective user.
  EXPECT_EQ(*effectiveUser({" svc ", false, "", ""}), " svc ");
  EXPECT_EQ(*emrUser({" svc ", false, "", ""}, std::nullopt, group), "svc");
  // execute.as.user=false and no service user: a clear error instead of a null argument.
  EXPECT_FALSE(emrUser({"", false, "", ""}, std::nullopt, group));
}

TEST(UserUtilityTest, GroupLookupLastMemberLineWinsAndPrimaryIgnored) {
  auto path = std::filesystem::temp_directory_path() / ("emr-group-" + std::to_string(getpid()));
  {
    std::ofstream f(path);
    f << "root:x:0:\n"
         "alice:x:1000:\n"  // primary-style group with no members: ignored
         "team-a:x:2000:bob,alice\n"
         "broken-line\n"
         "team-b:x:2001:alice\n"
         "team-c:x:2002:alicex,xalice\n";
  }
  EXPECT_EQ(groupFromFile("alice", path).value_or("?"), "team-b");
  EXPECT_EQ(groupFromFile("bob", path).value_or("?"), "team-a");
  EXPECT_FALSE(groupFromFile("carol", path).has_value());
  EXPECT_FALSE(groupFromFile("alice", path.string() + ".missing").has_value());
  std::filesystem::remove(path);
}

TEST(UserUtilityTest, Blacklist) {
  std::vector<std::string> list{"root", "azkaban"};
  EXPECT_EQ(checkNotBlacklisted("root", list).error().message,
            "Not permitted to proxy as 'root' through Azkaban");
  EXPECT_TRUE(checkNotBlacklisted("alice", list));
  EXPECT_TRUE(checkNotBlacklisted("azkaban", {"root", " azkaban"}));  // not trimmed
}

// Step building (spec 2.6, checklist 1-2).
TEST(StepBuilderTest, SplitsLikeJavaSplitOnSpace) {
  struct Row {
    const char* in;
    const char* script;
    const char* args;
  } rows[] = {{"/test.sh", "/test.sh", ""},
              {"/test.sh a b", "/test.sh", "a b"},
              {"/test.sh  a  b  ", "/test.sh", " a  b"},
              {"/test.sh \"x y\" 'z'", "/test.sh", "\"x y\" 'z'"},
              {"/test.sh ", "/test.sh", ""},
              {" /test.sh a", "", "/test.sh a"}};
  for (const auto& r : rows) {
    auto c = parseStepCommand(r.in);
    ASSERT_TRUE(c) << r.in;
    EXPECT_EQ(c->script, r.script) << r.in;
    EXPECT_EQ(c->arguments, r.args) << r.in;
  }
  EXPECT_FALSE(parseStepCommand("   "));
  EXPECT_FALSE(parseStepCommand(""));
}

TEST(StepBuilderTest, ArgsOrderAndJar) {
  auto c = parseStepCommand("/opt/run.sh --date 2021-01-01 \"two words\"");
  ASSERT_TRUE(c);
  auto step = buildStep({"batch-step", "/home/hadoop/step.sh", "eu-west-2", "uuid-7", "team"}, *c);
  EXPECT_EQ(step.name, "batch-step");
  EXPECT_EQ(step.actionOnFailure, "CONTINUE");
  EXPECT_EQ(step.jar, "s3://eu-west-2.elasticmapreduce/libs/script-runner/script-runner.jar");
  EXPECT_EQ(step.args,
            (std::vector<std::string>{"/home/hadoop/step.sh", "uuid-7", "team", "/opt/run.sh",
                                      "--date 2021-01-01 \"two words\""}));
  auto bare = buildStep({"n", "/s.sh", "us-east-1", "u", "e"}, *parseStepCommand("/x.sh"));
  ASSERT_EQ(bare.args.size(), 5u);  // the argument text is present even when empty
  EXPECT_EQ(bare.args[4], "");
  EXPECT_EQ(bare.jar, "s3://us-east-1.elasticmapreduce/libs/script-runner/script-runner.jar");
}

}  // namespace
}  // namespace azx::jobtypes::emr
