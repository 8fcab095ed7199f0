// Cognito IdP listings (spec 3.11) and the AssumeRole provider the EMR-user directory uses,
// against a loopback fake.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "aws/credentials/providers.h"
#include "aws/http/operations.h"
#include "tests/aws/aws_test_support.h"

namespace azx::aws {
namespace {

using nlohmann::json;
using testing::FakeClock;
using testing::LoopbackServer;
using testing::RecordingSleeper;
using testing::verifySigV4;

constexpr char kKeyId[] = "AKIDCOGNITOTEST";
constexpr char kSecret[] = "cognitoSecret/0123456789abcdefghijklmnopqrstu";
constexpr int64_t kNow = 1767225600000;  // 2026-01-01T00:00:00Z
constexpr char kPool[] = "eu-west-2_TestPool1";

class CognitoTest : public ::testing::Test {
 protected:
  std::unique_ptr<AwsClient> client(RetryPolicy retry = {}) {
    AwsClientOptions o;
    o.region = "eu-west-2";
    o.retry = retry;
    o.env = mapEnv({{"AWS_ENDPOINT_URL", fake_.url()}});
    o.clock = clock_;
    o.sleeper = sleeper_.fn();
    o.random = [] { return 0.5; };
    o.timeout = std::chrono::seconds(5);
    return std::make_unique<AwsClient>(
        std::move(o),
        std::make_shared<StaticCredentialsSource>(Credentials{kKeyId, kSecret, "", {}, "test"}));
  }
  // Every request: its target and JSON body; answers with `reply(target, body)`.
  void serve(std::function<std::pair<int, std::string>(const std::string&, const json&)> reply) {
    fake_.server().Post("/", [this, reply](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mutex_);
      std::string target = req.get_header_value("X-Amz-Target");
      json body = json::parse(req.body, nullptr, false);
      targets_.push_back(target);
      bodies_.push_back(body);
      contentTypes_.push_back(req.get_header_value("Content-Type"));
      signatureProblems_.push_back(verifySigV4(req, kSecret));
      auto [status, text] = reply(target, body);
      res.status = status;
      res.set_content(text, "application/x-amz-json-1.1");
    });
    fake_.start();
  }

