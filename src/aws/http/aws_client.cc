#include "aws/http/aws_client.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <thread>

#include "aws/common/time_util.h"
#include "aws/sigv4/sigv4.h"

namespace azx::aws {
namespace {

std::string requestIdOf(const HttpResponse& r) {
  for (const char* name : {"x-amzn-RequestId", "x-amz-request-id", "x-amzn-request-id"}) {
    if (auto v = r.header(name)) return *v;
  }
  return {};
}

// "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException:http://..." -> the bare code.
std::string bareErrorCode(std::string_view raw) {
  if (size_t hash = raw.rfind('#'); hash != std::string_view::npos) raw = raw.substr(hash + 1);
  if (size_t colon = raw.find(':'); colon != std::string_view::npos) raw = raw.substr(0, colon);
  while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.back()))) raw.remove_suffix(1);
  return std::string(raw);
}

std::string excerpt(std::string_view body) {
  std::string out(body.substr(0, 200));
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

bool s3DnsCompatible(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  for (char c : bucket) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-')) {
      return false;  // dots break the wildcard certificate
    }
  }
  return true;
}

}  // namespace

std::optional<std::string> AwsResponse::header(std::string_view name) const {
  return findHeader(headers, name);
}

std::string redactSecrets(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) {
    if (s.size() < 4) continue;  // too short to be a credential; avoids mangling text
    size_t pos = 0;
    while ((pos = text.find(s, pos)) != std::string::npos) {
      text.replace(pos, s.size(), "<redacted>");
      pos += 10;
    }
  }
  return text;
}

std::string encodeQuery(const QueryParams& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += sigv4::uriEncode(name, false);
    out += '=';
    out += sigv4::uriEncode(value, false);
  }
  return out;
}

AwsError parseErrorResponse(Protocol protocol, const HttpResponse& response) {
  AwsError e;
  e.httpStatus = response.status;
  e.requestId = requestIdOf(response);
  auto headerType = response.header("x-amzn-ErrorType");
  switch (protocol) {
    case Protocol::Json:
    case Protocol::RestJson: {
      if (protocol == Protocol::RestJson && headerType) e.code = bareErrorCode(*headerType);
      auto body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
      if (body.is_object()) {
        for (const char* key : {"__type", "code", "Code"}) {
          if (e.code.empty() && body.contains(key) && body[key].is_string()) {
            e.code = bareErrorCode(body[key].get<std::string>());
          }
        }
        for (const char* key : {"message", "Message", "errorMessage"}) {
          if (e.message.empty() && body.contains(key) && body[key].is_string()) {
            e.message = body[key].get<std::string>();
          }
        }
      } else if (!response.body.empty()) {
        e.message = excerpt(response.body);
      }
      if (e.code.empty() && headerType) e.code = bareErrorCode(*headerType);
      break;
    }
    case Protocol::Query:
    case Protocol::RestXml: {
      auto doc = parseXml(response.body);
      if (doc) {
        const XmlNode* err = doc->findDescendant("Error");
        if (err != nullptr) {
          e.code = err->textAt("Code");
          e.message = err->textAt("Message");
          if (e.requestId.empty()) e.requestId = err->textAt("RequestId");
        }
        if (e.requestId.empty()) {
          if (const XmlNode* rid = doc->findDescendant("RequestId")) e.requestId = rid->text;
        }
      } else if (!response.body.empty()) {
        e.message = excerpt(response.body);
      }
      break;
    }
  }
  if (e.code.empty()) e.code = std::to_string(response.status);  // e.g. S3 HEAD 404 -> "404"
  return e;
}

