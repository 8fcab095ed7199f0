#include "aws/http/operations.h"

#include <set>

#include "aws/common/time_util.h"
#include "aws/common/xml.h"
#include "aws/sigv4/sigv4.h"

namespace azx::aws {
namespace {

std::optional<int64_t> toInt64(const std::string& s) {
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// Reads reply members, keeping the first problem with the member's path.
class ReplyReader {
 public:
  const std::string& problem() const { return problem_; }

  std::string text(const nlohmann::json& obj, const char* key, const std::string& path,
                   bool required) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
      if (required) fail(path + " is missing");
      return {};
    }
    if (!it->is_string()) {
      fail(path + " is not a string");
      return {};
    }
    return it->get<std::string>();
  }
  // Absent lists read as empty (AWS leaves out empty lists in places).
  const nlohmann::json* list(const nlohmann::json& obj, const char* key, const std::string& path) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return nullptr;
    if (!it->is_array()) {
      fail(path + " is not a list");
      return nullptr;
    }
    return &*it;
  }
  bool object(const nlohmann::json& value, const std::string& path) {
    if (value.is_object()) return true;
    fail(path + " is not an object");
    return false;
  }

 private:
  void fail(std::string what) {
    if (problem_.empty()) problem_ = std::move(what);
  }
  std::string problem_;
};

AwsError malformedReply(const std::string& operation, const std::string& problem) {
  AwsError e;
  e.code = "SerializationError";
  e.message = "malformed reply: " + problem;
  e.httpStatus = 200;
  e.operation = services::cognitoIdp().targetPrefix + "." + operation;
  return e;
}

AwsResult<nlohmann::json> cognitoCall(AwsClient& client, const std::string& operation,
                                      const nlohmann::json& input, const CallOptions& call) {
  auto out = client.callJson(services::cognitoIdp(), operation, input, call);
  if (!out) return out.error();
  if (!out->is_object()) return malformedReply(operation, "the reply is not a JSON object");
  return out;
}

AwsResult<CognitoUserPage> parseUserPage(const nlohmann::json& reply, const std::string& operation,
                                         const char* tokenKey) {
  ReplyReader r;
  CognitoUserPage page;
  if (const auto* users = r.list(reply, "Users", "Users")) {
    for (size_t i = 0; i < users->size(); ++i) {
      const std::string at = "Users[" + std::to_string(i) + "]";
      const auto& u = (*users)[i];
      if (!r.object(u, at)) break;
      CognitoUser user;
      user.username = r.text(u, "Username", at + ".Username", /*required=*/true);
      if (const auto* attrs = r.list(u, "Attributes", at + ".Attributes")) {
        for (size_t j = 0; j < attrs->size(); ++j) {
          const std::string attrAt = at + ".Attributes[" + std::to_string(j) + "]";
          const auto& a = (*attrs)[j];
          if (!r.object(a, attrAt)) break;
          CognitoAttribute attr;
          attr.name = r.text(a, "Name", attrAt + ".Name", /*required=*/true);
          attr.value = r.text(a, "Value", attrAt + ".Value", /*required=*/false);
          user.attributes.push_back(std::move(attr));
        }
      }
      if (!r.problem().empty()) break;
      page.users.push_back(std::move(user));
    }
  }
  page.nextToken = r.text(reply, tokenKey, tokenKey, /*required=*/false);
  if (!r.problem().empty()) return malformedReply(operation, r.problem());
  return page;
}

// Follows page tokens; `fetch(token)` returns one page.
template <typename Item, typename Page, typename Fetch, typename Items>
AwsResult<std::vector<Item>> allPages(const std::string& operation, Fetch fetch, Items items) {
  std::vector<Item> out;
  std::set<std::string> seen;
  std::string token;
  while (true) {
    AwsResult<Page> page = fetch(token);
    if (!page) return page.error();
    for (auto& item : items(*page)) out.push_back(std::move(item));
    token = page->nextToken;
    if (token.empty()) return out;
    if (!seen.insert(token).second) {
      return malformedReply(operation, "page token '" + token + "' came back twice");
    }
  }
}

}  // namespace

