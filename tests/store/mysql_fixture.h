#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/mysql/mysql_store.h"
#include "tests/support/mariadb_server.h"

namespace azx::testing {

// A gtest fixture sharing one private MariaDB server (with the 3.81 schema) per suite, for
// tests that need the real database. Derive with `class X : public MysqlFixture {}`.
class MysqlFixture : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!MariadbServer::unavailableReason().empty()) return;
    server_ = MariadbServer::start(&startError_).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    AZX_REQUIRE_MARIADB();
    ASSERT_NE(server_, nullptr) << "MariaDB fixture failed: " << startError_;
    if (!server_->referenceSchemaApplied()) {
      auto store = open(config());
      ASSERT_TRUE(store);
      auto ok = store->initSchema();
      ASSERT_TRUE(ok.ok()) << ok.error().message;
    }
  }

  static store::MysqlConfig config() {
    store::MysqlConfig c;
    c.host = "127.0.0.1";
    c.port = server_->port();
    c.database = server_->database();
    c.user = server_->user();
    c.password = server_->password();
    c.numConnections = 2;
    c.retry.maxAttempts = 3;
    c.retry.initialBackoffMillis = 50;
    c.retry.maxBackoffMillis = 200;
    return c;
  }

  static std::unique_ptr<store::MysqlStore> open(const store::MysqlConfig& c) {
    auto store = store::MysqlStore::open(c, [](const std::string&) {});
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(store.value()) : nullptr;
  }

  // Runs SQL as root in the test database; the client's tab-separated output.
  static std::string sql(const std::string& statements) {
    std::string error;
    std::string output;
    EXPECT_TRUE(server_->runSql(statements, server_->database(), &error, &output)) << error;
    return output;
  }

  static inline MariadbServer* server_ = nullptr;
  static inline std::string startError_;
};

// Hex text of bytes, for UNHEX('...') literals.
inline std::string toHex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

}  // namespace azx::testing
