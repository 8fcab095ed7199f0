#pragma once

// The write/read scenario both stores must pass (statements F1, F2, J1, J2, J3, L1 of
// azkaban-wire 4.4), checked column by column through the stores' row read-back helpers.

#include <gtest/gtest.h>

#include <fstream>

#include "core/gzip.h"
#include "flow/flow_data.h"
#include "store/log_chunks.h"
#include "store/store_rows.h"
#include "tests/store/spec_example.h"

namespace azx::testing {

inline std::unique_ptr<flow::ExecutableFlow> specExampleFlow() {
  auto parsed = flow::parseFlowDataText(kSpecExample);
  EXPECT_TRUE(parsed.ok());
  if (!parsed.ok()) return nullptr;
  return std::move(parsed.value());
}

inline nlohmann::json gunzipJson(const std::optional<std::string>& blob) {
  if (!blob) return nullptr;
  auto text = gzipDecompress(*blob);
  EXPECT_TRUE(text.ok());
  return text.ok() ? nlohmann::json::parse(*text) : nlohmann::json();
}

inline std::string logPattern(size_t size) {
  std::string s;
  for (size_t i = 0; i < size; ++i) {
    s.push_back(i % 61 == 60 ? '\n' : static_cast<char>('A' + (i * 13) % 26));
  }
  return s;
}

template <typename Store>
const store::JobRow* findJob(const std::vector<store::JobRow>& rows, const std::string& flowId,
                             const std::string& jobId, int attempt) {
  for (const auto& r : rows) {
    if (r.flowId == flowId && r.jobId == jobId && r.attempt == attempt) return &r;
  }
  return nullptr;
}

// Runs the whole scenario against `store`; `dir` is a scratch directory for log files.
template <typename Store>
void runStoreScenario(Store& store, const std::filesystem::path& dir) {
  using nlohmann::json;
  auto flowPtr = specExampleFlow();
  ASSERT_TRUE(flowPtr);
  flow::ExecutableFlow& flow = *flowPtr;
  flow.options.flowParameters["flowPriority"] = "7";
  flow.options.flowParameters["useExecutor"] = "3";

  // createExecution: the web's INSERT, then F2.
  auto created = store.createExecution(flow, 1700000000000);
  ASSERT_TRUE(created.ok()) << created.error().message;
  const int execId = *created;
  EXPECT_GT(execId, 0);
  EXPECT_EQ(flow.executionId, execId);
  EXPECT_EQ(flow.root.status, Status::Preparing);
  EXPECT_EQ(flow.submitTime, 1700000000000);
  {
    auto row = store.fetchExecutionRow(execId);
    ASSERT_TRUE(row.ok()) << row.error().message;
    ASSERT_TRUE(row->has_value());
    const store::ExecutionRow& r = **row;
    EXPECT_EQ(r.execId, execId);
    EXPECT_EQ(r.projectId, 7);
    EXPECT_EQ(r.version, 3);
    EXPECT_EQ(r.flowId, "main");
    EXPECT_EQ(r.status, 20);
    EXPECT_EQ(r.submitUser, "alice");
    EXPECT_EQ(r.submitTime, 1700000000000);
    EXPECT_EQ(r.updateTime, 1700000130300);  // F2 wrote the root's updateTime
    EXPECT_EQ(r.startTime, 1700000005000);
    EXPECT_EQ(r.endTime, -1);
    EXPECT_EQ(r.encType, 2);
    EXPECT_EQ(gunzipJson(r.flowData), flow::toFlowDataJson(flow));
    EXPECT_FALSE(r.executorId.has_value());
    EXPECT_EQ(r.useExecutor, 3);
    EXPECT_EQ(r.flowPriority, 7);
  }

  // F2 with a changed state, then F1.
  flow.root.status = Status::FailedFinishing;
  flow.root.updateTime = 1700000200000;
  flow.root.endTime = 1700000200001;
  flow.executionPath = "executions/" + std::to_string(execId);
  ASSERT_TRUE(store.updateExecutableFlow(flow).ok());
  {
    auto row = store.fetchExecutionRow(execId);
    ASSERT_TRUE(row.ok() && row->has_value());
    EXPECT_EQ((*row)->status, 80);
    EXPECT_EQ((*row)->updateTime, 1700000200000);
    EXPECT_EQ((*row)->startTime, 1700000005000);
    EXPECT_EQ((*row)->endTime, 1700000200001);
    EXPECT_EQ((*row)->submitTime, 1700000000000);  // F2 leaves submit_* alone
    EXPECT_EQ((*row)->flowPriority, 7);
  }
  auto fetched = store.fetchExecutableFlow(execId);
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  ASSERT_TRUE(fetched->has_value());
  EXPECT_EQ(flow::toFlowDataJson(***fetched), flow::toFlowDataJson(flow));

  auto absent = store.fetchExecutableFlow(execId + 1000);
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
  flow::ExecutableFlow ghost;
  ghost.root.flowId = "ghost";
  ghost.executionId = execId + 1000;
  EXPECT_FALSE(store.updateExecutableFlow(ghost).ok());

  // J1 for a top-level job and for one inside the embedded flow `sub`.
  flow::ExecutableNode& jobA = *flow.root.findChild("jobA");
  flow::ExecutableNode& jobB = *flow.root.findChild("sub")->findChild("jobB");
  auto shared = Props::fromMap({{"shared.key", "s"}}, nullptr, "shared.properties");
  auto inputA = Props::fromMap({{"command", "echo a"}}, shared, "jobA.job");
  jobA.status = Status::Queued;
  jobA.startTime = 1700000005100;
  jobA.attempt = 0;
  ASSERT_TRUE(store.uploadExecutableNode(flow, jobA, inputA).ok());
  jobB.status = Status::Queued;
  jobB.startTime = 1700000130300;
  ASSERT_TRUE(store.uploadExecutableNode(flow, jobB, nullptr).ok());
  // The same attempt twice violates the key.
  EXPECT_FALSE(store.uploadExecutableNode(flow, jobA, inputA).ok());
  {
    auto rows = store.fetchJobRows(execId);
    ASSERT_TRUE(rows.ok()) << rows.error().message;
    ASSERT_EQ(rows->size(), 2u);
    const auto* a = findJob<Store>(*rows, "main", "jobA", 0);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->execId, execId);
    EXPECT_EQ(a->projectId, 7);
    EXPECT_EQ(a->version, 3);
    EXPECT_EQ(a->startTime, 1700000005100);
    EXPECT_EQ(a->endTime, -1);
    EXPECT_EQ(a->status, 110);
    EXPECT_EQ(gunzipJson(a->inputParams), flow::propsChainToJson(inputA));
    EXPECT_EQ(gunzipJson(a->inputParams)["parent"]["source"], "shared.properties");
    EXPECT_FALSE(a->outputParams.has_value());
    EXPECT_FALSE(a->attachments.has_value());
    const auto* b = findJob<Store>(*rows, "main,sub:subflow", "jobB", 1);
    ASSERT_NE(b, nullptr) << "nested job keyed by the parent's flow path";
    EXPECT_FALSE(b->inputParams.has_value());
  }

