// Loader scenarios on the Azkaban reference projects (conformance CS-38 .. CS-47).

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "flow/project.h"
#include "tests/support/test_paths.h"

namespace azx::flow {
namespace {

std::set<std::string> nodeNames(const FlowDef& flow) {
  std::set<std::string> names;
  for (const auto& node : flow.nodes) names.insert(node.name);
  return names;
}

std::set<std::string> flowIds(const Project& project) {
  std::set<std::string> ids;
  for (const auto& [id, flow] : project.flows) ids.insert(id);
  return ids;
}

std::set<std::string> errorSet(const Project& project) {
  return {project.errors.begin(), project.errors.end()};
}

std::string joined(const std::vector<std::string>& errors) {
  std::string text;
  for (const auto& e : errors) text += "\n  " + e;
  return text;
}

TEST(ProjectLoaderTest, Cs38DirectoryLoadFlowsFromEndJobs) {
  AZX_REQUIRE_SHARED(dir, "exectest1");
  Project project = loadProject(dir);
  EXPECT_EQ(project.version, FlowVersion::V1);
  EXPECT_TRUE(project.errors.empty()) << joined(project.errors);
  EXPECT_EQ(project.jobs.size(), 14u);
  EXPECT_EQ(project.sharedProps.size(), 2u);
  EXPECT_EQ(flowIds(project),
            (std::set<std::string>{"job-pass", "job-retry", "job-retry-fail", "job10", "job2d"}));
  EXPECT_EQ(nodeNames(project.flows.at("job10")),
            (std::set<std::string>{"job1", "job2", "job3", "job4", "job5", "job6", "job7", "job8",
                                   "job9", "job10"}));
  EXPECT_EQ(nodeNames(project.flows.at("job2d")), (std::set<std::string>{"job1", "job2d"}));
  EXPECT_EQ(nodeNames(project.flows.at("job-pass")), (std::set<std::string>{"job-pass"}));

  // Both shared files are flow props of every flow; prop2 inherits prop1 (sorted order).
  const FlowDef& job10 = project.flows.at("job10");
  ASSERT_EQ(job10.flowProps.size(), 2u);
  EXPECT_EQ(job10.flowProps[0].source, "prop1.properties");
  EXPECT_EQ(job10.flowProps[0].inherits, "");
  EXPECT_EQ(job10.flowProps[1].source, "prop2.properties");
  EXPECT_EQ(job10.flowProps[1].inherits, "prop1.properties");
  const auto& prop2 = project.sharedProps.at("prop2.properties");
  EXPECT_EQ(prop2->get("a"), "1");
  EXPECT_EQ(prop2->get("c"), "0");  // through the parent prop1
  EXPECT_EQ(prop2->parent(), project.sharedProps.at("prop1.properties"));

  const NodeDef* job5 = job10.findNode("job5");
  ASSERT_NE(job5, nullptr);
  EXPECT_EQ(job5->type, "test");
  EXPECT_EQ(job5->dependsOn, (std::vector<std::string>{"job3", "job4"}));
  EXPECT_EQ(job5->jobSource, "job5.job");
  EXPECT_EQ(job5->propSource, "prop2.properties");
  EXPECT_EQ(job5->props->get("seconds"), "0");
  EXPECT_EQ(job5->props->parent(), nullptr);  // local keys only
  EXPECT_FALSE(job5->props->containsLocal("a"));
  // Edges of job10: one per dependency of its members, all valid.
  EXPECT_EQ(job10.edges.size(), 12u);
  for (const auto& edge : job10.edges) EXPECT_TRUE(edge.error.empty()) << edge.id();
}

TEST(ProjectLoaderTest, Cs39EmbeddedFlows) {
  AZX_REQUIRE_SHARED(dir, "embedded");
  Project project = loadProject(dir);
  EXPECT_TRUE(project.errors.empty()) << joined(project.errors);
  EXPECT_EQ(project.jobs.size(), 9u);
  EXPECT_TRUE(project.sharedProps.empty());
  EXPECT_EQ(flowIds(project), (std::set<std::string>{"innerFlow", "jobe"}));
  EXPECT_EQ(nodeNames(project.flows.at("innerFlow")),
            (std::set<std::string>{"innerJobA", "innerJobB", "innerJobC", "innerFlow"}));
  const FlowDef& jobe = project.flows.at("jobe");
  EXPECT_EQ(nodeNames(jobe), (std::set<std::string>{"joba", "jobb", "jobc", "jobd", "jobe"}));
  for (const char* name : {"jobb", "jobc", "jobd"}) {
    const NodeDef* node = jobe.findNode(name);
    ASSERT_NE(node, nullptr) << name;
    EXPECT_EQ(node->type, "flow");
    EXPECT_TRUE(node->isEmbeddedFlow());
    EXPECT_EQ(node->embeddedFlowId, "innerFlow");
    EXPECT_EQ(project.jobs.at(name).embeddedFlowId, "innerFlow");
  }
  EXPECT_EQ(jobe.findNode("joba")->embeddedFlowId, "");
  EXPECT_TRUE(jobe.flowProps.empty());
}

TEST(ProjectLoaderTest, Cs40EmbeddedFlowCycles) {
  AZX_REQUIRE_SHARED(dir, "embedded_bad");
  Project project = loadProject(dir);
  EXPECT_EQ(errorSet(project), (std::set<std::string>{
                                   "Embedded flow cycle found in jobe->innerFlow",
                                   "Embedded flow cycle found in innerFlow->jobe",
                                   "Embedded flow cycle found in selfreference->selfreference",
                               }))
      << joined(project.errors);
  EXPECT_EQ(project.errors.size(), 3u);
}

TEST(ProjectLoaderTest, Cs41NestedEmbeddedFlowsYaml) {
  AZX_REQUIRE_SHARED(dir, "embeddedflowyamltest");
  Project project = loadProject(dir);
  EXPECT_EQ(project.version, FlowVersion::V2);
  EXPECT_TRUE(project.errors.empty()) << joined(project.errors);
  EXPECT_EQ(flowIds(project),
            (std::set<std::string>{"embedded_flow", "embedded_flow:embedded_flow1",
                                   "embedded_flow:embedded_flow1:embedded_flow2"}));
  struct Expect {
    const char* id;
    size_t nodes;
    size_t edges;
    bool embedded;
  };
  for (const Expect& e :
       {Expect{"embedded_flow", 4, 3, false}, Expect{"embedded_flow:embedded_flow1", 4, 3, true},
        Expect{"embedded_flow:embedded_flow1:embedded_flow2", 2, 1, true}}) {
    const FlowDef& flow = project.flows.at(e.id);
    EXPECT_EQ(flow.nodes.size(), e.nodes) << e.id;
    EXPECT_EQ(flow.edges.size(), e.edges) << e.id;
    EXPECT_EQ(flow.embedded, e.embedded) << e.id;
    ASSERT_EQ(flow.flowProps.size(), 1u) << e.id;
    EXPECT_EQ(flow.flowProps[0].source, "embedded_flow.flow");
    ASSERT_NE(flow.config, nullptr);
    EXPECT_EQ(flow.config->get("type"), "flow");
    EXPECT_EQ(flow.config->get("flow-level-parameter"), "value");
  }
  EXPECT_EQ(project.runnableFlowIds(), (std::vector<std::string>{"embedded_flow"}));

  const FlowDef& top = project.flows.at("embedded_flow");
  const NodeDef* inner = top.findNode("embedded_flow1");
  ASSERT_NE(inner, nullptr);
  EXPECT_EQ(inner->embeddedFlowId, "embedded_flow:embedded_flow1");
  const NodeDef* echo = top.findNode("shell_echo");
  ASSERT_NE(echo, nullptr);
  EXPECT_EQ(echo->jobSource, "embedded_flow.flow");
  EXPECT_EQ(echo->propSource, "embedded_flow.flow");
  EXPECT_EQ(echo->props->get("command"), "echo \"This is an echoed text.\"");
  EXPECT_EQ(echo->props->get("type"), "command");
  const NodeDef* end = top.findNode("shell_end");
  EXPECT_EQ(end->dependsOn,
            (std::vector<std::string>{"shell_pwd", "shell_echo", "embedded_flow1"}));
  const NodeDef* deepest =
      project.flows.at("embedded_flow:embedded_flow1").findNode("embedded_flow2");
  ASSERT_NE(deepest, nullptr);
  EXPECT_EQ(deepest->embeddedFlowId, "embedded_flow:embedded_flow1:embedded_flow2");
  EXPECT_EQ(deepest->dependsOn, (std::vector<std::string>{"shell_bash"}));
}

TEST(ProjectLoaderTest, Cs41RecursiveDirectoryYaml) {
  AZX_REQUIRE_SHARED(dir, "recursivedirectoryyamltest");
  Project project = loadProject(dir);
  EXPECT_EQ(project.version, FlowVersion::V2);
  EXPECT_TRUE(project.errors.empty()) << joined(project.errors);
  EXPECT_EQ(flowIds(project), (std::set<std::string>{"basic_flow", "basic_flow2"}));
  EXPECT_EQ(project.flows.at("basic_flow").nodes.size(), 3u);
  EXPECT_EQ(project.flows.at("basic_flow").edges.size(), 2u);
  EXPECT_EQ(project.flows.at("basic_flow2").nodes.size(), 4u);
  EXPECT_EQ(project.flows.at("basic_flow2").edges.size(), 3u);
  // Flow 2.0 sources are bare file names even below sub-directories.
  EXPECT_EQ(project.flows.at("basic_flow2").nodes[0].jobSource, "basic_flow2.flow");
}

TEST(ProjectLoaderTest, Cs41BasicYaml) {
  AZX_REQUIRE_SHARED(dir, "basicflowyamltest");
  Project project = loadProject(dir);
  EXPECT_TRUE(project.errors.empty()) << joined(project.errors);
  EXPECT_EQ(flowIds(project), (std::set<std::string>{"basic_flow"}));
  const FlowDef& flow = project.flows.at("basic_flow");
  EXPECT_EQ(flow.nodes.size(), 4u);
  EXPECT_EQ(flow.edges.size(), 3u);
  // Definition order is kept.
  std::vector<std::string> order;
  for (const auto& node : flow.nodes) order.push_back(node.name);
  EXPECT_EQ(order,
            (std::vector<std::string>{"shell_end", "shell_echo", "shell_pwd", "shell_bash"}));
}

TEST(ProjectLoaderTest, Cs42DuplicateNodeNames) {
  AZX_REQUIRE_SHARED(dir, "duplicatenodenamesyamltest");
  Project project = loadProject(dir);
  EXPECT_EQ(project.errors,
            (std::vector<std::string>{
                "Failed to validate nodeBean for duplicate_nodename.flow. Duplicate "
                "nodes found or dependency undefined."}));
  EXPECT_TRUE(project.flows.empty());
}

TEST(ProjectLoaderTest, Cs43UndefinedDependency) {
  AZX_REQUIRE_SHARED(dir, "dependencyundefinedyamltest");
  Project project = loadProject(dir);
  EXPECT_EQ(project.errors,
            (std::vector<std::string>{
                "Failed to validate nodeBean for dependency_undefined.flow. Duplicate "
                "nodes found or dependency undefined."}));
  EXPECT_TRUE(project.flows.empty());
}

TEST(ProjectLoaderTest, Cs44Cycle) {
  AZX_REQUIRE_SHARED(dir, "cyclefoundyamltest");
  Project project = loadProject(dir);
  ASSERT_EQ(project.errors.size(), 1u) << joined(project.errors);
  const std::set<std::string> cycleEdges = {"shell_echo>>shell_bash", "shell_bash>>shell_pwd",
                                            "shell_pwd>>shell_echo"};
  const std::string prefix = "Cycles found at ";
  ASSERT_EQ(project.errors[0].rfind(prefix, 0), 0u) << project.errors[0];
  std::string flagged = project.errors[0].substr(prefix.size());
  EXPECT_EQ(cycleEdges.count(flagged), 1u) << flagged;
  ASSERT_EQ(project.flows.count("cycle_found"), 1u);
  const FlowDef& flow = project.flows.at("cycle_found");
  EXPECT_EQ(flow.nodes.size(), 4u);
  ASSERT_EQ(flow.edges.size(), 4u);
  int bad = 0;
  for (const auto& edge : flow.edges) {
    if (edge.error.empty()) continue;
    ++bad;
    EXPECT_EQ(edge.id(), flagged);
    EXPECT_EQ(edge.error, "Cycles found.");
  }
  EXPECT_EQ(bad, 1);
}

TEST(ProjectLoaderTest, Cs45InvalidConditions) {
  AZX_REQUIRE_SHARED(dir, "invalidconditionalflowyamltest");
  Project project = loadProject(dir);
  EXPECT_EQ(errorSet(project),
            (std::set<std::string>{
                "Invalid condition for jobB: jobC doesn't exist in the flow.",
                "Invalid condition for jobA: should not define condition on its descendant node "
                "jobD.",
                "Invalid condition for jobB: operand is an empty string.",
                "Invalid condition for jobB: cannot resolve the condition. Please check the "
                "syntax for supported conditions.",
                "Invalid condition for jobB: cannot combine more than one conditionOnJobStatus "
                "macros.",
            }))
      << joined(project.errors);
  EXPECT_EQ(project.errors.size(), 5u);
  EXPECT_EQ(project.flows.size(), 5u);
}

TEST(ProjectLoaderTest, Cs45ValidCondition) {
  AZX_REQUIRE_SHARED(dir, "conditionalflowyamltest");
  Project project = loadProject(dir);
  EXPECT_TRUE(project.errors.empty()) << joined(project.errors);
  ASSERT_EQ(project.flows.count("conditional_flow6"), 1u);
  const FlowDef& flow = project.flows.at("conditional_flow6");
  EXPECT_EQ(flow.nodes.size(), 4u);
  EXPECT_EQ(flow.edges.size(), 4u);
  const NodeDef* a = flow.findNode("jobA");
  const NodeDef* b = flow.findNode("jobB");
  const NodeDef* c = flow.findNode("jobC");
  const NodeDef* d = flow.findNode("jobD");
  ASSERT_TRUE(a && b && c && d);
  EXPECT_FALSE(a->condition.has_value());
  EXPECT_EQ(b->condition, "${jobA:props} == 'foo'");
  EXPECT_EQ(c->condition, "${jobA:props} == 'bar'");
  EXPECT_EQ(d->condition, "one_success && ${jobA:props} == 'foo'");
  EXPECT_EQ(a->conditionOnJobStatus, ConditionOnJobStatus::AllSuccess);
  EXPECT_EQ(b->conditionOnJobStatus, ConditionOnJobStatus::AllSuccess);
  EXPECT_EQ(c->conditionOnJobStatus, ConditionOnJobStatus::AllSuccess);
  EXPECT_EQ(d->conditionOnJobStatus, ConditionOnJobStatus::OneSuccess);
  // Config scalars keep their literal text.
  EXPECT_EQ(d->props->get("fail"), "false");
  EXPECT_EQ(d->props->get("seconds"), "0");
}

TEST(ProjectLoaderTest, Cs46MemoryLimits) {
  AZX_REQUIRE_SHARED(dir, "invalidjobpropsyamltest");
  Project project = loadProject(dir);
  EXPECT_EQ(project.errors,
            (std::vector<std::string>{
                "invalid_jobprops:shell_pwd: Xms value has exceeded the allowed limit "
                "(max Xms = 1G)"}));
  EXPECT_EQ(project.flows.count("invalid_jobprops"), 1u);

  LoadOptions whitelisted;
  whitelisted.skipMemoryCheck = true;
  EXPECT_TRUE(loadProject(dir, whitelisted).errors.empty());
  LoadOptions larger;
  larger.jobMaxXms = "2G";
  EXPECT_TRUE(loadProject(dir, larger).errors.empty());
  LoadOptions smaller;
  smaller.jobMaxXms = "1024M";
  EXPECT_EQ(loadProject(dir, smaller).errors,
            (std::vector<std::string>{"invalid_jobprops:shell_pwd: Xms value has exceeded the "
                                      "allowed limit (max Xms = 1024M)"}));
}

TEST(ProjectLoaderTest, Cs47LoaderChoice) {
  AZX_REQUIRE_SHARED(exectest1, "exectest1");
  AZX_REQUIRE_SHARED(basic, "basicflowyamltest");
  AZX_REQUIRE_SHARED(recursive, "recursivedirectoryyamltest");
  AZX_REQUIRE_SHARED(duplicate, "duplicateprojectyamltest");
  AZX_REQUIRE_SHARED(noVersion, "noflowversiontest");
  AZX_REQUIRE_SHARED(invalidVersion, "invalidflowversiontest");
  EXPECT_EQ(loadProject(exectest1).version, FlowVersion::V1);
  EXPECT_EQ(loadProject(basic).version, FlowVersion::V2);
  EXPECT_EQ(loadProject(recursive).version, FlowVersion::V2);

  auto containsError = [](const Project& project, const std::string& text) {
    return std::any_of(project.errors.begin(), project.errors.end(),
                       [&](const std::string& e) { return e.find(text) != std::string::npos; });
  };
  Project dup = loadProject(duplicate);
  EXPECT_TRUE(containsError(
      dup, "Duplicate project YAML files found in the project directory. Only one is allowed."))
      << joined(dup.errors);
  EXPECT_TRUE(dup.flows.empty());
  Project none = loadProject(noVersion);
  EXPECT_TRUE(
      containsError(none, "azkaban-flow-version is not specified in the project YAML file."))
      << joined(none.errors);
  Project invalid = loadProject(invalidVersion);
  EXPECT_TRUE(containsError(invalid, "Invalid azkaban-flow-version in the project YAML file."))
      << joined(invalid.errors);
}

TEST(ProjectLoaderTest, Embedded2FlowsAndSharedProps) {
  AZX_REQUIRE_SHARED(dir, "embedded2");
  Project project = loadProject(dir);
  EXPECT_TRUE(project.errors.empty()) << joined(project.errors);
  ASSERT_EQ(project.flows.count("jobf"), 1u);
  EXPECT_EQ(nodeNames(project.flows.at("jobf")),
            (std::set<std::string>{"joba", "joba1", "jobb", "jobc", "jobd", "jobe", "jobf"}));
  EXPECT_EQ(project.flows.at("jobf").findNode("jobd")->embeddedFlowId, "innerFlow2");
  EXPECT_EQ(project.sharedProps.size(), 2u);
  EXPECT_EQ(project.jobs.at("joba").propSource, "test2.properties");
}

}  // namespace
}  // namespace azx::flow
