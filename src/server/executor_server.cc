#include "server/executor_server.h"

#include <netdb.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <sstream>

#include "api/executor_api.h"
#include "flow/flow_data.h"
#include "jobtypes/command/command_job.h"
#include "jobtypes/noop/noop_job.h"

namespace azx::server {
namespace {

struct MemInfo {
  int64_t freeKb = 0;
  int64_t totalKb = 0;
};

MemInfo readMemInfo() {
  MemInfo info;
  std::ifstream in("/proc/meminfo");
  std::string key;
  int64_t value;
  std::string unit;
  while (in >> key >> value) {
    std::getline(in, unit);
    if (key == "MemTotal:") info.totalKb = value;
    if (key == "MemFree:" || key == "Buffers:" || key == "Cached:" || key == "SwapCached:") {
      info.freeKb += value;
    }
  }
  return info;
}

double loadAverage() {
  std::ifstream in("/proc/loadavg");
  double load = 0;
  in >> load;
  return load;
}

}  // namespace

// Counts outcomes for /metrics; loop thread only (read through runOnLoop).
class ServerMetrics final : public engine::ExecutionListener {
 public:
  void onEvent(engine::EventType type, const flow::ExecutableFlow& flow,
               const flow::ExecutableNode& node) override {
    if (type == engine::EventType::JobFinished && !node.isFlow()) {
      ++jobOutcomes[{node.type, std::string(toString(node.status))}];
    } else if (type == engine::EventType::FlowFinished) {
      ++flowOutcomes[std::string(toString(flow.root.status))];
    }
  }
  std::map<std::pair<std::string, std::string>, uint64_t> jobOutcomes;
  std::map<std::string, uint64_t> flowOutcomes;
};

// Poll-mode alerts (flow-semantics 4.16). Mail delivery is not built in: the alert is logged.
class LoggingAlerter final : public engine::Alerter {
 public:
  void alertOnFirstError(const flow::ExecutableFlow& flow) override {
    spdlog::warn("alert: execution {} of flow {} has its first failure", flow.executionId,
                 flow.flowId());
  }
  void alertOnError(const flow::ExecutableFlow& flow,
                    const std::vector<std::string>& reasons) override {
    spdlog::warn("alert: execution {} of flow {} finished {} ({})", flow.executionId, flow.flowId(),
                 toString(flow.root.status), reasons.empty() ? "" : reasons[0]);
  }
  void alertOnSuccess(const flow::ExecutableFlow& flow) override {
    spdlog::info("alert: execution {} of flow {} succeeded", flow.executionId, flow.flowId());
  }
};

namespace {
LoggingAlerter& loggingAlerter() {
  static LoggingAlerter alerter;
  return alerter;
}
}  // namespace

std::string executorHostName(const std::optional<std::string>& configured) {
  if (configured && !configured->empty()) return *configured;
  char name[256] = {0};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unkownHost";
  addrinfo hints{};
  hints.ai_flags = AI_CANONNAME;
  addrinfo* result = nullptr;
  if (getaddrinfo(name, nullptr, &hints, &result) == 0 && result) {
    std::string canonical = result->ai_canonname ? result->ai_canonname : name;
    freeaddrinfo(result);
    return canonical;
  }
  return name;
}

ExecutorServer::ExecutorServer(ServerConfig config, store::ExecutionStorePtr executions,
                               std::shared_ptr<store::ServerStore> server,
                               JobTypeInstaller installer)
    : config_(std::move(config)),
      executions_(std::move(executions)),
      serverStore_(std::move(server)),
      installer_(std::move(installer)) {}

ExecutorServer::~ExecutorServer() {
  poller_ = {};
  housekeeping_ = {};
  if (http_) http_->stop();
  if (loopThread_.joinable()) {
    loop_.stop();
    loopThread_.join();
  }
  recorder_.reset();
}

template <typename F>
auto ExecutorServer::runOnLoop(F&& f) -> decltype(f()) {
  using R = decltype(f());
  std::packaged_task<R()> task(std::forward<F>(f));
  auto future = task.get_future();
  loop_.post([&task] { task(); });
  return future.get();
}

Result<void> ExecutorServer::loadJobTypes() {
  std::optional<std::filesystem::path> global = config_.globalPropertiesFile;
  auto plugins = jobtypes::JobTypePlugins::load(config_.jobTypePluginDir, global);
  if (!plugins) return plugins.error().withContext("job-type plugins");
  auto registry = std::make_unique<jobtypes::JobTypeRegistry>();
  jobtypes::CommandJobOptions command;
  command.killGrace = std::chrono::seconds(config_.killGraceSeconds);
  (void)registry->add(std::make_shared<jobtypes::CommandJobFactory>(command));
  (void)registry->add(std::make_shared<jobtypes::NoopJobFactory>());
  if (installer_) installer_(*registry, config_);
  // Replaced in place: the engine keeps pointers to both (a reload happens only while idle).
  if (plugins_) {
    *plugins_ = std::move(*plugins);
    *registry_ = std::move(*registry);
  } else {
    plugins_ = std::make_unique<jobtypes::JobTypePlugins>(std::move(*plugins));
    registry_ = std::move(registry);
  }
  return okResult();
}

Result<void> ExecutorServer::start() {
  std::error_code ec;
  for (const auto& dir : {config_.executionDir, config_.projectDir, config_.tempDir}) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return Error{"cannot create directory '" + dir.string() + "': " + ec.message()};
  }
  if (auto loaded = loadJobTypes(); !loaded) return loaded;

