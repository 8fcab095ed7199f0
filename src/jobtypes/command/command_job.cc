#include "jobtypes/command/command_job.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "core/java_properties.h"
#include "core/props_resolver.h"
#include "jobtypes/command/command_line.h"

extern char** environ;

namespace azx::jobtypes {
namespace {

constexpr int64_t kMemoryFloorKb = 3LL * 1024 * 1024;  // Azkaban keeps 3 GiB free
constexpr int kMemoryMaxWaits = 720;

// Creates or truncates `path` with `content`, as FileOutputStream would (mode 0666 & umask).
bool writeWholeFile(const std::filesystem::path& path, std::string_view content) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) return false;
  while (!content.empty()) {
    ssize_t written = write(fd, content.data(), content.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      int saved = errno;
      close(fd);
      errno = saved;
      return false;
    }
    content.remove_prefix(static_cast<size_t>(written));
  }
  return close(fd) == 0;
}

std::string randomSuffix() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::to_string(rng() & 0x7fffffffffffffffULL);
}

std::string replaceSpaces(std::string text) {
  for (char& c : text) {
    if (c == ' ') c = '_';
  }
  return text;
}

std::string javaDouble(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  double a = std::fabs(v);
  if (a != 0 && (a >= 1e7 || a < 1e-3)) {
    // Java: computerized scientific notation, shortest digits, e.g. 1.0E10.
    char buf[64];
    snprintf(buf, sizeof(buf), "%.17g", v);
    int exp = static_cast<int>(std::floor(std::log10(a)));
    double mant = v / std::pow(10.0, exp);
    for (int digits = 1; digits <= 17; ++digits) {
      snprintf(buf, sizeof(buf), "%.*g", digits, mant);
      if (std::stod(buf) * std::pow(10.0, exp) == v) break;
    }
    std::string m = buf;
    if (m.find('.') == std::string::npos) m += ".0";
    return m + "E" + std::to_string(exp);
  }
  char buf[64];
  for (int digits = 1; digits <= 17; ++digits) {
    snprintf(buf, sizeof(buf), "%.*g", digits, v);
    if (std::stod(buf) == v) break;
  }
  std::string s = buf;
  if (s.find('.') == std::string::npos && s.find('e') == std::string::npos) s += ".0";
  return s;
}

}  // namespace

std::string javaStringOf(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::string:
      return value.get<std::string>();
    case nlohmann::json::value_t::boolean:
      return value.get<bool>() ? "true" : "false";
    case nlohmann::json::value_t::number_integer:
      return std::to_string(value.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned:
      return std::to_string(value.get<uint64_t>());
    case nlohmann::json::value_t::number_float:
      return javaDouble(value.get<double>());
    case nlohmann::json::value_t::array: {
      std::string out = "[";
      bool first = true;
      for (const auto& item : value) {
        if (!first) out += ", ";
        first = false;
        out += javaStringOf(item);
      }
      return out + "]";
    }
    case nlohmann::json::value_t::object: {
      std::string out = "{";
      bool first = true;
      for (const auto& [k, item] : value.items()) {
        if (!first) out += ", ";
        first = false;
        out += k + "=" + javaStringOf(item);
      }
      return out + "}";
    }
    default:
      return "null";
  }
}

CommandJob::CommandJob(JobContext context, CommandJobOptions options)
    : context_(std::move(context)), options_(std::move(options)) {}

CommandJob::~CommandJob() {
  if (memoryTimer_) context_.loop->cancelTimer(memoryTimer_);
  if (killTimer_) context_.loop->cancelTimer(killTimer_);
}

void CommandJob::start(std::function<void(JobResult)> done) {
  done_ = std::move(done);
  // The quirk of 3.6 step 1: the already resolved properties are resolved once more.
  auto again = resolveProps(context_.jobProps);
  if (!again) {
    fail("Bad property definition! " + again.error().message);
    return;
  }
  view_ = Props::fromMap(std::move(*again));
  const Props& view = *view_;
  bool memCheck = context_.sysProps ? context_.sysProps->getBool("memCheck.enabled", true) : true;
  if (memCheck && view.getBool("azkaban.memory.check", true) && !memoryAvailable()) {
    context_.logger->info("Not enough memory on the host; waiting one minute before retrying");
    waitForMemory();
    return;
  }
  prepareAndRun();
}

