#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <thread>

#include "aws/common/time_util.h"
#include "aws/credentials/profile_file.h"
#include "aws/credentials/providers.h"
#include "aws/credentials/sts.h"
#include "tests/aws/aws_test_support.h"
#include "tests/support/test_paths.h"

namespace azx::aws {
namespace {

namespace fs = std::filesystem;
using testing::FakeClock;
using testing::LoopbackServer;
using testing::RecordingSleeper;
using testing::verifySigV4;
using Env = std::map<std::string, std::string>;

constexpr int64_t kNow = 1767225600000;  // 2026-01-01T00:00:00Z
constexpr int64_t kMinute = 60 * 1000;

void writeFile(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
}

std::map<std::string, std::string> parseForm(const std::string& body) {
  std::map<std::string, std::string> out;
  size_t i = 0;
  while (i < body.size()) {
    size_t amp = body.find('&', i);
    if (amp == std::string::npos) amp = body.size();
    std::string part = body.substr(i, amp - i);
    size_t eq = part.find('=');
    out[sigv4::uriDecode(part.substr(0, eq))] =
        eq == std::string::npos ? "" : sigv4::uriDecode(part.substr(eq + 1));
    i = amp + 1;
  }
  return out;
}

std::string stsCredentialsXml(const std::string& op, const std::string& id,
                              const std::string& secret, const std::string& token,
                              const std::string& expiration) {
  return "<" + op + "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><" + op +
         "Result><Credentials><AccessKeyId>" + id + "</AccessKeyId><SecretAccessKey>" + secret +
         "</SecretAccessKey><SessionToken>" + token + "</SessionToken><Expiration>" + expiration +
         "</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::1:assumed-role/r/s</Arn>"
         "</AssumedRoleUser></" +
         op +
         "Result><ResponseMetadata><RequestId>sts-1</RequestId>"
         "</ResponseMetadata></" +
         op + "Response>";
}

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_shared<FakeClock>(kNow);
    dir_ = azx::testing::freshTempDir("aws-creds");
  }

  ProviderContext ctx(Env env) {
    // Never reach the real link-local endpoints from tests.
    if (!env.count("AWS_EC2_METADATA_SERVICE_ENDPOINT")) env["AWS_EC2_METADATA_DISABLED"] = "true";
    ProviderContext c;
    c.env = mapEnv(std::move(env));
    c.clock = clock_;
    c.sleeper = sleeper_.fn();
    c.region = "eu-west-2";
    c.containerEndpoint = "http://127.0.0.1:1";  // overridden per test when used
    c.imdsEndpoint = "http://127.0.0.1:1";
    return c;
  }

  std::shared_ptr<FakeClock> clock_;
  RecordingSleeper sleeper_;
  fs::path dir_;
  LoopbackServer fake_;
};

// ------------------------------------------------------------------ environment

TEST_F(CredentialsTest, EnvironmentProvider) {
  EnvironmentProvider none(ctx({}));
  auto n = none.fetch();
  ASSERT_TRUE(n.ok());
  EXPECT_FALSE(n->has_value());

  EnvironmentProvider full(ctx({{"AWS_ACCESS_KEY_ID", "AKID"},
                                {"AWS_SECRET_ACCESS_KEY", "SECRET"},
                                {"AWS_SESSION_TOKEN", "TOKEN"},
                                {"AWS_CREDENTIAL_EXPIRATION", "2026-01-01T01:00:00Z"}}));
  auto f = full.fetch();
  ASSERT_TRUE(f.ok() && f->has_value());
  EXPECT_EQ((*f)->accessKeyId, "AKID");
  EXPECT_EQ((*f)->secretAccessKey, "SECRET");
  EXPECT_EQ((*f)->sessionToken, "TOKEN");
  EXPECT_EQ((*f)->expirationMillis, kNow + 60 * kMinute);

  EnvironmentProvider legacy(
      ctx({{"AWS_ACCESS_KEY", "A2"}, {"AWS_SECRET_KEY", "S2"}, {"AWS_SECURITY_TOKEN", "T2"}}));
  auto l = legacy.fetch();
  ASSERT_TRUE(l.ok() && l->has_value());
  EXPECT_EQ((*l)->accessKeyId, "A2");
  EXPECT_EQ((*l)->sessionToken, "T2");
  EXPECT_FALSE((*l)->expirationMillis);

  EnvironmentProvider partial(ctx({{"AWS_ACCESS_KEY_ID", "AKID"}}));
  auto p = partial.fetch();
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
}

// ------------------------------------------------------------------ web identity

