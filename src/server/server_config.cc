#include "server/server_config.h"

#include <algorithm>
#include <cctype>

#include "core/java_properties.h"
#include "engine/log_file.h"

extern char** environ;

namespace azx::server {
namespace {

const std::vector<std::string> kKnownKeys = {
    "executor.port", "executor.portfile", "azkaban.server.hostname", "executor.maxThreads",
    "jetty.headerBufferSize", "executor.connector.stats", "default.timezone.id",
    "executor.flow.threads", "flow.num.job.threads", "executor.use.bounded.threadpool.queue",
    "executor.threadpool.workqueue.size", "azkaban.execution.dir", "azkaban.project.dir",
    "project.temp.dir", "azkaban.project_cache_size_percentage_of_disk",
    "executor.global.properties", "azkaban.jobtype.plugin.dir", "job.log.chunk.size",
    "job.log.backup.index", "proxy.user.lock.down", "azkaban.server.flow.max.running.minutes",
    "azkaban.webserver.url", "database.type", "mysql.host", "mysql.port", "mysql.database",
    "mysql.user", "mysql.password", "mysql.numconnections", "h2.path", "azkaban.storage.type",
    "azkaban.storage.local.basedir", "azkaban.poll.model", "azkaban.polling.interval.ms",
    "azkaban.polling_criteria.flow_threads_available",
    "azkaban.polling_criteria.min_free_memory_gb",
    "azkaban.polling_criteria.max_cpu_utilization_pct",
    "azkaban.polling_criteria.cpu_load_period_sec", "mail.sender", "mail.host", "mail.port",
    "mail.user", "mail.password", "mail.tls", "mail.useAuth", "azkaban.name", "jetty.hostname",
    "jetty.use.ssl", "jetty.port", "jetty.ssl.port", "azkaban.webserver.external_hostname",
    "alerter.plugin.dir", "azkaban.executor.jobcallback.enabled", "executor.metric.reports",
    "azkaban.is.metrics.enabled", "azkaban.event.reporting.enabled", "azkaban.ramp.enabled",
    "executor.ssl.cert.file", "executor.ssl.key.file", "executor.activate.on.start",
    "executor.shutdown.delete.row", "executor.shutdown.grace.seconds",
    "executor.finished.retention.seconds", "executor.row.heal",
    "executor.row.heal.interval.seconds", "executor.job.kill.grace.seconds",
    // Web-side and leftover keys of the shipped sample: accepted silently.
    "azkaban.label", "azkaban.color", "azkaban.default.servlet.path", "web.resource.dir",
    "user.manager.class", "user.manager.xml.file", "velocity.dev.mode", "jetty.maxThreads",
    "job.failure.email", "job.success.email", "lockdown.create.projects", "cache.directory",
    "jetty.connector.stats", "azkaban.use.multiple.executors",
    // Container start-up and the EMR job types (read by their own parts).
    "aws.rds.secretid", "aws.azkaban.secretid", "aws.emr.events.queue.url",
    "azkaban.webserver.user", "azkaban.webserver.password", "azkaban.webserver.verify.tls",
    "executor.bind.address", "executor.shutdown.linger.ms",
    // The emr job type's Cognito EMR-user directory.
    "azkaban.cognito.user.pool.id", "azkaban.cognito.role.arn", "azkaban.cognito.region",
    "azkaban.cognito.refresh.seconds", "azkaban.cognito.page.size"};

class Reader {
 public:
  Reader(const Props& props, std::vector<std::string>& errors) : props_(props), errors_(errors) {}

  std::optional<std::string> raw(const std::string& key) const { return props_.get(key); }

  template <typename T>
  void integer(const std::string& key, T& target, long long min, long long max) {
    auto value = props_.get(key);
    if (!value) return;
    auto parsed = props_.getLong(key);
    if (!parsed || *parsed < min || *parsed > max) {
      errors_.push_back(key + ": '" + *value + "' is not an integer between " +
                        std::to_string(min) + " and " + std::to_string(max));
      return;
    }
    target = static_cast<T>(*parsed);
  }
  void number(const std::string& key, double& target) {
    auto value = props_.get(key);
    if (!value) return;
    try {
      size_t used = 0;
      std::string t = trim(*value);
      double d = std::stod(t, &used);
      if (used != t.size()) throw std::invalid_argument(t);
      target = d;
    } catch (...) {
      errors_.push_back(key + ": '" + *value + "' is not a number");
    }
  }
  void boolean(const std::string& key, bool& target) {
    if (props_.contains(key)) target = props_.getBool(key, target);
  }
  void path(const std::string& key, std::filesystem::path& target) {
    if (auto value = props_.get(key); value && !trim(*value).empty()) target = trim(*value);
  }

