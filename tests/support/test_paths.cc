#include "tests/support/test_paths.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace azx::testing {

std::optional<std::filesystem::path> sharedReferenceDir() {
  if (const char* env = std::getenv("AZX_SHARED_DIR")) {
    std::filesystem::path p = std::filesystem::path(env) / "reference";
    if (std::filesystem::is_directory(p)) return p;
  }
  std::filesystem::path p =
      std::filesystem::path(AZX_SOURCE_DIR).parent_path() / "shared" / "reference";
  if (std::filesystem::is_directory(p)) return p;
  return std::nullopt;
}

std::optional<std::filesystem::path> azkabanTestProject(const std::string& name) {
  auto ref = sharedReferenceDir();
  if (!ref) return std::nullopt;
  auto p = *ref / "azkaban-3.81.0" / "execution-test-data" / name;
  if (!std::filesystem::exists(p)) return std::nullopt;
  return p;
}

std::filesystem::path freshTempDir(const std::string& label) {
  static std::atomic<int> counter{0};
  auto dir = std::filesystem::path(AZX_BINARY_DIR) / "test-tmp" /
             (label + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string readWholeFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace azx::testing
