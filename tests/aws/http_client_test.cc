#include "aws/http/http_client.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdlib>

#include "aws/common/time_util.h"
#include "aws/common/xml.h"
#include "tests/aws/aws_test_support.h"

namespace azx::aws {
namespace {

using testing::LoopbackServer;

// Sets a process environment variable for one scope (curl reads proxies from the process
// environment); restores the previous value.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(ParseUrl, Components) {
  auto u = parseUrl("HTTPS://Example.COM:8443/a/b%20c?x=1&y=2#frag");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "example.com");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->path, "/a/b%20c");
  EXPECT_EQ(u->query, "x=1&y=2");
  EXPECT_EQ(u->hostHeader(), "example.com:8443");
  auto v6 = parseUrl("http://[fd00:ec2::254]/latest");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "fd00:ec2::254");
  EXPECT_EQ(v6->hostHeader(), "[fd00:ec2::254]");
  EXPECT_EQ(parseUrl("https://h:443")->hostHeader(), "h");
  EXPECT_EQ(parseUrl("https://h")->path, "/");
  EXPECT_FALSE(parseUrl("ftp://h/").ok());
  EXPECT_FALSE(parseUrl("no-scheme").ok());
  EXPECT_FALSE(parseUrl("http://h:99999/").ok());
  EXPECT_TRUE(isDirectOnlyHost("169.254.170.2"));
  EXPECT_TRUE(isDirectOnlyHost("169.254.169.254"));
  EXPECT_TRUE(isDirectOnlyHost("127.0.0.1"));
  EXPECT_TRUE(isDirectOnlyHost("fd00:ec2::23"));
  EXPECT_FALSE(isDirectOnlyHost("logs.eu-west-2.amazonaws.com"));
}

TEST(CurlHttpClient, SendsMethodHeadersBodyAndReadsResponse) {
  LoopbackServer fake;
  std::string method, body, custom, contentType = "unset";
  fake.server().Put("/x", [&](const httplib::Request& req, httplib::Response& res) {
    method = req.method;
    body = req.body;
    custom = req.get_header_value("X-Custom");
    contentType = req.get_header_value("Content-Type");
    res.status = 201;
    res.set_header("X-Answer", "42");
    res.set_content("made", "text/plain");
  });
  fake.start();
  CurlHttpClient http;
  HttpRequest req;
  req.method = "PUT";
  req.url = fake.url() + "/x";
  req.headers = {{"X-Custom", "v"}};
  req.body = std::string("bin\0ary", 7);
  auto r = http.send(req);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "made");
  EXPECT_EQ(r->header("x-answer").value_or(""), "42");
  EXPECT_EQ(method, "PUT");
  EXPECT_EQ(body, std::string("bin\0ary", 7));
  EXPECT_EQ(custom, "v");
  EXPECT_EQ(contentType, "");  // curl's default form content type is suppressed
}

TEST(CurlHttpClient, TimeoutIsATransportError) {
  LoopbackServer fake;
  std::mutex m;
  std::condition_variable cv;
  bool release = false;
  fake.server().Get("/slow", [&](const httplib::Request&, httplib::Response& res) {
    std::unique_lock<std::mutex> lock(m);
    cv.wait_for(lock, std::chrono::seconds(5), [&] { return release; });
    res.set_content("late", "text/plain");
  });
  fake.start();
  CurlHttpClient http;
  HttpRequest req;
  req.url = fake.url() + "/slow";
  req.timeout = std::chrono::milliseconds(200);
  auto r = http.send(req);
  {
    std::lock_guard<std::mutex> lock(m);
    release = true;
  }
  cv.notify_all();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("GET http://127.0.0.1"), std::string::npos) << r.error().message;
}

TEST(CurlHttpClient, HonoursProxyEnvironmentButReachesLoopbackDirectly) {
  LoopbackServer proxy;
  std::string proxiedTarget, proxiedHost;
  proxy.server().Get(".*", [&](const httplib::Request& req, httplib::Response& res) {
    proxiedTarget = req.target;
    proxiedHost = req.get_header_value("Host");
    res.set_content("via proxy", "text/plain");
  });
  proxy.start();
  LoopbackServer direct;
  direct.server().Get("/d", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("direct", "text/plain");
  });
  direct.start();

  ScopedEnv httpProxy("http_proxy", proxy.url().c_str());
  ScopedEnv noProxy("no_proxy", "");
  ScopedEnv noProxyUpper("NO_PROXY", "");
  CurlHttpClient http;
  HttpRequest req;
  // .invalid never resolves: only the (loopback) proxy is contacted.
  req.url = "http://service.example.invalid/path?q=1";
  auto r = http.send(req);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->body, "via proxy");
  EXPECT_EQ(proxiedTarget, "http://service.example.invalid/path?q=1");
  EXPECT_EQ(proxiedHost, "service.example.invalid");

  HttpRequest local;
  local.url = direct.url() + "/d";
  auto d = http.send(local);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->body, "direct");
}

TEST(TimeUtil, FormatsAndParses) {
  EXPECT_EQ(formatAmzDate(testing::kSuiteTimeMillis), "20150830T123600Z");
  EXPECT_EQ(formatIso8601(testing::kSuiteTimeMillis), "2015-08-30T12:36:00Z");
  EXPECT_EQ(parseIso8601("2015-08-30T12:36:00Z"), testing::kSuiteTimeMillis);
  EXPECT_EQ(parseIso8601("2015-08-30T12:36:00.250Z"), testing::kSuiteTimeMillis + 250);
  EXPECT_EQ(parseIso8601("2015-08-30T14:36:00+02:00"), testing::kSuiteTimeMillis);
  EXPECT_FALSE(parseIso8601("yesterday"));
  EXPECT_EQ(parseHttpDate("Sun, 30 Aug 2015 12:36:00 GMT"), testing::kSuiteTimeMillis);
}

TEST(Xml, ParsesAwsDocuments) {
  auto doc = parseXml(
      "<?xml version=\"1.0\"?>\n<!-- c --><a:Root xmlns:a=\"urn:x\" k='v>'><a:Item>one &amp; "
      "&#x41;&#66;</a:Item><Item><![CDATA[<raw>]]></Item><Empty/></a:Root>");
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(doc->name, "Root");
  auto items = doc->childrenNamed("Item");
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0]->text, "one & AB");
  EXPECT_EQ(items[1]->text, "<raw>");
  EXPECT_NE(doc->child("Empty"), nullptr);
  EXPECT_EQ(doc->textAt("Missing/Path"), "");
  EXPECT_FALSE(parseXml("<a><b></a").ok());
  EXPECT_FALSE(parseXml("").ok());
  EXPECT_EQ(xmlEscape("<a&'\">"), "&lt;a&amp;&apos;&quot;&gt;");
}

}  // namespace
}  // namespace azx::aws
