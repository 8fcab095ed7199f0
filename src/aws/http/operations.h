#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/http/aws_client.h"

namespace azx::aws {

// Thin typed wrappers for the rest-json and rest-xml calls whose wire shape is not a plain
// JSON document (spec 3.3, 3.6), and for the paged Cognito listings (3.11). Other JSON
// services are called with AwsClient::callJson directly.

struct LambdaInvokeResult {
  int status = 0;                            // 200 RequestResponse, 202 Event, 204 DryRun
  std::string payload;                       // the function's result bytes
  std::optional<std::string> functionError;  // X-Amz-Function-Error: Handled / Unhandled
  std::optional<std::string> logResult;      // X-Amz-Log-Result (base64)
  std::optional<std::string> executedVersion;
  std::string requestId;
};
// POST /2015-03-31/functions/<name>/invocations. Defaults to a single attempt: an Invoke that
// timed out may have run (spec 1.5); pass call.maxAttempts to allow retries.
AwsResult<LambdaInvokeResult> lambdaInvoke(AwsClient& client, const std::string& functionName,
                                           const std::string& payload,
                                           const std::string& invocationType = "RequestResponse",
                                           const std::string& qualifier = "",
                                           CallOptions call = {});

struct S3Object {
  std::string body;
  std::optional<int64_t> contentLength;
  std::string etag;
  std::string lastModified;  // RFC 1123 as sent
};
// GET /<key> (each key segment encoded once, '/' kept).
AwsResult<S3Object> s3GetObject(AwsClient& client, const std::string& bucket,
                                const std::string& key, const CallOptions& call = {});

struct S3ObjectSummary {
  std::string key;
  std::string lastModified;  // ISO 8601
  std::optional<int64_t> lastModifiedMillis;
  std::string etag;
  int64_t size = 0;
  std::string storageClass;
};
struct S3ListPage {
  std::vector<S3ObjectSummary> contents;
  bool isTruncated = false;
  std::string nextContinuationToken;
  int keyCount = 0;
};
// One ListObjectsV2 page (?list-type=2&prefix=...&continuation-token=...).
AwsResult<S3ListPage> s3ListObjectsV2(AwsClient& client, const std::string& bucket,
                                      const std::string& prefix,
                                      const std::string& continuationToken = "",
                                      std::optional<int> maxKeys = std::nullopt,
                                      const CallOptions& call = {});

// ---- Cognito IdP (json 1.1, spec 3.11): the listings the EMR-user directory reads. A reply
// whose members have the wrong shape fails with code SerializationError and a message naming
// the field (e.g. "Users[2].Attributes[0].Name").

struct CognitoAttribute {
  std::string name;
  std::string value;  // "" when the reply has none (Value is optional in the model)
};
struct CognitoUser {
  std::string username;
  std::vector<CognitoAttribute> attributes;  // reply order
  // Value of the first attribute named `name`; nullopt when there is none.
  std::optional<std::string> attribute(std::string_view name) const;
};
struct CognitoGroupPage {
  std::vector<std::string> groupNames;
  std::string nextToken;  // empty: last page
};
struct CognitoUserPage {
  std::vector<CognitoUser> users;
  std::string nextToken;  // NextToken (ListUsersInGroup) or PaginationToken (ListUsers)
};

// One page each. `limit` is the model's Limit (0..60); nullopt leaves it to the service.
AwsResult<CognitoGroupPage> cognitoListGroups(AwsClient& client, const std::string& userPoolId,
                                              const std::string& nextToken = "",
                                              std::optional<int> limit = std::nullopt,
                                              const CallOptions& call = {});
AwsResult<CognitoUserPage> cognitoListUsersInGroup(AwsClient& client, const std::string& userPoolId,
                                                   const std::string& groupName,
                                                   const std::string& nextToken = "",
                                                   std::optional<int> limit = std::nullopt,
                                                   const CallOptions& call = {});
// ListUsers pages with PaginationToken, not NextToken (spec 3.11).
AwsResult<CognitoUserPage> cognitoListUsers(AwsClient& client, const std::string& userPoolId,
                                            const std::string& paginationToken = "",
                                            std::optional<int> limit = std::nullopt,
                                            const CallOptions& call = {});

// Every page in order, until a reply carries no token. A token seen before is an error rather
// than an endless listing.
AwsResult<std::vector<std::string>> cognitoListAllGroups(
    AwsClient& client, const std::string& userPoolId, std::optional<int> pageSize = std::nullopt);
AwsResult<std::vector<CognitoUser>> cognitoListAllUsersInGroup(
    AwsClient& client, const std::string& userPoolId, const std::string& groupName,
    std::optional<int> pageSize = std::nullopt);
AwsResult<std::vector<CognitoUser>> cognitoListAllUsers(AwsClient& client,
                                                        const std::string& userPoolId,
                                                        std::optional<int> pageSize = std::nullopt);

}  // namespace azx::aws
