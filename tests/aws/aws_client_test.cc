#include "aws/http/aws_client.h"

#include <gtest/gtest.h>

#include "aws/common/time_util.h"
#include "aws/http/operations.h"
#include "tests/aws/aws_test_support.h"

namespace azx::aws {
namespace {

using testing::FakeClock;
using testing::LoopbackServer;
using testing::RecordingSleeper;
using testing::verifySigV4;

constexpr char kKeyId[] = "AKIDTESTEXAMPLE";
constexpr char kSecret[] = "sEcReT/AbCdEfGhIjKlMnOpQrStUvWxYz0123456";
constexpr char kToken[] = "ToKeN//SessionTokenValue+9876543210==";
constexpr int64_t kNow = 1767225600000;  // 2026-01-01T00:00:00Z

class CountingSource final : public CredentialsSource {
 public:
  Result<Credentials> credentials() override {
    ++calls;
    return Credentials{kKeyId, kSecret, kToken, std::nullopt, "test"};
  }
  void invalidate() override { ++invalidations; }
  std::atomic<int> calls{0};
  std::atomic<int> invalidations{0};
};

class AwsClientTest : public ::testing::Test {
 protected:
  void SetUp() override { clock_ = std::make_shared<FakeClock>(kNow); }

  std::unique_ptr<AwsClient> client(std::map<std::string, std::string> env = {},
                                    RetryPolicy retry = {}) {
    if (!env.count("AWS_ENDPOINT_URL")) env["AWS_ENDPOINT_URL"] = fake_.url();
    AwsClientOptions o;
    o.region = "eu-west-2";
    o.retry = retry;
    o.env = mapEnv(env);
    o.clock = clock_;
    o.sleeper = sleeper_.fn();
    o.random = [] { return 0.5; };
    o.log = [this](std::string_view line) {
      std::lock_guard<std::mutex> lock(logMutex_);
      logs_.emplace_back(line);
    };
    o.timeout = std::chrono::seconds(5);
    return std::make_unique<AwsClient>(std::move(o), source_);
  }

  std::string allLogs() {
    std::lock_guard<std::mutex> lock(logMutex_);
    std::string out;
    for (const auto& l : logs_) out += l + "\n";
    return out;
  }

  LoopbackServer fake_;
  RecordingSleeper sleeper_;
  std::shared_ptr<FakeClock> clock_;
  std::shared_ptr<CountingSource> source_ = std::make_shared<CountingSource>();
  std::mutex logMutex_;
  std::vector<std::string> logs_;
};

TEST_F(AwsClientTest, JsonCallIsSignedAndTargeted) {
  std::string target, contentType, token, sigProblem = "not called", date, body;
  std::string wrongSecretProblem;
  fake_.server().Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    wrongSecretProblem = verifySigV4(req, "some-other-secret");
    target = req.get_header_value("X-Amz-Target");
    contentType = req.get_header_value("Content-Type");
    token = req.get_header_value("X-Amz-Security-Token");
    date = req.get_header_value("X-Amz-Date");
    body = req.body;
    sigProblem = verifySigV4(req, kSecret);
    res.set_header("x-amzn-RequestId", "req-1");
    res.set_content(R"({"Steps":[{"Id":"s-1"}]})", "application/x-amz-json-1.1");
  });
  fake_.start();
  auto c = client();
  auto r = c->callJson(services::emr(), "ListSteps", {{"ClusterId", "j-1"}});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ((*r)["Steps"][0]["Id"], "s-1");
  EXPECT_EQ(target, "ElasticMapReduce.ListSteps");
  EXPECT_EQ(contentType, "application/x-amz-json-1.1");
  EXPECT_EQ(token, kToken);
  EXPECT_EQ(date, "20260101T000000Z");
  EXPECT_EQ(nlohmann::json::parse(body), nlohmann::json({{"ClusterId", "j-1"}}));
  EXPECT_EQ(sigProblem, "");
  EXPECT_EQ(wrongSecretProblem, "signature mismatch");  // the checker itself can fail
  EXPECT_TRUE(sleeper_.delays().empty());
}

