// ServerStore statements of MysqlStore (E1-E4, F3, F4, P1-P5, prune helpers) against a private
// MariaDB server with the 3.81 schema.

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "core/gzip.h"
#include "flow/flow_data.h"
#include "store/mysql/mysql_store.h"
#include "tests/store/mysql_fixture.h"
#include "tests/store/store_scenario.h"
#include "tests/support/test_paths.h"

namespace azx::store {
namespace {

std::string md5Raw(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<char*>(digest), length);
}

std::string randomBytes(size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(size, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

class MysqlServerStoreTest : public testing::MysqlFixture {
 protected:
  void SetUp() override {
    MysqlFixture::SetUp();
    if (::testing::Test::IsSkipped() || HasFatalFailure()) return;
    sql("DELETE FROM executors; DELETE FROM execution_flows; DELETE FROM active_executing_flows; "
        "DELETE FROM project_versions; DELETE FROM project_files; "
        "DELETE FROM project_properties; DELETE FROM project_flow_files;");
    store_ = open(config());
    ASSERT_TRUE(store_);
  }

  // A new execution of the spec example through the store; execId stays -1 (with a test
  // failure) when it cannot be made.
  struct SpecExecution {
    std::unique_ptr<flow::ExecutableFlow> flow;
    int execId = -1;
  };
  SpecExecution createSpecExecution() {
    SpecExecution made{testing::specExampleFlow()};
    EXPECT_TRUE(made.flow);
    if (!made.flow) return made;
    auto created = store_->createExecution(*made.flow, 1700000000000);
    EXPECT_TRUE(created.ok()) << (created.ok() ? "" : created.error().message);
    if (created.ok()) made.execId = *created;
    return made;
  }

  // Inserts a queued-looking execution_flows row the way the web leaves it; returns exec_id.
  int insertFlow(int status, int priority, int64_t updateTime,
                 std::optional<int> useExecutor = std::nullopt,
                 std::optional<int> executorId = std::nullopt, bool withFlowData = true) {
    auto opt = [](std::optional<int> v) { return v ? std::to_string(*v) : std::string("NULL"); };
    std::string out = sql(
        "INSERT INTO execution_flows (project_id, version, flow_id, status, submit_time, "
        "update_time, enc_type, flow_data, executor_id, use_executor, flow_priority) VALUES (1, "
        "1, 'main', " +
        std::to_string(status) + ", 1, " + std::to_string(updateTime) + ", 2, " +
        (withFlowData ? "'x'" : "NULL") + ", " + opt(executorId) + ", " + opt(useExecutor) + ", " +
        std::to_string(priority) + "); SELECT LAST_INSERT_ID();");
    return std::stoi(out.substr(out.find('\n') + 1));
  }

  // One column of one execution_flows row as text ("NULL" for NULL).
  std::string column(int execId, const std::string& name) {
    std::string out = sql("SELECT IFNULL(" + name +
                          ", 'NULL') FROM execution_flows WHERE exec_id=" + std::to_string(execId));
    auto nl = out.find('\n');
    if (nl == std::string::npos) return "<no row>";
    std::string value = out.substr(nl + 1);
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    return value;
  }

  // Writes project_versions + project_files rows as the web does; returns the archive bytes.
  std::string uploadProject(int projectId, int version, const std::vector<size_t>& chunkSizes) {
    std::string archive;
    std::string statements;
    for (size_t i = 0; i < chunkSizes.size(); ++i) {
      std::string chunk = randomBytes(chunkSizes[i], static_cast<unsigned>(projectId * 100 + i));
      archive += chunk;
      statements += "INSERT INTO project_files (project_id, version, chunk, size, file) VALUES (" +
                    std::to_string(projectId) + ", " + std::to_string(version) + ", " +
                    std::to_string(i) + ", " + std::to_string(chunk.size()) + ", UNHEX('" +
                    testing::toHex(chunk) + "'));\n";
    }
    statements +=
        "INSERT INTO project_versions (project_id, version, upload_time, uploader, file_type, "
        "file_name, md5, num_chunks) VALUES (" +
        std::to_string(projectId) + ", " + std::to_string(version) +
        ", 1700000000000, 'azkaban', 'zip', 'proj.zip', UNHEX('" + testing::toHex(md5Raw(archive)) +
        "'), " + std::to_string(chunkSizes.size()) + ");";
    sql(statements);
    return archive;
  }

  std::unique_ptr<MysqlStore> store_;
};

TEST_F(MysqlServerStoreTest, ExecutorRowLifecycle) {
  auto none = store_->fetchExecutor("exec-a.example", 12321);
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_FALSE(none->has_value());

  ASSERT_TRUE(store_->insertExecutor("exec-a.example", 12321).ok());
  ASSERT_TRUE(store_->insertExecutor("exec-b.example", 12322).ok());
  // UNIQUE(host, port): a second insert of the same executor is an error, not a retry success.
  EXPECT_FALSE(store_->insertExecutor("exec-a.example", 12321).ok());

  auto row = store_->fetchExecutor("exec-a.example", 12321);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_GT((*row)->id, 0);
  EXPECT_EQ((*row)->host, "exec-a.example");
  EXPECT_EQ((*row)->port, 12321);
  EXPECT_FALSE((*row)->active);  // column default FALSE (azkaban-wire 3.3)
  // Host compares with the column collation (case-insensitive).
  auto upperCase = store_->fetchExecutor("EXEC-A.example", 12321);
  ASSERT_TRUE(upperCase.ok() && upperCase->has_value());
  EXPECT_EQ((*upperCase)->id, (*row)->id);

  const int id = (*row)->id;
  ASSERT_TRUE(store_->updateExecutor(id, "exec-a.example", 12321, true).ok());
  auto activated = store_->fetchExecutor("exec-a.example", 12321);
  ASSERT_TRUE(activated.ok() && activated->has_value());
  EXPECT_TRUE((*activated)->active);
  EXPECT_EQ(sql("SELECT active FROM executors WHERE id=" + std::to_string(id)), "active\n1\n");
  // Same values again: matched rows count, so this is still a success.
  EXPECT_TRUE(store_->updateExecutor(id, "exec-a.example", 12321, true).ok());
  EXPECT_FALSE(store_->updateExecutor(id + 1000, "nowhere", 1, true).ok());

  auto list = store_->listExecutors();
  ASSERT_TRUE(list.ok()) << list.error().message;
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, id);
  EXPECT_TRUE((*list)[0].active);
  EXPECT_EQ((*list)[1].host, "exec-b.example");
  EXPECT_FALSE((*list)[1].active);

  auto deleted = store_->deleteExecutor("exec-a.example", 12321);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 1);
  auto again = store_->deleteExecutor("exec-a.example", 12321);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
  auto gone = store_->fetchExecutor("exec-a.example", 12321);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());

