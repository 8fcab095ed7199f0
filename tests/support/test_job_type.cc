#include "tests/support/test_job_type.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

namespace azx::testing {
namespace {

// One attempt: optionally a timer that requests "succeed" after the sleep, then a loop that
// acts on the request file and otherwise blocks reading the FIFO, which the controller (or the
// timer) pokes after writing a request. The request lives in a file, not in the FIFO, so a poke
// lost while a reader dies (SIGTERM reaches the whole process group) loses nothing: the
// controller keeps poking until the script acknowledges. SIGTERM ends the script with 143
// unless the ignore-kill marker exists. Background children never hold the job's stdout, so
// the engine sees EOF as soon as the script exits.
constexpr const char* kScript = R"SH(#!/bin/sh
d=$1; k=$2; secs=$3
f="$d/$k"
timer=
cleanup() {
  if [ -n "$timer" ]; then kill -9 "$timer" 2>/dev/null; fi
  : > "$f.exit"
}
trap cleanup EXIT
on_term() {
  if [ -e "$f.ignorekill" ]; then echo "test job: SIGTERM ignored"; else exit 143; fi
}
trap on_term TERM
if [ -n "$secs" ]; then
  ( sleep "$secs" && printf 'succeed\n' > "$f.request.timer" && mv "$f.request.timer" "$f.request" \
      && printf 'x' > "$f.fifo" ) </dev/null >/dev/null 2>&1 &
  timer=$!
fi
echo $$ > "$f.pid"
while :; do
  if [ -s "$f.request" ]; then
    cmd=
    read -r cmd < "$f.request"
    printf '%s\n' "$cmd" > "$f.ack"
    case "$cmd" in
      succeed)
        if [ -s "$f.out" ]; then cp "$f.out" "$JOB_OUTPUT_PROP_FILE"; fi
        echo "test job: succeeded"
        exit 0 ;;
      fail)
        echo "test job: failed"
        exit 1 ;;
    esac
  fi
  cat "$f.fifo" > /dev/null 2>&1 &
  reader=$!
  wait "$reader"
  kill "$reader" 2>/dev/null
done
)SH";

std::string keyPart(const std::string& nestedId) {
  std::string out = nestedId;
  for (char& c : out) {
    if (c == ':' || c == '/') c = '-';
  }
  return out;
}

bool javaTrue(const std::string& value) {
  std::string t = trim(value);
  if (t.size() != 4) return false;
  for (size_t i = 0; i < 4; ++i) {
    if (std::tolower(static_cast<unsigned char>(t[i])) != "true"[i]) return false;
  }
  return true;
}

std::string formatSeconds(double seconds) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.3f", seconds < 0 ? 0.0 : seconds);
  return buffer;
}

// The upstream test job's generated properties start empty, so a failed or killed attempt
// still reports an empty output set (conformance 0.1), where a command job reports none.
class TestJob final : public jobtypes::Job {
 public:
  explicit TestJob(std::unique_ptr<jobtypes::Job> inner) : inner_(std::move(inner)) {}
  void start(std::function<void(jobtypes::JobResult)> done) override {
    inner_->start([done = std::move(done)](jobtypes::JobResult result) {
      if (!result.outputProps) result.outputProps = Props::make();
      done(std::move(result));
    });
  }
  void cancel() override { inner_->cancel(); }

 private:
  std::unique_ptr<jobtypes::Job> inner_;
};

}  // namespace

TestJobController::TestJobController(std::filesystem::path controlDir)
    : dir_(std::move(controlDir)), script_(dir_ / "test_job.sh") {
  std::filesystem::create_directories(dir_);
  std::ofstream out(script_, std::ios::trunc);
  out << kScript;
}

std::string TestJobController::registerAttempt(int execId, const std::string& nestedId, int attempt,
                                               std::optional<double> sleepSeconds) {
  const std::string key =
      std::to_string(execId) + "." + keyPart(nestedId) + "." + std::to_string(attempt);
  const auto base = dir_ / key;
  for (const char* suffix : {".fifo", ".pid", ".exit", ".out", ".request", ".ack", ".ignorekill"}) {
    std::error_code ec;
    std::filesystem::remove(base.string() + suffix, ec);
  }
  ::mkfifo((base.string() + ".fifo").c_str(), 0600);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& entry = latest_[{execId, nestedId}];
    entry.first = key;
    entry.second += 1;
  }
  std::string command = "/bin/sh " + script_.string() + " " + dir_.string() + " " + key;
  if (sleepSeconds) command += " " + formatSeconds(*sleepSeconds);
  return command;
}

std::optional<std::string> TestJobController::latestKey(const std::string& nestedId,
                                                        int execId) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (execId != kAnyExec) {
    auto it = latest_.find({execId, nestedId});
    if (it == latest_.end()) return std::nullopt;
    return it->second.first;
  }
  std::optional<std::string> found;
  for (const auto& [id, entry] : latest_) {
    if (id.second != nestedId) continue;
    if (found) return std::nullopt;  // ambiguous: the caller must name the execution
    found = entry.first;
  }
  return found;
}