// Azkaban waits a minute and checks again, up to 720 times (flow-semantics 3.6 step 2); a kill
// ends the wait.
void CommandJob::waitForMemory() {
  memoryTimer_ = context_.loop->addTimer(std::chrono::minutes(1), [this] {
    memoryTimer_ = 0;
    if (memoryAvailable()) return prepareAndRun();
    if (++memoryWaits_ >= kMemoryMaxWaits) {
      return fail("Cannot request memory (Xms 0 kb, Xmx 0 kb) from system for job " +
                  context_.jobId);
    }
    waitForMemory();
  });
}

bool CommandJob::memoryAvailable() const {
  // A passing reading is reused for a second: the check runs before every job, a fan-out
  // starts hundreds in that time, and the kernel formats all of /proc/meminfo on each read.
  static std::atomic<int64_t> lastPassNanos{INT64_MIN / 2};
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  if (now - lastPassNanos.load(std::memory_order_relaxed) < 1'000'000'000) return true;
  bool available = readMemoryAvailable();
  if (available) lastPassNanos.store(now, std::memory_order_relaxed);
  return available;
}

bool CommandJob::readMemoryAvailable() {
  // One read() and a scan: iostream parsing of the ~50 lines cost more than starting
  // /bin/true.
  int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;  // unreadable: the check passes, as in Azkaban
  char buffer[8192];
  ssize_t size = read(fd, buffer, sizeof(buffer) - 1);
  close(fd);
  if (size <= 0) return true;
  std::string_view text(buffer, static_cast<size_t>(size));
  int64_t total = 0;
  int seen = 0;
  for (std::string_view key : {"MemFree:", "Buffers:", "Cached:", "SwapFree:"}) {
    size_t at = 0;
    while ((at = text.find(key, at)) != std::string_view::npos) {
      if (at == 0 || text[at - 1] == '\n') break;
      at += key.size();
    }
    if (at == std::string_view::npos) continue;
    const char* p = text.data() + at + key.size();
    const char* end = text.data() + text.size();
    while (p < end && *p == ' ') ++p;
    int64_t value = 0;
    auto [next, ec] = std::from_chars(p, end, value);
    if (ec != std::errc() || next == p) continue;
    total += value;
    ++seen;
  }
  return seen == 0 || total >= kMemoryFloorKb;
}

void CommandJob::prepareAndRun() {
  const Props& view = *view_;
  if (options_.commandsOverride) {
    commands_ = *options_.commandsOverride;
  } else {
    auto first = view.get("command");
    if (!first) return fail("Job set up failed: Missing required property 'command'");
    commands_.push_back(*first);
    for (int i = 1;; ++i) {
      auto next = view.get("command." + std::to_string(i));
      if (!next) break;
      commands_.push_back(*next);
    }
  }
  context_.logger->info(std::to_string(commands_.size()) + " commands to execute.");

  std::filesystem::path workingDir = context_.workingDir;
  if (auto wd = view.get("working.dir")) workingDir = *wd;
  context_.workingDir = workingDir;
  context_.logger->info("cwd=" + workingDir.string());

  effectiveUser_ = view.getOr("user.to.proxy", view.getOr("azkaban.flow.submituser", ""));
  if (effectiveUser_.empty() && options_.requireEffectiveUser) {
    return fail("No user.to.proxy or submit.user in the jobProps");
  }
  bool executeAsUser =
      context_.sysProps ? context_.sysProps->getBool("execute.as.user", true) : true;
  if (executeAsUser) {
    auto asUser = setUpExecuteAsUser();
    if (!asUser) return fail(asUser.error().message);
  }

  auto files = writePropertyFiles();
  if (!files) return fail(files.error().message);

  std::map<std::string, std::string, std::less<>> jobEnv;
  for (const auto& [k, v] : view_->local()) {
    if (k.rfind("env.", 0) == 0 && k.size() > 4) jobEnv[k.substr(4)] = v;
  }
  jobEnv["JOB_PROP_FILE"] = propFile_.string();
  jobEnv["JOB_NAME"] = context_.jobId;
  jobEnv["JOB_OUTPUT_PROP_FILE"] = outputFile_.string();
  const std::string krb5ccname =
      "/tmp/krb5cc__" + replaceSpaces(view.getOr("azkaban.flow.projectname", "")) + "__" +
      replaceSpaces(view.getOr("azkaban.flow.flowid", "")) + "__" + replaceSpaces(context_.jobId) +
      "__" + view.getOr("azkaban.flow.execid", "") + "__" + effectiveUser_;
  // The executor's environment, where the job's variables and KRB5CCNAME win.
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = entry.substr(0, eq);
    if (name != "KRB5CCNAME" && jobEnv.find(name) == jobEnv.end())
      spawn_.environment.emplace_back(entry);
  }
  for (const auto& [k, v] : jobEnv) {
    if (k != "KRB5CCNAME") spawn_.environment.push_back(k + "=" + v);
  }
  spawn_.environment.push_back("KRB5CCNAME=" + krb5ccname);
  spawn_.workingDir = context_.workingDir;
  spawn_.runAs = runAs_;
  std::string envText = "{";
  bool first = true;
  for (const auto& [k, v] : jobEnv) {
    envText += (first ? "" : ", ") + k + "=" + v;
    first = false;
  }
  context_.logger->info("Environment variables: " + envText + "}");
  runNext();
}

