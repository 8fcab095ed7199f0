#include "flow/flow_data.h"

#include <gtest/gtest.h>

#include "tests/store/spec_example.h"

namespace azx::flow {
namespace {

using nlohmann::json;

std::unique_ptr<ExecutableFlow> parseOrDie(const json& doc) {
  auto parsed = parseFlowData(doc);
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
  if (!parsed.ok()) return nullptr;
  return std::move(parsed.value());
}

std::string parseError(const json& doc) {
  auto parsed = parseFlowData(doc);
  EXPECT_FALSE(parsed.ok());
  return parsed.ok() ? "" : parsed.error().message;
}

json example() { return json::parse(azx::testing::kSpecExample); }

TEST(FlowDataTest, SpecExampleRoundTripsExactly) {
  json doc = example();
  auto flow = parseOrDie(doc);
  ASSERT_TRUE(flow);
  EXPECT_EQ(toFlowDataJson(*flow), doc);
  // A second cycle through the text form is stable as well.
  auto again = parseFlowDataText(toFlowDataText(*flow));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(toFlowDataJson(**again), doc);
}

TEST(FlowDataTest, StreamedTextEqualsTheDocument) {
  // toFlowDataText streams the nodes (embedded flows included) instead of dumping one DOM.
  auto flow = parseOrDie(example());
  ASSERT_TRUE(flow);
  bool hasEmbedded = false;
  for (const auto& node : flow->root.nodes) hasEmbedded |= node->isFlow();
  EXPECT_TRUE(hasEmbedded) << "the example should cover embedded flows";
  EXPECT_EQ(json::parse(toFlowDataText(*flow)), toFlowDataJson(*flow));
}

TEST(FlowDataTest, SpecExampleFieldsAreModelled) {
  auto flow = parseOrDie(example());
  ASSERT_TRUE(flow);
  EXPECT_EQ(flow->executionId, 1042);
  EXPECT_EQ(flow->flowId(), "main");
  EXPECT_EQ(flow->root.status, Status::Running);
  EXPECT_TRUE(flow->root.id.empty());
  EXPECT_EQ(flow->executionPath, "executions/1042");
  EXPECT_EQ(flow->projectId, 7);
  EXPECT_EQ(flow->version, 3);
  EXPECT_EQ(flow->lastModifiedTime, 1699990000000);
  EXPECT_DOUBLE_EQ(flow->azkabanFlowVersion, 1.0);
  EXPECT_EQ(flow->options.flowParameters.at("env"), "prod");
  EXPECT_EQ(flow->options.failureEmails, std::vector<std::string>{"ops@example.com"});
  EXPECT_TRUE(flow->options.failureEmailsOverride);
  EXPECT_FALSE(flow->options.pipelineLevel.has_value());
  EXPECT_EQ(flow->proxyUsers, std::vector<std::string>{"etl"});
  ASSERT_EQ(flow->root.nodes.size(), 3u);
  ASSERT_EQ(flow->root.properties.size(), 1u);
  EXPECT_EQ(flow->root.properties[0].source, "shared.properties");

  const ExecutableNode& jobA = *flow->root.nodes[0];
  EXPECT_EQ(jobA.id, "jobA");
  EXPECT_EQ(jobA.parent, &flow->root);
  EXPECT_FALSE(jobA.isFlow());
  ASSERT_TRUE(jobA.outputProps);
  EXPECT_EQ(jobA.outputProps->get("row.count"), "42");
  EXPECT_EQ(jobA.outNodes, std::vector<std::string>{"jobC"});
  EXPECT_EQ(jobA.conditionOnJobStatus, ConditionOnJobStatus::AllSuccess);

  const ExecutableNode& sub = *flow->root.nodes[1];
  EXPECT_TRUE(sub.isFlow());
  EXPECT_EQ(sub.flowId, "subflow");
  ASSERT_EQ(sub.nodes.size(), 1u);
  const ExecutableNode& jobB = *sub.nodes[0];
  EXPECT_EQ(jobB.parent, &sub);
  EXPECT_EQ(jobB.attempt, 1);
  ASSERT_EQ(jobB.pastAttempts.size(), 1u);
  EXPECT_EQ(jobB.pastAttempts[0].status, Status::Failed);
  EXPECT_EQ(jobB.pastAttempts[0].endTime, 1700000125200);

  const ExecutableNode& jobC = *flow->root.nodes[2];
  EXPECT_EQ(jobC.inNodes, (std::vector<std::string>{"jobA", "sub"}));
  EXPECT_EQ(jobC.updateTime, -1);
  EXPECT_FALSE(jobC.outputProps);
}

TEST(FlowDataTest, FlowVersionIsWrittenAsDouble) {
  auto flow = parseOrDie(example());
  ASSERT_TRUE(flow);
  EXPECT_NE(toFlowDataText(*flow).find("\"azkabanFlowVersion\":1.0"), std::string::npos);
  flow->azkabanFlowVersion = 2.0;
  EXPECT_NE(toFlowDataText(*flow).find("\"azkabanFlowVersion\":2.0"), std::string::npos);
}

TEST(FlowDataTest, SpecDeltaExample) {
  auto flow = parseOrDie(example());
  ASSERT_TRUE(flow);
  json expected = json::parse(azx::testing::kSpecDelta)["updated"][0];
  EXPECT_EQ(updateDelta(*flow, 1700000065100), expected);
}

TEST(FlowDataTest, TextFollowsEveryChangeARunMakes) {
  // Each node's text is reused between writes while it is unchanged: every field that a run
  // changes must show up in the next text.
  auto flow = parseOrDie(example());
  ASSERT_TRUE(flow);
  ExecutableNode& job = *flow->root.nodes[0];
  ExecutableNode& inner = *flow->root.nodes[1]->nodes[0];
  auto expectCurrent = [&](const char* after) {
    EXPECT_EQ(json::parse(toFlowDataText(*flow)), toFlowDataJson(*flow)) << "after " << after;
  };
  expectCurrent("nothing");
  inner.status = Status::Running;
  expectCurrent("a status change inside an embedded flow");
  inner.startTime = 1;
  expectCurrent("a start time");
  inner.endTime = 2;
  expectCurrent("an end time");
  inner.updateTime = 3;
  expectCurrent("an update time");
  job.pastAttempts.push_back(PastAttempt{job.attempt, 4, 5, Status::Failed});
  job.attempt += 1;
  expectCurrent("a retry");
  auto outputs = Props::make();
  outputs->put("answer", "42");
  job.outputProps = outputs;
  expectCurrent("output properties");
  flow->root.status = Status::Succeeded;
  expectCurrent("the flow's status");
}

TEST(FlowDataTest, DeltaListsOnlyChangedNodes) {
  auto flow = parseOrDie(example());
  ASSERT_TRUE(flow);
  // Nothing newer than the root's own update time: root only, no nodes key.
  json none = updateDelta(*flow, 1700000130300);
  EXPECT_FALSE(none.contains("nodes"));
  EXPECT_EQ(none["id"], "main");
  EXPECT_EQ(none["status"], 30);
  EXPECT_EQ(none["executionId"], 1042);
  EXPECT_FALSE(none.contains("pastAttempts"));  // root attempt is 0

  // From the beginning: jobA and sub (and inside it jobB); jobC never changed (-1).
  json all = updateDelta(*flow, 0);
  ASSERT_TRUE(all.contains("nodes"));
  ASSERT_EQ(all["nodes"].size(), 2u);
  EXPECT_EQ(all["nodes"][0]["id"], "jobA");
  EXPECT_EQ(all["nodes"][0]["status"], 50);
  EXPECT_EQ(all["nodes"][1]["id"], "sub");

  // An embedded flow with an old update time is still listed when a child changed.
  flow->root.nodes[1]->updateTime = 10;
  json viaChild = updateDelta(*flow, 1700000065100);
  ASSERT_EQ(viaChild["nodes"].size(), 1u);
  EXPECT_EQ(viaChild["nodes"][0]["updateTime"], 10);
  EXPECT_EQ(viaChild["nodes"][0]["nodes"][0]["id"], "jobB");
  // ... and not listed when neither it nor a descendant changed.
  flow->root.nodes[1]->nodes[0]->updateTime = 20;
  json neither = updateDelta(*flow, 1700000065100);
  EXPECT_FALSE(neither.contains("nodes"));
}

TEST(FlowDataTest, UnknownStatusNameIsAnErrorNamingTheNode) {
  json doc = example();
  doc["nodes"][1]["nodes"][0]["status"] = "RUNING";
  std::string message = parseError(doc);
  EXPECT_NE(message.find("sub:jobB"), std::string::npos) << message;
  EXPECT_NE(message.find("status"), std::string::npos) << message;
  EXPECT_NE(message.find("RUNING"), std::string::npos) << message;

  json pastAttempt = example();
  pastAttempt["nodes"][1]["nodes"][0]["pastAttempts"][0]["status"] = "NOPE";
  EXPECT_NE(parseError(pastAttempt).find("pastAttempts"), std::string::npos);

  json missing = example();
  missing.erase("status");
  EXPECT_NE(parseError(missing).find("root flow"), std::string::npos);
}

TEST(FlowDataTest, FlowObjectsRequireProperties) {
  json rootless = example();
  rootless.erase("properties");
  EXPECT_NE(parseError(rootless).find("properties"), std::string::npos);

  json sub = example();
  sub["nodes"][1].erase("properties");
  std::string message = parseError(sub);
  EXPECT_NE(message.find("\"sub\""), std::string::npos) << message;
  EXPECT_NE(message.find("properties"), std::string::npos) << message;

  // Jobs do not need it.
  json job = example();
  ASSERT_FALSE(job["nodes"][0].contains("properties"));
  EXPECT_TRUE(parseFlowData(job).ok());
}

TEST(FlowDataTest, TypingRulesOfTheJavaReader) {
  json doc = example();
  doc["azkabanFlowVersion"] = 2;     // integer literal: Java reads -1.0
  doc["nodes"][0]["attempt"] = "3";  // numeric string accepted for int
  doc["nodes"][2]["attempt"] = 1.0;  // double for an int field: default
  doc["nodes"][0]["startTime"] = "1700000005100";
  doc["nodes"][2]["startTime"] = 5.5;  // double for a long field: -1
  doc["projectId"] = 5000000000LL;     // does not fit an int: default
  auto flow = parseOrDie(doc);
  ASSERT_TRUE(flow);
  EXPECT_DOUBLE_EQ(flow->azkabanFlowVersion, -1.0);
  EXPECT_EQ(flow->root.nodes[0]->attempt, 3);
  EXPECT_EQ(flow->root.nodes[2]->attempt, 0);
  EXPECT_EQ(flow->root.nodes[0]->startTime, 1700000005100);
  EXPECT_EQ(flow->root.nodes[2]->startTime, -1);
  EXPECT_EQ(flow->projectId, 0);

  json asString = example();
  asString["azkabanFlowVersion"] = "2.0";
  auto v2 = parseOrDie(asString);
  ASSERT_TRUE(v2);
  EXPECT_DOUBLE_EQ(v2->azkabanFlowVersion, 2.0);

  json boolString = example();
  boolString["isLocked"] = "false";
  EXPECT_NE(parseError(boolString).find("isLocked"), std::string::npos);

  json optionBool = example();
  optionBool["executionOptions"]["memoryCheck"] = "true";
  EXPECT_NE(parseError(optionBool).find("memoryCheck"), std::string::npos);

  json badNumber = example();
  badNumber["version"] = "three";
  EXPECT_NE(parseError(badNumber).find("version"), std::string::npos);

  json badAction = example();
  badAction["executionOptions"]["failureAction"] = "EXPLODE";
  EXPECT_NE(parseError(badAction).find("failureAction"), std::string::npos);

  json badSla = example();
  badSla["slaOptions"][0]["type"] = "Whenever";
  EXPECT_NE(parseError(badSla).find("slaOptions"), std::string::npos);

  EXPECT_FALSE(parseFlowDataText("{not json").ok());
  EXPECT_FALSE(parseFlowDataText("[]").ok());
}

TEST(FlowDataTest, ConditionOnJobStatusAbsentStaysAbsent) {
  json doc = example();
  doc["nodes"][2].erase("conditionOnJobStatus");
  doc["nodes"][0]["conditionOnJobStatus"] = "ONE_FAILED";  // read case-insensitively
  auto flow = parseOrDie(doc);
  ASSERT_TRUE(flow);
  EXPECT_FALSE(flow->root.nodes[2]->conditionOnJobStatus.has_value());
  EXPECT_EQ(flow->root.nodes[0]->conditionOnJobStatus, ConditionOnJobStatus::OneFailed);
  json out = toFlowDataJson(*flow);
  EXPECT_FALSE(out["nodes"][2].contains("conditionOnJobStatus"));
  EXPECT_EQ(out["nodes"][0]["conditionOnJobStatus"], "one_failed");

  json bad = example();
  bad["nodes"][0]["conditionOnJobStatus"] = "some_success";
  EXPECT_NE(parseError(bad).find("conditionOnJobStatus"), std::string::npos);
}

TEST(FlowDataTest, UnknownKeysArePreserved) {
  json doc = example();
  doc["futureRootKey"] = {{"a", 1}};
  doc["nodes"][0]["futureJobKey"] = "x";
  doc["nodes"][1]["futureFlowKey"] = json::array({1, 2});
  doc["nodes"][1]["nodes"][0]["deep"] = true;
  doc["executionOptions"]["futureOption"] = 42;
  auto flow = parseOrDie(doc);
  ASSERT_TRUE(flow);
  EXPECT_EQ(flow->root.extraKeys, (json{{"futureRootKey", {{"a", 1}}}}));
  EXPECT_EQ(flow->root.nodes[0]->extraKeys, (json{{"futureJobKey", "x"}}));
  EXPECT_EQ(flow->options.extraKeys, (json{{"futureOption", 42}}));
  EXPECT_EQ(toFlowDataJson(*flow), doc);
}

TEST(FlowDataTest, DisabledListScheduleAndOptionalKeys) {
  json doc = example();
  doc["executionOptions"]["disabled"] = json::parse(
      R"(["jobA", {"id": "sub", "children": ["jobB", {"id": "x", "children": ["y"]}]}])");
  doc["executionOptions"]["pipelineLevel"] = 2;
  doc["executionOptions"]["pipelineExecId"] = 1041;
  doc["scheduleId"] = 12;
  auto flow = parseOrDie(doc);
  ASSERT_TRUE(flow);
  const auto& disabled = flow->options.disabled;
  ASSERT_EQ(disabled.size(), 2u);
  EXPECT_EQ(disabled[0].id, "jobA");
  EXPECT_TRUE(disabled[0].children.empty());
  EXPECT_EQ(disabled[1].id, "sub");
  ASSERT_EQ(disabled[1].children.size(), 2u);
  EXPECT_EQ(disabled[1].children[1].children[0].id, "y");
  EXPECT_EQ(flow->options.pipelineLevel, 2);
  EXPECT_EQ(flow->options.pipelineExecId, 1041);
  EXPECT_EQ(flow->scheduleId, 12);
  EXPECT_EQ(toFlowDataJson(*flow), doc);

  // scheduleId < 0, empty outputProps, no in/out nodes: keys left out.
  flow->scheduleId = -1;
  flow->root.nodes[0]->outputProps = Props::make();
  flow->root.nodes[0]->outNodes.clear();
  json out = toFlowDataJson(*flow);
  EXPECT_FALSE(out.contains("scheduleId"));
  EXPECT_FALSE(out["nodes"][0].contains("outputProps"));
  EXPECT_FALSE(out["nodes"][0].contains("outNodes"));
  EXPECT_FALSE(out["nodes"][0].contains("inNodes"));
}

TEST(FlowDataTest, LegacyDocumentWithoutExecutionOptions) {
  json doc = example();
  doc.erase("executionOptions");
  doc["failureEmails"] = {"legacy@example.com"};
  doc["failureAction"] = "CANCEL_ALL";
  auto flow = parseOrDie(doc);
  ASSERT_TRUE(flow);
  EXPECT_EQ(flow->options.failureEmails, std::vector<std::string>{"legacy@example.com"});
  EXPECT_EQ(flow->options.failureAction, FailureAction::CancelAll);
  EXPECT_TRUE(toFlowDataJson(*flow).contains("executionOptions"));
}

TEST(FlowDataTest, HandBuiltFlowSerialisesRequiredKeys) {
  ExecutableFlow flow;
  flow.root.flowId = "basic";
  flow.executionId = 5;
  auto sub = std::make_unique<ExecutableNode>();
  sub->id = "sub";
  sub->type = "flow";
  sub->flowId = "basic:sub";
  sub->parent = &flow.root;
  auto job = std::make_unique<ExecutableNode>();
  job->id = "job";
  job->type = "command";
  job->parent = sub.get();
  job->inputProps = Props::fromMap({{"k", "v"}});  // not serialised
  sub->nodes.push_back(std::move(job));
  flow.root.nodes.push_back(std::move(sub));
  json out = toFlowDataJson(flow);
  EXPECT_TRUE(out["id"].is_null());
  EXPECT_TRUE(out["type"].is_null());
  EXPECT_TRUE(out["executionPath"].is_null());
  EXPECT_EQ(out["properties"], json::array());
  EXPECT_EQ(out["nodes"][0]["properties"], json::array());
  EXPECT_EQ(out["nodes"][0]["nodes"][0]["type"], "command");
  EXPECT_FALSE(out["nodes"][0]["nodes"][0].contains("nodes"));
  EXPECT_FALSE(out["nodes"][0]["nodes"][0].contains("properties"));
  EXPECT_FALSE(out["nodes"][0]["nodes"][0].contains("jobSource"));
  EXPECT_EQ(out["executionOptions"]["mailCreator"], "default");
  auto back = parseFlowData(out);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(toFlowDataJson(**back), out);
}

TEST(FlowDataTest, PropsChainJson) {
  auto global = Props::fromMap({{"a", "1"}}, nullptr, "global.properties");
  auto flowLevel = Props::fromMap({{"b", "2"}, {"a", "override"}}, global);
  auto job = Props::fromMap({{"c", "3"}}, flowLevel, "jobA.job");
  json out = propsChainToJson(job);
  json expected = {{"source", "jobA.job"},
                   {"props", {{"c", "3"}}},
                   {"parent",
                    {{"source", nullptr},
                     {"props", {{"a", "override"}, {"b", "2"}}},
                     {"parent", {{"source", "global.properties"}, {"props", {{"a", "1"}}}}}}}};
  EXPECT_EQ(out, expected);
  EXPECT_FALSE(out["parent"]["parent"].contains("parent"));
  EXPECT_TRUE(propsChainToJson(nullptr).is_null());
}

}  // namespace
}  // namespace azx::flow
