#include "flow/project_archive.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zip.h>

#include <fstream>
#include <sstream>

#include "flow/project.h"
#include "tests/support/test_paths.h"

namespace azx::flow {
namespace {

namespace fs = std::filesystem;

struct Entry {
  std::string name;
  std::string content;  // ignored for directories (names ending in '/')
  bool symlink = false;
  bool executable = false;
};

// Builds a zip with libzip so entry names can be anything, hostile ones included.
fs::path makeZip(const fs::path& path, const std::vector<Entry>& entries) {
  int error = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  EXPECT_NE(archive, nullptr);
  if (archive == nullptr) return path;
  for (const auto& entry : entries) {
    zip_int64_t index = -1;
    if (!entry.name.empty() && entry.name.back() == '/') {
      index = zip_dir_add(archive, entry.name.c_str(), ZIP_FL_ENC_UTF_8);
    } else {
      zip_source_t* source =
          zip_source_buffer(archive, entry.content.data(), entry.content.size(), 0);
      index = zip_file_add(archive, entry.name.c_str(), source, ZIP_FL_ENC_UTF_8);
    }
    EXPECT_GE(index, 0) << entry.name << ": " << zip_strerror(archive);
    if (entry.symlink || entry.executable) {
      zip_uint32_t mode = entry.symlink ? (S_IFLNK | 0777) : (S_IFREG | 0755);
      zip_file_set_external_attributes(archive, static_cast<zip_uint64_t>(index), 0, ZIP_OPSYS_UNIX,
                                       mode << 16);
    }
  }
  EXPECT_EQ(zip_close(archive), 0);
  return path;
}

TEST(ProjectArchiveTest, ExtractsAndLoads) {
  auto dir = testing::freshTempDir("zip-ok");
  auto zip = makeZip(dir / "p.zip", {{"proj/", ""},
                                     {"proj/a.job", "type=command\ncommand=echo hi\n"},
                                     {"proj/sub/b.job", "type=noop\ndependencies=a\n"},
                                     {"proj/run.sh", "#!/bin/sh\n", false, true}});
  auto dest = dir / "out";
  auto result = extractProjectZip(zip, dest);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(testing::readWholeFile(dest / "proj/a.job"), "type=command\ncommand=echo hi\n");
  EXPECT_TRUE(fs::exists(dest / "proj/sub/b.job"));
  auto perms = fs::status(dest / "proj/run.sh").permissions();
  EXPECT_NE(perms & fs::perms::owner_exec, fs::perms::none);
  EXPECT_EQ(fs::status(dest / "proj/a.job").permissions() & fs::perms::owner_exec, fs::perms::none);
  // No staging directory is left next to the destination.
  size_t siblings = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    (void)entry;
    ++siblings;
  }
  EXPECT_EQ(siblings, 2u);  // p.zip and out

  Project project = loadProject(dest);
  EXPECT_TRUE(project.errors.empty());
  EXPECT_EQ(project.flows.count("b"), 1u);
  EXPECT_EQ(project.jobs.at("b").jobSource, "proj/sub/b.job");
}

TEST(ProjectArchiveTest, ExtractsIntoAnEmptyExistingDirectory) {
  auto dir = testing::freshTempDir("zip-empty-dest");
  auto zip = makeZip(dir / "p.zip", {{"a.job", "type=noop\n"}});
  fs::create_directories(dir / "out");
  ASSERT_TRUE(extractProjectZip(zip, dir / "out").ok());
  EXPECT_TRUE(fs::exists(dir / "out/a.job"));
}

void expectRefused(const std::vector<Entry>& entries, const std::string& entryName,
                   const std::string& label) {
  auto dir = testing::freshTempDir(label);
  auto zip = makeZip(dir / "p.zip", entries);
  auto dest = dir / "work" / "out";
  auto result = extractProjectZip(zip, dest);
  ASSERT_FALSE(result.ok()) << label;
  EXPECT_NE(result.error().message.find("'" + entryName + "'"), std::string::npos)
      << result.error().message;
  EXPECT_FALSE(fs::exists(dest)) << label;
  // Nothing escaped and nothing half-extracted stays around.
  EXPECT_FALSE(fs::exists(dir / "evil.txt"));
  EXPECT_FALSE(fs::exists(dir / "work" / "evil.txt"));
  if (fs::exists(dir / "work")) {
    EXPECT_TRUE(fs::is_empty(dir / "work")) << label;
  }
}

TEST(ProjectArchiveTest, RefusesParentSegments) {
  expectRefused({{"ok.job", "type=noop\n"}, {"../evil.txt", "x"}}, "../evil.txt", "zip-dotdot");
  expectRefused({{"a/../../evil.txt", "x"}}, "a/../../evil.txt", "zip-dotdot2");
  expectRefused({{"a\\..\\..\\evil.txt", "x"}}, "a\\..\\..\\evil.txt", "zip-backslash");
}

TEST(ProjectArchiveTest, RefusesAbsoluteNames) {
  expectRefused({{"ok.job", "type=noop\n"}, {"/azx-zip-slip-test/evil.txt", "x"}},
                "/azx-zip-slip-test/evil.txt", "zip-absolute");
  expectRefused({{"C:/evil.txt", "x"}}, "C:/evil.txt", "zip-drive");
}

TEST(ProjectArchiveTest, RefusesSymlinks) {
  expectRefused({{"ok.job", "type=noop\n"}, {"link", "/etc/passwd", true}}, "link", "zip-symlink");
}

TEST(ProjectArchiveTest, RefusesNonEmptyDestinationAndBadArchives) {
  auto dir = testing::freshTempDir("zip-bad");
  auto zip = makeZip(dir / "p.zip", {{"a.job", "type=noop\n"}});
  fs::create_directories(dir / "busy");
  std::ofstream(dir / "busy" / "keep") << "x";
  auto busy = extractProjectZip(zip, dir / "busy");
  ASSERT_FALSE(busy.ok());
  EXPECT_TRUE(fs::exists(dir / "busy" / "keep"));

  std::ofstream(dir / "junk.zip") << "this is not a zip";
  auto junk = extractProjectZip(dir / "junk.zip", dir / "junk-out");
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.error().message.find("junk.zip"), std::string::npos) << junk.error().message;
  EXPECT_FALSE(fs::exists(dir / "junk-out"));
}

}  // namespace
}  // namespace azx::flow
