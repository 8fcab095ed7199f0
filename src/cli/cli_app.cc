#include "cli/cli_app.h"

namespace azx::cli {

std::vector<std::string> normalisedArgs(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  for (auto& arg : args) {
    if (arg == "-conf") arg = "--conf";
  }
  return args;
}

void addLocalCommands(CLI::App& app, LocalCommands& commands) {
  RunOptions& run = commands.run;
  auto* runCmd = app.add_subcommand("run", "Run one flow of a project on the embedded store");
  runCmd->add_option("project", run.project, "Project directory or .zip")->required();
  runCmd->add_option("--flow", run.flow, "Flow to run (optional when the project has one)");
  runCmd->add_option("--param", run.params, "Flow parameter KEY=VALUE (repeatable)");
  runCmd->add_option("--disable", run.disabled, "Job to disable, nested as emb:job (repeatable)");
  runCmd->add_option("--failure-action", run.failureAction, "finish-current|cancel-all|finish-all")
      ->check(CLI::IsMember({"finish-current", "cancel-all", "finish-all"}));
  runCmd->add_option("--output", run.output, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  runCmd->add_option("--data-dir", run.dataDir, "Where the SQLite store and executions live");
  runCmd->add_option("--plugin-dir", run.pluginDir, "Job-type plugin directory");
  runCmd->add_option("--global-props", run.globalProps,
                     "Properties file below every job's properties (executor.global.properties)");
  runCmd->add_option("--job-threads", run.jobThreads, "Jobs run at once (flow.num.job.threads)")
      ->check(CLI::PositiveNumber);
  commands.runCmd = runCmd;

  auto* validateCmd = app.add_subcommand("validate", "Load and validate a project");
  validateCmd->add_option("project", commands.validate.project, "Project directory or .zip")
      ->required();
  validateCmd->add_option("--plugin-dir", commands.validate.pluginDir, "Job-type plugin directory");
  commands.validateCmd = validateCmd;
}

bool isServerCommand(const std::string& name) {
  for (const auto& command : kServerCommands) {
    if (name == command.name) return true;
  }
  return false;
}

}  // namespace azx::cli
