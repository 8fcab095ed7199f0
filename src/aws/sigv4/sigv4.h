#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace azx::aws {

struct Credentials;

struct HttpHeader {
  std::string name;
  std::string value;
};

namespace sigv4 {

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kEmptyPayloadHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

// --- primitives ---
std::string sha256Hex(std::string_view data);
// Raw 32-byte HMAC-SHA256.
std::string hmacSha256(std::string_view key, std::string_view data);
std::string toHex(std::string_view bytes);
// RFC 3986 percent-encoding: unreserved A-Z a-z 0-9 - _ . ~ kept, '/' kept when keepSlash,
// everything else %XX upper-case.
std::string uriEncode(std::string_view text, bool keepSlash);
// Decodes %XX sequences ('+' stays literal: AWS canonicalisation never treats it as space).
std::string uriDecode(std::string_view text);

// --- canonical request pieces (spec 4, steps 2-7) ---
// Removes dot segments and collapses repeated slashes, keeping a trailing slash; "" -> "/".
std::string normalizePath(std::string_view path);
// Non-S3: normalise then encode the path as sent once more. S3: the path as sent, unchanged.
std::string canonicalUri(std::string_view pathAsSent, bool s3);
// Decodes then re-encodes every name and value, sorts by name then value; "" when no query.
std::string canonicalQuery(std::string_view rawQuery);
// Trims and collapses internal whitespace runs (including folded continuation lines).
std::string canonicalHeaderValue(std::string_view value);

struct CanonicalHeaders {
  std::string block;          // "name:value\n" per header, sorted
  std::string signedHeaders;  // "host;x-amz-date"
};
// Lower-cases names, merges repeated headers with ',' in order, sorts by name. Headers that are
// never signed (authorization, user-agent, expect, x-amzn-trace-id) are left out.
CanonicalHeaders canonicalHeaders(const std::vector<HttpHeader>& headers);
bool isUnsignedHeader(std::string_view lowerName);

struct CanonicalRequestInput {
  std::string method;
  std::string path;   // as sent (percent-encoded once)
  std::string query;  // raw query without '?'
  std::vector<HttpHeader> headers;
  std::string payloadHash;  // lower-case hex SHA-256 of the body, or UNSIGNED-PAYLOAD
  bool s3 = false;
};
struct CanonicalRequest {
  std::string text;
  std::string signedHeaders;
};
CanonicalRequest canonicalRequest(const CanonicalRequestInput& input);

// --- string to sign, key, signature, header (steps 8-11) ---
// "<YYYYMMDD>/<region>/<service>/aws4_request"
std::string credentialScope(std::string_view date8, std::string_view region,
                            std::string_view service);
std::string stringToSign(std::string_view amzDate, std::string_view scope,
                         std::string_view canonicalRequestText);
// Raw 32-byte key: HMAC chain over "AWS4"+secret, date, region, service, "aws4_request".
std::string signingKey(std::string_view secret, std::string_view date8, std::string_view region,
                       std::string_view service);
std::string signature(std::string_view signingKeyBytes, std::string_view stringToSignText);
std::string authorizationHeader(std::string_view accessKeyId, std::string_view scope,
                                std::string_view signedHeaders, std::string_view signatureHex);

// --- whole request ---
struct SignOptions {
  std::string region;
  std::string service;  // signing name
  bool s3 = false;      // no path normalisation/double encoding; X-Amz-Content-SHA256 is set
  // Sign X-Amz-Security-Token (the "header before" variant); false adds it after signing.
  bool signSessionToken = true;
};
struct SignedParts {  // intermediate values, for tests and debugging (no secrets inside)
  std::string canonicalRequest;
  std::string stringToSign;
  std::string signature;
  std::string authorization;
};
// Sets X-Amz-Date (replacing any), X-Amz-Security-Token when the credentials carry a session
// token, X-Amz-Content-SHA256 for S3, and Authorization. `headers` must already contain Host.
SignedParts signRequest(std::string_view method, std::string_view path, std::string_view query,
                        std::vector<HttpHeader>& headers, std::string_view body,
                        const Credentials& credentials, int64_t epochMillis,
                        const SignOptions& options);

}  // namespace sigv4
}  // namespace azx::aws