AwsClient::AwsClient(AwsClientOptions options, std::shared_ptr<CredentialsSource> credentials,
                     std::shared_ptr<HttpClient> http)
    : options_(std::move(options)),
      credentials_(std::move(credentials)),
      http_(std::move(http)),
      rng_(std::random_device{}()) {
  if (!options_.env) options_.env = processEnv();
  if (!options_.clock) options_.clock = std::make_shared<SystemClock>();
  if (!options_.sleeper) {
    options_.sleeper = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  }
  if (!http_) http_ = std::make_shared<CurlHttpClient>();
  if (options_.retry.maxAttempts < 1) options_.retry.maxAttempts = 1;
  budgetTokens_ = options_.retry.retryBudget;
}

int AwsClient::retryBudgetTokens() {
  std::lock_guard<std::mutex> lock(budgetMutex_);
  return budgetTokens_;
}

bool AwsClient::takeRetryTokens(int cost) {
  if (options_.retry.retryBudget <= 0) return true;
  std::lock_guard<std::mutex> lock(budgetMutex_);
  if (budgetTokens_ < cost) return false;
  budgetTokens_ -= cost;
  return true;
}

void AwsClient::refundRetryTokens(int cost) {
  if (options_.retry.retryBudget <= 0) return;
  std::lock_guard<std::mutex> lock(budgetMutex_);
  budgetTokens_ = std::min(options_.retry.retryBudget, budgetTokens_ + cost);
}

void AwsClient::log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

