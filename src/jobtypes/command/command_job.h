#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "jobtypes/command/child_process.h"
#include "jobtypes/job_type.h"

namespace azx::jobtypes {

struct CommandJobOptions {
  // SIGTERM to the process group, then SIGKILL after this long (Azkaban: 30 s).
  std::chrono::milliseconds killGrace{30000};
  // Azkaban fails a command job with no user.to.proxy / submit user; the interactive test job
  // type (tests/) runs without one.
  bool requireEffectiveUser = true;
  // Commands to run instead of `command`, `command.1`, … (used by job types built on this one).
  std::optional<std::vector<std::string>> commandsOverride;
};

// The `command` job type (flow-semantics 3.6–3.8): runs `command`, `command.1`, … as processes
// without a shell, with env.* variables, the JOB_PROP_FILE / JOB_OUTPUT_PROP_FILE files and
// execute-as-user. The attempt costs no thread: the event loop drives each child.
class CommandJob final : public Job {
 public:
  CommandJob(JobContext context, CommandJobOptions options);
  ~CommandJob() override;

  void start(std::function<void(JobResult)> done) override;
  void cancel() override;

 private:
  void prepareAndRun();
  void runNext();
  void onCommandExit(int exitCode);
  void finish(JobResult result);
  void fail(const std::string& message);
  Result<void> writePropertyFiles();
  Result<void> setUpExecuteAsUser();
  PropsPtr readOutputProperties();
  void waitForMemory();
  bool memoryAvailable() const;
  static bool readMemoryAvailable();

  JobContext context_;
  CommandJobOptions options_;
  std::function<void(JobResult)> done_;
  PropsPtr view_;  // the job's resolved properties, one level
  std::vector<std::string> commands_;
  size_t nextCommand_ = 0;
  SpawnOptions spawn_;  // all but argv: the same for each command of the job
  std::filesystem::path propFile_;
  std::filesystem::path outputFile_;
  std::string effectiveUser_;
  std::optional<RunAsUser> runAs_;
  std::unique_ptr<ChildProcess> child_;
  int64_t commandStart_ = 0;
  bool cancelled_ = false;
  bool finished_ = false;
  int memoryWaits_ = 0;
  EventLoop::TimerId memoryTimer_ = 0;
  EventLoop::TimerId killTimer_ = 0;
};

class CommandJobFactory final : public JobTypeFactory {
 public:
  explicit CommandJobFactory(CommandJobOptions options = {}) : options_(std::move(options)) {}
  std::string name() const override { return "command"; }
  Result<std::unique_ptr<Job>> create(JobContext context) override;

 private:
  CommandJobOptions options_;
};

// Java's String.valueOf for JSON values read from the output properties file.
std::string javaStringOf(const nlohmann::json& value);

}  // namespace azx::jobtypes
