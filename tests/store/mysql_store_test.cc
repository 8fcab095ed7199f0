#include "store/mysql/mysql_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "tests/store/store_scenario.h"
#include "tests/support/mariadb_server.h"
#include "tests/support/test_paths.h"

namespace azx::store {
namespace {

// One private MariaDB server for the whole suite (start-up takes seconds).
class MysqlStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::MariadbServer::unavailableReason().empty()) return;
    server_ = testing::MariadbServer::start(&startError_).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    AZX_REQUIRE_MARIADB();
    ASSERT_NE(server_, nullptr) << "MariaDB fixture failed: " << startError_;
    if (!server_->running()) {
      std::string error;
      ASSERT_TRUE(server_->startAgain(&error)) << error;
    }
    if (!server_->referenceSchemaApplied()) {
      // No reference data: the store's embedded DDL provides the 3.81 schema.
      auto store = open(config());
      ASSERT_TRUE(store);
      auto ok = store->initSchema();
      ASSERT_TRUE(ok.ok()) << ok.error().message;
    }
  }

  static MysqlConfig config(const std::string& database = "") {
    MysqlConfig c;
    c.host = "127.0.0.1";
    c.port = server_->port();
    c.database = database.empty() ? server_->database() : database;
    c.user = server_->user();
    c.password = server_->password();
    c.numConnections = 2;
    c.retry.maxAttempts = 3;
    c.retry.initialBackoffMillis = 50;
    c.retry.maxBackoffMillis = 200;
    return c;
  }

  static std::unique_ptr<MysqlStore> open(const MysqlConfig& c, MysqlLogCallback log = {}) {
    auto store = MysqlStore::open(c, std::move(log));
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(store.value()) : nullptr;
  }

  static std::string sqlOutput(const std::string& sql, const std::string& database = "") {
    std::string error;
    std::string output;
    EXPECT_TRUE(server_->runSql(sql, database, &error, &output)) << error;
    return output;
  }

  static testing::MariadbServer* server_;
  static std::string startError_;
};

testing::MariadbServer* MysqlStoreTest::server_ = nullptr;
std::string MysqlStoreTest::startError_;

TEST_F(MysqlStoreTest, StatementsWriteAzkabanRows) {
  auto store = open(config());
  ASSERT_TRUE(store);
  testing::runStoreScenario(*store, testing::freshTempDir("mysql-scenario"));
  // The columns the web reads are typed as in 3.81 (sanity check on the real schema).
  std::string types = sqlOutput(
      "SELECT column_name, column_type FROM information_schema.columns WHERE table_schema='" +
      server_->database() + "' AND table_name='execution_logs' ORDER BY ordinal_position");
  EXPECT_NE(types.find("log\tlongblob"), std::string::npos) << types;
}

TEST_F(MysqlStoreTest, UnixSocketConnection) {
  MysqlConfig c = config();
  c.unixSocket = server_->socketPath().string();
  c.host = "ignored-when-a-socket-is-set";
  auto store = open(c);
  ASSERT_TRUE(store);
  auto flow = testing::specExampleFlow();
  ASSERT_TRUE(flow);
  auto id = store->createExecution(*flow, 5);
  ASSERT_TRUE(id.ok()) << id.error().message;
  auto fetched = store->fetchExecutableFlow(*id);
  ASSERT_TRUE(fetched.ok() && fetched->has_value());
  EXPECT_EQ((**fetched)->executionId, *id);
}

TEST_F(MysqlStoreTest, ReadsPlainEncodedFlowData) {
  // enc_type 1 (PLAIN) rows, as written by other tools, must load as well (4.2).
  std::string json = testing::kSpecExample;
  std::string quoted;
  for (char ch : json) {
    if (ch == '\'' || ch == '\\') quoted += '\\';
    quoted += ch;
  }
  sqlOutput(
      "INSERT INTO execution_flows (project_id, version, flow_id, status, enc_type, "
      "flow_data) VALUES (7, 3, 'main', 30, 1, '" +
          quoted + "')",
      server_->database());
  std::string idText = sqlOutput("SELECT MAX(exec_id) FROM execution_flows", server_->database());
  int id = std::stoi(idText.substr(idText.find('\n') + 1));
  auto store = open(config());
  ASSERT_TRUE(store);
  auto flow = store->fetchExecutableFlow(id);
  ASSERT_TRUE(flow.ok()) << flow.error().message;
  ASSERT_TRUE(flow->has_value());
  EXPECT_EQ(flow::toFlowDataJson(***flow), nlohmann::json::parse(json));
}

