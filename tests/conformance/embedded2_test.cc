// Conformance CS-07..CS-13: embedded flows, failures, pause and kill on embedded2 flow jobf
// (upstream FlowRunnerTest2).
#include <gtest/gtest.h>

#include "tests/conformance/conformance_util.h"

namespace azx::testing {
namespace {

Execution startJobf(EngineHarness& h, const std::filesystem::path& project,
                    flow::ExecutionOptions options) {
  auto prepared = prepareFlow(h, project, "jobf", options);
  EXPECT_TRUE(prepared.flow);
  int id = prepared.flow->executionId;
  h.submit(std::move(prepared.flow), prepared.propsSource, prepared.executionDir);
  return Execution(h, id);
}

TEST(FlowRunner2, CS07_BasicRunPropertiesAndOutputs) {
  AZX_REQUIRE_SHARED(project, "embedded2");
  HarnessOptions options;
  options.webServerUrl = "http://localhost:8443";
  EngineHarness h(options);
  flow::ExecutionOptions exec;
  exec.failureAction = FailureAction::FinishCurrentlyRunning;
  exec.flowParameters = {
      {"param4", "override.4"}, {"param10", "override.10"}, {"param11", "override.11"}};
  Execution e = startJobf(h, project, exec);
  const std::string x = std::to_string(e.id());
  const std::string base = "http://localhost:8443";

  // Step 1.
  ASSERT_TRUE(e.expect({{"joba", R}, {"joba1", R}}));
  ASSERT_TRUE(waitRunningInputs(h, e, "joba"));
  EXPECT_TRUE(hasProps(
      e.inputProps("joba"),
      {{"param1", "joba.1"},
       {"param2", "test1.2"},
       {"param3", "test1.3"},
       {"param4", "override.4"},
       {"param5", "test2.5"},
       {"param6", "test2.6"},
       {"param7", "test2.7"},
       {"param8", "test2.8"},
       {"azkaban.job.id", "joba"},
       {"azkaban.job.attempt", "0"},
       {"azkaban.link.execution.url", base + "/executor?execid=" + x},
       {"azkaban.link.workflow.url", base + "/manager?project=testProject&flow=jobf"},
       {"azkaban.link.jobexec.url", base + "/executor?execid=" + x + "&job=joba"},
       {"azkaban.link.job.url", base + "/manager?project=testProject&flow=jobf&job=joba"},
       {"azkaban.link.attempt.url", base + "/executor?execid=" + x + "&job=joba&attempt=0"}}));
  EXPECT_TRUE(hasProps(e.inputProps("joba1"), {{"param1", "test1.1"},
                                               {"param2", "test1.2"},
                                               {"param3", "test1.3"},
                                               {"param4", "override.4"},
                                               {"param5", "test2.5"},
                                               {"param6", "test2.6"},
                                               {"param7", "test2.7"},
                                               {"param8", "test2.8"}}));

  // Step 2.
  ASSERT_TRUE(e.succeed("joba", {{"output.joba", "joba"}, {"output.override", "joba"}}));
  ASSERT_TRUE(e.expect({{"joba", S},
                        {"joba1", R},
                        {"jobb", R},
                        {"jobc", R},
                        {"jobd", R},
                        {"jobd:innerJobA", R},
                        {"jobb:innerJobA", R}}));
  EXPECT_TRUE(hasProps(e.inputProps("jobb"), {{"param4", "override.4"},
                                              {"testprops", "moo"},
                                              {"output.override", "jobb"},
                                              {"output.joba", "joba"}}));
  ASSERT_TRUE(waitRunningInputs(h, e, "jobb:innerJobA"));
  EXPECT_TRUE(hasProps(
      e.inputProps("jobb:innerJobA"),
      {{"param1", "test1.1"},
       {"param2", "test1.2"},
       {"param3", "test1.3"},
       {"param4", "override.4"},
       {"param5", "test2.5"},
       {"param6", "test2.6"},
       {"param7", "test2.7"},
       {"param8", "test2.8"},
       {"output.joba", "joba"},
       {"azkaban.job.id", "innerJobA"},
       {"azkaban.job.attempt", "0"},
       {"azkaban.link.execution.url", base + "/executor?execid=" + x},
       {"azkaban.link.workflow.url", base + "/manager?project=testProject&flow=innerFlow"},
       {"azkaban.link.jobexec.url", base + "/executor?execid=" + x + "&job=jobb:innerJobA"},
       {"azkaban.link.job.url", base + "/manager?project=testProject&flow=innerFlow&job=innerJobA"},
       {"azkaban.link.attempt.url",
        base + "/executor?execid=" + x + "&job=jobb:innerJobA&attempt=0"}}));

  // Step 3.
  ASSERT_TRUE(e.succeed("jobb:innerJobA", {{"output.jobb.innerJobA", "jobb.innerJobA"}}));
  ASSERT_TRUE(e.expect({{"jobb:innerJobA", S}, {"jobb:innerJobB", R}, {"jobb:innerJobC", R}}));
  EXPECT_TRUE(hasProps(e.inputProps("jobb:innerJobB"), {{"param1", "test1.1"},
                                                        {"param4", "override.4"},
                                                        {"output.jobb.innerJobA", "jobb.innerJobA"},
                                                        {"testprops", "moo"}}));

  // Step 4.
  ASSERT_TRUE(e.succeed("jobb:innerJobB", {{"output.jobb.innerJobB", "jobb.innerJobB"}}));
  ASSERT_TRUE(e.succeed("jobb:innerJobC", {{"output.jobb.innerJobC", "jobb.innerJobC"}}));
  ASSERT_TRUE(e.expect({{"jobb:innerJobB", S}, {"jobb:innerJobC", S}, {"jobb:innerFlow", R}}));
  EXPECT_TRUE(
      hasProps(e.inputProps("jobb:innerFlow"), {{"param1", "test1.1"},
                                                {"param4", "override.4"},
                                                {"output.jobb.innerJobB", "jobb.innerJobB"},
                                                {"output.jobb.innerJobC", "jobb.innerJobC"}}));

  // Step 5.
  ASSERT_TRUE(e.succeed("jobb:innerFlow", {{"output1.jobb", "test1"}, {"output2.jobb", "test2"}}));
  ASSERT_TRUE(e.expect({{"jobb:innerFlow", S}, {"jobb", S}}));
  auto jobbOutputs = e.outputProps("jobb");
  ASSERT_TRUE(jobbOutputs);
  EXPECT_TRUE(hasProps(*jobbOutputs, {{"output1.jobb", "test1"}, {"output2.jobb", "test2"}}));

  // Step 6.
  ASSERT_TRUE(e.succeed("jobc", {{"output.jobc", "jobc"}}));
  ASSERT_TRUE(e.expect({{"jobc", S}}));
  ASSERT_TRUE(e.succeed("jobd:innerJobA"));
  ASSERT_TRUE(e.expect({{"jobd:innerJobA", S}, {"jobd:innerFlow2", R}}));
  ASSERT_TRUE(e.succeed("jobd:innerFlow2"));
  ASSERT_TRUE(e.expect({{"jobd:innerFlow2", S}, {"jobd", S}, {"jobe", R}}));
  EXPECT_TRUE(hasProps(e.inputProps("jobe"), {{"output1.jobb", "test1"}, {"output.jobc", "jobc"}}));

  // Step 7.
  ASSERT_TRUE(e.succeed("joba1"));
  ASSERT_TRUE(e.succeed("jobe"));
  ASSERT_TRUE(e.expect({{"joba1", S}, {"jobe", S}, {"jobf", R}}));

  // Step 8.
  ASSERT_TRUE(e.succeed("jobf"));
  ASSERT_TRUE(e.waitEnded());
  EXPECT_TRUE(e.expect({{"jobf", S}, {"", S}}, 0ms));
}

TEST(FlowRunner2, CS08_DisabledEmbeddedFlowAndInnerJob) {
  AZX_REQUIRE_SHARED(project, "embedded2");
  EngineHarness h;
  flow::ExecutionOptions exec;
  exec.disabled = {flow::DisabledJob{"jobb", {}},
                   flow::DisabledJob{"jobd", {flow::DisabledJob{"innerJobA", {}}}}};
  Execution e = startJobf(h, project, exec);

  ASSERT_TRUE(e.expect({{"joba", R}, {"joba1", R}}));
  ASSERT_TRUE(e.succeed("joba"));
  ASSERT_TRUE(e.expect({{"joba", S},
                        {"joba1", R},
                        {"jobb", SK},
                        {"jobc", R},
                        {"jobd", R},
                        {"jobd:innerJobA", SK},
                        {"jobd:innerFlow2", R},
                        {"jobb:innerJobA", RD},
                        {"jobb:innerJobB", RD},
                        {"jobb:innerJobC", RD},
                        {"jobb:innerFlow", RD}}));
  ASSERT_TRUE(e.succeed("jobc"));
  ASSERT_TRUE(e.succeed("jobd:innerFlow2"));
  ASSERT_TRUE(e.expect({{"jobd:innerFlow2", S}, {"jobd", S}, {"jobc", S}, {"jobe", R}}));
  ASSERT_TRUE(e.succeed("jobe"));
  ASSERT_TRUE(e.succeed("joba1"));
  ASSERT_TRUE(e.expect({{"jobe", S}, {"joba1", S}, {"jobf", R}}));
  ASSERT_TRUE(e.succeed("jobf"));
  ASSERT_TRUE(e.waitEnded());
  EXPECT_TRUE(e.expect({{"jobf", S},
                        {"", S},
                        {"jobb:innerJobA", RD},
                        {"jobb:innerJobB", RD},
                        {"jobb:innerJobC", RD},
                        {"jobb:innerFlow", RD}},
                       0ms));
}

TEST(FlowRunner2, CS09_EarlyFailureFinishCurrentlyRunning) {
  AZX_REQUIRE_SHARED(project, "embedded2");
  EngineHarness h;
  flow::ExecutionOptions exec;
  exec.failureAction = FailureAction::FinishCurrentlyRunning;
  Execution e = startJobf(h, project, exec);

  ASSERT_TRUE(e.expect({{"joba", R}, {"joba1", R}}));
  ASSERT_TRUE(e.fail("joba"));
  ASSERT_TRUE(e.expect({{"", FF},
                        {"joba", F},
                        {"joba1", R},
                        {"jobb", C},
                        {"jobc", C},
                        {"jobd", C},
                        {"jobd:innerJobA", RD},
                        {"jobd:innerFlow2", RD},
                        {"jobb:innerJobA", RD},
                        {"jobb:innerFlow", RD},
                        {"jobe", C}}));
  ASSERT_TRUE(e.succeed("joba1"));
  ASSERT_TRUE(e.waitEnded());
  EXPECT_TRUE(e.expect({{"jobf", C}, {"", F}, {"joba1", S}}, 0ms));
}

TEST(FlowRunner2, CS10_KillWhileEmbeddedFlowsRun) {
  AZX_REQUIRE_SHARED(project, "embedded2");
  EngineHarness h;
  flow::ExecutionOptions exec;
  exec.failureAction = FailureAction::CancelAll;
  Execution e = startJobf(h, project, exec);

  ASSERT_TRUE(e.expect({{"joba", R}, {"joba1", R}}));
  ASSERT_TRUE(e.succeed("joba"));
  ASSERT_TRUE(e.expect({{"joba", S},
                        {"jobb", R},
                        {"jobc", R},
                        {"jobd", R},
                        {"jobb:innerJobA", R},
                        {"jobd:innerJobA", R}}));
  ASSERT_TRUE(e.succeed("joba1"));
  ASSERT_TRUE(e.succeed("jobb:innerJobA"));
  ASSERT_TRUE(e.expect(
      {{"jobb:innerJobA", S}, {"joba1", S}, {"jobb:innerJobB", R}, {"jobb:innerJobC", R}}));
  e.kill("me");
  ASSERT_TRUE(e.waitEnded());
  EXPECT_TRUE(e.expect({{"jobb", K},
                        {"jobb:innerJobB", K},
                        {"jobb:innerJobC", K},
                        {"jobb:innerFlow", C},
                        {"jobc", K},
                        {"jobd", K},
                        {"jobd:innerJobA", K},
                        {"jobd:innerFlow2", C},
                        {"jobe", C},
                        {"jobf", C},
                        {"", K}},
                       0ms));
}

TEST(FlowRunner2, CS11_PauseAndResume) {
  AZX_REQUIRE_SHARED(project, "embedded2");
  EngineHarness h;
  Execution e = startJobf(h, project, {});

  ASSERT_TRUE(e.expect({{"joba", R}, {"joba1", R}}));
  ASSERT_TRUE(e.pause("test").ok());
  ASSERT_TRUE(e.succeed("joba"));
  ASSERT_TRUE(e.expect({{"joba", S}, {"", Status::Paused}}));
  // (derived) Nothing new starts while paused.
  EXPECT_TRUE(e.expect({{"jobb", RD}, {"jobc", RD}, {"jobd", RD}}, 0ms));

  e.resume("test");
  ASSERT_TRUE(e.expect({{"", R},
                        {"joba", S},
                        {"joba1", R},
                        {"jobb", R},
                        {"jobc", R},
                        {"jobd", R},
                        {"jobd:innerJobA", R},
                        {"jobb:innerJobA", R}}));

  ASSERT_TRUE(e.pause("test").ok());
  ASSERT_TRUE(e.succeed("jobb:innerJobA", {{"output.jobb.innerJobA", "jobb.innerJobA"}}));
  ASSERT_TRUE(e.expect({{"jobb:innerJobA", S}}));
  EXPECT_TRUE(e.expect({{"jobb:innerJobB", RD}, {"jobb:innerJobC", RD}}, 0ms));

  e.resume("test");
  ASSERT_TRUE(e.expect({{"jobb:innerJobB", R}, {"jobb:innerJobC", R}}));
  ASSERT_TRUE(e.succeed("jobb:innerJobB", {{"output.jobb.innerJobB", "jobb.innerJobB"}}));
  ASSERT_TRUE(e.succeed("jobb:innerJobC", {{"output.jobb.innerJobC", "jobb.innerJobC"}}));
  ASSERT_TRUE(e.expect({{"jobb:innerJobB", S}, {"jobb:innerJobC", S}, {"jobb:innerFlow", R}}));
  ASSERT_TRUE(e.succeed("jobb:innerFlow"));
  ASSERT_TRUE(e.expect({{"jobb:innerFlow", S}, {"jobb", S}}));
  ASSERT_TRUE(e.succeed("jobc"));
  ASSERT_TRUE(e.expect({{"jobc", S}}));
  ASSERT_TRUE(e.succeed("jobd:innerJobA"));
  ASSERT_TRUE(e.expect({{"jobd:innerJobA", S}, {"jobd:innerFlow2", R}}));
  ASSERT_TRUE(e.succeed("jobd:innerFlow2"));
  ASSERT_TRUE(e.expect({{"jobd:innerFlow2", S}, {"jobd", S}, {"jobe", R}}));
  ASSERT_TRUE(e.succeed("joba1"));
  ASSERT_TRUE(e.succeed("jobe"));
  ASSERT_TRUE(e.expect({{"joba1", S}, {"jobe", S}, {"jobf", R}}));
  ASSERT_TRUE(e.succeed("jobf"));
  ASSERT_TRUE(e.waitEnded());
  EXPECT_TRUE(e.expect({{"jobf", S}, {"", S}}, 0ms));
}

TEST(FlowRunner2, CS12_KillWhilePaused) {
  AZX_REQUIRE_SHARED(project, "embedded2");
  EngineHarness h;
  Execution e = startJobf(h, project, {});

  ASSERT_TRUE(e.expect({{"joba", R}, {"joba1", R}}));
  ASSERT_TRUE(e.succeed("joba"));
  ASSERT_TRUE(e.expect({{"joba", S},
                        {"joba1", R},
                        {"jobb", R},
                        {"jobc", R},
                        {"jobd", R},
                        {"jobd:innerJobA", R},
                        {"jobb:innerJobA", R}}));
  ASSERT_TRUE(e.pause("me").ok());
  ASSERT_TRUE(e.expect({{"", Status::Paused}}));
  ASSERT_TRUE(e.succeed("jobb:innerJobA"));
  ASSERT_TRUE(e.succeed("jobd:innerJobA"));
  ASSERT_TRUE(e.expect({{"jobb:innerJobA", S}, {"jobd:innerJobA", S}}));
  e.kill("me");
  ASSERT_TRUE(e.waitEnded());
  EXPECT_TRUE(e.expect({{"joba1", K},
                        {"jobb:innerJobB", C},
                        {"jobb:innerJobC", C},
                        {"jobb:innerFlow", C},
                        {"jobb", K},
                        {"jobc", K},
                        {"jobd:innerFlow2", C},
                        {"jobd", K},
                        {"jobe", C},
                        {"jobf", C},
                        {"", K}},
                       0ms));
}

TEST(FlowRunner2, CS13_PauseFailFinishAllPossible) {
  AZX_REQUIRE_SHARED(project, "embedded2");
  EngineHarness h;
  flow::ExecutionOptions exec;
  exec.failureAction = FailureAction::FinishAllPossible;
  Execution e = startJobf(h, project, exec);

  ASSERT_TRUE(e.expect({{"joba", R}, {"joba1", R}}));
  ASSERT_TRUE(e.succeed("joba"));
  ASSERT_TRUE(e.expect({{"joba", S},
                        {"joba1", R},
                        {"jobb", R},
                        {"jobc", R},
                        {"jobd", R},
                        {"jobd:innerJobA", R},
                        {"jobb:innerJobA", R}}));
  ASSERT_TRUE(e.pause("me").ok());
  ASSERT_TRUE(e.expect({{"", Status::Paused}}));
  ASSERT_TRUE(e.succeed("jobb:innerJobA"));
  ASSERT_TRUE(e.fail("jobd:innerJobA"));
  ASSERT_TRUE(e.expect({{"jobd:innerJobA", F}, {"jobb:innerJobA", S}}));
  e.resume("me");
  ASSERT_TRUE(e.expect(
      {{"jobb:innerJobB", R}, {"jobb:innerJobC", R}, {"jobd:innerFlow2", C}, {"jobd", F}}));
  for (const char* job : {"jobc", "joba1", "jobb:innerJobB", "jobb:innerJobC", "jobb:innerFlow"}) {
    ASSERT_TRUE(e.expect({{job, R}})) << job;
    ASSERT_TRUE(e.succeed(job)) << job;
  }
  ASSERT_TRUE(e.waitEnded());
  EXPECT_TRUE(e.expect({{"jobc", S},
                        {"joba1", S},
                        {"jobb:innerJobB", S},
                        {"jobb:innerJobC", S},
                        {"jobb:innerFlow", S},
                        {"jobb", S},
                        {"jobe", C},
                        {"jobf", C},
                        {"", F}},
                       0ms));
}

}  // namespace
}  // namespace azx::testing