  ASSERT_TRUE(store_->deleteExecutorById((*list)[1].id).ok());
  auto empty = store_->listExecutors();
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST_F(MysqlServerStoreTest, UnfinishedExecutionsOfAnExecutor) {
  std::map<int, int> expected;  // exec id -> status
  for (int status : {20, 30, 50, 60, 70, 80, 55}) {
    int id = insertFlow(status, 5, 1, std::nullopt, 5);
    if (status != 50 && status != 60 && status != 70) expected[id] = status;
  }
  insertFlow(30, 5, 1, std::nullopt, 6);             // another executor
  insertFlow(20, 5, 1, std::nullopt, std::nullopt);  // queued, no executor
  auto rows = store_->fetchUnfinishedExecutions(5);
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  std::map<int, int> got;
  for (const auto& u : *rows) {
    got[u.execId] = u.status;
    EXPECT_EQ(u.executorId, 5);
  }
  EXPECT_EQ(got, expected);
}

TEST_F(MysqlServerStoreTest, ClaimOrdersByPriorityThenUpdateTimeThenId) {
  const int me = 7;
  int a = insertFlow(20, 5, 100);
  int b = insertFlow(20, 9, 300);
  int c = insertFlow(20, 9, 200);
  int d = insertFlow(20, 5, 100);
  int pinnedHere = insertFlow(20, 1, 50, me);
  insertFlow(20, 10, 1, 99);                                 // pinned elsewhere
  insertFlow(20, 10, 1, std::nullopt, std::nullopt, false);  // no flow_data yet
  insertFlow(30, 10, 1);                                     // not queued
  insertFlow(20, 10, 1, std::nullopt, 3);                    // already dispatched
  std::vector<int> order;
  for (int i = 0; i < 10; ++i) {
    auto claimed = store_->claimQueuedExecution(me, true, 5000 + i);
    ASSERT_TRUE(claimed.ok()) << claimed.error().message;
    if (!claimed->has_value()) break;
    order.push_back(**claimed);
    EXPECT_EQ(column(**claimed, "executor_id"), std::to_string(me));
    EXPECT_EQ(column(**claimed, "update_time"), std::to_string(5000 + i));
  }
  EXPECT_EQ(order, (std::vector<int>{c, b, a, d, pinnedHere}));
}

TEST_F(MysqlServerStoreTest, InactiveExecutorClaimsOnlyPinnedExecutions) {
  const int me = 7;
  int unpinned = insertFlow(20, 10, 1);
  int pinnedHere = insertFlow(20, 1, 100, me);
  int pinnedThere = insertFlow(20, 10, 1, 8);
  auto first = store_->claimQueuedExecution(me, false, 10);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(*first, std::optional<int>(pinnedHere));
  auto second = store_->claimQueuedExecution(me, false, 11);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, std::nullopt);
  EXPECT_EQ(column(unpinned, "executor_id"), "NULL");
  // Activated, it takes the unpinned one but never the execution pinned to executor 8.
  auto third = store_->claimQueuedExecution(me, true, 12);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(*third, std::optional<int>(unpinned));
  auto fourth = store_->claimQueuedExecution(me, true, 13);
  ASSERT_TRUE(fourth.ok());
  EXPECT_EQ(*fourth, std::nullopt);
  EXPECT_EQ(column(pinnedThere, "executor_id"), "NULL");
}

