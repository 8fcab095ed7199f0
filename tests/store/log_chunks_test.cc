#include "store/log_chunks.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/gzip.h"
#include "tests/support/test_paths.h"

namespace azx::store {
namespace {

std::string pattern(size_t size, char seed) {
  std::string s;
  for (size_t i = 0; i < size; ++i) s.push_back(static_cast<char>('a' + (seed + i * 7) % 26));
  return s;
}

std::filesystem::path writeFile(const std::filesystem::path& dir, const std::string& name,
                                const std::string& content) {
  auto p = dir / name;
  std::ofstream(p, std::ios::binary) << content;
  return p;
}

TEST(LogChunksTest, CutsConcatenatedFilesInto51200ByteChunks) {
  auto dir = testing::freshTempDir("log-chunks");
  // Rolled part first (oldest), then the current log; the boundary is not chunk-aligned.
  std::string older = pattern(70000, 1);
  std::string current = pattern(40000, 5);
  auto files = std::vector<std::filesystem::path>{writeFile(dir, "_job.1.a.log.1", older),
                                                  writeFile(dir, "_job.1.a.log", current)};
  auto rows = buildLogChunks(files);
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 3u);
  std::string all = older + current;
  const int64_t expectedStarts[] = {0, 51200, 102400};
  const int64_t expectedEnds[] = {51200, 102400, 110000};
  for (size_t i = 0; i < rows->size(); ++i) {
    const auto& row = (*rows)[i];
    EXPECT_EQ(row.startByte, expectedStarts[i]);
    EXPECT_EQ(row.endByte, expectedEnds[i]);
    auto data = gzipDecompress(row.gzippedData);
    ASSERT_TRUE(data.ok());
    EXPECT_EQ(*data, all.substr(static_cast<size_t>(row.startByte),
                                static_cast<size_t>(row.endByte - row.startByte)));
  }
}

TEST(LogChunksTest, ExactMultipleAndEmptyLogs) {
  auto dir = testing::freshTempDir("log-chunks");
  auto exact = buildLogChunks({writeFile(dir, "exact.log", pattern(2 * 51200, 3))});
  ASSERT_TRUE(exact.ok());
  ASSERT_EQ(exact->size(), 2u);
  EXPECT_EQ(exact->back().endByte, 102400);

  auto empty = buildLogChunks({writeFile(dir, "empty.log", ""), writeFile(dir, "e2.log", "")});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());

  auto missing = buildLogChunks({dir / "does-not-exist.log"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("does-not-exist.log"), std::string::npos);
}

TEST(LogChunksTest, SliceReadsAcrossChunks) {
  auto dir = testing::freshTempDir("log-chunks");
  std::string all = pattern(120000, 9);
  auto rows = buildLogChunks({writeFile(dir, "x.log", all)});
  ASSERT_TRUE(rows.ok());
  std::vector<StoredLogRow> stored;
  for (const auto& r : *rows)
    stored.push_back({kEncodingGzip, r.startByte, r.endByte, r.gzippedData});

  auto across = sliceLogRows(stored, 51000, 500);
  ASSERT_TRUE(across.ok());
  EXPECT_EQ(across->offset, 51000);
  EXPECT_EQ(across->data, all.substr(51000, 500));

  auto tail = sliceLogRows(stored, 119990, 1000);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(tail->data, all.substr(119990));

  auto past = sliceLogRows(stored, 200000, 10);
  ASSERT_TRUE(past.ok());
  EXPECT_TRUE(past->data.empty());

  // PLAIN rows (enc_type 1) are read as they are.
  auto plain = sliceLogRows({{kEncodingPlain, 0, 5, "hello"}}, 1, 3);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->data, "ell");
}

}  // namespace
}  // namespace azx::store
