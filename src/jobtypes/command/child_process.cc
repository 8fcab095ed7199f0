#include "jobtypes/command/child_process.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace azx::jobtypes {
namespace {

// Output still buffered in a pipe after the process ended is read for this long; a background
// grandchild holding the pipe open must not keep the job alive (Azkaban waits 5 s too).
constexpr std::chrono::milliseconds kDrainAfterExit{5000};

int openPidFd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  errno = ENOSYS;
  return -1;
#endif
}

// The fast path of ChildProcess::spawn: posix_spawn (clone(CLONE_VM|CLONE_VFORK) in glibc)
// neither copies the executor's page tables nor leaves its heap copy-on-write, which made fork()
// the largest per-job cost (bench/engine_overhead.py). The child does what the fork() path's
// child does, in the same order. It cannot switch users and does not say which step failed, so
// -1 sends runAs jobs and every failure to the fork() path, which reports the exact error.
// Descriptors from 3 up are closed in the child (see the fork() path).
pid_t spawnWithoutFork(const char* file, char* const argv[], char* const envp[],
                       const std::string& cwd, int outFd) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  if (posix_spawn_file_actions_init(&actions) != 0) return -1;
  if (posix_spawnattr_init(&attr) != 0) {
    posix_spawn_file_actions_destroy(&actions);
    return -1;
  }
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  bool ok = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                POSIX_SPAWN_SETSIGDEF) == 0 &&
            posix_spawnattr_setpgroup(&attr, 0) == 0 &&
            posix_spawnattr_setsigmask(&attr, &none) == 0 &&
            posix_spawnattr_setsigdefault(&attr, &defaults) == 0 &&
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0) == 0 &&
            posix_spawn_file_actions_adddup2(&actions, outFd, 1) == 0 &&
            posix_spawn_file_actions_adddup2(&actions, outFd, 2) == 0 &&
            posix_spawn_file_actions_addclosefrom_np(&actions, 3) == 0 &&
            (cwd.empty() || posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str()) == 0);
  pid_t pid = -1;
  if (ok && posix_spawn(&pid, file, &actions, &attr, argv, envp) != 0) pid = -1;
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

}  // namespace

Result<RunAsUser> lookupUser(const std::string& name) {
  struct passwd pwd {};
  struct passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (getpwnam_r(name.c_str(), &pwd, buffer.data(), buffer.size(), &found) != 0 || !found) {
    return Error{"user '" + name + "' does not exist on this host"};
  }
  RunAsUser user{name, pwd.pw_uid, pwd.pw_gid, {}};
  int count = 64;
  std::vector<gid_t> groups(static_cast<size_t>(count));
  if (getgrouplist(name.c_str(), pwd.pw_gid, groups.data(), &count) < 0) {
    groups.resize(static_cast<size_t>(count));
    getgrouplist(name.c_str(), pwd.pw_gid, groups.data(), &count);
  }
  groups.resize(static_cast<size_t>(std::max(count, 0)));
  user.groups = std::move(groups);
  return user;
}

ChildProcess::ChildProcess(EventLoop& loop, LineCallback onLine, ExitCallback onExit)
    : loop_(loop), onLine_(std::move(onLine)), onExit_(std::move(onExit)) {}