TEST_F(MysqlServerStoreTest, ConcurrentClaimersTakeEveryRowExactlyOnce) {
  std::set<int> queued;
  for (int i = 0; i < 50; ++i) queued.insert(insertFlow(20, 1 + i % 3, 1000 + i % 7));
  // Two executors, each with its own pool (separate connections), claiming at the same time.
  auto other = open(config());
  ASSERT_TRUE(other);
  std::vector<MysqlStore*> claimers{store_.get(), other.get()};
  std::vector<std::vector<int>> claimed(2);
  std::vector<std::string> errors(2);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < 2) std::this_thread::yield();
      for (int n = 0; n < 100; ++n) {
        auto r = claimers[t]->claimQueuedExecution(101 + t, true, 20000 + n);
        if (!r) {
          errors[t] = r.error().message;
          return;
        }
        if (!r->has_value()) return;
        claimed[t].push_back(**r);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors[0], "");
  EXPECT_EQ(errors[1], "");
  std::multiset<int> all;
  for (int t = 0; t < 2; ++t) {
    for (int id : claimed[t]) {
      all.insert(id);
      // The row names the claimer that reported it.
      EXPECT_EQ(column(id, "executor_id"), std::to_string(101 + t)) << "exec " << id;
    }
  }
  EXPECT_EQ(all.size(), 50u);
  EXPECT_EQ(std::set<int>(all.begin(), all.end()), queued);
  std::cout << "claims: executor 101 took " << claimed[0].size() << ", executor 102 took "
            << claimed[1].size() << "\n";
}

TEST_F(MysqlServerStoreTest, UnassignReturnsTheExecutionToTheQueue) {
  int id = insertFlow(20, 5, 100);
  int later = insertFlow(20, 5, 200);
  auto claimed = store_->claimQueuedExecution(4, true, 300);
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(*claimed, std::optional<int>(id));
  ASSERT_TRUE(store_->unassignExecutor(id, 400).ok());
  EXPECT_EQ(column(id, "executor_id"), "NULL");
  EXPECT_EQ(column(id, "update_time"), "400");
  // Released with a newer update_time, it now queues behind `later` (azkaban-wire 4.5).
  auto next = store_->claimQueuedExecution(4, true, 500);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, std::optional<int>(later));
  auto last = store_->claimQueuedExecution(4, true, 600);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, std::optional<int>(id));
}

