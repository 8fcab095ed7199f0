#include "aws/http/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

namespace azx::aws {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

size_t writeBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t writeHeader(char* data, size_t size, size_t n, void* user) {
  auto* resp = static_cast<HttpResponse*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    resp->headers.clear();  // a new response (after 100 Continue or a proxy CONNECT)
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    resp->headers.push_back(HttpHeader{trim(line.substr(0, colon)), trim(line.substr(colon + 1))});
  }
  return size * n;
}

struct CurlSlist {
  curl_slist* list = nullptr;
  ~CurlSlist() { curl_slist_free_all(list); }
};

}  // namespace

std::optional<std::string> findHeader(const std::vector<HttpHeader>& headers,
                                      std::string_view name) {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return std::nullopt;
}

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  return findHeader(headers, name);
}

std::string ParsedUrl::hostHeader() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  bool defaultPort =
      port == 0 || (scheme == "https" && port == 443) || (scheme == "http" && port == 80);
  if (!defaultPort) h += ":" + std::to_string(port);
  return h;
}

Result<ParsedUrl> parseUrl(std::string_view url) {
  ParsedUrl out;
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) return Error{"URL without scheme"};
  out.scheme = std::string(url.substr(0, sep));
  std::transform(out.scheme.begin(), out.scheme.end(), out.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (out.scheme != "http" && out.scheme != "https") {
    return Error{"unsupported URL scheme '" + out.scheme + "'"};
  }
  std::string_view rest = url.substr(sep + 3);
  size_t pathStart = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, pathStart);
  std::string_view tail =
      pathStart == std::string_view::npos ? std::string_view{} : rest.substr(pathStart);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);  // user info is never used for AWS endpoints
  }
  std::string_view portText;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Error{"URL with unterminated IPv6 host"};
    out.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      portText = authority.substr(close + 2);
    }
  } else {
    size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) portText = authority.substr(colon + 1);
  }
  if (out.host.empty()) return Error{"URL without host"};
  std::transform(out.host.begin(), out.host.end(), out.host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!portText.empty()) {
    int p = 0;
    for (char c : portText) {
      if (c < '0' || c > '9') return Error{"URL with invalid port"};
      p = p * 10 + (c - '0');
      if (p > 65535) return Error{"URL with invalid port"};
    }
    out.port = p;
  }
  if (size_t hash = tail.find('#'); hash != std::string_view::npos) tail = tail.substr(0, hash);
  size_t q = tail.find('?');
  out.path = std::string(tail.substr(0, q));
  if (out.path.empty()) out.path = "/";
  if (q != std::string_view::npos) out.query = std::string(tail.substr(q + 1));
  return out;
}

bool isLoopbackHost(std::string_view host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

bool isDirectOnlyHost(std::string_view host) {
  return isLoopbackHost(host) || host == "169.254.170.2" || host == "169.254.170.23" ||
         host == "169.254.169.254" || host.starts_with("fd00:ec2:");
}

CurlHttpClient::CurlHttpClient() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Result<HttpResponse> CurlHttpClient::send(const HttpRequest& request) {
  auto parsed = parseUrl(request.url);
  if (!parsed) return parsed.error();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return Error{"curl_easy_init failed"};
  CURL* h = curl.get();
  HttpResponse response;
  char errbuf[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connectTimeout.count()));
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  if (!request.verifyTls) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, writeBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, writeHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &response);
  // Environment proxies stay in force (libcurl default); only these hosts bypass them.
  if (request.direct || isDirectOnlyHost(parsed->host)) curl_easy_setopt(h, CURLOPT_NOPROXY, "*");

  if (request.method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (request.method != "GET" && request.method != "HEAD") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }

  CurlSlist headers;
  bool hasContentType = false;
  for (const auto& hd : request.headers) {
    if (iequals(hd.name, "content-type")) hasContentType = true;
    std::string line = hd.value.empty() ? hd.name + ";" : hd.name + ": " + hd.value;
    headers.list = curl_slist_append(headers.list, line.c_str());
  }
  headers.list = curl_slist_append(headers.list, "Expect:");  // no 100-continue round trip
  if (!hasContentType) {
    // Otherwise curl adds application/x-www-form-urlencoded to POST bodies.
    headers.list = curl_slist_append(headers.list, "Content-Type:");
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.list);

  CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    std::string detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
    return Error{request.method + " " + parsed->scheme + "://" + parsed->hostHeader() +
                 parsed->path + " failed: " + detail};
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

}  // namespace azx::aws
