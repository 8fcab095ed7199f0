// `executors list` / `executors prune` end to end: a real MariaDB, a fake live executor on
// loopback, and rows of executors that refuse, hang or answer wrongly.

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>

#include "cli/executors_command.h"
#include "flow/flow_data.h"
#include "tests/cli/fake_executor.h"
#include "tests/store/mysql_fixture.h"
#include "tests/store/store_scenario.h"
#include "tests/support/test_paths.h"

namespace azx::cli {
namespace {

class ExecutorsPruneTest : public testing::MysqlFixture {
 protected:
  void SetUp() override {
    MysqlFixture::SetUp();
    if (::testing::Test::IsSkipped() || HasFatalFailure()) return;
    sql("DELETE FROM executors; DELETE FROM execution_flows; DELETE FROM execution_jobs; "
        "DELETE FROM active_executing_flows;");
    store_ = open(config());
    ASSERT_TRUE(store_);
    confDir_ = testing::freshTempDir("executors-prune-conf");
    writeConf(confDir_, server_->port());
  }

  static void writeConf(const std::filesystem::path& dir, int port) {
    std::ofstream out(dir / "azkaban.properties");
    out << "database.type=mysql\nmysql.host=127.0.0.1\nmysql.port=" << port
        << "\nmysql.database=" << server_->database() << "\nmysql.user=" << server_->user()
        << "\nmysql.password=" << server_->password() << "\nmysql.numconnections=2\n";
  }

  int addExecutor(int port, bool active) {
    EXPECT_TRUE(store_->insertExecutor("127.0.0.1", port).ok());
    auto row = store_->fetchExecutor("127.0.0.1", port);
    EXPECT_TRUE(row.ok() && row->has_value());
    int id = (*row)->id;
    if (active) {
      EXPECT_TRUE(store_->updateExecutor(id, "127.0.0.1", port, true).ok());
    }
    return id;
  }

  // A running execution (spec example state) dispatched to `executorId`.
  int addRunningExecution(int executorId, Status status = Status::Running) {
    auto flow = testing::specExampleFlow();
    EXPECT_TRUE(flow);
    auto id = store_->createExecution(*flow, 1700000000000);
    EXPECT_TRUE(id.ok());
    flow->root.status = status;
    flow->root.endTime = isFinished(status) ? 1700000100000 : -1;
    EXPECT_TRUE(store_->updateExecutableFlow(*flow).ok());
    sql("UPDATE execution_flows SET executor_id=" + std::to_string(executorId) +
        " WHERE exec_id=" + std::to_string(*id));
    return *id;
  }

  // An execution a web assigned to `executorId` that no executor started: PREPARING, no
  // start time, every node READY (the state between the web's dispatch and `execute`).
  int addNeverStartedExecution(int executorId) {
    auto flow = testing::specExampleFlow();
    EXPECT_TRUE(flow);
    auto id = store_->createExecution(*flow, 1700000000000);
    EXPECT_TRUE(id.ok());
    flow->root.status = Status::Preparing;
    flow->root.startTime = -1;
    for (auto& node : flow->root.nodes) {
      node->status = Status::Ready;
      node->startTime = node->endTime = node->updateTime = -1;
    }
    EXPECT_TRUE(store_->updateExecutableFlow(*flow).ok());
    sql("UPDATE execution_flows SET executor_id=" + std::to_string(executorId) +
        " WHERE exec_id=" + std::to_string(*id));
    return *id;
  }

  void addJobRow(int execId, const std::string& jobId, int attempt, int status, int64_t end) {
    sql("INSERT INTO execution_jobs (exec_id, project_id, version, flow_id, job_id, attempt, "
        "start_time, end_time, status) VALUES (" +
        std::to_string(execId) + ", 7, 3, 'main', '" + jobId + "', " + std::to_string(attempt) +
        ", 1700000005100, " + std::to_string(end) + ", " + std::to_string(status) + ")");
  }