Result<void> CommandJob::setUpExecuteAsUser() {
  std::vector<std::string> blacklist = splitCommaList(
      context_.sysProps ? context_.sysProps->getOr("azkaban.server.blacklist.users", "root,azkaban")
                        : "root,azkaban");
  for (const auto& banned : blacklist) {
    if (banned == effectiveUser_) {
      return Error{"Not permitted to proxy as '" + effectiveUser_ + "' through Azkaban"};
    }
  }
  if (geteuid() != 0) {
    // Switching users needs root; a non-root executor runs jobs as itself (documented).
    context_.logger->warn(
        "execute.as.user is enabled but the executor does not run as root; "
        "the job runs as the executor's own user");
    return okResult();
  }
  auto user = lookupUser(effectiveUser_);
  if (!user) return user.error();
  context_.logger->info("effective user is: " + effectiveUser_);
  std::string groupName =
      context_.sysProps ? context_.sysProps->getOr("azkaban.group.name", "azkaban") : "azkaban";
  gid_t gid = user->gid;
  if (struct group* g = getgrnam(groupName.c_str())) gid = g->gr_gid;
  if (chown(context_.workingDir.c_str(), user->uid, gid) != 0) {
    return Error{"cannot give working directory '" + context_.workingDir.string() + "' to " +
                 effectiveUser_ + ":" + groupName};
  }
  runAs_ = std::move(*user);
  return okResult();
}

Result<void> CommandJob::writePropertyFiles() {
  propFile_ = context_.workingDir / (context_.jobId + "_props_" + randomSuffix() + "_tmp");
  outputFile_ = context_.workingDir / (context_.jobId + "_output_" + randomSuffix() + "_tmp");
  if (!writeWholeFile(propFile_, writeJavaProperties(view_->local(), ""))) {
    return Error{"cannot write " + propFile_.string() + ": " + std::strerror(errno)};
  }
  if (!writeWholeFile(outputFile_, "")) {
    return Error{"cannot write " + outputFile_.string() + ": " + std::strerror(errno)};
  }
  if (runAs_) {
    [[maybe_unused]] int a = chown(propFile_.c_str(), runAs_->uid, runAs_->gid);
    [[maybe_unused]] int b = chown(outputFile_.c_str(), runAs_->uid, runAs_->gid);
  }
  return okResult();
}