TEST_F(AwsClientTest, DynamoDbUsesJson10AndEmptyInputIsAnObject) {
  std::string contentType, body;
  fake_.server().Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    contentType = req.get_header_value("Content-Type");
    body = req.body;
    res.set_content("", "application/x-amz-json-1.0");
  });
  fake_.start();
  auto r = client()->callJson(services::dynamoDb(), "ListTables", nullptr);
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(*r, nlohmann::json::object());
  EXPECT_EQ(contentType, "application/x-amz-json-1.0");
  EXPECT_EQ(body, "{}");
}

TEST_F(AwsClientTest, ThrottlingIsRetriedWithJitteredBackoffAndSucceeds) {
  std::atomic<int> hits{0};
  std::vector<std::string> dates;
  fake_.server().Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    dates.push_back(req.get_header_value("X-Amz-Date"));
    if (++hits <= 2) {
      res.status = 400;
      res.set_content(R"({"__type":"ThrottlingException","message":"Rate exceeded"})",
                      "application/x-amz-json-1.1");
      return;
    }
    res.set_content(R"({"Cluster":{"Id":"j-1"}})", "application/x-amz-json-1.1");
  });
  fake_.start();
  RetryPolicy p;
  p.maxAttempts = 3;
  p.throttlingBase = std::chrono::milliseconds(1000);
  auto r = client({}, p)->callJson(services::emr(), "DescribeCluster", {{"ClusterId", "j-1"}});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(hits.load(), 3);
  // random() = 0.5: half of min(cap, base * 2^(n-1)).
  auto delays = sleeper_.delays();
  ASSERT_EQ(delays.size(), 2u);
  EXPECT_EQ(delays[0].count(), 500);
  EXPECT_EQ(delays[1].count(), 1000);
  EXPECT_NE(allLogs().find("ThrottlingException"), std::string::npos);
  EXPECT_EQ(source_->calls.load(), 3);  // re-signed for every attempt
}

TEST_F(AwsClientTest, BackoffIsCapped) {
  std::atomic<int> hits{0};
  fake_.server().Post("/", [&](const httplib::Request&, httplib::Response& res) {
    ++hits;
    res.status = 503;
  });
  fake_.start();
  RetryPolicy p;
  p.maxAttempts = 6;
  p.transientBase = std::chrono::milliseconds(400);
  p.maxBackoff = std::chrono::milliseconds(1000);
  auto r = client({}, p)->callJson(services::logs(), "GetLogEvents", nlohmann::json::object());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(hits.load(), 6);
  EXPECT_EQ(r.error().attempts, 6);
  EXPECT_EQ(r.error().httpStatus, 503);
  EXPECT_EQ(r.error().code, "503");
  std::vector<int64_t> got;
  for (auto d : sleeper_.delays()) got.push_back(d.count());
  // 0.5 * min(1000, 400 * 2^(n-1)): 200, 400, 500, 500, 500
  EXPECT_EQ(got, (std::vector<int64_t>{200, 400, 500, 500, 500}));
}

TEST_F(AwsClientTest, RetryBudgetStopsRetryStormsAndRefillsOnSuccess) {
  std::atomic<int> hits{0};
  std::atomic<bool> healthy{false};
  fake_.server().Post("/", [&](const httplib::Request&, httplib::Response& res) {
    ++hits;
    if (healthy) {
      res.set_content("{}", "application/x-amz-json-1.1");
      return;
    }
    res.status = 503;
  });
  fake_.start();
  RetryPolicy p;
  p.maxAttempts = 5;
  p.retryBudget = 12;  // two retries at cost 5
  p.retryCost = 5;
  auto c = client({}, p);
  auto r = c->callJson(services::emr(), "ListClusters", nlohmann::json::object());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(hits.load(), 3);  // budget, not maxAttempts, ended it
  EXPECT_EQ(c->retryBudgetTokens(), 2);
  hits = 0;
  auto again = c->callJson(services::emr(), "ListClusters", nlohmann::json::object());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(hits.load(), 1);  // no tokens: the first failure is final
  EXPECT_NE(allLogs().find("retry budget exhausted"), std::string::npos);
  healthy = true;
  ASSERT_TRUE(c->callJson(services::emr(), "ListClusters", nlohmann::json::object()).ok());
  EXPECT_EQ(c->retryBudgetTokens(), 3);  // a first-try success returns one token
}