  LoopbackServer fake_;
  RecordingSleeper sleeper_;
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>(kNow);
  std::mutex mutex_;
  std::vector<std::string> targets_;
  std::vector<json> bodies_;
  std::vector<std::string> contentTypes_;
  std::vector<std::string> signatureProblems_;
};

json user(const std::string& name, json attributes) {
  json attrs = json::array();
  for (auto& [k, v] : attributes.items()) attrs.push_back({{"Name", k}, {"Value", v}});
  return {{"Username", name}, {"Attributes", attrs}, {"Enabled", true}};
}

TEST_F(CognitoTest, ListGroupsFollowsNextTokenOverEveryPage) {
  serve([](const std::string&, const json& in) -> std::pair<int, std::string> {
    std::string token = in.value("NextToken", "");
    if (token.empty()) {
      return {200,
              json{{"Groups", {{{"GroupName", "g1"}, {"Precedence", 1}}, {{"GroupName", "g2"}}}},
                   {"NextToken", "page-2"}}
                  .dump()};
    }
    if (token == "page-2") {
      return {200, json{{"Groups", {{{"GroupName", "g3"}}}}, {"NextToken", "page-3"}}.dump()};
    }
    return {200, json{{"Groups", {{{"GroupName", "g4"}}}}}.dump()};
  });
  auto c = client();
  auto groups = cognitoListAllGroups(*c, kPool, 2);
  ASSERT_TRUE(groups) << groups.error().describe();
  EXPECT_EQ(*groups, (std::vector<std::string>{"g1", "g2", "g3", "g4"}));
  ASSERT_EQ(targets_.size(), 3u);
  for (const auto& t : targets_) EXPECT_EQ(t, "AWSCognitoIdentityProviderService.ListGroups");
  for (const auto& ct : contentTypes_) EXPECT_EQ(ct, "application/x-amz-json-1.1");
  for (const auto& p : signatureProblems_) EXPECT_EQ(p, "");
  EXPECT_EQ(bodies_[0], (json{{"UserPoolId", kPool}, {"Limit", 2}}));
  EXPECT_EQ(bodies_[1], (json{{"UserPoolId", kPool}, {"Limit", 2}, {"NextToken", "page-2"}}));
  EXPECT_EQ(bodies_[2]["NextToken"], "page-3");
}

TEST_F(CognitoTest, ListUsersInGroupAndListUsersUseTheirOwnTokenNames) {
  serve([](const std::string& target, const json& in) -> std::pair<int, std::string> {
    if (target.ends_with(".ListUsersInGroup")) {
      if (!in.contains("NextToken")) {
        return {200, json{{"Users", {user("u1", {{"sub", "abc-1"}, {"email", "a@x"}})}},
                          {"NextToken", "n2"}}
                         .dump()};
      }
      // A Value is optional in the model.
      return {200,
              json{{"Users", {{{"Username", "u2"}, {"Attributes", {{{"Name", "sub"}}}}}}}}.dump()};
    }
    if (!in.contains("PaginationToken")) {
      return {200,
              json{{"Users", {user("u1", {{"sub", "abc-1"}})}}, {"PaginationToken", "p2"}}.dump()};
    }
    return {200, json{{"Users", {{{"Username", "u3"}}}}}.dump()};  // no Attributes at all
  });
  auto c = client();
  auto members = cognitoListAllUsersInGroup(*c, kPool, "analysts");
  ASSERT_TRUE(members) << members.error().describe();
  ASSERT_EQ(members->size(), 2u);
  EXPECT_EQ((*members)[0].username, "u1");
  EXPECT_EQ((*members)[0].attribute("email"), "a@x");
  EXPECT_EQ((*members)[0].attribute("sub"), "abc-1");
  EXPECT_EQ((*members)[0].attribute("phone_number"), std::nullopt);
  EXPECT_EQ((*members)[1].attribute("sub"), "");
  EXPECT_EQ(bodies_[0], (json{{"UserPoolId", kPool}, {"GroupName", "analysts"}}));
  EXPECT_EQ(bodies_[1]["NextToken"], "n2");

  auto all = cognitoListAllUsers(*c, kPool, 60);
  ASSERT_TRUE(all) << all.error().describe();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].username, "u3");
  EXPECT_TRUE((*all)[1].attributes.empty());
  ASSERT_EQ(bodies_.size(), 4u);
  EXPECT_EQ(targets_[2], "AWSCognitoIdentityProviderService.ListUsers");
  EXPECT_EQ(bodies_[2], (json{{"UserPoolId", kPool}, {"Limit", 60}}));
  EXPECT_EQ(bodies_[3]["PaginationToken"], "p2");
  EXPECT_FALSE(bodies_[3].contains("NextToken"));
}

