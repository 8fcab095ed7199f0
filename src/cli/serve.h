#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace azx::cli {

struct ServeOptions {
  std::filesystem::path confDir = "conf";
};
// `azkaban-executor serve`: the executor server for Azkaban web servers.
int serve(const ServeOptions& options);

struct DbInitOptions {
  std::filesystem::path confDir = "conf";
};
// `azkaban-executor db init`: creates missing Azkaban 3.81 tables (development).
int dbInit(const DbInitOptions& options);

}  // namespace azx::cli
