#pragma once

// Loopback stand-ins for executors, for the `executors` command tests.

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace azx::cli {

// An httplib server on 127.0.0.1 answering /executor with a fixed body.
class FakeExecutor {
 public:
  explicit FakeExecutor(std::string reply) : reply_(std::move(reply)) {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      if (req.get_param_value("action") == "ping") ++pings_;
      res.set_content(reply_, "application/json");
    };
    server_.Get("/executor", handler);
    server_.Post("/executor", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // bind_to_any_port already listens: early connections wait in the backlog.
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~FakeExecutor() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  int pings() const { return pings_; }

 private:
  std::string reply_;
  httplib::Server server_;
  int port_ = 0;
  std::atomic<int> pings_{0};
  std::thread thread_;
};

// A loopback socket bound to a port; listening (handshakes complete, nothing is ever answered)
// or not (connections are refused).
class SilentPort {
 public:
  explicit SilentPort(bool listening) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    if (listening) ::listen(fd_, 8);
  }
  ~SilentPort() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace azx::cli
