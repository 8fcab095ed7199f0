// Conformance CS-14..CS-18: a two-node Flow 2.0 flow (FlowRunner2Test) and conditional
// workflows (FlowRunnerConditionalFlowTest).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "tests/conformance/conformance_util.h"

namespace azx::testing {
namespace {

int submitPrepared(EngineHarness& h, PreparedFlow& prepared) {
  EXPECT_TRUE(prepared.flow);
  int id = prepared.flow->executionId;
  h.submit(std::move(prepared.flow), prepared.propsSource, prepared.executionDir);
  return id;
}

TEST(FlowRunnerDag, CS14_TwoNodeFlowRunsInOrder) {
  // The upstream resource hello_world_flow.flow is not in the shared data: written here.
  auto project = freshTempDir("hello-world-project");
  std::ofstream(project / "hello_world.project") << "azkaban-flow-version: 2.0\n";
  std::ofstream(project / "hello_world_flow.flow") << R"(nodes:
  - name: n1
    type: command
    config:
      command: echo "Hello World."
  - name: n2
    dependsOn:
      - n1
    type: command
    config:
      command: echo "This is the second job."
)";
  EngineHarness h;
  auto prepared = prepareFlow(h, project, "hello_world_flow");
  ASSERT_TRUE(prepared.project->errors.empty());
  ASSERT_TRUE(prepared.flow);
  prepared.flow->submitUser = "testUser";  // command jobs need an effective user
  Execution e(h, submitPrepared(h, prepared));
  ASSERT_TRUE(e.waitEnded(2s)) << "the upstream test waits up to 2 s";
  EXPECT_EQ(e.recorder().jobStartOrder, (std::vector<std::string>{"n1", "n2"}));
  const flow::ExecutableFlow* final = h.finalFlow(e.id());
  ASSERT_TRUE(final);
  const auto* n1 = final->root.findChild("n1");
  const auto* n2 = final->root.findChild("n2");
  EXPECT_EQ(n1->status, S);
  EXPECT_EQ(n2->status, S);
  EXPECT_GE(n2->startTime, n1->endTime);
  EXPECT_EQ(final->root.status, S);
}

TEST(FlowRunnerConditionalFlow, CS15_OneSuccessWaitsForAllParents) {
  AZX_REQUIRE_SHARED(project, "conditionalflowyamltest");
  EngineHarness h;
  auto prepared = prepareFlow(h, project, "conditional_flow5");
  Execution e(h, submitPrepared(h, prepared));
  ASSERT_TRUE(e.expect({{"jobA", R}, {"jobB", R}}));
  ASSERT_TRUE(e.succeed("jobA"));
  ASSERT_TRUE(e.expect({{"jobA", S}, {"jobB", R}, {"jobC", RD}}));
  ASSERT_TRUE(e.fail("jobB"));
  ASSERT_TRUE(e.waitEnded());
  EXPECT_TRUE(e.expect({{"jobB", F}, {"jobC", S}, {"", S}}, 0ms));
  const auto& seen = e.recorder().rootStatuses;
  EXPECT_EQ(std::count(seen.begin(), seen.end(), FF), 0) << "never FAILED_FINISHING";
}

TEST(FlowRunnerConditionalFlow, CS16_AbsentConditionOnJobStatusIsAllSuccess) {
  AZX_REQUIRE_SHARED(project, "conditionalflowyamltest");
  EngineHarness h;
  auto cleared = prepareFlow(h, project, "conditional_flow3");
  ASSERT_TRUE(cleared.flow);
  flow::ExecutableNode* jobC = cleared.flow->root.findChild("jobC");
  ASSERT_TRUE(jobC);
  ASSERT_EQ(jobC->condition.value_or(""), "one_failed");
  jobC->conditionOnJobStatus.reset();  // as an execution record without the field
  Execution e(h, submitPrepared(h, cleared));
  ASSERT_TRUE(e.expect({{"jobA", R}, {"jobB", R}}));
  ASSERT_TRUE(e.succeed("jobA"));
  ASSERT_TRUE(e.expect({{"jobA", S}}));
  ASSERT_TRUE(e.succeed("jobB"));
  ASSERT_TRUE(e.waitEnded());
  EXPECT_TRUE(e.expect({{"jobB", S}, {"jobC", S}, {"", S}}, 0ms));

  // (derived companion) With the field kept, one_failed is not satisfied.
  auto kept = prepareFlow(h, project, "conditional_flow3");
  Execution k(h, submitPrepared(h, kept));
  ASSERT_TRUE(k.expect({{"jobA", R}, {"jobB", R}}));
  ASSERT_TRUE(k.succeed("jobA"));
  ASSERT_TRUE(k.succeed("jobB"));
  ASSERT_TRUE(k.waitEnded());
  EXPECT_TRUE(k.expect({{"jobA", S}, {"jobB", S}, {"jobC", C}, {"", K}}, 0ms));
}

TEST(FlowRunnerConditionalFlow, CS17_ConditionOnFlowParameterIsNotSupported) {
  AZX_REQUIRE_SHARED(project, "conditionalflowyamltest");
  EngineHarness h;
  flow::ExecutionOptions options;
  options.flowParameters = {{"azkaban.server.name", "foo"}};
  auto prepared = prepareFlow(h, project, "conditional_flow1", options);
  Execution e(h, submitPrepared(h, prepared));
  ASSERT_TRUE(e.waitEnded());
  EXPECT_TRUE(e.expect({{"jobA", S}, {"jobB", C}, {"jobC", C}, {"jobD", C}, {"", K}}, 0ms));
}

TEST(FlowRunnerConditionalFlow, CS18_ConditionsDoNotExecuteCode) {
  // conditional_flow7.flow is not in the 3.81.0 data: a two-job flow whose jobB condition is
  // replaced by a script before the start (the validator would reject it at upload).
  auto project = freshTempDir("arbitrary-condition-project");
  std::ofstream(project / "conditional_flow.project") << "azkaban-flow-version: 2.0\n";
  std::ofstream(project / "conditional_flow7.flow") << R"(nodes:
  - name: jobA
    type: test
    config:
      fail: false
      seconds: 0
  - name: jobB
    type: test
    config:
      fail: false
      seconds: 0
    dependsOn:
      - jobA
    condition: ${jobA:props} == 'foo'
)";
  EngineHarness h;
  auto prepared = prepareFlow(h, project, "conditional_flow7");
  ASSERT_TRUE(prepared.flow);
  const auto execDir = prepared.executionDir;
  const auto cwd = std::filesystem::current_path();
  std::error_code ec;
  std::filesystem::remove(cwd / "new.txt", ec);
  prepared.flow->root.findChild("jobB")->condition =
      "new('java.io.File', 'new.txt').createNewFile() || `touch new.txt` || $(touch new.txt)";
  Execution e(h, submitPrepared(h, prepared));
  ASSERT_TRUE(e.waitEnded());
  EXPECT_TRUE(e.expect({{"jobA", S}, {"jobB", C}, {"", K}}, 0ms));
  EXPECT_FALSE(std::filesystem::exists(execDir / "new.txt"));
  EXPECT_FALSE(std::filesystem::exists(cwd / "new.txt"));
}

}  // namespace
}  // namespace azx::testing
