#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "api/executor_backend.h"
#include "core/result.h"

namespace httplib {
class Server;
}

namespace azx::api {

struct HttpServerOptions {
  std::string bindAddress = "0.0.0.0";
  int port = 0;  // 0: ephemeral
  int threads = 50;
  std::optional<std::filesystem::path> tlsCert;  // PEM; TLS when both are set
  std::optional<std::filesystem::path> tlsKey;
};

// Serves /executor, /serverStatistics, /stats, /jmx (Azkaban's paths) plus /metrics and
// /healthz on a worker pool of its own. GET and POST are handled alike.
class HttpServer {
 public:
  HttpServer(HttpServerOptions options, ExecutorBackend& backend);
  ~HttpServer();

  // Binds and starts serving in the background; returns the bound port.
  Result<int> start();
  void stop();
  int port() const { return port_; }

 private:
  HttpServerOptions options_;
  ExecutorBackend& backend_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace azx::api