  engine::FlowRunnerDeps deps;
  deps.loop = &loop_;
  deps.clock = &clock_;
  deps.registry = registry_.get();
  deps.plugins = plugins_.get();
  deps.alerter = &loggingAlerter();
  deps.config.maxJobThreads = config_.jobThreads;
  deps.config.pollModel = config_.pollModel;
  deps.config.job.webServerUrl = config_.webServerUrl;
  deps.config.job.logMaxBytes = config_.jobLogChunkSize;
  deps.config.job.logBackups = config_.jobLogBackupIndex;
  deps.config.job.proxyUserLockDown = config_.proxyUserLockDown;
  engine_ = std::make_unique<engine::Engine>(deps);
  recorder_ = std::make_unique<engine::StoreRecorder>(executions_, loop_, clock_);
  recorder_->setOnPersisted([this](int execId) { onPersisted(execId); });
  metrics_ = std::make_unique<ServerMetrics>();
  preparer_ = std::make_unique<FlowPreparer>(config_, *serverStore_, clock_);
  loopThread_ = std::thread([this] { loop_.run(); });

  api::HttpServerOptions http;
  http.port = config_.port;
  http.threads = config_.maxThreads;
  if (auto bind = config_.props->get("executor.bind.address")) http.bindAddress = *bind;
  if (config_.useTls) {
    http.tlsCert = config_.tlsCertFile;
    http.tlsKey = config_.tlsKeyFile;
  }
  http_ = std::make_unique<api::HttpServer>(http, *this);
  auto bound = http_->start();
  if (!bound) return bound.error();
  port_ = *bound;
  host_ = executorHostName(config_.hostname);
  if (host_.size() > 64) {
    return Error{"host name '" + host_ +
                 "' is longer than executors.host (64 characters); set "
                 "azkaban.server.hostname"};
  }
  spdlog::info("listening on port {} as {}", port_, host_);

  if (auto row = registerOwnRow(); !row) return row;
  {
    std::ofstream portFile(config_.portFile, std::ios::trunc);
    portFile << port_;
    if (!portFile) return Error{"cannot write the port file '" + config_.portFile.string() + "'"};
  }
  if (config_.activateOnStart) {
    if (auto activated = setActive(true); !activated) return activated;
    spdlog::info("activated at start (executor.activate.on.start)");
  }
  loop_.post([this] { loop_.addTimer(std::chrono::seconds(60), [this] { cleanFinished(); }); });
  if (config_.pollModel) poller_ = std::jthread([this](std::stop_token s) { pollLoop(s); });
  housekeeping_ = std::jthread([this](std::stop_token s) { housekeepingLoop(s); });
  return okResult();
}

Result<void> ExecutorServer::registerOwnRow() {
  auto row = serverStore_->fetchExecutor(host_, port_);
  if (!row) return row.error().withContext("executors row");
  if (!*row) {
    if (auto inserted = serverStore_->insertExecutor(host_, port_); !inserted) {
      return inserted.error().withContext("executors row");
    }
    row = serverStore_->fetchExecutor(host_, port_);
    if (!row || !*row) return Error{"executors row: inserted row not found"};
  }
  ownId_ = (*row)->id;
  spdlog::info("executor id {} ({}:{}), row active={}, in-memory inactive", (*row)->id, host_,
               port_, (*row)->active);
  return okResult();
}

