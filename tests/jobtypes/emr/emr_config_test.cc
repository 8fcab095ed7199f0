// EMRConfigurationTest, PropertyUtilityTest and property reading (emr-jobtypes.md 2.1, 5).
#include "jobtypes/emr/emr_config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace azx::jobtypes::emr {
namespace {

class FixedClock final : public Clock {
 public:
  explicit FixedClock(int64_t ms) : ms_(ms) {}
  int64_t nowMillis() const override { return ms_; }

 private:
  int64_t ms_;
};

TEST(EmrConfigurationTest, HasCorrectJsonStructureNameOnly) {
  EXPECT_EQ(launcherPayload("test_name", std::nullopt, false),
            R"({"overrides":{"Name":"test_name"}})");
}

TEST(EmrConfigurationTest, HasCorrectJsonStructureNameAndConfigLocation) {
  auto text = launcherPayload("test_name", std::string("test/config_path"), false);
  EXPECT_EQ(
      nlohmann::json::parse(text),
      nlohmann::json::parse(
          R"({"overrides":{"Name":"test_name"},"s3_overrides":{"emr_launcher_config_s3_folder":"test/config_path"}})"));
}

TEST(EmrConfigurationTest, HasCorrectJsonStructureNameAndConfigLocationWhenNull) {
  EXPECT_EQ(nlohmann::json::parse(launcherPayload("test_name", std::nullopt, false)),
            nlohmann::json::parse(R"({"overrides":{"Name":"test_name"}})"));
}

TEST(EmrConfigurationTest, CopySecurityConfiguration) {
  EXPECT_EQ(launcherPayload("test_name", std::nullopt, true),
            R"({"overrides":{"Name":"test_name"},"copy_secconfig":true})");
  EXPECT_EQ(launcherPayload("test_name", std::nullopt, false),
            R"({"overrides":{"Name":"test_name"}})");
}

TEST(PropertyUtilityTest, SkipNotifications) {
  Props p;
  p.put("skip.notifications", "true");
  EXPECT_TRUE(skipNotifications(p));
  p.put("skip.notifications", "TrUe");
  EXPECT_TRUE(skipNotifications(p));
  for (const char* v : {"false", "", "yes", "1", " true", "truee", "tru"}) {
    p.put("skip.notifications", v);
    EXPECT_FALSE(skipNotifications(p)) << v;
  }
  EXPECT_FALSE(skipNotifications(Props()));
}

TEST(PropertyUtilityTest, Dependencies) {
  Props p;
  for (const char* v :
       {"1,2,3", "1,2,3,", ",1,2,3", ",,,,1,2,3,,,,", ", , , , , , , 1 , 2 , 3    ,, ,, , "}) {
    p.put("collection.dependencies", v);
    EXPECT_EQ(collectionDependencies(p), (std::vector<std::string>{"1", "2", "3"})) << v;
  }
  for (const char* v : {"1", "1,", ",1", ",,,,1,,,,,", ", , , , , , , 1 ,  ,     ,, ,, , "}) {
    p.put("collection.dependencies", v);
    EXPECT_EQ(collectionDependencies(p), (std::vector<std::string>{"1"})) << v;
  }
  p.put("collection.dependencies", "");
  EXPECT_TRUE(collectionDependencies(p).empty());
}

TEST(PropertyUtilityTest, ExportDate) {
  Props p;
  for (const char* v : {"2021-05-15", "anything at all", ""}) {
    p.put("export.date", v);
    EXPECT_EQ(exportDate(p, FixedClock(0)), v);
  }
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(exportDate(Props(), FixedClock(1621036800000LL)), "2021-05-15");  // 2021-05-15T00:00Z
}

std::map<std::string, std::string> jobProps() {
  return {{"step", "/test.sh a b"}, {"azkaban.flow.uuid", "uuid-1"}};
}
PropsPtr sysProps() {
  auto s = Props::make();
  s->put("aws.emr.cluster.name", "sys-cluster");
  s->put("aws.emr.step.name", "batch-step");
  s->put("aws.emr.step.script", "/home/hadoop/step.sh");
  return s;
}

TEST(EmrJobConfigTest, DefaultsAsTheJavaPlugin) {
  auto c = readEmrJobConfig(jobProps(), *sysProps());
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->clusterName, "sys-cluster");
  EXPECT_EQ(c->initialWaitMs, 120000);
  EXPECT_EQ(c->bootPollIntervalMs, 300000);
  EXPECT_EQ(c->bootPollAttempts, 5);
  EXPECT_EQ(c->logGroup, "/aws/emr/azkaban");
  EXPECT_EQ(c->region, "eu-west-2");
  EXPECT_TRUE(c->executeAsUser);
  EXPECT_EQ(c->blacklist, (std::vector<std::string>{"root", "azkaban"}));
  EXPECT_EQ(c->groupName, "azkaban");
  EXPECT_FALSE(c->useEmrUser);
  EXPECT_FALSE(c->copySecConfig);
  EXPECT_FALSE(c->clusterConfig.has_value());
  EXPECT_EQ(c->launcherLambda, "aws_analytical_env_emr_launcher");
  EXPECT_TRUE(c->eventsQueueUrl.empty());
}

TEST(EmrJobConfigTest, JobPropsWinAndMissingKeysFail) {
  auto job = jobProps();
  job["aws.emr.cluster.name"] = "job-cluster";
  job["aws.emr.copy.secconfig"] = "TRUE";
  job["aws.emr.cluster.config"] = "cfg/folder";
  job["aws.emr.events.queue.url"] = "http://q";
  auto c = readEmrJobConfig(job, *sysProps());
  ASSERT_TRUE(c);
  EXPECT_EQ(c->clusterName, "job-cluster");
  EXPECT_TRUE(c->copySecConfig);
  EXPECT_EQ(c->clusterConfig.value_or(""), "cfg/folder");
  EXPECT_EQ(c->eventsQueueUrl, "http://q");

  // Fixed quirk: a job-level cluster name is enough.
  auto sys = sysProps();
  sys->removeLocal("aws.emr.cluster.name");
  EXPECT_TRUE(readEmrJobConfig(job, *sys));
  auto noName = readEmrJobConfig(jobProps(), *sys);
  ASSERT_FALSE(noName);
  EXPECT_EQ(noName.error().message, "Missing required property 'aws.emr.cluster.name'");

  auto noStep = jobProps();
  noStep.erase("step");
  EXPECT_EQ(readEmrJobConfig(noStep, *sysProps()).error().message,
            "Missing required property 'step'");
  auto zeroWait = jobProps();
  zeroWait["emr.initial.wait"] = "0";
  EXPECT_FALSE(readEmrJobConfig(zeroWait, *sysProps()));
  auto badInt = sysProps();
  badInt->put("emr.boot.poll.attempts.max", "five");
  EXPECT_FALSE(readEmrJobConfig(jobProps(), *badInt));
  auto noScript = sysProps();
  noScript->removeLocal("aws.emr.step.script");
  EXPECT_EQ(readEmrJobConfig(jobProps(), *noScript).error().message,
            "Missing required property 'aws.emr.step.script'");
}

}  // namespace
}  // namespace azx::jobtypes::emr
