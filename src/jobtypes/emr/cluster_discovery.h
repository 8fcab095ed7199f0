#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "jobtypes/emr/emr_api.h"

namespace azx::jobtypes::emr {

// STARTING, BOOTSTRAPPING, WAITING, RUNNING (spec 2.4).
const std::vector<std::string>& activeClusterStates();
constexpr int kTargetStepConcurrency = 256;

// What discovery needs from its caller.
struct DiscoveryHooks {
  std::function<bool()> killed;  // checked as the original checks its killed flag
  // Waits up to `d`; returns false when the wait was cut short by a kill/stop.
  std::function<bool(std::chrono::milliseconds d)> wait;
  std::function<void(const std::string& line)> log;
  std::function<double()> random;  // uniform [0, 1), for the initial random pause
};

struct DiscoveryOptions {
  std::string clusterName;
  bool copySecConfig = false;
  std::optional<std::string> clusterConfig;
  int64_t initialWaitMs = 120000;
  int64_t bootPollIntervalMs = 300000;
  int bootPollAttempts = 5;
  std::string launcherLambda = "aws_analytical_env_emr_launcher";
  int64_t clusterWaitIntervalMs = 60000;
};

// EmrUtility.activeClusterSummaries: every page of ListClusters(active states), in order,
// following Marker until absent/blank. Throttled/transient pages are retried with backoff
// through `hooks` (never a reason to fail); other errors are returned.
Result<std::vector<ClusterSummary>> activeClusterSummaries(EmrApi& api,
                                                           const DiscoveryHooks& hooks);
Result<std::optional<std::string>> activeClusterId(EmrApi& api, const std::string& name,
                                                   const DiscoveryHooks& hooks);

// getClusterId (spec 2.4): look up; random pause; up to `attempts` more look-ups; the launcher
// lambda is invoked at most once. "" when killed.
Result<std::string> resolveClusterId(EmrApi& api, const DiscoveryOptions& options,
                                     const DiscoveryHooks& hooks);

// Spec 2.5: nothing when the level is already 256; else wait for WAITING (fail on
// TERMINATING/TERMINATED*) and raise the level to 256.
Result<void> configureCluster(EmrApi& api, const std::string& clusterId,
                              const DiscoveryOptions& options, const DiscoveryHooks& hooks);

// True for errors worth retrying later (throttling, 5xx, transport).
bool isRetryable(const aws::AwsError& error);

}  // namespace azx::jobtypes::emr
