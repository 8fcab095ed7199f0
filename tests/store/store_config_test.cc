#include <gtest/gtest.h>

#include "store/mysql/mysql_store.h"

namespace azx::store {
namespace {

PropsPtr azkabanProps() {
  return Props::fromMap({{"database.type", "mysql"},
                         {"mysql.host", " db.example "},
                         {"mysql.port", "3307"},
                         {"mysql.database", "azkaban"},
                         {"mysql.user", "azkaban"},
                         {"mysql.password", "s3cret pw"},
                         {"mysql.numconnections", "100"}});
}

TEST(MysqlConfigTest, ReadsTheAzkabanKeys) {
  auto config = mysqlConfigFromProps(*azkabanProps());
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->host, "db.example");
  EXPECT_EQ(config->port, 3307);
  EXPECT_EQ(config->database, "azkaban");
  EXPECT_EQ(config->user, "azkaban");
  EXPECT_EQ(config->password, "s3cret pw");
  EXPECT_EQ(config->numConnections, 100);
  EXPECT_FALSE(config->unixSocket.has_value());
  EXPECT_EQ(config->describe(), "azkaban@db.example:3307/azkaban");
  EXPECT_EQ(config->describe().find("s3cret"), std::string::npos);
}

TEST(MysqlConfigTest, MissingOrBadKeysAreNamed) {
  for (const char* key : {"mysql.host", "mysql.port", "mysql.database", "mysql.user",
                          "mysql.password", "mysql.numconnections"}) {
    auto props = azkabanProps();
    props->removeLocal(key);
    auto config = mysqlConfigFromProps(*props);
    ASSERT_FALSE(config.ok()) << key;
    EXPECT_NE(config.error().message.find(key), std::string::npos) << config.error().message;
  }
  auto props = azkabanProps();
  props->put("mysql.port", "33o6");
  auto badPort = mysqlConfigFromProps(*props);
  ASSERT_FALSE(badPort.ok());
  EXPECT_NE(badPort.error().message.find("mysql.port"), std::string::npos);
  props = azkabanProps();
  props->put("mysql.numconnections", "0");
  EXPECT_FALSE(mysqlConfigFromProps(*props).ok());
}

}  // namespace
}  // namespace azx::store
