#include "aws/sigv4/sigv4.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "aws/common/time_util.h"
#include "aws/credentials/credentials.h"
#include "tests/aws/aws_test_support.h"
#include "tests/support/test_paths.h"

namespace azx::aws {
namespace {

namespace fs = std::filesystem;
using testing::kSuiteTimeMillis;

constexpr char kAccessKey[] = "AKIDEXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
// Session token of get-vanilla-with-session-token: the suite gives it only in the expected
// canonical request, the .req lacks it.
constexpr char kVanillaSessionToken[] =
    "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
// Token of post-sts-token/readme.txt.
constexpr char kStsReadmeToken[] =
    "AQoDYXdzEPT//////////"
    "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIe"
    "oIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0w"
    "q5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+"
    "scqKmlzm8FDrypN"
    "C9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

std::optional<fs::path> suiteDir() {
  auto ref = azx::testing::sharedReferenceDir();
  if (!ref) return std::nullopt;
  fs::path p = *ref / "sigv4-testsuite";
  if (!fs::is_directory(p)) return std::nullopt;
  return p;
}

// Case folders hold <folder-name>.req; normalize-path/ and post-sts-token/ nest them.
std::vector<std::string> suiteCases() {
  std::vector<std::string> out;
  if (auto dir = suiteDir()) {
    for (const auto& e : fs::recursive_directory_iterator(*dir)) {
      if (!e.is_directory()) continue;
      fs::path req = e.path() / (e.path().filename().string() + ".req");
      if (fs::exists(req)) out.push_back(fs::relative(e.path(), *dir).generic_string());
    }
  }
  std::sort(out.begin(), out.end());
  if (out.empty()) out.push_back("");  // one skipped instance when the data is absent
  return out;
}

struct RawRequest {
  std::string method;
  std::string path;
  std::string query;
  std::vector<HttpHeader> headers;
  std::string body;
};

// The suite's raw requests: request line (the target may hold a raw space, as in
// normalize-path/get-space), headers with folded continuation lines, blank line, body.
RawRequest parseSuiteRequest(const std::string& text) {
  RawRequest r;
  std::vector<std::string> lines;
  size_t pos = 0;
  size_t bodyStart = std::string::npos;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    if (line.empty() && !lines.empty()) {
      bodyStart = nl == std::string::npos ? text.size() : nl + 1;
      break;
    }
    lines.push_back(line);
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  if (bodyStart != std::string::npos && bodyStart <= text.size()) r.body = text.substr(bodyStart);
  const std::string& first = lines.at(0);
  size_t sp = first.find(' ');
  size_t ver = first.rfind(" HTTP/");
  r.method = first.substr(0, sp);
  std::string target = first.substr(sp + 1, ver - sp - 1);
  size_t q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) r.query = target.substr(q + 1);
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    if (!l.empty() && (l[0] == ' ' || l[0] == '\t')) {
      r.headers.back().value += "\n" + l;  // folded line; the signer must collapse it
      continue;
    }
    size_t colon = l.find(':');
    r.headers.push_back({l.substr(0, colon), l.substr(colon + 1)});
  }
  return r;
}

class SigV4SuiteTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SigV4SuiteTest, MatchesEveryStep) {
  if (GetParam().empty()) {
    GTEST_SKIP() << "shared/reference/sigv4-testsuite is absent; SigV4 vectors not run";
  }
  fs::path dir = *suiteDir() / GetParam();
  std::string name = dir.filename().string();
  auto file = [&](const char* ext) { return azx::testing::readWholeFile(dir / (name + ext)); };
  RawRequest req = parseSuiteRequest(file(".req"));
  const std::string expectedCreq = file(".creq");
  const std::string expectedSts = file(".sts");
  const std::string expectedAuthz = file(".authz");

  Credentials creds{kAccessKey, kSecret, "", std::nullopt, "test"};
  bool signToken = true;
  std::vector<HttpHeader> stepHeaders = req.headers;
  if (name == "get-vanilla-with-session-token") {
    creds.sessionToken = kVanillaSessionToken;
    stepHeaders.push_back({"X-Amz-Security-Token", kVanillaSessionToken});
  } else if (name == "post-sts-header-after") {
    creds.sessionToken = kStsReadmeToken;
    signToken = false;  // token added after signing
  } else if (name == "post-sts-header-before") {
    creds.sessionToken = kStsReadmeToken;  // also present in the .req
  }

  // Step by step.
  sigv4::CanonicalRequestInput in{
      req.method, req.path, req.query, stepHeaders, sigv4::sha256Hex(req.body), false};
  sigv4::CanonicalRequest creq = sigv4::canonicalRequest(in);
  EXPECT_EQ(creq.text, expectedCreq);
  std::string amzDate = formatAmzDate(kSuiteTimeMillis);
  ASSERT_EQ(amzDate, "20150830T123600Z");
  std::string scope = sigv4::credentialScope("20150830", "us-east-1", "service");
  std::string sts = sigv4::stringToSign(amzDate, scope, creq.text);
  EXPECT_EQ(sts, expectedSts);
  std::string key = sigv4::signingKey(kSecret, "20150830", "us-east-1", "service");
  std::string sig = sigv4::signature(key, sts);
  EXPECT_EQ(sigv4::authorizationHeader(kAccessKey, scope, creq.signedHeaders, sig), expectedAuthz);