TEST_F(CognitoTest, MalformedRepliesNameTheField) {
  std::string next;
  serve([&](const std::string&, const json&) -> std::pair<int, std::string> {
    return {200, next};
  });
  auto c = client();
  struct Case {
    std::string body;
    bool groups;  // ListGroups, else ListUsers
    std::string problem;
  };
  const std::vector<Case> cases = {
      {R"({"Groups":{}})", true, "Groups is not a list"},
      {R"({"Groups":[{"GroupName":"a"},{}]})", true, "Groups[1].GroupName is missing"},
      {R"({"Groups":[{"GroupName":5}]})", true, "Groups[0].GroupName is not a string"},
      {R"({"Groups":["g"]})", true, "Groups[0] is not an object"},
      {R"({"Groups":[],"NextToken":7})", true, "NextToken is not a string"},
      {R"([1,2])", true, "the reply is not a JSON object"},
      {R"({"Users":[{"Attributes":[]}]})", false, "Users[0].Username is missing"},
      {R"({"Users":[{"Username":"u","Attributes":{}}]})", false,
       "Users[0].Attributes is not a list"},
      {R"({"Users":[{"Username":"u","Attributes":[{"Name":"sub"},{"Value":"x"}]}]})", false,
       "Users[0].Attributes[1].Name is missing"},
      {R"({"Users":[{"Username":"u","Attributes":[{"Name":"sub","Value":1}]}]})", false,
       "Users[0].Attributes[0].Value is not a string"},
      {R"({"Users":[],"PaginationToken":false})", false, "PaginationToken is not a string"},
  };
  for (const auto& tc : cases) {
    next = tc.body;
    AwsError error;
    if (tc.groups) {
      auto r = cognitoListGroups(*c, kPool);
      ASSERT_FALSE(r) << tc.body;
      error = r.error();
    } else {
      auto r = cognitoListUsers(*c, kPool);
      ASSERT_FALSE(r) << tc.body;
      error = r.error();
    }
    EXPECT_EQ(error.code, "SerializationError") << tc.body;
    EXPECT_EQ(error.message, "malformed reply: " + tc.problem) << tc.body;
    std::string op = tc.groups ? "ListGroups" : "ListUsers";
    EXPECT_NE(error.describe().find("AWSCognitoIdentityProviderService." + op), std::string::npos)
        << error.describe();
  }
}

TEST_F(CognitoTest, ATokenThatComesBackIsAnErrorNotAnEndlessListing) {
  serve([](const std::string&, const json& in) -> std::pair<int, std::string> {
    std::string next = in.value("NextToken", "") == "a" ? "b" : "a";
    return {200, json{{"Groups", {{{"GroupName", "g"}}}}, {"NextToken", next}}.dump()};
  });
  auto c = client();
  auto r = cognitoListAllGroups(*c, kPool);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "malformed reply: page token 'a' came back twice");
  EXPECT_EQ(targets_.size(), 3u);  // "", "a", "b" -> "a" again
}

TEST_F(CognitoTest, ServiceErrorsSurfaceAndThrottlingIsRetried) {
  int calls = 0;
  serve([&](const std::string&, const json& in) -> std::pair<int, std::string> {
    ++calls;
    if (in["UserPoolId"] == "eu-west-2_Missing") {
      return {
          400,
          R"({"__type":"ResourceNotFoundException","message":"User pool eu-west-2_Missing does not exist."})"};
    }
    if (calls == 2)
      return {400, R"({"__type":"TooManyRequestsException","message":"Rate exceeded"})"};
    return {200, R"({"Groups":[{"GroupName":"g"}]})"};
  });
  auto c = client();
  auto missing = cognitoListGroups(*c, "eu-west-2_Missing");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "ResourceNotFoundException");
  EXPECT_EQ(missing.error().attempts, 1);  // final, not retried
  auto throttledOnce = cognitoListAllGroups(*c, kPool);
  ASSERT_TRUE(throttledOnce) << throttledOnce.error().describe();
  EXPECT_EQ(*throttledOnce, std::vector<std::string>{"g"});
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(sleeper_.delays().size(), 1u);
}

// ---- AssumeRoleProvider (the Cognito read role)

std::string assumeRoleXml(const std::string& id, const std::string& secret,
                          const std::string& token, const std::string& expiration) {
  return "<AssumeRoleResponse "
         "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>"
         "<Credentials><AccessKeyId>" +
         id + "</AccessKeyId><SecretAccessKey>" + secret + "</SecretAccessKey><SessionToken>" +
         token + "</SessionToken><Expiration>" + expiration +
         "</Expiration></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>r1"
         "</RequestId></ResponseMetadata></AssumeRoleResponse>";
}