TEST_F(CredentialsTest, WebIdentityCallsStsUnsignedAndRereadsTheTokenFile) {
  std::vector<std::map<std::string, std::string>> forms;
  std::vector<std::string> authz;
  fake_.server().Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    forms.push_back(parseForm(req.body));
    authz.push_back(req.get_header_value("Authorization"));
    res.set_content(stsCredentialsXml("AssumeRoleWithWebIdentity", "ASIAWEB", "webSecret",
                                      "webToken", "2026-01-01T01:00:00Z"),
                    "text/xml");
  });
  fake_.start();
  fs::path tokenFile = dir_ / "token";
  writeFile(tokenFile, "jwt-one\n");
  WebIdentityProvider p(ctx({{"AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile.string()},
                             {"AWS_ROLE_ARN", "arn:aws:iam::1:role/web"},
                             {"AWS_ROLE_SESSION_NAME", "sess"},
                             {"AWS_ENDPOINT_URL_STS", fake_.url()}}));
  auto r = p.fetch();
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->accessKeyId, "ASIAWEB");
  EXPECT_EQ((*r)->secretAccessKey, "webSecret");
  EXPECT_EQ((*r)->sessionToken, "webToken");
  EXPECT_EQ((*r)->expirationMillis, kNow + 60 * kMinute);

  writeFile(tokenFile, "jwt-two");
  ASSERT_TRUE(p.fetch().ok());
  ASSERT_EQ(forms.size(), 2u);
  EXPECT_EQ(forms[0]["Action"], "AssumeRoleWithWebIdentity");
  EXPECT_EQ(forms[0]["Version"], "2011-06-15");
  EXPECT_EQ(forms[0]["RoleArn"], "arn:aws:iam::1:role/web");
  EXPECT_EQ(forms[0]["RoleSessionName"], "sess");
  EXPECT_EQ(forms[0]["WebIdentityToken"], "jwt-one");
  EXPECT_EQ(forms[1]["WebIdentityToken"], "jwt-two");
  EXPECT_EQ(authz[0], "");  // sent anonymously
}

TEST_F(CredentialsTest, WebIdentityNeedsBothVariables) {
  WebIdentityProvider p(ctx({{"AWS_ROLE_ARN", "arn:aws:iam::1:role/web"}}));
  auto r = p.fetch();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
}

TEST_F(CredentialsTest, WebIdentityStsErrorDoesNotLeakTheToken) {
  fake_.server().Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    res.status = 400;
    res.set_content("<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>bad token " +
                        parseForm(req.body)["WebIdentityToken"] +
                        "</Message></Error></ErrorResponse>",
                    "text/xml");
  });
  fake_.start();
  fs::path tokenFile = dir_ / "token";
  writeFile(tokenFile, "secret-jwt-value");
  WebIdentityProvider p(ctx({{"AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile.string()},
                             {"AWS_ROLE_ARN", "arn:aws:iam::1:role/web"},
                             {"AWS_ENDPOINT_URL_STS", fake_.url()}}));
  auto r = p.fetch();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("InvalidIdentityToken"), std::string::npos);
  EXPECT_EQ(r.error().message.find("secret-jwt-value"), std::string::npos) << r.error().message;
}

// ------------------------------------------------------------------ profiles

TEST(ProfileIni, ParsesSectionsCommentsAndNestedValues) {
  auto cfg = parseProfileIni(
      "# comment\n[default]\nregion = eu-west-1\n[profile dev]\nregion=us-east-2 ; note\n"
      "s3 =\n  max_concurrent_requests = 10\nrole_arn = arn:x\n[sso-session s]\nsso_region=x\n"
      "[plain]\nregion=ignored\n",
      true);
  EXPECT_EQ(cfg["default"]["region"], "eu-west-1");
  EXPECT_EQ(cfg["dev"]["region"], "us-east-2");
  EXPECT_EQ(cfg["dev"]["role_arn"], "arn:x");
  EXPECT_EQ(cfg["dev"].count("max_concurrent_requests"), 0u);
  EXPECT_EQ(cfg.count("sso-session s"), 0u);
  EXPECT_EQ(cfg.count("plain"), 0u);
  auto creds = parseProfileIni("[dev]\r\naws_access_key_id = A\r\n", false);
  EXPECT_EQ(creds["dev"]["aws_access_key_id"], "A");
}

