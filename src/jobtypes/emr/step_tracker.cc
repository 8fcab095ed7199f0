#include "jobtypes/emr/step_tracker.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace azx::jobtypes::emr {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr size_t kMaxStepIdsPerListSteps = 10;  // ListSteps StepIds limit (EMR model)
constexpr size_t kMaxStepsPerAdd = 256;         // AddJobFlowSteps limit
constexpr int kMaxLogPagesPerTick = 20;
constexpr int kMaxDrainPages = 1000;
constexpr size_t kFullPageEvents = 5000;       // GetLogEvents pages hold <= 10 000 events
constexpr size_t kFullPageBytes = 512 * 1024;  // ... or <= 1 MB
constexpr int kMaxFinalErrors = 3;    // non-retryable status errors before a step is given up
constexpr int kMaxDrainRetries = 20;  // throttled drain attempts before the tail is given up

const std::vector<std::string>& activeStepStates() {
  static const std::vector<std::string> s{"PENDING", "CANCEL_PENDING", "RUNNING"};
  return s;
}

}  // namespace

bool isTerminalStepState(const std::string& state) {
  // INTERRUPTED and any state EMR may add later end the job (the original polled forever).
  return state != "PENDING" && state != "CANCEL_PENDING" && state != "RUNNING" && !state.empty();
}

EmrStepTracker::EmrStepTracker(std::shared_ptr<EmrApi> api, TrackerSettings settings)
    : api_(std::move(api)), settings_(std::move(settings)) {
  worker_ = std::jthread([this](std::stop_token st) { run(st); });
}

EmrStepTracker::~EmrStepTracker() {
  {
    std::lock_guard lk(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.request_stop();
  if (worker_.joinable()) worker_.join();
}

int EmrStepTracker::slowdown() const { return slowdown_.load(); }

EmrStepTracker::Handle EmrStepTracker::submit(SubmitRequest request) {
  Handle h;
  {
    std::lock_guard lk(mutex_);
    h = nextHandle_++;
    intake_.push_back(Pending{h, std::move(request), false});
  }
  cv_.notify_all();
  return h;
}

void EmrStepTracker::cancel(Handle handle) {
  {
    std::lock_guard lk(mutex_);
    cancelRequests_.insert(handle);
  }
  cv_.notify_all();
}

milliseconds EmrStepTracker::scaled(milliseconds base) {
  // +-10 % jitter so executors started together do not poll in lock-step (spec 4, lesson 3).
  std::uniform_real_distribution<double> jitter(0.9, 1.1);
  return milliseconds(
      static_cast<int64_t>(static_cast<double>(base.count()) * slowdown_.load() * jitter(rng_)));
}

void EmrStepTracker::slowDown() {
  slowdown_.store(std::min(settings_.maxSlowdown, slowdown_.load() * 2));
}
void EmrStepTracker::speedUp() { slowdown_.store(std::max(1, slowdown_.load() / 2)); }

void EmrStepTracker::absorbCancelsLocked() {
  for (auto it = cancelRequests_.begin(); it != cancelRequests_.end();) {
    bool used = false;
    for (auto& p : pending_) {
      if (p.handle == *it) p.cancelled = used = true;
    }
    for (auto& [id, t] : steps_) {
      if (t.handle == *it) {
        t.cancelRequested = used = true;
      }
    }
    // Unknown handles (already finished) are dropped; handles still in intake_ wait.
    bool inIntake = std::any_of(intake_.begin(), intake_.end(),
                                [&](const Pending& p) { return p.handle == *it; });
    it = (used || !inIntake) ? cancelRequests_.erase(it) : std::next(it);
  }
}

bool EmrStepTracker::allPendingCancelledLocked() {
  for (const auto& c : cancelRequests_) {
    for (auto& p : pending_) {
      if (p.handle == c) p.cancelled = true;
    }
  }
  return std::all_of(pending_.begin(), pending_.end(),
                     [](const Pending& p) { return p.cancelled; });
}

void EmrStepTracker::run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    {
      std::unique_lock lk(mutex_);
      auto wake = nextWake(true);
      cv_.wait_until(lk, wake,
                     [&] { return stop_ || !intake_.empty() || !cancelRequests_.empty(); });
      if (stop_) return;
      if (!intake_.empty()) {
        // Let concurrent submissions gather so they share one AddJobFlowSteps.
        cv_.wait_for(lk, settings_.submitBatchWindow, [&] { return stop_; });
        if (stop_) return;
        for (auto& p : intake_) pending_.push_back(std::move(p));
        intake_.clear();
      }
      absorbCancelsLocked();
    }
    finishCancelledPending();
    auto now = Clock::now();
    if (!pending_.empty() && now >= nextSubmitAt_) submitPending();
    if (now >= nextCancelAt_) sendCancels();

    now = Clock::now();
    bool full = now >= nextPollAt_;
    bool anyCheck = std::any_of(steps_.begin(), steps_.end(), [&](const auto& kv) {
      return !kv.second.terminal && kv.second.nextCheckAt <= now;
    });
    if (!steps_.empty() && (full || anyCheck)) pollStatus(full);

    for (auto& [id, t] : steps_) {
      if (!t.terminal && (t.state == "RUNNING" || t.state == "CANCEL_PENDING") &&
          Clock::now() >= t.nextLogAt) {
        readLogs(t, false);
        t.nextLogAt = Clock::now() + scaled(settings_.logPollInterval);
      }
    }
    finishTerminal();

    if (eventMode() && !steps_.empty() && Clock::now() >= nextReceiveAt_) {
      auto until = nextWake(false) - Clock::now();
      auto secs = std::chrono::duration_cast<std::chrono::seconds>(until).count();
      int wait = static_cast<int>(std::clamp<int64_t>(secs, 1, settings_.eventsWaitSeconds));
      {
        std::lock_guard lk(mutex_);
        // Work already queued: do not block in a long poll now.
        if (!intake_.empty() || !cancelRequests_.empty()) continue;
      }
      receiveEvents(wait);
      finishTerminal();
    }
  }
}

