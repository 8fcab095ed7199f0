#include "core/gzip.h"

#include <gtest/gtest.h>

#include <random>

namespace azx {
namespace {

TEST(GzipTest, RoundTripsTextAndBinary) {
  std::string text = "hello flow_data \xc3\xa9\n";
  std::string binary;
  std::mt19937 rng(7);
  for (int i = 0; i < 300000; ++i) binary.push_back(static_cast<char>(rng() & 0xff));
  for (const std::string& input : {std::string(), text, binary}) {
    std::string packed = gzipCompress(input);
    ASSERT_TRUE(looksGzipped(packed));
    EXPECT_EQ(static_cast<unsigned char>(packed[2]), 8u);  // CM = deflate (RFC 1952)
    auto unpacked = gzipDecompress(packed);
    ASSERT_TRUE(unpacked.ok()) << unpacked.error().message;
    EXPECT_EQ(*unpacked, input);
  }
}

TEST(GzipTest, RejectsPlainAndTruncatedData) {
  auto plain = gzipDecompress("{\"id\":null}");
  ASSERT_FALSE(plain.ok());
  EXPECT_NE(plain.error().message.find("not gzip"), std::string::npos);

  std::string packed = gzipCompress(std::string(10000, 'x') + "tail");
  auto truncated = gzipDecompress(std::string_view(packed).substr(0, packed.size() / 2));
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.error().message.find("truncated"), std::string::npos);

  std::string corrupt = packed;
  corrupt[12] = static_cast<char>(corrupt[12] ^ 0x5a);
  corrupt[13] = static_cast<char>(corrupt[13] ^ 0x5a);
  EXPECT_FALSE(gzipDecompress(corrupt).ok());
}

TEST(GzipTest, DecodeMaybeGzippedAcceptsBoth) {
  auto plain = decodeMaybeGzipped("plain text");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, "plain text");
  auto zipped = decodeMaybeGzipped(gzipCompress("zipped text"));
  ASSERT_TRUE(zipped.ok());
  EXPECT_EQ(*zipped, "zipped text");
}

}  // namespace
}  // namespace azx