TEST_F(MysqlServerStoreTest, ProjectVersionAndChunksReassemble) {
  std::string archive = uploadProject(11, 3, {300000, 300000, 12345});
  auto row = store_->fetchProjectVersion(11, 3);
  ASSERT_TRUE(row.ok()) << row.error().message;
  ASSERT_TRUE(row->has_value());
  const ProjectVersionRow& v = **row;
  EXPECT_EQ(v.projectId, 11);
  EXPECT_EQ(v.version, 3);
  EXPECT_EQ(v.uploadTime, 1700000000000);
  EXPECT_EQ(v.uploader, "azkaban");
  EXPECT_EQ(v.fileType, "zip");
  EXPECT_EQ(v.fileName, "proj.zip");
  EXPECT_EQ(v.numChunks, 3);
  EXPECT_EQ(v.md5.size(), 16u);
  EXPECT_EQ(v.md5, md5Raw(archive));
  EXPECT_EQ(v.resourceId, std::nullopt);
  EXPECT_EQ(v.startupDependencies, std::nullopt);

  auto target = testing::freshTempDir("mysql-p2") / "archive.zip";
  auto fetched = store_->fetchProjectFile(v, target);
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  std::string got = testing::readWholeFile(target);
  EXPECT_EQ(got.size(), archive.size());
  EXPECT_TRUE(got == archive);
  EXPECT_EQ(md5Raw(got), v.md5);

  auto missing = store_->fetchProjectVersion(11, 4);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(MysqlServerStoreTest, ProjectFileSpanningSeveralWindowsAndGaps) {
  // 11 chunks: windows [0,5), [5,10), [10,15).
  std::vector<size_t> sizes(11, 1000);
  sizes[10] = 17;
  std::string archive = uploadProject(12, 1, sizes);
  auto row = store_->fetchProjectVersion(12, 1);
  ASSERT_TRUE(row.ok() && row->has_value());
  auto dir = testing::freshTempDir("mysql-p2-windows");
  ASSERT_TRUE(store_->fetchProjectFile(**row, dir / "a.zip").ok());
  EXPECT_TRUE(testing::readWholeFile(dir / "a.zip") == archive);

  // Fewer chunks than num_chunks, or a gap, is an error, not a silently shorter archive.
  sql("DELETE FROM project_files WHERE project_id=12 AND version=1 AND chunk=10");
  auto short1 = store_->fetchProjectFile(**row, dir / "b.zip");
  ASSERT_FALSE(short1.ok());
  EXPECT_NE(short1.error().message.find("found 10 of 11"), std::string::npos)
      << short1.error().message;
  sql("DELETE FROM project_files WHERE project_id=12 AND version=1 AND chunk=6");
  auto gap = store_->fetchProjectFile(**row, dir / "c.zip");
  ASSERT_FALSE(gap.ok());
  EXPECT_NE(gap.error().message.find("chunk 6 is missing"), std::string::npos)
      << gap.error().message;
}

TEST_F(MysqlServerStoreTest, JobOverridesGzipAndPlain) {
  nlohmann::json gz = {{"type", "command"}, {"command", "echo gz \u00e9"}, {"retries", "2"}};
  nlohmann::json plain = {{"type", "noop"}, {"dependencies", "jobA"}};
  sql("INSERT INTO project_properties (project_id, version, name, modified_time, encoding_type, "
      "property) VALUES (21, 2, 'jobA.jor', 1, 2, UNHEX('" +
      testing::toHex(gzipCompress(gz.dump())) + "')), (21, 2, 'jobB.jor', 1, 1, UNHEX('" +
      testing::toHex(plain.dump()) +
      "')), (21, 2, 'jobC.job', 1, 1, '{\"x\":\"y\"}'), (21, 2, 'bad.jor', 1, 1, '[1,2]');");

  auto a = store_->fetchJobOverride(21, 2, "jobA");
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_TRUE(a->has_value());
  EXPECT_EQ(**a, (std::map<std::string, std::string>{
                     {"type", "command"}, {"command", "echo gz \u00e9"}, {"retries", "2"}}));

  auto b = store_->fetchJobOverride(21, 2, "jobB");
  ASSERT_TRUE(b.ok()) << b.error().message;
  ASSERT_TRUE(b->has_value());
  EXPECT_EQ(**b, (std::map<std::string, std::string>{{"type", "noop"}, {"dependencies", "jobA"}}));

  // Only `<jobId>.jor` rows count; other names and versions are no override.
  auto c = store_->fetchJobOverride(21, 2, "jobC");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->has_value());
  auto otherVersion = store_->fetchJobOverride(21, 3, "jobA");
  ASSERT_TRUE(otherVersion.ok());
  EXPECT_FALSE(otherVersion->has_value());
  EXPECT_FALSE(store_->fetchJobOverride(21, 2, "bad").ok());
}

