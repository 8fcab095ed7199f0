#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/event_loop.h"
#include "core/props.h"
#include "core/result.h"

namespace azx::jobtypes {

// Writes lines into the Azkaban job log of one attempt. Called on the loop thread.
class JobLogger {
 public:
  virtual ~JobLogger() = default;
  virtual void info(std::string_view message) = 0;
  virtual void warn(std::string_view message) = 0;
  virtual void error(std::string_view message) = 0;
};

// Everything a job type gets for one attempt.
struct JobContext {
  std::string jobId;     // plain id
  std::string nestedId;  // "emb:job" inside embedded flows
  int execId = -1;
  int attempt = 0;
  std::map<std::string, std::string> jobProps;  // resolved (flow-semantics 2.6)
  PropsPtr sysProps;                            // the type's private (system) properties
  std::filesystem::path workingDir;
  JobLogger* logger = nullptr;
  EventLoop* loop = nullptr;
  const Clock* clock = nullptr;
};

struct JobResult {
  bool succeeded = false;
  std::string error;     // why it failed, for the log
  PropsPtr outputProps;  // null: no outputs
};

// One attempt of a job, driven asynchronously by the engine on its loop thread: start() must
// not block; `done` is called exactly once, on the loop thread, possibly after cancel().
class Job {
 public:
  virtual ~Job() = default;
  virtual void start(std::function<void(JobResult)> done) = 0;
  // Asks the attempt to stop. It still reports through `done`; the engine records KILLED.
  virtual void cancel() = 0;
};

class JobTypeFactory {
 public:
  virtual ~JobTypeFactory() = default;
  virtual std::string name() const = 0;
  virtual Result<std::unique_ptr<Job>> create(JobContext context) = 0;
};

// Job types by name. Built once in the composition root and passed down.
class JobTypeRegistry {
 public:
  // Refuses a second factory of the same name.
  Result<void> add(std::shared_ptr<JobTypeFactory> factory);
  // Replaces any factory of the same name (a plugin directory overrides a built-in).
  void replace(std::shared_ptr<JobTypeFactory> factory);
  JobTypeFactory* find(const std::string& name) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, std::shared_ptr<JobTypeFactory>> factories_;
};

}  // namespace azx::jobtypes
