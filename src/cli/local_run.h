#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace azx::jobtypes {
class JobTypeRegistry;
}

namespace azx::cli {

// The job types a local run can start. `command` and `noop` are always there; the binary adds
// nothing more, the server module adds `emr`. Projects using a `delegated` type (known by
// name only) are handed whole to `delegate`, which runs them where that type lives.
struct LocalJobTypes {
  std::function<void(jobtypes::JobTypeRegistry&)> registerMore;
  std::vector<std::string> delegated;
  std::function<int()> delegate;
};

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
int runLocal(const RunOptions& options, const LocalJobTypes& types = {});

struct ValidateOptions {
  std::string project;
  std::optional<std::filesystem::path> pluginDir;
};
// `azkaban-executor validate`: prints the flows and their jobs, or one line per problem.
int validateProject(const ValidateOptions& options, const LocalJobTypes& types = {});

}  // namespace azx::cli
