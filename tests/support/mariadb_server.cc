#include "tests/support/mariadb_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/test_paths.h"

namespace azx::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Looks a program up on PATH and then in the usual sbin directories (mariadbd lives in sbin,
// which is often not on a test runner's PATH).
std::optional<std::filesystem::path> findProgram(const std::string& name) {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream ss(path);
    for (std::string dir; std::getline(ss, dir, ':');) {
      if (!dir.empty()) dirs.push_back(dir);
    }
  }
  for (const char* dir : {"/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"}) {
    dirs.emplace_back(dir);
  }
  for (const auto& dir : dirs) {
    std::filesystem::path candidate = std::filesystem::path(dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

std::optional<std::filesystem::path> findAny(std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (auto p = findProgram(n)) return p;
  }
  return std::nullopt;
}

int freeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  int port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// Spawns argv with stdin from `stdinFile` (or /dev/null) and stdout+stderr into `logFile`.
// A non-empty `tmpDir` becomes the child's TMPDIR.
pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& stdinFile,
            const std::filesystem::path& logFile, const std::filesystem::path& tmpDir = {}) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  int in = ::open(stdinFile.empty() ? "/dev/null" : stdinFile.c_str(), O_RDONLY);
  int out = ::open(logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (in >= 0) ::dup2(in, 0);
  if (out >= 0) {
    ::dup2(out, 1);
    ::dup2(out, 2);
  }
  if (!tmpDir.empty()) ::setenv("TMPDIR", tmpDir.c_str(), 1);
  ::setpgid(0, 0);  // keep terminal signals meant for the test away from the server
  ::execv(args[0], args.data());
  ::_exit(127);
}

// Runs a command to completion; returns its exit code (-1 when it could not run) and output.
int runCommand(const std::vector<std::string>& argv, const std::filesystem::path& stdinFile,
               const std::filesystem::path& scratchDir, std::string* output) {
  static std::atomic<int> counter{0};
  auto logFile = scratchDir / ("cmd-" + std::to_string(counter++) + ".out");
  pid_t pid = spawn(argv, stdinFile, logFile, scratchDir / "tmp");
  if (pid < 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (output != nullptr) *output = readWholeFile(logFile);
  std::filesystem::remove(logFile);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string sqlQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

std::string MariadbServer::unavailableReason() {
  if (!findAny({"mariadbd", "mysqld"})) return "mariadbd is not installed; skipping MySQL test";
  if (!findAny({"mariadb-install-db", "mysql_install_db"})) {
    return "mariadb-install-db is not installed; skipping MySQL test";
  }
  if (!findAny({"mariadb", "mysql"})) return "the mariadb client is not installed; skipping";
  return {};
}

std::unique_ptr<MariadbServer> MariadbServer::start(const Options& options, std::string* error) {
  std::string reason = unavailableReason();
  if (!reason.empty()) {
    *error = reason;
    return nullptr;
  }
  std::unique_ptr<MariadbServer> server(new MariadbServer());
  server->options_ = options;
  server->serverBinary_ = *findAny({"mariadbd", "mysqld"});
  server->clientBinary_ = *findAny({"mariadb", "mysql"});
  server->baseDir_ = freshTempDir("mariadb");
  server->dataDir_ = server->baseDir_ / "data";
  server->socket_ = server->baseDir_ / "mysqld.sock";
  if (server->socket_.string().size() > 100) {  // sun_path is limited to 108 bytes
    server->socket_ = std::filesystem::temp_directory_path() /
                      ("azx-mariadb-" + std::to_string(::getpid()) + "-" +
                       server->baseDir_.filename().string() + ".sock");
  }
  server->port_ = freeLoopbackPort();
  if (server->port_ == 0) {
    *error = "no free loopback port";
    return nullptr;
  }

  // A private tmpdir: concurrent bootstraps sharing /tmp collide on temporary-table names.
  std::filesystem::create_directories(server->baseDir_ / "tmp");
  std::vector<std::string> install{findAny({"mariadb-install-db", "mysql_install_db"})->string(),
                                   "--no-defaults",
                                   "--datadir=" + server->dataDir_.string(),
                                   "--tmpdir=" + (server->baseDir_ / "tmp").string(),
                                   "--auth-root-authentication-method=normal",
                                   "--skip-test-db",
                                   "--skip-name-resolve"};
  if (::geteuid() == 0) install.push_back("--user=root");
  std::string output;
  if (runCommand(install, {}, server->baseDir_, &output) != 0) {
    *error = "mariadb-install-db failed:\n" + output;
    return nullptr;
  }
  if (!server->launch(error)) return nullptr;

  const auto& o = server->options_;
  std::string setup = "CREATE DATABASE `" + o.database + "` CHARACTER SET utf8mb4;\n";
  for (const char* host : {"%", "localhost"}) {
    std::string account = sqlQuote(o.user) + "@" + sqlQuote(host);
    setup += "CREATE USER " + account + " IDENTIFIED BY " + sqlQuote(o.password) + ";\n";
    setup += "GRANT ALL PRIVILEGES ON `" + o.database + "`.* TO " + account + ";\n";
  }
  setup += "DELETE FROM mysql.global_priv WHERE User='';\nFLUSH PRIVILEGES;\n";
  if (!server->runSql(setup, "", error)) return nullptr;

  if (options.applyReferenceSchema) {
    if (auto ref = sharedReferenceDir()) {
      auto dir = *ref / "azkaban-3.81.0" / "sql";
      std::vector<std::filesystem::path> files;
      if (std::filesystem::is_directory(dir)) {
        for (const auto& entry : std::filesystem::directory_iterator(dir)) {
          auto name = entry.path().filename().string();
          if (name.rfind("create.", 0) == 0 && entry.path().extension() == ".sql") {
            files.push_back(entry.path());
          }
        }
      }
      std::sort(files.begin(), files.end());
      for (const auto& file : files) {
        if (!server->runSqlFile(file, o.database, error)) {
          *error = file.filename().string() + ": " + *error;
          return nullptr;
        }
      }
      server->schemaApplied_ = !files.empty();
    }
  }
  return server;
}

MariadbServer::~MariadbServer() {
  std::string ignored;
  stop(&ignored);
  std::error_code ec;
  std::filesystem::remove_all(dataDir_, ec);  // hundreds of MB of InnoDB files otherwise
  std::filesystem::remove_all(baseDir_ / "tmp", ec);
  if (socket_.parent_path() != baseDir_) std::filesystem::remove(socket_, ec);
}

bool MariadbServer::launch(std::string* error) {
  std::vector<std::string> argv{serverBinary_.string(),
                                "--no-defaults",
                                "--datadir=" + dataDir_.string(),
                                "--tmpdir=" + (baseDir_ / "tmp").string(),
                                "--socket=" + socket_.string(),
                                "--port=" + std::to_string(port_),
                                "--bind-address=127.0.0.1",
                                "--pid-file=" + (baseDir_ / "mariadbd.pid").string(),
                                "--log-error=" + (baseDir_ / "error.log").string(),
                                "--skip-name-resolve",
                                "--innodb-buffer-pool-size=64M",
                                "--max-connections=200",
                                "--character-set-server=utf8mb4"};
  if (::geteuid() == 0) argv.push_back("--user=root");
  pid_ = spawn(argv, {}, baseDir_ / "mariadbd.out", baseDir_ / "tmp");
  if (pid_ < 0) {
    *error = "cannot fork mariadbd";
    return false;
  }
  return waitReady(error);
}

bool MariadbServer::waitReady(std::string* error) {
  auto deadline = Clock::now() + std::chrono::seconds(options_.startTimeoutSeconds);
  std::string lastOutput;
  while (Clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      *error = "mariadbd exited during start-up:\n" + readWholeFile(baseDir_ / "error.log");
      return false;
    }
    if (runSql("SELECT 1", "", &lastOutput)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  *error = "mariadbd did not become ready in time: " + lastOutput + "\n" +
           readWholeFile(baseDir_ / "error.log");
  return false;
}

bool MariadbServer::stop(std::string* error) {
  if (pid_ <= 0) return true;
  ::kill(pid_, SIGTERM);
  auto deadline = Clock::now() + std::chrono::seconds(60);
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (Clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      *error = "mariadbd did not stop within 60 s; killed";
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  pid_ = -1;
  return true;
}

bool MariadbServer::startAgain(std::string* error) {
  if (pid_ > 0) return true;
  return launch(error);
}

std::vector<std::string> MariadbServer::clientArgs(const std::string& database) const {
  std::vector<std::string> args{clientBinary_.string(), "--no-defaults",
                                "--socket=" + socket_.string(), "--user=root", "--batch"};
  if (!database.empty()) args.push_back("--database=" + database);
  return args;
}

bool MariadbServer::runSql(const std::string& sql, const std::string& database, std::string* error,
                           std::string* output) const {
  static std::atomic<int> counter{0};
  auto file = baseDir_ / ("sql-" + std::to_string(counter++) + ".sql");
  {
    std::ofstream out(file, std::ios::binary);
    out << sql;
  }
  std::string text;
  int rc = runCommand(clientArgs(database), file, baseDir_, &text);
  std::filesystem::remove(file);
  if (output != nullptr) *output = text;
  if (rc != 0) {
    *error = "mariadb client failed (" + std::to_string(rc) + "): " + text;
    return false;
  }
  return true;
}

bool MariadbServer::runSqlFile(const std::filesystem::path& file, const std::string& database,
                               std::string* error) const {
  std::string text;
  int rc = runCommand(clientArgs(database), file, baseDir_, &text);
  if (rc != 0) {
    *error = "mariadb client failed (" + std::to_string(rc) + "): " + text;
    return false;
  }
  return true;
}

}  // namespace azx::testing
