#include "aws/http/services.h"

#include <cctype>

namespace azx::aws {

std::string ServiceInfo::endpointEnvSuffix() const {
  std::string out;
  for (unsigned char c : serviceId) {
    out += (c == ' ' || c == '-') ? '_' : static_cast<char>(std::toupper(c));
  }
  return out;
}

namespace services {
namespace {
ServiceInfo json(std::string id, std::string prefix, std::string version, std::string target) {
  return ServiceInfo{std::move(id),     prefix, prefix, Protocol::Json, std::move(version),
                     std::move(target), ""};
}
}  // namespace

const ServiceInfo& emr() {
  static const ServiceInfo s = json("EMR", "elasticmapreduce", "1.1", "ElasticMapReduce");
  return s;
}
const ServiceInfo& logs() {
  static const ServiceInfo s = json("CloudWatch Logs", "logs", "1.1", "Logs_20140328");
  return s;
}
const ServiceInfo& lambda() {
  static const ServiceInfo s{"Lambda", "lambda", "lambda", Protocol::RestJson, "", "", ""};
  return s;
}
const ServiceInfo& secretsManager() {
  static const ServiceInfo s = json("Secrets Manager", "secretsmanager", "1.1", "secretsmanager");
  return s;
}
const ServiceInfo& sts() {
  static const ServiceInfo s{"STS", "sts", "sts", Protocol::Query, "", "", "2011-06-15"};
  return s;
}
const ServiceInfo& s3() {
  static const ServiceInfo s{"S3", "s3", "s3", Protocol::RestXml, "", "", "2006-03-01"};
  return s;
}
const ServiceInfo& sns() {
  static const ServiceInfo s{"SNS", "sns", "sns", Protocol::Query, "", "", "2010-03-31"};
  return s;
}
const ServiceInfo& dynamoDb() {
  static const ServiceInfo s = json("DynamoDB", "dynamodb", "1.0", "DynamoDB_20120810");
  return s;
}
const ServiceInfo& ecs() {
  static const ServiceInfo s = json("ECS", "ecs", "1.1", "AmazonEC2ContainerServiceV20141113");
  return s;
}
const ServiceInfo& rdsData() {
  static const ServiceInfo s{"RDS Data", "rds-data", "rds-data", Protocol::RestJson, "", "", ""};
  return s;
}
const ServiceInfo& cognitoIdp() {
  static const ServiceInfo s =
      json("Cognito Identity Provider", "cognito-idp", "1.1", "AWSCognitoIdentityProviderService");
  return s;
}
const ServiceInfo& sqs() {
  static const ServiceInfo s{"SQS", "sqs", "sqs", Protocol::Query, "", "", "2012-11-05"};
  return s;
}
}  // namespace services

}  // namespace azx::aws