TEST_F(CredentialsTest, ProfileStaticKeysAndSelection) {
  writeFile(dir_ / "credentials",
            "[default]\naws_access_key_id=DEFAULTKEY\naws_secret_access_key=defaultSecret\n"
            "[dev]\naws_access_key_id = DEVKEY\naws_secret_access_key = devSecret\n"
            "aws_session_token = devToken\n");
  writeFile(dir_ / "config", "[profile dev]\nregion = ap-south-1\n[profile empty]\nregion=x\n");
  Env base{{"AWS_SHARED_CREDENTIALS_FILE", (dir_ / "credentials").string()},
           {"AWS_CONFIG_FILE", (dir_ / "config").string()}};

  auto r = ProfileProvider(ctx(base)).fetch();
  ASSERT_TRUE(r.ok() && r->has_value()) << (r.ok() ? "" : r.error().message);
  EXPECT_EQ((*r)->accessKeyId, "DEFAULTKEY");

  Env dev = base;
  dev["AWS_PROFILE"] = "dev";
  r = ProfileProvider(ctx(dev)).fetch();
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->accessKeyId, "DEVKEY");
  EXPECT_EQ((*r)->sessionToken, "devToken");
  EXPECT_EQ(*resolveRegion(ctx(dev)), "ap-south-1");

  Env legacy = base;
  legacy["AWS_DEFAULT_PROFILE"] = "dev";
  r = ProfileProvider(ctx(legacy)).fetch();
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->accessKeyId, "DEVKEY");

  Env missing = base;
  missing["AWS_PROFILE"] = "nope";
  r = ProfileProvider(ctx(missing)).fetch();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("'nope'"), std::string::npos);

  Env empty = base;
  empty["AWS_PROFILE"] = "empty";  // exists, holds only a region: not a credential source
  r = ProfileProvider(ctx(empty)).fetch();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());

  Env nofiles{{"AWS_SHARED_CREDENTIALS_FILE", (dir_ / "absent").string()},
              {"AWS_CONFIG_FILE", (dir_ / "absent2").string()}};
  r = ProfileProvider(ctx(nofiles)).fetch();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
}

TEST_F(CredentialsTest, ProfileRoleChainThroughFakeSts) {
  // base (static) -> app (AssumeRole signed with base) -> top (AssumeRole signed with app).
  std::vector<std::map<std::string, std::string>> forms;
  std::vector<std::string> sigProblems;
  fake_.server().Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    auto form = parseForm(req.body);
    forms.push_back(form);
    std::string authz = req.get_header_value("Authorization");
    bool fromBase = authz.find("Credential=BASEKEY/") != std::string::npos;
    sigProblems.push_back(verifySigV4(req, fromBase ? "baseSecret" : "appSecret"));
    if (form["RoleArn"] == "arn:aws:iam::1:role/app") {
      res.set_content(stsCredentialsXml("AssumeRole", "ASIAAPP", "appSecret", "appToken",
                                        "2026-01-01T00:45:00Z"),
                      "text/xml");
    } else {
      EXPECT_EQ(req.get_header_value("X-Amz-Security-Token"), "appToken");
      res.set_content(stsCredentialsXml("AssumeRole", "ASIATOP", "topSecret", "topToken",
                                        "2026-01-01T00:30:00.000Z"),
                      "text/xml");
    }
  });
  fake_.start();
  writeFile(dir_ / "credentials",
            "[base]\naws_access_key_id=BASEKEY\naws_secret_access_key=baseSecret\n");
  writeFile(dir_ / "config",
            "[profile app]\nrole_arn = arn:aws:iam::1:role/app\nsource_profile = base\n"
            "external_id = ext-1\nrole_session_name = app-session\nduration_seconds = 1800\n"
            "[profile top]\nrole_arn = arn:aws:iam::1:role/top\nsource_profile = app\n");
  Env env{{"AWS_SHARED_CREDENTIALS_FILE", (dir_ / "credentials").string()},
          {"AWS_CONFIG_FILE", (dir_ / "config").string()},
          {"AWS_ENDPOINT_URL_STS", fake_.url()},
          {"AWS_PROFILE", "top"}};
  auto r = ProfileProvider(ctx(env)).fetch();
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->accessKeyId, "ASIATOP");
  EXPECT_EQ((*r)->sessionToken, "topToken");
  EXPECT_EQ((*r)->expirationMillis, kNow + 30 * kMinute);
  ASSERT_EQ(forms.size(), 2u);
  EXPECT_EQ(forms[0]["Action"], "AssumeRole");
  EXPECT_EQ(forms[0]["RoleArn"], "arn:aws:iam::1:role/app");
  EXPECT_EQ(forms[0]["ExternalId"], "ext-1");
  EXPECT_EQ(forms[0]["RoleSessionName"], "app-session");
  EXPECT_EQ(forms[0]["DurationSeconds"], "1800");
  EXPECT_EQ(forms[1]["RoleArn"], "arn:aws:iam::1:role/top");
  EXPECT_EQ(forms[1]["RoleSessionName"].rfind("azx-session-", 0), 0u);
  EXPECT_EQ(sigProblems, (std::vector<std::string>{"", ""}));
}

