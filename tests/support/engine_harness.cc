#include "tests/support/engine_harness.h"

#include <fstream>
#include <sstream>

#include "engine/node_props_source.h"
#include "engine/store_recorder.h"
#include "jobtypes/command/command_job.h"
#include "jobtypes/noop/noop_job.h"
#include "tests/support/test_paths.h"

namespace azx::testing {

// ---- RecordingListener ----

namespace {
void noteRootStatus(std::vector<Status>& seen, Status status) {
  if (seen.empty() || seen.back() != status) seen.push_back(status);
}
}  // namespace

void RecordingListener::onEvent(engine::EventType type, const flow::ExecutableFlow& flow,
                                const flow::ExecutableNode& node) {
  noteRootStatus(rootStatuses, flow.root.status);
  const std::string id = node.nestedId();
  events.push_back(RecordedEvent{type, id, node.status});
  if (type == engine::EventType::FlowStarted || type == engine::EventType::FlowFinished) {
    flowEvents.push_back(type);
  }
  if (node.isRoot()) {
    rootEvents.push_back(type);
    return;
  }
  nodeEvents[id].push_back(type);
  if (type == engine::EventType::JobStarted && !node.isFlow()) jobStartOrder.push_back(id);
  if (type == engine::EventType::JobStatusChanged) {
    runningInputs[id].push_back(node.inputProps ? node.inputProps->flatten()
                                                : std::map<std::string, std::string>{});
  }
}

void RecordingListener::onFlowUpdated(const flow::ExecutableFlow& flow) {
  noteRootStatus(rootStatuses, flow.root.status);
  ++flowUpdates;
}

void RecordingListener::onJobAttemptStarted(const flow::ExecutableFlow& /*flow*/,
                                            const flow::ExecutableNode& node,
                                            const PropsPtr& /*inputProps*/) {
  ++j1[node.nestedId()];
}

void RecordingListener::onJobUpdated(const flow::ExecutableFlow& /*flow*/,
                                     const flow::ExecutableNode& node) {
  ++j2[node.nestedId()];
}

void RecordingListener::onJobAttemptFinished(
    const flow::ExecutableFlow& /*flow*/, const flow::ExecutableNode& node,
    const std::vector<std::filesystem::path>& /*logFiles*/,
    const std::optional<std::filesystem::path>& /*attachment*/) {
  ++attemptsFinished[node.nestedId()];
}

void RecordingListener::onFlowFinished(const flow::ExecutableFlow& /*flow*/,
                                       const std::filesystem::path& /*flowLog*/) {
  flowFinished = true;
}

// ---- EngineHarness ----

EngineHarness::EngineHarness(HarnessOptions options) : options_(std::move(options)) {
  auto dir = freshTempDir("engine-harness");
  controller_ = std::make_shared<TestJobController>(dir / "control");
  (void)registry_.add(std::make_shared<jobtypes::CommandJobFactory>());
  (void)registry_.add(std::make_shared<jobtypes::NoopJobFactory>());
  (void)registry_.add(std::make_shared<TestJobTypeFactory>(controller_, options_.testJobs));
  // As the stock distribution's commonprivate.properties: no setuid helper in tests.
  auto pluginDir = dir / "plugins";
  std::filesystem::create_directories(pluginDir);
  std::ofstream(pluginDir / "commonprivate.properties") << "execute.as.user=false\n"
                                                        << "memCheck.enabled=false\n";
  auto loaded = jobtypes::JobTypePlugins::load(pluginDir, std::nullopt);
  if (loaded) plugins_ = std::move(*loaded);

  thread_ = std::thread([this] { loop_.run(); });
  loopThreadId_ = thread_.get_id();
  onLoop([this] {
    engine::FlowRunnerDeps deps;
    deps.loop = &loop_;
    deps.clock = &clock_;
    deps.registry = &registry_;
    deps.plugins = plugins_ ? &*plugins_ : nullptr;
    deps.alerter = options_.alerter;
    deps.config.pollModel = options_.pollModel;
    deps.config.job.webServerUrl = options_.webServerUrl;
    engine_ = std::make_unique<engine::Engine>(deps);
    return 0;
  });
}

EngineHarness::~EngineHarness() {
  // Leave no process behind: kill whatever still runs, then give the kills time to land.
  std::vector<int> running = onLoop([this] {
    std::vector<int> ids;
    for (engine::FlowRunner* runner : engine_->running()) ids.push_back(runner->executionId());
    for (engine::FlowRunner* runner : engine_->running()) runner->kill("test-teardown");
    return ids;
  });
  if (!running.empty()) {
    waitUntil([this] { return engine_->running().empty(); }, 60s);
  }
  onLoop([this] {
    engine_.reset();
    return 0;
  });
  loop_.stop();
  thread_.join();
}

bool EngineHarness::waitUntil(const std::function<bool()>& predicate,
                              std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (onLoop([&] { return predicate(); })) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
}

std::filesystem::path EngineHarness::copyProject(const std::filesystem::path& projectDir,
                                                 const std::string& label) {
  auto dir = freshTempDir(label);
  std::filesystem::copy(
      projectDir, dir,
      std::filesystem::copy_options::recursive | std::filesystem::copy_options::overwrite_existing);
  return dir;
}

int EngineHarness::submit(std::unique_ptr<flow::ExecutableFlow> flow,
                          std::shared_ptr<engine::NodePropsSource> propsSource,
                          const std::filesystem::path& executionDir) {
  const int execId = flow->executionId;
  auto recorder = std::make_unique<RecordingListener>();
  RecordingListener* raw = recorder.get();
  onLoop([&] {
    recorders_[execId] = std::move(recorder);
    engine::Engine::Submission submission;
    flow->executionPath = executionDir.string();
    submission.flow = std::move(flow);
    submission.propsSource = std::move(propsSource);
    submission.executionDir = executionDir;
    submission.listeners = {raw};
    submission.onFinished = [this, execId](const engine::FlowRunner& done) {
      finished_[execId] = engine::snapshotFlow(done.flow());
      killedAtEnd_[execId] = done.killed();
    };
    auto submitted = engine_->submit(std::move(submission));
    EXPECT_TRUE(submitted.ok()) << (submitted.ok() ? "" : submitted.error().message);
    return 0;
  });
  return execId;
}

const flow::ExecutableNode* EngineHarness::findNode(int execId, const std::string& nestedId) const {
  const flow::ExecutableFlow* flow = nullptr;
  if (engine::FlowRunner* runner = engine_->find(execId)) {
    flow = &runner->flow();
  } else if (auto it = finished_.find(execId); it != finished_.end()) {
    flow = it->second.get();
  }
  if (!flow) return nullptr;
  if (nestedId.empty()) return &flow->root;
  return flow->root.findByNestedId(nestedId);
}

std::optional<Status> EngineHarness::status(int execId, const std::string& nestedId) {
  return readNode(execId, nestedId, [](const flow::ExecutableNode& n) { return n.status; });
}

bool EngineHarness::ended(int execId) {
  return onLoop([&] { return finished_.count(execId) > 0; });
}

bool EngineHarness::killedFlag(int execId) {
  return onLoop([&] {
    if (engine::FlowRunner* runner = engine_->find(execId)) return runner->killed();
    auto it = killedAtEnd_.find(execId);
    return it != killedAtEnd_.end() && it->second;
  });
}

std::map<std::string, std::string> EngineHarness::inputProps(int execId,
                                                             const std::string& nestedId) {
  auto props = readNode(execId, nestedId, [](const flow::ExecutableNode& n) {
    return n.inputProps ? n.inputProps->flatten() : std::map<std::string, std::string>{};
  });
  return props.value_or(std::map<std::string, std::string>{});
}

std::optional<std::map<std::string, std::string>> EngineHarness::outputProps(
    int execId, const std::string& nestedId) {
  auto props = readNode(
      execId, nestedId,
      [](const flow::ExecutableNode& n) -> std::optional<std::map<std::string, std::string>> {
        if (!n.outputProps) return std::nullopt;
        return n.outputProps->flatten();
      });
  if (!props) return std::nullopt;
  return *props;
}

const flow::ExecutableFlow* EngineHarness::finalFlow(int execId) {
  return onLoop([&]() -> const flow::ExecutableFlow* {
    auto it = finished_.find(execId);
    return it == finished_.end() ? nullptr : it->second.get();
  });
}

void EngineHarness::kill(int execId, const std::string& user) {
  onLoop([&] {
    if (engine::FlowRunner* runner = engine_->find(execId)) runner->kill(user);
    return 0;
  });
}

Result<void> EngineHarness::pause(int execId, const std::string& user) {
  return onLoop([&]() -> Result<void> {
    if (engine::FlowRunner* runner = engine_->find(execId)) return runner->pause(user);
    return Error{"no running execution " + std::to_string(execId)};
  });
}

void EngineHarness::resume(int execId, const std::string& user) {
  onLoop([&] {
    if (engine::FlowRunner* runner = engine_->find(execId)) runner->resume(user);
    return 0;
  });
}

::testing::AssertionResult EngineHarness::expect(
    int execId, const std::vector<std::pair<std::string, Status>>& expected,
    std::chrono::milliseconds timeout) {
  auto holds = [&] {
    for (const auto& [id, want] : expected) {
      const flow::ExecutableNode* node = findNode(execId, id);
      if (!node || node->status != want) return false;
    }
    return true;
  };
  if (waitUntil(holds, timeout)) return ::testing::AssertionSuccess();
  std::ostringstream out;
  out << "execution " << execId << " after " << timeout.count() << " ms:";
  for (const auto& [id, want] : expected) {
    auto seen = status(execId, id);
    out << "\n  " << (id.empty() ? "<flow>" : id) << ": want " << toString(want) << ", is "
        << statusName(seen);
  }
  return ::testing::AssertionFailure() << out.str();
}

const char* statusName(const std::optional<Status>& status) {
  if (!status) return "<absent>";
  return toString(*status).data();
}

// ---- Flow preparation ----

PreparedFlow prepareFlow(EngineHarness& harness, const std::filesystem::path& projectDir,
                         const std::string& flowId, const flow::ExecutionOptions& options,
                         const std::string& projectName) {
  PreparedFlow prepared;
  prepared.executionDir = harness.copyProject(projectDir, "exec-" + flowId);
  flow::LoadOptions loadOptions;
  prepared.project =
      std::make_shared<flow::Project>(flow::loadProject(prepared.executionDir, loadOptions));
  auto built = flow::buildExecutableFlow(*prepared.project, flowId, options);
  EXPECT_TRUE(built.ok()) << (built.ok() ? "" : built.error().message);
  if (!built) return prepared;
  prepared.flow = std::move(*built);
  prepared.flow->executionId = harness.nextExecId();
  prepared.flow->projectName = projectName;
  prepared.flow->projectId = 1;
  prepared.flow->version = 1;
  prepared.flow->submitTime = harness.clock().nowMillis();
  prepared.propsSource =
      std::make_shared<engine::ExecutionDirPropsSource>(prepared.executionDir, prepared.project);
  return prepared;
}

std::unique_ptr<flow::ExecutableFlow> buildExecTest1Flow(const std::string& flowId,
                                                         const std::vector<Edge>& edges) {
  auto flow = std::make_unique<flow::ExecutableFlow>();
  flow->projectName = "test";
  flow->projectId = 1;
  flow->version = 1;
  flow->azkabanFlowVersion = 1.0;
  flow->root.flowId = flowId;
  flow->root.properties = {flow::FlowPropsEntry{"prop1.properties", ""},
                           flow::FlowPropsEntry{"prop2.properties", "prop1.properties"}};
  std::vector<std::string> order;
  auto ensure = [&](const std::string& id) -> flow::ExecutableNode& {
    if (flow::ExecutableNode* existing = flow->root.findChild(id)) return *existing;
    auto node = std::make_unique<flow::ExecutableNode>();
    node->id = id;
    node->type = "test";
    node->jobSource = id + ".job";
    node->propSource = "prop2.properties";
    return flow->root.addChild(std::move(node));
  };
  for (const auto& [parent, child] : edges) {
    flow::ExecutableNode& p = ensure(parent);
    flow::ExecutableNode& c = ensure(child);
    p.outNodes.push_back(child);
    c.inNodes.push_back(parent);
  }
  return flow;
}

const std::vector<Edge> kGraphExec1 = {
    {"job1", "job2"}, {"job2", "job3"}, {"job2", "job4"}, {"job3", "job5"}, {"job4", "job5"},
    {"job5", "job7"}, {"job1", "job6"}, {"job6", "job7"}, {"job7", "job8"}, {"job8", "job10"}};
const std::vector<Edge> kGraphExec2 = {{"job1", "job2d"}, {"job2d", "job3"}, {"job2d", "job4"},
                                       {"job3", "job5"},  {"job4", "job5"},  {"job5", "job7"},
                                       {"job1", "job6"},  {"job6", "job7"},  {"job7", "job8"},
                                       {"job7", "job9"},  {"job8", "job10"}, {"job9", "job10"}};
const std::vector<Edge> kGraphExec3 = {{"job1", "job2d"}, {"job1", "job3"}, {"job2d", "job4"},
                                       {"job2d", "job5"}, {"job4", "job6"}, {"job5", "job6"},
                                       {"job6", "job10"}, {"job3", "job7"}, {"job3", "job8"},
                                       {"job7", "job9"},  {"job8", "job9"}, {"job9", "job10"}};
const std::vector<Edge> kGraphExec4 = {{"job-retry", "job-pass"}, {"job-pass", "job-retry-fail"}};

}  // namespace azx::testing