TEST_F(MysqlServerStoreTest, FlowFileNewestVersion) {
  sql("INSERT INTO project_flow_files (project_id, project_version, flow_name, flow_version, "
      "modified_time, flow_file) VALUES "
      "(31, 4, 'basic.flow', 1, 1, 'nodes: v1'), (31, 4, 'basic.flow', 3, 3, 'nodes: v3'), "
      "(31, 4, 'basic.flow', 2, 2, 'nodes: v2'), (31, 4, 'other.flow', 9, 9, 'other'), "
      "(31, 5, 'basic.flow', 7, 7, 'next version');");
  auto newest = store_->fetchFlowFile(31, 4, "basic.flow");
  ASSERT_TRUE(newest.ok()) << newest.error().message;
  EXPECT_EQ(*newest, std::optional<std::string>("nodes: v3"));
  auto next = store_->fetchFlowFile(31, 5, "basic.flow");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, std::optional<std::string>("next version"));
  auto none = store_->fetchFlowFile(31, 4, "missing.flow");
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_EQ(*none, std::nullopt);
}

TEST_F(MysqlServerStoreTest, FinalizeOrphanedExecution) {
  auto [flow, execId] = createSpecExecution();
  ASSERT_GT(execId, 0);
  // The state the example describes: RUNNING, jobA done, sub running jobB, jobC READY.
  flow->root.status = Status::Running;
  flow->root.startTime = 1700000005000;
  flow->root.updateTime = 1700000130300;
  ASSERT_TRUE(store_->updateExecutableFlow(*flow).ok());
  sql("UPDATE execution_flows SET executor_id=42 WHERE exec_id=" + std::to_string(execId) +
      "; INSERT INTO active_executing_flows (exec_id, update_time) VALUES (" +
      std::to_string(execId) + ", 1)");

  const int64_t now = 1700000999000;
  auto done = store_->finalizeOrphanedExecution(execId, now);
  ASSERT_TRUE(done.ok()) << done.error().message;

  auto row = store_->fetchExecutionRow(execId);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->status, 70);
  EXPECT_EQ((*row)->endTime, now);
  EXPECT_EQ((*row)->startTime, 1700000005000);
  EXPECT_EQ((*row)->updateTime, now);
  EXPECT_EQ((*row)->encType, 2);
  EXPECT_EQ((*row)->executorId, 42);  // F2 never touches executor_id
  auto stored = store_->fetchExecutableFlow(execId);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  const flow::ExecutableFlow& f = ***stored;
  EXPECT_EQ(f.root.status, Status::Failed);
  EXPECT_EQ(f.root.endTime, now);
  const auto* jobA = f.root.findChild("jobA");
  const auto* sub = f.root.findChild("sub");
  const auto* jobC = f.root.findChild("jobC");
  ASSERT_TRUE(jobA && sub && jobC);
  EXPECT_EQ(jobA->status, Status::Succeeded);
  EXPECT_EQ(jobA->endTime, 1700000065100);  // finished nodes keep their times
  EXPECT_EQ(sub->status, Status::Failed);
  EXPECT_EQ(sub->endTime, now);
  EXPECT_NE(sub->startTime, now);  // it had a start time
  EXPECT_EQ(jobC->status, Status::Killing);
  EXPECT_EQ(jobC->startTime, now);
  EXPECT_EQ(jobC->endTime, now);
  // Embedded flows are not descended into.
  const auto* jobB = sub->findChild("jobB");
  ASSERT_TRUE(jobB);
  EXPECT_EQ(jobB->status, Status::Running);
  EXPECT_EQ(
      sql("SELECT COUNT(*) FROM active_executing_flows WHERE exec_id=" + std::to_string(execId)),
      "COUNT(*)\n0\n");

  // A finished execution is left as it is.
  ASSERT_TRUE(store_->finalizeOrphanedExecution(execId, now + 5000).ok());
  auto again = store_->fetchExecutionRow(execId);
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->endTime, now);
  EXPECT_EQ((*again)->updateTime, now);
  EXPECT_FALSE(store_->finalizeOrphanedExecution(execId + 1000, now).ok());
}

