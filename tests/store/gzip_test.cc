#include "core/gzip.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

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

TEST(GzipTest, ReusedStreamGivesTheBytesOfAFreshOne) {
  // gzipCompress keeps one deflate state per thread: nothing of a call may leak into the next.
  const std::string first = std::string(5000, 'a') + "first";
  const std::string packedFirst = gzipCompress(first);
  const std::string other = gzipCompress(std::string(70000, 'q') + "other");
  EXPECT_EQ(gzipCompress(first), packedFirst);
  std::string fromFreshThread;
  std::thread([&] { fromFreshThread = gzipCompress(first); }).join();
  EXPECT_EQ(fromFreshThread, packedFirst);
  auto unpacked = gzipDecompress(other);
  ASSERT_TRUE(unpacked.ok()) << unpacked.error().message;
  EXPECT_EQ(unpacked->size(), 70005u);
}

TEST(GzipTest, FastestLevelIsPlainGzipToo) {
  std::string json;
  for (int i = 0; i < 2000; ++i)
    json += "{\"id\":\"job" + std::to_string(i) + "\",\"status\":\"READY\"},";
  std::string fast = gzipCompress(json, GzipSpeed::Fastest);
  std::string standard = gzipCompress(json);
  ASSERT_TRUE(looksGzipped(fast));
  EXPECT_NE(fast, standard);  // another level really was used
  auto unpacked = gzipDecompress(fast);
  ASSERT_TRUE(unpacked.ok()) << unpacked.error().message;
  EXPECT_EQ(*unpacked, json);
}

TEST(GzipTest, SmallAndLargeFastestInputsRoundTrip) {
  // Inputs up to 4 KiB use a state of their own with a small window: sizes on both sides of
  // the boundary, in turns, each compressed twice to the same bytes.
  std::string properties;  // property-file-like text, which compresses well
  for (int i = 0; properties.size() < 9000; ++i) {
    properties +=
        "azkaban.flow." + std::to_string(i * 7919 % 1000) + ".value=" + std::to_string(i) + "\n";
  }
  for (size_t size : {0u, 1u, 700u, 4095u, 4096u, 4097u, 9000u, 1500u}) {
    const std::string input = properties.substr(0, size);
    std::string packed = gzipCompress(input, GzipSpeed::Fastest);
    EXPECT_EQ(gzipCompress(input, GzipSpeed::Fastest), packed) << size;
    auto unpacked = gzipDecompress(packed);
    ASSERT_TRUE(unpacked.ok()) << size << ": " << unpacked.error().message;
    EXPECT_EQ(*unpacked, input) << size;
    if (size >= 700) {
      EXPECT_LT(packed.size(), input.size() / 2) << size;
    }
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
