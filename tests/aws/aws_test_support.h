#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"

namespace azx::aws::testing {

// An httplib server on 127.0.0.1 with an ephemeral port, served from a background thread.
// Register handlers on server() before calling start().
class LoopbackServer {
 public:
  LoopbackServer() = default;
  ~LoopbackServer() { stop(); }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  httplib::Server& server() { return server_; }

  void start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 500 && !server_.is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // startup only, not a test delay
    }
  }
  void stop() {
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t nowMillis) : now_(nowMillis) {}
  int64_t nowMillis() const override { return now_.load(); }
  void set(int64_t millis) { now_.store(millis); }
  void advance(std::chrono::milliseconds d) { now_.fetch_add(d.count()); }

 private:
  std::atomic<int64_t> now_;
};

// Records requested delays instead of sleeping.
class RecordingSleeper {
 public:
  auto fn() {
    return [this](std::chrono::milliseconds d) {
      std::lock_guard<std::mutex> lock(mutex_);
      delays_.push_back(d);
    };
  }
  std::vector<std::chrono::milliseconds> delays() {
    std::lock_guard<std::mutex> lock(mutex_);
    return delays_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::chrono::milliseconds> delays_;
};

// 2015-08-30T12:36:00Z, the SigV4 test-suite instant.
inline constexpr int64_t kSuiteTimeMillis = 1440938160000;

}  // namespace azx::aws::testing

#include "aws/sigv4/sigv4.h"

namespace azx::aws::testing {

// Recomputes the SigV4 signature of a request as the server saw it, from its raw target,
// the headers named in SignedHeaders and the body. Returns "" when it matches, else why not.
inline std::string verifySigV4(const httplib::Request& req, const std::string& secret,
                               bool s3 = false) {
  std::string authz = req.get_header_value("Authorization");
  const std::string prefix = "AWS4-HMAC-SHA256 Credential=";
  if (authz.rfind(prefix, 0) != 0) return "no SigV4 Authorization header";
  size_t credEnd = authz.find(", SignedHeaders=");
  size_t shEnd = authz.find(", Signature=");
  if (credEnd == std::string::npos || shEnd == std::string::npos) return "malformed Authorization";
  std::string credential = authz.substr(prefix.size(), credEnd - prefix.size());
  std::string signedHeaders = authz.substr(credEnd + 16, shEnd - credEnd - 16);
  std::string sig = authz.substr(shEnd + 12);
  std::string scope = credential.substr(credential.find('/') + 1);
  // scope = date/region/service/aws4_request
  std::vector<std::string> parts;
  size_t p = 0;
  while (true) {
    size_t s = scope.find('/', p);
    parts.push_back(scope.substr(p, s == std::string::npos ? std::string::npos : s - p));
    if (s == std::string::npos) break;
    p = s + 1;
  }
  if (parts.size() != 4) return "malformed scope";
  std::vector<HttpHeader> headers;
  size_t h = 0;
  while (h <= signedHeaders.size()) {
    size_t semi = signedHeaders.find(';', h);
    std::string name =
        signedHeaders.substr(h, semi == std::string::npos ? std::string::npos : semi - h);
    size_t n = req.get_header_value_count(name);
    if (n == 0) return "signed header '" + name + "' missing from request";
    for (size_t i = 0; i < n; ++i) headers.push_back({name, req.get_header_value(name, i)});
    if (semi == std::string::npos) break;
    h = semi + 1;
  }
  size_t q = req.target.find('?');
  std::string path = req.target.substr(0, q);
  std::string query = q == std::string::npos ? "" : req.target.substr(q + 1);
  std::string payloadHash =
      s3 ? req.get_header_value("X-Amz-Content-SHA256") : sigv4::sha256Hex(req.body);
  auto creq = sigv4::canonicalRequest({req.method, path, query, headers, payloadHash, s3});
  if (creq.signedHeaders != signedHeaders) return "signed header list differs";
  std::string amzDate = req.get_header_value("X-Amz-Date");
  if (amzDate.substr(0, 8) != parts[0]) return "X-Amz-Date and scope date differ";
  std::string sts = sigv4::stringToSign(amzDate, scope, creq.text);
  std::string expected =
      sigv4::signature(sigv4::signingKey(secret, parts[0], parts[1], parts[2]), sts);
  return expected == sig ? "" : "signature mismatch";
}

}  // namespace azx::aws::testing
