#include "jobtypes/command/command_line.h"

#include <gtest/gtest.h>

#include "jobtypes/command/command_job.h"

namespace azx::jobtypes {
namespace {

using Args = std::vector<std::string>;

TEST(SplitCommandLine, SplitsOnSpacesOnly) {
  EXPECT_EQ(splitCommandLine("a b c"), (Args{"a", "b", "c"}));
  EXPECT_EQ(splitCommandLine("a\tb"), (Args{"a\tb"}));
  EXPECT_EQ(splitCommandLine("  a   b  "), (Args{"a", "b"}));
}

TEST(SplitCommandLine, QuotesGroupAndAreRemoved) {
  EXPECT_EQ(splitCommandLine("a 'b c'"), (Args{"a", "b c"}));
  EXPECT_EQ(splitCommandLine("a e='b c'"), (Args{"a", "e=b c"}));
  EXPECT_EQ(splitCommandLine("echo \"x > y\""), (Args{"echo", "x > y"}));
  EXPECT_EQ(splitCommandLine("say \"it's\" 'a \"b\"'"), (Args{"say", "it's", "a \"b\""}));
}

TEST(SplitCommandLine, NoEscapesEmptyDroppedUnclosedRunsToEnd) {
  EXPECT_EQ(splitCommandLine("a\\ b"), (Args{"a\\", "b"}));
  EXPECT_EQ(splitCommandLine("a '' b"), (Args{"a", "b"}));
  EXPECT_EQ(splitCommandLine("a 'b c"), (Args{"a", "b c"}));
  EXPECT_EQ(splitCommandLine("ls | wc && $HOME"), (Args{"ls", "|", "wc", "&&", "$HOME"}));
}

TEST(JavaStringOf, PrintsValuesAsJavaDoes) {
  EXPECT_EQ(javaStringOf(nlohmann::json("s")), "s");
  EXPECT_EQ(javaStringOf(nlohmann::json(1)), "1");
  EXPECT_EQ(javaStringOf(nlohmann::json(1.5)), "1.5");
  EXPECT_EQ(javaStringOf(nlohmann::json(1e10)), "1.0E10");
  EXPECT_EQ(javaStringOf(nlohmann::json(2.0)), "2.0");
  EXPECT_EQ(javaStringOf(nlohmann::json(true)), "true");
  EXPECT_EQ(javaStringOf(nlohmann::json::parse("[\"a\", \"b\"]")), "[a, b]");
  EXPECT_EQ(javaStringOf(nlohmann::json::parse("{\"k\": \"v\"}")), "{k=v}");
}

}  // namespace
}  // namespace azx::jobtypes
