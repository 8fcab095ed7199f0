#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/event_loop.h"
#include "engine/execution_listener.h"
#include "engine/log_file.h"
#include "flow/executable_flow.h"
#include "jobtypes/job_type.h"
#include "jobtypes/plugin_props.h"

namespace azx::engine {

class JobRunner;

// What a job runner reports to (the flow runner, or a test).
class JobRunnerHost {
 public:
  virtual ~JobRunnerHost() = default;
  virtual void onJobEvent(JobRunner& runner, EventType type) = 0;
  virtual void onJobAttemptStarted(JobRunner& runner, const PropsPtr& inputProps) = 0;  // J1
  virtual void onJobUpdated(JobRunner& runner) = 0;                                     // J2
  virtual void onJobAttemptFinished(JobRunner& runner,
                                    const std::vector<std::filesystem::path>& logFiles,
                                    const std::optional<std::filesystem::path>& attachment) = 0;
  // True while the pipeline watch list blocks the start; the host then calls
  // JobRunner::pipelineReleased() when it no longer does.
  virtual bool pipelineBlocks(JobRunner& /*runner*/) { return false; }
};

// Executor-wide settings a job runner needs.
struct JobRunnerConfig {
  std::optional<std::string> webServerUrl;  // azkaban.webserver.url
  uint64_t logMaxBytes = 5 * 1024 * 1024;   // job.log.chunk.size
  int logBackups = 4;                       // job.log.backup.index
  bool proxyUserLockDown = false;           // proxy.user.lock.down
};

struct JobRunnerDeps {
  EventLoop* loop = nullptr;
  const Clock* clock = nullptr;
  const jobtypes::JobTypeRegistry* registry = nullptr;
  const jobtypes::JobTypePlugins* plugins = nullptr;
  JobRunnerConfig config;
};

// One attempt of one job (flow-semantics 3.3), as an asynchronous state machine on the loop:
// quick finish, log, delay, pipeline wait, J1, prepare, run, finish.
class JobRunner {
 public:
  JobRunner(JobRunnerDeps deps, JobRunnerHost& host, flow::ExecutableFlow& flow,
            flow::ExecutableNode& node, std::filesystem::path workingDir, int64_t delayMillis);
  ~JobRunner();

  // A job thread picked the runner up.
  void run();
  // Kill (3.7): KILLING now, KILLED when the attempt has stopped.
  void kill();
  void pipelineReleased();

  flow::ExecutableNode& node() { return node_; }
  flow::ExecutableFlow& flow() { return flow_; }
  bool killed() const { return killed_; }
  bool started() const { return started_; }
  bool finished() const { return finished_; }
  bool waiting() const { return waitingDelay_ || waitingPipeline_; }
  const std::filesystem::path& logPath() const { return logPath_; }

  // Azkaban's per-attempt file name stem: `_job.<execid>[.<attempt>].<jobid>` with nested ids
  // joined by `._.`.
  static std::string fileStem(int execId, int attempt, const std::string& nestedId);

 private:
  void quickFinish(Status status);
  void afterDelay();
  void startAttempt();
  Result<std::unique_ptr<jobtypes::Job>> prepare();
  void onJobDone(jobtypes::JobResult result);
  void finishAttempt();
  void setStatus(Status status);

  JobRunnerDeps deps_;
  JobRunnerHost& host_;
  flow::ExecutableFlow& flow_;
  flow::ExecutableNode& node_;
  std::filesystem::path workingDir_;
  int64_t delayMillis_;
  std::unique_ptr<LogFile> log_;
  std::filesystem::path logPath_;
  std::filesystem::path attachmentPath_;
  std::unique_ptr<jobtypes::Job> job_;
  EventLoop::TimerId delayTimer_ = 0;
  bool started_ = false;
  bool killed_ = false;
  bool finished_ = false;
  bool waitingDelay_ = false;
  bool waitingPipeline_ = false;
  bool jobRunning_ = false;
};

}  // namespace azx::engine
