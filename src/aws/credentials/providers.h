#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aws/common/env.h"
#include "aws/credentials/credentials.h"
#include "aws/credentials/sts.h"
#include "aws/http/aws_client.h"
#include "aws/http/http_client.h"
#include "core/clock.h"
#include "core/result.h"

namespace azx::aws {

// What the providers need from the outside world, injectable for tests.
struct ProviderContext {
  EnvLookup env;                       // default: process environment
  std::shared_ptr<HttpClient> http;    // default: CurlHttpClient
  std::shared_ptr<const Clock> clock;  // default: system clock
  Sleeper sleeper;                     // default: real sleep
  LogSink log;                         // refresh failures etc.; default: none
  std::string region;                  // for STS calls; default: resolveRegion (no IMDS)
  std::string containerEndpoint = "http://169.254.170.2";  // base for ..._RELATIVE_URI
  std::string imdsEndpoint = "http://169.254.169.254";  // unless AWS_EC2_METADATA_SERVICE_ENDPOINT
  std::chrono::milliseconds containerTimeout{2000};
  int containerAttempts = 3;
  std::chrono::milliseconds imdsTimeout{1000};
  int imdsAttempts = 2;
};
// Fills unset members with the defaults above.
ProviderContext withDefaults(ProviderContext ctx);

// One source of credentials.
class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  virtual std::string name() const = 0;
  // nullopt: not configured here (a chain moves on); Error: configured but failed (a chain
  // stops, spec 5.1).
  virtual Result<std::optional<Credentials>> fetch() = 0;
};

// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (Java aliases AWS_ACCESS_KEY/AWS_SECRET_KEY),
// AWS_SESSION_TOKEN (alias AWS_SECURITY_TOKEN), optional AWS_CREDENTIAL_EXPIRATION.
class EnvironmentProvider final : public CredentialsProvider {
 public:
  explicit EnvironmentProvider(ProviderContext ctx) : ctx_(withDefaults(std::move(ctx))) {}
  std::string name() const override { return "environment"; }
  Result<std::optional<Credentials>> fetch() override;

 private:
  ProviderContext ctx_;
};

// AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME): reads the token file on
// every fetch and calls STS AssumeRoleWithWebIdentity unsigned.
class WebIdentityProvider final : public CredentialsProvider {
 public:
  explicit WebIdentityProvider(ProviderContext ctx) : ctx_(withDefaults(std::move(ctx))) {}
  std::string name() const override { return "web-identity"; }
  Result<std::optional<Credentials>> fetch() override;

 private:
  ProviderContext ctx_;
};

// Shared credentials/config files (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, AWS_PROFILE):
// static keys, role_arn with source_profile / credential_source / web_identity_token_file
// (via STS), credential_process.
class ProfileProvider final : public CredentialsProvider {
 public:
  explicit ProfileProvider(ProviderContext ctx) : ctx_(withDefaults(std::move(ctx))) {}
  std::string name() const override { return "profile"; }
  Result<std::optional<Credentials>> fetch() override;

 private:
  ProviderContext ctx_;
};

// ECS container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI against
// ctx.containerEndpoint, or AWS_CONTAINER_CREDENTIALS_FULL_URI, with the
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE / _TOKEN header.
class ContainerProvider final : public CredentialsProvider {
 public:
  explicit ContainerProvider(ProviderContext ctx) : ctx_(withDefaults(std::move(ctx))) {}
  std::string name() const override { return "ecs-container"; }
  Result<std::optional<Credentials>> fetch() override;

 private:
  ProviderContext ctx_;
};

// EC2 instance metadata, IMDSv2 (token PUT, then GETs), v1 fallback when the PUT is refused.
// Not configured when AWS_EC2_METADATA_DISABLED=true.
class ImdsProvider final : public CredentialsProvider {
 public:
  explicit ImdsProvider(ProviderContext ctx) : ctx_(withDefaults(std::move(ctx))) {}
  std::string name() const override { return "ec2-imds"; }
  Result<std::optional<Credentials>> fetch() override;

