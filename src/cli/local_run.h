#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace azx::cli {

struct RunOptions {
  std::string project;  // directory or .zip
  std::optional<std::string> flow;
  std::vector<std::string> params;    // KEY=VALUE
  std::vector<std::string> disabled;  // job ids, nested as "emb:job"
  std::string failureAction = "finish-current";
  std::string output = "text";
  std::filesystem::path dataDir = "azkaban-executor-data";
  std::optional<std::filesystem::path> pluginDir;
  std::optional<std::filesystem::path> globalProps;  // executor.global.properties
  int jobThreads = 10;
};

// `azkaban-executor run`: loads, validates and runs one flow on the embedded SQLite store.
// Returns the process exit code (0 only when the flow SUCCEEDED).
int runLocal(const RunOptions& options);

struct ValidateOptions {
  std::string project;
  std::optional<std::filesystem::path> pluginDir;
};
// `azkaban-executor validate`: prints the flows and their jobs, or one line per problem.
int validateProject(const ValidateOptions& options);

}  // namespace azx::cli