// ---- execute path ----

Result<void> ExecutorServer::execute(int execId) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (accepted_.count(execId) > 0) return okResult();  // re-dispatch of a running execution
    if (!accepting_) {
      return Error{
          "Azkaban executor can't execute any more flows. The executor is being shut down."};
    }
    accepted_.insert(execId);
  }
  auto release = [this, execId] {
    std::lock_guard<std::mutex> lock(mutex_);
    accepted_.erase(execId);
  };
  auto fetched = executions_->fetchExecutableFlow(execId);
  if (!fetched || !*fetched) {
    release();
    if (!fetched) spdlog::error("loading execution {}: {}", execId, fetched.error().message);
    return Error{"Error loading flow with exec " + std::to_string(execId)};
  }
  std::unique_ptr<flow::ExecutableFlow> flow = std::move(**fetched);
  if (!active_ && flow->options.flowParameters.count("useExecutor") == 0) {
    (void)serverStore_->unassignExecutor(execId, clock_.nowMillis());
    release();
    return Error{"executor became inactive before setting up the flow " + std::to_string(execId)};
  }
  if (auto threads = flow->options.flowParameters.find("flow.num.job.threads");
      threads != flow->options.flowParameters.end()) {
    auto parsed = api::parseJavaInt(trim(threads->second));
    if (!parsed) {
      release();
      return Error{"Failed to set the number of job threads " + threads->second + " for flow " +
                   std::to_string(execId)};
    }
  }
  auto dir = config_.executionDir / std::to_string(execId);
  auto prepared = preparer_->prepare(flow->projectId, flow->version, dir);
  if (!prepared) {
    release();
    return prepared.error();
  }
  flow->executionPath = dir.string();
  auto submitted = submitPrepared(std::move(flow), dir);
  if (!submitted) {
    release();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    return submitted.error();
  }
  lastDispatched_ = clock_.nowMillis();
  return okResult();
}

Result<void> ExecutorServer::submitPrepared(std::unique_ptr<flow::ExecutableFlow> flow,
                                            const std::filesystem::path& dir) {
  // The project as unpacked in the execution directory supplies `.job` files and YAML.
  flow::LoadOptions options;
  auto project = std::make_shared<flow::Project>(flow::loadProject(dir, options));
  std::shared_ptr<engine::NodePropsSource> props =
      std::make_shared<engine::ExecutionDirPropsSource>(dir, project);
  if (flow->azkabanFlowVersion < 2.0) {
    // `.jor` overrides are read here, on the HTTP thread, so the engine loop never waits on
    // the database (Java reads them at each job start).
    std::map<std::string, std::map<std::string, std::string>> overrides;
    std::function<Result<void>(const flow::ExecutableNode&)> collect =
        [&](const flow::ExecutableNode& level) -> Result<void> {
      for (const auto& child : level.nodes) {
        if (child->jobSource && overrides.count(child->id) == 0) {
          auto found = serverStore_->fetchJobOverride(flow->projectId, flow->version, child->id);
          if (!found) return found.error().withContext("job override of " + child->id);
          if (*found) overrides[child->id] = std::move(**found);
        }
        if (child->isFlow()) {
          if (auto r = collect(*child); !r) return r;
        }
      }
      return okResult();
    };
    if (auto collected = collect(flow->root); !collected) return collected;
    if (!overrides.empty()) {
      props = std::make_shared<engine::OverridingPropsSource>(props, std::move(overrides));
    }
  }
  PendingExecution pending{std::move(flow), props, dir};
  auto shared = std::make_shared<PendingExecution>(std::move(pending));
  loop_.post([this, shared] { startOnLoop(std::move(*shared)); });
  return okResult();
}

