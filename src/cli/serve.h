#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/props.h"
#include "core/result.h"

namespace azx::store {
struct MysqlConfig;
class MysqlStore;
}  // namespace azx::store

namespace azx::cli {

// The database azkaban.properties names, opened as `serve` opens it (database.type must be
// mysql). `adjust` sees the connection settings first and may change them (operator tools
// retry less); nothing is printed here, so commands that print JSON stay clean.
Result<std::shared_ptr<store::MysqlStore>> openConfiguredMysql(
    const Props& props, const std::function<void(store::MysqlConfig&)>& adjust = {});

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
