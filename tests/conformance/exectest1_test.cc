// Conformance CS-01..CS-06: flow runs on exectest1 (upstream FlowRunnerTest).
#include <gtest/gtest.h>

#include "engine/event_metadata.h"
#include "engine/node_props_source.h"
#include "tests/conformance/conformance_util.h"

namespace azx::testing {
namespace {

using engine::EventType;

// S(N) jobs with N > 0 wait for the test, which "shortcuts the sleep" by succeeding them.
HarnessOptions waitingSleeps() {
  HarnessOptions options;
  options.testJobs.sleepPolicy = [](const std::string&, double seconds) -> std::optional<double> {
    if (seconds <= 0) return 0.0;
    return std::nullopt;
  };
  return options;
}

struct Exec1Run {
  int id;
  std::filesystem::path dir;
};

Exec1Run startExecTest1(EngineHarness& h, const std::filesystem::path& project,
                        const std::vector<Edge>& edges, const std::string& flowId,
                        const std::vector<std::string>& disabled = {},
                        const std::function<void(const flow::ExecutableFlow&)>& beforeStart = {}) {
  auto flow = buildExecTest1Flow(flowId, edges);
  flow->executionId = h.nextExecId();
  flow->submitTime = h.clock().nowMillis();
  for (const auto& id : disabled) flow->options.disabled.push_back(flow::DisabledJob{id, {}});
  flow::applyDisabledJobs(flow->root, flow->options.disabled);
  if (beforeStart) beforeStart(*flow);
  auto dir = h.copyProject(project, "exectest1");
  auto source = std::make_shared<engine::ExecutionDirPropsSource>(dir, nullptr);
  int id = flow->executionId;
  h.submit(std::move(flow), source, dir);
  return {id, dir};
}

// For every edge p->c: c.startTime >= p.endTime; every job 0 < startTime <= endTime.
void expectOrdering(const flow::ExecutableFlow& flow, const std::vector<Edge>& edges) {
  for (const auto& node : flow.root.nodes) {
    EXPECT_GT(node->startTime, 0) << node->id;
    EXPECT_LE(node->startTime, node->endTime) << node->id;
  }
  for (const auto& [parent, child] : edges) {
    const auto* p = flow.root.findChild(parent);
    const auto* c = flow.root.findChild(child);
    ASSERT_TRUE(p && c);
    EXPECT_GE(c->startTime, p->endTime) << parent << "->" << child;
  }
}

TEST(FlowRunner, CS01_AllJobsSucceed) {
  AZX_REQUIRE_SHARED(project, "exectest1");
  EngineHarness h(waitingSleeps());
  auto run = startExecTest1(h, project, kGraphExec1, "derived-member-data");
  Execution e(h, run.id);
  ASSERT_TRUE(e.expect({{"job1", S}, {"job2", S}, {"job3", R}, {"job4", R}, {"job6", R}}));
  for (const char* job : {"job3", "job4", "job6"}) ASSERT_TRUE(e.succeed(job)) << job;
  ASSERT_TRUE(e.waitEnded());

  for (const char* job :
       {"job1", "job2", "job3", "job4", "job5", "job6", "job7", "job8", "job10"}) {
    EXPECT_EQ(statusName(e.status(job)), statusName(S)) << job;
  }
  EXPECT_EQ(statusName(e.flowStatus()), statusName(S));
  const flow::ExecutableFlow* final = h.finalFlow(run.id);
  ASSERT_TRUE(final);
  EXPECT_EQ(final->root.findChild("job9"), nullptr);
  expectOrdering(*final, kGraphExec1);
  EXPECT_EQ(e.recorder().flowEvents,
            (std::vector<EventType>{EventType::FlowStarted, EventType::FlowFinished}));
}

TEST(FlowRunner, CS02_DisabledJobsAreSkipped) {
  AZX_REQUIRE_SHARED(project, "exectest1");
  EngineHarness h(waitingSleeps());
  // Step 1: before the start the flow is READY (and no runner exists that could be killed).
  auto run =
      startExecTest1(h, project, kGraphExec1, "derived-member-data",
                     {"job1", "job5", "job6", "job10"}, [](const flow::ExecutableFlow& flow) {
                       EXPECT_EQ(flow.root.status, Status::Ready);
                       EXPECT_EQ(flow.root.findChild("job1")->status, Status::Disabled);
                     });
  Execution e(h, run.id);
  EXPECT_FALSE(h.killedFlag(run.id));
  ASSERT_TRUE(e.expect({{"job3", R}, {"job4", R}}));
  ASSERT_TRUE(e.succeed("job3"));
  ASSERT_TRUE(e.succeed("job4"));
  ASSERT_TRUE(e.waitEnded());

  EXPECT_TRUE(e.expect({{"job1", SK},
                        {"job2", S},
                        {"job3", S},
                        {"job4", S},
                        {"job5", SK},
                        {"job6", SK},
                        {"job7", S},
                        {"job8", S},
                        {"job10", SK},
                        {"", S}},
                       0ms));
  const flow::ExecutableFlow* final = h.finalFlow(run.id);
  ASSERT_TRUE(final);
  expectOrdering(*final, kGraphExec1);
  for (const char* job : {"job1", "job5", "job6", "job10"}) {
    const auto* node = final->root.findChild(job);
    EXPECT_EQ(node->startTime, node->endTime) << job;
  }
  EXPECT_EQ(e.recorder().flowEvents,
            (std::vector<EventType>{EventType::FlowStarted, EventType::FlowFinished}));
}

TEST(FlowRunner, CS03_FailureFinishCurrentlyRunning) {
  AZX_REQUIRE_SHARED(project, "exectest1");
  EngineHarness h(waitingSleeps());
  auto run = startExecTest1(h, project, kGraphExec2, "derived-member-data-2");
  Execution e(h, run.id);
  // (derived) While job6 runs the flow is FAILED_FINISHING.
  ASSERT_TRUE(e.expect({{"job1", S}, {"job2d", F}, {"job6", R}, {"", Status::FailedFinishing}}));
  ASSERT_TRUE(e.succeed("job6"));
  ASSERT_TRUE(e.waitEnded());

  EXPECT_TRUE(e.expect({{"job1", S},
                        {"job2d", F},
                        {"job3", C},
                        {"job4", C},
                        {"job5", C},
                        {"job6", S},
                        {"job7", C},
                        {"job8", C},
                        {"job9", C},
                        {"job10", C},
                        {"", F}},
                       0ms));
  EXPECT_FALSE(h.killedFlag(run.id));
  EXPECT_EQ(e.recorder().flowEvents,
            (std::vector<EventType>{EventType::FlowStarted, EventType::FlowFinished}));
}

TEST(FlowRunner, CS04_KillWithJobIgnoringKill) {
  AZX_REQUIRE_SHARED(project, "exectest1");
  EngineHarness h(waitingSleeps());  // job3, job4, job6 keep running until step 2
  auto run = startExecTest1(h, project, kGraphExec1, "derived-member-data");
  Execution e(h, run.id);
  ASSERT_TRUE(e.expect({{"job1", S}, {"job2", S}, {"job3", R}, {"job4", R}, {"job6", R}}));
  ASSERT_TRUE(h.waitUntil([&] { return h.jobs().isWaiting("job3", run.id); }));
  e.setIgnoreKill("job3", true);
  e.kill("me");
  ASSERT_TRUE(e.expect({{"job3", Status::Killing}, {"", Status::Killing}}));
  // job3 is still alive (it ignored SIGTERM) until it exits with an error.
  EXPECT_TRUE(h.jobs().isWaiting("job3", run.id));
  ASSERT_TRUE(e.fail("job3"));
  ASSERT_TRUE(e.waitEnded());

  EXPECT_TRUE(e.expect({{"job3", K},
                        {"job4", K},
                        {"job6", K},
                        {"job5", C},
                        {"job7", C},
                        {"job8", C},
                        {"job10", C},
                        {"job1", S},
                        {"job2", S},
                        {"", K}},
                       0ms));
  EXPECT_TRUE(h.killedFlag(run.id));
  EXPECT_EQ(e.recorder().flowEvents,
            (std::vector<EventType>{EventType::FlowStarted, EventType::FlowFinished}));
}

TEST(FlowRunner, CS05_EventMetadataFromProperties) {
  Props props;
  props.put("azkaban.event.reporting.propagateProperties", "my.prop1,my.prop2");
  props.put("my.prop1", "value1");
  props.put("my.prop2", "value2");
  std::map<std::string, std::string> metadata;
  ASSERT_TRUE(engine::addMetadataFromProperties(&metadata, props).ok());
  EXPECT_EQ(metadata,
            (std::map<std::string, std::string>{{"my.prop1", "value1"}, {"my.prop2", "value2"}}));

  Props without;
  without.put("my.prop1", "value1");
  std::map<std::string, std::string> empty;
  ASSERT_TRUE(engine::addMetadataFromProperties(&empty, without).ok());
  EXPECT_EQ(empty.size(), 0u);

  EXPECT_FALSE(engine::addMetadataFromProperties(nullptr, props).ok());
}

TEST(FlowRunner, CS06_FlowEventMetadata) {
  auto flow = buildExecTest1Flow("derived-member-data", kGraphExec1);
  flow->executionId = 101;
  auto metadata = engine::flowMetadata(*flow, std::nullopt, std::nullopt);
  EXPECT_EQ(metadata["azkabanWebserver"], "localhost");
  EXPECT_EQ(metadata["azkabanHost"], "unknown");
  EXPECT_EQ(metadata.count("submitUser"), 0u);
  EXPECT_EQ(metadata["projectName"], "test");
  EXPECT_EQ(metadata["flowName"], "derived-member-data");
}

}  // namespace
}  // namespace azx::testing
