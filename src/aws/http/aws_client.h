#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/common/env.h"
#include "aws/common/xml.h"
#include "aws/credentials/credentials.h"
#include "aws/http/aws_error.h"
#include "aws/http/http_client.h"
#include "aws/http/services.h"
#include "core/clock.h"

namespace azx::aws {

using Sleeper = std::function<void(std::chrono::milliseconds)>;
using RandomUnit = std::function<double()>;  // uniform in [0, 1)
using LogSink = std::function<void(std::string_view line)>;

// Capped exponential backoff with full jitter: before retry n (1-based) wait
// random(0, min(maxBackoff, base * 2^(n-1))), base depending on the error class (spec 1.5).
struct RetryPolicy {
  int maxAttempts = 3;
  std::chrono::milliseconds transientBase{100};
  std::chrono::milliseconds throttlingBase{1000};
  std::chrono::milliseconds maxBackoff{20000};
  // Client-wide retry budget (SDK "standard" mode): a retry costs retryCost tokens (a
  // transport/timeout retry timeoutRetryCost), a success after retries refunds the cost, a
  // first-try success adds one token back. No tokens left = no more retries. 0 disables.
  int retryBudget = 500;
  int retryCost = 5;
  int timeoutRetryCost = 10;
};

struct AwsClientOptions {
  std::string region;
  RetryPolicy retry;
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds connectTimeout{5000};
  std::string userAgent = "azkaban-executor";
  EnvLookup env;                       // endpoint overrides; default: process environment
  std::shared_ptr<const Clock> clock;  // signing time; default: system clock
  Sleeper sleeper;                     // default: std::this_thread::sleep_for
  RandomUnit random;                   // default: seeded std::mt19937_64
  LogSink log;                         // retry notices; default: none
};

using QueryParams = std::vector<std::pair<std::string, std::string>>;

struct AwsRequest {
  std::string method = "POST";
  std::string path = "/";  // percent-encoded as sent (S3: each key segment encoded once)
  QueryParams query;       // raw names and values; encoded by the client
  std::vector<HttpHeader> headers;
  std::string body;
  std::string bucket;     // S3 only: chooses virtual-hosted or path-style addressing
  std::string operation;  // for error messages and logs, e.g. "Lambda.Invoke"
};

struct AwsResponse {
  int status = 0;
  std::vector<HttpHeader> headers;
  std::string body;
  std::string requestId;

  std::optional<std::string> header(std::string_view name) const;
};

struct CallOptions {
  std::optional<int> maxAttempts;  // e.g. 1 for non-idempotent calls the caller reconciles
  std::optional<std::chrono::milliseconds> timeout;  // e.g. Lambda Invoke > function timeout
};

// Signs and sends requests to any service in options.region; no service knowledge beyond
// ServiceInfo. Thread-safe.
class AwsClient {
 public:
  // `credentials` null = anonymous (unsigned, e.g. AssumeRoleWithWebIdentity); `http` null =
  // CurlHttpClient.
  AwsClient(AwsClientOptions options, std::shared_ptr<CredentialsSource> credentials,
            std::shared_ptr<HttpClient> http = nullptr);

  const std::string& region() const { return options_.region; }

  // Base URL for the service (no trailing slash): AWS_ENDPOINT_URL_<SERVICE>, then
  // AWS_ENDPOINT_URL (both ignored when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true), else
  // https://<endpointPrefix>.<region>.amazonaws.com. For S3 with a bucket, the bucket's
  // virtual host (path style for dotted names and for overridden endpoints).
  Result<std::string> resolveEndpoint(const ServiceInfo& service,
                                      std::string_view bucket = {}) const;

  // Signs (re-signing every attempt), sends, retries per RetryPolicy and parses errors per
  // service.protocol. 2xx is success.
  AwsResult<AwsResponse> send(const ServiceInfo& service, AwsRequest request,
                              const CallOptions& call = {});

  // json 1.0/1.1: POST / with X-Amz-Target <targetPrefix>.<operation>. An empty/absent body
  // yields {}.
  AwsResult<nlohmann::json> callJson(const ServiceInfo& service, std::string_view operation,
                                     const nlohmann::json& input, const CallOptions& call = {});
  // Same with an explicit target prefix.
  AwsResult<nlohmann::json> callJson(const ServiceInfo& service, std::string_view targetPrefix,
                                     std::string_view operation, const nlohmann::json& input,
                                     const CallOptions& call = {});
  // query: POST / with Action, Version and the (already flattened) params; returns the parsed
  // XML document root (<ActionResponse>).
  AwsResult<XmlNode> callQuery(const ServiceInfo& service, std::string_view action,
                               const QueryParams& params, const CallOptions& call = {});
  // rest-json: caller supplies method, encoded path, query, headers and raw body.
  AwsResult<AwsResponse> callRestJson(const ServiceInfo& service, AwsRequest request,
                                      const CallOptions& call = {});

  // Seconds the server clock is ahead of ours, learnt from clock-skew errors.
  int64_t clockOffsetMillis() const { return clockOffsetMillis_.load(); }
  // Tokens left in the retry budget.
  int retryBudgetTokens();

 private:
  std::chrono::milliseconds backoff(int retryNumber, RetryClass cls,
                                    std::optional<int64_t> hintMillis);
  void log(const std::string& line) const;
  bool takeRetryTokens(int cost);
  void refundRetryTokens(int cost);

  AwsClientOptions options_;
  std::shared_ptr<CredentialsSource> credentials_;
  std::shared_ptr<HttpClient> http_;
  std::atomic<int64_t> clockOffsetMillis_{0};
  std::mutex budgetMutex_;
  int budgetTokens_ = 0;
  std::mutex randomMutex_;
  std::mt19937_64 rng_;
};

// Replaces every occurrence of each non-empty secret in text with "<redacted>".
std::string redactSecrets(std::string text, const std::vector<std::string>& secrets);
// Form/query encoding per spec 2.3 ('name=value&...', RFC 3986, space as %20).
std::string encodeQuery(const QueryParams& params);
// Parses an error response per protocol (spec 1.4); fields left empty when absent.
AwsError parseErrorResponse(Protocol protocol, const HttpResponse& response);

}  // namespace azx::aws
