#include "flow/executable_flow.h"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>

#include "tests/support/test_paths.h"

namespace azx::flow {
namespace {

using Ids = std::vector<std::string>;

Ids ids(const std::vector<ExecutableNode*>& nodes) {
  Ids result;
  for (const auto* node : nodes) result.push_back(node->id);
  return result;
}

Ids childIds(const ExecutableNode& flow) {
  Ids result;
  for (const auto& node : flow.nodes) result.push_back(node->id);
  return result;
}

size_t countNodes(const ExecutableNode& flow) {
  size_t count = 0;
  for (const auto& node : flow.nodes) count += 1 + countNodes(*node);
  return count;
}

void forEachNode(const ExecutableNode& flow, const std::function<void(const ExecutableNode&)>& fn) {
  for (const auto& node : flow.nodes) {
    fn(*node);
    forEachNode(*node, fn);
  }
}

std::unique_ptr<ExecutableFlow> build(const Project& project, const std::string& flowId,
                                      const ExecutionOptions& options = {}) {
  auto result = buildExecutableFlow(project, flowId, options);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return result.ok() ? std::move(*result) : nullptr;
}

TEST(ExecutableFlowTest, Embedded2Jobf) {
  AZX_REQUIRE_SHARED(dir, "embedded2");
  Project project = loadProject(dir);
  ASSERT_TRUE(project.errors.empty());
  auto flow = build(project, "jobf");
  ASSERT_NE(flow, nullptr);
  const ExecutableNode& root = flow->root;
  EXPECT_TRUE(root.isRoot());
  EXPECT_TRUE(root.isFlow());
  EXPECT_EQ(root.id, "");
  EXPECT_EQ(flow->flowId(), "jobf");
  EXPECT_EQ(root.flowPath(), "jobf");
  EXPECT_EQ(flow->azkabanFlowVersion, 1.0);
  ASSERT_EQ(root.properties.size(), 2u);
  EXPECT_EQ(root.properties[1].source, "test2.properties");
  EXPECT_EQ(root.properties[1].inherits, "test1.properties");

  EXPECT_EQ(childIds(root), (Ids{"joba", "joba1", "jobb", "jobc", "jobd", "jobe", "jobf"}));
  EXPECT_EQ(countNodes(root), 7u + 4u + 2u);
  EXPECT_EQ(ids(root.startNodes()), (Ids{"joba", "joba1"}));
  EXPECT_EQ(ids(root.endNodes()), (Ids{"jobf"}));
  EXPECT_EQ(root.findChild("jobe")->inNodes, (Ids{"jobb", "jobc", "jobd"}));
  EXPECT_EQ(root.findChild("joba")->outNodes, (Ids{"jobb", "jobc", "jobd"}));
  EXPECT_EQ(root.findChild("jobf")->inNodes, (Ids{"jobe", "joba1"}));
  EXPECT_EQ(root.findChild("joba1")->outNodes, (Ids{"jobf"}));

  ExecutableNode* jobb = root.findChild("jobb");
  ASSERT_NE(jobb, nullptr);
  EXPECT_TRUE(jobb->isFlow());
  EXPECT_EQ(jobb->type, "flow");
  EXPECT_EQ(jobb->flowId, "innerFlow");
  EXPECT_EQ(jobb->jobSource, "jobb.job");
  EXPECT_EQ(jobb->propSource, "test2.properties");
  EXPECT_EQ(jobb->properties.size(), 2u);
  EXPECT_EQ(jobb->flowPath(), "jobf,jobb:innerFlow");
  EXPECT_EQ(jobb->nestedId(), "jobb");
  EXPECT_EQ(childIds(*jobb), (Ids{"innerFlow", "innerJobA", "innerJobB", "innerJobC"}));
  EXPECT_EQ(ids(jobb->startNodes()), (Ids{"innerJobA"}));
  EXPECT_EQ(ids(jobb->endNodes()), (Ids{"innerFlow"}));
  EXPECT_EQ(jobb->findChild("innerFlow")->inNodes, (Ids{"innerJobB", "innerJobC"}));

  ExecutableNode* innerB = root.findByNestedId("jobb:innerJobB");
  ASSERT_NE(innerB, nullptr);
  EXPECT_EQ(innerB->parent, jobb);
  EXPECT_EQ(innerB->nestedId(), "jobb:innerJobB");
  EXPECT_EQ(innerB->flowPath(), "jobf,jobb:innerFlow");  // a job reports its flow level's path
  EXPECT_EQ(innerB->inNodes, (Ids{"innerJobA"}));
  EXPECT_EQ(root.findByNestedId("jobb:nope"), nullptr);
  EXPECT_EQ(root.findByNestedId("joba:x"), nullptr);

  ExecutableNode* jobd = root.findChild("jobd");
  EXPECT_EQ(jobd->flowId, "innerFlow2");
  EXPECT_EQ(jobd->flowPath(), "jobf,jobd:innerFlow2");
  EXPECT_EQ(childIds(*jobd), (Ids{"innerFlow2", "innerJobA"}));
  EXPECT_EQ(root.findByNestedId("jobd:innerJobA")->nestedId(), "jobd:innerJobA");

  forEachNode(root, [](const ExecutableNode& node) {
    EXPECT_EQ(node.status, Status::Ready) << node.nestedId();
    EXPECT_EQ(node.startTime, -1);
    EXPECT_EQ(node.endTime, -1);
    EXPECT_EQ(node.updateTime, -1);
    EXPECT_EQ(node.attempt, 0);
    EXPECT_EQ(node.conditionOnJobStatus, ConditionOnJobStatus::AllSuccess);
    EXPECT_TRUE(node.jobSource.has_value());
  });
}

TEST(ExecutableFlowTest, EmbeddedYamlFlow) {
  AZX_REQUIRE_SHARED(dir, "embeddedflowyamltest");
  Project project = loadProject(dir);
  ASSERT_TRUE(project.errors.empty());
  auto flow = build(project, "embedded_flow");
  ASSERT_NE(flow, nullptr);
  const ExecutableNode& root = flow->root;
  EXPECT_EQ(flow->azkabanFlowVersion, 2.0);
  EXPECT_EQ(childIds(root), (Ids{"shell_end", "shell_pwd", "shell_echo", "embedded_flow1"}));
  EXPECT_EQ(countNodes(root), 4u + 4u + 2u);
  EXPECT_EQ(ids(root.startNodes()), (Ids{"shell_pwd", "shell_echo", "embedded_flow1"}));
  EXPECT_EQ(ids(root.endNodes()), (Ids{"shell_end"}));
  ASSERT_EQ(root.properties.size(), 1u);
  EXPECT_EQ(root.properties[0].source, "embedded_flow.flow");

  ExecutableNode* inner = root.findChild("embedded_flow1");
  ASSERT_NE(inner, nullptr);
  EXPECT_EQ(inner->flowId, "embedded_flow:embedded_flow1");
  EXPECT_EQ(inner->flowPath(), "embedded_flow,embedded_flow1:embedded_flow:embedded_flow1");
  EXPECT_EQ(inner->jobSource, "embedded_flow.flow");
  EXPECT_EQ(inner->propSource, "embedded_flow.flow");
  ExecutableNode* deepest = root.findByNestedId("embedded_flow1:embedded_flow2");
  ASSERT_NE(deepest, nullptr);
  EXPECT_EQ(deepest->flowId, "embedded_flow:embedded_flow1:embedded_flow2");
  EXPECT_EQ(deepest->inNodes, (Ids{"shell_bash"}));
  EXPECT_EQ(deepest->flowPath(),
            "embedded_flow,embedded_flow1:embedded_flow:embedded_flow1,embedded_flow2:"
            "embedded_flow:embedded_flow1:embedded_flow2");
  ExecutableNode* pwd = root.findByNestedId("embedded_flow1:embedded_flow2:shell_pwd");
  ASSERT_NE(pwd, nullptr);
  EXPECT_EQ(pwd->nestedId(), "embedded_flow1:embedded_flow2:shell_pwd");
  EXPECT_EQ(pwd->outNodes, (Ids{"shell_end"}));
  EXPECT_EQ(pwd->type, "command");
}

TEST(ExecutableFlowTest, ConditionsAreCopied) {
  AZX_REQUIRE_SHARED(dir, "conditionalflowyamltest");
  Project project = loadProject(dir);
  auto flow = build(project, "conditional_flow6");
  ASSERT_NE(flow, nullptr);
  const ExecutableNode* d = flow->root.findChild("jobD");
  EXPECT_EQ(d->condition, "one_success && ${jobA:props} == 'foo'");
  EXPECT_EQ(d->conditionOnJobStatus, ConditionOnJobStatus::OneSuccess);
  EXPECT_FALSE(flow->root.findChild("jobA")->condition.has_value());
}

TEST(ExecutableFlowTest, ApplyDisabledJobsWithNestedChildren) {
  AZX_REQUIRE_SHARED(dir, "embedded2");
  Project project = loadProject(dir);
  ExecutionOptions options;
  options.disabled = {
      DisabledJob{"joba", {}},
      DisabledJob{"jobb", {DisabledJob{"innerJobA", {}}, DisabledJob{"missing", {}}}},
      DisabledJob{"jobd", {}},
      DisabledJob{"jobc", {DisabledJob{"x", {}}}},  // children on a job: nothing happens
      DisabledJob{"nope", {}},
  };
  auto flow = build(project, "jobf", options);
  ASSERT_NE(flow, nullptr);
  const ExecutableNode& root = flow->root;
  EXPECT_EQ(root.findChild("joba")->status, Status::Disabled);
  EXPECT_EQ(root.findChild("jobb")->status, Status::Ready);  // children apply inside
  EXPECT_EQ(root.findByNestedId("jobb:innerJobA")->status, Status::Disabled);
  EXPECT_EQ(root.findByNestedId("jobb:innerJobB")->status, Status::Ready);
  EXPECT_EQ(root.findChild("jobd")->status, Status::Disabled);  // the embedded flow as a whole
  EXPECT_EQ(root.findByNestedId("jobd:innerJobA")->status, Status::Ready);
  EXPECT_EQ(root.findChild("jobc")->status, Status::Ready);
  EXPECT_EQ(root.findChild("jobe")->status, Status::Ready);
}

TEST(ExecutableFlowTest, ApplyDisabledJobsTwoLevelsDown) {
  AZX_REQUIRE_SHARED(dir, "embeddedflowyamltest");
  Project project = loadProject(dir);
  auto flow = build(project, "embedded_flow");
  ASSERT_NE(flow, nullptr);
  applyDisabledJobs(flow->root,
                    {DisabledJob{"embedded_flow1",
                                 {DisabledJob{"embedded_flow2", {DisabledJob{"shell_pwd", {}}}},
                                  DisabledJob{"shell_echo", {}}}}});
  const ExecutableNode& root = flow->root;
  EXPECT_EQ(root.findByNestedId("embedded_flow1:embedded_flow2:shell_pwd")->status,
            Status::Disabled);
  EXPECT_EQ(root.findByNestedId("embedded_flow1:shell_echo")->status, Status::Disabled);
  EXPECT_EQ(root.findByNestedId("embedded_flow1:embedded_flow2:shell_end")->status, Status::Ready);
  EXPECT_EQ(root.findChild("shell_echo")->status, Status::Ready);  // same id, other level
  EXPECT_EQ(root.findChild("embedded_flow1")->status, Status::Ready);
}

TEST(ExecutableFlowTest, EmailsFromTheFlowUnlessOverridden) {
  auto dir = testing::freshTempDir("exec-emails");
  { std::ofstream(dir / "a.job") << "type=noop\nsuccess.emails=s@x.com\nfailure.emails=f@x.com\n"; }
  Project project = loadProject(dir);
  auto flow = build(project, "a");
  ASSERT_NE(flow, nullptr);
  EXPECT_EQ(flow->options.successEmails, (Ids{"s@x.com"}));
  EXPECT_EQ(flow->options.failureEmails, (Ids{"f@x.com"}));
  ExecutionOptions options;
  options.failureEmailsOverride = true;
  options.failureEmails = {"mine@x.com"};
  auto overridden = build(project, "a", options);
  ASSERT_NE(overridden, nullptr);
  EXPECT_EQ(overridden->options.failureEmails, (Ids{"mine@x.com"}));
  EXPECT_EQ(overridden->options.successEmails, (Ids{"s@x.com"}));
  EXPECT_FALSE(overridden->root.findChild("a")->propSource.has_value());
}

TEST(ExecutableFlowTest, Errors) {
  AZX_REQUIRE_SHARED(dir, "embedded_bad");
  Project project = loadProject(dir);
  auto missing = buildExecutableFlow(project, "no-such-flow", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("no-such-flow"), std::string::npos);
  // The loader reported the cycle; building anyway must stop rather than recurse forever.
  auto cyclic = buildExecutableFlow(project, "selfreference", {});
  ASSERT_FALSE(cyclic.ok());
  EXPECT_NE(cyclic.error().message.find("recursively"), std::string::npos);
  auto mutual = buildExecutableFlow(project, "jobe", {});
  ASSERT_FALSE(mutual.ok());
}

TEST(ExecutableFlowTest, AddChildAndFind) {
  ExecutableNode root;
  root.flowId = "main";
  auto sub = std::make_unique<ExecutableNode>();
  sub->id = "sub";
  sub->type = "flow";
  sub->flowId = "subflow";
  ExecutableNode& added = root.addChild(std::move(sub));
  auto job = std::make_unique<ExecutableNode>();
  job->id = "j";
  job->type = "command";
  ExecutableNode& addedJob = added.addChild(std::move(job));
  EXPECT_EQ(added.parent, &root);
  EXPECT_EQ(addedJob.parent, &added);
  EXPECT_FALSE(addedJob.isFlow());
  EXPECT_EQ(added.flowPath(), "main,sub:subflow");
  EXPECT_EQ(addedJob.nestedId(), "sub:j");
  EXPECT_EQ(root.findByNestedId("sub:j"), &addedJob);
  EXPECT_EQ(root.findByNestedId("sub"), &added);
  EXPECT_EQ(root.nestedId(), "");
}

}  // namespace
}  // namespace azx::flow
