#include "aws/credentials/sts.h"

#include "aws/common/time_util.h"

namespace azx::aws {

Result<Credentials> parseStsCredentials(const XmlNode& root, const std::string& providerName) {
  const XmlNode* c = root.findDescendant("Credentials");
  if (c == nullptr) return Error{"STS response without Credentials"};
  Credentials out;
  out.accessKeyId = c->textAt("AccessKeyId");
  out.secretAccessKey = c->textAt("SecretAccessKey");
  out.sessionToken = c->textAt("SessionToken");
  out.providerName = providerName;
  if (out.accessKeyId.empty() || out.secretAccessKey.empty()) {
    return Error{"STS response without AccessKeyId/SecretAccessKey"};
  }
  std::string exp = c->textAt("Expiration");
  if (!exp.empty()) {
    out.expirationMillis = parseIso8601(exp);
    if (!out.expirationMillis) return Error{"STS response with unparseable Expiration"};
  }
  return out;
}

namespace {

QueryParams baseParams(const AssumeRoleParams& p) {
  QueryParams q{{"RoleArn", p.roleArn}, {"RoleSessionName", p.roleSessionName}};
  if (p.durationSeconds) q.push_back({"DurationSeconds", std::to_string(*p.durationSeconds)});
  return q;
}

AwsResult<Credentials> finish(AwsResult<XmlNode> doc, const std::string& op,
                              const std::string& provider) {
  if (!doc) return doc.error();
  auto creds = parseStsCredentials(*doc, provider);
  if (!creds) {
    AwsError e;
    e.code = "SerializationError";
    e.message = creds.error().message;
    e.httpStatus = 200;
    e.operation = op;
    return e;
  }
  return std::move(*creds);
}

}  // namespace

AwsResult<Credentials> stsAssumeRole(AwsClient& client, const AssumeRoleParams& params) {
  QueryParams q = baseParams(params);
  if (!params.externalId.empty()) q.push_back({"ExternalId", params.externalId});
  return finish(client.callQuery(services::sts(), "AssumeRole", q), "STS.AssumeRole",
                "assume-role");
}

AwsResult<Credentials> stsAssumeRoleWithWebIdentity(AwsClient& client,
                                                    const AssumeRoleParams& params,
                                                    const std::string& webIdentityToken) {
  QueryParams q = baseParams(params);
  q.push_back({"WebIdentityToken", webIdentityToken});
  auto out = finish(client.callQuery(services::sts(), "AssumeRoleWithWebIdentity", q),
                    "STS.AssumeRoleWithWebIdentity", "web-identity");
  if (out) return out;
  AwsError e = out.error();  // the identity token is a bearer secret too
  e.message = redactSecrets(e.message, {webIdentityToken});
  return e;
}

}  // namespace azx::aws
