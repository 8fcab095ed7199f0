// Driver for bench/engine_overhead.py.
//
//   bench_driver floor --stages 1,500,1 --parallel P [--program /bin/true]
//     The floor: fork/execs the program once per job, stage after stage, at most P at a time
//     (a stage starts when the previous one has finished, like a fan-out/fan-in DAG).
//   bench_driver measure [--stdout FILE] -- CMD ARGS...
//     Runs CMD once and prints {"wall_ms":..,"maxrss_kb":..,"user_ms":..,"sys_ms":..,"exit":..}
//     from wait4(): the rusage of exactly that child, not of everything this process waited for.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

extern char** environ;

namespace {

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "bench_driver: %s\n", message.c_str());
  std::exit(2);
}

pid_t spawn(char* const argv[], int stdoutFd) {
  pid_t pid = fork();
  if (pid < 0) die(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    if (stdoutFd >= 0) dup2(stdoutFd, 1);
    execve(argv[0], argv, environ);
    _exit(127);
  }
  return pid;
}

double millisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

int runFloor(const std::vector<long>& stages, long parallel, const std::string& program) {
  std::string arg0 = program;
  char* argv[] = {arg0.data(), nullptr};
  long failures = 0;
  auto reap = [&] {
    int status = 0;
    if (wait(&status) < 0) die(std::string("wait: ") + std::strerror(errno));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failures;
  };
  for (long jobs : stages) {
    long running = 0;
    for (long i = 0; i < jobs; ++i) {
      if (running == parallel) {
        reap();
        --running;
      }
      spawn(argv, -1);
      ++running;
    }
    for (; running > 0; --running) reap();
  }
  return failures == 0 ? 0 : 1;
}

int runMeasure(char* const argv[], const char* stdoutPath) {
  int fd = -1;
  if (stdoutPath) {
    fd = open(stdoutPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) die(std::string("open ") + stdoutPath + ": " + std::strerror(errno));
  }
  auto start = std::chrono::steady_clock::now();
  pid_t pid = spawn(argv, fd);
  int status = 0;
  struct rusage usage {};
  if (wait4(pid, &status, 0, &usage) < 0) die(std::string("wait4: ") + std::strerror(errno));
  double wall = millisSince(start);
  if (fd >= 0) close(fd);
  auto ms = [](const timeval& tv) { return tv.tv_sec * 1000.0 + tv.tv_usec / 1000.0; };
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::printf(
      "{\"wall_ms\": %.3f, \"maxrss_kb\": %ld, \"user_ms\": %.3f, \"sys_ms\": %.3f, "
      "\"exit\": %d}\n",
      wall, usage.ru_maxrss, ms(usage.ru_utime), ms(usage.ru_stime), code);
  return 0;
}

std::vector<long> parseStages(const std::string& text) {
  std::vector<long> stages;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string part =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    char* end = nullptr;
    long n = std::strtol(part.c_str(), &end, 10);
    if (part.empty() || *end != '\0' || n <= 0) die("bad --stages '" + text + "'");
    stages.push_back(n);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return stages;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) die("usage: bench_driver floor|measure ...");
  std::string mode = argv[1];
  if (mode == "floor") {
    std::vector<long> stages;
    long parallel = 1;
    std::string program = "/bin/true";
    for (int i = 2; i + 1 < argc; i += 2) {
      std::string flag = argv[i];
      if (flag == "--stages") {
        stages = parseStages(argv[i + 1]);
      } else if (flag == "--parallel") {
        parallel = std::strtol(argv[i + 1], nullptr, 10);
      } else if (flag == "--program") {
        program = argv[i + 1];
      } else {
        die("unknown flag " + flag);
      }
    }
    if (stages.empty() || parallel <= 0) die("floor needs --stages and a positive --parallel");
    return runFloor(stages, parallel, program);
  }
  if (mode == "measure") {
    const char* stdoutPath = nullptr;
    int i = 2;
    if (i + 1 < argc && std::strcmp(argv[i], "--stdout") == 0) {
      stdoutPath = argv[i + 1];
      i += 2;
    }
    if (i >= argc || std::strcmp(argv[i], "--") != 0 || i + 1 >= argc) {
      die("usage: bench_driver measure [--stdout FILE] -- CMD ARGS...");
    }
    return runMeasure(argv + i + 1, stdoutPath);
  }
  die("unknown mode " + mode);
}
