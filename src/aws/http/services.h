#pragma once

#include <string>

namespace azx::aws {

enum class Protocol { Json, RestJson, Query, RestXml };

// Model metadata of one service (spec 0; botocore service-2.json `metadata`).
struct ServiceInfo {
  std::string serviceId;       // botocore serviceId, e.g. "CloudWatch Logs"
  std::string endpointPrefix;  // host prefix, e.g. "logs"
  std::string signingName;     // SigV4 service name
  Protocol protocol = Protocol::Json;
  std::string jsonVersion;   // "1.0" / "1.1" for Protocol::Json
  std::string targetPrefix;  // X-Amz-Target prefix for Protocol::Json
  std::string apiVersion;    // Version= for Protocol::Query

  // Suffix of AWS_ENDPOINT_URL_<SERVICE>: serviceId upper-cased, spaces and dashes as '_'
  // ("CloudWatch Logs" -> "CLOUDWATCH_LOGS"), the SDKs' convention.
  std::string endpointEnvSuffix() const;
};

namespace services {
const ServiceInfo& emr();
const ServiceInfo& logs();
const ServiceInfo& lambda();
const ServiceInfo& secretsManager();
const ServiceInfo& sts();
const ServiceInfo& s3();
const ServiceInfo& sns();
const ServiceInfo& dynamoDb();
const ServiceInfo& ecs();
const ServiceInfo& rdsData();
const ServiceInfo& cognitoIdp();
// Query protocol as in botocore 1.29 (newer models switched SQS to json 1.0).
const ServiceInfo& sqs();
}  // namespace services

}  // namespace azx::aws