ChildProcess::~ChildProcess() {
  if (running()) {
    signalGroup(SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (exitWatch_) loop_.unwatch(exitWatch_);
  if (pollTimer_) loop_.cancelTimer(pollTimer_);
  if (drainTimer_) loop_.cancelTimer(drainTimer_);
  if (pidFd_ >= 0) close(pidFd_);
  closeOutput();
}

Result<void> ChildProcess::spawn(const SpawnOptions& options) {
  if (options.argv.empty()) return Error{"empty command"};
  int pipeFds[2];
  if (pipe2(pipeFds, O_CLOEXEC) != 0) return Error{std::string("pipe: ") + strerror(errno)};

  // Everything the child needs is prepared before fork: only async-signal-safe calls after it.
  // exec does not write through these pointers.
  std::vector<char*> envp;
  envp.reserve(options.environment.size() + 1);
  // execvpe searches the PATH of the child's environment; fall back to the executor's own.
  std::string path = "/usr/local/bin:/usr/bin:/bin";
  for (const auto& entry : options.environment) {
    envp.push_back(const_cast<char*>(entry.c_str()));
    if (entry.compare(0, 5, "PATH=") == 0) path = entry.substr(5);
  }
  envp.push_back(nullptr);
  std::vector<char*> argv;
  argv.reserve(options.argv.size() + 1);
  for (const auto& arg : options.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::string cwd = options.workingDir.string();

  pid_t pid = -1;
  if (!options.runAs) {
    const char* file = argv[0];
    if (strchr(file, '/') != nullptr) {
      pid = spawnWithoutFork(file, argv.data(), envp.data(), cwd, pipeFds[1]);
    } else {
      // The PATH search of the fork() child below, candidate by candidate. A relative entry
      // would be resolved after the chdir, so it is left to that path; so are names that
      // exist nowhere (its error message).
      std::string candidate;
      for (size_t start = 0; pid < 0 && start < path.size();) {
        size_t colon = path.find(':', start);
        size_t len = (colon == std::string::npos ? path.size() : colon) - start;
        if (len + strlen(file) + 2 < 4096) {
          candidate.assign(path, start, len).append("/").append(file);
          if (candidate[0] != '/') break;
          if (access(candidate.c_str(), X_OK) == 0) {
            pid = spawnWithoutFork(candidate.c_str(), argv.data(), envp.data(), cwd, pipeFds[1]);
          }
        }
        if (colon == std::string::npos) break;
        start = colon + 1;
      }
    }
  }
  if (pid > 0) {
    close(pipeFds[1]);
    return started(pid, pipeFds[0]);
  }

  int errorPipe[2];  // reports exec failures to the parent
  if (pipe2(errorPipe, O_CLOEXEC) != 0) {
    close(pipeFds[0]);
    close(pipeFds[1]);
    return Error{std::string("pipe: ") + strerror(errno)};
  }
  pid = fork();
  if (pid < 0) {
    int err = errno;
    close(pipeFds[0]);
    close(pipeFds[1]);
    close(errorPipe[0]);
    close(errorPipe[1]);
    return Error{std::string("fork: ") + strerror(err)};
  }
  if (pid == 0) {
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    int devNull = open("/dev/null", O_RDONLY);
    if (devNull >= 0) dup2(devNull, 0);
    dup2(pipeFds[1], 1);
    dup2(pipeFds[1], 2);
    // Libraries (MariaDB Connector/C, libcurl) open sockets without close-on-exec: a job must
    // not inherit the executor's database sessions. Marked rather than closed, so errorPipe
    // still reports a failed exec.
    close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    int code = 0;
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) code = 1;
    if (code == 0 && options.runAs) {
      const auto& user = *options.runAs;
      if (setgroups(user.groups.size(), user.groups.data()) != 0 || setgid(user.gid) != 0 ||
          setuid(user.uid) != 0) {
        code = 2;
      }
    }
    if (code == 0) {
      const char* file = argv[0];
      if (strchr(file, '/') != nullptr) {
        execve(file, argv.data(), envp.data());
      } else {
        // PATH search by hand: execvpe would use the executor's PATH, not the child's.
        char candidate[4096];
        const char* p = path.c_str();
        while (*p) {
          const char* colon = strchr(p, ':');
          size_t len = colon ? static_cast<size_t>(colon - p) : strlen(p);
          if (len + strlen(file) + 2 < sizeof(candidate)) {
            memcpy(candidate, p, len);
            candidate[len] = '/';
            strcpy(candidate + len + 1, file);
            execve(candidate, argv.data(), envp.data());
          }
          if (!colon) break;
          p = colon + 1;
        }
      }
      code = 3;
    }
    int err = errno;
    int report[2] = {code, err};
    [[maybe_unused]] ssize_t n = write(errorPipe[1], report, sizeof(report));
    _exit(127);
  }
  close(pipeFds[1]);
  close(errorPipe[1]);
  int report[2] = {0, 0};
  ssize_t n;
  do {
    n = read(errorPipe[0], report, sizeof(report));
  } while (n < 0 && errno == EINTR);
  close(errorPipe[0]);
  if (n == static_cast<ssize_t>(sizeof(report))) {
    waitpid(pid, nullptr, 0);
    close(pipeFds[0]);
    const char* what = report[0] == 1   ? "cannot change to the working directory"
                       : report[0] == 2 ? "cannot switch to the effective user"
                                        : "cannot run";
    return Error{std::string(what) + " '" + (report[0] == 1 ? cwd : options.argv[0]) +
                 "': " + strerror(report[1])};
  }

  return started(pid, pipeFds[0]);
}

Result<void> ChildProcess::started(pid_t pid, int outFd) {
  pid_ = pid;
  outFd_ = outFd;
  fcntl(outFd_, F_SETFL, fcntl(outFd_, F_GETFL) | O_NONBLOCK);
  outWatch_ = loop_.watchReadable(outFd_, [this] { onOutputReadable(); });
  pidFd_ = openPidFd(pid);
  if (pidFd_ >= 0) {
    exitWatch_ = loop_.watchReadable(pidFd_, [this] { onExitReadable(); });
  } else {
    pollExit();  // kernels without pidfd
  }
  return okResult();
}

void ChildProcess::pollExit() {
  pollTimer_ = loop_.addTimer(std::chrono::milliseconds(50), [this] {
    pollTimer_ = 0;
    onExitReadable();
    if (!exited_) pollExit();
  });
}

void ChildProcess::signalGroup(int signal) {
  if (pid_ > 0 && !exited_) ::kill(-pid_, signal);
}

void ChildProcess::onOutputReadable() {
  char buffer[65536];
  while (true) {
    ssize_t n = read(outFd_, buffer, sizeof(buffer));
    if (n > 0) {
      partial_.append(buffer, static_cast<size_t>(n));
      size_t start = 0;
      for (size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1) {
        onLine_(partial_.substr(start, nl - start));
      }
      partial_.erase(0, start);
      continue;
    }
    if (n == 0) {  // EOF: every writer closed the pipe
      if (!partial_.empty()) onLine_(partial_);
      partial_.clear();
      closeOutput();
      finishIfDone();
    }
    return;  // EAGAIN or error
  }
}

void ChildProcess::onExitReadable() {
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r != pid_) return;
  exited_ = true;
  exitCode_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (exitWatch_) loop_.unwatch(exitWatch_);
  exitWatch_ = 0;
  if (outFd_ >= 0) {
    drainTimer_ = loop_.addTimer(kDrainAfterExit, [this] {
      drainTimer_ = 0;
      if (outFd_ >= 0) onOutputReadable();
      if (!partial_.empty()) onLine_(partial_);
      partial_.clear();
      closeOutput();
      finishIfDone();
    });
  }
  finishIfDone();
}

void ChildProcess::finishIfDone() {
  if (!exited_ || outFd_ >= 0 || reported_) return;
  reported_ = true;
  if (drainTimer_) loop_.cancelTimer(drainTimer_);
  drainTimer_ = 0;
  // The callback may destroy this object: nothing touches members after it.
  auto callback = onExit_;
  int code = exitCode_;
  callback(code);
}

void ChildProcess::closeOutput() {
  if (outWatch_) loop_.unwatch(outWatch_);
  outWatch_ = 0;
  if (outFd_ >= 0) close(outFd_);
  outFd_ = -1;
}

}  // namespace azx::jobtypes
