#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/event_loop.h"
#include "engine/engine.h"
#include "engine/execution_listener.h"
#include "flow/executable_flow.h"
#include "flow/project.h"
#include "jobtypes/job_type.h"
#include "jobtypes/plugin_props.h"
#include "tests/support/test_job_type.h"

namespace azx::testing {

using namespace std::chrono_literals;

struct RecordedEvent {
  engine::EventType type;
  std::string nestedId;  // empty for the root flow
  Status status;
};

// Everything one execution reported, in order. Written on the loop thread; read it through
// EngineHarness::onLoop (or after the execution ended and the loop went quiet).
class RecordingListener final : public engine::ExecutionListener {
 public:
  void onEvent(engine::EventType type, const flow::ExecutableFlow& flow,
               const flow::ExecutableNode& node) override;
  void onFlowUpdated(const flow::ExecutableFlow& flow) override;
  void onJobAttemptStarted(const flow::ExecutableFlow& flow, const flow::ExecutableNode& node,
                           const PropsPtr& inputProps) override;
  void onJobUpdated(const flow::ExecutableFlow& flow, const flow::ExecutableNode& node) override;
  void onJobAttemptFinished(const flow::ExecutableFlow& flow, const flow::ExecutableNode& node,
                            const std::vector<std::filesystem::path>& logFiles,
                            const std::optional<std::filesystem::path>& attachment) override;
  void onFlowFinished(const flow::ExecutableFlow& flow,
                      const std::filesystem::path& flowLog) override;

  std::vector<RecordedEvent> events;
  std::vector<engine::EventType> rootEvents;  // every event about the root node
  // FLOW_STARTED / FLOW_FINISHED only, in order: the upstream tests filter JOB_* events out.
  std::vector<engine::EventType> flowEvents;
  std::map<std::string, std::vector<engine::EventType>> nodeEvents;
  std::vector<std::string> jobStartOrder;  // nested ids in JOB_STARTED order (jobs only)
  std::map<std::string, int> j1;           // onJobAttemptStarted per node
  std::map<std::string, int> j2;           // onJobUpdated per node
  std::map<std::string, int> attemptsFinished;
  // Flattened node input props per attempt, taken at JOB_STATUS_CHANGED (after the runner
  // added its keys, flow-semantics 2.4).
  std::map<std::string, std::vector<std::map<std::string, std::string>>> runningInputs;
  // The root's status at every event and flow update, consecutive duplicates dropped.
  std::vector<Status> rootStatuses;
  int flowUpdates = 0;
  bool flowFinished = false;
};

struct HarnessOptions {
  std::optional<std::string> webServerUrl;  // azkaban.webserver.url
  bool pollModel = false;
  engine::Alerter* alerter = nullptr;
  TestJobTypeOptions testJobs;
};

// The engine on a loop thread of its own, with the `command`, `noop` and `test` job types.
// Tests talk to it only through onLoop() (post + wait), never touching engine objects directly.
class EngineHarness {
 public:
  explicit EngineHarness(HarnessOptions options = {});
  ~EngineHarness();
  EngineHarness(const EngineHarness&) = delete;
  EngineHarness& operator=(const EngineHarness&) = delete;

  // Runs `f` on the loop thread and returns its result (inline when already on it, so
  // predicates given to waitUntil may use the query helpers).
  template <class F>
  auto onLoop(F f) -> std::invoke_result_t<F&> {
    using R = std::invoke_result_t<F&>;
    if (std::this_thread::get_id() == loopThreadId_) return f();
    auto task = std::make_shared<std::packaged_task<R()>>(std::move(f));
    std::future<R> result = task->get_future();
    loop_.post([task] { (*task)(); });
    return result.get();
  }
  // Re-checks `predicate` on the loop every 10 ms until it holds or `timeout` passed.
  bool waitUntil(const std::function<bool()>& predicate, std::chrono::milliseconds timeout = 20s);

  TestJobController& jobs() { return *controller_; }
  const Clock& clock() const { return clock_; }
  jobtypes::JobTypeRegistry& registry() { return registry_; }

  // A fresh execution directory holding a copy of `projectDir`.
  std::filesystem::path copyProject(const std::filesystem::path& projectDir,
                                    const std::string& label);
  int nextExecId() { return nextExecId_++; }
  // Submits on the loop; the flow keeps its executionId (set one with nextExecId()).
  int submit(std::unique_ptr<flow::ExecutableFlow> flow,
             std::shared_ptr<engine::NodePropsSource> propsSource,
             const std::filesystem::path& executionDir);

