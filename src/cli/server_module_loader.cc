#include "cli/server_module_loader.h"

#include <dlfcn.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "cli/server_module.h"

namespace azx::cli {

std::vector<std::filesystem::path> serverModuleCandidates() {
  std::vector<std::filesystem::path> candidates;
  if (const char* explicitPath = std::getenv("AZX_SERVER_MODULE"); explicitPath && *explicitPath) {
    candidates.emplace_back(explicitPath);
  }
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto dir = self.parent_path();
    candidates.push_back(dir / kServerModuleFileName);
    candidates.push_back(dir.parent_path() / "lib" / "azkaban-executor" / kServerModuleFileName);
  }
  return candidates;
}

int runInServerModule(int argc, char** argv) {
  using Entry = int (*)(int, char**);
  std::string tried;
  for (const auto& candidate : serverModuleCandidates()) {
    std::error_code ec;
    if (!std::filesystem::exists(candidate, ec)) {
      tried += (tried.empty() ? "" : ", ") + candidate.string();
      continue;
    }
    // RTLD_LOCAL: the module keeps its own copies of the engine's code to itself.
    void* handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      std::cerr << "error: cannot load the server module " << candidate.string() << ": "
                << dlerror() << "\n";
      return 2;
    }
    auto entry = reinterpret_cast<Entry>(dlsym(handle, kServerModuleEntry));
    if (!entry) {
      std::cerr << "error: " << candidate.string() << " is not the server module (no "
                << kServerModuleEntry << ")\n";
      return 2;
    }
    return entry(argc, argv);  // the module stays loaded until exit
  }
  std::cerr << "error: '" << (argc > 1 ? argv[1] : "") << "' needs the server module "
            << kServerModuleFileName << "; not found at " << tried << "\n";
  return 2;
}

}  // namespace azx::cli