std::optional<std::string> CognitoUser::attribute(std::string_view name) const {
  for (const auto& a : attributes) {
    if (a.name == name) return a.value;
  }
  return std::nullopt;
}

AwsResult<CognitoGroupPage> cognitoListGroups(AwsClient& client, const std::string& userPoolId,
                                              const std::string& nextToken,
                                              std::optional<int> limit, const CallOptions& call) {
  nlohmann::json in = {{"UserPoolId", userPoolId}};
  if (limit) in["Limit"] = *limit;
  if (!nextToken.empty()) in["NextToken"] = nextToken;
  auto reply = cognitoCall(client, "ListGroups", in, call);
  if (!reply) return reply.error();
  ReplyReader r;
  CognitoGroupPage page;
  if (const auto* groups = r.list(*reply, "Groups", "Groups")) {
    for (size_t i = 0; i < groups->size(); ++i) {
      const std::string at = "Groups[" + std::to_string(i) + "]";
      if (!r.object((*groups)[i], at)) break;
      std::string name = r.text((*groups)[i], "GroupName", at + ".GroupName", /*required=*/true);
      if (!r.problem().empty()) break;
      page.groupNames.push_back(std::move(name));
    }
  }
  page.nextToken = r.text(*reply, "NextToken", "NextToken", /*required=*/false);
  if (!r.problem().empty()) return malformedReply("ListGroups", r.problem());
  return page;
}

AwsResult<CognitoUserPage> cognitoListUsersInGroup(AwsClient& client, const std::string& userPoolId,
                                                   const std::string& groupName,
                                                   const std::string& nextToken,
                                                   std::optional<int> limit,
                                                   const CallOptions& call) {
  nlohmann::json in = {{"UserPoolId", userPoolId}, {"GroupName", groupName}};
  if (limit) in["Limit"] = *limit;
  if (!nextToken.empty()) in["NextToken"] = nextToken;
  auto reply = cognitoCall(client, "ListUsersInGroup", in, call);
  if (!reply) return reply.error();
  return parseUserPage(*reply, "ListUsersInGroup", "NextToken");
}

AwsResult<CognitoUserPage> cognitoListUsers(AwsClient& client, const std::string& userPoolId,
                                            const std::string& paginationToken,
                                            std::optional<int> limit, const CallOptions& call) {
  nlohmann::json in = {{"UserPoolId", userPoolId}};
  if (limit) in["Limit"] = *limit;
  if (!paginationToken.empty()) in["PaginationToken"] = paginationToken;
  auto reply = cognitoCall(client, "ListUsers", in, call);
  if (!reply) return reply.error();
  return parseUserPage(*reply, "ListUsers", "PaginationToken");
}

AwsResult<std::vector<std::string>> cognitoListAllGroups(AwsClient& client,
                                                         const std::string& userPoolId,
                                                         std::optional<int> pageSize) {
  return allPages<std::string, CognitoGroupPage>(
      "ListGroups",
      [&](const std::string& token) {
        return cognitoListGroups(client, userPoolId, token, pageSize);
      },
      [](CognitoGroupPage& page) -> std::vector<std::string>& { return page.groupNames; });
}

AwsResult<std::vector<CognitoUser>> cognitoListAllUsersInGroup(AwsClient& client,
                                                               const std::string& userPoolId,
                                                               const std::string& groupName,
                                                               std::optional<int> pageSize) {
  return allPages<CognitoUser, CognitoUserPage>(
      "ListUsersInGroup",
      [&](const std::string& token) {
        return cognitoListUsersInGroup(client, userPoolId, groupName, token, pageSize);
      },
      [](CognitoUserPage& page) -> std::vector<CognitoUser>& { return page.users; });
}

AwsResult<std::vector<CognitoUser>> cognitoListAllUsers(AwsClient& client,
                                                        const std::string& userPoolId,
                                                        std::optional<int> pageSize) {
  return allPages<CognitoUser, CognitoUserPage>(
      "ListUsers",
      [&](const std::string& token) {
        return cognitoListUsers(client, userPoolId, token, pageSize);
      },
      [](CognitoUserPage& page) -> std::vector<CognitoUser>& { return page.users; });
}

