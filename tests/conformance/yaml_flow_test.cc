// Conformance CS-23..CS-29: Flow 2.0 property resolution (FlowRunnerPropertyResolutionTest)
// and Flow 2.0 runs and alerts (FlowRunnerYamlTest).
#include <gtest/gtest.h>

#include "tests/conformance/conformance_util.h"

namespace azx::testing {
namespace {

Execution startFlow(EngineHarness& h, const std::filesystem::path& project,
                    const std::string& flowId, flow::ExecutionOptions options = {}) {
  auto prepared = prepareFlow(h, project, flowId, options);
  EXPECT_TRUE(prepared.flow);
  EXPECT_TRUE(prepared.project->errors.empty());
  int id = prepared.flow->executionId;
  h.submit(std::move(prepared.flow), prepared.propsSource, prepared.executionDir);
  return Execution(h, id);
}

TEST(FlowRunnerPropertyResolution, CS23_YamlPropertyPrecedence) {
  AZX_REQUIRE_SHARED(project, "loadpropsflowyamltest");
  EngineHarness h;
  flow::ExecutionOptions options;
  options.flowParameters = {{"props7", "flow7"}, {"props6", "flow6"}, {"props5", "flow5"}};
  Execution e = startFlow(h, project, "job3", options);

  ASSERT_TRUE(e.expect({{"job2", R}}));
  EXPECT_TRUE(hasProps(e.inputProps("job2"), {{"props1", "shared1"},
                                              {"props2", "job2"},
                                              {"props3", "moo3"},
                                              {"props7", "job7"},
                                              {"props5", "flow5"},
                                              {"props6", "flow6"},
                                              {"props4", "shared4"},
                                              {"props8", "shared8"}}));

  ASSERT_TRUE(e.succeed("job2", {{"props6", "gjob6"}, {"props9", "gjob9"}, {"props10", "gjob10"}}));
  ASSERT_TRUE(e.expect({{"innerflow:job1", R}}));
  EXPECT_TRUE(hasProps(e.inputProps("innerflow:job1"), {{"props1", "job1"},
                                                        {"props2", "job2"},
                                                        {"props8", "job8"},
                                                        {"props9", "gjob9"},
                                                        {"props10", "gjob10"},
                                                        {"props6", "innerflow6"},
                                                        {"props5", "innerflow5"},
                                                        {"props7", "flow7"},
                                                        {"props3", "moo3"},
                                                        {"props4", "moo4"}}));

  ASSERT_TRUE(e.succeed("innerflow:job1", {{"props9", "g2job9"}, {"props7", "g2job7"}}));
  ASSERT_TRUE(e.expect({{"innerflow:job4", R}}));
  EXPECT_TRUE(hasProps(e.inputProps("innerflow:job4"), {{"props8", "job8"},
                                                        {"props9", "job9"},
                                                        {"props7", "g2job7"},
                                                        {"props5", "innerflow5"},
                                                        {"props6", "innerflow6"},
                                                        {"props10", "gjob10"},
                                                        {"props4", "shared4"},
                                                        {"props1", "shared1"},
                                                        {"props2", "shared2"},
                                                        {"props3", "moo3"}}));

  ASSERT_TRUE(e.succeed("innerflow:job4", {{"props9", "g4job9"}, {"props6", "g4job6"}}));
  ASSERT_TRUE(e.expect({{"job3", R}}));
  EXPECT_TRUE(hasProps(e.inputProps("job3"), {{"props3", "job3"},
                                              {"props6", "g4job6"},
                                              {"props9", "g4job9"},
                                              {"props7", "flow7"},
                                              {"props5", "flow5"},
                                              {"props1", "shared1"},
                                              {"props2", "shared2"},
                                              {"props4", "moo4"}}));
  ASSERT_TRUE(e.succeed("job3"));
  ASSERT_TRUE(e.waitEnded());
  EXPECT_TRUE(e.expect({{"", S}}, 0ms));
}

TEST(FlowRunnerYaml, CS24_IndependentJobsFinishWithTheLast) {
  AZX_REQUIRE_SHARED(project, "basicflowwithoutendnode");
  EngineHarness h;
  Execution e = startFlow(h, project, "basic_flow");
  ASSERT_TRUE(e.expect({{"jobA", S}, {"jobB", S}, {"jobC", R}, {"", R}}));
  ASSERT_TRUE(e.succeed("jobC"));
  ASSERT_TRUE(e.waitEnded());
  EXPECT_TRUE(e.expect({{"jobC", S}, {"", S}}, 0ms));
}

TEST(FlowRunnerYaml, CS25_KillIndependentJobs) {
  AZX_REQUIRE_SHARED(project, "basicflowwithoutendnode");
  EngineHarness h;
  Execution e = startFlow(h, project, "basic_flow");
  ASSERT_TRUE(e.expect({{"jobA", S}, {"jobB", S}, {"jobC", R}}));
  e.kill("me");
  ASSERT_TRUE(e.waitEnded());
  EXPECT_TRUE(e.expect({{"jobC", K}, {"", K}}, 0ms));
}

TEST(FlowRunnerYaml, CS26_FailureOfOneIndependentJob) {
  AZX_REQUIRE_SHARED(project, "failbasicflowwithoutendnode");
  EngineHarness h;
  Execution e = startFlow(h, project, "fail_basic_flow");
  ASSERT_TRUE(e.expect({{"jobA", R}, {"jobB", R}, {"jobC", R}}));
  ASSERT_TRUE(e.fail("jobC"));
  ASSERT_TRUE(e.expect({{"jobC", F}}));
  ASSERT_TRUE(e.succeed("jobB"));
  ASSERT_TRUE(e.expect({{"jobB", S}}));
  ASSERT_TRUE(e.succeed("jobA"));
  ASSERT_TRUE(e.waitEnded());
  EXPECT_TRUE(e.expect({{"jobA", S}, {"jobD", C}, {"", F}}, 0ms));
}

TEST(FlowRunnerYaml, CS27_EmbeddedFlow2) {
  AZX_REQUIRE_SHARED(project, "embeddedflowwithoutendnode");
  EngineHarness h;
  Execution e = startFlow(h, project, "embedded_flow");
  ASSERT_TRUE(e.waitEnded());
  EXPECT_TRUE(e.expect({{"jobA", S},
                        {"embedded_flow1:jobB", S},
                        {"embedded_flow1:jobC", S},
                        {"embedded_flow1", S},
                        {"jobD", S},
                        {"", S}},
                       0ms));
}

// Records the alerts the executor sends itself (loop thread).
class RecordingAlerter final : public engine::Alerter {
 public:
  void alertOnFirstError(const flow::ExecutableFlow& flow) override {
    firstErrors.push_back(flow.executionId);
  }
  void alertOnError(const flow::ExecutableFlow& flow,
                    const std::vector<std::string>& reasons) override {
    errors.emplace_back(flow.executionId, reasons);
  }
  void alertOnSuccess(const flow::ExecutableFlow& flow) override {
    successes.push_back(flow.executionId);
  }