 private:
  const Props& props_;
  std::vector<std::string>& errors_;
};

}  // namespace

const std::vector<std::string>& knownConfigKeys() { return kKnownKeys; }

std::string environmentNameFor(const std::string& key) {
  std::string name = "AZK_";
  for (char c : key) {
    name.push_back(c == '.' || c == '-' ? '_' : static_cast<char>(std::toupper(c)));
  }
  return name;
}

std::map<std::string, std::string> processEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return env;
}

Result<LoadedConfig> loadServerConfig(const std::filesystem::path& confDir,
                                      const std::map<std::string, std::string>& environment) {
  LoadedConfig loaded;
  std::vector<std::string> errors;
  auto props = Props::make(nullptr, "defaults");
  std::error_code ec;
  if (!std::filesystem::is_directory(confDir, ec)) {
    return Error{"configuration directory '" + confDir.string() + "' does not exist"};
  }
  for (const char* name : {"azkaban.private.properties", "azkaban.properties"}) {
    auto file = confDir / name;
    if (!std::filesystem::exists(file)) continue;
    auto parsed = loadPropertiesFile(file, props, file.string());
    if (!parsed) return parsed.error();
    props = *parsed;
  }
  const bool mainPresent = std::filesystem::exists(confDir / "azkaban.properties");
  if (!mainPresent) {
    loaded.warnings.push_back("no azkaban.properties in '" + confDir.string() +
                              "': using defaults and the environment");
  }
  // Environment overrides: known keys by their AZK_ name.
  auto envLevel = Props::make(props, "environment");
  std::map<std::string, std::string> byEnvName;
  for (const auto& key : kKnownKeys) byEnvName[environmentNameFor(key)] = key;
  for (const auto& [name, value] : environment) {
    if (name.rfind("AZK_", 0) != 0) continue;
    auto it = byEnvName.find(name);
    if (it == byEnvName.end()) {
      // Unknown keys: AZK_FOO_BAR -> foo.bar (double underscore keeps one '_').
      std::string key;
      for (size_t i = 4; i < name.size(); ++i) {
        if (name[i] == '_' && i + 1 < name.size() && name[i + 1] == '_') {
          key.push_back('_');
          ++i;
        } else {
          key.push_back(name[i] == '_' ? '.' : static_cast<char>(std::tolower(name[i])));
        }
      }
      envLevel->put(key, value);
      loaded.warnings.push_back("environment variable " + name + " sets unknown key '" + key + "'");
    } else {
      envLevel->put(it->second, value);
    }
  }
  props = envLevel;

  for (const auto& key : props->keys()) {
    if (std::find(kKnownKeys.begin(), kKnownKeys.end(), key) == kKnownKeys.end() &&
        key.rfind("mysql.", 0) != 0 && key.rfind("executor.metric.", 0) != 0 &&
        key.rfind("azkaban.event.reporting.", 0) != 0 && key.rfind("jobcallback.", 0) != 0) {
      loaded.warnings.push_back("unknown configuration key '" + key + "' is ignored");
    }
  }

  ServerConfig& c = loaded.config;
  c.props = props;
  Reader r(*props, errors);
  if (auto port = r.raw("executor.port"); port && trim(*port).empty()) {
    loaded.warnings.push_back("executor.port is empty: using an ephemeral port");
  } else {
    r.integer("executor.port", c.port, 0, 65535);
  }
  r.path("executor.portfile", c.portFile);
  if (auto host = r.raw("azkaban.server.hostname"); host && !trim(*host).empty()) {
    c.hostname = trim(*host);
  }
  r.integer("executor.maxThreads", c.maxThreads, 1, 10000);
  // Azkaban's default for jetty.use.ssl (true) only shapes e-mail links on the executor, so
  // TLS is on only when the key says so.
  r.boolean("jetty.use.ssl", c.useTls);
  if (auto cert = r.raw("executor.ssl.cert.file")) c.tlsCertFile = trim(*cert);
  if (auto key = r.raw("executor.ssl.key.file")) c.tlsKeyFile = trim(*key);
  if (c.useTls && props->contains("jetty.ssl.port")) r.integer("jetty.ssl.port", c.port, 0, 65535);

  r.integer("executor.flow.threads", c.flowThreads, 1, 100000);
  r.integer("flow.num.job.threads", c.jobThreads, 1, 100000);
  r.path("azkaban.execution.dir", c.executionDir);
  r.path("azkaban.project.dir", c.projectDir);
  r.path("project.temp.dir", c.tempDir);
  if (props->contains("azkaban.project_cache_size_percentage_of_disk")) {
    double fraction = 0;
    r.number("azkaban.project_cache_size_percentage_of_disk", fraction);
    if (fraction <= 0 || fraction > 1) {
      errors.push_back("azkaban.project_cache_size_percentage_of_disk: must be in (0, 1]");
    } else {
      c.projectCacheSizeFraction = fraction;
    }
  }
  if (auto global = r.raw("executor.global.properties"); global && !trim(*global).empty()) {
    c.globalPropertiesFile = trim(*global);
  }
  r.path("azkaban.jobtype.plugin.dir", c.jobTypePluginDir);
  if (auto size = r.raw("job.log.chunk.size")) {
    auto bytes = engine::parseByteSize(*size);  // log4j MaxFileSize: 5MB, 512KB, bytes
    if (!bytes || *bytes == 0) {
      errors.push_back("job.log.chunk.size: '" + *size + "' is not a size like 5MB");
    } else {
      c.jobLogChunkSize = *bytes;
    }
  }
  r.integer("job.log.backup.index", c.jobLogBackupIndex, 0, 1000);
  r.boolean("proxy.user.lock.down", c.proxyUserLockDown);
  if (auto url = r.raw("azkaban.webserver.url"); url && !trim(*url).empty()) {
    c.webServerUrl = trim(*url);
  }
  r.integer("azkaban.server.flow.max.running.minutes", c.flowMaxRunningMinutes, -1, 1LL << 40);

  r.boolean("azkaban.poll.model", c.pollModel);
  r.integer("azkaban.polling.interval.ms", c.pollingIntervalMs, 1, 3600000);
  r.boolean("azkaban.polling_criteria.flow_threads_available", c.pollingRequireFlowThreads);
  r.number("azkaban.polling_criteria.min_free_memory_gb", c.pollingMinFreeMemoryGb);
  r.number("azkaban.polling_criteria.max_cpu_utilization_pct", c.pollingMaxCpuPercent);

  if (auto type = r.raw("azkaban.storage.type")) c.storageType = trim(*type);
  if (c.storageType != "DATABASE" && c.storageType != "LOCAL") {
    errors.push_back("azkaban.storage.type: '" + c.storageType +
                     "' is not supported (DATABASE or LOCAL)");
  }
  r.path("azkaban.storage.local.basedir", c.storageLocalBaseDir);

  r.boolean("executor.activate.on.start", c.activateOnStart);
  r.boolean("executor.shutdown.delete.row", c.deleteRowOnShutdown);
  r.integer("executor.shutdown.grace.seconds", c.shutdownGraceSeconds, 0, 86400 * 7);
  r.integer("executor.finished.retention.seconds", c.finishedRetentionSeconds, 0, 86400);
  r.boolean("executor.row.heal", c.healOwnRow);
  r.integer("executor.row.heal.interval.seconds", c.healIntervalSeconds, 1, 86400);
  r.integer("executor.job.kill.grace.seconds", c.killGraceSeconds, 0, 86400);
  if (props->getBool("azkaban.ramp.enabled", false)) {
    loaded.warnings.push_back("azkaban.ramp.enabled=true is not supported and is ignored");
  }
  if (c.useTls && (!c.tlsCertFile || !c.tlsKeyFile)) {
    errors.push_back("jetty.use.ssl=true needs executor.ssl.cert.file and executor.ssl.key.file");
  }

  if (!errors.empty()) {
    std::string message = "invalid configuration:";
    for (const auto& e : errors) message += "\n  " + e;
    return Error{message};
  }
  return loaded;
}

}  // namespace azx::server
