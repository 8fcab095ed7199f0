#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"
#include "jobtypes/emr/cluster_discovery.h"
#include "jobtypes/emr/emr_api.h"

namespace azx::jobtypes::emr {

// Shared by all jobs of one cluster name in this process (spec 4, lessons 1-5).
struct TrackerSettings {
  std::string clusterName;
  std::string logGroup = "/aws/emr/azkaban";
  std::string eventsQueueUrl;  // event mode when set
  std::chrono::milliseconds pollInterval{10000};
  std::chrono::milliseconds logPollInterval{30000};
  std::chrono::milliseconds safetyPollInterval{60000};
  int eventsWaitSeconds = 20;
  // Submissions arriving within this window share one AddJobFlowSteps.
  std::chrono::milliseconds submitBatchWindow{150};
  // While a cancel is in flight the step is checked this often (cancel latency).
  std::chrono::milliseconds cancelCheckInterval{1000};
  // Base delay before retrying a throttled/failed AddJobFlowSteps, CancelSteps or ReceiveMessage.
  std::chrono::milliseconds retryDelay{2000};
  int maxSlowdown = 8;  // throttling multiplies every cadence by up to this factor
};

struct StepOutcome {
  bool succeeded = false;  // only COMPLETED
  bool cancelled = false;  // the job asked for the cancel
  std::string state;       // final EMR state; "" when the step was never submitted
  std::string message;     // why it failed
  std::string clusterId;
  std::string stepId;
};

// Callbacks of one submitted step. Called on the tracker's worker thread, in order;
// onFinished exactly once and last. Implementations forward to the job's event loop.
class StepObserver {
 public:
  virtual ~StepObserver() = default;
  virtual void onLog(const std::string& line) = 0;
  virtual void onSubmitted(const std::string& clusterId, const std::string& stepId) = 0;
  virtual void onFinished(const StepOutcome& outcome) = 0;
};

struct SubmitRequest {
  DiscoveryOptions discovery;
  StepDefinition step;
  std::shared_ptr<StepObserver> observer;
};

// One worker thread that discovers the cluster, submits steps in batches, follows every step
// (SQS events or batched ListSteps), relays each step's CloudWatch log stream once and in
// order, cancels, and reports outcomes. Throttled or transient errors only slow it down.
class EmrStepTracker {
 public:
  using Handle = uint64_t;

  EmrStepTracker(std::shared_ptr<EmrApi> api, TrackerSettings settings);
  ~EmrStepTracker();  // stops and joins the worker; observers still registered are not called
  EmrStepTracker(const EmrStepTracker&) = delete;
  EmrStepTracker& operator=(const EmrStepTracker&) = delete;

  Handle submit(SubmitRequest request);
  // Before submission: the request ends as cancelled. After: CancelSteps, and the step ends
  // when EMR reports a terminal state.
  void cancel(Handle handle);

  const TrackerSettings& settings() const { return settings_; }
  // Current throttling slow-down factor (1 = normal), for tests and logs.
  int slowdown() const;

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  struct Pending {
    Handle handle = 0;
    SubmitRequest request;
    bool cancelled = false;
  };
  struct Tracked {
    Handle handle = 0;
    std::shared_ptr<StepObserver> observer;
    std::string clusterId;
    std::string stepId;
    std::string state = "PENDING";
    std::string failure;
    std::string token;  // GetLogEvents nextForwardToken
    bool waitingLogsLogged = false;
    bool cancelRequested = false;
    bool cancelSent = false;
    bool terminal = false;
    TimePoint nextLogAt{};
    TimePoint nextCheckAt = TimePoint::max();
    int finalErrors = 0;
    int drainRetries = 0;
    TimePoint nextDrainAt{};
  };

  void run(std::stop_token stop);
  void absorbCancelsLocked();
  bool allPendingCancelledLocked();
  void submitPending();
  bool ensureCluster();
  void failPending(const std::string& message);
  void finishCancelledPending();
  void broadcastPending(const std::string& line);
  void sendCancels();
  void receiveEvents(int waitSeconds);
  bool handleEvent(const std::string& body);
  void pollStatus(bool full);
  void applyState(Tracked& t, const std::string& state, const std::string& reason);
  // False when a retryable error stopped the read (the position is kept for the next try).
  bool readLogs(Tracked& t, bool drain);
  void finishTerminal();
  TimePoint nextWake(bool includeReceive) const;
  std::chrono::milliseconds scaled(std::chrono::milliseconds base);
  void slowDown();
  void speedUp();
  bool eventMode() const { return !settings_.eventsQueueUrl.empty() && !eventsBroken_; }

  std::shared_ptr<EmrApi> api_;
  TrackerSettings settings_;

  mutable std::mutex mutex_;  // guards intake_, cancelRequests_, pending_[*].cancelled, stop_
  std::condition_variable cv_;
  bool stop_ = false;
  Handle nextHandle_ = 1;
  std::vector<Pending> intake_;
  std::set<Handle> cancelRequests_;
  std::vector<Pending> pending_;
  std::atomic<int> slowdown_{1};

  // Worker-only state.
  std::map<std::string, Tracked> steps_;  // by step id
  std::string clusterId_;
  bool configured_ = false;
  bool eventsBroken_ = false;
  TimePoint nextPollAt_{};
  TimePoint nextSubmitAt_{};
  TimePoint nextCancelAt_{};
  TimePoint nextReceiveAt_{};
  std::mt19937_64 rng_{std::random_device{}()};

  std::jthread worker_;  // last: started after every member above exists
};

// Trackers by (region, cluster name, events queue): one per executor process and cluster.
using ApiFactory = std::function<Result<std::shared_ptr<EmrApi>>(const std::string& region)>;
class EmrTrackerPool {
 public:
  explicit EmrTrackerPool(ApiFactory apiFactory) : apiFactory_(std::move(apiFactory)) {}
  Result<std::shared_ptr<EmrStepTracker>> trackerFor(const std::string& region,
                                                     const TrackerSettings& settings);

 private:
  ApiFactory apiFactory_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<EmrApi>> apis_;
  std::map<std::string, std::shared_ptr<EmrStepTracker>> trackers_;
};

bool isTerminalStepState(const std::string& state);

}  // namespace azx::jobtypes::emr
