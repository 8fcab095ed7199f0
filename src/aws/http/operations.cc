#include "aws/http/operations.h"

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

}  // namespace

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
