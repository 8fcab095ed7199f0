// Loader behaviour on small hand-made projects: Flow 1.0 chains and errors, Flow 2.0 binding,
// validation and conditions, format detection edge cases.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "flow/project.h"
#include "tests/support/test_paths.h"

namespace azx::flow {
namespace {

namespace fs = std::filesystem;

void writeFile(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::set<std::string> errorSet(const Project& project) {
  return {project.errors.begin(), project.errors.end()};
}

std::string joined(const std::vector<std::string>& errors) {
  std::string text;
  for (const auto& e : errors) text += "\n  " + e;
  return text;
}

bool hasErrorStartingWith(const Project& project, const std::string& prefix) {
  return std::any_of(project.errors.begin(), project.errors.end(),
                     [&](const std::string& e) { return e.rfind(prefix, 0) == 0; });
}

// ---- Flow 1.0 ---------------------------------------------------------------------------

TEST(Flow1LoaderTest, CycleReachableFromRoot) {
  auto dir = testing::freshTempDir("f1-cycle");
  writeFile(dir / "a.job", "type=command\ndependencies=b\n");
  writeFile(dir / "b.job", "type=command\ndependencies=a\n");
  writeFile(dir / "c.job", "type=command\ndependencies=a\n");
  Project project = loadProject(dir);
  EXPECT_EQ(project.errors, (std::vector<std::string>{"Cyclical dependency found at a>>b"}));
  ASSERT_EQ(project.flows.count("c"), 1u);
  int bad = 0;
  for (const auto& edge : project.flows.at("c").edges) {
    if (!edge.error.empty()) {
      ++bad;
      EXPECT_EQ(edge.error, "Cyclical dependencies found.");
    }
  }
  EXPECT_EQ(bad, 1);
}

TEST(Flow1LoaderTest, UnreachableCycleIsSilent) {
  auto dir = testing::freshTempDir("f1-silent-cycle");
  writeFile(dir / "a.job", "type=command\ndependencies=b\n");
  writeFile(dir / "b.job", "type=command\ndependencies=a\n");
  Project project = loadProject(dir);
  EXPECT_TRUE(project.errors.empty()) << joined(project.errors);
  EXPECT_TRUE(project.flows.empty());
}

TEST(Flow1LoaderTest, DependencyErrors) {
  auto dir = testing::freshTempDir("f1-deps");
  writeFile(dir / "a.job", "type=command\ndependencies=zzz, ,self\n");
  writeFile(dir / "self.job", "type=command\ndependencies=self\n");
  writeFile(dir / "notype.job", "command=echo\n");
  Project project = loadProject(dir);
  EXPECT_EQ(errorSet(project), (std::set<std::string>{
                                   "a cannot find dependency zzz",
                                   "self has a self cycle",
                                   "Job doesn't have type set 'notype'.",
                               }))
      << joined(project.errors);
  EXPECT_EQ(project.jobs.at("a").dependsOn, (std::vector<std::string>{"zzz", "self"}));
}

TEST(Flow1LoaderTest, DuplicateJobNamesDropBothDefinitions) {
  auto dir = testing::freshTempDir("f1-dup");
  writeFile(dir / "x.job", "type=command\n");
  writeFile(dir / "sub1/x.job", "type=command\n");
  writeFile(dir / "sub2/x.job", "type=command\n");
  writeFile(dir / "y.job", "type=command\ndependencies=x\n");
  Project project = loadProject(dir);
  EXPECT_EQ(errorSet(project), (std::set<std::string>{"Duplicate job names found 'x'.",
                                                      "y has ambiguous dependency x"}))
      << joined(project.errors);
  EXPECT_EQ(project.jobs.count("x"), 0u);
  EXPECT_EQ(project.jobs.count("y"), 1u);
}

TEST(Flow1LoaderTest, PropertiesChainsAndNaming) {
  auto dir = testing::freshTempDir("f1-chain");
  writeFile(dir / "b.properties", "k=b\ntype=command\n");
  writeFile(dir / "a.properties", "k=a\nonlya=1\n");
  writeFile(dir / "top.job", "dependencies=x.y\n");  // type comes from b.properties (quirk)
  writeFile(dir / "sub/s.properties", "k=s\n");
  writeFile(dir / "sub/x.y.job", "type=noop\n");
  writeFile(dir / "other/o.job", "type=noop\nroot.node=true\n");
  writeFile(dir / "other/.hidden.job", "type=noop\n");
  Project project = loadProject(dir);
  EXPECT_TRUE(project.errors.empty()) << joined(project.errors);
  EXPECT_EQ(project.jobs.size(), 3u);
  ASSERT_EQ(project.jobs.count("x.y"), 1u);  // name without the last extension only
  EXPECT_EQ(project.jobs.at("top").type, "command");
  EXPECT_EQ(project.jobs.at("top").propSource, "b.properties");
  EXPECT_EQ(project.jobs.at("x.y").propSource, "sub/s.properties");
  EXPECT_EQ(project.jobs.at("x.y").jobSource, "sub/x.y.job");
  EXPECT_EQ(project.jobs.at("o").propSource, "b.properties");  // sibling dirs don't share

  ASSERT_EQ(project.sharedProps.size(), 3u);
  const auto& s = project.sharedProps.at("sub/s.properties");
  EXPECT_EQ(s->get("k"), "s");
  EXPECT_EQ(s->parent(), project.sharedProps.at("b.properties"));
  EXPECT_EQ(s->parent()->parent(), project.sharedProps.at("a.properties"));
  EXPECT_EQ(s->get("onlya"), "1");

  const FlowDef& top = project.flows.at("top");
  ASSERT_EQ(top.flowProps.size(), 3u);
  EXPECT_EQ(top.flowProps[0].source, "a.properties");
  EXPECT_EQ(top.flowProps[1].source, "b.properties");
  EXPECT_EQ(top.flowProps[1].inherits, "a.properties");
  EXPECT_EQ(top.flowProps[2].source, "sub/s.properties");
  EXPECT_EQ(top.flowProps[2].inherits, "b.properties");
  // Flows: top (end job) and o (end job and root.node); x.y has a dependent.
  EXPECT_EQ(project.flows.size(), 2u);
  EXPECT_EQ(project.flows.count("o"), 1u);
}

TEST(Flow1LoaderTest, RootNodeForcesAFlow) {
  auto dir = testing::freshTempDir("f1-rootnode");
  writeFile(dir / "a.job", "type=noop\nroot.node=TRUE\n");
  writeFile(dir / "b.job", "type=noop\ndependencies=a\n");
  Project project = loadProject(dir);
  EXPECT_TRUE(project.errors.empty()) << joined(project.errors);
  EXPECT_EQ(project.flows.size(), 2u);
  EXPECT_EQ(project.flows.at("a").nodes.size(), 1u);
  EXPECT_EQ(project.flows.at("b").nodes.size(), 2u);
}

TEST(Flow1LoaderTest, EmailsComeFromTheEndJob) {
  auto dir = testing::freshTempDir("f1-emails");
  writeFile(dir / "a.job",
            "type=noop\nsuccess.emails=Ok@X.com\nfailure.emails=bad@x.com, B@x.com\n"
            "notify.emails=All@x.com\n");
  Project project = loadProject(dir);
  const FlowDef& flow = project.flows.at("a");
  EXPECT_EQ(flow.successEmails, (std::vector<std::string>{"all@x.com", "ok@x.com"}));
  EXPECT_EQ(flow.failureEmails, (std::vector<std::string>{"all@x.com", "b@x.com", "bad@x.com"}));
}

TEST(Flow1LoaderTest, MemoryLimits) {
  auto dir = testing::freshTempDir("f1-mem");
  writeFile(dir / "big.job", "type=command\nXmx=3G\nXms=512m\n");
  writeFile(dir / "ref.job", "type=command\nXmx=${some.var}\n");
  writeFile(dir / "junk.job", "type=command\nXms=lots\n");
  Project project = loadProject(dir);
  EXPECT_EQ(errorSet(project),
            (std::set<std::string>{"big: Xmx value has exceeded the allowed limit (max Xmx = 2G)",
                                   "junk: invalid Xms value 'lots'"}))
      << joined(project.errors);
}

TEST(Flow1LoaderTest, UnknownEmbeddedFlowAndUnknownJobType) {
  auto dir = testing::freshTempDir("f1-unknown");
  writeFile(dir / "e.job", "type=flow\nflow.name=nope\n");
  writeFile(dir / "sub/j.job", "type=foo\n");
  writeFile(dir / "k.job", "type=command\n");
  LoadOptions options;
  options.knownJobTypes = {"command", "noop"};
  Project project = loadProject(dir, options);
  EXPECT_EQ(errorSet(project),
            (std::set<std::string>{"Flow e depends on nope but can't be found.",
                                   "sub/j.job: node 'j': unknown job type 'foo'"}))
      << joined(project.errors);
  // Without a list no type is checked.
  EXPECT_EQ(errorSet(loadProject(dir)),
            (std::set<std::string>{"Flow e depends on nope but can't be found."}));
}

TEST(Flow1LoaderTest, UnreadableJobFile) {
  auto dir = testing::freshTempDir("f1-unreadable");
  writeFile(dir / "ok.job", "type=noop\n");
  if (geteuid() == 0) {
    // root reads any mode; /proc/self/mem is a regular file whose first page read fails (EIO).
    fs::create_symlink("/proc/self/mem", dir / "bad.job");
  } else {
    writeFile(dir / "bad.job", "type=noop\n");
    fs::permissions(dir / "bad.job", fs::perms::none);
  }
  Project project = loadProject(dir);
  ASSERT_EQ(project.errors.size(), 1u) << joined(project.errors);
  EXPECT_EQ(project.errors[0].rfind("Error loading job file bad.job:", 0), 0u) << project.errors[0];
  EXPECT_GT(project.errors[0].size(), std::string("Error loading job file bad.job:").size());
  EXPECT_EQ(project.jobs.count("bad"), 0u);
  EXPECT_EQ(project.jobs.count("ok"), 1u);
}

TEST(Flow1LoaderTest, MalformedPropertiesFile) {
  auto dir = testing::freshTempDir("f1-badprops");
  writeFile(dir / "x.properties", "a=\\uXYZW\n");
  writeFile(dir / "j.job", "type=noop\n");
  Project project = loadProject(dir);
  EXPECT_EQ(project.errors, (std::vector<std::string>{"Error loading properties x.properties:line "
                                                      "1: Malformed \\uxxxx encoding."}));
}

// ---- Flow 2.0 ---------------------------------------------------------------------------

fs::path flow2Project(const std::string& label) {
  auto dir = testing::freshTempDir(label);
  writeFile(dir / "p.project", "azkaban-flow-version: 2.0\n");
  return dir;
}

TEST(Flow2LoaderTest, InvalidYaml) {
  auto dir = flow2Project("f2-badyaml");
  writeFile(dir / "bad.flow", "nodes:\n  - name: a\n    type: [unclosed\n");
  writeFile(dir / "good.flow", "nodes:\n  - name: a\n    type: noop\n");
  Project project = loadProject(dir);
  ASSERT_EQ(project.errors.size(), 1u) << joined(project.errors);
  EXPECT_TRUE(hasErrorStartingWith(project, "Error loading flow yaml file bad.flow:"));
  EXPECT_EQ(project.flows.count("bad"), 0u);
  EXPECT_EQ(project.flows.count("good"), 1u);
}

TEST(Flow2LoaderTest, UnknownKeysAndEmptyFile) {
  auto dir = flow2Project("f2-keys");
  writeFile(dir / "top.flow", "foo: 1\nnodes:\n  - name: a\n    type: noop\n");
  writeFile(dir / "inner.flow", "nodes:\n  - name: a\n    type: noop\n    colour: red\n");
  writeFile(dir / "empty.flow", "");
  Project project = loadProject(dir);
  EXPECT_EQ(errorSet(project),
            (std::set<std::string>{
                "Error loading flow yaml file top.flow:flow: unknown key 'foo'",
                "Error loading flow yaml file inner.flow:node 'a': unknown key 'colour'",
                "Error loading flow yaml file empty.flow:Failed to load flow file empty.flow. "
                "Node bean is null .",
            }))
      << joined(project.errors);
  EXPECT_TRUE(project.flows.empty());
}

TEST(Flow2LoaderTest, UnknownJobType) {
  auto dir = flow2Project("f2-types");
  writeFile(dir / "basic_flow.flow",
            "nodes:\n"
            "  - name: jobA\n    type: foo\n"
            "  - name: sub\n    type: flow\n    nodes:\n"
            "      - name: jobB\n        type: bar\n"
            "      - name: jobC\n        type: command\n");
  LoadOptions options;
  options.knownJobTypes = {"command"};
  Project project = loadProject(dir, options);
  EXPECT_EQ(errorSet(project),
            (std::set<std::string>{"basic_flow.flow: node 'jobA': unknown job type 'foo'",
                                   "basic_flow.flow: node 'sub:jobB': unknown job type 'bar'"}))
      << joined(project.errors);
}

TEST(Flow2LoaderTest, DuplicateFlowNamesAcrossDirectories) {
  auto dir = flow2Project("f2-dupflow");
  writeFile(dir / "basic_flow.flow", "nodes:\n  - name: a\n    type: noop\n");
  writeFile(dir / "sub/basic_flow.flow", "nodes:\n  - name: b\n    type: noop\n");
  Project project = loadProject(dir);
  EXPECT_EQ(
      project.errors,
      (std::vector<std::string>{"Duplicate flows found in the project with name basic_flow"}));
  EXPECT_NE(project.flows.at("basic_flow").findNode("a"), nullptr);
}

TEST(Flow2LoaderTest, SelfDependencyIsACycle) {
  auto dir = flow2Project("f2-self");
  writeFile(dir / "f.flow", "nodes:\n  - name: a\n    type: noop\n    dependsOn: [a]\n");
  Project project = loadProject(dir);
  EXPECT_EQ(project.errors, (std::vector<std::string>{"Cycles found at a>>a"}));
}

TEST(Flow2LoaderTest, NestedQuirks) {
  auto dir = flow2Project("f2-nested");
  // Inside an embedded flow a duplicate name replaces the earlier node.
  writeFile(dir / "dup.flow",
            "nodes:\n"
            "  - name: sub\n    type: flow\n    nodes:\n"
            "      - name: x\n        type: noop\n"
            "      - name: x\n        type: command\n");
  // An undefined dependency inside an embedded flow fails the whole file.
  writeFile(dir / "undef.flow",
            "nodes:\n"
            "  - name: sub\n    type: flow\n    nodes:\n"
            "      - name: x\n        type: noop\n        dependsOn: [missing]\n");
  Project project = loadProject(dir);
  ASSERT_EQ(project.errors.size(), 1u) << joined(project.errors);
  EXPECT_TRUE(hasErrorStartingWith(project, "Error loading flow yaml file undef.flow:"));
  EXPECT_EQ(project.flows.count("undef"), 0u);
  EXPECT_EQ(project.flows.count("undef:sub"), 0u);
  const FlowDef& sub = project.flows.at("dup:sub");
  ASSERT_EQ(sub.nodes.size(), 1u);
  EXPECT_EQ(sub.nodes[0].type, "command");
}

TEST(Flow2LoaderTest, ConfigScalarsAreLiteralText) {
  auto dir = flow2Project("f2-config");
  writeFile(dir / "c.flow",
            "config:\n  success.emails: A@b.com\n  failure.action: FINISH_ALL_POSSIBLE\n"
            "nodes:\n"
            "  - name: a\n    type: command\n    config:\n"
            "      f: 1.0\n      g: false\n      h: 007\n      e:\n      q: 'quoted: yes'\n"
            "      type: ignored\n");
  Project project = loadProject(dir);
  EXPECT_TRUE(project.errors.empty()) << joined(project.errors);
  const FlowDef& flow = project.flows.at("c");
  EXPECT_EQ(flow.successEmails, (std::vector<std::string>{"a@b.com"}));
  EXPECT_EQ(flow.config->get("failure.action"), "FINISH_ALL_POSSIBLE");
  const auto& props = flow.findNode("a")->props;
  EXPECT_EQ(props->get("f"), "1.0");
  EXPECT_EQ(props->get("g"), "false");
  EXPECT_EQ(props->get("h"), "007");
  EXPECT_EQ(props->get("e"), "");
  EXPECT_EQ(props->get("q"), "quoted: yes");
  EXPECT_EQ(props->get("type"), "command");  // the node's type wins over config
}

TEST(Flow2LoaderTest, ConditionOperands) {
  auto dir = flow2Project("f2-cond");
  auto flow = [&](const std::string& name, const std::string& condition) {
    writeFile(dir / (name + ".flow"),
              "nodes:\n  - name: a\n    type: noop\n"
              "  - name: b\n    type: noop\n    dependsOn: [a]\n    condition: \"" +
                  condition + "\"\n");
  };
  flow("ok1", "ALL_DONE && ${a:x} == 'y' && !${a:z} != 3 || \\\"s\\\" == ${a:w}");
  flow("ge", "${a:x} >= 1");  // '>' splits first and leaves '=1'
  flow("decimal", "${a:x} == 1.5");
  flow("boolean", "${a:x} == true");
  flow("negative", "${a:x} > -1");
  Project project = loadProject(dir);
  const std::string unresolved =
      "Invalid condition for b: cannot resolve the condition. Please check the syntax for "
      "supported conditions.";
  EXPECT_EQ(errorSet(project), (std::set<std::string>{unresolved})) << joined(project.errors);
  EXPECT_EQ(project.flows.at("ok1").findNode("b")->conditionOnJobStatus,
            ConditionOnJobStatus::AllDone);
  EXPECT_EQ(project.flows.at("ge").findNode("b")->conditionOnJobStatus,
            ConditionOnJobStatus::AllSuccess);

  // Each rejected form alone produces the error.
  for (const char* name : {"ge", "decimal", "boolean", "negative"}) {
    auto single = flow2Project(std::string("f2-cond-") + name);
    writeFile(single / "f.flow",
              "nodes:\n  - name: a\n    type: noop\n"
              "  - name: b\n    type: noop\n    dependsOn: [a]\n    condition: \"" +
                  std::string(name == std::string("ge")        ? "${a:x} >= 1"
                              : name == std::string("decimal") ? "${a:x} == 1.5"
                              : name == std::string("boolean") ? "${a:x} == true"
                                                               : "${a:x} > -1") +
                  "\"\n");
    EXPECT_EQ(loadProject(single).errors, (std::vector<std::string>{unresolved})) << name;
  }
}

TEST(Flow2LoaderTest, LongConditionDoesNotExhaustTheStack) {
  auto dir = flow2Project("f2-longcond");
  std::string longString = "'" + std::string(200000, 'x') + "'";
  writeFile(dir / "f.flow",
            "nodes:\n  - name: a\n    type: noop\n"
            "  - name: b\n    type: noop\n    dependsOn: [a]\n    condition: \"" +
                longString + " == ${a:p}\"\n");
  Project project = loadProject(dir);
  EXPECT_TRUE(project.errors.empty()) << joined(project.errors);
  EXPECT_EQ(project.flows.at("f").findNode("b")->condition->size(), longString.size() + 10);
}

TEST(Flow2LoaderTest, NestedMemoryCheckUsesTheFlowPath) {
  auto dir = flow2Project("f2-mem");
  writeFile(dir / "m.flow",
            "nodes:\n  - name: sub\n    type: flow\n    nodes:\n"
            "      - name: j\n        type: command\n        config:\n          Xmx: 4096M\n");
  Project project = loadProject(dir);
  EXPECT_EQ(project.errors, (std::vector<std::string>{"m:sub:j: Xmx value has exceeded the "
                                                      "allowed limit (max Xmx = 2G)"}));
}

// ---- format detection -------------------------------------------------------------------

TEST(FormatDetectionTest, VersionMustBeTheFloatTwo) {
  struct Case {
    const char* text;
    bool valid;
  };
  for (const Case& c :
       {Case{"azkaban-flow-version: 2.0\n", true}, Case{"azkaban-flow-version: 2.00\n", true},
        Case{"azkaban-flow-version: 2\n", false}, Case{"azkaban-flow-version: \"2.0\"\n", false},
        Case{"azkaban-flow-version: 1.0\n", false}, Case{"azkaban-flow-version: [2.0]\n", false}}) {
    auto dir = testing::freshTempDir("detect");
    writeFile(dir / "x.project", c.text);
    writeFile(dir / "f.flow", "nodes:\n  - name: a\n    type: noop\n");
    Project project = loadProject(dir);
    if (c.valid) {
      EXPECT_EQ(project.version, FlowVersion::V2) << c.text;
      EXPECT_TRUE(project.errors.empty()) << c.text << joined(project.errors);
    } else {
      EXPECT_EQ(
          project.errors,
          (std::vector<std::string>{"Invalid azkaban-flow-version in the project YAML file."}))
          << c.text;
    }
  }
}

TEST(FormatDetectionTest, HiddenProjectFilesAndMissingKey) {
  auto dir = testing::freshTempDir("detect-hidden");
  writeFile(dir / ".x.project", "azkaban-flow-version: 2.0\n");
  writeFile(dir / "a.job", "type=noop\n");
  Project project = loadProject(dir);
  EXPECT_EQ(project.version, FlowVersion::V1);
  EXPECT_EQ(project.flows.count("a"), 1u);

  auto other = testing::freshTempDir("detect-nokey");
  writeFile(other / "sub/deeper/x.project", "something: else\n");
  EXPECT_EQ(loadProject(other).errors,
            (std::vector<std::string>{
                "azkaban-flow-version is not specified in the project YAML file."}));

  EXPECT_FALSE(loadProject(dir / "does-not-exist").errors.empty());
}

}  // namespace
}  // namespace azx::flow