EmrStepTracker::TimePoint EmrStepTracker::nextWake(bool includeReceive) const {
  TimePoint wake = Clock::now() + milliseconds(60000);
  if (!pending_.empty()) wake = std::min(wake, nextSubmitAt_);
  if (steps_.empty()) return wake;
  wake = std::min(wake, nextPollAt_);
  if (includeReceive && eventMode()) wake = std::min(wake, std::max(nextReceiveAt_, Clock::now()));
  for (const auto& [id, t] : steps_) {
    if (t.terminal) {
      wake = std::min(wake, t.nextDrainAt);
      continue;
    }
    wake = std::min(wake, t.nextCheckAt);
    if (t.state == "RUNNING" || t.state == "CANCEL_PENDING") wake = std::min(wake, t.nextLogAt);
    if (t.cancelRequested && !t.cancelSent) wake = std::min(wake, nextCancelAt_);
  }
  return wake;
}

void EmrStepTracker::broadcastPending(const std::string& line) {
  for (auto& p : pending_) {
    if (!p.cancelled) p.request.observer->onLog(line);
  }
}

void EmrStepTracker::finishCancelledPending() {
  std::vector<Pending> cancelled;
  {
    std::lock_guard lk(mutex_);
    allPendingCancelledLocked();
    auto it = std::stable_partition(pending_.begin(), pending_.end(),
                                    [](const Pending& p) { return !p.cancelled; });
    for (auto c = it; c != pending_.end(); ++c) cancelled.push_back(std::move(*c));
    pending_.erase(it, pending_.end());
  }
  for (auto& p : cancelled) {
    StepOutcome o;
    o.cancelled = true;
    o.message = "Job has been killed, aborting (no step was submitted)";
    p.request.observer->onFinished(o);
  }
}