TEST_F(CredentialsTest, ProfileSourceLoopIsRejected) {
  writeFile(dir_ / "config",
            "[profile a]\nrole_arn=arn:a\nsource_profile=b\n[profile b]\nrole_arn=arn:b\n"
            "source_profile=a\n");
  Env env{{"AWS_CONFIG_FILE", (dir_ / "config").string()},
          {"AWS_SHARED_CREDENTIALS_FILE", (dir_ / "none").string()},
          {"AWS_PROFILE", "a"}};
  auto r = ProfileProvider(ctx(env)).fetch();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("loop"), std::string::npos) << r.error().message;
}

TEST_F(CredentialsTest, ProfileAssumeRoleFailureDoesNotLeakSourceSecret) {
  fake_.server().Post("/", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 403;
    res.set_content(
        "<ErrorResponse><Error><Code>AccessDenied</Code><Message>denied for baseSecret"
        "</Message></Error><RequestId>rid-9</RequestId></ErrorResponse>",
        "text/xml");
  });
  fake_.start();
  writeFile(dir_ / "config",
            "[profile app]\nrole_arn=arn:aws:iam::1:role/app\nsource_profile=app\n"
            "aws_access_key_id=SELFKEY\naws_secret_access_key=baseSecret\n");
  Env env{{"AWS_CONFIG_FILE", (dir_ / "config").string()},
          {"AWS_SHARED_CREDENTIALS_FILE", (dir_ / "none").string()},
          {"AWS_ENDPOINT_URL_STS", fake_.url()},
          {"AWS_PROFILE", "app"}};
  auto r = ProfileProvider(ctx(env)).fetch();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("AccessDenied"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("rid-9"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("baseSecret"), std::string::npos) << r.error().message;
}

TEST_F(CredentialsTest, ProfileCredentialProcess) {
  fs::path script = dir_ / "creds.sh";
  writeFile(script,
            "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"PROCKEY\", "
            "\"SecretAccessKey\": \"procSecret\", \"SessionToken\": \"procToken\", "
            "\"Expiration\": \"2026-01-01T02:00:00Z\"}'\n");
  fs::permissions(script, fs::perms::owner_all);
  writeFile(dir_ / "config", "[default]\ncredential_process = " + script.string() + "\n");
  Env env{{"AWS_CONFIG_FILE", (dir_ / "config").string()},
          {"AWS_SHARED_CREDENTIALS_FILE", (dir_ / "none").string()}};
  auto r = ProfileProvider(ctx(env)).fetch();
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->accessKeyId, "PROCKEY");
  EXPECT_EQ((*r)->sessionToken, "procToken");
  EXPECT_EQ((*r)->expirationMillis, kNow + 120 * kMinute);
}

// ------------------------------------------------------------------ ECS container

constexpr char kContainerJson[] =
    R"({"AccessKeyId":"ASIAECS","SecretAccessKey":"ecsSecret","Token":"ecsToken",)"
    R"("Expiration":"2026-01-01T06:00:00Z","RoleArn":"arn:aws:iam::1:role/task"})";

