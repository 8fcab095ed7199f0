#pragma once

#include <string>
#include <utility>
#include <variant>

#include "core/result.h"

namespace azx::aws {

// An AWS call that failed: a service error parsed per protocol, or a transport failure.
struct AwsError {
  std::string code;  // e.g. "ThrottlingException"; "TransportError" when no response arrived
  std::string message;
  int httpStatus = 0;  // 0 for transport errors
  std::string requestId;
  std::string operation;  // e.g. "ElasticMapReduce.ListSteps" (context for messages)
  int attempts = 1;

  bool isTransport() const { return httpStatus == 0; }
  // "<operation>: <code> (HTTP <status>, request id <id>, <n> attempts): <message>"
  std::string describe() const;
  Error toError() const { return Error{describe()}; }
};

enum class RetryClass {
  None,                // final: validation, not found, access denied...
  Throttling,          // rate errors, HTTP 429
  Transient,           // 5xx, transport errors, timeouts
  ClockSkew,           // retry once after adjusting the clock offset
  ExpiredCredentials,  // retry once after forcing a credential refresh
};
// Classification per spec 1.5.
RetryClass classifyError(const AwsError& error);
bool isThrottlingCode(std::string_view code);

// Result<T> whose error is an AwsError (azx::Result carries only a message).
template <typename T>
class [[nodiscard]] AwsResult {
 public:
  AwsResult(T value) : state_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  AwsResult(AwsError error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const AwsError& error() const { return std::get<AwsError>(state_); }
  // Converts to the project-wide Result.
  Result<T> toResult() && {
    if (ok()) return std::get<T>(std::move(state_));
    return error().toError();
  }

 private:
  std::variant<T, AwsError> state_;
};

}  // namespace azx::aws