void EmrStepTracker::failPending(const std::string& message) {
  finishCancelledPending();
  std::vector<Pending> failed;
  {
    std::lock_guard lk(mutex_);
    failed.swap(pending_);
  }
  for (auto& p : failed) {
    StepOutcome o;
    o.message = message;
    p.request.observer->onFinished(o);
  }
}

bool EmrStepTracker::ensureCluster() {
  DiscoveryHooks hooks;
  hooks.killed = [this] {
    std::lock_guard lk(mutex_);
    return stop_ || allPendingCancelledLocked();
  };
  hooks.wait = [this](milliseconds d) {
    std::unique_lock lk(mutex_);
    return !cv_.wait_for(lk, d, [&] { return stop_ || allPendingCancelledLocked(); });
  };
  hooks.log = [this](const std::string& line) { broadcastPending(line); };
  hooks.random = [this] { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); };
  const DiscoveryOptions& options = pending_.front().request.discovery;
  if (clusterId_.empty()) {
    auto id = resolveClusterId(*api_, options, hooks);
    if (!id) {
      failPending(id.error().message);
      return false;
    }
    if (id->empty()) {  // every waiting job was killed
      finishCancelledPending();
      return false;
    }
    clusterId_ = *id;
    configured_ = false;
  }
  broadcastPending("Got cluster id: '" + clusterId_ + "'");
  if (!configured_) {
    auto configured = configureCluster(*api_, clusterId_, options, hooks);
    if (!configured) {
      clusterId_.clear();
      failPending(configured.error().message);
      return false;
    }
    configured_ = !hooks.killed();
  }
  return true;
}

void EmrStepTracker::submitPending() {
  for (int round = 0; round < 2; ++round) {
    if (!ensureCluster()) return;
    finishCancelledPending();
    if (pending_.empty()) return;
    size_t n = std::min(kMaxStepsPerAdd, pending_.size());
    std::vector<StepDefinition> defs;
    for (size_t i = 0; i < n; ++i) defs.push_back(pending_[i].request.step);
    auto added = api_->addJobFlowSteps(clusterId_, defs);
    std::vector<std::string> ids;
    if (added) {
      ids = *added;
    } else if (added.error().code == "InvalidRequestException" && round == 0) {
      // The cached cluster is gone (terminated/replaced): discover again, once.
      broadcastPending("Cluster '" + clusterId_ + "' no longer accepts steps (" +
                       added.error().message + "); looking the cluster up again");
      clusterId_.clear();
      continue;
    } else if (added.error().isTransport()) {
      // No answer: the steps may exist. Reconcile by name and exact Args before resubmitting.
      auto listed = api_->listSteps(clusterId_, {}, activeStepStates(), "");
      if (listed) {
        for (const auto& d : defs) {
          std::string match;
          for (const auto& s : listed->steps) {
            bool taken =
                std::find(ids.begin(), ids.end(), s.id) != ids.end() || steps_.count(s.id) > 0;
            if (!taken && s.name == d.name && s.args == d.args) {
              match = s.id;
              break;
            }
          }
          if (match.empty()) break;
          ids.push_back(match);
        }
      }
      if (ids.size() < n) {
        n = ids.size();  // the rest are retried below
      }
      if (ids.empty()) {
        broadcastPending("AddJobFlowSteps got no answer; retrying: " + added.error().describe());
        slowDown();
        nextSubmitAt_ = Clock::now() + scaled(settings_.retryDelay);
        return;
      }
    } else if (isRetryable(added.error())) {
      broadcastPending("AddJobFlowSteps throttled or failed transiently; retrying: " +
                       added.error().describe());
      slowDown();
      nextSubmitAt_ = Clock::now() + scaled(settings_.retryDelay);
      return;
    } else {
      failPending("AddJobFlowSteps failed: " + added.error().describe());
      return;
    }
    std::vector<Pending> submitted;
    {
      std::lock_guard lk(mutex_);
      size_t k = std::min(ids.size(), n);
      for (size_t i = 0; i < k; ++i) submitted.push_back(std::move(pending_[i]));
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<long>(k));
    }
    for (size_t i = 0; i < submitted.size(); ++i) {
      Tracked t;
      t.handle = submitted[i].handle;
      t.observer = submitted[i].request.observer;
      t.clusterId = clusterId_;
      t.stepId = ids[i];
      t.cancelRequested = submitted[i].cancelled;
      t.observer->onSubmitted(clusterId_, t.stepId);
      steps_.emplace(t.stepId, std::move(t));
    }
    {
      std::lock_guard lk(mutex_);
      absorbCancelsLocked();
    }
    if (nextPollAt_ < Clock::now()) {
      nextPollAt_ = Clock::now() +
                    scaled(eventMode() ? settings_.safetyPollInterval : settings_.pollInterval);
    }
    return;
  }
}