bool TestJobController::deliver(const std::string& key, const std::string& command,
                                std::chrono::milliseconds timeout) {
  const std::string base = (dir_ / key).string();
  if (std::filesystem::exists(base + ".exit")) return false;
  {
    std::ofstream out(base + ".request.tmp", std::ios::trunc);
    out << command << "\n";
  }
  std::filesystem::rename(base + ".request.tmp", base + ".request");
  const std::string fifo = base + ".fifo";
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (std::filesystem::exists(base + ".ack")) return true;
    if (std::filesystem::exists(base + ".exit")) return std::filesystem::exists(base + ".ack");
    // Poke the reader. Non-blocking: ENXIO while no reader has the FIFO open; poke again
    // until the script acknowledges, since a poke can be lost with a dying reader.
    int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) {
      [[maybe_unused]] ssize_t n = ::write(fd, "x", 1);
      ::close(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return std::filesystem::exists(base + ".ack");
}

bool TestJobController::succeed(const std::string& nestedId,
                                const std::map<std::string, std::string>& outputs, int execId,
                                std::chrono::milliseconds timeout) {
  auto key = latestKey(nestedId, execId);
  if (!key) return false;
  const auto base = dir_ / *key;
  {
    nlohmann::json doc = nlohmann::json::object();
    for (const auto& [k, v] : outputs) doc[k] = v;
    std::ofstream out(base.string() + ".out.tmp", std::ios::trunc);
    out << (outputs.empty() ? std::string() : doc.dump());
  }
  std::filesystem::rename(base.string() + ".out.tmp", base.string() + ".out");
  return deliver(*key, "succeed", timeout);
}

bool TestJobController::fail(const std::string& nestedId, int execId,
                             std::chrono::milliseconds timeout) {
  auto key = latestKey(nestedId, execId);
  if (!key) return false;
  return deliver(*key, "fail", timeout);
}

void TestJobController::setIgnoreKill(const std::string& nestedId, bool ignore, int execId) {
  auto key = latestKey(nestedId, execId);
  if (!key) return;
  const auto marker = dir_ / (*key + ".ignorekill");
  std::error_code ec;
  if (ignore) {
    std::ofstream(marker).put('\n');
  } else {
    std::filesystem::remove(marker, ec);
  }
}

bool TestJobController::isWaiting(const std::string& nestedId, int execId) const {
  auto key = latestKey(nestedId, execId);
  if (!key) return false;
  const auto base = dir_ / *key;
  return std::filesystem::exists(base.string() + ".pid") &&
         !std::filesystem::exists(base.string() + ".exit");
}

int TestJobController::attempts(const std::string& nestedId, int execId) const {
  std::lock_guard<std::mutex> lock(mutex_);
  int total = 0;
  for (const auto& [id, entry] : latest_) {
    if (id.second == nestedId && (execId == kAnyExec || id.first == execId)) total += entry.second;
  }
  return total;
}

Result<std::unique_ptr<jobtypes::Job>> TestJobTypeFactory::create(jobtypes::JobContext context) {
  const auto& props = context.jobProps;
  auto get = [&props](const std::string& key) -> std::optional<std::string> {
    auto it = props.find(key);
    if (it == props.end()) return std::nullopt;
    return it->second;
  };
  auto number = [](const std::optional<std::string>& text, double fallback) {
    if (!text) return fallback;
    try {
      return std::stod(trim(*text));
    } catch (...) {
      return fallback;
    }
  };

  std::string command;
  auto failValue = get("fail");
  if (!failValue) {
    command = controller_->registerAttempt(context.execId, context.nestedId, context.attempt,
                                           std::nullopt);
  } else if (javaTrue(*failValue)) {
    long long passRetry = static_cast<long long>(number(get("passRetry"), 0));
    long long attempt = static_cast<long long>(number(get("azkaban.job.attempt"), context.attempt));
    command = passRetry > 0 && attempt > passRetry ? "true" : "sh -c 'exit 1'";
  } else {
    double seconds = number(get("seconds"), 10);
    std::optional<double> sleep = seconds;
    if (options_.sleepPolicy) sleep = options_.sleepPolicy(context.nestedId, seconds);
    if (sleep && *sleep <= 0) {
      command = "true";
    } else {
      command =
          controller_->registerAttempt(context.execId, context.nestedId, context.attempt, sleep);
    }
  }

  // Runs as the executor's user, without the memory wait: the test type has no proxy user.
  auto sysProps = Props::make(context.sysProps);
  sysProps->put("execute.as.user", "false");
  sysProps->put("memCheck.enabled", "false");
  context.sysProps = sysProps;

  jobtypes::CommandJobOptions options;
  options.killGrace = options_.killGrace;
  options.requireEffectiveUser = false;
  options.commandsOverride = std::vector<std::string>{command};
  return std::unique_ptr<jobtypes::Job>(std::make_unique<TestJob>(
      std::make_unique<jobtypes::CommandJob>(std::move(context), std::move(options))));
}

}  // namespace azx::testing
