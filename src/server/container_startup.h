#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <stop_token>
#include <string>

#include "core/props.h"
#include "core/result.h"

namespace azx::aws {
class AwsClient;
}

namespace azx::server {

// What the Java image's entrypoint.sh did, done natively before the server starts
// (container-and-ops 3): configuration from S3, secrets from Secrets Manager, a self-signed
// certificate, activation at start. Its results are configuration overrides in the AZK_*
// environment form, so nothing secret is written back into azkaban.properties.
struct ContainerStartup {
  std::map<std::string, std::string> overrides;  // AZK_* name -> value (may hold secrets)
  std::optional<std::string> webServerUser;      // for reloadExecutors
  std::optional<std::string> webServerPassword;
};

// Runs the steps the environment asks for; a step that is not configured is skipped and said
// so in the log. Every failure is one clear message.
Result<ContainerStartup> runContainerStartup(const std::filesystem::path& confDir,
                                             const std::map<std::string, std::string>& env);

// s3 sync semantics: every object under `prefix` lands below `target` (sub-paths kept); objects
// missing locally or differing in size are downloaded; local files are never deleted.
Result<int> syncFromS3(aws::AwsClient& client, const std::string& bucket, const std::string& prefix,
                       const std::filesystem::path& target);

// A fresh RSA key and a self-signed certificate (CN=azkaban, 30 days) as PEM files.
Result<void> writeSelfSignedCertificate(const std::filesystem::path& certFile,
                                        const std::filesystem::path& keyFile,
                                        const std::string& commonName = "azkaban");

// Logs into the web server (`action=login`) and asks it to reload its executor list
// (`/executor?ajax=reloadExecutors`), retrying `attempts` times unless `stop` is requested.
Result<void> reloadExecutorsOnWebServer(const std::string& webServerUrl, const std::string& user,
                                        const std::string& password, bool verifyTls, int attempts,
                                        std::chrono::milliseconds interval,
                                        std::stop_token stop = {});

}  // namespace azx::server
