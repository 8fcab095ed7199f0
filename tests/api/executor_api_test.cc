#include "api/executor_api.h"

#include <gtest/gtest.h>

namespace azx::api {
namespace {

// Records what the API asked for; answers are set per test.
class FakeBackend final : public ExecutorBackend {
 public:
  Result<void> execute(int execId) override {
    calls.push_back("execute " + std::to_string(execId));
    return executeResult;
  }
  Result<void> cancel(int execId, const std::string& user) override {
    calls.push_back("cancel " + std::to_string(execId) + " " + user);
    return running
               ? okResult()
               : Result<void>(Error{"Execution " + std::to_string(execId) + " is not running."});
  }
  Result<void> pause(int execId, const std::string& user) override {
    calls.push_back("pause " + std::to_string(execId) + " " + user);
    return okResult();
  }
  Result<void> resume(int execId, const std::string& user) override {
    calls.push_back("resume " + std::to_string(execId) + " " + user);
    return okResult();
  }
  Result<void> retryFailures(int execId, const std::string& user) override {
    calls.push_back("retry " + std::to_string(execId) + " " + user);
    return okResult();
  }
  std::vector<nlohmann::json> update(const std::vector<int>& ids,
                                     const std::vector<int64_t>& times) override {
    std::vector<nlohmann::json> out;
    for (size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] == 404) {
        out.push_back({{"error", "Flow does not exist"}, {"executionId", ids[i]}});
      } else if (times[i] < 100) {
        out.push_back({{"id", "main"}, {"status", 30}, {"executionId", ids[i]}});
      }
    }
    return out;
  }
  Result<FileSlice> readLog(int, const std::string& jobId, int attempt, int64_t offset,
                            int64_t) override {
    calls.push_back("log " + jobId + " " + std::to_string(attempt) + " " + std::to_string(offset));
    return FileSlice{offset, "abc"};
  }
  Result<FileSlice> readMetadata(int, const std::string&, int, int64_t offset, int64_t) override {
    return FileSlice{offset, ""};
  }
  Result<nlohmann::json> attachments(int, const std::string&, int) override {
    return nlohmann::json(nullptr);
  }
  std::optional<std::pair<Status, int64_t>> status(int execId) override {
    if (execId == 7) return std::make_pair(Status::Running, int64_t{1234});
    return std::nullopt;
  }
  Result<void> setActive(bool active) override {
    calls.push_back(active ? "activate" : "deactivate");
    return okResult();
  }
  Result<OwnRow> ownRow() override { return OwnRow{3, true}; }
  Result<void> shutdown() override { return okResult(); }
  Result<void> reloadJobTypePlugins() override { return okResult(); }
  ExecutorStatistics statistics(bool) override {
    ExecutorStatistics s;
    s.remainingMemoryInMB = 8000;
    s.remainingFlowCapacity = 29;
    s.numberOfAssignedFlows = 1;
    return s;
  }
  std::vector<int> runningExecutionIds() override { return {1042, 1043}; }
  std::vector<int> queuedExecutionIds() override { return {}; }
  std::string prometheusMetrics() override { return ""; }
  bool healthy(std::string*) override { return true; }

  Result<void> executeResult = okResult();
  bool running = true;
  std::vector<std::string> calls;
};

nlohmann::json call(FakeBackend& backend, Params params) {
  return handleExecutorRequest(params, backend);
}

TEST(ExecutorApi, MissingActionIsTheFirstCheck) {
  FakeBackend backend;
  EXPECT_EQ(call(backend, {{"execid", "1"}}),
            nlohmann::json({{"error", "Parameter action not set"}}));
}

TEST(ExecutorApi, UnknownActionWithoutExecIdAsksForExecId) {
  FakeBackend backend;
  EXPECT_EQ(call(backend, {{"action", "bogus"}})["error"], "Missing required parameter 'execid'.");
  EXPECT_EQ(call(backend, {{"action", "bogus"}, {"execid", "5"}})["error"],
            "action: 'bogus' not supported.");
}

TEST(ExecutorApi, MalformedExecIdUsesJavaNumberMessage) {
  FakeBackend backend;
  EXPECT_EQ(call(backend, {{"action", "execute"}, {"execid", "null"}})["error"],
            "For input string: \"null\"");
  EXPECT_EQ(call(backend, {{"action", "execute"}, {"execid", "99999999999"}})["error"],
            "For input string: \"99999999999\"");
  EXPECT_TRUE(backend.calls.empty());
}

TEST(ExecutorApi, ExecuteRepliesEmptyObjectOrError) {
  FakeBackend backend;
  EXPECT_EQ(call(backend, {{"action", "execute"}, {"execid", "12"}, {"user", ""}}),
            nlohmann::json::object());
  backend.executeResult = Error{"Error loading flow with exec 13"};
  EXPECT_EQ(call(backend, {{"action", "execute"}, {"execid", "13"}})["error"],
            "Error loading flow with exec 13");
  EXPECT_EQ(backend.calls, (std::vector<std::string>{"execute 12", "execute 13"}));
}

TEST(ExecutorApi, CancelNeedsUserButAcceptsEmpty) {
  FakeBackend backend;
  EXPECT_EQ(call(backend, {{"action", "cancel"}, {"execid", "4"}})["error"],
            "user has not been set");
  EXPECT_EQ(call(backend, {{"action", "cancel"}, {"execid", "4"}, {"user", ""}}),
            nlohmann::json({{"status", "success"}}));
  backend.running = false;
  EXPECT_EQ(call(backend, {{"action", "cancel"}, {"execid", "4"}, {"user", "bob"}})["error"],
            "Execution 4 is not running.");
}