TEST_F(AwsClientTest, ServerErrorBurstIsRetried) {
  std::atomic<int> hits{0};
  fake_.server().Post("/", [&](const httplib::Request&, httplib::Response& res) {
    int n = ++hits;
    if (n == 1) {
      res.status = 500;
      res.set_content(R"({"__type":"InternalServerException","message":"boom"})",
                      "application/x-amz-json-1.1");
    } else if (n == 2) {
      res.status = 502;
      res.set_content("<html>bad gateway</html>", "text/html");
    } else {
      res.set_content("{}", "application/x-amz-json-1.1");
    }
  });
  fake_.start();
  RetryPolicy p;
  p.maxAttempts = 4;
  auto r = client({}, p)->callJson(services::emr(), "ListClusters", nlohmann::json::object());
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(hits.load(), 3);
  EXPECT_EQ(sleeper_.delays().size(), 2u);
}

TEST_F(AwsClientTest, ValidationErrorIsFinalAndSurfacesCodeAndRequestId) {
  std::atomic<int> hits{0};
  fake_.server().Post("/", [&](const httplib::Request&, httplib::Response& res) {
    ++hits;
    res.status = 400;
    res.set_header("x-amzn-RequestId", "8f7e-req-id");
    res.set_content(
        R"({"__type":"com.amazonaws.emr#ValidationException:http://internal","Message":"1 validation error"})",
        "application/x-amz-json-1.1");
  });
  fake_.start();
  auto r = client()->callJson(services::emr(), "AddJobFlowSteps", {{"JobFlowId", ""}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(hits.load(), 1);
  EXPECT_TRUE(sleeper_.delays().empty());
  const AwsError& e = r.error();
  EXPECT_EQ(e.code, "ValidationException");
  EXPECT_EQ(e.message, "1 validation error");
  EXPECT_EQ(e.httpStatus, 400);
  EXPECT_EQ(e.requestId, "8f7e-req-id");
  EXPECT_EQ(e.attempts, 1);
  EXPECT_EQ(classifyError(e), RetryClass::None);
  std::string text = e.describe();
  EXPECT_NE(text.find("ElasticMapReduce.AddJobFlowSteps"), std::string::npos) << text;
  EXPECT_NE(text.find("8f7e-req-id"), std::string::npos) << text;
  EXPECT_NE(text.find("HTTP 400"), std::string::npos) << text;
}

TEST_F(AwsClientTest, AccessDeniedIsNotRetried) {
  std::atomic<int> hits{0};
  fake_.server().Post("/", [&](const httplib::Request&, httplib::Response& res) {
    ++hits;
    res.status = 403;
    res.set_content(R"({"__type":"AccessDeniedException","message":"no"})", "application/json");
  });
  fake_.start();
  auto r = client()->callJson(services::secretsManager(), "GetSecretValue", {{"SecretId", "x"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "AccessDeniedException");
  EXPECT_EQ(hits.load(), 1);
}

TEST_F(AwsClientTest, TransportErrorsAreRetried) {
  // A port that was just free: nothing listens there.
  LoopbackServer closed;
  closed.start();
  std::string url = closed.url();
  closed.stop();
  fake_.start();
  RetryPolicy p;
  p.maxAttempts = 3;
  auto r = client({{"AWS_ENDPOINT_URL", url}}, p)
               ->callJson(services::emr(), "ListClusters", nlohmann::json::object());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "TransportError");
  EXPECT_TRUE(r.error().isTransport());
  EXPECT_EQ(r.error().attempts, 3);
  EXPECT_EQ(sleeper_.delays().size(), 2u);
}

TEST_F(AwsClientTest, NoSecretTokenOrSignatureInErrorsOrLogs) {
  std::string seenAuthz;
  fake_.server().Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    // A hostile/buggy endpoint echoing the credentials back in the error.
    seenAuthz = req.get_header_value("Authorization");
    std::string echo = "auth=" + seenAuthz +
                       " token=" + req.get_header_value("X-Amz-Security-Token") +
                       " secret=" + kSecret;
    res.status = 500;
    res.set_header("x-amzn-RequestId", req.get_header_value("X-Amz-Security-Token"));
    res.set_content(nlohmann::json({{"__type", "InternalFailure"}, {"message", echo}}).dump(),
                    "application/x-amz-json-1.1");
  });
  fake_.start();
  RetryPolicy p;
  p.maxAttempts = 2;
  auto r = client({}, p)->callJson(services::emr(), "ListClusters", nlohmann::json::object());
  ASSERT_FALSE(r.ok());
  std::string sig = seenAuthz.substr(seenAuthz.find("Signature=") + 10);
  ASSERT_EQ(sig.size(), 64u);
  std::string text = r.error().describe() + "\n" + r.error().requestId + "\n" + allLogs() +
                     r.error().toError().message;
  EXPECT_EQ(text.find(kSecret), std::string::npos) << text;
  EXPECT_EQ(text.find(kToken), std::string::npos) << text;
  EXPECT_EQ(text.find(sig), std::string::npos) << text;
  EXPECT_NE(text.find("<redacted>"), std::string::npos) << text;
}

TEST_F(AwsClientTest, ClockSkewAdjustsOffsetAndRetriesOnce) {
  std::atomic<int> hits{0};
  std::vector<std::string> dates;
  fake_.server().Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    dates.push_back(req.get_header_value("X-Amz-Date"));
    if (++hits == 1) {
      res.status = 400;
      res.set_header("Date", "Thu, 01 Jan 2026 00:20:00 GMT");
      res.set_content(R"({"__type":"InvalidSignatureException","message":"Signature expired"})",
                      "application/x-amz-json-1.1");
      return;
    }
    res.set_content("{}", "application/x-amz-json-1.1");
  });
  fake_.start();
  auto c = client();
  auto r = c->callJson(services::logs(), "DescribeLogStreams", {{"logGroupName", "g"}});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(dates.size(), 2u);
  EXPECT_EQ(dates[0], "20260101T000000Z");
  EXPECT_EQ(dates[1], "20260101T002000Z");
  EXPECT_EQ(c->clockOffsetMillis(), 20 * 60 * 1000);
}

