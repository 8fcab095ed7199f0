#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "store/mysql/azkaban_schema.h"
#include "tests/support/test_paths.h"

namespace azx::store {
namespace {

// The embedded DDL used by `db init` must equal Azkaban 3.81's schema files byte for byte.
TEST(SchemaDdlTest, EmbeddedDdlEqualsTheReferenceFiles) {
  auto ref = testing::sharedReferenceDir();
  if (!ref) GTEST_SKIP() << "../shared/reference is absent; skipping the DDL comparison";
  auto dir = *ref / "azkaban-3.81.0" / "sql";
  std::set<std::string> onDisk;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    auto name = entry.path().filename().string();
    if (name.rfind("create.", 0) == 0 && entry.path().extension() == ".sql") onDisk.insert(name);
  }
  std::set<std::string> embedded;
  for (const auto& file : azkabanSchemaFiles()) {
    embedded.insert(file.name);
    std::ifstream in(dir / file.name, std::ios::binary);
    ASSERT_TRUE(in) << file.name << " is embedded but not in the reference directory";
    std::ostringstream text;
    text << in.rdbuf();
    EXPECT_EQ(file.sql, text.str()) << file.name;
  }
  EXPECT_EQ(embedded, onDisk);
}

}  // namespace
}  // namespace azx::store
