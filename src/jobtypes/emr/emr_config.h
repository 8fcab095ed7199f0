#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/props.h"
#include "core/result.h"

namespace azx::jobtypes::emr {

// Everything one `emr` job needs, read once from job props and sys props with the Java
// plugin's names and defaults (emr-jobtypes.md 2.1) plus the tracker settings this port adds.
struct EmrJobConfig {
  // Job.
  std::string step;
  std::string clusterName;
  bool copySecConfig = false;
  std::optional<std::string> clusterConfig;
  int64_t initialWaitMs = 120000;
  std::string flowUuid;
  std::string submitUser;
  std::string proxyUser;
  // Sys.
  int64_t bootPollIntervalMs = 300000;
  int bootPollAttempts = 5;
  std::string stepName;
  std::string stepScript;
  std::string logGroup = "/aws/emr/azkaban";
  std::string region = "eu-west-2";
  bool executeAsUser = true;
  std::vector<std::string> blacklist;  // comma list, not trimmed (as the original)
  std::string groupName = "azkaban";
  std::string serviceUser;
  bool useEmrUser = false;
  // Additions of this port (all optional, defaults documented in README.md).
  std::string launcherLambda = "aws_analytical_env_emr_launcher";
  int64_t clusterWaitIntervalMs = 60000;  // DescribeCluster cadence while waiting for WAITING
  std::string eventsQueueUrl;             // aws.emr.events.queue.url: event mode when set
  int64_t pollIntervalMs = 10000;         // polling mode: one batched ListSteps per tick
  int64_t logPollIntervalMs = 30000;      // GetLogEvents cadence per RUNNING step
  int64_t safetyPollIntervalMs = 60000;   // event mode: slow ListSteps safety net
  int eventsWaitSeconds = 20;             // SQS long-poll WaitTimeSeconds
};

// Reads and validates the configuration; errors carry the Java plugin's messages where it has
// one (e.g. "Missing required property 'step'").
Result<EmrJobConfig> readEmrJobConfig(const std::map<std::string, std::string>& jobProps,
                                      const Props& sysProps);

// The launcher lambda payload (EMRConfiguration JSON, spec 2.4): compact, keys in order
// overrides, s3_overrides (only with a config folder), copy_secconfig (only when true).
std::string launcherPayload(const std::string& clusterName,
                            const std::optional<std::string>& configFolder, bool copySecConfig);

// PropertyUtility of the original (used by launchemr; kept here because the shared parsing
// rules are the same Props rules).
bool skipNotifications(const Props& props);                           // skip.notifications
std::vector<std::string> collectionDependencies(const Props& props);  // collection.dependencies
std::string exportDate(const Props& props, const Clock& clock);       // export.date or today

}  // namespace azx::jobtypes::emr
