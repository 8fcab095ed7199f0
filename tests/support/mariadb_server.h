#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace azx::testing {

// A private MariaDB server for tests: its own data directory, a Unix socket and a free
// loopback TCP port, one database and one password user. Stops (and deletes its data) in the
// destructor. Can be stopped and started again on the same port and data, to test clients
// that must survive a database restart.
class MariadbServer {
 public:
  struct Options {
    std::string database = "azkaban";
    std::string user = "azkaban";
    std::string password = "azx-test-password";
    // Load ../shared/reference/azkaban-3.81.0/sql/create.*.sql when present.
    bool applyReferenceSchema = true;
    int startTimeoutSeconds = 90;
  };

  // Empty when mariadbd and mariadb-install-db are installed, else why not (for GTEST_SKIP).
  static std::string unavailableReason();

  // Installs a fresh data directory, starts the server and creates the database and user.
  // nullptr with `error` set on failure.
  static std::unique_ptr<MariadbServer> start(const Options& options, std::string* error);
  static std::unique_ptr<MariadbServer> start(std::string* error) {
    return start(Options{}, error);
  }

  ~MariadbServer();
  MariadbServer(const MariadbServer&) = delete;
  MariadbServer& operator=(const MariadbServer&) = delete;

  // Graceful shutdown (SIGTERM, then SIGKILL after a timeout); the data stays.
  bool stop(std::string* error);
  // Starts the stopped server again on the same port, socket and data directory.
  bool startAgain(std::string* error);
  bool running() const { return pid_ > 0; }

  int port() const { return port_; }
  const std::filesystem::path& socketPath() const { return socket_; }
  const std::string& database() const { return options_.database; }
  const std::string& user() const { return options_.user; }
  const std::string& password() const { return options_.password; }
  // True when the reference create.*.sql files were applied; otherwise the database is empty
  // and the caller applies its own schema (e.g. MysqlStore::initSchema()).
  bool referenceSchemaApplied() const { return schemaApplied_; }

  // Runs SQL as root through the `mariadb` client over the socket, in `database` when not
  // empty. Returns false with `error` (the client's output) on failure.
  bool runSql(const std::string& sql, const std::string& database, std::string* error,
              std::string* output = nullptr) const;
  bool runSqlFile(const std::filesystem::path& file, const std::string& database,
                  std::string* error) const;

 private:
  MariadbServer() = default;
  bool launch(std::string* error);
  bool waitReady(std::string* error);
  std::vector<std::string> clientArgs(const std::string& database) const;

  Options options_;
  std::filesystem::path baseDir_;
  std::filesystem::path dataDir_;
  std::filesystem::path socket_;
  std::filesystem::path serverBinary_;
  std::filesystem::path clientBinary_;
  int port_ = 0;
  pid_t pid_ = -1;
  bool schemaApplied_ = false;
};

}  // namespace azx::testing

// Skips the current test when no MariaDB server binary is installed.
#define AZX_REQUIRE_MARIADB()                                                    \
  do {                                                                           \
    std::string azx_reason = ::azx::testing::MariadbServer::unavailableReason(); \
    if (!azx_reason.empty()) GTEST_SKIP() << azx_reason;                         \
  } while (0)