 private:
  ProviderContext ctx_;
};

// STS AssumeRole signed with `source` (spec 3.5): a role the process assumes for itself, e.g.
// the Cognito read role (session EMR_Get_Users). Errors never carry the source's secret.
class AssumeRoleProvider final : public CredentialsProvider {
 public:
  AssumeRoleProvider(AssumeRoleParams params, std::shared_ptr<CredentialsSource> source,
                     ProviderContext ctx)
      : params_(std::move(params)),
        source_(std::move(source)),
        ctx_(withDefaults(std::move(ctx))) {}
  std::string name() const override { return "assume-role"; }
  Result<std::optional<Credentials>> fetch() override;

 private:
  AssumeRoleParams params_;
  std::shared_ptr<CredentialsSource> source_;
  ProviderContext ctx_;
};

// Tries providers in order; the first that yields credentials is remembered and asked again
// on later fetches (refresh). An error from a configured provider stops the chain.
class ProviderChain final : public CredentialsProvider {
 public:
  explicit ProviderChain(std::vector<std::shared_ptr<CredentialsProvider>> providers)
      : providers_(std::move(providers)) {}
  std::string name() const override { return "chain"; }
  Result<std::optional<Credentials>> fetch() override;

 private:
  std::vector<std::shared_ptr<CredentialsProvider>> providers_;
  std::mutex mutex_;
  std::shared_ptr<CredentialsProvider> winner_;
};

// environment -> web identity -> profile files -> ECS container -> EC2 IMDS (spec 5.1).
std::shared_ptr<ProviderChain> defaultProviderChain(ProviderContext ctx = {});

// Caches credentials and refreshes them before expiry (spec 5.2): advisory refresh when less
// than `advisory` remains (a failure keeps the current credentials), blocking refresh when less
// than `mandatory` remains, single flight, never hands out expired credentials.
struct RefreshWindows {
  std::chrono::milliseconds advisory = std::chrono::minutes(15);
  std::chrono::milliseconds mandatory = std::chrono::minutes(10);
};
class CachingCredentialsSource final : public CredentialsSource {
 public:
  CachingCredentialsSource(std::shared_ptr<CredentialsProvider> provider,
                           std::shared_ptr<const Clock> clock, RefreshWindows windows = {},
                           LogSink log = {});
  Result<Credentials> credentials() override;
  void invalidate() override;

 private:
  Result<Credentials> fetchNow(int64_t now);
  void store(const Credentials& c);

  std::shared_ptr<CredentialsProvider> provider_;
  std::shared_ptr<const Clock> clock_;
  RefreshWindows windows_;
  LogSink log_;
  std::mutex stateMutex_;
  std::optional<Credentials> current_;
  std::mutex refreshMutex_;  // single flight
};

// The default chain behind a cache: what AwsClient users normally want.
std::shared_ptr<CachingCredentialsSource> defaultCredentialsSource(ProviderContext ctx = {});

// The role's credentials behind a cache (refreshed before expiry), the source being the
// cached default chain.
std::shared_ptr<CachingCredentialsSource> assumeRoleCredentialsSource(AssumeRoleParams params,
                                                                      ProviderContext ctx = {});

// An AwsClient with the region from resolveRegion (unless options.region is set) and the
// cached default chain; unset options take the context's env, clock, sleeper and log.
Result<std::shared_ptr<AwsClient>> makeDefaultAwsClient(AwsClientOptions options = {},
                                                        ProviderContext ctx = {});

// AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`, then (when useImds) IMDS
// placement/region.
Result<std::string> resolveRegion(const ProviderContext& ctx, bool useImds = false);

// Parses the JSON shape shared by container and IMDS endpoints and credential_process
// (AccessKeyId, SecretAccessKey, Token/SessionToken, Expiration).
Result<Credentials> parseCredentialsJson(std::string_view body, const std::string& providerName);

}  // namespace azx::aws
