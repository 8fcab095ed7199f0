#pragma once

#include <filesystem>
#include <vector>

namespace azx::cli {

// Where the server module is looked for, in order: $AZX_SERVER_MODULE, next to the binary,
// then <binary dir>/../lib/azkaban-executor/.
std::vector<std::filesystem::path> serverModuleCandidates();

// Loads the server module and hands it the whole command line. A missing or broken module is
// one `error:` line naming the paths tried, and exit code 2.
int runInServerModule(int argc, char** argv);

}  // namespace azx::cli
