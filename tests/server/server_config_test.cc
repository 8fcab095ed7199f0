#include "server/server_config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/test_paths.h"

namespace azx::server {
namespace {

std::filesystem::path confWith(const std::string& text) {
  auto dir = testing::freshTempDir("server-config");
  std::ofstream(dir / "azkaban.properties") << text;
  return dir;
}

TEST(ServerConfig, DefaultsMatchAzkaban) {
  auto loaded = loadServerConfig(confWith(""), {});
  ASSERT_TRUE(loaded) << loaded.error().message;
  const ServerConfig& c = loaded->config;
  EXPECT_EQ(c.port, 0);
  EXPECT_EQ(c.portFile, "executor.port");
  EXPECT_EQ(c.flowThreads, 30);
  EXPECT_EQ(c.jobThreads, 10);
  EXPECT_EQ(c.executionDir, "executions");
  EXPECT_EQ(c.projectDir, "projects");
  EXPECT_EQ(c.jobTypePluginDir, "plugins/jobtypes");
  EXPECT_EQ(c.jobLogChunkSize, 5u * 1024 * 1024);
  EXPECT_EQ(c.jobLogBackupIndex, 4);
  EXPECT_FALSE(c.pollModel);
  EXPECT_EQ(c.pollingIntervalMs, 1000);
  EXPECT_FALSE(c.useTls);
  EXPECT_FALSE(c.activateOnStart);
}

TEST(ServerConfig, EmptyPortMeansEphemeralWithAWarning) {
  auto loaded = loadServerConfig(confWith("executor.port=\n"), {});
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->config.port, 0);
  ASSERT_FALSE(loaded->warnings.empty());
  EXPECT_NE(loaded->warnings.front().find("executor.port"), std::string::npos);
}

TEST(ServerConfig, MalformedValuesAreReportedByKeyTogether) {
  auto loaded = loadServerConfig(
      confWith("executor.port=80x\nexecutor.flow.threads=-3\njob.log.chunk.size=big\n"), {});
  ASSERT_FALSE(loaded);
  const std::string& message = loaded.error().message;
  EXPECT_NE(message.find("executor.port: '80x'"), std::string::npos) << message;
  EXPECT_NE(message.find("executor.flow.threads"), std::string::npos) << message;
  EXPECT_NE(message.find("job.log.chunk.size"), std::string::npos) << message;
}

TEST(ServerConfig, EnvironmentOverridesFileByKnownName) {
  auto dir = confWith("mysql.host=file-host\nazkaban.poll.model=false\n");
  auto loaded =
      loadServerConfig(dir, {{"AZK_MYSQL_HOST", "env-host"},
                             {"AZK_AZKABAN_POLL_MODEL", "true"},
                             {"AZK_AZKABAN_POLLING_CRITERIA_FLOW_THREADS_AVAILABLE", "true"},
                             {"UNRELATED", "x"}});
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->config.props->get("mysql.host"), "env-host");
  EXPECT_TRUE(loaded->config.pollModel);
  EXPECT_TRUE(loaded->config.pollingRequireFlowThreads);
  EXPECT_EQ(environmentNameFor("azkaban.project_cache_size_percentage_of_disk"),
            "AZK_AZKABAN_PROJECT_CACHE_SIZE_PERCENTAGE_OF_DISK");
}

TEST(ServerConfig, UnknownKeysWarnAndTlsNeedsItsFiles) {
  auto loaded = loadServerConfig(confWith("no.such.key=1\n"), {});
  ASSERT_TRUE(loaded);
  bool warned = false;
  for (const auto& w : loaded->warnings) warned |= w.find("no.such.key") != std::string::npos;
  EXPECT_TRUE(warned);
  auto tls = loadServerConfig(confWith("jetty.use.ssl=true\n"), {});
  ASSERT_FALSE(tls);
  EXPECT_NE(tls.error().message.find("executor.ssl.cert.file"), std::string::npos);
}

TEST(ServerConfig, MissingDirectoryIsAnError) {
  auto loaded = loadServerConfig(testing::freshTempDir("none") / "absent", {});
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().message.find("does not exist"), std::string::npos);
}

}  // namespace
}  // namespace azx::server
