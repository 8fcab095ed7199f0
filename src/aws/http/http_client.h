#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/sigv4/sigv4.h"
#include "core/result.h"

namespace azx::aws {

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // absolute; path and query already percent-encoded
  std::vector<HttpHeader> headers;
  std::string body;
  std::chrono::milliseconds timeout{30000};  // whole transfer
  std::chrono::milliseconds connectTimeout{5000};
  // Off only for peers with self-signed certificates the operator chose to trust (the web
  // server's reloadExecutors call), never for AWS.
  bool verifyTls = true;
  // Past the environment's proxies: peers on the private network (executors, as the web
  // reaches them). Loopback and the credential endpoints are always direct.
  bool direct = false;
};

// Case-insensitive lookup of the first header with this name.
std::optional<std::string> findHeader(const std::vector<HttpHeader>& headers,
                                      std::string_view name);

struct HttpResponse {
  int status = 0;
  std::vector<HttpHeader> headers;
  std::string body;

  // Case-insensitive lookup of the first header with this name.
  std::optional<std::string> header(std::string_view name) const;
};

// Blocking HTTP transport. An Error means no HTTP response was obtained (connect, DNS, TLS,
// timeout); any status code, 5xx included, is a successful transfer.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

// libcurl transport. Proxies come from the environment as libcurl reads them (https_proxy,
// HTTPS_PROXY, http_proxy, no_proxy, NO_PROXY); loopback and the link-local credential endpoints
// are always reached directly (spec 6). Thread-safe: one easy handle per request.
class CurlHttpClient final : public HttpClient {
 public:
  CurlHttpClient();
  Result<HttpResponse> send(const HttpRequest& request) override;
};

struct ParsedUrl {
  std::string scheme;  // lower-case
  std::string host;    // without brackets for IPv6
  int port = 0;        // explicit port, 0 when absent
  std::string path;    // "/" when absent
  std::string query;   // without '?'

  int effectivePort() const { return port != 0 ? port : (scheme == "https" ? 443 : 80); }
  // Host header value: host, bracketed when IPv6, with ":port" unless default for the scheme.
  std::string hostHeader() const;
};
Result<ParsedUrl> parseUrl(std::string_view url);

// Loopback (127.0.0.0/8, ::1, localhost) or the link-local metadata/credential addresses.
bool isDirectOnlyHost(std::string_view host);
bool isLoopbackHost(std::string_view host);

}  // namespace azx::aws
