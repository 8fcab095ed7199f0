#pragma once

#include <filesystem>
#include <iostream>
#include <string>

namespace azx::cli {

struct ExecutorsListOptions {
  std::filesystem::path confDir = "conf";
  std::string output = "text";  // text or json
  int timeoutMs = 3000;         // per ping
};
// `azkaban-executor executors list`: every `executors` row and whether it answers ping.
// 0 on success, 2 when the configuration or the database cannot be used.
int executorsList(const ExecutorsListOptions& options, std::ostream& out = std::cout);

struct ExecutorsPruneOptions {
  std::filesystem::path confDir = "conf";
  int timeoutMs = 3000;  // per ping
};
// `azkaban-executor executors prune`: for every row whose executor does not answer ping:
// active=0, its unfinished executions finalised as FAILED the way the web does, row deleted.
// Rows that answer are left alone. The targeted replacement of truncating `executors`
// (container-and-ops 6-8). 0 unless the configuration or the database fails (2 / 1).
int executorsPrune(const ExecutorsPruneOptions& options, std::ostream& out = std::cout);

struct PingOutcome {
  bool alive = false;
  std::string detail;  // "alive", or why not (connection refused, timeout, reply, ...)
};
// POSTs `action=ping` to http://host:port/executor as the 3.81 web does (azkaban-wire 2.1)
// and expects {"status":"alive"} within `timeoutMs`.
PingOutcome pingExecutor(const std::string& host, int port, int timeoutMs);

}  // namespace azx::cli
