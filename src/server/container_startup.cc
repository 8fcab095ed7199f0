#include "server/container_startup.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "aws/credentials/providers.h"
#include "aws/http/operations.h"
#include "aws/http/services.h"
#include "core/java_properties.h"
#include "server/server_config.h"

namespace azx::server {
namespace {

std::optional<std::string> envValue(const std::map<std::string, std::string>& env,
                                    const std::string& name) {
  auto it = env.find(name);
  if (it == env.end() || trim(it->second).empty()) return std::nullopt;
  return trim(it->second);
}

Result<std::shared_ptr<aws::AwsClient>> awsClientFor(
    const std::map<std::string, std::string>& env) {
  aws::ProviderContext context;
  context.env = [env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  aws::AwsClientOptions options;
  options.env = context.env;
  options.log = [](std::string_view line) { spdlog::info("aws: {}", line); };
  return aws::makeDefaultAwsClient(options, context);
}

std::string base64Decode(const std::string& in) {
  std::string out((in.size() / 4 + 1) * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return {};
  size_t padding = 0;
  for (auto it = in.rbegin(); it != in.rend() && *it == '='; ++it) ++padding;
  out.resize(static_cast<size_t>(n) - std::min<size_t>(padding, static_cast<size_t>(n)));
  return out;
}

Result<nlohmann::json> getSecretJson(aws::AwsClient& client, const std::string& id) {
  auto reply = client.callJson(aws::services::secretsManager(), "GetSecretValue",
                               nlohmann::json{{"SecretId", id}});
  if (!reply)
    return Error{"Secrets Manager GetSecretValue '" + id + "': " + reply.error().describe()};
  std::string text;
  if (reply->contains("SecretString") && (*reply)["SecretString"].is_string()) {
    text = (*reply)["SecretString"].get<std::string>();
  } else if (reply->contains("SecretBinary") && (*reply)["SecretBinary"].is_string()) {
    text = base64Decode((*reply)["SecretBinary"].get<std::string>());
  } else {
    return Error{"secret '" + id + "' has neither SecretString nor SecretBinary"};
  }
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return Error{"secret '" + id + "' is not a JSON object"};
  }
  return parsed;
}

std::optional<std::string> jsonText(const nlohmann::json& doc, const std::string& dottedPath) {
  const nlohmann::json* at = &doc;
  size_t start = 0;
  while (true) {
    size_t dot = dottedPath.find('.', start);
    std::string key =
        dottedPath.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!at->is_object() || !at->contains(key)) return std::nullopt;
    at = &(*at)[key];
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (at->is_string()) return at->get<std::string>();
  if (at->is_number_integer()) return std::to_string(at->get<long long>());
  return std::nullopt;
}

void put(ContainerStartup& result, const std::string& key, const std::string& value) {
  result.overrides[environmentNameFor(key)] = value;
}

}  // namespace

Result<int> syncFromS3(aws::AwsClient& client, const std::string& bucket, const std::string& prefix,
                       const std::filesystem::path& target) {
  std::string normalized = prefix;
  while (!normalized.empty() && normalized.front() == '/') normalized.erase(0, 1);
  if (!normalized.empty() && normalized.back() != '/') normalized += '/';
  std::string token;
  int downloaded = 0;
  std::error_code ec;
  std::filesystem::create_directories(target, ec);
  do {
    auto page = aws::s3ListObjectsV2(client, bucket, normalized, token);
    if (!page)
      return Error{"S3 ListObjectsV2 s3://" + bucket + "/" + normalized + ": " +
                   page.error().describe()};
    for (const auto& object : page->contents) {
      if (object.key.size() <= normalized.size() || object.key.back() == '/') continue;
      std::filesystem::path relative = object.key.substr(normalized.size());
      if (relative.is_absolute() || relative.lexically_normal().string().rfind("..", 0) == 0) {
        return Error{"S3 object key '" + object.key + "' would land outside " + target.string()};
      }
      auto local = target / relative;
      if (std::filesystem::exists(local, ec) &&
          static_cast<int64_t>(std::filesystem::file_size(local, ec)) == object.size) {
        continue;
      }
      auto body = aws::s3GetObject(client, bucket, object.key);
      if (!body)
        return Error{"S3 GetObject s3://" + bucket + "/" + object.key + ": " +
                     body.error().describe()};
      std::filesystem::create_directories(local.parent_path(), ec);
      std::ofstream out(local, std::ios::binary | std::ios::trunc);
      out << body->body;
      if (!out) return Error{"cannot write " + local.string()};
      spdlog::info("start-up: s3://{}/{} -> {}", bucket, object.key, local.string());
      ++downloaded;
    }
    token = page->isTruncated ? page->nextContinuationToken : "";
  } while (!token.empty());
  return downloaded;
}

Result<void> writeSelfSignedCertificate(const std::filesystem::path& certFile,
                                        const std::filesystem::path& keyFile,
                                        const std::string& commonName) {
  // RSA 2048 rather than the entrypoint's 4096: it is regenerated at every start, and 4096
  // costs seconds of start-up for no benefit behind the web server.
  EVP_PKEY* key = EVP_RSA_gen(2048);
  if (!key) return Error{"cannot generate an RSA key"};
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), static_cast<long>(time(nullptr)));
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 30L * 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(commonName.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  bool ok = X509_sign(cert, key, EVP_sha256()) > 0;
  std::error_code ec;
  std::filesystem::create_directories(certFile.parent_path(), ec);
  std::filesystem::create_directories(keyFile.parent_path(), ec);
  if (ok) {
    FILE* k = fopen(keyFile.c_str(), "w");
    if (k) {
      fchmod(fileno(k), 0600);
      ok = PEM_write_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
      fclose(k);
    } else {
      ok = false;
    }
    FILE* c = fopen(certFile.c_str(), "w");
    if (c) {
      ok = ok && PEM_write_X509(c, cert) == 1;
      fclose(c);
    } else {
      ok = false;
    }
  }
  X509_free(cert);
  EVP_PKEY_free(key);
  if (!ok) return Error{"cannot write the self-signed certificate to " + certFile.string()};
  return okResult();
}

Result<void> reloadExecutorsOnWebServer(const std::string& webServerUrl, const std::string& user,
                                        const std::string& password, bool verifyTls, int attempts,
                                        std::chrono::milliseconds interval, std::stop_token stop) {
  aws::CurlHttpClient http;
  auto encode = [](const std::string& text) {
    std::string out;
    for (unsigned char c : text) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        out.push_back(static_cast<char>(c));
      } else {
        char buf[4];
        snprintf(buf, sizeof(buf), "%%%02X", c);
        out += buf;
      }
    }
    return out;
  };
  std::string base = webServerUrl;
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::string lastError = "no attempt made";
  for (int attempt = 1; attempt <= attempts && !stop.stop_requested(); ++attempt) {
    aws::HttpRequest login;
    login.method = "POST";
    login.url = base + "/";
    login.verifyTls = verifyTls;
    login.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
    login.body = "action=login&username=" + encode(user) + "&password=" + encode(password);
    auto reply = http.send(login);
    if (reply && reply->status < 300) {
      nlohmann::json doc = nlohmann::json::parse(reply->body, nullptr, false);
      if (!doc.is_discarded() && doc.contains("session.id") && doc["session.id"].is_string()) {
        aws::HttpRequest reload;
        reload.method = "POST";
        reload.url = base + "/executor?ajax=reloadExecutors";
        reload.verifyTls = verifyTls;
        reload.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
        reload.body = "session.id=" + encode(doc["session.id"].get<std::string>());
        auto reloaded = http.send(reload);
        if (reloaded && reloaded->status < 300) {
          nlohmann::json r = nlohmann::json::parse(reloaded->body, nullptr, false);
          if (!r.is_discarded() && !(r.contains("error") && r["error"].is_string())) {
            spdlog::info("start-up: web server {} reloaded its executors", base);
            return okResult();
          }
          lastError = "reloadExecutors answered " + reloaded->body.substr(0, 200);
        } else {
          lastError = reloaded ? "reloadExecutors HTTP " + std::to_string(reloaded->status)
                               : reloaded.error().message;
        }
      } else {
        lastError = "login answered without session.id";
      }
    } else {
      lastError = reply ? "login HTTP " + std::to_string(reply->status) : reply.error().message;
    }
    spdlog::warn("start-up: reloadExecutors attempt {}/{} failed: {}", attempt, attempts,
                 lastError);
    if (attempt < attempts) {
      std::mutex m;
      std::condition_variable_any cv;
      std::unique_lock<std::mutex> lock(m);
      cv.wait_for(lock, stop, interval, [] { return false; });
    }
  }
  return Error{"web server " + base + " did not reload its executors: " + lastError};
}