void ExecutorServer::startOnLoop(PendingExecution pending) {
  if (runningFlows_ >= config_.flowThreads) {
    waitingForFlowThread_.push_back(std::move(pending));  // stays PREPARING, as in a full pool
    return;
  }
  ++runningFlows_;
  int execId = pending.flow->executionId;
  executionDirs_[execId] = pending.dir;
  engine::Engine::Submission submission;
  submission.flow = std::move(pending.flow);
  submission.propsSource = std::move(pending.props);
  submission.executionDir = pending.dir;
  submission.listeners = {recorder_.get(), metrics_.get()};
  submission.onFinished = [this](const engine::FlowRunner& runner) {
    finished_[runner.executionId()] =
        FinishedExecution{engine::snapshotFlow(runner.flow()), clock_.nowMillis()};
  };
  auto submitted = engine_->submit(std::move(submission));
  if (!submitted) {
    spdlog::error("execution {}: {}", execId, submitted.error().message);
    --runningFlows_;
    std::lock_guard<std::mutex> lock(mutex_);
    accepted_.erase(execId);
  }
}

void ExecutorServer::onPersisted(int execId) {
  --runningFlows_;
  auto dir = executionDirs_.find(execId);
  if (dir != executionDirs_.end()) {
    std::error_code ec;
    std::filesystem::remove_all(dir->second, ec);
    executionDirs_.erase(dir);
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    accepted_.erase(execId);
  }
  stopCv_.notify_all();
  while (!waitingForFlowThread_.empty() && runningFlows_ < config_.flowThreads) {
    PendingExecution next = std::move(waitingForFlowThread_.front());
    waitingForFlowThread_.pop_front();
    startOnLoop(std::move(next));
  }
}

void ExecutorServer::cleanFinished() {
  int64_t cutoff = clock_.nowMillis() - int64_t{config_.finishedRetentionSeconds} * 1000;
  for (auto it = finished_.begin(); it != finished_.end();) {
    it = it->second.finishedAt < cutoff ? finished_.erase(it) : std::next(it);
  }
  loop_.addTimer(std::chrono::seconds(60), [this] { cleanFinished(); });
}

// ---- actions on running executions ----

namespace {
Error notRunning(int execId) {
  return Error{"Execution " + std::to_string(execId) + " is not running."};
}
}  // namespace

Result<void> ExecutorServer::cancel(int execId, const std::string& user) {
  return runOnLoop([&]() -> Result<void> {
    auto* runner = engine_->find(execId);
    if (!runner || runner->finished()) return notRunning(execId);
    runner->kill(user);
    return okResult();
  });
}

Result<void> ExecutorServer::pause(int execId, const std::string& user) {
  return runOnLoop([&]() -> Result<void> {
    auto* runner = engine_->find(execId);
    if (!runner || runner->finished()) return notRunning(execId);
    (void)runner->pause(user);  // a finished or killed flow stays as it is; still success
    return okResult();
  });
}

Result<void> ExecutorServer::resume(int execId, const std::string& user) {
  return runOnLoop([&]() -> Result<void> {
    auto* runner = engine_->find(execId);
    if (!runner || runner->finished()) return notRunning(execId);
    runner->resume(user);
    return okResult();
  });
}

Result<void> ExecutorServer::retryFailures(int execId, const std::string& user) {
  return runOnLoop([&]() -> Result<void> {
    auto* runner = engine_->find(execId);
    if (!runner || runner->finished()) return notRunning(execId);
    runner->retryFailures(user);
    return okResult();
  });
}

std::vector<nlohmann::json> ExecutorServer::update(const std::vector<int>& execIds,
                                                   const std::vector<int64_t>& updateTimes) {
  return runOnLoop([&] {
    std::vector<nlohmann::json> result;
    for (size_t i = 0; i < execIds.size(); ++i) {
      const flow::ExecutableFlow* flow = nullptr;
      if (auto* runner = engine_->find(execIds[i])) {
        flow = &runner->flow();
      } else if (auto it = finished_.find(execIds[i]); it != finished_.end()) {
        flow = it->second.flow.get();
      }
      if (!flow) {
        result.push_back({{"error", "Flow does not exist"}, {"executionId", execIds[i]}});
        continue;
      }
      if (flow->root.updateTime > updateTimes[i]) {
        result.push_back(flow::updateDelta(*flow, updateTimes[i]));
      }
    }
    return result;
  });
}

std::optional<std::pair<Status, int64_t>> ExecutorServer::status(int execId) {
  return runOnLoop([&]() -> std::optional<std::pair<Status, int64_t>> {
    if (auto* runner = engine_->find(execId)) {
      return std::make_pair(runner->flow().root.status, runner->flow().root.updateTime);
    }
    if (auto it = finished_.find(execId); it != finished_.end()) {
      return std::make_pair(it->second.flow->root.status, it->second.flow->root.updateTime);
    }
    return std::nullopt;
  });
}

