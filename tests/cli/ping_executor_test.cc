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
  auto timedOut = pingExecutor("127.0.0.1", hanging.port(), 300);
  EXPECT_FALSE(timedOut.alive);
  // What ended the wait was the timeout (libcurl's words), not the peer.
  EXPECT_NE(timedOut.detail.find("timed out"), std::string::npos) << timedOut.detail;
}

}  // namespace
}  // namespace azx::cli
