#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/props.h"
#include "core/result.h"

namespace azx::server {

// The executor's configuration: Azkaban's azkaban.properties keys (azkaban-wire 8.2) with
// their defaults, plus the keys this executor adds (documented in the README).
struct ServerConfig {
  PropsPtr props;  // everything that was read, for job types and diagnostics

  // Server, HTTP and registration
  int port = 0;
  std::filesystem::path portFile = "executor.port";
  std::optional<std::string> hostname;
  int maxThreads = 50;
  bool useTls = false;  // jetty.use.ssl (Azkaban's executor has no TLS; ours is opt-in)
  std::optional<std::filesystem::path> tlsCertFile;  // executor.ssl.cert.file (PEM)
  std::optional<std::filesystem::path> tlsKeyFile;   // executor.ssl.key.file (PEM)

  // Execution
  int flowThreads = 30;
  int jobThreads = 10;
  std::filesystem::path executionDir = "executions";
  std::filesystem::path projectDir = "projects";
  std::filesystem::path tempDir = "temp";
  std::optional<double> projectCacheSizeFraction;
  std::optional<std::filesystem::path> globalPropertiesFile;
  std::filesystem::path jobTypePluginDir = "plugins/jobtypes";
  uint64_t jobLogChunkSize = 5 * 1024 * 1024;
  int jobLogBackupIndex = 4;
  bool proxyUserLockDown = false;
  std::optional<std::string> webServerUrl;
  int64_t flowMaxRunningMinutes = -1;

  // Dispatch
  bool pollModel = false;
  int pollingIntervalMs = 1000;
  bool pollingRequireFlowThreads = false;
  double pollingMinFreeMemoryGb = 0;
  double pollingMaxCpuPercent = 100;

  // Storage
  std::string storageType = "DATABASE";
  std::filesystem::path storageLocalBaseDir = "./local/storage";

  // Beyond 3.81 (all default to the Java behaviour except where the README says why)
  bool activateOnStart = false;        // executor.activate.on.start
  bool deleteRowOnShutdown = true;     // executor.shutdown.delete.row
  int shutdownGraceSeconds = 300;      // executor.shutdown.grace.seconds
  int finishedRetentionSeconds = 120;  // executor.finished.retention.seconds
  bool healOwnRow = false;             // executor.row.heal
  int healIntervalSeconds = 30;        // executor.row.heal.interval.seconds
  int killGraceSeconds = 30;           // executor.job.kill.grace.seconds
};

// Keys with a meaning to this executor (for the environment mapping and unknown-key warnings).
const std::vector<std::string>& knownConfigKeys();

// AZK_ + the key upper-cased with '.' and '-' turned into '_' (e.g. AZK_MYSQL_HOST).
std::string environmentNameFor(const std::string& key);

struct LoadedConfig {
  ServerConfig config;
  std::vector<std::string> warnings;  // unknown keys, deliberate relaxations
};

// Reads `confDir/azkaban.private.properties` (optional) then `confDir/azkaban.properties`,
// then applies AZK_* environment variables on top. Every malformed value is reported by key
// name; all problems are collected into one error.
Result<LoadedConfig> loadServerConfig(const std::filesystem::path& confDir,
                                      const std::map<std::string, std::string>& environment);

// The process environment as a map.
std::map<std::string, std::string> processEnvironment();

}  // namespace azx::server
