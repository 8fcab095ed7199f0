#include "aws/http/aws_error.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace azx::aws {
namespace {

bool containsIgnoreCase(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a)) ==
                                 std::tolower(static_cast<unsigned char>(b));
                        });
  return it != haystack.end();
}

template <size_t N>
bool oneOf(std::string_view code, const std::array<std::string_view, N>& set) {
  return std::find(set.begin(), set.end(), code) != set.end();
}

constexpr std::array<std::string_view, 17> kThrottling = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "Throttled",
    "RequestThrottledException",
    "RequestThrottled",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TransactionInProgressException",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
    "ThrottlingError",
    "TooManyRequests",
};

constexpr std::array<std::string_view, 14> kTransient = {
    "TransportError",
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalServerError",
    "InternalServerException",
    "InternalServiceError",
    "InternalErrorException",
    "InternalError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "ServiceUnavailableError",
    "IDPCommunicationError",
    "DatabaseResumingException",
    "ServerException",
};

constexpr std::array<std::string_view, 4> kClockSkew = {
    "RequestTimeTooSkewed",
    "RequestExpired",
    "RequestInTheFuture",
    "AuthFailure",
};

constexpr std::array<std::string_view, 4> kExpired = {
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "RequestExpiredToken",
};

}  // namespace

std::string AwsError::describe() const {
  std::string out = operation.empty() ? std::string("AWS call") : operation;
  out += ": " + (code.empty() ? std::string("UnknownError") : code);
  std::string details;
  if (httpStatus != 0) details = "HTTP " + std::to_string(httpStatus);
  if (!requestId.empty()) details += (details.empty() ? "" : ", ") + ("request id " + requestId);
  if (attempts > 1)
    details += (details.empty() ? "" : ", ") + std::to_string(attempts) + " attempts";
  if (!details.empty()) out += " (" + details + ")";
  if (!message.empty()) out += ": " + message;
  return out;
}

bool isThrottlingCode(std::string_view code) { return oneOf(code, kThrottling); }

RetryClass classifyError(const AwsError& e) {
  if (e.isTransport()) return RetryClass::Transient;
  if (isThrottlingCode(e.code) || e.httpStatus == 429) return RetryClass::Throttling;
  if (oneOf(e.code, kClockSkew)) return RetryClass::ClockSkew;
  if ((e.code == "InvalidSignatureException" || e.code == "SignatureDoesNotMatch") &&
      (containsIgnoreCase(e.message, "expired") || containsIgnoreCase(e.message, "time") ||
       containsIgnoreCase(e.message, "not yet current"))) {
    return RetryClass::ClockSkew;
  }
  if (oneOf(e.code, kExpired)) return RetryClass::ExpiredCredentials;
  if (oneOf(e.code, kTransient)) return RetryClass::Transient;
  if (e.httpStatus == 500 || e.httpStatus == 502 || e.httpStatus == 503 || e.httpStatus == 504) {
    return RetryClass::Transient;
  }
  // RDS Data API while Aurora Serverless resumes (BadRequestException, HTTP 400).
  if (e.code == "BadRequestException" &&
      (containsIgnoreCase(e.message, "Communications link failure") ||
       containsIgnoreCase(e.message, "resuming"))) {
    return RetryClass::Transient;
  }
  return RetryClass::None;
}

}  // namespace azx::aws