TEST_F(MysqlServerStoreTest, FinalizeLeavesANeverStartedExecutionToTheWeb) {
  // PREPARING without a start time: a web set executor_id and may be sending `execute` right
  // now (or failing over to another executor); finalising it would hand that one a FAILED flow.
  auto [flow, execId] = createSpecExecution();
  ASSERT_GT(execId, 0);
  flow->root.status = Status::Preparing;
  flow->root.startTime = -1;
  for (auto& node : flow->root.nodes) {
    node->status = Status::Ready;
    node->startTime = node->endTime = node->updateTime = -1;
  }
  ASSERT_TRUE(store_->updateExecutableFlow(*flow).ok());
  sql("UPDATE execution_flows SET executor_id=42 WHERE exec_id=" + std::to_string(execId) +
      "; INSERT INTO active_executing_flows (exec_id, update_time) VALUES (" +
      std::to_string(execId) + ", 1)");
  auto before = store_->fetchExecutionRow(execId);
  ASSERT_TRUE(before.ok() && before->has_value());
  ASSERT_EQ((*before)->status, 20);
  ASSERT_EQ((*before)->startTime, -1);

  const int64_t now = 1700000999000;
  auto done = store_->finalizeOrphanedExecution(execId, now);
  ASSERT_FALSE(done.ok()) << "a never-started execution was finalised";
  EXPECT_NE(done.error().message.find("never started (PREPARING); left to the web"),
            std::string::npos)
      << done.error().message;

  // Nothing written: row, flow_data and the active_executing_flows row are as they were.
  auto row = store_->fetchExecutionRow(execId);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->status, 20);
  EXPECT_EQ((*row)->startTime, -1);
  EXPECT_EQ((*row)->endTime, (*before)->endTime);
  EXPECT_EQ((*row)->updateTime, (*before)->updateTime);
  EXPECT_EQ((*row)->executorId, 42);
  auto stored = store_->fetchExecutableFlow(execId);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((**stored)->root.status, Status::Preparing);
  EXPECT_EQ((**stored)->root.endTime, -1);
  for (const auto& node : (**stored)->root.nodes) {
    EXPECT_EQ(node->status, Status::Ready) << node->id;
    EXPECT_EQ(node->endTime, -1) << node->id;
  }
  EXPECT_EQ(
      sql("SELECT COUNT(*) FROM active_executing_flows WHERE exec_id=" + std::to_string(execId)),
      "COUNT(*)\n1\n");

  // PREPARING with a start time was started by an executor: that one is finalised.
  auto [startedFlow, startedId] = createSpecExecution();
  ASSERT_GT(startedId, 0);
  auto startedRow = store_->fetchExecutionRow(startedId);
  ASSERT_TRUE(startedRow.ok() && startedRow->has_value());
  ASSERT_EQ((*startedRow)->status, 20);
  ASSERT_EQ((*startedRow)->startTime, 1700000005000);
  auto finalised = store_->finalizeOrphanedExecution(startedId, now);
  ASSERT_TRUE(finalised.ok()) << finalised.error().message;
  auto after = store_->fetchExecutionRow(startedId);
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_EQ((*after)->status, 70);
  EXPECT_EQ((*after)->endTime, now);
}

