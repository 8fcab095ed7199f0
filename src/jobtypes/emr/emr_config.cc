#include "jobtypes/emr/emr_config.h"

#include <ctime>
#include <nlohmann/json.hpp>

namespace azx::jobtypes::emr {
namespace {

Error missing(const std::string& key) { return Error{"Missing required property '" + key + "'"}; }

Result<int64_t> readInt(const Props& props, const std::string& key, int64_t fallback) {
  if (!props.contains(key)) return fallback;
  auto v = props.getLong(key);
  if (!v) return Error{"Property '" + key + "' is not an integer: '" + *props.get(key) + "'"};
  return static_cast<int64_t>(*v);
}

std::vector<std::string> splitNoTrim(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    out.push_back(
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

bool isTrue(const std::string& v) {
  std::string t = trim(v);
  if (t.size() != 4) return false;
  for (size_t i = 0; i < 4; ++i) {
    if (std::tolower(static_cast<unsigned char>(t[i])) != "true"[i]) return false;
  }
  return true;
}

}  // namespace

Result<EmrJobConfig> readEmrJobConfig(const std::map<std::string, std::string>& jobPropsMap,
                                      const Props& sys) {
  Props job;
  job.putAll(jobPropsMap);
  EmrJobConfig c;
  auto step = job.get("step");
  if (!step) return missing("step");
  c.step = *step;
  // Fixed quirk: the original demands the key in sys props even when the job sets it.
  if (auto name = job.get("aws.emr.cluster.name")) {
    c.clusterName = *name;
  } else if (auto sysName = sys.get("aws.emr.cluster.name")) {
    c.clusterName = *sysName;
  } else {
    return missing("aws.emr.cluster.name");
  }
  if (trim(c.clusterName).empty()) return Error{"Property 'aws.emr.cluster.name' is blank"};
  c.copySecConfig = job.contains("aws.emr.copy.secconfig")
                        ? job.getBool("aws.emr.copy.secconfig", false)
                        : sys.getBool("aws.emr.copy.secconfig", false);
  if (auto cfg = job.get("aws.emr.cluster.config")) c.clusterConfig = *cfg;
  auto initialWait = readInt(job, "emr.initial.wait", 120000);
  if (!initialWait) return initialWait.error();
  if (*initialWait <= 0) return Error{"Property 'emr.initial.wait' must be > 0"};
  c.initialWaitMs = *initialWait;
  auto uuid = job.get("azkaban.flow.uuid");
  if (!uuid) return missing("azkaban.flow.uuid");
  c.flowUuid = *uuid;
  c.submitUser = job.getOr("azkaban.flow.submituser", "");
  c.proxyUser = job.getOr("user.to.proxy", "");

  auto interval = readInt(sys, "emr.boot.poll.interval", 300000);
  if (!interval) return interval.error();
  c.bootPollIntervalMs = std::max<int64_t>(0, *interval);
  auto attempts = readInt(sys, "emr.boot.poll.attempts.max", 5);
  if (!attempts) return attempts.error();
  c.bootPollAttempts = static_cast<int>(std::max<int64_t>(0, *attempts));
  auto stepName = sys.get("aws.emr.step.name");
  if (!stepName) return missing("aws.emr.step.name");
  c.stepName = *stepName;
  auto script = sys.get("aws.emr.step.script");
  if (!script) return missing("aws.emr.step.script");
  c.stepScript = *script;
  c.logGroup = sys.getOr("aws.log.group.name", "/aws/emr/azkaban");
  c.region = sys.getOr("aws.region", "eu-west-2");
  c.executeAsUser = sys.getBool("execute.as.user", true);
  c.blacklist = splitNoTrim(sys.getOr("azkaban.server.blacklist.users", "root,azkaban"));
  c.groupName = sys.getOr("azkaban.group.name", "azkaban");
  c.serviceUser = sys.getOr("azkaban.service.user", "");
  c.useEmrUser = sys.getBool("use.emr.user", false);

  c.launcherLambda = sys.getOr("aws.emr.launcher.lambda", c.launcherLambda);
  c.eventsQueueUrl =
      trim(job.getOr("aws.emr.events.queue.url", sys.getOr("aws.emr.events.queue.url", "")));
  struct IntSetting {
    const char* key;
    int64_t* target;
    int64_t min;
  } settings[] = {{"emr.cluster.wait.interval", &c.clusterWaitIntervalMs, 0},
                  {"aws.emr.poll.interval", &c.pollIntervalMs, 100},
                  {"aws.emr.log.poll.interval", &c.logPollIntervalMs, 100},
                  {"aws.emr.events.safety.poll.interval", &c.safetyPollIntervalMs, 1000}};
  for (const auto& s : settings) {
    auto v = readInt(sys, s.key, *s.target);
    if (!v) return v.error();
    *s.target = std::max(s.min, *v);
  }
  auto wait = readInt(sys, "aws.emr.events.wait.seconds", 20);
  if (!wait) return wait.error();
  c.eventsWaitSeconds = static_cast<int>(std::clamp<int64_t>(*wait, 1, 20));
  return c;
}

std::string launcherPayload(const std::string& clusterName,
                            const std::optional<std::string>& configFolder, bool copySecConfig) {
  nlohmann::ordered_json doc;
  doc["overrides"] = {{"Name", clusterName}};
  if (configFolder) doc["s3_overrides"] = {{"emr_launcher_config_s3_folder", *configFolder}};
  if (copySecConfig) doc["copy_secconfig"] = true;
  return doc.dump();
}

bool skipNotifications(const Props& props) {
  // The original compares without trimming: only exactly "true" in any case.
  std::string v = props.getOr("skip.notifications", "false");
  return v.size() == 4 && isTrue(v);
}

std::vector<std::string> collectionDependencies(const Props& props) {
  return splitCommaList(props.getOr("collection.dependencies", ""));
}

std::string exportDate(const Props& props, const Clock& clock) {
  if (auto d = props.get("export.date")) return *d;
  std::time_t t = static_cast<std::time_t>(clock.nowMillis() / 1000);
  std::tm local{};
  localtime_r(&t, &local);
  char buf[16];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d", &local);
  return buf;
}

}  // namespace azx::jobtypes::emr
