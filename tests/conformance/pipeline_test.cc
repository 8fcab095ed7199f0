// Conformance CS-19..CS-22: pipelined executions of embedded2 flows (FlowRunnerPipelineTest).
#include <gtest/gtest.h>

#include "tests/conformance/conformance_util.h"

namespace azx::testing {
namespace {

Execution startFlow(EngineHarness& h, const std::filesystem::path& project,
                    const std::string& flowId, flow::ExecutionOptions options) {
  auto prepared = prepareFlow(h, project, flowId, options);
  EXPECT_TRUE(prepared.flow);
  int id = prepared.flow->executionId;
  h.submit(std::move(prepared.flow), prepared.propsSource, prepared.executionDir);
  return Execution(h, id);
}

flow::ExecutionOptions pipelined(const Execution& previous, int level) {
  flow::ExecutionOptions options;
  options.pipelineExecId = previous.id();
  options.pipelineLevel = level;
  return options;
}

TEST(FlowRunnerPipeline, CS19_PipelineLevel1) {
  AZX_REQUIRE_SHARED(project, "embedded2");
  EngineHarness h;
  Execution P = startFlow(h, project, "jobf", {});
  ASSERT_TRUE(P.expect({{"joba", R}, {"joba1", R}}));
  Execution N = startFlow(h, project, "jobf", pipelined(P, 1));
  ASSERT_TRUE(N.expect({{"joba", Q}, {"joba1", Q}}));

  ASSERT_TRUE(P.succeed("joba"));  // 3
  ASSERT_TRUE(P.expect({{"joba", S},
                        {"jobb", R},
                        {"jobb:innerJobA", R},
                        {"jobd", R},
                        {"jobc", R},
                        {"jobd:innerJobA", R}}));
  ASSERT_TRUE(N.expect({{"joba", R}}));

  ASSERT_TRUE(P.succeed("jobb:innerJobA"));  // 4
  ASSERT_TRUE(P.expect({{"jobb:innerJobA", S}, {"jobb:innerJobB", R}, {"jobb:innerJobC", R}}));

  ASSERT_TRUE(N.succeed("joba"));  // 5
  ASSERT_TRUE(N.expect({{"joba", S},
                        {"jobb", R},
                        {"jobd", R},
                        {"jobc", Q},
                        {"jobd:innerJobA", Q},
                        {"jobb:innerJobA", R}}));

  ASSERT_TRUE(P.succeed("jobd:innerJobA"));  // 6
  ASSERT_TRUE(P.expect({{"jobd:innerJobA", S}, {"jobd:innerFlow2", R}}));
  ASSERT_TRUE(N.expect({{"jobd:innerJobA", R}}));

  ASSERT_TRUE(P.succeed("jobd:innerFlow2"));  // 7
  ASSERT_TRUE(P.expect({{"jobd:innerFlow2", S}, {"jobd", S}}));

  ASSERT_TRUE(P.succeed("jobb:innerJobB"));  // 8
  ASSERT_TRUE(P.succeed("jobb:innerJobC"));
  ASSERT_TRUE(P.succeed("jobc"));
  ASSERT_TRUE(N.succeed("jobb:innerJobA"));
  ASSERT_TRUE(
      P.expect({{"jobb:innerJobB", S}, {"jobb:innerJobC", S}, {"jobb:innerFlow", R}, {"jobc", S}}));
  ASSERT_TRUE(
      N.expect({{"jobb:innerJobA", S}, {"jobc", R}, {"jobb:innerJobB", R}, {"jobb:innerJobC", R}}));

  ASSERT_TRUE(P.succeed("jobb:innerFlow"));  // 9
  ASSERT_TRUE(N.succeed("jobc"));
  ASSERT_TRUE(P.expect({{"jobb:innerFlow", S}, {"jobb", S}, {"jobe", R}}));
  ASSERT_TRUE(N.expect({{"jobc", S}}));

  ASSERT_TRUE(N.succeed("jobb:innerJobB"));  // 10
  ASSERT_TRUE(N.succeed("jobb:innerJobC"));
  ASSERT_TRUE(P.succeed("jobe"));
  ASSERT_TRUE(P.expect({{"jobe", S}}));
  ASSERT_TRUE(N.expect({{"jobb:innerJobB", S}, {"jobb:innerJobC", S}, {"jobb:innerFlow", R}}));

  ASSERT_TRUE(N.succeed("jobd:innerJobA"));  // 11
  ASSERT_TRUE(N.succeed("jobb:innerFlow"));
  ASSERT_TRUE(N.expect(
      {{"jobb", S}, {"jobd:innerJobA", S}, {"jobb:innerFlow", S}, {"jobd:innerFlow2", R}}));

  ASSERT_TRUE(N.succeed("jobd:innerFlow2"));  // 12
  ASSERT_TRUE(P.succeed("joba1"));
  ASSERT_TRUE(N.expect({{"jobd:innerFlow2", S}, {"jobd", S}, {"joba1", R}, {"jobe", R}}));
  ASSERT_TRUE(P.expect({{"jobf", R}, {"joba1", S}}));

  ASSERT_TRUE(N.succeed("jobe"));  // 13
  ASSERT_TRUE(P.succeed("jobf"));
  ASSERT_TRUE(N.expect({{"jobe", S}}));
  ASSERT_TRUE(P.expect({{"jobf", S}, {"", S}}));

  ASSERT_TRUE(N.succeed("joba1"));  // 14
  ASSERT_TRUE(N.expect({{"joba1", S}, {"jobf", R}}));
  ASSERT_TRUE(N.succeed("jobf"));  // 15
  ASSERT_TRUE(P.waitEnded());
  ASSERT_TRUE(N.waitEnded());
  EXPECT_TRUE(N.expect({{"", S}}, 0ms));
}

TEST(FlowRunnerPipeline, CS20_PipelineLevel1PreviousDisabledEmbeddedFlow) {
  AZX_REQUIRE_SHARED(project, "embedded2");
  EngineHarness h;
  flow::ExecutionOptions previous;
  previous.disabled = {flow::DisabledJob{"jobb", {}}};
  Execution P = startFlow(h, project, "jobf", previous);
  ASSERT_TRUE(P.expect({{"joba", R}, {"joba1", R}}));
  Execution N = startFlow(h, project, "jobf", pipelined(P, 1));
  ASSERT_TRUE(N.expect({{"joba", Q}, {"joba1", Q}}));

  ASSERT_TRUE(P.succeed("joba"));  // 3
  ASSERT_TRUE(P.expect({{"joba", S},
                        {"jobb", SK},
                        {"jobb:innerJobA", RD},
                        {"jobd", R},
                        {"jobc", R},
                        {"jobd:innerJobA", R},
                        {"jobb:innerJobB", RD},
                        {"jobb:innerJobC", RD}}));
  ASSERT_TRUE(N.expect({{"joba", R}}));

  ASSERT_TRUE(N.succeed("joba"));  // 4
  ASSERT_TRUE(N.expect({{"joba", S},
                        {"jobb", R},
                        {"jobd", R},
                        {"jobc", Q},
                        {"jobd:innerJobA", Q},
                        {"jobb:innerJobA", R}}));

  ASSERT_TRUE(P.succeed("jobd:innerJobA"));  // 5
  ASSERT_TRUE(P.expect({{"jobd:innerJobA", S}, {"jobd:innerFlow2", R}}));
  ASSERT_TRUE(N.expect({{"jobd:innerJobA", R}}));

  ASSERT_TRUE(P.succeed("jobd:innerFlow2"));  // 6
  ASSERT_TRUE(P.expect({{"jobd:innerFlow2", S}, {"jobd", S}}));

  ASSERT_TRUE(N.succeed("jobb:innerJobA"));  // 7
  ASSERT_TRUE(P.succeed("jobc"));
  ASSERT_TRUE(P.expect(
      {{"jobb:innerJobB", RD}, {"jobb:innerJobC", RD}, {"jobb:innerFlow", RD}, {"jobc", S}}));
  ASSERT_TRUE(
      N.expect({{"jobb:innerJobA", S}, {"jobc", R}, {"jobb:innerJobB", R}, {"jobb:innerJobC", R}}));

  ASSERT_TRUE(N.succeed("jobc"));  // 8
  ASSERT_TRUE(P.expect({{"jobb:innerFlow", RD}, {"jobb", SK}, {"jobe", R}}));
  ASSERT_TRUE(N.expect({{"jobc", S}}));

  ASSERT_TRUE(N.succeed("jobb:innerJobB"));  // 9
  ASSERT_TRUE(N.succeed("jobb:innerJobC"));
  ASSERT_TRUE(P.succeed("jobe"));
  ASSERT_TRUE(P.expect({{"jobe", S}}));
  ASSERT_TRUE(N.expect({{"jobb:innerJobB", S}, {"jobb:innerJobC", S}, {"jobb:innerFlow", R}}));

  ASSERT_TRUE(N.succeed("jobd:innerJobA"));  // 10
  ASSERT_TRUE(N.succeed("jobb:innerFlow"));
  ASSERT_TRUE(N.expect(
      {{"jobb", S}, {"jobd:innerJobA", S}, {"jobb:innerFlow", S}, {"jobd:innerFlow2", R}}));

  ASSERT_TRUE(N.succeed("jobd:innerFlow2"));  // 11
  ASSERT_TRUE(P.succeed("joba1"));
  ASSERT_TRUE(N.expect({{"jobd:innerFlow2", S}, {"jobd", S}, {"joba1", R}, {"jobe", R}}));
  ASSERT_TRUE(P.expect({{"jobf", R}, {"joba1", S}}));

  ASSERT_TRUE(N.succeed("jobe"));  // 12
  ASSERT_TRUE(P.succeed("jobf"));
  ASSERT_TRUE(N.expect({{"jobe", S}}));
  ASSERT_TRUE(P.expect({{"jobf", S}, {"", S}}));

  ASSERT_TRUE(N.succeed("joba1"));  // 13
  ASSERT_TRUE(N.expect({{"joba1", S}, {"jobf", R}}));
  ASSERT_TRUE(N.succeed("jobf"));  // 14
  ASSERT_TRUE(P.waitEnded());
  ASSERT_TRUE(N.waitEnded());
  EXPECT_TRUE(N.expect({{"", S}}, 0ms));
}

TEST(FlowRunnerPipeline, CS21_PipelineLevel2ThroughEmbeddedFlow) {
  AZX_REQUIRE_SHARED(project, "embedded2");
  EngineHarness h;
  const std::string E = "pipelineEmbeddedFlow3";
  Execution P = startFlow(h, project, "pipelineFlow", {});
  ASSERT_TRUE(P.expect({{"pipeline1", R}}));  // 1
  Execution N = startFlow(h, project, "pipelineFlow", pipelined(P, 2));
  ASSERT_TRUE(N.expect({{"pipeline1", Q}}));  // 2

  ASSERT_TRUE(P.succeed("pipeline1"));  // 3
  ASSERT_TRUE(P.expect({{"pipeline1", S}, {"pipeline2", R}}));
  ASSERT_TRUE(N.expect({{"pipeline1", Q}}, 0ms));

  ASSERT_TRUE(P.succeed("pipeline2"));  // 4
  ASSERT_TRUE(P.expect({{"pipeline2", S}, {E, R}, {E + ":innerJobA", R}}));
  ASSERT_TRUE(N.expect({{"pipeline1", R}}));

  ASSERT_TRUE(N.succeed("pipeline1"));  // 5
  ASSERT_TRUE(N.expect({{"pipeline1", S}, {"pipeline2", Q}}));

  ASSERT_TRUE(P.succeed(E + ":innerJobA"));  // 6
  ASSERT_TRUE(P.expect({{E + ":innerJobA", S}, {E + ":innerJobB", R}, {E + ":innerJobC", R}}));
  ASSERT_TRUE(N.expect({{"pipeline2", R}}));

  ASSERT_TRUE(N.succeed("pipeline2"));  // 7
  ASSERT_TRUE(N.expect({{"pipeline2", S}, {E, R}, {E + ":innerJobA", Q}}));

  ASSERT_TRUE(P.succeed(E + ":innerJobB"));  // 8
  ASSERT_TRUE(P.expect({{E + ":innerJobB", S}}));

  ASSERT_TRUE(P.succeed(E + ":innerJobC"));  // 9
  ASSERT_TRUE(P.expect({{E + ":innerFlow", R}, {E + ":innerJobC", S}}));
  ASSERT_TRUE(N.expect({{E + ":innerJobA", R}}));

  ASSERT_TRUE(N.succeed(E + ":innerJobA"));  // 10
  ASSERT_TRUE(N.expect({{E + ":innerJobA", S}, {E + ":innerJobC", Q}, {E + ":innerJobB", Q}}));
  ASSERT_TRUE(P.expect({{E + ":innerFlow", R}}));

  ASSERT_TRUE(P.succeed(E + ":innerFlow"));  // 11
  ASSERT_TRUE(P.expect({{E + ":innerFlow", S}, {E, S}, {"pipeline4", R}}));
  ASSERT_TRUE(N.expect({{E + ":innerJobC", R}, {E + ":innerJobB", R}}));

  ASSERT_TRUE(N.succeed(E + ":innerJobB"));  // 12
  ASSERT_TRUE(N.succeed(E + ":innerJobC"));
  ASSERT_TRUE(N.expect({{E + ":innerJobB", S}, {E + ":innerJobC", S}, {E + ":innerFlow", Q}}));

  ASSERT_TRUE(P.succeed("pipeline4"));  // 13
  ASSERT_TRUE(P.expect({{"pipeline4", S}, {"pipelineFlow", R}}));
  ASSERT_TRUE(N.expect({{E + ":innerFlow", R}}));

  ASSERT_TRUE(P.succeed("pipelineFlow"));  // 14
  ASSERT_TRUE(P.waitEnded());
  EXPECT_TRUE(P.expect({{"pipelineFlow", S}, {"", S}}, 0ms));

  ASSERT_TRUE(N.succeed(E + ":innerFlow"));  // 15
  ASSERT_TRUE(N.expect({{E + ":innerFlow", S}, {E, S}, {"pipeline4", R}}));
  ASSERT_TRUE(N.succeed("pipeline4"));  // 16
  ASSERT_TRUE(N.expect({{"pipeline4", S}, {"pipelineFlow", R}}));
  ASSERT_TRUE(N.succeed("pipelineFlow"));  // 17
  ASSERT_TRUE(N.waitEnded());
  EXPECT_TRUE(N.expect({{"pipelineFlow", S}, {"", S}}, 0ms));
}

TEST(FlowRunnerPipeline, CS22_PipelineLevel2BetweenEmbeddedFlows) {
  AZX_REQUIRE_SHARED(project, "embedded2");
  EngineHarness h;
  const std::string A = "pipeline1_1";
  const std::string B = "pipeline1_2";
  Execution P = startFlow(h, project, "pipeline1_2", {});
  ASSERT_TRUE(P.expect({{A, R}, {A + ":innerJobA", R}}));  // 1
  Execution N = startFlow(h, project, "pipeline1_2", pipelined(P, 2));
  ASSERT_TRUE(N.expect({{A, R}, {A + ":innerJobA", Q}}));  // 2

  ASSERT_TRUE(P.succeed(A + ":innerJobA"));  // 3
  ASSERT_TRUE(P.expect({{A + ":innerJobA", S}, {A + ":innerFlow2", R}}));

  ASSERT_TRUE(P.succeed(A + ":innerFlow2"));  // 4
  ASSERT_TRUE(P.expect({{A, S}, {A + ":innerFlow2", S}, {B, R}, {B + ":innerJobA", R}}));
  ASSERT_TRUE(N.expect({{A + ":innerJobA", R}}));

  ASSERT_TRUE(N.succeed(A + ":innerJobA"));  // 5
  ASSERT_TRUE(N.expect({{A + ":innerJobA", S}, {A + ":innerFlow2", Q}}));

  ASSERT_TRUE(P.succeed(B + ":innerJobA"));  // 6
  ASSERT_TRUE(P.expect({{B + ":innerJobA", S}, {B + ":innerFlow2", R}}));
  ASSERT_TRUE(N.expect({{A + ":innerFlow2", R}}));

  ASSERT_TRUE(N.succeed(A + ":innerFlow2"));  // 7
  ASSERT_TRUE(N.expect({{A, S}, {A + ":innerFlow2", S}, {B, R}, {B + ":innerJobA", Q}}));

  ASSERT_TRUE(P.succeed(B + ":innerFlow2"));  // 8
  ASSERT_TRUE(P.waitEnded());
  EXPECT_TRUE(P.expect({{B + ":innerFlow2", S}, {B, S}, {"", S}}, 0ms));
  ASSERT_TRUE(N.expect({{B + ":innerJobA", R}}));

  ASSERT_TRUE(N.succeed(B + ":innerJobA"));  // 9
  ASSERT_TRUE(N.expect({{B + ":innerJobA", S}, {B + ":innerFlow2", R}}));
  ASSERT_TRUE(N.succeed(B + ":innerFlow2"));  // 10
  ASSERT_TRUE(N.waitEnded());
  EXPECT_TRUE(N.expect({{B, S}, {B + ":innerFlow2", S}, {"", S}}, 0ms));
}

}  // namespace
}  // namespace azx::testing
