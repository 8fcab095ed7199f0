#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace azx {

// A single-threaded reactor (epoll): posted tasks, timers and readable file descriptors.
// Everything the engine owns about running executions is touched only on this thread, so
// thousands of jobs waiting on processes or remote work cost a descriptor or a timer each,
// never a thread. post() may be called from any thread; everything else only on the loop
// thread (or before run()).
class EventLoop {
 public:
  using TimerId = uint64_t;
  using WatchId = uint64_t;

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs until stop() is called. Tasks posted before stop() are run first.
  void run();
  // Runs until `done()` holds (checked after each dispatch) or stop().
  void runUntil(const std::function<bool()>& done);
  void stop();

  void post(std::function<void()> task);
  TimerId addTimer(std::chrono::milliseconds delay, std::function<void()> callback);
  void cancelTimer(TimerId id);
  // Calls `callback` whenever `fd` is readable (or hung up) until unwatch().
  WatchId watchReadable(int fd, std::function<void()> callback);
  void unwatch(WatchId id);

  bool inLoopThread() const { return std::this_thread::get_id() == loopThread_; }

  // Runs `hook` each time before the loop waits for events, until removed: work that can be
  // gathered until then (log lines written out together). A hook must not add or remove hooks.
  using HookId = uint64_t;
  HookId addBeforeWait(std::function<void()> hook);
  void removeBeforeWait(HookId id);

 private:
  void dispatchOnce(int timeoutMs);
  int nextTimeoutMs() const;
  void runDueTimers();
  void runPosted();

  int epollFd_ = -1;
  int wakeFd_ = -1;
  bool stopped_ = false;
  std::thread::id loopThread_;

  mutable std::mutex postedMutex_;
  std::vector<std::function<void()>> posted_;

  uint64_t nextId_ = 1;
  struct Timer {
    std::chrono::steady_clock::time_point due;
    std::function<void()> callback;
  };
  std::multimap<std::chrono::steady_clock::time_point, TimerId> timerOrder_;
  std::unordered_map<TimerId, Timer> timers_;
  struct Watch {
    int fd;
    std::function<void()> callback;
  };
  std::unordered_map<WatchId, Watch> watches_;
  std::map<HookId, std::function<void()>> beforeWait_;
};

}  // namespace azx