TEST_F(AwsClientTest, ExpiredTokenForcesOneRefresh) {
  std::atomic<int> hits{0};
  fake_.server().Post("/", [&](const httplib::Request&, httplib::Response& res) {
    ++hits;
    res.status = 400;
    res.set_content(R"({"__type":"ExpiredTokenException","message":"expired"})",
                    "application/x-amz-json-1.1");
  });
  fake_.start();
  auto r = client()->callJson(services::emr(), "ListClusters", nlohmann::json::object());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "ExpiredTokenException");
  EXPECT_EQ(source_->invalidations.load(), 1);
  EXPECT_EQ(hits.load(), 2);  // original + one retry, no backoff loop
  EXPECT_TRUE(sleeper_.delays().empty());
}

TEST_F(AwsClientTest, QueryProtocolBodyAndErrorShape) {
  std::string body, contentType, sigProblem = "not called";
  std::atomic<int> hits{0};
  fake_.server().Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    body = req.body;
    contentType = req.get_header_value("Content-Type");
    sigProblem = verifySigV4(req, kSecret);
    if (++hits == 1) {
      res.set_content(
          "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><PublishResult>"
          "<MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r-1"
          "</RequestId></ResponseMetadata></PublishResponse>",
          "text/xml");
      return;
    }
    res.status = 404;
    res.set_content(
        "<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not "
        "exist</Message></Error><RequestId>r-2</RequestId></ErrorResponse>",
        "text/xml");
  });
  fake_.start();
  auto c = client();
  auto r = c->callQuery(services::sns(), "Publish",
                        {{"TopicArn", "arn:aws:sns:eu-west-2:1:t"}, {"Message", "a b&c={}"}});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->textAt("PublishResult/MessageId"), "m-1");
  EXPECT_EQ(body,
            "Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aeu-west-2%3A1%3At&"
            "Message=a%20b%26c%3D%7B%7D");
  EXPECT_EQ(contentType, "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(sigProblem, "");

  auto e = c->callQuery(services::sns(), "Publish", {{"TopicArn", "x"}});
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, "NotFound");
  EXPECT_EQ(e.error().message, "Topic does not exist");
  EXPECT_EQ(e.error().requestId, "r-2");
  EXPECT_EQ(e.error().httpStatus, 404);
}

