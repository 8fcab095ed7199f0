#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "jobtypes/command/command_job.h"
#include "jobtypes/job_type.h"

namespace azx::testing {

// Any execution: the controller acts on the single execution that has the job.
constexpr int kAnyExec = -1;

// Drives the waiting ("W") and sleeping ("S") behaviours of the `test` job type through real
// processes: each attempt is a /bin/sh script blocked on a FIFO in the controller's directory.
// Thread-safe: the factory registers attempts on the loop thread, tests act from theirs.
class TestJobController {
 public:
  explicit TestJobController(std::filesystem::path controlDir);

  const std::filesystem::path& controlDir() const { return dir_; }

  // Makes the latest attempt of `nestedId` exit 0, its output file holding `outputs` as a JSON
  // object. False when the job's script never became ready to read within `timeout`.
  bool succeed(const std::string& nestedId, const std::map<std::string, std::string>& outputs = {},
               int execId = kAnyExec, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Makes the latest attempt exit 1.
  bool fail(const std::string& nestedId, int execId = kAnyExec,
            std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // While set, the script survives SIGTERM (a kill) and keeps waiting for succeed/fail.
  void setIgnoreKill(const std::string& nestedId, bool ignore, int execId = kAnyExec);
  // The latest attempt's script runs and has not exited yet.
  bool isWaiting(const std::string& nestedId, int execId = kAnyExec) const;
  // How many attempts of the job the factory started (0: never).
  int attempts(const std::string& nestedId, int execId = kAnyExec) const;

  // Called by the factory: registers an attempt and returns the command that runs it.
  // `sleepSeconds` set: the script succeeds by itself after that long (S behaviour).
  std::string registerAttempt(int execId, const std::string& nestedId, int attempt,
                              std::optional<double> sleepSeconds);

 private:
  std::optional<std::string> latestKey(const std::string& nestedId, int execId) const;
  bool deliver(const std::string& key, const std::string& command,
               std::chrono::milliseconds timeout);

  std::filesystem::path dir_;
  std::filesystem::path script_;
  mutable std::mutex mutex_;
  // (execId, nestedId) -> file key of the latest attempt, and the attempt count.
  std::map<std::pair<int, std::string>, std::pair<std::string, int>> latest_;
};

struct TestJobTypeOptions {
  // Maps a job's `seconds` to how long its S(N) sleep really lasts; nullopt makes the job wait
  // for the controller (a harness may lengthen or shortcut sleeps; the outcome is the same).
  std::function<std::optional<double>(const std::string& nestedId, double seconds)> sleepPolicy;
  std::chrono::milliseconds killGrace{30000};
};

// Azkaban's test-only job type `test` (conformance 0.1), built on CommandJob:
// F (fail=true) exits 1 unless passRetry=P > 0 and attempt > P; S(N) (fail present, not true)
// sleeps N seconds; W (no fail key) waits for the controller.
class TestJobTypeFactory final : public jobtypes::JobTypeFactory {
 public:
  TestJobTypeFactory(std::shared_ptr<TestJobController> controller, TestJobTypeOptions options = {})
      : controller_(std::move(controller)), options_(std::move(options)) {}
  std::string name() const override { return "test"; }
  Result<std::unique_ptr<jobtypes::Job>> create(jobtypes::JobContext context) override;

 private:
  std::shared_ptr<TestJobController> controller_;
  TestJobTypeOptions options_;
};

}  // namespace azx::testing
