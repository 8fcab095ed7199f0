#include "core/java_properties.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/test_paths.h"

namespace azx {
namespace {

std::map<std::string, std::string> parseOk(std::string_view text) {
  auto result = parseJavaProperties(text);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return result.ok() ? *result : std::map<std::string, std::string>{};
}

TEST(JavaPropertiesTest, SeparatorsAndWhiteSpace) {
  auto values = parseOk(
      "a=1\n"
      "b:2\n"
      "c 3\n"
      "d   =   4  \n"
      "  e\t:\tfive six\n"
      "f\n"
      "g=\n"
      "h = = x\n"
      "i  :=y\n");
  EXPECT_EQ(values.at("a"), "1");
  EXPECT_EQ(values.at("b"), "2");
  EXPECT_EQ(values.at("c"), "3");
  EXPECT_EQ(values.at("d"), "4  ");  // trailing white space is kept
  EXPECT_EQ(values.at("e"), "five six");
  EXPECT_EQ(values.at("f"), "");
  EXPECT_EQ(values.at("g"), "");
  EXPECT_EQ(values.at("h"), "= x");  // only one separator is skipped
  EXPECT_EQ(values.at("i"), "=y");
  EXPECT_EQ(values.size(), 9u);
}

TEST(JavaPropertiesTest, CommentsAndBlankLines) {
  auto values = parseOk(
      "# comment=1\n"
      "   ! also a comment\n"
      "\n"
      "   \t \n"
      "#comment ending in backslash \\\n"
      "real=yes\n"
      "x=#not a comment\n");
  EXPECT_EQ(values.size(), 2u);
  EXPECT_EQ(values.at("real"), "yes");
  EXPECT_EQ(values.at("x"), "#not a comment");
}

TEST(JavaPropertiesTest, ContinuationLines) {
  auto values = parseOk(
      "a=one \\\n"
      "      two\\\n"
      "three\n"
      "b=even\\\\\n"
      "c=next\n"
      "d=x\\\n"
      "# not a comment here\n"
      "e=end\\");
  EXPECT_EQ(values.at("a"), "one twothree");
  EXPECT_EQ(values.at("b"), "even\\");
  EXPECT_EQ(values.at("c"), "next");
  EXPECT_EQ(values.at("d"), "x# not a comment here");
  EXPECT_EQ(values.at("e"), "end");  // a trailing backslash at end of input is dropped
}

TEST(JavaPropertiesTest, BlankContinuationEndsTheLine) {
  auto values = parseOk("a=b\\\n\nc=d\n");
  EXPECT_EQ(values.at("a"), "b");
  EXPECT_EQ(values.at("c"), "d");
}

TEST(JavaPropertiesTest, LineTerminators) {
  auto values = parseOk("a=1\r\nb=2\rc=3\nd=4\\\r\n  5");
  EXPECT_EQ(values.at("a"), "1");
  EXPECT_EQ(values.at("b"), "2");
  EXPECT_EQ(values.at("c"), "3");
  EXPECT_EQ(values.at("d"), "45");
}

TEST(JavaPropertiesTest, Escapes) {
  auto values = parseOk(
      "tabs=a\\tb\\nc\\rd\\fe\n"
      "k\\=ey\\:x\\ y=v\n"
      "other=\\q\\z\\\\\n"
      "uni=\\u0041\\u00e9\n"
      "\\ lead=1\n");
  EXPECT_EQ(values.at("tabs"), "a\tb\nc\rd\fe");
  EXPECT_EQ(values.at("k=ey:x y"), "v");
  EXPECT_EQ(values.at("other"), "qz\\");
  EXPECT_EQ(values.at("uni"), "A\xC3\xA9");
  EXPECT_EQ(values.at(" lead"), "1");
}

TEST(JavaPropertiesTest, SurrogatePairsBecomeOneCodePoint) {
  auto values = parseOk("smile=\\uD83D\\uDE00\nlone=\\uD83Dx\n");
  EXPECT_EQ(values.at("smile"), "\xF0\x9F\x98\x80");
  EXPECT_EQ(values.at("lone"), "\xEF\xBF\xBDx");  // U+FFFD then x
}

TEST(JavaPropertiesTest, BytesAreLatin1) {
  // 0xE9 is é in ISO-8859-1; UTF-8 input (C3 A9) becomes two characters, as in Java.
  auto values = parseOk(std::string("a=\xE9\nb=\xC3\xA9\n"));
  EXPECT_EQ(values.at("a"), "\xC3\xA9");
  EXPECT_EQ(values.at("b"), "\xC3\x83\xC2\xA9");
  EXPECT_EQ(latin1ToUtf8("\xFF"), "\xC3\xBF");
}

TEST(JavaPropertiesTest, LastKeyWins) {
  auto values = parseOk("a=1\nb=2\na=3\n");
  EXPECT_EQ(values.at("a"), "3");
  EXPECT_EQ(values.size(), 2u);
}

TEST(JavaPropertiesTest, MalformedUnicodeEscapeIsAnError) {
  auto bad = parseJavaProperties("ok=1\nbad=\\u12G4\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "line 2: Malformed \\uxxxx encoding.");
  auto shortEscape = parseJavaProperties("bad=\\u12");
  ASSERT_FALSE(shortEscape.ok());
  EXPECT_NE(shortEscape.error().message.find("Malformed"), std::string::npos);
}

TEST(JavaPropertiesTest, WriterEscapesAsJava) {
  std::map<std::string, std::string> values = {
      {"plain", "value with spaces"},
      {"key with space", " leading"},
      {"sep=:#!", "a=b:c#d!e"},
      {"ctl", "t\tn\nr\rf\f"},
      {"back", "x\\y"},
      {"latin", "\xC3\xA9"},
      {"emoji", "\xF0\x9F\x98\x80"},
  };
  std::string text = writeJavaProperties(values, "Thu Dec 03 20:00:00 UTC 2026");
  EXPECT_EQ(text,
            "#Thu Dec 03 20:00:00 UTC 2026\n"
            "back=x\\\\y\n"
            "ctl=t\\tn\\nr\\rf\\f\n"
            "emoji=\\uD83D\\uDE00\n"
            "key\\ with\\ space=\\ leading\n"
            "latin=\\u00E9\n"
            "plain=value with spaces\n"
            "sep\\=\\:\\#\\!=a\\=b\\:c\\#d\\!e\n");
  // What we write reads back to the same values.
  auto back = parseJavaProperties(text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, values);
}

TEST(JavaPropertiesTest, WriterWithoutComment) {
  EXPECT_EQ(writeJavaProperties({{"a", "1"}}), "a=1\n");
}

TEST(JavaPropertiesTest, LoadPropertiesFile) {
  auto dir = testing::freshTempDir("javaprops");
  {
    std::ofstream out(dir / "x.properties", std::ios::binary);
    out << "a=1\nb=\\u0042\n";
  }
  auto parent = Props::make();
  parent->put("c", "3");
  auto props = loadPropertiesFile(dir / "x.properties", parent, "x.properties");
  ASSERT_TRUE(props.ok()) << props.error().message;
  EXPECT_EQ((*props)->source(), "x.properties");
  EXPECT_EQ((*props)->get("a"), "1");
  EXPECT_EQ((*props)->get("b"), "B");
  EXPECT_EQ((*props)->get("c"), "3");  // from the parent
  EXPECT_EQ((*props)->local().size(), 2u);

  auto missing = loadPropertiesFile(dir / "missing.properties");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("missing.properties"), std::string::npos);

  {
    std::ofstream out(dir / "bad.properties", std::ios::binary);
    out << "x=\\uZZZZ\n";
  }
  auto bad = loadPropertiesFile(dir / "bad.properties");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("bad.properties"), std::string::npos);
  EXPECT_NE(bad.error().message.find("Malformed"), std::string::npos);
}

}  // namespace
}  // namespace azx
