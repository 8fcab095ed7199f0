#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace azx::testing {

// The Azkaban reference data of ../shared, found beside the source tree; nullopt when absent
// (tests that need it then GTEST_SKIP with a message saying so).
std::optional<std::filesystem::path> sharedReferenceDir();
// `execution-test-data/<name>` of Azkaban 3.81, or nullopt.
std::optional<std::filesystem::path> azkabanTestProject(const std::string& name);
// A fresh empty directory under the build tree, removed by nobody (inspect after failures).
std::filesystem::path freshTempDir(const std::string& label);
// The bytes of a file; empty when it cannot be read.
std::string readWholeFile(const std::filesystem::path& file);

}  // namespace azx::testing

#define AZX_REQUIRE_SHARED(var, name)                                                  \
  auto var##_opt = ::azx::testing::azkabanTestProject(name);                           \
  if (!var##_opt) {                                                                    \
    GTEST_SKIP() << "../shared/reference/azkaban-3.81.0 is absent; skipping " << name; \
  }                                                                                    \
  const std::filesystem::path var = *var##_opt