  static int64_t wallMillis() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  std::unique_ptr<store::MysqlStore> store_;
  std::filesystem::path confDir_;
};

TEST_F(ExecutorsPruneTest, PrunesOnlyExecutorsThatDoNotAnswer) {
  FakeExecutor live(R"({"status":"alive"})");
  FakeExecutor confused(R"({"error":"not an executor"})");
  SilentPort refusing(false);
  SilentPort hanging(true);

  const int liveId = addExecutor(live.port(), true);
  const int deadId = addExecutor(refusing.port(), true);
  const int hangingId = addExecutor(hanging.port(), false);
  const int confusedId = addExecutor(confused.port(), true);
  const int liveExec = addRunningExecution(liveId);
  const int deadExec = addRunningExecution(deadId);
  const int deadDone = addRunningExecution(deadId, Status::Succeeded);

  // list first: every row, with the right verdict.
  std::ostringstream listed;
  ASSERT_EQ(executorsList({confDir_, "json", 500}, listed), 0);
  auto rows = nlohmann::json::parse(listed.str());
  ASSERT_EQ(rows.size(), 4u) << listed.str();
  std::map<int, bool> alive;
  for (const auto& r : rows) alive[r["id"].get<int>()] = r["alive"].get<bool>();
  EXPECT_EQ(alive, (std::map<int, bool>{
                       {liveId, true}, {deadId, false}, {hangingId, false}, {confusedId, false}}));
  EXPECT_EQ(rows[0]["host"], "127.0.0.1");
  EXPECT_EQ(rows[0]["port"], live.port());
  EXPECT_EQ(rows[0]["active"], true);

  std::ostringstream out;
  const int rc = executorsPrune({confDir_, 500}, out);
  EXPECT_EQ(rc, 0) << out.str();
  std::cout << out.str();
  EXPECT_GE(live.pings(), 2);  // once by list, once by prune

  auto remaining = store_->listExecutors();
  ASSERT_TRUE(remaining.ok());
  ASSERT_EQ(remaining->size(), 1u);
  EXPECT_EQ((*remaining)[0].id, liveId);
  EXPECT_TRUE((*remaining)[0].active);
  EXPECT_EQ((*remaining)[0].port, live.port());

  auto dead = store_->fetchExecutionRow(deadExec);
  ASSERT_TRUE(dead.ok() && dead->has_value());
  EXPECT_EQ((*dead)->status, 70);
  ASSERT_TRUE((*dead)->endTime.has_value());
  EXPECT_GT(*(*dead)->endTime, 1700000000000);
  auto deadFlow = store_->fetchExecutableFlow(deadExec);
  ASSERT_TRUE(deadFlow.ok() && deadFlow->has_value());
  EXPECT_EQ((**deadFlow)->root.status, Status::Failed);
  EXPECT_EQ((**deadFlow)->root.endTime, *(*dead)->endTime);

  // Finished executions of the dead executor and everything of the live one are untouched.
  auto done = store_->fetchExecutionRow(deadDone);
  ASSERT_TRUE(done.ok() && done->has_value());
  EXPECT_EQ((*done)->status, 50);
  EXPECT_EQ((*done)->endTime, 1700000100000);
  auto running = store_->fetchExecutionRow(liveExec);
  ASSERT_TRUE(running.ok() && running->has_value());
  EXPECT_EQ((*running)->status, 30);
  EXPECT_EQ((*running)->endTime, -1);
  EXPECT_EQ((*running)->executorId, liveId);

  EXPECT_NE(out.str().find("execution " + std::to_string(deadExec) + " (RUNNING) finalised"),
            std::string::npos);
  EXPECT_NE(out.str().find("pruned 3 of 4"), std::string::npos);

  // A second run has nothing left to do.
  std::ostringstream again;
  EXPECT_EQ(executorsPrune({confDir_, 500}, again), 0);
  EXPECT_NE(again.str().find("pruned 0 of 1"), std::string::npos) << again.str();
}

TEST_F(ExecutorsPruneTest, NeverStartedExecutionIsLeftToTheWeb) {
  SilentPort refusing(false);
  const int deadId = addExecutor(refusing.port(), true);
  const int pending = addNeverStartedExecution(deadId);
  sql("INSERT INTO active_executing_flows (exec_id, update_time) VALUES (" +
      std::to_string(pending) + ", 1)");
  auto before = store_->fetchExecutionRow(pending);
  ASSERT_TRUE(before.ok() && before->has_value());
  ASSERT_EQ((*before)->status, 20);

  std::ostringstream out;
  EXPECT_EQ(executorsPrune({confDir_, 500}, out), 0) << out.str();
  std::cout << out.str();
  EXPECT_NE(out.str().find("warning: execution " + std::to_string(pending) +
                           " not finalised: never started (PREPARING); left to the web, "),
            std::string::npos)
      << out.str();
  EXPECT_EQ(out.str().find("finalised as FAILED"), std::string::npos) << out.str();
  // The row is pruned all the same; the web finalises the execution once it is gone.
  EXPECT_NE(out.str().find("pruned 1 of 1"), std::string::npos) << out.str();
  auto remaining = store_->listExecutors();
  ASSERT_TRUE(remaining.ok());
  EXPECT_TRUE(remaining->empty());

  auto row = store_->fetchExecutionRow(pending);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->status, 20);
  EXPECT_EQ((*row)->startTime, -1);
  EXPECT_EQ((*row)->endTime, (*before)->endTime);
  EXPECT_EQ((*row)->updateTime, (*before)->updateTime);
  EXPECT_EQ((*row)->executorId, deadId);
  auto stored = store_->fetchExecutableFlow(pending);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((**stored)->root.status, Status::Preparing);
  for (const auto& node : (**stored)->root.nodes) EXPECT_EQ(node->status, Status::Ready);
  EXPECT_EQ(
      sql("SELECT COUNT(*) FROM active_executing_flows WHERE exec_id=" + std::to_string(pending)),
      "COUNT(*)\n1\n");
}

TEST_F(ExecutorsPruneTest, FinalisedExecutionsJobRowsEndFailed) {
  FakeExecutor live(R"({"status":"alive"})");
  SilentPort refusing(false);
  const int liveId = addExecutor(live.port(), true);
  const int deadId = addExecutor(refusing.port(), true);
  const int deadExec = addRunningExecution(deadId);
  const int liveExec = addRunningExecution(liveId);
  // The spec example's attempts: jobA done, sub's jobB retrying after a failure, plus a
  // QUEUED and a KILLING row; the live executor's running job.
  addJobRow(deadExec, "jobA", 0, 50, 1700000065100);
  addJobRow(deadExec, "jobB", 0, 70, 1700000125200);
  addJobRow(deadExec, "jobB", 1, 30, -1);
  addJobRow(deadExec, "queued", 0, 110, -1);
  addJobRow(deadExec, "killing", 0, 55, -1);
  addJobRow(liveExec, "jobB", 0, 30, -1);

  const int64_t start = wallMillis();
  std::ostringstream out;
  EXPECT_EQ(executorsPrune({confDir_, 500}, out), 0) << out.str();
  const int64_t end = wallMillis();
  std::cout << out.str();
  EXPECT_NE(out.str().find("execution " + std::to_string(deadExec) + " (RUNNING) finalised"),
            std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find("pruned 1 of 2"), std::string::npos) << out.str();

  auto dead = store_->fetchExecutionRow(deadExec);
  ASSERT_TRUE(dead.ok() && dead->has_value());
  EXPECT_EQ((*dead)->status, 70);
  ASSERT_TRUE((*dead)->endTime.has_value());
  const int64_t finalisedAt = *(*dead)->endTime;
  EXPECT_GE(finalisedAt, start);
  EXPECT_LE(finalisedAt, end);

  auto rows = store_->fetchJobRows(deadExec);
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  std::map<std::pair<std::string, int>, std::pair<int, int64_t>> got;
  for (const auto& r : *rows) {
    got[{r.jobId, r.attempt.value_or(-1)}] = {r.status.value_or(-1), r.endTime.value_or(-2)};
  }
  using Key = std::pair<std::string, int>;
  EXPECT_EQ(got, (std::map<Key, std::pair<int, int64_t>>{{{"jobA", 0}, {50, 1700000065100}},
                                                         {{"jobB", 0}, {70, 1700000125200}},
                                                         {{"jobB", 1}, {70, finalisedAt}},
                                                         {{"queued", 0}, {70, finalisedAt}},
                                                         {{"killing", 0}, {70, finalisedAt}}}));

  auto liveRows = store_->fetchJobRows(liveExec);
  ASSERT_TRUE(liveRows.ok());
  ASSERT_EQ(liveRows->size(), 1u);
  EXPECT_EQ(liveRows->front().status, 30);
  EXPECT_EQ(liveRows->front().endTime, -1);
}

TEST_F(ExecutorsPruneTest, UnreachableDatabaseIsAnError) {
  SilentPort noDatabase(false);
  auto dir = testing::freshTempDir("executors-prune-nodb");
  writeConf(dir, noDatabase.port());
  std::ostringstream out;
  EXPECT_NE(executorsPrune({dir, 200}, out), 0);
  EXPECT_NE(executorsList({dir, "text", 200}, out), 0);
}

}  // namespace
}  // namespace azx::cli