Result<std::filesystem::path> ExecutorServer::jobFilePath(int execId, const std::string& jobId,
                                                          int attempt, const std::string& suffix) {
  return runOnLoop([&]() -> Result<std::filesystem::path> {
    auto* runner = engine_->find(execId);
    if (!runner || runner->finished()) {
      return Error{"Running flow " + std::to_string(execId) + " not found."};
    }
    if (!std::filesystem::is_directory(runner->executionDir())) {
      return Error{"Error reading file. Log directory doesn't exist."};
    }
    if (jobId.empty()) return runner->flowLogPath();
    const flow::ExecutableNode* node = runner->flow().root.findByNestedId(jobId);
    if (!node) return Error{"Job log file doesn't exist."};
    std::filesystem::path dir = runner->executionDir();
    if (runner->flow().azkabanFlowVersion < 2.0 && node->jobSource) {
      dir = (dir / *node->jobSource).parent_path();
    }
    return dir / (engine::JobRunner::fileStem(execId, attempt, jobId) + suffix);
  });
}

Result<api::FileSlice> ExecutorServer::readLog(int execId, const std::string& jobId, int attempt,
                                               int64_t offset, int64_t length) {
  auto path = jobFilePath(execId, jobId, attempt, ".log");
  if (!path) return path.error();
  if (!std::filesystem::exists(*path)) {
    return Error{jobId.empty() ? "Flow log file doesn't exist." : "Job log file doesn't exist."};
  }
  return api::readFileSlice(path->string(), offset, length);
}

Result<api::FileSlice> ExecutorServer::readMetadata(int execId, const std::string& jobId,
                                                    int attempt, int64_t offset, int64_t length) {
  auto path = jobFilePath(execId, jobId, attempt, ".meta");
  if (!path) return path.error();
  if (!std::filesystem::exists(*path)) return Error{"Job log file doesn't exist."};
  return api::readFileSlice(path->string(), offset, length);
}

Result<nlohmann::json> ExecutorServer::attachments(int execId, const std::string& jobId,
                                                   int attempt) {
  auto path = jobFilePath(execId, jobId, attempt, ".attach");
  if (!path) return path.error();
  std::ifstream in(*path);
  if (!in) return nlohmann::json(nullptr);
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json parsed = nlohmann::json::parse(text.str(), nullptr, false);
  if (parsed.is_discarded()) return Error{"attachment file of " + jobId + " is not JSON"};
  return parsed;
}

// ---- executor row and lifecycle ----