void EmrStepTracker::sendCancels() {
  std::map<std::string, std::vector<std::string>> byCluster;
  for (auto& [id, t] : steps_) {
    if (t.cancelRequested && !t.cancelSent && !t.terminal) byCluster[t.clusterId].push_back(id);
  }
  for (auto& [cluster, ids] : byCluster) {
    for (size_t i = 0; i < ids.size(); i += kMaxStepsPerAdd) {
      std::vector<std::string> chunk(
          ids.begin() + static_cast<long>(i),
          ids.begin() + static_cast<long>(std::min(ids.size(), i + kMaxStepsPerAdd)));
      auto r = api_->cancelSteps(cluster, chunk);
      if (!r) {
        if (isRetryable(r.error())) slowDown();
        for (const auto& id : chunk) {
          steps_[id].observer->onLog("CancelSteps failed, retrying: " + r.error().describe());
          if (!isRetryable(r.error())) steps_[id].cancelSent = true;  // final: just follow the step
          steps_[id].nextCheckAt = Clock::now();
        }
        nextCancelAt_ = Clock::now() + scaled(settings_.retryDelay);
        continue;
      }
      for (const auto& id : chunk) {
        auto& t = steps_[id];
        t.cancelSent = true;
        t.nextCheckAt = Clock::now() + settings_.cancelCheckInterval;
        t.observer->onLog("Cancelling steps '" + id + "' on clusterId: '" + cluster + "'.");
        for (const auto& info : *r) {
          if (info.stepId == id) {
            t.observer->onLog("Cancel step '" + id + "' status: '" + info.status + "', reason: '" +
                              info.reason + "'");
          }
        }
      }
    }
  }
}

void EmrStepTracker::applyState(Tracked& t, const std::string& state, const std::string& reason) {
  if (t.terminal || state.empty()) return;
  if (!reason.empty()) t.failure = reason;
  if (state == t.state) return;
  t.state = state;
  t.observer->onLog("Step " + t.stepId + " is " + state);
  if (state == "RUNNING") t.nextLogAt = Clock::now();
  if (isTerminalStepState(state)) t.terminal = true;
}