Result<ContainerStartup> runContainerStartup(const std::filesystem::path& confDir,
                                             const std::map<std::string, std::string>& env) {
  ContainerStartup result;
  auto bucket = envValue(env, "AZKABAN_CONFIG_S3_BUCKET");
  auto prefix = envValue(env, "AZKABAN_CONFIG_S3_PREFIX");
  std::shared_ptr<aws::AwsClient> client;
  auto needClient = [&]() -> Result<void> {
    if (client) return okResult();
    auto made = awsClientFor(env);
    if (!made) return made.error().withContext("AWS client");
    client = *made;
    return okResult();
  };

  // 1. Configuration from S3.
  if (bucket || prefix) {
    if (!bucket || !prefix) {
      return Error{
          "AZKABAN_CONFIG_S3_BUCKET and AZKABAN_CONFIG_S3_PREFIX environment variables "
          "must be provided"};
    }
    if (auto ok = needClient(); !ok) return ok.error();
    std::string role = envValue(env, "AZKABAN_ROLE").value_or("exec-server");
    std::string source = *prefix + "/" + role;
    spdlog::info("start-up: syncing configuration from s3://{}/{}", *bucket, source);
    auto synced = syncFromS3(*client, *bucket, source, confDir);
    if (!synced) return synced.error();
    spdlog::info("start-up: {} configuration files downloaded", *synced);
    if (!std::filesystem::exists(confDir / "azkaban.properties")) {
      return Error{"s3://" + *bucket + "/" + source + " has no azkaban.properties"};
    }
  } else {
    spdlog::info("start-up: AZKABAN_CONFIG_S3_BUCKET not set, using the local configuration");
  }

  PropsPtr conf = Props::make();
  if (std::filesystem::exists(confDir / "azkaban.properties")) {
    auto loaded = loadPropertiesFile(confDir / "azkaban.properties");
    if (!loaded) return loaded.error();
    conf = *loaded;
  }
  // The plugin files the Java image copied into place (container-and-ops 3 step 4).
  std::filesystem::path pluginDir = conf->getOr("azkaban.jobtype.plugin.dir", "plugins/jobtypes");
  const std::vector<std::pair<std::string, std::filesystem::path>> placements = {
      {"commonprivate.properties", pluginDir / "commonprivate.properties"},
      {"private.properties", pluginDir / "emr" / "private.properties"},
      {"launchemr-private.properties", pluginDir / "launchemr" / "private.properties"}};
  for (const auto& [name, destination] : placements) {
    if (!std::filesystem::exists(confDir / name)) continue;
    std::error_code ec;
    std::filesystem::create_directories(destination.parent_path(), ec);
    std::filesystem::copy_file(confDir / name, destination,
                               std::filesystem::copy_options::overwrite_existing, ec);
    if (ec)
      return Error{"cannot place " + name + " at " + destination.string() + ": " + ec.message()};
    spdlog::info("start-up: placed {} at {}", name, destination.string());
  }

  // 2. Secrets (container-and-ops 3 steps 5–6; applied as overrides, never written to files).
  auto rdsSecret = conf->get("aws.rds.secretid");
  auto azkabanSecret = conf->get("aws.azkaban.secretid");
  if (rdsSecret && !trim(*rdsSecret).empty()) {
    if (auto ok = needClient(); !ok) return ok.error();
    auto secret = getSecretJson(*client, trim(*rdsSecret));
    if (!secret) return secret.error();
    if (auto v = jsonText(*secret, "dbInstanceIdentifier")) put(result, "mysql.database", *v);
    if (auto v = jsonText(*secret, "db_name")) put(result, "mysql.database", *v);
    if (auto v = jsonText(*secret, "username")) put(result, "mysql.user", *v);
    if (auto v = jsonText(*secret, "password")) put(result, "mysql.password", *v);
    if (auto v = jsonText(*secret, "host"); v && !conf->contains("mysql.host"))
      put(result, "mysql.host", *v);
    spdlog::info("start-up: database credentials read from secret '{}'", trim(*rdsSecret));
  }
  std::optional<std::string> webServerPort;
  if (azkabanSecret && !trim(*azkabanSecret).empty()) {
    if (auto ok = needClient(); !ok) return ok.error();
    auto secret = getSecretJson(*client, trim(*azkabanSecret));
    if (!secret) return secret.error();
    if (auto v = jsonText(*secret, "ports.azkaban_executor_port")) put(result, "executor.port", *v);
    webServerPort = jsonText(*secret, "ports.azkaban_webserver_port");
    result.webServerUser = jsonText(*secret, "azkaban_username");
    result.webServerPassword = jsonText(*secret, "azkaban_password");
    spdlog::info("start-up: executor settings read from secret '{}'", trim(*azkabanSecret));
  }
  if (auto url = conf->get("azkaban.webserver.url"); url && webServerPort) {
    // The entrypoint appended the *executor* port here; the web server's port is meant.
    std::string base = trim(*url);
    auto schemeEnd = base.find("://");
    auto hostPart = schemeEnd == std::string::npos ? base : base.substr(schemeEnd + 3);
    if (hostPart.find(':') == std::string::npos)
      put(result, "azkaban.webserver.url", base + ":" + *webServerPort);
  }
  if (auto user = conf->get("azkaban.webserver.user")) result.webServerUser = trim(*user);
  if (auto password = conf->get("azkaban.webserver.password")) result.webServerPassword = *password;

  // 3. TLS: a self-signed certificate when TLS is on and none is given.
  if (conf->getBool("jetty.use.ssl", false) && !conf->contains("executor.ssl.cert.file")) {
    auto tlsDir = confDir / "tls";
    auto written = writeSelfSignedCertificate(tlsDir / "cert.pem", tlsDir / "key.pem");
    if (!written) return written.error();
    put(result, "executor.ssl.cert.file", (tlsDir / "cert.pem").string());
    put(result, "executor.ssl.key.file", (tlsDir / "key.pem").string());
    spdlog::info("start-up: generated a self-signed certificate in {}", tlsDir.string());
  }
  // 4. In a container nobody loops on `activate`: the executor activates itself.
  if (bucket && !conf->contains("executor.activate.on.start")) {
    put(result, "executor.activate.on.start", "true");
  }
  return result;
}

}  // namespace azx::server
