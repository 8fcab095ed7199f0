#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/event_loop.h"
#include "core/result.h"

namespace azx::jobtypes {

// The OS identity a child switches to before exec (execute.as.user).
struct RunAsUser {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};
// Looks a user up in the system databases (getpwnam, getgrouplist); error when unknown.
Result<RunAsUser> lookupUser(const std::string& name);

struct SpawnOptions {
  std::vector<std::string> argv;
  std::vector<std::string> environment;  // complete environment of the child, "NAME=value"
  std::filesystem::path workingDir;
  std::optional<RunAsUser> runAs;
};

// One child process in its own process group, driven by the event loop: each output line
// (stdout and stderr merged) is reported, then the exit. Lives on the loop thread.
class ChildProcess {
 public:
  using LineCallback = std::function<void(const std::string& line)>;
  // exitCode >= 0 for a normal exit; 128+signal when killed by a signal.
  using ExitCallback = std::function<void(int exitCode)>;

  ChildProcess(EventLoop& loop, LineCallback onLine, ExitCallback onExit);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  Result<void> spawn(const SpawnOptions& options);
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0 && !exited_; }
  // Sends `signal` to the whole process group.
  void signalGroup(int signal);

 private:
  Result<void> started(pid_t pid, int outFd);  // watches a spawned child's output and exit
  void onOutputReadable();
  void onExitReadable();
  void pollExit();
  void finishIfDone();
  void closeOutput();

  EventLoop& loop_;
  LineCallback onLine_;
  ExitCallback onExit_;
  pid_t pid_ = -1;
  int pidFd_ = -1;
  int outFd_ = -1;
  EventLoop::WatchId outWatch_ = 0;
  EventLoop::WatchId exitWatch_ = 0;
  EventLoop::TimerId drainTimer_ = 0;
  EventLoop::TimerId pollTimer_ = 0;
  std::string partial_;
  bool exited_ = false;
  bool reported_ = false;
  int exitCode_ = -1;
};

}  // namespace azx::jobtypes