  std::vector<int> firstErrors;
  std::vector<std::pair<int, std::vector<std::string>>> errors;
  std::vector<int> successes;
};

// Steps of CS-28/CS-29: jobA fails, jobB fails, jobC succeeds.
void runAlertFlowSteps(Execution& e) {
  ASSERT_TRUE(e.expect({{"jobA", R}, {"jobB", R}, {"jobC", R}}));
  ASSERT_TRUE(e.fail("jobA"));
  ASSERT_TRUE(e.expect({{"jobA", F}, {"", FF}}));
  ASSERT_TRUE(e.fail("jobB"));
  ASSERT_TRUE(e.expect({{"jobB", F}, {"", FF}}));
  ASSERT_TRUE(e.succeed("jobC"));
  ASSERT_TRUE(e.waitEnded());
  EXPECT_TRUE(e.expect({{"jobC", S}, {"jobD", C}, {"", F}}, 0ms));
}

TEST(FlowRunnerYaml, CS28_FlowFinishedAlertInPollModel) {
  AZX_REQUIRE_SHARED(project, "alertflow");
  RecordingAlerter alerter;
  HarnessOptions options;
  options.pollModel = true;
  options.alerter = &alerter;
  EngineHarness h(options);
  flow::ExecutionOptions exec;
  exec.failureEmails = {"test@example.com"};
  exec.failureEmailsOverride = true;  // the options' list, not the flow definition's
  Execution e = startFlow(h, project, "alert_flow", exec);
  runAlertFlowSteps(e);
  auto errors = h.onLoop([&] { return alerter.errors; });
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].first, e.id());
  EXPECT_EQ(errors[0].second, (std::vector<std::string>{"Flow finished"}));
}

TEST(FlowRunnerYaml, CS29_FirstErrorAlertSentOnce) {
  AZX_REQUIRE_SHARED(project, "alertflow");
  RecordingAlerter alerter;
  HarnessOptions options;
  options.pollModel = true;
  options.alerter = &alerter;
  EngineHarness h(options);
  flow::ExecutionOptions exec;
  exec.notifyOnFirstFailure = true;
  Execution e = startFlow(h, project, "alert_flow", exec);
  ASSERT_TRUE(e.expect({{"jobA", R}, {"jobB", R}, {"jobC", R}}));
  ASSERT_TRUE(e.fail("jobA"));
  ASSERT_TRUE(e.expect({{"jobA", F}, {"", FF}}));
  EXPECT_EQ(h.onLoop([&] { return alerter.firstErrors; }), (std::vector<int>{e.id()}))
      << "sent when the flow first became FAILED_FINISHING";
  ASSERT_TRUE(e.fail("jobB"));
  ASSERT_TRUE(e.expect({{"jobB", F}, {"", FF}}));
  ASSERT_TRUE(e.succeed("jobC"));
  ASSERT_TRUE(e.waitEnded());
  EXPECT_TRUE(e.expect({{"", F}}, 0ms));
  EXPECT_EQ(h.onLoop([&] { return alerter.firstErrors; }), (std::vector<int>{e.id()}));
}

}  // namespace
}  // namespace azx::testing
