#include "aws/credentials/providers.h"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "aws/common/time_util.h"
#include "aws/credentials/profile_file.h"
#include "aws/credentials/sts.h"
#include "core/java_properties.h"  // readFileBytes

namespace azx::aws {
namespace {

using OptCreds = std::optional<Credentials>;

Result<OptCreds> notConfigured() { return OptCreds{}; }
Result<OptCreds> found(Credentials c) { return OptCreds{std::move(c)}; }

std::string trimRight(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

std::string sessionName(const ProviderContext& ctx, const std::string& configured) {
  if (!configured.empty()) return configured;
  return "azx-session-" + std::to_string(ctx.clock->nowMillis() / 1000);
}

// A client for STS calls made by providers: endpoint overrides (AWS_ENDPOINT_URL_STS) come
// from the provider environment; regional endpoint when a region is known.
AwsClient stsClient(const ProviderContext& ctx, std::shared_ptr<CredentialsSource> source) {
  AwsClientOptions o;
  o.region = ctx.region.empty() ? "us-east-1" : ctx.region;
  o.env = ctx.env;
  o.clock = ctx.clock;
  o.sleeper = ctx.sleeper;
  o.log = ctx.log;
  o.timeout = std::chrono::seconds(10);
  return AwsClient(std::move(o), std::move(source), ctx.http);
}

Result<OptCreds> webIdentity(const ProviderContext& ctx, const std::string& tokenFile,
                             const std::string& roleArn, const std::string& session,
                             std::optional<int> duration) {
  auto token = readFileBytes(tokenFile);
  if (!token) return Error{"web identity token file '" + tokenFile + "' is not readable"};
  AssumeRoleParams p{roleArn, sessionName(ctx, session), duration, ""};
  AwsClient client = stsClient(ctx, nullptr);
  auto creds = stsAssumeRoleWithWebIdentity(client, p, trimRight(*token));
  if (!creds) return creds.error().toError();
  creds->providerName = "web-identity";
  return found(std::move(*creds));
}

// A GET/PUT against a metadata endpoint with a few quick attempts.
Result<HttpResponse> metadataCall(const ProviderContext& ctx, HttpRequest req, int attempts,
                                  bool retry4xx = false) {
  Result<HttpResponse> last = Error{"no attempt made"};
  for (int i = 1; i <= std::max(1, attempts); ++i) {
    last = ctx.http->send(req);
    if (last && (last->status < 500 && (!retry4xx || last->status < 400))) return last;
    if (i < attempts) ctx.sleeper(std::chrono::milliseconds(100 * i));
  }
  return last;
}

bool isAllowedContainerHost(const ParsedUrl& url) {
  if (url.scheme == "https") return true;
  return isLoopbackHost(url.host) || url.host == "169.254.170.2" || url.host == "169.254.170.23" ||
         url.host == "fd00:ec2::23";
}

}  // namespace

ProviderContext withDefaults(ProviderContext ctx) {
  if (!ctx.env) ctx.env = processEnv();
  if (!ctx.http) ctx.http = std::make_shared<CurlHttpClient>();
  if (!ctx.clock) ctx.clock = std::make_shared<SystemClock>();
  if (!ctx.sleeper) {
    ctx.sleeper = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  }
  return ctx;
}

Result<Credentials> parseCredentialsJson(std::string_view body, const std::string& providerName) {
  auto j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Error{providerName + ": credentials response is not a JSON object"};
  auto str = [&](const char* key) -> std::string {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
  };
  Credentials c;
  c.providerName = providerName;
  c.accessKeyId = str("AccessKeyId");
  c.secretAccessKey = str("SecretAccessKey");
  c.sessionToken = str("Token");
  if (c.sessionToken.empty()) c.sessionToken = str("SessionToken");
  if (c.accessKeyId.empty() || c.secretAccessKey.empty()) {
    return Error{providerName + ": credentials response lacks AccessKeyId/SecretAccessKey"};
  }
  std::string exp = str("Expiration");
  if (!exp.empty()) {
    c.expirationMillis = parseIso8601(exp);
    if (!c.expirationMillis) return Error{providerName + ": unparseable Expiration '" + exp + "'"};
  }
  return c;
}

// ---------------------------------------------------------------- environment

Result<OptCreds> EnvironmentProvider::fetch() {
  auto id = firstEnv(ctx_.env, {"AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"});
  auto secret = firstEnv(ctx_.env, {"AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY"});
  if (!id && !secret) return notConfigured();
  if (!id || !secret) {
    return Error{"environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set"};
  }
  Credentials c;
  c.providerName = name();
  c.accessKeyId = *id;
  c.secretAccessKey = *secret;
  c.sessionToken = firstEnv(ctx_.env, {"AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"}).value_or("");
  if (auto exp = ctx_.env("AWS_CREDENTIAL_EXPIRATION")) {
    c.expirationMillis = parseIso8601(*exp);
    if (!c.expirationMillis) return Error{"environment: unparseable AWS_CREDENTIAL_EXPIRATION"};
  }
  return found(std::move(c));
}

// ---------------------------------------------------------------- web identity

Result<OptCreds> WebIdentityProvider::fetch() {
  auto tokenFile = ctx_.env("AWS_WEB_IDENTITY_TOKEN_FILE");
  auto roleArn = ctx_.env("AWS_ROLE_ARN");
  if (!tokenFile || !roleArn) return notConfigured();
  auto r = webIdentity(ctx_, *tokenFile, *roleArn, ctx_.env("AWS_ROLE_SESSION_NAME").value_or(""),
                       std::nullopt);
  if (!r) return r.error().withContext("web identity");
  return r;
}

// ---------------------------------------------------------------- profile files

namespace {

std::optional<std::string> get(const ProfileSection& s, const char* key) {
  auto it = s.find(key);
  if (it == s.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

Result<Credentials> runCredentialProcess(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return Error{"credential_process could not be started"};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  int status = pclose(pipe);
  if (status != 0) return Error{"credential_process exited with status " + std::to_string(status)};
  auto j = nlohmann::json::parse(out, nullptr, false);
  if (!j.is_object() || j.value("Version", 0) != 1) {
    return Error{"credential_process output is not Version 1 JSON"};
  }
  return parseCredentialsJson(out, "credential-process");
}

class ProfileResolver {
 public:
  ProfileResolver(const ProviderContext& ctx, const ProfileMap& profiles)
      : ctx_(ctx), profiles_(profiles) {}

  // nullopt when the profile exists but holds no credential settings at all.
  Result<OptCreds> resolve(const std::string& name, int depth) {
    if (depth > 10) return Error{"profile role chain deeper than 10"};
    if (!visited_.insert(name).second) {
      return Error{"profile '" + name + "' takes part in a source_profile loop"};
    }
    auto it = profiles_.find(name);
    if (it == profiles_.end()) return Error{"profile '" + name + "' not found"};
    const ProfileSection& p = it->second;
    auto staticCreds = [&]() -> OptCreds {
      auto id = get(p, "aws_access_key_id");
      auto secret = get(p, "aws_secret_access_key");
      if (!id || !secret) return std::nullopt;
      return Credentials{*id, *secret, get(p, "aws_session_token").value_or(""), std::nullopt,
                         "profile"};
    };

    if (auto roleArn = get(p, "role_arn")) {
      if (get(p, "mfa_serial")) {
        return Error{"profile '" + name + "': mfa_serial is not supported non-interactively"};
      }
      std::optional<int> duration;
      if (auto d = get(p, "duration_seconds")) {
        try {
          duration = std::stoi(*d);
        } catch (...) {
          return Error{"profile '" + name + "': invalid duration_seconds"};
        }
      }
      std::string session = get(p, "role_session_name").value_or("");
      if (auto tokenFile = get(p, "web_identity_token_file")) {
        return webIdentity(ctx_, *tokenFile, *roleArn, session, duration);
      }
      Credentials source;
      if (auto src = get(p, "source_profile")) {
        OptCreds self = *src == name ? staticCreds() : std::nullopt;
        if (self) {
          source = *self;  // a profile may name itself to use its own static keys
        } else {
          auto r = resolve(*src, depth + 1);
          if (!r) return r;
          if (!r->has_value()) return Error{"source profile '" + *src + "' has no credentials"};
          source = **r;
        }
      } else if (auto cs = get(p, "credential_source")) {
        std::shared_ptr<CredentialsProvider> provider;
        if (*cs == "Environment")
          provider = std::make_shared<EnvironmentProvider>(ctx_);
        else if (*cs == "EcsContainer")
          provider = std::make_shared<ContainerProvider>(ctx_);
        else if (*cs == "Ec2InstanceMetadata")
          provider = std::make_shared<ImdsProvider>(ctx_);
        else
          return Error{"profile '" + name + "': unknown credential_source '" + *cs + "'"};
        auto r = provider->fetch();
        if (!r) return r;
        if (!r->has_value()) {
          return Error{"profile '" + name + "': credential_source " + *cs + " has no credentials"};
        }
        source = **r;
      } else {
        return Error{"profile '" + name + "': role_arn needs source_profile or credential_source"};
      }
      ProviderContext stsCtx = ctx_;
      if (auto region = get(p, "region"); region && stsCtx.region.empty()) stsCtx.region = *region;
      AwsClient client = stsClient(stsCtx, std::make_shared<StaticCredentialsSource>(source));
      AssumeRoleParams params{*roleArn, sessionName(ctx_, session), duration,
                              get(p, "external_id").value_or("")};
      auto creds = stsAssumeRole(client, params);
      if (!creds) {
        return Error{
            "profile '" + name + "': " +
            redactSecrets(creds.error().describe(), {source.secretAccessKey, source.sessionToken})};
      }
      creds->providerName = "assume-role";
      return found(std::move(*creds));
    }
    if (auto c = staticCreds()) return found(std::move(*c));
    if (auto process = get(p, "credential_process")) {
      auto c = runCredentialProcess(*process);
      if (!c) return c.error().withContext("profile '" + name + "'");
      return found(std::move(*c));
    }
    return notConfigured();
  }

 private:
  const ProviderContext& ctx_;
  const ProfileMap& profiles_;
  std::set<std::string> visited_;
};

}  // namespace

Result<OptCreds> ProfileProvider::fetch() {
  bool explicitName = false;
  std::string profile = selectedProfileName(ctx_.env, &explicitName);
  SharedProfiles shared = loadSharedProfiles(ctx_.env);
  if (!shared.profiles.count(profile)) {
    if (explicitName && shared.anyFileFound) {
      return Error{"profile: profile '" + profile + "' not found in the shared files"};
    }
    return notConfigured();
  }
  ProfileResolver resolver(ctx_, shared.profiles);
  auto r = resolver.resolve(profile, 0);
  if (!r) return r.error().withContext("profile");
  return r;
}

// ---------------------------------------------------------------- ECS container

Result<OptCreds> ContainerProvider::fetch() {
  std::string url;
  if (auto rel = ctx_.env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    std::string base = ctx_.containerEndpoint;
    while (!base.empty() && base.back() == '/') base.pop_back();
    url = base + (rel->starts_with("/") ? "" : "/") + *rel;
  } else if (auto full = ctx_.env("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    url = *full;
    auto parsed = parseUrl(url);
    if (!parsed)
      return parsed.error().withContext("ecs-container: AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!isAllowedContainerHost(*parsed)) {
      return Error{"ecs-container: AWS_CONTAINER_CREDENTIALS_FULL_URI host '" + parsed->host +
                   "' is neither loopback nor an ECS/EKS credential address over http"};
    }
  } else {
    return notConfigured();
  }
  HttpRequest req;
  req.method = "GET";
  req.url = url;
  req.timeout = ctx_.containerTimeout;
  req.connectTimeout = ctx_.containerTimeout;
  req.headers.push_back({"Accept", "application/json"});
  std::optional<std::string> token;
  if (auto file = ctx_.env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    auto text = readFileBytes(*file);  // read each time: the agent rotates it
    if (!text) return Error{"ecs-container: token file '" + *file + "' is not readable"};
    token = trimRight(*text);
  } else {
    token = ctx_.env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  }
  if (token) {
    if (token->find_first_of("\r\n") != std::string::npos) {
      return Error{"ecs-container: authorization token contains CR or LF"};
    }
    req.headers.push_back({"Authorization", *token});
  }
  auto resp = metadataCall(ctx_, req, ctx_.containerAttempts);
  if (!resp) return resp.error().withContext("ecs-container");
  if (resp->status != 200) {
    return Error{"ecs-container: credentials endpoint answered HTTP " +
                 std::to_string(resp->status)};
  }
  auto c = parseCredentialsJson(resp->body, name());
  if (!c) return c.error();
  return found(std::move(*c));
}

// ---------------------------------------------------------------- EC2 IMDS

namespace {

struct ImdsSession {
  const ProviderContext& ctx;
  std::string endpoint;
  std::optional<std::string> token;

  static Result<ImdsSession> open(const ProviderContext& ctx) {
    ImdsSession s{ctx, ctx.env("AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or(ctx.imdsEndpoint),
                  std::nullopt};
    while (!s.endpoint.empty() && s.endpoint.back() == '/') s.endpoint.pop_back();
    HttpRequest put;
    put.method = "PUT";
    put.url = s.endpoint + "/latest/api/token";
    put.timeout = ctx.imdsTimeout;
    put.connectTimeout = ctx.imdsTimeout;
    put.headers.push_back({"X-aws-ec2-metadata-token-ttl-seconds", "21600"});
    auto resp = metadataCall(ctx, put, ctx.imdsAttempts);
    if (!resp) return resp.error().withContext("ec2-imds: token request");
    if (resp->status == 200) {
      s.token = resp->body;
    } else if (resp->status == 403 || resp->status == 404 || resp->status == 405) {
      // IMDSv2 refused: v1 fallback unless disabled.
      if (envFlag(ctx.env, "AWS_EC2_METADATA_V1_DISABLED")) {
        return Error{"ec2-imds: token request refused (HTTP " + std::to_string(resp->status) +
                     ") and IMDSv1 is disabled"};
      }
    } else {
      return Error{"ec2-imds: token request answered HTTP " + std::to_string(resp->status)};
    }
    return s;
  }

  Result<std::string> get(const std::string& path) const {
    HttpRequest req;
    req.method = "GET";
    req.url = endpoint + path;
    req.timeout = ctx.imdsTimeout;
    req.connectTimeout = ctx.imdsTimeout;
    if (token) req.headers.push_back({"X-aws-ec2-metadata-token", *token});
    auto resp = metadataCall(ctx, req, ctx.imdsAttempts);
    if (!resp) return resp.error().withContext("ec2-imds: GET " + path);
    if (resp->status != 200) {
      return Error{"ec2-imds: GET " + path + " answered HTTP " + std::to_string(resp->status)};
    }
    return resp->body;
  }
};

}  // namespace

Result<OptCreds> ImdsProvider::fetch() {
  if (envFlag(ctx_.env, "AWS_EC2_METADATA_DISABLED")) return notConfigured();
  auto session = ImdsSession::open(ctx_);
  if (!session) return session.error();
  const std::string base = "/latest/meta-data/iam/security-credentials/";
  auto roles = session->get(base);
  if (!roles) return roles.error();
  std::string role = roles->substr(0, roles->find('\n'));
  role = trimRight(role);
  if (role.empty()) return Error{"ec2-imds: no instance profile role attached"};
  auto body = session->get(base + role);
  if (!body) return body.error();
  auto j = nlohmann::json::parse(*body, nullptr, false);
  if (j.is_object() && j.contains("Code") && j["Code"] != "Success") {
    return Error{"ec2-imds: credentials Code is not Success"};
  }
  auto c = parseCredentialsJson(*body, name());
  if (!c) return c.error();
  return found(std::move(*c));
}

// ---------------------------------------------------------------- chain

Result<OptCreds> ProviderChain::fetch() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (winner_) {
    auto r = winner_->fetch();
    if (!r || r->has_value()) return r;
    winner_.reset();  // no longer configured: search again
  }
  std::string tried;
  for (size_t i = 0; i < providers_.size(); ++i) {
    const auto& p = providers_[i];
    auto r = p->fetch();
    if (!r && i + 1 == providers_.size() && !tried.empty()) {
      // The last resort (IMDS) failing usually just means "nothing configured here".
      return Error{"no AWS credentials found (tried " + tried + "; " + r.error().message + ")"};
    }
    if (!r) return r;
    if (r->has_value()) {
      winner_ = p;
      return r;
    }
    tried += (tried.empty() ? "" : ", ") + p->name();
  }
  return Error{"no AWS credentials found (tried " + tried + ")"};
}

std::shared_ptr<ProviderChain> defaultProviderChain(ProviderContext ctx) {
  ctx = withDefaults(std::move(ctx));
  if (ctx.region.empty()) {
    if (auto r = resolveRegion(ctx, /*useImds=*/false)) ctx.region = *r;
  }
  std::vector<std::shared_ptr<CredentialsProvider>> providers{
      std::make_shared<EnvironmentProvider>(ctx), std::make_shared<WebIdentityProvider>(ctx),
      std::make_shared<ProfileProvider>(ctx), std::make_shared<ContainerProvider>(ctx)};
  // Container credentials, when configured, replace IMDS (SDK behaviour); an unconfigured
  // container provider answers nullopt and IMDS comes next.
  providers.push_back(std::make_shared<ImdsProvider>(ctx));
  return std::make_shared<ProviderChain>(std::move(providers));
}

// ---------------------------------------------------------------- caching

CachingCredentialsSource::CachingCredentialsSource(std::shared_ptr<CredentialsProvider> provider,
                                                   std::shared_ptr<const Clock> clock,
                                                   RefreshWindows windows, LogSink log)
    : provider_(std::move(provider)),
      clock_(clock ? std::move(clock) : std::make_shared<SystemClock>()),
      windows_(windows),
      log_(std::move(log)) {}

void CachingCredentialsSource::invalidate() {
  std::lock_guard<std::mutex> lock(stateMutex_);
  current_.reset();
}

void CachingCredentialsSource::store(const Credentials& c) {
  std::lock_guard<std::mutex> lock(stateMutex_);
  current_ = c;
}

Result<Credentials> CachingCredentialsSource::fetchNow(int64_t now) {
  auto r = provider_->fetch();
  if (!r) return r.error();
  if (!r->has_value()) return Error{provider_->name() + ": no AWS credentials configured"};
  Credentials c = std::move(**r);
  if (c.expirationMillis && *c.expirationMillis <= now) {
    return Error{c.providerName + ": provider returned credentials that are already expired"};
  }
  store(c);
  return c;
}

Result<Credentials> CachingCredentialsSource::credentials() {
  auto remaining = [&](const Credentials& c, int64_t now) -> int64_t {
    return c.expirationMillis ? *c.expirationMillis - now : INT64_MAX;
  };
  auto snapshot = [&] {
    std::lock_guard<std::mutex> lock(stateMutex_);
    return current_;
  };
  const int64_t advisory = windows_.advisory.count();
  const int64_t mandatory = windows_.mandatory.count();

  int64_t now = clock_->nowMillis();
  std::optional<Credentials> cur = snapshot();
  if (cur && remaining(*cur, now) > advisory) return *cur;

  if (cur && remaining(*cur, now) > mandatory) {
    // Advisory window: one thread refreshes, the others keep using the valid credentials.
    std::unique_lock<std::mutex> refresh(refreshMutex_, std::try_to_lock);
    if (!refresh.owns_lock()) return *cur;
    cur = snapshot();
    now = clock_->nowMillis();
    if (cur && remaining(*cur, now) > advisory) return *cur;
    auto fresh = fetchNow(now);
    if (fresh) return fresh;
    if (log_)
      log_("advisory credential refresh failed, keeping current credentials: " +
           fresh.error().message);
    if (cur && remaining(*cur, now) > 0) return *cur;
    return fresh;
  }

  // Mandatory window or nothing cached: block until one refresh completes.
  std::unique_lock<std::mutex> refresh(refreshMutex_);
  cur = snapshot();
  now = clock_->nowMillis();
  if (cur && remaining(*cur, now) > mandatory) return *cur;  // another thread refreshed
  auto fresh = fetchNow(now);
  if (fresh) return fresh;
  if (cur && remaining(*cur, now) > 0) {
    if (log_)
      log_("mandatory credential refresh failed, credentials expire in " +
           std::to_string(remaining(*cur, now) / 1000) + " s: " + fresh.error().message);
    return *cur;
  }
  return fresh;
}

Result<OptCreds> AssumeRoleProvider::fetch() {
  Result<Credentials> source = source_->credentials();
  if (!source) return source.error().withContext("assume role '" + params_.roleArn + "'");
  AwsClient client = stsClient(ctx_, source_);
  AssumeRoleParams params = params_;
  params.roleSessionName = sessionName(ctx_, params.roleSessionName);
  auto creds = stsAssumeRole(client, params);
  if (!creds) {
    return Error{
        "assume role '" + params_.roleArn + "': " +
        redactSecrets(creds.error().describe(), {source->secretAccessKey, source->sessionToken})};
  }
  creds->providerName = "assume-role";
  return found(std::move(*creds));
}

std::shared_ptr<CachingCredentialsSource> assumeRoleCredentialsSource(AssumeRoleParams params,
                                                                      ProviderContext ctx) {
  ctx = withDefaults(std::move(ctx));
  auto provider =
      std::make_shared<AssumeRoleProvider>(std::move(params), defaultCredentialsSource(ctx), ctx);
  return std::make_shared<CachingCredentialsSource>(provider, ctx.clock, RefreshWindows{}, ctx.log);
}

std::shared_ptr<CachingCredentialsSource> defaultCredentialsSource(ProviderContext ctx) {
  ctx = withDefaults(std::move(ctx));
  auto chain = defaultProviderChain(ctx);
  return std::make_shared<CachingCredentialsSource>(chain, ctx.clock, RefreshWindows{}, ctx.log);
}

Result<std::shared_ptr<AwsClient>> makeDefaultAwsClient(AwsClientOptions options,
                                                        ProviderContext ctx) {
  ctx = withDefaults(std::move(ctx));
  if (options.region.empty()) {
    auto region = resolveRegion(ctx, /*useImds=*/false);
    if (!region) return region.error();
    options.region = *region;
  }
  if (ctx.region.empty()) ctx.region = options.region;
  if (!options.env) options.env = ctx.env;
  if (!options.clock) options.clock = ctx.clock;
  if (!options.sleeper) options.sleeper = ctx.sleeper;
  if (!options.log) options.log = ctx.log;
  auto source = defaultCredentialsSource(ctx);
  return std::make_shared<AwsClient>(std::move(options), std::move(source), ctx.http);
}

// ---------------------------------------------------------------- region

Result<std::string> resolveRegion(const ProviderContext& ctxIn, bool useImds) {
  ProviderContext ctx = withDefaults(ctxIn);
  if (auto r = firstEnv(ctx.env, {"AWS_REGION", "AWS_DEFAULT_REGION"})) return *r;
  SharedProfiles shared = loadSharedProfiles(ctx.env);
  auto it = shared.profiles.find(selectedProfileName(ctx.env));
  if (it != shared.profiles.end()) {
    if (auto r = get(it->second, "region")) return *r;
  }
  if (useImds && !envFlag(ctx.env, "AWS_EC2_METADATA_DISABLED")) {
    auto session = ImdsSession::open(ctx);
    if (!session) return session.error();
    auto region = session->get("/latest/meta-data/placement/region");
    if (!region) return region.error();
    std::string r = trimRight(*region);
    if (!r.empty()) return r;
  }
  return Error{"no AWS region configured (AWS_REGION, AWS_DEFAULT_REGION, profile region)"};
}

}  // namespace azx::aws