TEST_F(MysqlStoreTest, InitSchemaCreatesTheReferenceSchemaIdempotently) {
  const std::string fresh = "azx_fresh";
  sqlOutput("DROP DATABASE IF EXISTS " + fresh + "; CREATE DATABASE " + fresh +
            "; GRANT ALL PRIVILEGES ON " + fresh + ".* TO '" + server_->user() + "'@'%';");
  auto store = open(config(fresh));
  ASSERT_TRUE(store);
  auto first = store->initSchema();
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto describe = [&](const std::string& db) {
    return sqlOutput(
        "SELECT table_name, column_name, ordinal_position, column_type, is_nullable, "
        "column_default, column_key, extra FROM information_schema.columns WHERE "
        "table_schema='" +
        db +
        "' ORDER BY table_name, ordinal_position; "
        "SELECT table_name, index_name, seq_in_index, column_name, non_unique FROM "
        "information_schema.statistics WHERE table_schema='" +
        db + "' ORDER BY table_name, index_name, seq_in_index");
  };
  std::string created = describe(fresh);
  EXPECT_NE(created.find("execution_flows\tflow_priority"), std::string::npos);
  EXPECT_NE(created.find("QRTZ_TRIGGERS"), std::string::npos);
  if (server_->referenceSchemaApplied()) {
    EXPECT_EQ(created, describe(server_->database()))
        << "initSchema must produce the same tables and indexes as the 3.81 files";
  }
  // Again: nothing changes; a dropped table comes back with its indexes.
  auto second = store->initSchema();
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(describe(fresh), created);
  sqlOutput("DROP TABLE execution_logs", fresh);
  auto third = store->initSchema();
  ASSERT_TRUE(third.ok()) << third.error().message;
  EXPECT_EQ(describe(fresh), created);
  // And on the reference database it is a no-op.
  auto onReference = open(config());
  ASSERT_TRUE(onReference);
  EXPECT_TRUE(onReference->initSchema().ok());
  sqlOutput("DROP DATABASE " + fresh);
}

TEST_F(MysqlStoreTest, PoolIsBoundedByNumConnections) {
  MysqlConfig c = config();
  c.numConnections = 3;
  auto store = open(c);
  ASSERT_TRUE(store);
  auto flow = testing::specExampleFlow();
  ASSERT_TRUE(flow);
  ASSERT_TRUE(store->createExecution(*flow, 1).ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        flow::ExecutableNode node;
        node.id = "pool" + std::to_string(t) + "_" + std::to_string(i);
        node.type = "command";
        node.parent = &flow->root;
        if (!store->uploadExecutableNode(*flow, node, nullptr).ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto rows = store->fetchJobRows(flow->executionId);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 80u);
  std::string count = sqlOutput("SELECT COUNT(*) FROM information_schema.processlist WHERE user='" +
                                server_->user() + "'");
  // Output is "COUNT(*)\n<n>\n"; other stores of this test binary are closed by now.
  int connections = std::stoi(count.substr(count.find('\n') + 1));
  EXPECT_GE(connections, 1);
  EXPECT_LE(connections, 3);
}

TEST_F(MysqlStoreTest, ReadOnlyServerIsRefused) {
  sqlOutput("SET GLOBAL read_only=1");
  auto store = MysqlStore::open(config(), [](const std::string&) {});
  sqlOutput("SET GLOBAL read_only=0");
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("read-only"), std::string::npos) << store.error().message;
}

TEST_F(MysqlStoreTest, WriteWaitsForARestartedServer) {
  std::mutex logMutex;
  std::vector<std::string> messages;
  MysqlConfig c = config();
  c.retry.maxAttempts = 0;  // forever, like Java
  c.retry.initialBackoffMillis = 100;
  c.retry.maxBackoffMillis = 500;
  auto store = open(c, [&](const std::string& m) {
    std::lock_guard lock(logMutex);
    messages.push_back(m);
  });
  ASSERT_TRUE(store);
  auto flow = testing::specExampleFlow();
  ASSERT_TRUE(flow);
  ASSERT_TRUE(store->createExecution(*flow, 1).ok());
  flow->root.status = Status::Running;
  flow->root.updateTime = 111;
  ASSERT_TRUE(store->updateExecutableFlow(*flow).ok());  // first write: pooled connection

  std::string error;
  ASSERT_TRUE(server_->stop(&error)) << error;
  std::atomic<bool> restarted{false};
  std::thread restarter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    std::string e;
    restarted = server_->startAgain(&e);
  });
  flow->root.status = Status::Succeeded;
  flow->root.updateTime = 222;
  auto second = store->updateExecutableFlow(*flow);  // blocks until the server is back
  restarter.join();
  ASSERT_TRUE(restarted.load());
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_GT(store->retryCount(), 0u);

  auto row = store->fetchExecutionRow(flow->executionId);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->status, 50);
  EXPECT_EQ((*row)->updateTime, 222);
  std::lock_guard lock(logMutex);
  ASSERT_FALSE(messages.empty());
  for (const auto& m : messages) {
    EXPECT_EQ(m.find(server_->password()), std::string::npos) << m;
  }
  EXPECT_NE(messages.front().find("F2"), std::string::npos) << messages.front();
}

TEST_F(MysqlStoreTest, GivesUpAfterTheConfiguredAttempts) {
  std::atomic<int> logged{0};
  auto store = open(config(), [&](const std::string&) { ++logged; });  // 3 tries, 50-200 ms
  ASSERT_TRUE(store);
  auto flow = testing::specExampleFlow();
  ASSERT_TRUE(flow);
  ASSERT_TRUE(store->createExecution(*flow, 1).ok());
  std::string error;
  ASSERT_TRUE(server_->stop(&error)) << error;
  auto failed = store->updateExecutableFlow(*flow);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("gave up after 3 tries"), std::string::npos)
      << failed.error().message;
  EXPECT_EQ(logged.load(), 2);  // one message per retry
  ASSERT_TRUE(server_->startAgain(&error)) << error;
  EXPECT_TRUE(store->updateExecutableFlow(*flow).ok());
}

}  // namespace
}  // namespace azx::store