Result<void> ExecutorServer::setActive(bool active) {
  auto row = serverStore_->fetchExecutor(host_, port_);
  if (!row) return row.error();
  if (!*row) return Error{"Unable to obtain self entry in DB"};
  if ((*row)->active != active) {
    if (auto updated = serverStore_->updateExecutor((*row)->id, host_, port_, active); !updated) {
      return updated.error();
    }
  }
  active_ = active;
  spdlog::info("executor {} {}", (*row)->id, active ? "activated" : "deactivated");
  if (!active) {
    // After a successful deactivate this executor no longer touches the project cache.
    while (preparer_->inProgress() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return okResult();
}

Result<api::OwnRow> ExecutorServer::ownRow() {
  auto row = serverStore_->fetchExecutor(host_, port_);
  if (!row) return row.error();
  if (!*row) return Error{"The executor can not be null"};
  return api::OwnRow{(*row)->id, (*row)->active};
}

Result<void> ExecutorServer::shutdown() {
  if (auto deactivated = setActive(false); !deactivated) return deactivated;
  requestStop();
  return okResult();
}

Result<void> ExecutorServer::reloadJobTypePlugins() {
  return runOnLoop([this]() -> Result<void> {
    if (engine_->running().size() > 0) {
      // Job runners hold the registry; a reload waits for an idle moment.
      return Error{"cannot reload job types while executions are running"};
    }
    return loadJobTypes();
  });
}

api::ExecutorStatistics ExecutorServer::statistics(bool /*fresh*/) {
  api::ExecutorStatistics stats;
  MemInfo mem = readMemInfo();
  if (mem.totalKb > 0) {
    stats.remainingMemoryPercent = 100.0 * static_cast<double>(mem.freeKb) / mem.totalKb;
    stats.remainingMemoryInMB = mem.freeKb / 1024;
  }
  int assigned =
      runOnLoop([this] { return runningFlows_ + static_cast<int>(waitingForFlowThread_.size()); });
  stats.numberOfAssignedFlows = assigned;
  stats.remainingFlowCapacity = config_.flowThreads - assigned;
  stats.lastDispatchedTime = lastDispatched_;
  stats.cpuUsage = loadAverage();
  return stats;
}

std::vector<int> ExecutorServer::runningExecutionIds() {
  return runOnLoop([this] {
    std::vector<int> ids;
    for (auto* runner : engine_->running()) ids.push_back(runner->executionId());
    return ids;
  });
}

std::vector<int> ExecutorServer::queuedExecutionIds() {
  return runOnLoop([this] {
    std::vector<int> ids;
    for (const auto& p : waitingForFlowThread_) ids.push_back(p.flow->executionId);
    return ids;
  });
}

int ExecutorServer::runningCount() {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int>(accepted_.size());
}

std::string ExecutorServer::prometheusMetrics() {
  std::ostringstream out;
  runOnLoop([&] {
    int jobs = 0;
    for (auto* runner : engine_->running())
      jobs += static_cast<int>(runner->activeRunners().size());
    out << "# HELP azkaban_executor_running_flows Executions running on this executor.\n"
        << "# TYPE azkaban_executor_running_flows gauge\n"
        << "azkaban_executor_running_flows " << engine_->running().size() << "\n"
        << "# HELP azkaban_executor_queued_flows Executions waiting for a flow thread.\n"
        << "# TYPE azkaban_executor_queued_flows gauge\n"
        << "azkaban_executor_queued_flows " << waitingForFlowThread_.size() << "\n"
        << "# HELP azkaban_executor_running_jobs Job attempts queued or running.\n"
        << "# TYPE azkaban_executor_running_jobs gauge\n"
        << "azkaban_executor_running_jobs " << jobs << "\n"
        << "# HELP azkaban_executor_job_outcomes_total Finished job attempts by type and status.\n"
        << "# TYPE azkaban_executor_job_outcomes_total counter\n";
    for (const auto& [key, count] : metrics_->jobOutcomes) {
      out << "azkaban_executor_job_outcomes_total{type=\"" << key.first << "\",status=\""
          << key.second << "\"} " << count << "\n";
    }
    out << "# HELP azkaban_executor_flow_outcomes_total Finished executions by status.\n"
        << "# TYPE azkaban_executor_flow_outcomes_total counter\n";
    for (const auto& [status, count] : metrics_->flowOutcomes) {
      out << "azkaban_executor_flow_outcomes_total{status=\"" << status << "\"} " << count << "\n";
    }
    return 0;
  });
  out << "# HELP azkaban_executor_db_write_retries_total Store writes retried.\n"
      << "# TYPE azkaban_executor_db_write_retries_total counter\n"
      << "azkaban_executor_db_write_retries_total " << recorder_->retriedWrites() << "\n"
      << "# HELP azkaban_executor_db_write_failures_total Store writes given up.\n"
      << "# TYPE azkaban_executor_db_write_failures_total counter\n"
      << "azkaban_executor_db_write_failures_total " << recorder_->droppedWrites() << "\n"
      << "# HELP azkaban_executor_active 1 when this executor takes new executions.\n"
      << "# TYPE azkaban_executor_active gauge\n"
      << "azkaban_executor_active " << (active_ ? 1 : 0) << "\n";
  return out.str();
}

bool ExecutorServer::healthy(std::string* why) {
  if (!accepting_) {
    *why = "shutting down";
    return false;
  }
  return true;
}

void ExecutorServer::housekeepingLoop(std::stop_token stop) {
  std::mutex m;
  std::condition_variable_any cv;
  while (!stop.stop_requested()) {
    std::unique_lock<std::mutex> lock(m);
    cv.wait_for(lock, stop, std::chrono::seconds(config_.healIntervalSeconds),
                [] { return false; });
    if (stop.stop_requested() || !config_.healOwnRow || !accepting_) continue;
    auto row = serverStore_->fetchExecutor(host_, port_);
    if (!row) continue;  // the database is away; try again next round
    if (!*row) {
      spdlog::warn("own executors row is gone; inserting it again (executor.row.heal)");
      if (!serverStore_->insertExecutor(host_, port_)) continue;
      auto again = serverStore_->fetchExecutor(host_, port_);
      if (again && *again) {
        ownId_ = (*again)->id;
        if (active_) (void)serverStore_->updateExecutor((*again)->id, host_, port_, true);
      }
    }
  }
}

void ExecutorServer::pollLoop(std::stop_token stop) {
  int failures = 0;
  while (!stop.stop_requested()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(config_.pollingIntervalMs));
    if (!accepting_ || stop.stop_requested()) continue;
    if (config_.pollingRequireFlowThreads && runningCount() >= config_.flowThreads) {
      continue;
    }
    if (config_.pollingMinFreeMemoryGb > 0 &&
        readMemInfo().freeKb < config_.pollingMinFreeMemoryGb * 1024 * 1024) {
      continue;
    }
    int id = ownId_;
    if (id < 0) continue;
    auto claimed = serverStore_->claimQueuedExecution(id, active_, clock_.nowMillis());
    if (!claimed || !*claimed) continue;
    auto executed = execute(**claimed);
    if (executed) {
      failures = 0;
      continue;
    }
    spdlog::error("poll mode: execution {} could not start: {}", **claimed,
                  executed.error().message);
    (void)serverStore_->unassignExecutor(**claimed, clock_.nowMillis());
    ++failures;
    std::this_thread::sleep_for(std::chrono::seconds(1LL << std::min(failures, 6)));
  }
}

void ExecutorServer::requestStop() {
  std::lock_guard<std::mutex> lock(stopMutex_);
  stopRequested_ = true;
  stopCv_.notify_all();
}

int ExecutorServer::waitAndShutDown() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  // A signal thread turns SIGTERM/SIGINT into a stop request (we may be PID 1 in a container).
  std::jthread signalThread([this, signals](std::stop_token stop) {
    while (!stop.stop_requested()) {
      timespec timeout{0, 200 * 1000 * 1000};
      int sig = sigtimedwait(&signals, nullptr, &timeout);
      if (sig == SIGTERM || sig == SIGINT) {
        spdlog::info("received {}, draining", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        requestStop();
        return;
      }
    }
  });
  {
    std::unique_lock<std::mutex> lock(stopMutex_);
    stopCv_.wait(lock, [this] { return stopRequested_; });
  }
  signalThread.request_stop();
  // 1. Take no new work.
  if (active_) (void)setActive(false);
  accepting_ = false;
  poller_ = {};
  // 2. Let running flows finish within the grace time.
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(config_.shutdownGraceSeconds);
  {
    std::unique_lock<std::mutex> lock(stopMutex_);
    while (runningCount() > 0 && std::chrono::steady_clock::now() < deadline) {
      stopCv_.wait_for(lock, std::chrono::milliseconds(200));
    }
  }
  // 3. Kill what is left and record it honestly (KILLED), then wait for the writes.
  if (runningCount() > 0) {
    spdlog::warn("grace time over: killing {} executions", runningCount());
    runOnLoop([this] {
      for (auto* runner : engine_->running()) runner->kill("azkaban-executor-shutdown");
      return 0;
    });
    auto killDeadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(config_.killGraceSeconds + 30);
    std::unique_lock<std::mutex> lock(stopMutex_);
    while (runningCount() > 0 && std::chrono::steady_clock::now() < killDeadline) {
      stopCv_.wait_for(lock, std::chrono::milliseconds(200));
    }
  }
  recorder_->drain();
  // 4. Give the web a moment to collect final statuses through `update`.
  std::this_thread::sleep_for(std::chrono::milliseconds(
      config_.props->getLong("executor.shutdown.linger.ms").value_or(1000)));
  // 5. Remove the own row so no web dispatches to a dead executor.
  if (config_.deleteRowOnShutdown) {
    auto deleted = serverStore_->deleteExecutor(host_, port_);
    if (!deleted) {
      spdlog::error("could not delete the own executors row: {}", deleted.error().message);
    } else {
      spdlog::info("deleted own executors row ({} rows)", *deleted);
    }
  }
  housekeeping_ = {};
  http_->stop();
  std::error_code ec;
  std::filesystem::remove(config_.portFile, ec);
  return runningCount() == 0 ? 0 : 1;
}

}  // namespace azx::server