TEST_F(AwsClientTest, QueryThrottlingIsRetried) {
  std::atomic<int> hits{0};
  fake_.server().Post("/", [&](const httplib::Request&, httplib::Response& res) {
    if (++hits == 1) {
      res.status = 400;
      res.set_content(
          "<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
          "</ErrorResponse>",
          "text/xml");
      return;
    }
    res.set_content("<ListTopicsResponse><ListTopicsResult/></ListTopicsResponse>", "text/xml");
  });
  fake_.start();
  auto r = client()->callQuery(services::sns(), "ListTopics", {});
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(hits.load(), 2);
}

TEST_F(AwsClientTest, LambdaInvokeRestJson) {
  std::string target, invocationType, sigProblem = "not called", body;
  fake_.server().Post(R"(/2015-03-31/functions/(.+)/invocations)",
                      [&](const httplib::Request& req, httplib::Response& res) {
                        target = req.target;
                        invocationType = req.get_header_value("X-Amz-Invocation-Type");
                        body = req.body;
                        sigProblem = verifySigV4(req, kSecret);
                        res.set_header("X-Amz-Function-Error", "Unhandled");
                        res.set_header("X-Amz-Executed-Version", "$LATEST");
                        res.set_content(R"({"errorMessage":"x"})", "application/json");
                      });
  fake_.start();
  auto c = client();
  auto r = lambdaInvoke(*c, "arn:aws:lambda:eu-west-2:123:function:launcher", R"({"a":1})",
                        "RequestResponse", "live");
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(target,
            "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-2%3A123%3Afunction%3Alauncher/"
            "invocations?Qualifier=live");
  EXPECT_EQ(invocationType, "RequestResponse");
  EXPECT_EQ(body, R"({"a":1})");
  EXPECT_EQ(sigProblem, "");
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->functionError.value_or(""), "Unhandled");
  EXPECT_EQ(r->executedVersion.value_or(""), "$LATEST");
}

TEST_F(AwsClientTest, LambdaErrorFromHeaderAndRetryAfterHonoured) {
  std::atomic<int> hits{0};
  fake_.server().Post(R"(/2015-03-31/functions/(.+)/invocations)", [&](const httplib::Request&,
                                                                       httplib::Response& res) {
    int n = ++hits;
    if (n == 1) {
      res.status = 429;
      res.set_header("X-Amzn-ErrorType", "TooManyRequestsException:http://x");
      res.set_header("Retry-After", "3");
      res.set_content(
          R"({"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded","message":"Rate exceeded"})",
          "application/json");
    } else if (n == 2) {
      res.status = 404;
      res.set_header("X-Amzn-ErrorType", "ResourceNotFoundException");
      res.set_content(R"({"Type":"User","message":"Function not found"})", "application/json");
    }
  });
  fake_.start();
  auto c = client();
  CallOptions call;
  call.maxAttempts = 3;
  auto r = lambdaInvoke(*c, "f", "{}", "Event", "", call);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(hits.load(), 2);
  EXPECT_EQ(r.error().code, "ResourceNotFoundException");
  EXPECT_EQ(r.error().message, "Function not found");
  ASSERT_EQ(sleeper_.delays().size(), 1u);
  EXPECT_EQ(sleeper_.delays()[0].count(), 3000);  // Retry-After beats the 500 ms jitter
}