TEST_F(MysqlServerStoreTest, FinalizeFailsUnfinishedJobAttemptRows) {
  auto [flow, execId] = createSpecExecution();
  ASSERT_GT(execId, 0);
  flow->root.status = Status::Running;
  ASSERT_TRUE(store_->updateExecutableFlow(*flow).ok());
  // A second running execution, of another (live) executor, and a finished one.
  auto [otherFlow, otherId] = createSpecExecution();
  ASSERT_GT(otherId, 0);
  otherFlow->root.status = Status::Running;
  ASSERT_TRUE(store_->updateExecutableFlow(*otherFlow).ok());
  auto [doneFlow, finishedId] = createSpecExecution();
  ASSERT_GT(finishedId, 0);
  doneFlow->root.status = Status::Succeeded;
  doneFlow->root.endTime = 1700000200000;
  ASSERT_TRUE(store_->updateExecutableFlow(*doneFlow).ok());

  // Attempt rows as the executor leaves them (J1/J2): unfinished ones have end_time -1.
  const std::vector<int> unfinished{10, 20, 30, 40, 55, 80, 110};
  const std::vector<int> done{50, 60, 70, 90, 100, 120, 125};
  auto insertJob = [&](int exec, const std::string& jobId, int attempt, int status, int64_t end) {
    sql("INSERT INTO execution_jobs (exec_id, project_id, version, flow_id, job_id, attempt, "
        "start_time, end_time, status) VALUES (" +
        std::to_string(exec) + ", 7, 3, 'main', '" + jobId + "', " + std::to_string(attempt) +
        ", 1700000006000, " + std::to_string(end) + ", " + std::to_string(status) + ")");
  };
  for (int status : unfinished) insertJob(execId, "u" + std::to_string(status), 0, status, -1);
  for (int status : done) {
    insertJob(execId, "f" + std::to_string(status), 0, status, 1700000007000 + status);
  }
  // A failed first attempt and its running retry: only the retry's row is unfinished.
  insertJob(execId, "jobB", 0, 70, 1700000125200);
  insertJob(execId, "jobB", 1, 30, -1);
  insertJob(otherId, "jobB", 0, 30, -1);
  insertJob(finishedId, "jobB", 0, 30, -1);  // stale, but the execution is final

  const int64_t now = 1700000999000;
  auto result = store_->finalizeOrphanedExecution(execId, now);
  ASSERT_TRUE(result.ok()) << result.error().message;

  auto rows = store_->fetchJobRows(execId);
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), unfinished.size() + done.size() + 2);
  std::map<std::pair<std::string, int>, store::JobRow> byJob;
  for (const auto& r : *rows) byJob[{r.jobId, r.attempt.value_or(-1)}] = r;
  for (int status : unfinished) {
    const auto& r = byJob.at({"u" + std::to_string(status), 0});
    EXPECT_EQ(r.status, 70) << "status " << status;
    EXPECT_EQ(r.endTime, now) << "status " << status;
    EXPECT_EQ(r.startTime, 1700000006000) << "status " << status;
  }
  for (int status : done) {
    const auto& r = byJob.at({"f" + std::to_string(status), 0});
    EXPECT_EQ(r.status, status);
    EXPECT_EQ(r.endTime, 1700000007000 + status) << "status " << status;
  }
  EXPECT_EQ(byJob.at({"jobB", 0}).status, 70);
  EXPECT_EQ(byJob.at({"jobB", 0}).endTime, 1700000125200);
  EXPECT_EQ(byJob.at({"jobB", 1}).status, 70);
  EXPECT_EQ(byJob.at({"jobB", 1}).endTime, now);

  // Other executions' rows are not touched, nor those of an execution already final.
  for (int exec : {otherId, finishedId}) {
    auto untouched = store_->fetchJobRows(exec);
    ASSERT_TRUE(untouched.ok());
    ASSERT_EQ(untouched->size(), 1u);
    EXPECT_EQ(untouched->front().status, 30) << "exec " << exec;
    EXPECT_EQ(untouched->front().endTime, -1) << "exec " << exec;
  }
  ASSERT_TRUE(store_->finalizeOrphanedExecution(finishedId, now).ok());
  auto stillStale = store_->fetchJobRows(finishedId);
  ASSERT_TRUE(stillStale.ok() && stillStale->size() == 1u);
  EXPECT_EQ(stillStale->front().status, 30);
  auto finishedRow = store_->fetchExecutionRow(finishedId);
  ASSERT_TRUE(finishedRow.ok() && finishedRow->has_value());
  EXPECT_EQ((*finishedRow)->status, 50);
}

}  // namespace
}  // namespace azx::store
