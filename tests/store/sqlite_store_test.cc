#include "store/sqlite/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "tests/store/store_scenario.h"
#include "tests/support/test_paths.h"

namespace azx::store {
namespace {

std::unique_ptr<SqliteStore> openOrDie(const std::filesystem::path& file) {
  auto store = SqliteStore::open(file);
  EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
  return store.ok() ? std::move(store.value()) : nullptr;
}

TEST(SqliteStoreTest, StatementsWriteAzkabanRows) {
  auto dir = testing::freshTempDir("sqlite-store");
  auto store = openOrDie(dir / "azx.db");
  ASSERT_TRUE(store);
  testing::runStoreScenario(*store, dir);
}

TEST(SqliteStoreTest, OpensInWalModeAndAssignsIncreasingIds) {
  auto dir = testing::freshTempDir("sqlite-store");
  auto store = openOrDie(dir / "azx.db");
  ASSERT_TRUE(store);
  std::vector<int> ids;
  for (int i = 0; i < 3; ++i) {
    auto flow = testing::specExampleFlow();
    ASSERT_TRUE(flow);
    auto id = store->createExecution(*flow, 1000 + i);
    ASSERT_TRUE(id.ok()) << id.error().message;
    ids.push_back(*id);
  }
  EXPECT_EQ(ids, (std::vector<int>{1, 2, 3}));
  auto list = store->listExecutions();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[2].submitTime, 1002);
  EXPECT_EQ((*list)[0].flowPriority, 5);  // no flowPriority parameter
  EXPECT_FALSE((*list)[0].useExecutor.has_value());

  // Check the journal mode through an independent connection.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "azx.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);

  // Reopening keeps the rows and continues the id sequence.
  store.reset();
  auto reopened = openOrDie(dir / "azx.db");
  ASSERT_TRUE(reopened);
  auto flow = testing::specExampleFlow();
  ASSERT_TRUE(flow);
  auto id = reopened->createExecution(*flow, 2000);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 4);
}

int countRows(const std::filesystem::path& file, const char* table) {
  // An independent connection sees only committed rows.
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  std::string sql = std::string("SELECT COUNT(*) FROM ") + table;
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK);
  EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  int count = sqlite3_column_int(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return count;
}

// A store with the spec example's execution in it, for the batch tests.
class SqliteBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = testing::freshTempDir("sqlite-store");
    file = dir / "azx.db";
    store = openOrDie(file);
    ASSERT_TRUE(store);
    flow = testing::specExampleFlow();
    ASSERT_TRUE(flow);
    ASSERT_TRUE(store->createExecution(*flow, 1000).ok());
  }

  std::filesystem::path dir;
  std::filesystem::path file;
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<flow::ExecutableFlow> flow;
};

TEST_F(SqliteBatchTest, BatchCommitsItsWritesTogether) {
  const flow::ExecutableNode& jobA = *flow->root.findChild("jobA");
  const flow::ExecutableNode& jobC = *flow->root.findChild("jobC");
  const auto log = dir / "jobA.log";
  std::ofstream(log) << "line one\n";

  int seenInside = -1;
  auto result = store->inBatch([&] {
    ASSERT_TRUE(store->uploadExecutableNode(*flow, jobA, Props::make()).ok());
    ASSERT_TRUE(store->uploadExecutableNode(*flow, jobC, Props::make()).ok());
    // The log upload keeps its own all-or-nothing step inside the batch's transaction.
    ASSERT_TRUE(store->uploadLogFiles(flow->executionId, "jobA", 0, {log}, 2000).ok());
    seenInside = countRows(file, "execution_jobs") + countRows(file, "execution_logs");
  });
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(seenInside, 0) << "rows were committed one by one";
  EXPECT_EQ(countRows(file, "execution_jobs"), 2);
  EXPECT_EQ(countRows(file, "execution_logs"), 1);
}

TEST_F(SqliteBatchTest, FailedWriteInABatchLeavesTheOthersDurable) {
  flow::ExecutableFlow ghost;
  ghost.root.flowId = "ghost";
  ghost.executionId = flow->executionId + 1000;

  std::string failure;
  auto result = store->inBatch([&] {
    ASSERT_TRUE(
        store->uploadExecutableNode(*flow, *flow->root.findChild("jobA"), Props::make()).ok());
    auto missing = store->updateExecutableFlow(ghost);
    ASSERT_FALSE(missing.ok());
    failure = missing.error().message;
  });
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_NE(failure.find("no execution_flows row"), std::string::npos) << failure;
  EXPECT_EQ(countRows(file, "execution_jobs"), 1);
  // The store is usable afterwards, outside a batch as well.
  EXPECT_TRUE(
      store->uploadExecutableNode(*flow, *flow->root.findChild("jobC"), Props::make()).ok());
  EXPECT_EQ(countRows(file, "execution_jobs"), 2);
}