TEST(AssumeRoleProviderTest, AssumesWithTheSourceAndSignsCognitoCallsWithTheRole) {
  LoopbackServer fake;
  std::vector<std::string> forms, cognitoTokens, problems;
  fake.server().Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    if (req.has_header("X-Amz-Target")) {
      cognitoTokens.push_back(req.get_header_value("X-Amz-Security-Token"));
      problems.push_back(verifySigV4(req, "roleSecret"));
      res.set_content(R"({"Groups":[{"GroupName":"g"}]})", "application/x-amz-json-1.1");
      return;
    }
    forms.push_back(req.body);
    problems.push_back(verifySigV4(req, kSecret));
    res.set_content(assumeRoleXml("ASIAROLE", "roleSecret", "roleToken", "2026-01-01T01:00:00Z"),
                    "text/xml");
  });
  fake.start();
  auto clock = std::make_shared<FakeClock>(kNow);
  ProviderContext ctx;
  ctx.env = mapEnv({{"AWS_ENDPOINT_URL", fake.url()}, {"AWS_EC2_METADATA_DISABLED", "true"}});
  ctx.clock = clock;
  ctx.region = "eu-west-2";
  auto provider = std::make_shared<AssumeRoleProvider>(
      AssumeRoleParams{"arn:aws:iam::1:role/cognito-read", "EMR_Get_Users", std::nullopt, ""},
      std::make_shared<StaticCredentialsSource>(Credentials{kKeyId, kSecret, "", {}, "static"}),
      ctx);
  auto cached = std::make_shared<CachingCredentialsSource>(provider, clock);
  AwsClientOptions o;
  o.region = "eu-west-2";
  o.env = ctx.env;
  o.clock = clock;
  AwsClient cognito(std::move(o), cached);
  for (int i = 0; i < 2; ++i) {
    auto groups = cognitoListGroups(cognito, kPool);
    ASSERT_TRUE(groups) << groups.error().describe();
  }
  ASSERT_EQ(forms.size(), 1u);  // cached until near expiry
  EXPECT_NE(forms[0].find("Action=AssumeRole"), std::string::npos);
  EXPECT_NE(forms[0].find("RoleSessionName=EMR_Get_Users"), std::string::npos);
  EXPECT_NE(forms[0].find("RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fcognito-read"),
            std::string::npos)
      << forms[0];
  EXPECT_EQ(cognitoTokens, (std::vector<std::string>{"roleToken", "roleToken"}));
  for (const auto& p : problems) EXPECT_EQ(p, "");
  // Close to expiry the role is assumed again.
  clock->advance(std::chrono::minutes(55));
  ASSERT_TRUE(cognitoListGroups(cognito, kPool));
  EXPECT_EQ(forms.size(), 2u);
}

TEST(AssumeRoleProviderTest, FailureNamesTheRoleAndHidesTheSourceSecret) {
  LoopbackServer fake;
  fake.server().Post("/", [&](const httplib::Request&, httplib::Response& res) {
    res.status = 403;
    res.set_content(std::string("<ErrorResponse><Error><Code>AccessDenied</Code><Message>no for ") +
                        kSecret + "</Message></Error><RequestId>rid-7</RequestId></ErrorResponse>",
                    "text/xml");
  });
  fake.start();
  ProviderContext ctx;
  ctx.env = mapEnv({{"AWS_ENDPOINT_URL_STS", fake.url()}});
  ctx.region = "eu-west-2";
  AssumeRoleProvider provider(
      AssumeRoleParams{"arn:aws:iam::1:role/cognito-read", "EMR_Get_Users", std::nullopt, ""},
      std::make_shared<StaticCredentialsSource>(Credentials{kKeyId, kSecret, "", {}, "static"}),
      ctx);
  auto r = provider.fetch();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("assume role 'arn:aws:iam::1:role/cognito-read'"),
            std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("AccessDenied"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find(kSecret), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace azx::aws