void EmrStepTracker::pollStatus(bool full) {
  auto now = Clock::now();
  std::map<std::string, std::vector<std::string>> byCluster;
  for (auto& [id, t] : steps_) {
    if (t.terminal) continue;
    if (full || t.nextCheckAt <= now) byCluster[t.clusterId].push_back(id);
  }
  bool throttled = false;
  bool anyOk = false;
  auto byIds = [&](const std::string& cluster, const std::vector<std::string>& ids) {
    for (size_t i = 0; i < ids.size(); i += kMaxStepIdsPerListSteps) {
      std::vector<std::string> chunk(
          ids.begin() + static_cast<long>(i),
          ids.begin() + static_cast<long>(std::min(ids.size(), i + kMaxStepIdsPerListSteps)));
      auto r = api_->listSteps(cluster, chunk, {}, "");
      if (!r) {
        if (isRetryable(r.error())) {
          throttled = true;
        } else {
          for (const auto& id : chunk) {
            auto& t = steps_[id];
            if (++t.finalErrors >= kMaxFinalErrors) {
              applyState(t, "FAILED", "ListSteps failed: " + r.error().describe());
            }
          }
        }
        continue;
      }
      anyOk = true;
      for (const auto& id : chunk) {
        auto& t = steps_[id];
        t.finalErrors = 0;
        auto it = std::find_if(r->steps.begin(), r->steps.end(),
                               [&](const StepStatus& s) { return s.id == id; });
        if (it == r->steps.end()) {
          t.observer->onLog("Failed to find step with ID: " + id);
          applyState(t, "FAILED", "step not found");
        } else {
          applyState(t, it->state, it->failureReason);
        }
      }
    }
  };
  for (auto& [cluster, ids] : byCluster) {
    if (ids.size() <= kMaxStepIdsPerListSteps) {
      byIds(cluster, ids);
      continue;
    }
    // Many steps: one listing of the active steps (50 per page) instead of a call per 10 ids;
    // only steps that left the active set are then asked for by id.
    std::set<std::string> active;
    std::string marker;
    bool ok = true;
    do {
      auto r = api_->listSteps(cluster, {}, activeStepStates(), marker);
      if (!r) {
        ok = false;
        if (isRetryable(r.error())) throttled = true;
        break;
      }
      anyOk = true;
      for (const auto& s : r->steps) {
        active.insert(s.id);
        auto it = steps_.find(s.id);
        if (it != steps_.end() && it->second.clusterId == cluster)
          applyState(it->second, s.state, "");
      }
      marker = r->marker;
    } while (!marker.empty());
    if (!ok) continue;
    std::vector<std::string> left;
    for (const auto& id : ids) {
      if (!active.count(id)) left.push_back(id);
    }
    byIds(cluster, left);
  }
  if (throttled) {
    slowDown();
  } else if (anyOk) {
    speedUp();
  }
  now = Clock::now();
  for (auto& [id, t] : steps_) {
    if (t.terminal) continue;
    if (t.cancelSent) {
      t.nextCheckAt = now + scaled(settings_.cancelCheckInterval);
    } else if (t.nextCheckAt <= now) {
      t.nextCheckAt = TimePoint::max();
    }
  }
  if (full) {
    nextPollAt_ = now + scaled(eventMode() ? settings_.safetyPollInterval : settings_.pollInterval);
  }
}

bool EmrStepTracker::readLogs(Tracked& t, bool drain) {
  int pages = 0;
  while (pages < (drain ? kMaxDrainPages : kMaxLogPagesPerTick)) {
    auto r = api_->getLogEvents(settings_.logGroup, t.stepId, t.token);
    if (!r) {
      if (r.error().code == "ResourceNotFoundException") {
        if (!t.waitingLogsLogged) t.observer->onLog("Waiting for logs to become available");
        t.waitingLogsLogged = true;
        return true;
      }
      if (isRetryable(r.error())) {
        slowDown();
        return false;
      }
      t.observer->onLog(
          (drain ? "Error reading logs: " : "Error fetching detailed logs. Reason: ") +
          r.error().describe());
      return true;
    }
    ++pages;
    for (const auto& e : r->events) t.observer->onLog(e.message);
    bool moved = r->nextForwardToken != t.token;
    if (!r->nextForwardToken.empty()) t.token = r->nextForwardToken;
    if (!moved || r->nextForwardToken.empty()) return true;
    if (!drain) {
      // While the step runs, read on only after a (nearly) full page: what a short page left
      // behind comes with the next tick, and the final drain reads to the end anyway.
      size_t bytes = 0;
      for (const auto& e : r->events) bytes += e.message.size() + 26;
      if (r->events.size() < kFullPageEvents && bytes < kFullPageBytes) return true;
    }
  }
  return true;
}

