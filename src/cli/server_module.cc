#include "cli/server_module.h"

#include "cli/cli_app.h"
#include "cli/executors_command.h"
#include "cli/serve.h"
#include "jobtypes/emr/emr_job.h"

extern "C" __attribute__((visibility("default"))) int azx_server_module_main(int argc,
                                                                             char** argv) {
  using namespace azx::cli;
  auto args = normalisedArgs(argc, argv);
  std::vector<char*> rewritten;
  for (auto& arg : args) rewritten.push_back(arg.data());
  argc = static_cast<int>(rewritten.size());
  argv = rewritten.data();

  CLI::App app{kAppDescription};
  app.require_subcommand(1);
  LocalCommands local;
  addLocalCommands(app, local);

  ServeOptions serveOptions;
  auto* serveCmd = app.add_subcommand(kServerCommands[0].name, kServerCommands[0].description);
  serveCmd->add_option("--conf,-c", serveOptions.confDir,
                       "Directory holding azkaban.properties (default conf)");

  auto* dbCmd = app.add_subcommand(kServerCommands[1].name, kServerCommands[1].description);
  dbCmd->require_subcommand(1);
  DbInitOptions dbInitOptions;
  auto* dbInitCmd = dbCmd->add_subcommand("init", "Create missing Azkaban 3.81 tables");
  dbInitCmd->add_option("--conf,-c", dbInitOptions.confDir, "Directory holding azkaban.properties");

  auto* executorsCmd = app.add_subcommand(kServerCommands[2].name, kServerCommands[2].description);
  executorsCmd->require_subcommand(1);
  ExecutorsListOptions listOptions;
  auto* listCmd =
      executorsCmd->add_subcommand("list", "Every executors row and whether it answers ping");
  listCmd->add_option("--conf,-c", listOptions.confDir, "Directory holding azkaban.properties");
  listCmd->add_option("--output", listOptions.output, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  listCmd->add_option("--timeout-ms", listOptions.timeoutMs, "Ping timeout per executor")
      ->check(CLI::PositiveNumber);
  ExecutorsPruneOptions pruneOptions;
  auto* pruneCmd = executorsCmd->add_subcommand(
      "prune", "Deactivate and delete rows of executors that do not answer ping");
  pruneCmd->add_option("--conf,-c", pruneOptions.confDir, "Directory holding azkaban.properties");
  pruneCmd->add_option("--timeout-ms", pruneOptions.timeoutMs, "Ping timeout per executor")
      ->check(CLI::PositiveNumber);

  CLI11_PARSE(app, argc, argv);
  LocalJobTypes types;
  types.registerMore = [](azx::jobtypes::JobTypeRegistry& registry) {
    azx::jobtypes::emr::registerEmrJobType(registry);
  };
  if (*serveCmd) return serve(serveOptions);
  if (*dbInitCmd) return dbInit(dbInitOptions);
  if (*listCmd) return executorsList(listOptions);
  if (*pruneCmd) return executorsPrune(pruneOptions);
  if (*local.runCmd) return runLocal(local.run, types);
  if (*local.validateCmd) return validateProject(local.validate, types);
  return 2;
}
