#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "api/executor_backend.h"
#include "api/http_server.h"
#include "core/clock.h"
#include "core/event_loop.h"
#include "engine/engine.h"
#include "engine/store_recorder.h"
#include "jobtypes/plugin_props.h"
#include "server/flow_preparer.h"
#include "server/server_config.h"
#include "store/execution_store.h"
#include "store/server_store.h"

namespace azx::server {

class ServerMetrics;

// The executor server's composition root and the backend of its HTTP API: the executors-row
// lifecycle (azkaban-wire 3), the execute path (1.4, 6, 9), poll mode (2.4), and the drain on
// SIGTERM. The engine runs on a loop thread of its own; HTTP workers reach it through
// runOnLoop().
class ExecutorServer final : public api::ExecutorBackend {
 public:
  // Registers job types beyond the built-in ones (the EMR step type, tests).
  using JobTypeInstaller = std::function<void(jobtypes::JobTypeRegistry&, const ServerConfig&)>;

  ExecutorServer(ServerConfig config, store::ExecutionStorePtr executions,
                 std::shared_ptr<store::ServerStore> server, JobTypeInstaller installer = {});
  ~ExecutorServer() override;

  // Start-up in Java's order (azkaban-wire 3.3): directories, plugins, HTTP, own row, port file.
  Result<void> start();
  // Blocks until SIGTERM/SIGINT or the shutdown action, drains, removes the own row, stops.
  int waitAndShutDown();
  const std::string& host() const { return host_; }
  int port() const { return port_; }

  // ExecutorBackend
  Result<void> execute(int execId) override;
  Result<void> cancel(int execId, const std::string& user) override;
  Result<void> pause(int execId, const std::string& user) override;
  Result<void> resume(int execId, const std::string& user) override;
  Result<void> retryFailures(int execId, const std::string& user) override;
  std::vector<nlohmann::json> update(const std::vector<int>& execIds,
                                     const std::vector<int64_t>& updateTimes) override;
  Result<api::FileSlice> readLog(int execId, const std::string& jobId, int attempt, int64_t offset,
                                 int64_t length) override;
  Result<api::FileSlice> readMetadata(int execId, const std::string& jobId, int attempt,
                                      int64_t offset, int64_t length) override;
  Result<nlohmann::json> attachments(int execId, const std::string& jobId, int attempt) override;
  std::optional<std::pair<Status, int64_t>> status(int execId) override;
  Result<void> setActive(bool active) override;
  Result<api::OwnRow> ownRow() override;
  Result<void> shutdown() override;
  Result<void> reloadJobTypePlugins() override;
  api::ExecutorStatistics statistics(bool fresh) override;
  std::vector<int> runningExecutionIds() override;
  std::vector<int> queuedExecutionIds() override;
  std::string prometheusMetrics() override;
  bool healthy(std::string* why) override;

 private:
  struct FinishedExecution {
    std::unique_ptr<flow::ExecutableFlow> flow;
    int64_t finishedAt = 0;
  };
  struct PendingExecution {
    std::unique_ptr<flow::ExecutableFlow> flow;
    std::shared_ptr<engine::NodePropsSource> props;
    std::filesystem::path dir;
  };

  template <typename F>
  auto runOnLoop(F&& f) -> decltype(f());
  Result<void> loadJobTypes();
  Result<void> registerOwnRow();
  Result<void> submitPrepared(std::unique_ptr<flow::ExecutableFlow> flow,
                              const std::filesystem::path& dir);
  void startOnLoop(PendingExecution pending);
  void onPersisted(int execId);
  void cleanFinished();
  Result<std::filesystem::path> jobFilePath(int execId, const std::string& jobId, int attempt,
                                            const std::string& suffix);
  void pollLoop(std::stop_token stop);
  void housekeepingLoop(std::stop_token stop);
  void requestStop();
  int runningCount();

  ServerConfig config_;
  store::ExecutionStorePtr executions_;
  std::shared_ptr<store::ServerStore> serverStore_;
  JobTypeInstaller installer_;
  SystemClock clock_;
  EventLoop loop_;
  std::thread loopThread_;
  std::unique_ptr<jobtypes::JobTypeRegistry> registry_;
  std::unique_ptr<jobtypes::JobTypePlugins> plugins_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<engine::StoreRecorder> recorder_;
  std::unique_ptr<ServerMetrics> metrics_;
  std::unique_ptr<FlowPreparer> preparer_;
  std::unique_ptr<api::HttpServer> http_;
  std::string host_;
  int port_ = 0;
  std::atomic<bool> active_{false};
  std::atomic<bool> accepting_{true};
  std::atomic<int64_t> lastDispatched_{0};
  std::atomic<int> ownId_{-1};

  std::mutex mutex_;        // guards accepted_
  std::set<int> accepted_;  // preparing, queued or running (not yet persisted)

  // Loop-thread state.
  std::deque<PendingExecution> waitingForFlowThread_;
  std::map<int, std::filesystem::path> executionDirs_;
  std::map<int, FinishedExecution> finished_;
  int runningFlows_ = 0;

  std::mutex stopMutex_;
  std::condition_variable stopCv_;
  bool stopRequested_ = false;
  std::jthread poller_;
  std::jthread housekeeping_;
};

// The host name written to `executors.host` (azkaban-wire 3.1).
std::string executorHostName(const std::optional<std::string>& configured);

}  // namespace azx::server