TEST(SqliteStoreTest, ReopensAfterACrashedWriter) {
  auto dir = testing::freshTempDir("sqlite-crash");
  const auto file = dir / "azx.db";
  // The child writes a RUNNING execution, a job row and a log, then dies without closing
  // anything (no checkpoint): the data sits in the -wal file.
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = SqliteStore::open(file);
    if (!store.ok()) _exit(2);
    auto parsed = flow::parseFlowDataText(testing::kSpecExample);
    if (!parsed.ok()) _exit(3);
    auto& flow = **parsed;
    if (!(*store)->createExecution(flow, 1).ok()) _exit(4);
    flow.root.status = Status::Running;
    flow.root.updateTime = 42;
    if (!(*store)->updateExecutableFlow(flow).ok()) _exit(5);
    auto& jobA = *flow.root.findChild("jobA");
    if (!(*store)->uploadExecutableNode(flow, jobA, nullptr).ok()) _exit(6);
    std::ofstream(dir / "flow.log") << "before the crash\n";
    if (!(*store)->uploadLogFiles(flow.executionId, "", 0, {dir / "flow.log"}, 7).ok()) _exit(7);
    (void)store.value().release();  // leak on purpose: no sqlite3_close
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  ASSERT_TRUE(std::filesystem::exists(dir / "azx.db-wal")) << "the crash left no WAL file";
  EXPECT_GT(std::filesystem::file_size(dir / "azx.db-wal"), 0u);

  auto store = openOrDie(file);
  ASSERT_TRUE(store);
  auto rows = store->listExecutions();
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].status, 30);  // still RUNNING, as the crashed process left it
  EXPECT_EQ((*rows)[0].updateTime, 42);
  auto flow = store->fetchExecutableFlow((*rows)[0].execId);
  ASSERT_TRUE(flow.ok()) << flow.error().message;
  ASSERT_TRUE(flow->has_value());
  EXPECT_EQ((**flow)->root.status, Status::Running);
  auto jobs = store->fetchJobRows((*rows)[0].execId);
  ASSERT_TRUE(jobs.ok());
  EXPECT_EQ(jobs->size(), 1u);
  auto log = store->fetchLogs((*rows)[0].execId, "", 0, 0, 100);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->data, "before the crash\n");
  // And it accepts new writes.
  (**flow)->root.status = Status::Failed;
  EXPECT_TRUE(store->updateExecutableFlow(***flow).ok());
}

TEST(SqliteStoreTest, ConcurrentWritersAreSerialised) {
  auto dir = testing::freshTempDir("sqlite-threads");
  auto store = openOrDie(dir / "azx.db");
  ASSERT_TRUE(store);
  auto flow = testing::specExampleFlow();
  ASSERT_TRUE(flow);
  ASSERT_TRUE(store->createExecution(*flow, 1).ok());
  constexpr int kThreads = 4;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        flow::ExecutableNode node;
        node.id = "job" + std::to_string(t) + "_" + std::to_string(i);
        node.type = "command";
        node.parent = &flow->root;
        if (!store->uploadExecutableNode(*flow, node, nullptr).ok()) ++failures;
        if (!store->updateExecutableFlow(*flow).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto jobs = store->fetchJobRows(flow->executionId);
  ASSERT_TRUE(jobs.ok());
  EXPECT_EQ(jobs->size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST(SqliteStoreTest, ReadsPlainAndRejectsCorruptFlowData) {
  auto dir = testing::freshTempDir("sqlite-plain");
  auto store = openOrDie(dir / "azx.db");
  ASSERT_TRUE(store);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir / "azx.db").c_str(), &db), SQLITE_OK);
  // enc_type 1 (PLAIN) as older writers produce, and a document with an unknown status.
  std::string plain = testing::kSpecExample;
  std::string broken = plain;
  broken.replace(broken.find("\"READY\""), 7, "\"WAITING\"");
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "INSERT INTO execution_flows (exec_id, project_id, version, "
                               "flow_id, enc_type, flow_data) VALUES (?, 7, 3, 'main', 1, ?)",
                               -1, &stmt, nullptr),
            SQLITE_OK);
  for (const auto& [id, text] : {std::pair{1042, plain}, std::pair{1043, broken}}) {
    sqlite3_bind_int(stmt, 1, id);
    sqlite3_bind_blob(stmt, 2, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_DONE);
    sqlite3_reset(stmt);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);

  auto flow = store->fetchExecutableFlow(1042);
  ASSERT_TRUE(flow.ok()) << flow.error().message;
  ASSERT_TRUE(flow->has_value());
  EXPECT_EQ((**flow)->root.nodes.size(), 3u);
  auto bad = store->fetchExecutableFlow(1043);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("1043"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find("WAITING"), std::string::npos) << bad.error().message;
}

TEST(SqliteStoreTest, UnopenablePathIsAnError) {
  auto dir = testing::freshTempDir("sqlite-bad");
  auto store = SqliteStore::open(dir / "no-such-dir" / "azx.db");
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("no-such-dir"), std::string::npos);
}

}  // namespace
}  // namespace azx::store
