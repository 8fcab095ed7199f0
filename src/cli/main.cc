#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli/cli_app.h"
#include "cli/local_run.h"
#include "cli/server_module_loader.h"

// The binary runs `run` and `validate` itself and leaves everything that needs the network,
// MySQL or AWS to the server module, so local runs stay small.
int main(int argc, char** argv) {
  using namespace azx::cli;
  if (argc > 1 && isServerCommand(argv[1])) return runInServerModule(argc, argv);

  auto args = normalisedArgs(argc, argv);
  std::vector<char*> rewritten;
  for (auto& arg : args) rewritten.push_back(arg.data());
  int rewrittenArgc = static_cast<int>(rewritten.size());

  CLI::App app{kAppDescription};
  app.require_subcommand(1);
  LocalCommands local;
  addLocalCommands(app, local);
  for (const auto& command : kServerCommands) {
    // Listed for --help only: argv[1] naming one never reaches the parser.
    app.add_subcommand(command.name, command.description)->allow_extras();
  }
  CLI11_PARSE(app, rewrittenArgc, rewritten.data());

  LocalJobTypes types;
  types.delegated = kServerModuleJobTypes;
  types.delegate = [argc, argv] { return runInServerModule(argc, argv); };
  if (*local.runCmd) return runLocal(local.run, types);
  if (*local.validateCmd) return validateProject(local.validate, types);
  return 2;
}
