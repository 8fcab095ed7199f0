#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/result.h"

namespace azx::aws {

// AWS credentials. Deliberately without operator<< or toString: the secret and token must not
// reach a log line by accident.
struct Credentials {
  std::string accessKeyId;
  std::string secretAccessKey;
  std::string sessionToken;                 // empty for long-term keys
  std::optional<int64_t> expirationMillis;  // epoch ms; nullopt = never expires
  std::string providerName;                 // e.g. "environment", "ecs-container"
};

// Where a client gets credentials for each signature.
class CredentialsSource {
 public:
  virtual ~CredentialsSource() = default;
  virtual Result<Credentials> credentials() = 0;
  // Drops cached credentials so the next credentials() fetches anew (after ExpiredToken).
  virtual void invalidate() {}
};

// Fixed credentials (tests, STS role chaining from an already-resolved source).
class StaticCredentialsSource final : public CredentialsSource {
 public:
  explicit StaticCredentialsSource(Credentials c) : credentials_(std::move(c)) {}
  Result<Credentials> credentials() override { return credentials_; }

 private:
  Credentials credentials_;
};

}  // namespace azx::aws