  // Whole-request signer on the unmodified .req headers.
  std::vector<HttpHeader> headers = req.headers;
  sigv4::SignOptions opts{"us-east-1", "service", false, signToken};
  auto parts = sigv4::signRequest(req.method, req.path, req.query, headers, req.body, creds,
                                  kSuiteTimeMillis, opts);
  EXPECT_EQ(parts.canonicalRequest, expectedCreq);
  EXPECT_EQ(parts.stringToSign, expectedSts);
  EXPECT_EQ(parts.authorization, expectedAuthz);
  auto authz = std::find_if(headers.begin(), headers.end(),
                            [](const HttpHeader& h) { return h.name == "Authorization"; });
  ASSERT_NE(authz, headers.end());
  EXPECT_EQ(authz->value, expectedAuthz);
  if (!creds.sessionToken.empty()) {
    auto tok = std::find_if(headers.begin(), headers.end(),
                            [](const HttpHeader& h) { return h.name == "X-Amz-Security-Token"; });
    ASSERT_NE(tok, headers.end());
    EXPECT_EQ(tok->value, creds.sessionToken);
  }
}

INSTANTIATE_TEST_SUITE_P(Suite, SigV4SuiteTest, ::testing::ValuesIn(suiteCases()),
                         [](const ::testing::TestParamInfo<std::string>& paramInfo) {
                           std::string n = paramInfo.param.empty() ? "absent" : paramInfo.param;
                           for (char& c : n) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

TEST(SigV4Suite, HasAllThirtyFourCases) {
  if (!suiteDir()) GTEST_SKIP() << "shared/reference/sigv4-testsuite is absent";
  EXPECT_EQ(suiteCases().size(), 34u);
}

// spec 4.1: the S3 documentation's GET object example.
TEST(SigV4, S3GetObjectDocumentationExample) {
  Credentials creds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "",
                    std::nullopt, "test"};
  std::vector<HttpHeader> headers{{"Host", "examplebucket.s3.amazonaws.com"},
                                  {"Range", "bytes=0-9"},
                                  {"x-amz-content-sha256", std::string(sigv4::kEmptyPayloadHash)}};
  auto t = parseIso8601("2013-05-24T00:00:00Z");
  ASSERT_TRUE(t);
  sigv4::SignOptions opts{"us-east-1", "s3", true, true};
  auto parts = sigv4::signRequest("GET", "/test.txt", "", headers, "", creds, *t, opts);
  EXPECT_EQ(sigv4::sha256Hex(parts.canonicalRequest),
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(parts.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_NE(parts.authorization.find("SignedHeaders=host;range;x-amz-content-sha256;x-amz-date"),
            std::string::npos);
}

TEST(SigV4, CanonicalUriDoubleEncodesNonS3AndKeepsS3AsSent) {
  // Lambda ARN in the path: sent once-encoded, canonical form encoded again (spec 4 step 2).
  EXPECT_EQ(sigv4::canonicalUri("/2015-03-31/functions/arn%3Aaws%3Alambda/invocations", false),
            "/2015-03-31/functions/arn%253Aaws%253Alambda/invocations");
  EXPECT_EQ(sigv4::canonicalUri("/my%20key/a%3Ab", true), "/my%20key/a%3Ab");
  EXPECT_EQ(sigv4::canonicalUri("/a/./b/../c//d/", true), "/a/./b/../c//d/");
  EXPECT_EQ(sigv4::canonicalUri("", false), "/");
}

TEST(SigV4, NormalizePath) {
  EXPECT_EQ(sigv4::normalizePath("/example/.."), "/");
  EXPECT_EQ(sigv4::normalizePath("/example1/example2/../.."), "/");
  EXPECT_EQ(sigv4::normalizePath("//example//"), "/example/");
  EXPECT_EQ(sigv4::normalizePath("/./example"), "/example");
  EXPECT_EQ(sigv4::normalizePath("/a/b/../c/"), "/a/c/");
  EXPECT_EQ(sigv4::normalizePath("/.."), "/");
}

TEST(SigV4, CanonicalQuerySortsAndReencodes) {
  EXPECT_EQ(sigv4::canonicalQuery("b=2&a=%7e&a=1&c"), "a=1&a=~&b=2&c=");
  EXPECT_EQ(sigv4::canonicalQuery("k=a b+c"), "k=a%20b%2Bc");
  EXPECT_EQ(sigv4::canonicalQuery(""), "");
}

TEST(SigV4, HeaderValuesTrimmedAndUnsignedHeadersLeftOut) {
  auto ch = sigv4::canonicalHeaders({{"Host", "h"},
                                     {"User-Agent", "x"},
                                     {"X-Amz-Target", "  A.B  "},
                                     {"My", "a\n   b\tc"},
                                     {"expect", "100-continue"}});
  EXPECT_EQ(ch.block, "host:h\nmy:a b c\nx-amz-target:A.B\n");
  EXPECT_EQ(ch.signedHeaders, "host;my;x-amz-target");
}

TEST(SigV4, SigningKeyMatchesDocumentedDerivation) {
  // AWS General Reference example ("Examples of how to derive a signing key").
  std::string key =
      sigv4::signingKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");
  EXPECT_EQ(sigv4::toHex(key), "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4, PayloadHash) {
  EXPECT_EQ(sigv4::sha256Hex(""), sigv4::kEmptyPayloadHash);
  EXPECT_EQ(sigv4::sha256Hex("Param1=value1"),
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
}

}  // namespace
}  // namespace azx::aws
