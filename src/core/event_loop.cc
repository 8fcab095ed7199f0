#include "core/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace azx {

EventLoop::EventLoop() : loopThread_(std::this_thread::get_id()) {
  epollFd_ = epoll_create1(EPOLL_CLOEXEC);
  wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epollFd_ < 0 || wakeFd_ < 0) throw std::runtime_error("cannot create the event loop");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;  // watch id 0 is the wake-up descriptor
  epoll_ctl(epollFd_, EPOLL_CTL_ADD, wakeFd_, &ev);
}

EventLoop::~EventLoop() {
  if (wakeFd_ >= 0) close(wakeFd_);
  if (epollFd_ >= 0) close(epollFd_);
}

void EventLoop::run() {
  runUntil([] { return false; });
}

void EventLoop::runUntil(const std::function<bool()>& done) {
  loopThread_ = std::this_thread::get_id();
  stopped_ = false;
  runPosted();
  while (!stopped_ && !done()) {
    dispatchOnce(nextTimeoutMs());
  }
}

void EventLoop::stop() {
  if (inLoopThread()) {
    stopped_ = true;
  } else {
    post([this] { stopped_ = true; });
  }
}

void EventLoop::post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(postedMutex_);
    posted_.push_back(std::move(task));
  }
  // The loop itself runs posted tasks before it waits again; only other threads must wake it.
  if (inLoopThread()) return;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wakeFd_, &one, sizeof(one));
}

EventLoop::TimerId EventLoop::addTimer(std::chrono::milliseconds delay,
                                       std::function<void()> callback) {
  TimerId id = nextId_++;
  auto due = std::chrono::steady_clock::now() + delay;
  timers_.emplace(id, Timer{due, std::move(callback)});
  timerOrder_.emplace(due, id);
  return id;
}

void EventLoop::cancelTimer(TimerId id) { timers_.erase(id); }

EventLoop::WatchId EventLoop::watchReadable(int fd, std::function<void()> callback) {
  WatchId id = nextId_++;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.u64 = id;
  if (epoll_ctl(epollFd_, EPOLL_CTL_ADD, fd, &ev) != 0) return 0;
  watches_.emplace(id, Watch{fd, std::move(callback)});
  return id;
}

void EventLoop::unwatch(WatchId id) {
  auto it = watches_.find(id);
  if (it == watches_.end()) return;
  epoll_ctl(epollFd_, EPOLL_CTL_DEL, it->second.fd, nullptr);
  watches_.erase(it);
}

int EventLoop::nextTimeoutMs() const {
  {
    std::lock_guard<std::mutex> lock(postedMutex_);
    if (!posted_.empty()) return 0;
  }
  for (const auto& [due, id] : timerOrder_) {
    if (timers_.count(id) == 0) continue;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    due - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return 0;
    return static_cast<int>(std::min<long long>(left + 1, 60'000));
  }
  return 60'000;
}

EventLoop::HookId EventLoop::addBeforeWait(std::function<void()> hook) {
  HookId id = nextId_++;
  beforeWait_.emplace(id, std::move(hook));
  return id;
}

void EventLoop::removeBeforeWait(HookId id) { beforeWait_.erase(id); }

void EventLoop::dispatchOnce(int timeoutMs) {
  for (auto& [id, hook] : beforeWait_) hook();
  epoll_event events[64];
  int n = epoll_wait(epollFd_, events, 64, timeoutMs);
  if (n < 0 && errno != EINTR) throw std::runtime_error("epoll_wait failed");
  for (int i = 0; i < n; ++i) {
    WatchId id = events[i].data.u64;
    if (id == 0) {
      uint64_t value;
      while (read(wakeFd_, &value, sizeof(value)) > 0) {
      }
      continue;
    }
    auto it = watches_.find(id);
    if (it == watches_.end()) continue;   // unwatched by an earlier callback of this batch
    auto callback = it->second.callback;  // the callback may unwatch itself
    callback();
  }
  runDueTimers();
  runPosted();
}

void EventLoop::runDueTimers() {
  auto now = std::chrono::steady_clock::now();
  while (!timerOrder_.empty() && timerOrder_.begin()->first <= now) {
    TimerId id = timerOrder_.begin()->second;
    timerOrder_.erase(timerOrder_.begin());
    auto it = timers_.find(id);
    if (it == timers_.end()) continue;
    auto callback = std::move(it->second.callback);
    timers_.erase(it);
    callback();
  }
}

void EventLoop::runPosted() {
  for (int round = 0; round < 1000; ++round) {
    std::vector<std::function<void()>> batch;
    {
      std::lock_guard<std::mutex> lock(postedMutex_);
      batch.swap(posted_);
    }
    if (batch.empty()) return;
    for (auto& task : batch) task();
  }
}

}  // namespace azx