Result<std::string> AwsClient::resolveEndpoint(const ServiceInfo& service,
                                               std::string_view bucket) const {
  std::optional<std::string> override;
  if (!envFlag(options_.env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
    override = options_.env("AWS_ENDPOINT_URL_" + service.endpointEnvSuffix());
    if (!override) override = options_.env("AWS_ENDPOINT_URL");
  }
  if (override) {
    std::string base = *override;
    while (!base.empty() && base.back() == '/') base.pop_back();
    auto parsed = parseUrl(base);
    if (!parsed) return parsed.error().withContext("endpoint override for " + service.serviceId);
    if (!bucket.empty()) base += "/" + std::string(bucket);  // path style against fakes/proxies
    return base;
  }
  if (options_.region.empty()) return Error{"no AWS region configured for " + service.serviceId};
  std::string suffix = options_.region.starts_with("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
  if (!bucket.empty()) {
    if (s3DnsCompatible(bucket)) {
      return "https://" + std::string(bucket) + ".s3." + options_.region + "." + suffix;
    }
    return "https://s3." + options_.region + "." + suffix + "/" + std::string(bucket);
  }
  return "https://" + service.endpointPrefix + "." + options_.region + "." + suffix;
}

std::chrono::milliseconds AwsClient::backoff(int retryNumber, RetryClass cls,
                                             std::optional<int64_t> hintMillis) {
  const auto& p = options_.retry;
  double base = static_cast<double>(
      (cls == RetryClass::Throttling ? p.throttlingBase : p.transientBase).count());
  double ceiling = std::min(static_cast<double>(p.maxBackoff.count()),
                            base * std::pow(2.0, std::max(0, retryNumber - 1)));
  double unit;
  if (options_.random) {
    unit = options_.random();
  } else {
    std::lock_guard<std::mutex> lock(randomMutex_);
    unit = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  }
  auto delay = static_cast<int64_t>(ceiling * std::clamp(unit, 0.0, 1.0));
  // The server's hint wins over a shorter jittered delay, still within the cap.
  if (hintMillis && *hintMillis > delay) delay = *hintMillis;
  return std::chrono::milliseconds(std::min<int64_t>(delay, p.maxBackoff.count()));
}

namespace {

// x-amz-retry-after carries milliseconds, Retry-After seconds (AWS services do not send the
// HTTP-date form).
std::optional<int64_t> retryAfterMillis(const HttpResponse& r) {
  auto number = [](const std::string& text) -> std::optional<double> {
    char* end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || v <= 0) return std::nullopt;
    return v;
  };
  if (auto v = r.header("x-amz-retry-after")) {
    if (auto ms = number(*v)) return static_cast<int64_t>(*ms);
  }
  if (auto v = r.header("Retry-After")) {
    if (auto secs = number(*v)) return static_cast<int64_t>(*secs * 1000);
  }
  return std::nullopt;
}

}  // namespace

AwsResult<AwsResponse> AwsClient::send(const ServiceInfo& service, AwsRequest request,
                                       const CallOptions& call) {
  const std::string operation = request.operation.empty()
                                    ? service.serviceId + " " + request.method + " " + request.path
                                    : request.operation;
  auto fail = [&](std::string code, std::string message, int attempts) {
    AwsError e;
    e.code = std::move(code);
    e.message = std::move(message);
    e.operation = operation;
    e.attempts = attempts;
    return e;
  };

  auto endpoint = resolveEndpoint(service, request.bucket);
  if (!endpoint) return fail("EndpointError", endpoint.error().message, 1);
  auto base = parseUrl(*endpoint);
  if (!base) return fail("EndpointError", base.error().message, 1);
  std::string basePath = base->path == "/" ? "" : base->path;
  std::string path = basePath + (request.path.empty() ? "/" : request.path);
  std::string query = encodeQuery(request.query);
  std::string url = base->scheme + "://" + base->hostHeader() + path;
  if (!query.empty()) url += "?" + query;

  const int maxAttempts = std::max(1, call.maxAttempts.value_or(options_.retry.maxAttempts));
  bool skewRetried = false;
  bool credentialsRetried = false;
  int attempt = 0;      // attempts made, all kinds
  int budgetUsed = 0;   // attempts counted against maxAttempts
  int tokensTaken = 0;  // retry-budget tokens this call holds
  while (true) {
    ++attempt;
    ++budgetUsed;
    std::vector<std::string> secrets;
    HttpRequest http;
    http.method = request.method;
    http.url = url;
    http.body = request.body;
    http.timeout = call.timeout.value_or(options_.timeout);
    http.connectTimeout = options_.connectTimeout;
    http.headers = request.headers;
    http.headers.push_back({"Host", base->hostHeader()});
    if (credentials_) {
      auto creds = credentials_->credentials();
      if (!creds) return fail("CredentialsError", creds.error().message, attempt);
      secrets = {creds->secretAccessKey, creds->sessionToken};
      sigv4::SignOptions so;
      so.region = options_.region.empty() ? "us-east-1" : options_.region;
      so.service = service.signingName;
      so.s3 = service.protocol == Protocol::RestXml;
      int64_t now = options_.clock->nowMillis() + clockOffsetMillis_.load();
      auto parts =
          sigv4::signRequest(http.method, path, query, http.headers, http.body, *creds, now, so);
      secrets.push_back(parts.signature);
    }
    // Unsigned by design (spec 4 step 4).
    http.headers.push_back({"User-Agent", options_.userAgent});

    auto result = http_->send(http);
    AwsError err;
    std::optional<int64_t> retryAfter;
    if (!result) {
      err = fail("TransportError", redactSecrets(result.error().message, secrets), attempt);
    } else if (result->status >= 200 && result->status < 300) {
      refundRetryTokens(tokensTaken > 0 ? tokensTaken : 1);
      std::string requestId = requestIdOf(*result);
      return AwsResponse{result->status, std::move(result->headers), std::move(result->body),
                         std::move(requestId)};
    } else {
      err = parseErrorResponse(service.protocol, *result);
      err.message = redactSecrets(err.message, secrets);
      err.requestId = redactSecrets(err.requestId, secrets);
      err.code = redactSecrets(err.code, secrets);
      err.operation = operation;
      err.attempts = attempt;
      retryAfter = retryAfterMillis(*result);
    }

    RetryClass cls = classifyError(err);
    if (cls == RetryClass::ClockSkew && !skewRetried && result) {
      skewRetried = true;
      if (auto date = result->header("Date")) {
        if (auto serverMillis = parseHttpDate(*date)) {
          clockOffsetMillis_.store(*serverMillis - options_.clock->nowMillis());
        }
      }
      log(operation + ": " + err.code + ", adjusted clock offset to " +
          std::to_string(clockOffsetMillis_.load()) + " ms; retrying once");
      --budgetUsed;
      continue;
    }
    if (cls == RetryClass::ExpiredCredentials && !credentialsRetried && credentials_) {
      credentialsRetried = true;
      credentials_->invalidate();
      log(operation + ": " + err.code + ", refreshing credentials; retrying once");
      --budgetUsed;
      continue;
    }
    bool retryable = cls == RetryClass::Throttling || cls == RetryClass::Transient;
    if (!retryable || budgetUsed >= maxAttempts) return err;
    int cost = err.isTransport() ? options_.retry.timeoutRetryCost : options_.retry.retryCost;
    if (!takeRetryTokens(cost)) {
      log(operation + ": " + err.code + ", retry budget exhausted; not retrying");
      return err;
    }
    tokensTaken += cost;
    auto delay = backoff(budgetUsed, cls, retryAfter);
    log(operation + ": " + err.code + " (attempt " + std::to_string(budgetUsed) + "/" +
        std::to_string(maxAttempts) + "), retrying in " + std::to_string(delay.count()) + " ms");
    options_.sleeper(delay);
  }
}

AwsResult<nlohmann::json> AwsClient::callJson(const ServiceInfo& service,
                                              std::string_view operation,
                                              const nlohmann::json& input,
                                              const CallOptions& call) {
  return callJson(service, service.targetPrefix, operation, input, call);
}

AwsResult<nlohmann::json> AwsClient::callJson(const ServiceInfo& service,
                                              std::string_view targetPrefix,
                                              std::string_view operation,
                                              const nlohmann::json& input,
                                              const CallOptions& call) {
  AwsRequest req;
  req.method = "POST";
  req.path = "/";
  std::string target = std::string(targetPrefix) + "." + std::string(operation);
  req.operation = target;
  std::string version = service.jsonVersion.empty() ? "1.1" : service.jsonVersion;
  req.headers.push_back({"Content-Type", "application/x-amz-json-" + version});
  req.headers.push_back({"X-Amz-Target", target});
  req.body = input.is_null() ? std::string("{}") : input.dump();
  auto resp = send(service, std::move(req), call);
  if (!resp) return resp.error();
  if (resp->body.empty()) return nlohmann::json::object();
  auto parsed = nlohmann::json::parse(resp->body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    AwsError e;
    e.code = "SerializationError";
    e.message = "response body is not JSON";
    e.httpStatus = resp->status;
    e.requestId = resp->requestId;
    e.operation = target;
    return e;
  }
  return parsed;
}

AwsResult<XmlNode> AwsClient::callQuery(const ServiceInfo& service, std::string_view action,
                                        const QueryParams& params, const CallOptions& call) {
  AwsRequest req;
  req.method = "POST";
  req.path = "/";
  req.operation = service.serviceId + "." + std::string(action);
  QueryParams all{{"Action", std::string(action)}, {"Version", service.apiVersion}};
  all.insert(all.end(), params.begin(), params.end());
  req.body = encodeQuery(all);
  req.headers.push_back({"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"});
  auto resp = send(service, std::move(req), call);
  if (!resp) return resp.error();
  auto doc = parseXml(resp->body);
  if (!doc) {
    AwsError e;
    e.code = "SerializationError";
    e.message = doc.error().message;
    e.httpStatus = resp->status;
    e.requestId = resp->requestId;
    e.operation = service.serviceId + "." + std::string(action);
    return e;
  }
  return std::move(*doc);
}

AwsResult<AwsResponse> AwsClient::callRestJson(const ServiceInfo& service, AwsRequest request,
                                               const CallOptions& call) {
  return send(service, std::move(request), call);
}

}  // namespace azx::aws
