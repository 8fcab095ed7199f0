#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli/local_run.h"

namespace azx::cli {

inline constexpr const char* kAppDescription =
    "azkaban-executor: a drop-in executor server for Azkaban 3.81";

// Azkaban's start scripts pass `-conf DIR`; CLI11 knows it as --conf.
std::vector<std::string> normalisedArgs(int argc, char** argv);

// `run` and `validate`: the commands the binary itself carries.
struct LocalCommands {
  RunOptions run;
  ValidateOptions validate;
  CLI::App* runCmd = nullptr;
  CLI::App* validateCmd = nullptr;
};
void addLocalCommands(CLI::App& app, LocalCommands& commands);

// The commands of the server module (serve, db, executors): names and one-line help, so the
// binary can list them without linking what they need.
struct ServerCommandInfo {
  const char* name;
  const char* description;
};
inline constexpr ServerCommandInfo kServerCommands[] = {
    {"serve", "Serve Azkaban web servers (the exec server)"},
    {"db", "Database tools"},
    {"executors", "Inspect and prune the executors table"},
};
bool isServerCommand(const std::string& name);

// Job types that only the server module can run (it links the AWS client).
inline const std::vector<std::string> kServerModuleJobTypes = {"emr"};

}  // namespace azx::cli