void EmrStepTracker::finishTerminal() {
  for (auto it = steps_.begin(); it != steps_.end();) {
    Tracked& t = it->second;
    if (!t.terminal || Clock::now() < t.nextDrainAt) {
      ++it;
      continue;
    }
    // After the terminal state: read until the token stops changing. A throttled drain is
    // retried later from the same token so the tail of the log is not lost.
    if (!readLogs(t, true) && ++t.drainRetries <= kMaxDrainRetries) {
      t.nextDrainAt = Clock::now() + scaled(settings_.retryDelay);
      ++it;
      continue;
    }
    if (t.drainRetries > kMaxDrainRetries) {
      t.observer->onLog("Error reading logs: giving up after " + std::to_string(kMaxDrainRetries) +
                        " throttled attempts");
    }
    StepOutcome o;
    o.state = t.state;
    o.clusterId = t.clusterId;
    o.stepId = t.stepId;
    o.cancelled = t.cancelRequested;
    o.succeeded = t.state == "COMPLETED";
    if (!o.succeeded) {
      o.message = "Step " + t.stepId + " did not successfully complete. Reason: " + t.state +
                  (t.failure.empty() ? "" : " (" + t.failure + ")");
    }
    auto observer = t.observer;
    it = steps_.erase(it);
    observer->onFinished(o);
  }
}

void EmrStepTracker::receiveEvents(int waitSeconds) {
  auto r = api_->receiveMessages(settings_.eventsQueueUrl, waitSeconds);
  if (!r) {
    if (isRetryable(r.error())) {
      slowDown();
      nextReceiveAt_ = Clock::now() + scaled(settings_.retryDelay);
      return;
    }
    // Unusable queue (missing, access denied): fall back to polling rather than go blind.
    eventsBroken_ = true;
    for (auto& [id, t] : steps_) {
      t.observer->onLog("Cannot read EMR events from " + settings_.eventsQueueUrl + " (" +
                        r.error().describe() + "); polling ListSteps instead");
    }
    nextPollAt_ = Clock::now();
    return;
  }
  std::vector<std::string> handles;
  for (const auto& m : *r) {
    handleEvent(m.body);
    handles.push_back(m.receiptHandle);
  }
  if (handles.empty()) return;
  // Deleted whatever it was (one queue per executor, README); the safety poll covers the rest.
  // One DeleteMessageBatch per receive (<= 10 messages).
  auto d = api_->deleteMessages(settings_.eventsQueueUrl, handles);
  if (!d && isRetryable(d.error())) slowDown();
}

bool EmrStepTracker::handleEvent(const std::string& body) {
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return false;
  if (doc.contains("Message") && doc["Message"].is_string()) {  // SNS envelope
    auto inner = nlohmann::json::parse(doc["Message"].get<std::string>(), nullptr, false);
    if (!inner.is_discarded()) doc = inner;
  }
  if (doc.value("detail-type", "") != "EMR Step Status Change") return false;
  const auto detail = doc.value("detail", nlohmann::json::object());
  std::string stepId = detail.value("stepId", "");
  auto it = steps_.find(stepId);
  if (it == steps_.end()) return false;
  if (!detail.value("clusterId", "").empty() &&
      detail.value("clusterId", "") != it->second.clusterId) {
    return false;
  }
  std::string state = detail.value("state", "");
  // Standard queues do not keep order: a late RUNNING must not undo a terminal state.
  applyState(it->second, state, detail.value("reason", ""));
  return true;
}

Result<std::shared_ptr<EmrStepTracker>> EmrTrackerPool::trackerFor(
    const std::string& region, const TrackerSettings& settings) {
  std::lock_guard lk(mutex_);
  std::string key = region + "\n" + settings.clusterName + "\n" + settings.eventsQueueUrl;
  if (auto it = trackers_.find(key); it != trackers_.end()) return it->second;
  auto api = apis_.find(region);
  if (api == apis_.end()) {
    auto made = apiFactory_(region);
    if (!made) return made.error();
    api = apis_.emplace(region, *made).first;
  }
  auto tracker = std::make_shared<EmrStepTracker>(api->second, settings);
  trackers_.emplace(key, tracker);
  return tracker;
}

}  // namespace azx::jobtypes::emr