TEST_F(AwsClientTest, AmzRetryAfterIsMilliseconds) {
  std::atomic<int> hits{0};
  fake_.server().Post("/", [&](const httplib::Request&, httplib::Response& res) {
    if (++hits == 1) {
      res.status = 503;
      res.set_header("x-amz-retry-after", "1500");
      return;
    }
    res.set_content("{}", "application/x-amz-json-1.1");
  });
  fake_.start();
  auto r = client()->callJson(services::ecs(), "DescribeServices", nlohmann::json::object());
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_EQ(sleeper_.delays().size(), 1u);
  EXPECT_EQ(sleeper_.delays()[0].count(), 1500);
}

TEST_F(AwsClientTest, LambdaInvokeIsSingleAttemptByDefault) {
  std::atomic<int> hits{0};
  fake_.server().Post(R"(/2015-03-31/functions/(.+)/invocations)",
                      [&](const httplib::Request&, httplib::Response& res) {
                        ++hits;
                        res.status = 500;
                        res.set_header("X-Amzn-ErrorType", "ServiceException");
                      });
  fake_.start();
  auto r = lambdaInvoke(*client(), "f", "{}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "ServiceException");
  EXPECT_EQ(hits.load(), 1);
}

TEST_F(AwsClientTest, S3ListAndGetPathStyleAgainstOverride) {
  std::string listTarget, getTarget, sha, sigList = "not called", sigGet = "not called";
  fake_.server().Get(
      R"(/cfg-bucket/(.*))", [&](const httplib::Request& req, httplib::Response& res) {
        if (req.target.find("list-type=2") != std::string::npos) {
          listTarget = req.target;
          sha = req.get_header_value("X-Amz-Content-SHA256");
          sigList = verifySigV4(req, kSecret, /*s3=*/true);
          res.set_header("x-amz-request-id", "s3-req");
          res.set_content(
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult "
              "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>cfg-bucket</Name><Prefix>"
              "conf/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true"
              "</IsTruncated><Contents><Key>conf/a &amp; b.properties</Key><LastModified>"
              "2023-01-12T12:00:00.000Z</LastModified><ETag>&quot;abc&quot;</ETag><Size>12</Size>"
              "<StorageClass>STANDARD</StorageClass></Contents><Contents><Key>conf/x/y.jar</Key>"
              "<LastModified>2023-01-12T12:00:01.000Z</LastModified><ETag>\"d\"</ETag><Size>3"
              "</Size><StorageClass>STANDARD</StorageClass></Contents><NextContinuationToken>"
              "tok/+=</NextContinuationToken></ListBucketResult>",
              "application/xml");
          return;
        }
        getTarget = req.target;
        sigGet = verifySigV4(req, kSecret, /*s3=*/true);
        res.set_header("Last-Modified", "Thu, 12 Jan 2023 12:00:00 GMT");
        res.set_content("key=value\n", "application/octet-stream");
      });
  fake_.start();
  auto c = client({{"AWS_ENDPOINT_URL_S3", fake_.url()}});
  auto page = s3ListObjectsV2(*c, "cfg-bucket", "conf/", "prev token");
  ASSERT_TRUE(page.ok()) << page.error().describe();
  EXPECT_EQ(listTarget, "/cfg-bucket/?list-type=2&prefix=conf%2F&continuation-token=prev%20token");
  EXPECT_EQ(sha, std::string(sigv4::kEmptyPayloadHash));
  EXPECT_EQ(sigList, "");
  ASSERT_EQ(page->contents.size(), 2u);
  EXPECT_EQ(page->contents[0].key, "conf/a & b.properties");
  EXPECT_EQ(page->contents[0].etag, "\"abc\"");
  EXPECT_EQ(page->contents[0].size, 12);
  EXPECT_EQ(page->contents[0].lastModifiedMillis, parseIso8601("2023-01-12T12:00:00Z"));
  EXPECT_TRUE(page->isTruncated);
  EXPECT_EQ(page->nextContinuationToken, "tok/+=");

  auto obj = s3GetObject(*c, "cfg-bucket", page->contents[0].key);
  ASSERT_TRUE(obj.ok()) << obj.error().describe();
  EXPECT_EQ(getTarget, "/cfg-bucket/conf/a%20%26%20b.properties");
  EXPECT_EQ(sigGet, "");
  EXPECT_EQ(obj->body, "key=value\n");
  EXPECT_EQ(obj->lastModified, "Thu, 12 Jan 2023 12:00:00 GMT");
}

TEST_F(AwsClientTest, S3ErrorXmlAndSlowDownRetry) {
  std::atomic<int> hits{0};
  fake_.server().Get(R"(/b/(.*))", [&](const httplib::Request&, httplib::Response& res) {
    int n = ++hits;
    res.set_header("x-amz-request-id", "s3-" + std::to_string(n));
    if (n == 1) {
      res.status = 503;
      res.set_content("<Error><Code>SlowDown</Code><Message>Reduce</Message></Error>",
                      "application/xml");
    } else {
      res.status = 404;
      res.set_content(
          "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
          "<RequestId>body-id</RequestId><HostId>h</HostId></Error>",
          "application/xml");
    }
  });
  fake_.start();
  auto r = s3GetObject(*client(), "b", "missing.txt");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(hits.load(), 2);
  EXPECT_EQ(r.error().code, "NoSuchKey");
  EXPECT_EQ(r.error().httpStatus, 404);
  EXPECT_EQ(r.error().requestId, "s3-2");  // the header wins over the body
}

TEST(AwsClientEndpoints, ResolutionAndOverrides) {
  auto make = [](std::map<std::string, std::string> env) {
    AwsClientOptions o;
    o.region = "eu-west-2";
    o.env = mapEnv(std::move(env));
    return AwsClient(std::move(o), nullptr);
  };
  auto plain = make({});
  EXPECT_EQ(*plain.resolveEndpoint(services::emr()),
            "https://elasticmapreduce.eu-west-2.amazonaws.com");
  EXPECT_EQ(*plain.resolveEndpoint(services::logs()), "https://logs.eu-west-2.amazonaws.com");
  EXPECT_EQ(*plain.resolveEndpoint(services::sts()), "https://sts.eu-west-2.amazonaws.com");
  EXPECT_EQ(*plain.resolveEndpoint(services::s3(), "my-bucket"),
            "https://my-bucket.s3.eu-west-2.amazonaws.com");
  EXPECT_EQ(*plain.resolveEndpoint(services::s3(), "my.dotted.bucket"),
            "https://s3.eu-west-2.amazonaws.com/my.dotted.bucket");

  auto overridden = make({{"AWS_ENDPOINT_URL", "http://127.0.0.1:1/"},
                          {"AWS_ENDPOINT_URL_EMR", "http://127.0.0.1:2"},
                          {"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "http://127.0.0.1:3/base"},
                          {"AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:4"},
                          {"AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "http://127.0.0.1:5"},
                          {"AWS_ENDPOINT_URL_RDS_DATA", "http://127.0.0.1:6"}});
  EXPECT_EQ(*overridden.resolveEndpoint(services::emr()), "http://127.0.0.1:2");
  EXPECT_EQ(*overridden.resolveEndpoint(services::logs()), "http://127.0.0.1:3/base");
  EXPECT_EQ(*overridden.resolveEndpoint(services::secretsManager()), "http://127.0.0.1:4");
  EXPECT_EQ(*overridden.resolveEndpoint(services::cognitoIdp()), "http://127.0.0.1:5");
  EXPECT_EQ(*overridden.resolveEndpoint(services::rdsData()), "http://127.0.0.1:6");
  EXPECT_EQ(*overridden.resolveEndpoint(services::sns()), "http://127.0.0.1:1");
  EXPECT_EQ(*overridden.resolveEndpoint(services::s3(), "bkt"), "http://127.0.0.1:1/bkt");

  auto ignored = make({{"AWS_ENDPOINT_URL", "http://127.0.0.1:1"},
                       {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}});
  EXPECT_EQ(*ignored.resolveEndpoint(services::ecs()), "https://ecs.eu-west-2.amazonaws.com");

  AwsClientOptions noRegion;
  noRegion.env = mapEnv({});
  EXPECT_FALSE(AwsClient(std::move(noRegion), nullptr).resolveEndpoint(services::emr()).ok());
}

TEST_F(AwsClientTest, EndpointOverrideWithBasePathIsSignedAsSent) {
  std::string target, sigProblem = "not called";
  fake_.server().Post("/base/", [&](const httplib::Request& req, httplib::Response& res) {
    target = req.target;
    sigProblem = verifySigV4(req, kSecret);
    res.set_content("{}", "application/x-amz-json-1.1");
  });
  fake_.start();
  auto r = client({{"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", fake_.url() + "/base"},
                   {"AWS_ENDPOINT_URL", "http://127.0.0.1:1"}})
               ->callJson(services::logs(), "GetLogEvents", nlohmann::json::object());
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(target, "/base/");
  EXPECT_EQ(sigProblem, "");
}

TEST(AwsErrorClassification, PerSpec) {
  auto cls = [](std::string code, int status, std::string message = "") {
    AwsError e;
    e.code = std::move(code);
    e.httpStatus = status;
    e.message = std::move(message);
    return classifyError(e);
  };
  for (const char* c :
       {"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException",
        "RequestLimitExceeded", "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
        "LimitExceededException", "BandwidthLimitExceeded", "TransactionInProgressException",
        "RequestThrottled"}) {
    EXPECT_EQ(cls(c, 400), RetryClass::Throttling) << c;
  }
  EXPECT_EQ(cls("Throttled", 429), RetryClass::Throttling);
  EXPECT_EQ(cls("Anything", 429), RetryClass::Throttling);
  for (int s : {500, 502, 503, 504}) EXPECT_EQ(cls("X", s), RetryClass::Transient) << s;
  for (const char* c :
       {"RequestTimeout", "RequestTimeoutException", "InternalServerError",
        "InternalServerException", "InternalServiceError", "InternalErrorException",
        "ServiceUnavailable", "ServiceUnavailableException", "IDPCommunicationError"}) {
    EXPECT_EQ(cls(c, 400), RetryClass::Transient) << c;
  }
  EXPECT_EQ(cls("TransportError", 0), RetryClass::Transient);
  EXPECT_EQ(cls("BadRequestException", 400, "Communications link failure"), RetryClass::Transient);
  EXPECT_EQ(cls("RequestTimeTooSkewed", 403), RetryClass::ClockSkew);
  EXPECT_EQ(cls("SignatureDoesNotMatch", 403, "Signature expired: 2015"), RetryClass::ClockSkew);
  EXPECT_EQ(cls("SignatureDoesNotMatch", 403, "The request signature we calculated does not match"),
            RetryClass::None);
  EXPECT_EQ(cls("ExpiredTokenException", 400), RetryClass::ExpiredCredentials);
  for (const char* c :
       {"ValidationException", "AccessDeniedException", "ResourceNotFoundException",
        "InvalidRequestException", "ConditionalCheckFailedException", "BadRequestException"}) {
    EXPECT_EQ(cls(c, 400), RetryClass::None) << c;
  }
}

TEST(AwsErrorParsing, JsonTypeWithNamespaceAndHeaderFallback) {
  HttpResponse r;
  r.status = 400;
  r.body =
      R"({"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"m"})";
  r.headers.push_back({"x-amzn-RequestId", "rid"});
  AwsError e = parseErrorResponse(Protocol::Json, r);
  EXPECT_EQ(e.code, "ResourceNotFoundException");
  EXPECT_EQ(e.message, "m");
  EXPECT_EQ(e.requestId, "rid");

  HttpResponse h;
  h.status = 400;
  h.headers.push_back({"X-Amzn-ErrorType", "InvalidParameterException:http://x"});
  h.body = "not json";
  AwsError eh = parseErrorResponse(Protocol::Json, h);
  EXPECT_EQ(eh.code, "InvalidParameterException");
  EXPECT_EQ(eh.message, "not json");

  HttpResponse head;  // S3 HEAD 404 has no body
  head.status = 404;
  EXPECT_EQ(parseErrorResponse(Protocol::RestXml, head).code, "404");
}

}  // namespace
}  // namespace azx::aws
