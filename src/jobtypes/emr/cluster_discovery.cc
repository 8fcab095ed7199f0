#include "jobtypes/emr/cluster_discovery.h"

#include <algorithm>
#include <cmath>

#include "core/props.h"
#include "jobtypes/emr/emr_config.h"

namespace azx::jobtypes::emr {
namespace {

void log(const DiscoveryHooks& h, const std::string& line) {
  if (h.log) h.log(line);
}
bool killed(const DiscoveryHooks& h) { return h.killed && h.killed(); }
bool waitFor(const DiscoveryHooks& h, std::chrono::milliseconds d) {
  return h.wait ? h.wait(d) : true;
}

// Retries a call while it fails with a retryable error, backing off 1 s, 2 s, ... 30 s.
// The AwsClient has already retried a few times; a throttled look-up must not fail the job.
template <typename F>
auto retrying(const DiscoveryHooks& h, const std::string& what, F call) -> decltype(call()) {
  int64_t delay = 1000;
  while (true) {
    auto r = call();
    if (r.ok() || !isRetryable(r.error()) || killed(h)) return r;
    log(h, what + " failed, retrying in " + std::to_string(delay) + " ms: " + r.error().describe());
    if (!waitFor(h, std::chrono::milliseconds(delay))) return r;
    delay = std::min<int64_t>(delay * 2, 30000);
  }
}

}  // namespace

bool isRetryable(const aws::AwsError& error) {
  auto cls = aws::classifyError(error);
  return cls == aws::RetryClass::Throttling || cls == aws::RetryClass::Transient ||
         cls == aws::RetryClass::ClockSkew || cls == aws::RetryClass::ExpiredCredentials;
}

const std::vector<std::string>& activeClusterStates() {
  static const std::vector<std::string> states{"STARTING", "BOOTSTRAPPING", "WAITING", "RUNNING"};
  return states;
}

Result<std::vector<ClusterSummary>> activeClusterSummaries(EmrApi& api,
                                                           const DiscoveryHooks& hooks) {
  std::vector<ClusterSummary> all;
  std::string marker;
  do {
    auto page = retrying(hooks, "ListClusters",
                         [&] { return api.listClusters(activeClusterStates(), marker); });
    if (!page) return page.error().toError();
    for (auto& c : page->clusters) all.push_back(std::move(c));
    marker = trim(page->marker);
  } while (!marker.empty());
  return all;
}

Result<std::optional<std::string>> activeClusterId(EmrApi& api, const std::string& name,
                                                   const DiscoveryHooks& hooks) {
  auto all = activeClusterSummaries(api, hooks);
  if (!all) return all.error();
  for (const auto& c : *all) {
    if (c.name == name) return std::optional<std::string>(c.id);
  }
  return std::optional<std::string>();
}

Result<std::string> resolveClusterId(EmrApi& api, const DiscoveryOptions& o,
                                     const DiscoveryHooks& hooks) {
  double unit = hooks.random ? hooks.random() : 0.5;
  auto randomWait = static_cast<int64_t>(std::floor(unit * static_cast<double>(o.initialWaitMs)));
  randomWait = std::clamp<int64_t>(randomWait, 0, std::max<int64_t>(0, o.initialWaitMs - 1));
  log(hooks, "Looking for cluster named '" + o.clusterName + "'.");
  auto found = activeClusterId(api, o.clusterName, hooks);
  if (!found) return found.error();
  if (!killed(hooks) && !*found) {
    log(hooks, "No cluster named '" + o.clusterName + "', pausing for " +
                   std::to_string(randomWait) + " ms.");
    waitFor(hooks, std::chrono::milliseconds(randomWait));
  }
  bool invoked = false;
  int attempts = o.bootPollAttempts;
  while (!killed(hooks) && !*found && attempts > 0) {
    found = activeClusterId(api, o.clusterName, hooks);
    if (!found) return found.error();
    if (!killed(hooks) && !*found && !invoked) {
      log(hooks, "No active cluster named: '" + o.clusterName + "', starting one up.");
      invoked = true;  // at most once per resolution, whatever the outcome
      auto r = api.invokeLambda(o.launcherLambda,
                                launcherPayload(o.clusterName, o.clusterConfig, o.copySecConfig));
      if (!r) {
        if (r.error().isTransport()) {
          // No answer: the launcher may be running; keep looking instead of invoking again.
          log(hooks, "Lambda invocation got no answer (" + r.error().describe() +
                         "); waiting for the cluster anyway");
        } else {
          return Error{"Lambda invocation of '" + o.launcherLambda + "' failed with status " +
                       std::to_string(r.error().httpStatus) + ": " + r.error().describe()};
        }
      } else {
        log(hooks, "Lambda invocation status code: '" + std::to_string(r->status) + "'");
        if (!r->payload.empty()) log(hooks, r->payload);
        if (r->status != 200) {
          return Error{"Lambda invocation of '" + o.launcherLambda + "' failed with status " +
                       std::to_string(r->status) + ", function error '" +
                       r->functionError.value_or("null") + "'"};
        }
        if (r->functionError) {
          // Fixed defect: the original ignores a failing launcher; say so in the job log.
          log(hooks, "Launcher lambda reported a function error '" + *r->functionError +
                         "'; waiting for the cluster anyway");
        }
      }
    }
    if (!*found) {
      attempts -= 1;
      log(hooks,
          "Waiting " + std::to_string(o.bootPollIntervalMs) + "ms for presence of clusterId");
      waitFor(hooks, std::chrono::milliseconds(o.bootPollIntervalMs));
    }
  }
  if (killed(hooks)) return std::string();
  if (!*found) return Error{"No batch EMR cluster available"};
  return **found;
}

Result<void> configureCluster(EmrApi& api, const std::string& clusterId, const DiscoveryOptions& o,
                              const DiscoveryHooks& hooks) {
  auto describe = [&] {
    return retrying(hooks, "DescribeCluster", [&] { return api.describeCluster(clusterId); });
  };
  auto d = describe();
  if (!d) return d.error().toError();
  if (d->stepConcurrencyLevel == kTargetStepConcurrency) return okResult();
  while (d->state != "WAITING") {
    log(hooks, "Waiting for state WAITING...current state is " + d->state);
    if (d->state.find("TERMINATED") != std::string::npos || d->state == "TERMINATING") {
      log(hooks, "Exiting with error as current state is " + d->state);
      return Error{"Cluster has been or is being terminated"};
    }
    if (killed(hooks)) {
      log(hooks, "Stopping waiting for cluster configuration to complete due to job being killed");
      return okResult();
    }
    waitFor(hooks, std::chrono::milliseconds(o.clusterWaitIntervalMs));
    d = describe();
    if (!d) return d.error().toError();
  }
  if (!killed(hooks) && d->stepConcurrencyLevel != kTargetStepConcurrency) {
    auto m = retrying(hooks, "ModifyCluster",
                      [&] { return api.modifyStepConcurrency(clusterId, kTargetStepConcurrency); });
    if (!m) return m.error().toError();
  }
  return okResult();
}

}  // namespace azx::jobtypes::emr