void CommandJob::runNext() {
  if (cancelled_) return finish(JobResult{false, "Job was killed"});
  if (nextCommand_ >= commands_.size()) {
    auto outputs = readOutputProperties();
    return finish(JobResult{true, "", outputs});
  }
  const std::string& command = commands_[nextCommand_++];
  context_.logger->info("Command: " + command);
  spawn_.argv = splitCommandLine(command);
  context_.logger->info("Working directory: " + context_.workingDir.string());
  child_ = std::make_unique<ChildProcess>(
      *context_.loop, [this](const std::string& line) { context_.logger->info(line); },
      [this](int code) { onCommandExit(code); });
  commandStart_ = context_.clock->nowMillis();
  auto spawned = child_->spawn(spawn_);
  if (!spawned) {
    child_.reset();
    std::error_code ec;
    std::filesystem::remove(propFile_, ec);
    std::filesystem::remove(outputFile_, ec);
    return fail(spawned.error().message);
  }
  context_.logger->info("Spawned process with id " + std::to_string(child_->pid()));
}

void CommandJob::onCommandExit(int exitCode) {
  int64_t seconds = (context_.clock->nowMillis() - commandStart_) / 1000;
  std::string pid = std::to_string(child_->pid());
  if (killTimer_) context_.loop->cancelTimer(killTimer_);
  killTimer_ = 0;
  // The child object is still on the stack of its own callback: release it later.
  context_.loop->post([dead = std::shared_ptr<ChildProcess>(std::move(child_))] {});
  if (exitCode == 0) {
    context_.logger->info("Process with id " + pid + " completed successfully in " +
                          std::to_string(seconds) + " seconds.");
    runNext();
    return;
  }
  context_.logger->info("Process with id " + pid + " completed unsuccessfully in " +
                        std::to_string(seconds) + " seconds.");
  std::error_code ec;
  std::filesystem::remove(propFile_, ec);
  std::filesystem::remove(outputFile_, ec);
  fail("Process exited with code " + std::to_string(exitCode));
}

PropsPtr CommandJob::readOutputProperties() {
  context_.logger->info("output properties file=" + outputFile_.string());
  auto empty = Props::make();
  struct stat info {};
  // Most jobs write nothing: an empty file needs no stream.
  if (stat(outputFile_.c_str(), &info) != 0 || info.st_size == 0) return empty;
  std::ifstream in(outputFile_, std::ios::binary);
  if (!in) return empty;
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = trim(buffer.str());
  if (text.empty()) return empty;
  // Anything but a JSON object (or a null member) silently yields no outputs, as in Azkaban.
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return empty;
  auto outputs = Props::make();
  for (const auto& [k, v] : parsed.items()) {
    if (v.is_null()) return empty;
    outputs->put(k, javaStringOf(v));
  }
  return outputs;
}

void CommandJob::cancel() {
  if (cancelled_ || finished_) return;
  cancelled_ = true;
  context_.logger->info("Kill has been called.");
  if (memoryTimer_) {
    context_.loop->cancelTimer(memoryTimer_);
    memoryTimer_ = 0;
    finish(JobResult{false, "Job was killed while waiting for memory"});
    return;
  }
  if (!child_ || !child_->running()) return;  // runNext() sees cancelled_
  child_->signalGroup(SIGTERM);
  killTimer_ = context_.loop->addTimer(options_.killGrace, [this] {
    killTimer_ = 0;
    if (child_ && child_->running()) {
      context_.logger->info("Kill with signal TERM failed. Killing with KILL signal.");
      child_->signalGroup(SIGKILL);
    }
  });
}

void CommandJob::fail(const std::string& message) {
  context_.logger->error(message);
  finish(JobResult{false, message, nullptr});
}

void CommandJob::finish(JobResult result) {
  if (finished_) return;
  finished_ = true;
  auto done = std::move(done_);
  if (done) done(std::move(result));
}

Result<std::unique_ptr<Job>> CommandJobFactory::create(JobContext context) {
  return std::unique_ptr<Job>(std::make_unique<CommandJob>(std::move(context), options_));
}

}  // namespace azx::jobtypes
