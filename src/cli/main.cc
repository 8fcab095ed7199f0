#include <CLI/CLI.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "cli/executors_command.h"
#include "cli/local_run.h"
#include "cli/serve.h"

int main(int argc, char** argv) {
  // Azkaban's start scripts pass `-conf DIR`; CLI11 knows it as --conf.
  std::vector<std::string> args(argv, argv + argc);
  for (auto& arg : args) {
    if (arg == "-conf") arg = "--conf";
  }
  std::vector<char*> rewritten;
  for (auto& arg : args) rewritten.push_back(arg.data());
  argc = static_cast<int>(rewritten.size());
  argv = rewritten.data();

  CLI::App app{"azkaban-executor: a drop-in executor server for Azkaban 3.81"};
  app.require_subcommand(1);

  azx::cli::RunOptions run;
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

  azx::cli::ValidateOptions validate;
  auto* validateCmd = app.add_subcommand("validate", "Load and validate a project");
  validateCmd->add_option("project", validate.project, "Project directory or .zip")->required();
  validateCmd->add_option("--plugin-dir", validate.pluginDir, "Job-type plugin directory");

  azx::cli::ServeOptions serveOptions;
  auto* serveCmd = app.add_subcommand("serve", "Serve Azkaban web servers (the exec server)");
  serveCmd->add_option("--conf,-c", serveOptions.confDir,
                       "Directory holding azkaban.properties (default conf)");

  auto* dbCmd = app.add_subcommand("db", "Database tools");
  dbCmd->require_subcommand(1);
  azx::cli::DbInitOptions dbInitOptions;
  auto* dbInitCmd = dbCmd->add_subcommand("init", "Create missing Azkaban 3.81 tables");
  dbInitCmd->add_option("--conf,-c", dbInitOptions.confDir, "Directory holding azkaban.properties");

  auto* executorsCmd = app.add_subcommand("executors", "Inspect and prune the executors table");
  executorsCmd->require_subcommand(1);
  azx::cli::ExecutorsListOptions executorsListOptions;
  auto* executorsListCmd =
      executorsCmd->add_subcommand("list", "Every executors row and whether it answers ping");
  executorsListCmd->add_option("--conf,-c", executorsListOptions.confDir,
                               "Directory holding azkaban.properties");
  executorsListCmd->add_option("--output", executorsListOptions.output, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  executorsListCmd
      ->add_option("--timeout-ms", executorsListOptions.timeoutMs, "Ping timeout per executor")
      ->check(CLI::PositiveNumber);
  azx::cli::ExecutorsPruneOptions executorsPruneOptions;
  auto* executorsPruneCmd = executorsCmd->add_subcommand(
      "prune", "Deactivate and delete rows of executors that do not answer ping");
  executorsPruneCmd->add_option("--conf,-c", executorsPruneOptions.confDir,
                                "Directory holding azkaban.properties");
  executorsPruneCmd
      ->add_option("--timeout-ms", executorsPruneOptions.timeoutMs, "Ping timeout per executor")
      ->check(CLI::PositiveNumber);

  CLI11_PARSE(app, argc, argv);
  if (*serveCmd) return azx::cli::serve(serveOptions);
  if (*dbInitCmd) return azx::cli::dbInit(dbInitOptions);
  if (*executorsListCmd) return azx::cli::executorsList(executorsListOptions);
  if (*executorsPruneCmd) return azx::cli::executorsPrune(executorsPruneOptions);
  if (*runCmd) return azx::cli::runLocal(run);
  if (*validateCmd) return azx::cli::validateProject(validate);
  return 2;
}