TEST_F(CredentialsTest, ContainerRelativeUri) {
  std::string path, auth = "unset";
  fake_.server().Get(R"(/v2/credentials/(.*))",
                     [&](const httplib::Request& req, httplib::Response& res) {
                       path = req.path;
                       auth = req.get_header_value("Authorization");
                       res.set_content(kContainerJson, "application/json");
                     });
  fake_.start();
  ProviderContext c = ctx({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc-123"}});
  c.containerEndpoint = fake_.url();
  auto r = ContainerProvider(c).fetch();
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ(path, "/v2/credentials/abc-123");
  EXPECT_EQ(auth, "");
  EXPECT_EQ((*r)->accessKeyId, "ASIAECS");
  EXPECT_EQ((*r)->secretAccessKey, "ecsSecret");
  EXPECT_EQ((*r)->sessionToken, "ecsToken");
  EXPECT_EQ((*r)->expirationMillis, kNow + 360 * kMinute);
}

TEST_F(CredentialsTest, ContainerDefaultHostIsTheEcsAgentAddress) {
  EXPECT_EQ(ProviderContext{}.containerEndpoint, "http://169.254.170.2");
}

TEST_F(CredentialsTest, ContainerFullUriWithTokenFileAndEnvToken) {
  std::vector<std::string> auths;
  std::atomic<int> hits{0};
  fake_.server().Get("/creds", [&](const httplib::Request& req, httplib::Response& res) {
    auths.push_back(req.get_header_value("Authorization"));
    if (++hits == 1) {
      res.status = 500;  // transient: retried
      return;
    }
    res.set_content(kContainerJson, "application/json");
  });
  fake_.start();
  fs::path tokenFile = dir_ / "auth-token";
  writeFile(tokenFile, "file-token-1\n");
  Env env{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", fake_.url() + "/creds"},
          {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "env-token"},
          {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tokenFile.string()}};
  ContainerProvider p(ctx(env));
  auto r = p.fetch();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(sleeper_.delays().size(), 1u);
  writeFile(tokenFile, "file-token-2");
  ASSERT_TRUE(p.fetch().ok());
  EXPECT_EQ(auths, (std::vector<std::string>{"file-token-1", "file-token-1", "file-token-2"}));

  Env envOnly{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", fake_.url() + "/creds"},
              {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "env-token"}};
  ASSERT_TRUE(ContainerProvider(ctx(envOnly)).fetch().ok());
  EXPECT_EQ(auths.back(), "env-token");
}

TEST_F(CredentialsTest, ContainerRejectsBadTokensAndHosts) {
  Env crlf{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/creds"},
           {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "abc\r\nX-Injected: 1"}};
  auto r = ContainerProvider(ctx(crlf)).fetch();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("CR or LF"), std::string::npos);
  EXPECT_EQ(r.error().message.find("X-Injected"), std::string::npos);

  // Validation happens before any connection, so this address is never contacted.
  Env remote{{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://192.0.2.10/creds"}};
  r = ContainerProvider(ctx(remote)).fetch();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("192.0.2.10"), std::string::npos);

  auto none = ContainerProvider(ctx({})).fetch();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_F(CredentialsTest, ContainerClientErrorIsNotRetried) {
  std::atomic<int> hits{0};
  fake_.server().Get("/creds", [&](const httplib::Request&, httplib::Response& res) {
    ++hits;
    res.status = 403;
    res.set_content("forbidden", "text/plain");
  });
  fake_.start();
  auto r = ContainerProvider(ctx({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", fake_.url() + "/creds"},
                                  {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "tok-secret"}}))
               .fetch();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("403"), std::string::npos);
  EXPECT_EQ(r.error().message.find("tok-secret"), std::string::npos);
  EXPECT_EQ(hits.load(), 1);
}

// ------------------------------------------------------------------ IMDS

struct FakeImds {
  std::vector<std::string> log;  // "METHOD path token"
  bool refuseV2 = false;
};

void installImds(httplib::Server& s, FakeImds& f) {
  s.Put("/latest/api/token", [&f](const httplib::Request& req, httplib::Response& res) {
    f.log.push_back("PUT " + req.path +
                    " ttl=" + req.get_header_value("X-aws-ec2-metadata-token-ttl-seconds"));
    if (f.refuseV2) {
      res.status = 403;
      return;
    }
    res.set_content("imds-session-token", "text/plain");
  });
  auto tokenOk = [&f](const httplib::Request& req) {
    std::string t = req.get_header_value("X-aws-ec2-metadata-token");
    f.log.push_back("GET " + req.path + " token=" + t);
    return f.refuseV2 ? t.empty() : t == "imds-session-token";
  };
  s.Get("/latest/meta-data/iam/security-credentials/",
        [tokenOk](const httplib::Request& req, httplib::Response& res) {
          if (!tokenOk(req)) {
            res.status = 401;
            return;
          }
          res.set_content("my-instance-role\n", "text/plain");
        });
  s.Get("/latest/meta-data/iam/security-credentials/my-instance-role",
        [tokenOk](const httplib::Request& req, httplib::Response& res) {
          if (!tokenOk(req)) {
            res.status = 401;
            return;
          }
          res.set_content(
              R"({"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIAIMDS",)"
              R"("SecretAccessKey":"imdsSecret","Token":"imdsToken",)"
              R"("Expiration":"2026-01-01T06:00:00Z","LastUpdated":"2025-12-31T23:00:00Z"})",
              "application/json");
        });
  s.Get("/latest/meta-data/placement/region",
        [tokenOk](const httplib::Request& req, httplib::Response& res) {
          if (!tokenOk(req)) {
            res.status = 401;
            return;
          }
          res.set_content("sa-east-1", "text/plain");
        });
}

TEST_F(CredentialsTest, ImdsV2TokenFlow) {
  FakeImds imds;
  installImds(fake_.server(), imds);
  fake_.start();
  auto r = ImdsProvider(ctx({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", fake_.url()}})).fetch();
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->accessKeyId, "ASIAIMDS");
  EXPECT_EQ((*r)->sessionToken, "imdsToken");
  EXPECT_EQ((*r)->expirationMillis, kNow + 360 * kMinute);
  EXPECT_EQ(imds.log,
            (std::vector<std::string>{
                "PUT /latest/api/token ttl=21600",
                "GET /latest/meta-data/iam/security-credentials/ token=imds-session-token",
                "GET /latest/meta-data/iam/security-credentials/my-instance-role "
                "token=imds-session-token"}));
}

TEST_F(CredentialsTest, ImdsFallsBackToV1WhenTokenRefusedUnlessDisabled) {
  FakeImds imds;
  imds.refuseV2 = true;
  installImds(fake_.server(), imds);
  fake_.start();
  auto r = ImdsProvider(ctx({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", fake_.url()}})).fetch();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)->accessKeyId, "ASIAIMDS");
  auto v1off = ImdsProvider(ctx({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", fake_.url()},
                                 {"AWS_EC2_METADATA_V1_DISABLED", "true"}}))
                   .fetch();
  EXPECT_FALSE(v1off.ok());
}

TEST_F(CredentialsTest, ImdsDisabledMakesNoRequest) {
  FakeImds imds;
  installImds(fake_.server(), imds);
  fake_.start();
  auto r = ImdsProvider(ctx({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", fake_.url()},
                             {"AWS_EC2_METADATA_DISABLED", "TRUE"}}))
               .fetch();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  EXPECT_TRUE(imds.log.empty());
}

TEST_F(CredentialsTest, RegionResolutionOrder) {
  writeFile(dir_ / "config", "[default]\nregion = eu-central-1\n");
  Env files{{"AWS_CONFIG_FILE", (dir_ / "config").string()},
            {"AWS_SHARED_CREDENTIALS_FILE", (dir_ / "none").string()}};
  Env both = files;
  both["AWS_REGION"] = "us-west-1";
  both["AWS_DEFAULT_REGION"] = "us-west-2";
  EXPECT_EQ(*resolveRegion(ctx(both)), "us-west-1");
  Env def = files;
  def["AWS_DEFAULT_REGION"] = "us-west-2";
  EXPECT_EQ(*resolveRegion(ctx(def)), "us-west-2");
  EXPECT_EQ(*resolveRegion(ctx(files)), "eu-central-1");
  EXPECT_FALSE(resolveRegion(ctx({})).ok());

  FakeImds imds;
  installImds(fake_.server(), imds);
  fake_.start();
  Env withImds{{"AWS_EC2_METADATA_SERVICE_ENDPOINT", fake_.url()}};
  EXPECT_FALSE(resolveRegion(ctx(withImds), /*useImds=*/false).ok());
  auto viaImds = resolveRegion(ctx(withImds), /*useImds=*/true);
  ASSERT_TRUE(viaImds.ok()) << viaImds.error().message;
  EXPECT_EQ(*viaImds, "sa-east-1");
}

// ------------------------------------------------------------------ chain

TEST_F(CredentialsTest, ChainOrderEnvironmentFirstThenProfile) {
  writeFile(dir_ / "credentials",
            "[default]\naws_access_key_id=PROFILEKEY\naws_secret_access_key=s\n");
  Env files{{"AWS_SHARED_CREDENTIALS_FILE", (dir_ / "credentials").string()},
            {"AWS_CONFIG_FILE", (dir_ / "none").string()}};
  Env withEnv = files;
  withEnv["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  withEnv["AWS_SECRET_ACCESS_KEY"] = "e";
  auto a = defaultProviderChain(ctx(withEnv))->fetch();
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ((*a)->accessKeyId, "ENVKEY");
  EXPECT_EQ((*a)->providerName, "environment");
  auto b = defaultProviderChain(ctx(files))->fetch();
  ASSERT_TRUE(b.ok() && b->has_value());
  EXPECT_EQ((*b)->accessKeyId, "PROFILEKEY");
}

TEST_F(CredentialsTest, ChainUsesContainerBeforeImdsAndStopsOnItsFailure) {
  FakeImds imds;
  installImds(fake_.server(), imds);
  fake_.server().Get("/creds", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kContainerJson, "application/json");
  });
  fake_.start();
  Env env{{"AWS_SHARED_CREDENTIALS_FILE", (dir_ / "none").string()},
          {"AWS_CONFIG_FILE", (dir_ / "none").string()},
          {"AWS_EC2_METADATA_SERVICE_ENDPOINT", fake_.url()},
          {"AWS_CONTAINER_CREDENTIALS_FULL_URI", fake_.url() + "/creds"}};
  auto r = defaultProviderChain(ctx(env))->fetch();
  ASSERT_TRUE(r.ok() && r->has_value());
  EXPECT_EQ((*r)->accessKeyId, "ASIAECS");
  EXPECT_TRUE(imds.log.empty());

  Env broken = env;
  broken["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = fake_.url() + "/missing";
  auto e = defaultProviderChain(ctx(broken))->fetch();
  ASSERT_FALSE(e.ok());  // configured but failing: an error, not a fall-through to IMDS
  EXPECT_NE(e.error().message.find("ecs-container"), std::string::npos);
  EXPECT_TRUE(imds.log.empty());

  Env imdsOnly = env;
  imdsOnly.erase("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  auto i = defaultProviderChain(ctx(imdsOnly))->fetch();
  ASSERT_TRUE(i.ok() && i->has_value());
  EXPECT_EQ((*i)->accessKeyId, "ASIAIMDS");
}

TEST_F(CredentialsTest, ChainWithNothingConfiguredFails) {
  auto r = defaultProviderChain(ctx({{"AWS_SHARED_CREDENTIALS_FILE", (dir_ / "none").string()},
                                     {"AWS_CONFIG_FILE", (dir_ / "none").string()}}))
               ->fetch();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no AWS credentials found"), std::string::npos);
}

TEST_F(CredentialsTest, ChainReportsUnreachableImdsAsNoCredentials) {
  LoopbackServer closed;
  closed.start();
  std::string url = closed.url();
  closed.stop();
  ProviderContext c = ctx({{"AWS_SHARED_CREDENTIALS_FILE", (dir_ / "none").string()},
                           {"AWS_CONFIG_FILE", (dir_ / "none").string()},
                           {"AWS_EC2_METADATA_SERVICE_ENDPOINT", url}});
  auto r = defaultProviderChain(c)->fetch();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no AWS credentials found"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("ec2-imds"), std::string::npos) << r.error().message;
}

TEST_F(CredentialsTest, MakeDefaultAwsClientResolvesRegionAndCredentials) {
  std::string authz;
  fake_.server().Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    authz = req.get_header_value("Authorization");
    res.set_content("{}", "application/x-amz-json-1.1");
  });
  fake_.start();
  ProviderContext c = ctx({{"AWS_ACCESS_KEY_ID", "ENVKEY"},
                           {"AWS_SECRET_ACCESS_KEY", "envSecret"},
                           {"AWS_REGION", "ca-central-1"},
                           {"AWS_ENDPOINT_URL_EMR", fake_.url()}});
  c.region.clear();
  auto client = makeDefaultAwsClient({}, c);
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_EQ((*client)->region(), "ca-central-1");
  auto r = (*client)->callJson(services::emr(), "ListClusters", nlohmann::json::object());
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_NE(authz.find("Credential=ENVKEY/20260101/ca-central-1/elasticmapreduce/aws4_request"),
            std::string::npos)
      << authz;
}

// ------------------------------------------------------------------ caching and refresh

class ScriptedProvider final : public CredentialsProvider {
 public:
  explicit ScriptedProvider(std::shared_ptr<FakeClock> clock) : clock_(std::move(clock)) {}
  std::string name() const override { return "scripted"; }
  Result<std::optional<Credentials>> fetch() override {
    int n = ++calls;
    if (gate) gate();
    if (fail) return Error{"scripted failure"};
    Credentials c{"KEY" + std::to_string(n), "secret", "token", std::nullopt, "scripted"};
    if (lifetime) c.expirationMillis = clock_->nowMillis() + *lifetime;
    return std::optional<Credentials>(c);
  }
  std::atomic<int> calls{0};
  std::atomic<bool> fail{false};
  std::optional<int64_t> lifetime = 60 * kMinute;
  std::function<void()> gate;

 private:
  std::shared_ptr<FakeClock> clock_;
};

TEST_F(CredentialsTest, CacheRefreshesAheadOfExpiry) {
  auto provider = std::make_shared<ScriptedProvider>(clock_);
  std::vector<std::string> logs;
  CachingCredentialsSource cache(provider, clock_, {},
                                 [&](std::string_view l) { logs.emplace_back(l); });
  auto c = cache.credentials();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->accessKeyId, "KEY1");
  clock_->advance(std::chrono::minutes(44));  // 16 min left: cached
  EXPECT_EQ(cache.credentials()->accessKeyId, "KEY1");
  EXPECT_EQ(provider->calls.load(), 1);

  clock_->advance(std::chrono::minutes(2));  // 14 min left: advisory refresh
  EXPECT_EQ(cache.credentials()->accessKeyId, "KEY2");
  EXPECT_EQ(provider->calls.load(), 2);

  // Advisory refresh failure keeps the current credentials.
  clock_->advance(std::chrono::minutes(47));  // 13 min left of KEY2
  provider->fail = true;
  EXPECT_EQ(cache.credentials()->accessKeyId, "KEY2");
  EXPECT_EQ(provider->calls.load(), 3);
  EXPECT_FALSE(logs.empty());
  EXPECT_EQ(logs.back().find("secret"), std::string::npos);

  // Mandatory window (<10 min): refresh blocks; a failure while still valid is logged and the
  // valid credentials are used; once expired it is an error.
  clock_->advance(std::chrono::minutes(5));  // 8 min left
  EXPECT_EQ(cache.credentials()->accessKeyId, "KEY2");
  EXPECT_EQ(provider->calls.load(), 4);
  clock_->advance(std::chrono::minutes(9));  // expired
  EXPECT_FALSE(cache.credentials().ok());
  provider->fail = false;
  EXPECT_EQ(cache.credentials()->accessKeyId, "KEY6");
}

TEST_F(CredentialsTest, CacheNeverRefreshesStaticCredentials) {
  auto provider = std::make_shared<ScriptedProvider>(clock_);
  provider->lifetime.reset();
  CachingCredentialsSource cache(provider, clock_);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(cache.credentials().ok());
    clock_->advance(std::chrono::hours(24));
  }
  EXPECT_EQ(provider->calls.load(), 1);
  cache.invalidate();  // ExpiredToken path
  EXPECT_EQ(cache.credentials()->accessKeyId, "KEY2");
}

TEST_F(CredentialsTest, CacheRejectsAlreadyExpiredCredentials) {
  auto provider = std::make_shared<ScriptedProvider>(clock_);
  provider->lifetime = -1000;
  CachingCredentialsSource cache(provider, clock_);
  auto r = cache.credentials();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("expired"), std::string::npos);
}

TEST_F(CredentialsTest, CacheRefreshIsSingleFlight) {
  constexpr int kThreads = 8;
  auto provider = std::make_shared<ScriptedProvider>(clock_);
  std::mutex m;
  std::condition_variable cv;
  int entered = 0;
  // The first fetch waits until every thread has asked for credentials, so the others pile
  // up behind it instead of fetching themselves.
  provider->gate = [&] {
    std::unique_lock<std::mutex> lock(m);
    cv.wait_for(lock, std::chrono::seconds(5), [&] { return entered == kThreads; });
  };
  CachingCredentialsSource cache(provider, clock_);
  std::vector<std::thread> threads;
  std::vector<std::string> keys(kThreads);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      {
        std::lock_guard<std::mutex> lock(m);
        ++entered;
      }
      cv.notify_all();
      auto c = cache.credentials();
      keys[i] = c.ok() ? c->accessKeyId : "error";
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(provider->calls.load(), 1);
  for (const auto& k : keys) EXPECT_EQ(k, "KEY1");
}

TEST_F(CredentialsTest, CachedChainFeedsAwsClient) {
  std::string sigProblem = "not called", token;
  fake_.server().Get("/creds", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(kContainerJson, "application/json");
  });
  fake_.server().Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    sigProblem = verifySigV4(req, "ecsSecret");
    token = req.get_header_value("X-Amz-Security-Token");
    res.set_content("{}", "application/x-amz-json-1.1");
  });
  fake_.start();
  Env env{{"AWS_SHARED_CREDENTIALS_FILE", (dir_ / "none").string()},
          {"AWS_CONFIG_FILE", (dir_ / "none").string()},
          {"AWS_CONTAINER_CREDENTIALS_FULL_URI", fake_.url() + "/creds"},
          {"AWS_ENDPOINT_URL", fake_.url()}};
  auto source = defaultCredentialsSource(ctx(env));
  AwsClientOptions o;
  o.region = "eu-west-2";
  o.env = mapEnv(env);
  o.clock = clock_;
  o.sleeper = sleeper_.fn();
  AwsClient client(std::move(o), source);
  auto r = client.callJson(services::ecs(), "DescribeServices", {{"cluster", "c"}});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(sigProblem, "");
  EXPECT_EQ(token, "ecsToken");
}

}  // namespace
}  // namespace azx::aws
