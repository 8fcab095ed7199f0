#pragma once

#include <optional>
#include <string>

#include "aws/credentials/credentials.h"
#include "aws/http/aws_client.h"

namespace azx::aws {

struct AssumeRoleParams {
  std::string roleArn;
  std::string roleSessionName;
  std::optional<int> durationSeconds;
  std::string externalId;
};
// STS AssumeRole (query protocol); `client` signs with the source credentials.
AwsResult<Credentials> stsAssumeRole(AwsClient& client, const AssumeRoleParams& params);
// STS AssumeRoleWithWebIdentity; `client` should be anonymous (SDKs send it unsigned).
AwsResult<Credentials> stsAssumeRoleWithWebIdentity(AwsClient& client,
                                                    const AssumeRoleParams& params,
                                                    const std::string& webIdentityToken);
// Reads <Credentials> out of an AssumeRole*Response document.
Result<Credentials> parseStsCredentials(const XmlNode& root, const std::string& providerName);

}  // namespace azx::aws