AwsResult<LambdaInvokeResult> lambdaInvoke(AwsClient& client, const std::string& functionName,
                                           const std::string& payload,
                                           const std::string& invocationType,
                                           const std::string& qualifier, CallOptions call) {
  AwsRequest req;
  req.method = "POST";
  // The name or ARN is one path segment: ':' becomes %3A (and %253A in the canonical URI).
  req.path = "/2015-03-31/functions/" + sigv4::uriEncode(functionName, false) + "/invocations";
  if (!qualifier.empty()) req.query.push_back({"Qualifier", qualifier});
  req.headers.push_back({"X-Amz-Invocation-Type", invocationType});
  req.body = payload;
  req.operation = "Lambda.Invoke";
  if (!call.maxAttempts) call.maxAttempts = 1;
  auto resp = client.callRestJson(services::lambda(), std::move(req), call);
  if (!resp) return resp.error();
  LambdaInvokeResult out;
  out.status = resp->status;
  out.payload = std::move(resp->body);
  out.functionError = resp->header("X-Amz-Function-Error");
  out.logResult = resp->header("X-Amz-Log-Result");
  out.executedVersion = resp->header("X-Amz-Executed-Version");
  out.requestId = resp->requestId;
  return out;
}

AwsResult<S3Object> s3GetObject(AwsClient& client, const std::string& bucket,
                                const std::string& key, const CallOptions& call) {
  AwsRequest req;
  req.method = "GET";
  req.bucket = bucket;
  req.path = "/" + sigv4::uriEncode(key, /*keepSlash=*/true);
  req.operation = "S3.GetObject";
  auto resp = client.send(services::s3(), std::move(req), call);
  if (!resp) return resp.error();
  S3Object out;
  out.body = std::move(resp->body);
  if (auto v = resp->header("Content-Length")) out.contentLength = toInt64(*v);
  out.etag = resp->header("ETag").value_or("");
  out.lastModified = resp->header("Last-Modified").value_or("");
  return out;
}

AwsResult<S3ListPage> s3ListObjectsV2(AwsClient& client, const std::string& bucket,
                                      const std::string& prefix,
                                      const std::string& continuationToken,
                                      std::optional<int> maxKeys, const CallOptions& call) {
  AwsRequest req;
  req.method = "GET";
  req.bucket = bucket;
  req.path = "/";
  req.query.push_back({"list-type", "2"});
  if (!prefix.empty()) req.query.push_back({"prefix", prefix});
  if (!continuationToken.empty()) req.query.push_back({"continuation-token", continuationToken});
  if (maxKeys) req.query.push_back({"max-keys", std::to_string(*maxKeys)});
  req.operation = "S3.ListObjectsV2";
  auto resp = client.send(services::s3(), std::move(req), call);
  if (!resp) return resp.error();
  auto doc = parseXml(resp->body);
  if (!doc) {
    AwsError e;
    e.code = "SerializationError";
    e.message = doc.error().message;
    e.httpStatus = resp->status;
    e.requestId = resp->requestId;
    e.operation = "S3.ListObjectsV2";
    return e;
  }
  S3ListPage page;
  page.isTruncated = doc->textAt("IsTruncated") == "true";
  page.nextContinuationToken = doc->textAt("NextContinuationToken");
  page.keyCount = static_cast<int>(toInt64(doc->textAt("KeyCount")).value_or(0));
  for (const XmlNode* c : doc->childrenNamed("Contents")) {
    S3ObjectSummary s;
    s.key = c->textAt("Key");
    s.lastModified = c->textAt("LastModified");
    s.lastModifiedMillis = parseIso8601(s.lastModified);
    s.etag = c->textAt("ETag");
    s.size = toInt64(c->textAt("Size")).value_or(0);
    s.storageClass = c->textAt("StorageClass");
    page.contents.push_back(std::move(s));
  }
  return page;
}

}  // namespace azx::aws