  // J2 (running, then finished with outputs) and J3.
  jobA.status = Status::Running;
  ASSERT_TRUE(store.updateExecutableNode(flow, jobA).ok());
  jobA.status = Status::Succeeded;
  jobA.endTime = 1700000065100;
  jobA.outputProps = Props::fromMap({{"row.count", "42"}});
  ASSERT_TRUE(store.updateExecutableNode(flow, jobA).ok());
  auto attachment = dir / "_job.attach";
  std::ofstream(attachment, std::ios::binary) << "[{\"name\":\"report\"}]";
  ASSERT_TRUE(store.uploadAttachmentFile(flow, jobB, attachment).ok());
  EXPECT_FALSE(store.uploadAttachmentFile(flow, jobB, dir / "missing.attach").ok());
  {
    auto rows = store.fetchJobRows(execId);
    ASSERT_TRUE(rows.ok());
    const auto* a = findJob<Store>(*rows, "main", "jobA", 0);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->status, 50);
    EXPECT_EQ(a->startTime, 1700000005100);
    EXPECT_EQ(a->endTime, 1700000065100);
    EXPECT_EQ(gunzipJson(a->outputParams),
              (json{{"source", nullptr}, {"props", {{"row.count", "42"}}}}));
    const auto* b = findJob<Store>(*rows, "main,sub:subflow", "jobB", 1);
    ASSERT_NE(b, nullptr);
    ASSERT_TRUE(b->attachments.has_value());
    auto text = gzipDecompress(*b->attachments);
    ASSERT_TRUE(text.ok());
    EXPECT_EQ(*text, "[{\"name\":\"report\"}]");
  }

  // L1: two files (rolled part first) as one stream, then read back.
  std::string older = logPattern(60000);
  std::string current = logPattern(50000) + "end \xc3\xa9\n";
  auto part1 = dir / "_job.1.1.sub._.jobB.log.1";
  auto part0 = dir / "_job.1.1.sub._.jobB.log";
  std::ofstream(part1, std::ios::binary) << older;
  std::ofstream(part0, std::ios::binary) << current;
  const std::string all = older + current;
  ASSERT_TRUE(store.uploadLogFiles(execId, "sub:jobB", 1, {part1, part0}, 1700000300000).ok());
  auto flowLog = dir / "_flow.log";
  std::ofstream(flowLog, std::ios::binary) << "flow log line\n";
  ASSERT_TRUE(store.uploadLogFiles(execId, "", 0, {flowLog}, 1700000300001).ok());
  auto emptyLog = dir / "empty.log";
  std::ofstream(emptyLog, std::ios::binary) << "";
  ASSERT_TRUE(store.uploadLogFiles(execId, "jobC", 0, {emptyLog}, 1700000300002).ok());
  // Uploading the same log again violates the primary key and changes nothing.
  EXPECT_FALSE(store.uploadLogFiles(execId, "sub:jobB", 1, {part1, part0}, 1).ok());
  {
    auto rows = store.fetchLogRows(execId);
    ASSERT_TRUE(rows.ok()) << rows.error().message;
    ASSERT_EQ(rows->size(), 4u);  // "" first (ORDER BY name), then three jobB chunks
    const auto& f = (*rows)[0];
    EXPECT_EQ(f.name, "");
    EXPECT_EQ(f.attempt, 0);
    EXPECT_EQ(f.startByte, 0);
    EXPECT_EQ(f.endByte, 14);
    EXPECT_EQ(f.uploadTime, 1700000300001);
    const int64_t starts[] = {0, 51200, 102400};
    for (int i = 0; i < 3; ++i) {
      const auto& r = (*rows)[static_cast<size_t>(i) + 1];
      EXPECT_EQ(r.execId, execId);
      EXPECT_EQ(r.name, "sub:jobB");
      EXPECT_EQ(r.attempt, 1);
      EXPECT_EQ(r.encType, 2);
      EXPECT_EQ(r.startByte, starts[i]);
      EXPECT_EQ(r.endByte, std::min<int64_t>(starts[i] + 51200, all.size()));
      EXPECT_EQ(r.uploadTime, 1700000300000);
      auto chunk = gzipDecompress(r.log);
      ASSERT_TRUE(chunk.ok());
      EXPECT_EQ(*chunk, all.substr(static_cast<size_t>(r.startByte),
                                   static_cast<size_t>(r.endByte - r.startByte)));
    }
  }
  auto whole = store.fetchLogs(execId, "sub:jobB", 1, 0, 1 << 20);
  ASSERT_TRUE(whole.ok()) << whole.error().message;
  EXPECT_EQ(whole->data, all);
  auto middle = store.fetchLogs(execId, "sub:jobB", 1, 51100, 300);
  ASSERT_TRUE(middle.ok());
  EXPECT_EQ(middle->offset, 51100);
  EXPECT_EQ(middle->data, all.substr(51100, 300));
  auto past = store.fetchLogs(execId, "sub:jobB", 1, static_cast<int64_t>(all.size()) + 5, 100);
  ASSERT_TRUE(past.ok());
  EXPECT_TRUE(past->data.empty());
  auto other = store.fetchLogs(execId, "sub:jobB", 0, 0, 100);  // attempt 0 has no log
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->data.empty());
  auto flowText = store.fetchLogs(execId, "", 0, 0, 100);
  ASSERT_TRUE(flowText.ok());
  EXPECT_EQ(flowText->data, "flow log line\n");
}

}  // namespace azx::testing