TEST(ExecutorApi, UpdateParsesJsonArraysAndReportsMissingFlows) {
  FakeBackend backend;
  auto reply = call(backend, {{"action", "update"},
                              {"execid", "null"},
                              {"user", ""},
                              {"executionId", "[1042,404,1043]"},
                              {"updatetime", "[-1,5,500]"}});
  ASSERT_TRUE(reply["updated"].is_array());
  ASSERT_EQ(reply["updated"].size(), 2u);
  EXPECT_EQ(reply["updated"][0]["executionId"], 1042);
  EXPECT_EQ(reply["updated"][1],
            nlohmann::json({{"error", "Flow does not exist"}, {"executionId", 404}}));
  EXPECT_EQ(call(backend, {{"action", "update"}, {"executionId", "[1]"}})["error"],
            "Missing required parameter 'updatetime'.");
  EXPECT_TRUE(call(backend, {{"action", "update"}, {"executionId", "[1"}, {"updatetime", "[1]"}})
                  .contains("error"));
}

TEST(ExecutorApi, LogSelectsFlowOrJobAndDefaultsAttempt) {
  FakeBackend backend;
  auto flow = call(
      backend,
      {{"action", "log"}, {"execid", "1"}, {"type", "flow"}, {"offset", "0"}, {"length", "100"}});
  EXPECT_EQ(flow, nlohmann::json({{"offset", 0}, {"length", 3}, {"data", "abc"}}));
  call(backend, {{"action", "log"},
                 {"execid", "1"},
                 {"type", "job"},
                 {"jobId", "sub:jobB"},
                 {"attempt", "x"},
                 {"offset", "10"},
                 {"length", "5"}});
  EXPECT_EQ(backend.calls.back(), "log sub:jobB 0 10");
  EXPECT_EQ(call(backend, {{"action", "log"},
                           {"execid", "1"},
                           {"type", "job"},
                           {"offset", "0"},
                           {"length", "1"}})["error"],
            "Missing required parameter 'jobId'.");
}

TEST(ExecutorApi, StatusAndGetStatusShapes) {
  FakeBackend backend;
  EXPECT_EQ(call(backend, {{"action", "status"}, {"execid", "7"}}),
            nlohmann::json({{"status", "RUNNING"}, {"lasttime", 1234}}));
  EXPECT_EQ(call(backend, {{"action", "status"}, {"execid", "8"}}),
            nlohmann::json({{"status", "notfound"}}));
  EXPECT_EQ(call(backend, {{"action", "getStatus"}}),
            nlohmann::json({{"executor_id", "3"}, {"isActive", "true"}, {"status", "success"}}));
  EXPECT_EQ(call(backend, {{"action", "ping"}}), nlohmann::json({{"status", "alive"}}));
}

TEST(ExecutorApi, ModifyExecutionNeedsTypeAndIgnoresOthers) {
  FakeBackend backend;
  EXPECT_EQ(call(backend, {{"action", "modifyExecution"}, {"execid", "2"}})["error"],
            "Missing required parameter 'modifyType'.");
  EXPECT_EQ(
      call(backend, {{"action", "modifyExecution"}, {"execid", "2"}, {"modifyType", "other"}}),
      nlohmann::json::object());
  EXPECT_EQ(call(backend, {{"action", "modifyExecution"},
                           {"execid", "2"},
                           {"modifyType", "retryFailures"},
                           {"user", "al"}}),
            nlohmann::json::object());
  EXPECT_EQ(backend.calls.back(), "retry 2 al");
}

TEST(ServerStatistics, HasExactlySixKeysWithIntegerTypes) {
  FakeBackend backend;
  auto stats = handleServerStatistics({}, backend);
  EXPECT_EQ(stats.size(), 6u);
  EXPECT_TRUE(stats["remainingMemoryInMB"].is_number_integer());
  EXPECT_TRUE(stats["remainingFlowCapacity"].is_number_integer());
  EXPECT_TRUE(stats["cpuUsage"].is_number_float());
  EXPECT_EQ(stats["remainingFlowCapacity"], 29);
}

TEST(StatsAndJmx, AnswerAsAzkabanWithoutMetrics) {
  FakeBackend backend;
  EXPECT_EQ(handleStats({}), nlohmann::json::object());
  EXPECT_EQ(handleStats({{"action", "getAllMetricNames"}})["error"],
            "MetricReportManager is not available");
  EXPECT_EQ(handleStats({{"action", "enableMetrics"}})["error"], "MetricManager is not available");
  auto beans = handleJmx({{"getMBeans", ""}}, backend);
  ASSERT_EQ(beans["mbeans"].size(), 5u);
  EXPECT_EQ(beans["mbeans"][1]["keyPropertyList"]["name"], "flowRunnerManager");
  auto attrs =
      handleJmx({{"getAllMBeanAttributes", ""},
                 {"mBean", "azkaban.execapp.jmx.JmxFlowRunnerManager:name=flowRunnerManager"}},
                backend);
  EXPECT_EQ(attrs["attributes"]["RunningFlows"], "[1042, 1043]");
  EXPECT_EQ(handleJmx({{"getAllMBeanAttributes", ""}}, backend)["error"],
            "Parameters 'mbean' must be set");
}

TEST(Utf8Trimming, DropsPartialCharactersAtBothEnds) {
  // "é" is C3 A9; "€" is E2 82 AC.
  std::string text =
      "\xA9"
      "ab\xE2\x82";
  auto slice = trimToUtf8(10, text);
  EXPECT_EQ(slice.offset, 11);
  EXPECT_EQ(slice.data, "ab");
  auto whole = trimToUtf8(0, "x\xE2\x82\xAC");
  EXPECT_EQ(whole.data, "x\xE2\x82\xAC");
}

}  // namespace
}  // namespace azx::api