  // Live status of a node ("" = the root flow) or, once the execution ended, its final one.
  std::optional<Status> status(int execId, const std::string& nestedId);
  bool ended(int execId);
  bool killedFlag(int execId);
  // Flattened input/output props of the node as the engine holds them now (empty when none).
  std::map<std::string, std::string> inputProps(int execId, const std::string& nestedId);
  std::optional<std::map<std::string, std::string>> outputProps(int execId,
                                                                const std::string& nestedId);
  // Reads `f(node)` for a node of the live or final flow; nullopt if absent.
  template <class F>
  auto readNode(int execId, const std::string& nestedId, F f)
      -> std::optional<std::invoke_result_t<F&, const flow::ExecutableNode&>> {
    return onLoop([&]() -> std::optional<std::invoke_result_t<F&, const flow::ExecutableNode&>> {
      const flow::ExecutableNode* node = findNode(execId, nestedId);
      if (!node) return std::nullopt;
      return f(*node);
    });
  }
  // The listener of `execId`; read its fields on the loop or once the execution ended.
  RecordingListener& recorder(int execId) {
    return *onLoop([&] { return recorders_.at(execId).get(); });
  }
  // The final flow (a snapshot taken when the execution ended), or null while it runs.
  const flow::ExecutableFlow* finalFlow(int execId);

  void kill(int execId, const std::string& user);
  Result<void> pause(int execId, const std::string& user);
  void resume(int execId, const std::string& user);

  // Every (nestedId, status) holds within `timeout`; on failure lists what was seen.
  ::testing::AssertionResult expect(int execId,
                                    const std::vector<std::pair<std::string, Status>>& expected,
                                    std::chrono::milliseconds timeout = 20s);

 private:
  const flow::ExecutableNode* findNode(int execId, const std::string& nestedId) const;

  HarnessOptions options_;
  SystemClock clock_;
  EventLoop loop_;
  std::thread thread_;
  std::thread::id loopThreadId_;
  jobtypes::JobTypeRegistry registry_;
  std::optional<jobtypes::JobTypePlugins> plugins_;
  std::shared_ptr<TestJobController> controller_;
  std::unique_ptr<engine::Engine> engine_;
  std::map<int, std::unique_ptr<RecordingListener>> recorders_;
  std::map<int, std::unique_ptr<flow::ExecutableFlow>> finished_;
  std::map<int, bool> killedAtEnd_;
  int nextExecId_ = 101;
};

// One execution of an EngineHarness, for readable scenario steps.
class Execution {
 public:
  Execution(EngineHarness& harness, int execId) : h_(harness), id_(execId) {}
  int id() const { return id_; }

  std::optional<Status> status(const std::string& nestedId) { return h_.status(id_, nestedId); }
  std::optional<Status> flowStatus() { return h_.status(id_, ""); }
  bool ended() { return h_.ended(id_); }
  bool waitEnded(std::chrono::milliseconds timeout = 30s) {
    return h_.waitUntil([this] { return h_.ended(id_); }, timeout);
  }
  ::testing::AssertionResult expect(const std::vector<std::pair<std::string, Status>>& expected,
                                    std::chrono::milliseconds timeout = 20s) {
    return h_.expect(id_, expected, timeout);
  }
  std::map<std::string, std::string> inputProps(const std::string& nestedId) {
    return h_.inputProps(id_, nestedId);
  }
  std::optional<std::map<std::string, std::string>> outputProps(const std::string& nestedId) {
    return h_.outputProps(id_, nestedId);
  }
  // Controller actions on this execution's W/S jobs.
  bool succeed(const std::string& nestedId,
               const std::map<std::string, std::string>& outputs = {}) {
    return h_.jobs().succeed(nestedId, outputs, id_);
  }
  bool fail(const std::string& nestedId) { return h_.jobs().fail(nestedId, id_); }
  void setIgnoreKill(const std::string& nestedId, bool ignore) {
    h_.jobs().setIgnoreKill(nestedId, ignore, id_);
  }
  void kill(const std::string& user) { h_.kill(id_, user); }
  Result<void> pause(const std::string& user) { return h_.pause(id_, user); }
  void resume(const std::string& user) { h_.resume(id_, user); }
  RecordingListener& recorder() { return h_.recorder(id_); }

 private:
  EngineHarness& h_;
  int id_;
};

// A project loaded for an execution: the executable flow and where its files are.
struct PreparedFlow {
  std::shared_ptr<flow::Project> project;
  std::unique_ptr<flow::ExecutableFlow> flow;
  std::filesystem::path executionDir;
  std::shared_ptr<engine::NodePropsSource> propsSource;
};

// Copies `projectDir` into a fresh execution dir, loads it and instantiates `flowId` with
// `options` (disabled jobs applied), execution id from the harness, project `projectName`.
PreparedFlow prepareFlow(EngineHarness& harness, const std::filesystem::path& projectDir,
                         const std::string& flowId, const flow::ExecutionOptions& options = {},
                         const std::string& projectName = "testProject");

// One edge parent -> child of a hand-built Flow 1.0 graph.
using Edge = std::pair<std::string, std::string>;
// exectest1's legacy JSON graphs (conformance 0.3): every job `type=test`, jobSource
// `<id>.job`, propSource `prop2.properties`; the root has the props chain prop2 -> prop1.
std::unique_ptr<flow::ExecutableFlow> buildExecTest1Flow(const std::string& flowId,
                                                         const std::vector<Edge>& edges);
extern const std::vector<Edge> kGraphExec1;
extern const std::vector<Edge> kGraphExec2;
extern const std::vector<Edge> kGraphExec3;
extern const std::vector<Edge> kGraphExec4;

const char* statusName(const std::optional<Status>& status);

}  // namespace azx::testing
