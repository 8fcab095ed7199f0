#include <gtest/gtest.h>

#include "cli/executors_command.h"
#include "tests/cli/fake_executor.h"

namespace azx::cli {
namespace {

TEST(PingExecutorTest, AliveOnlyForTheStatusAliveReply) {
  FakeExecutor live(R"({"status":"alive"})");
  auto ok = pingExecutor("127.0.0.1", live.port(), 2000);
  EXPECT_TRUE(ok.alive) << ok.detail;
  EXPECT_EQ(ok.detail, "alive");
  EXPECT_EQ(live.pings(), 1);

  FakeExecutor other(R"({"status":"sleeping"})");
  auto wrong = pingExecutor("127.0.0.1", other.port(), 2000);
  EXPECT_FALSE(wrong.alive);
  EXPECT_NE(wrong.detail.find("sleeping"), std::string::npos) << wrong.detail;

  FakeExecutor garbage("<html>not json</html>");
  EXPECT_FALSE(pingExecutor("127.0.0.1", garbage.port(), 2000).alive);
}

TEST(PingExecutorTest, RefusedAndSilentPortsAreDead) {
  SilentPort refusing(false);
  auto refused = pingExecutor("127.0.0.1", refusing.port(), 2000);
  EXPECT_FALSE(refused.alive);
  EXPECT_FALSE(refused.detail.empty());

  SilentPort hanging(true);
  auto start = std::chrono::steady_clock::now();
  auto timedOut = pingExecutor("127.0.0.1", hanging.port(), 300);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(timedOut.alive);
  // The timeout bounds the wait (generous upper limit for slow machines).
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_GE(took, std::chrono::milliseconds(250));
}

}  // namespace
}  // namespace azx::cli
