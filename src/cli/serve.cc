#include "cli/serve.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <thread>

#include "jobtypes/emr/emr_job.h"
#include "server/container_startup.h"
#include "server/executor_server.h"
#include "server/server_config.h"
#include "store/mysql/mysql_store.h"

namespace azx::cli {
namespace {

Result<server::LoadedConfig> loadConfig(const std::filesystem::path& confDir,
                                        const std::map<std::string, std::string>& overrides = {}) {
  auto env = server::processEnvironment();
  for (const auto& [k, v] : overrides) env[k] = v;  // start-up results beat the environment
  auto loaded = server::loadServerConfig(confDir, env);
  if (!loaded) return loaded;
  for (const auto& warning : loaded->warnings) spdlog::warn("{}", warning);
  return loaded;
}

int fail(const std::string& message) {
  spdlog::error("{}", message);
  return 2;
}

// serve and db init say which database they use; the operator tools print nothing there.
void logDatabaseTarget(store::MysqlConfig& mysql) { spdlog::info("database {}", mysql.describe()); }

}  // namespace

Result<std::shared_ptr<store::MysqlStore>> openConfiguredMysql(
    const Props& props, const std::function<void(store::MysqlConfig&)>& adjust) {
  auto type = props.getOr("database.type", "");
  if (type != "mysql") {
    return Error{"database.type must be 'mysql' (found '" + type + "')"};
  }
  auto mysql = store::mysqlConfigFromProps(props);
  if (!mysql) return mysql.error();
  if (adjust) adjust(*mysql);
  auto opened = store::MysqlStore::open(
      *mysql, [](const std::string& message) { spdlog::warn("database: {}", message); });
  if (!opened) return opened.error();
  return std::shared_ptr<store::MysqlStore>(std::move(*opened));
}

int serve(const ServeOptions& options) {
  // Signals are taken by the server's signal thread; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto startup = server::runContainerStartup(options.confDir, server::processEnvironment());
  if (!startup) return fail("start-up failed: " + startup.error().message);
  auto loaded = loadConfig(options.confDir, startup->overrides);
  if (!loaded) return fail(loaded.error().message);
  auto store = openConfiguredMysql(*loaded->config.props, logDatabaseTarget);
  if (!store) return fail(store.error().message);
  auto serverStore = std::dynamic_pointer_cast<store::ServerStore>(*store);
  if (!serverStore) return fail("the MySQL store does not provide the executor tables");
  server::ExecutorServer server(
      loaded->config, *store, serverStore,
      [](jobtypes::JobTypeRegistry& registry, const server::ServerConfig& config) {
        // azkaban.cognito.* in azkaban.properties configure the EMR-user directory.
        jobtypes::emr::registerEmrJobType(registry, *config.props);
      });
  if (auto started = server.start(); !started)
    return fail("start-up failed: " + started.error().message);
  // Tell a running web server about us once we are active (closes the rotation race of
  // container-and-ops 6, which the Java image left to a single blind attempt).
  std::jthread reload;
  const auto& config = loaded->config;
  if (config.webServerUrl && startup->webServerUser && startup->webServerPassword &&
      config.activateOnStart) {
    bool verify = config.props->getBool("azkaban.webserver.verify.tls", false);
    reload = std::jthread([url = *config.webServerUrl, user = *startup->webServerUser,
                           password = *startup->webServerPassword, verify](std::stop_token stop) {
      auto reloaded = server::reloadExecutorsOnWebServer(url, user, password, verify, 30,
                                                         std::chrono::seconds(10), stop);
      if (!reloaded) spdlog::error("{}", reloaded.error().message);
    });
  }
  return server.waitAndShutDown();
}

int dbInit(const DbInitOptions& options) {
  auto loaded = loadConfig(options.confDir);
  if (!loaded) return fail(loaded.error().message);
  auto store = openConfiguredMysql(*loaded->config.props, logDatabaseTarget);
  if (!store) return fail(store.error().message);
  if (auto created = (*store)->initSchema(); !created) return fail(created.error().message);
  std::cout << "schema ready" << std::endl;
  return 0;
}

}  // namespace azx::cli
