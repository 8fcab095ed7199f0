#include "core/jexl.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace azx {
namespace {

// Evaluates and expects a non-null value.
std::string eval(const std::string& expression) {
  Result<std::optional<std::string>> result = evaluateJexlExpression(expression);
  EXPECT_TRUE(result.ok()) << expression << ": " << (result.ok() ? "" : result.error().message);
  if (!result.ok()) return "<error>";
  EXPECT_TRUE(result->has_value()) << expression << " evaluated to null";
  return result->value_or("<null>");
}

bool isNull(const std::string& expression) {
  Result<std::optional<std::string>> result = evaluateJexlExpression(expression);
  return result.ok() && !result->has_value();
}

bool isError(const std::string& expression) { return !evaluateJexlExpression(expression).ok(); }

TEST(JexlTest, SpecExamples) {
  EXPECT_EQ(eval("1+10"), "11");
  EXPECT_EQ(eval("7/2"), "3");
  EXPECT_EQ(eval("\"normal\" + 1"), "normal1");
  EXPECT_EQ(eval("\"2\"+1"), "3");
  EXPECT_EQ(eval("1 + normal"), "1");
  EXPECT_TRUE(isNull("my"));
  EXPECT_EQ(eval("(2+3) + 3"), "8");
}

TEST(JexlTest, IntegerArithmetic) {
  EXPECT_EQ(eval("2 * 3 + 4"), "10");
  EXPECT_EQ(eval("2 * (3 + 4)"), "14");
  EXPECT_EQ(eval("10 - 4 - 3"), "3");
  EXPECT_EQ(eval("-7 / 2"), "-3");  // BigInteger.divide truncates
  EXPECT_EQ(eval("10 div 4"), "2");
  EXPECT_EQ(eval("7 % 3"), "1");
  EXPECT_EQ(eval("10 mod 4"), "2");
  EXPECT_EQ(eval("-5"), "-5");
  EXPECT_EQ(eval("- -5"), "5");
  EXPECT_EQ(eval("010"), "10");  // Integer.valueOf reads the digits as decimal
  EXPECT_EQ(eval("10L + 1"), "11");
  EXPECT_EQ(eval("5h * 2"), "10");
}

TEST(JexlTest, IntegerResultsWidenInsteadOfOverflowing) {
  EXPECT_EQ(eval("2147483647 + 1"), "2147483648");
  EXPECT_EQ(eval("9223372036854775807 + 1"), "9223372036854775808");
  EXPECT_EQ(eval("3000000000 * 3000000000"), "9000000000000000000");
  EXPECT_EQ(eval("-2147483648 - 1"), "-2147483649");
}

TEST(JexlTest, LenientDivisionAndModQuirks) {
  EXPECT_EQ(eval("1/0"), "0.0");
  EXPECT_EQ(eval("1.5/0"), "0.0");
  EXPECT_EQ(eval("7 % 0"), "0.0");
  EXPECT_EQ(eval("-7 % 3"), "2");     // BigInteger.mod is never negative
  EXPECT_EQ(eval("7 % -3"), "0.0");   // and throws for a negative modulus
  EXPECT_EQ(eval("7.5 % 2"), "1.5");  // floating % keeps the dividend's sign
  EXPECT_EQ(eval("-7.5 % 2"), "-1.5");
  EXPECT_EQ(eval("true / 1"), "0.0");  // BigInteger coercion of a Boolean is an ArithmeticException
}

TEST(JexlTest, FloatingArithmetic) {
  EXPECT_EQ(eval("7.0/2"), "3.5");
  EXPECT_EQ(eval("1.5 + 1"), "2.5");
  EXPECT_EQ(eval("1.0 * 3"), "3.0");
  EXPECT_EQ(eval("1/2.0"), "0.5");
  EXPECT_EQ(eval("10000000000.0 * 1"), "1.0E10");
  EXPECT_EQ(eval("0.1 + 0.2"), "0.30000000000000004");
  EXPECT_EQ(eval("1.1 * 3"), "3.3000000000000003");
  EXPECT_EQ(eval("1.5"), "1.5");  // a Float literal
  EXPECT_EQ(eval("1.5d"), "1.5");
  EXPECT_EQ(eval("-1.5"), "-1.5");
  // Real literals are Floats: precision beyond float is lost before widening to double.
  EXPECT_EQ(eval("1.23456789 * 1"), "1.2345679");
  EXPECT_EQ(eval("1.0e3 + 1"), "1001.0");
}

TEST(JexlTest, StringsAndConcatenation) {
  EXPECT_EQ(eval("'abc'"), "abc");
  EXPECT_EQ(eval("\"abc\" + 'def'"), "abcdef");
  EXPECT_EQ(eval("'a' + 1 + 2"), "a12");
  EXPECT_EQ(eval("1 + 2 + 'a'"), "3a");
  EXPECT_EQ(eval("\"1.5\" + 1"), "2.5");       // a string with '.' takes the double path
  EXPECT_EQ(eval("\"hello\" + 1"), "hello1");  // 'e' → double parse fails → concatenation
  EXPECT_EQ(eval("\" 5\" + 1"), " 51");        // BigInteger does not trim
  EXPECT_EQ(eval("\"\" + 1"), "1");            // the empty string counts as 0
  EXPECT_EQ(eval("'a' + true"), "atrue");
  EXPECT_EQ(eval("'a' + x"), "a");
  EXPECT_EQ(eval("\"2\" * \"3\""), "6");
  EXPECT_EQ(eval("''"), "");
}

TEST(JexlTest, StringEscapes) {
  EXPECT_EQ(eval("'a\\'b'"), "a'b");
  EXPECT_EQ(eval("\"a\\\"b\""), "a\"b");
  EXPECT_EQ(eval("'a\\\\b'"), "a\\b");
  EXPECT_EQ(eval("'a\\nb'"), "a\\nb");  // unknown escapes keep their backslash
  EXPECT_EQ(eval("'\\u0041\\u00e9'"), "A\xC3\xA9");
  EXPECT_EQ(eval("'\\\"'"), "\\\"");  // the other quote is not an escape in '..'
}

TEST(JexlTest, NullHandling) {
  EXPECT_EQ(eval("null + null"), "0");
  EXPECT_EQ(eval("x * 3"), "0");
  EXPECT_EQ(eval("x - 3"), "-3");
  EXPECT_TRUE(isNull("a.b.c"));
  EXPECT_TRUE(isNull("null"));
  EXPECT_TRUE(isNull(""));
  EXPECT_TRUE(isNull("  "));
  EXPECT_TRUE(isNull(";"));
  EXPECT_TRUE(isError("-x"));  // negating null throws
}

TEST(JexlTest, Comparisons) {
  EXPECT_EQ(eval("1 < 2"), "true");
  EXPECT_EQ(eval("2 lt 1"), "false");
  EXPECT_EQ(eval("3 >= 3"), "true");
  EXPECT_EQ(eval("3 <= 2"), "false");
  EXPECT_EQ(eval("3 > 2.5"), "true");
  EXPECT_EQ(eval("1 == 1"), "true");
  EXPECT_EQ(eval("1 == 1.0"), "true");
  EXPECT_EQ(eval("2 eq 2"), "true");
  EXPECT_EQ(eval("1 != 2"), "true");
  EXPECT_EQ(eval("\"1\" == 1"), "true");
  EXPECT_EQ(eval("'abc' == 'abc'"), "true");
  EXPECT_EQ(eval("'abc' != 'abd'"), "true");
  EXPECT_EQ(eval("\"10\" < \"9\""), "true");  // two strings compare lexicographically
  EXPECT_EQ(eval("\"10\" < 9"), "false");     // a number makes it numeric
  EXPECT_EQ(eval("'abc' < 'abd'"), "true");
  EXPECT_EQ(eval("null == null"), "true");
  EXPECT_EQ(eval("x == null"), "true");
  EXPECT_EQ(eval("x == 0"), "false");
  EXPECT_EQ(eval("x < 1"), "false");
  EXPECT_EQ(eval("x <= y"), "true");
  EXPECT_EQ(eval("true == 'true'"), "true");  // Boolean operand: both sides as booleans
  EXPECT_EQ(eval("false == ''"), "true");
  EXPECT_EQ(eval("false < true"), "true");
  EXPECT_TRUE(isError("'abc' == 1"));  // Long.parseLong("abc") escapes JEXL
  EXPECT_TRUE(isError("1 < 2 < 3"));   // relational operators do not chain in JEXL
  EXPECT_TRUE(isError("1 == 1 == true"));
}

TEST(JexlTest, BooleanOperators) {
  EXPECT_EQ(eval("true && false"), "false");
  EXPECT_EQ(eval("true and true"), "true");
  EXPECT_EQ(eval("false || true"), "true");
  EXPECT_EQ(eval("false or false"), "false");
  EXPECT_EQ(eval("1 || 0"), "true");
  EXPECT_EQ(eval("'a' && 'false'"), "false");
  EXPECT_EQ(eval("!true"), "false");
  EXPECT_EQ(eval("not false"), "true");
  EXPECT_EQ(eval("!x"), "true");
  EXPECT_EQ(eval("!''"), "true");
  EXPECT_EQ(eval("1 < 2 && 2 < 3 || false"), "true");
  EXPECT_EQ(eval("-true"), "false");  // JexlArithmetic.negate flips booleans
}

TEST(JexlTest, TernaryAndElvis) {
  EXPECT_EQ(eval("1 > 0 ? 'yes' : 'no'"), "yes");
  EXPECT_EQ(eval("1 < 0 ? 'yes' : 'no'"), "no");
  EXPECT_EQ(eval("x ? 1 : 2"), "2");
  EXPECT_EQ(eval("true ? false ? 1 : 2 : 3"), "2");
  EXPECT_EQ(eval("x ?: 'default'"), "default");
  EXPECT_EQ(eval("'set' ?: 'default'"), "set");
}

TEST(JexlTest, Bitwise) {
  EXPECT_EQ(eval("5 & 3"), "1");
  EXPECT_EQ(eval("5 | 3"), "7");
  EXPECT_EQ(eval("5 ^ 3"), "6");
  EXPECT_EQ(eval("~0"), "-1");
}

TEST(JexlTest, StatementsAndComments) {
  EXPECT_EQ(eval("1; 2"), "1");  // an expression is the script's first statement
  EXPECT_EQ(eval("1 + 1;"), "2");
  EXPECT_EQ(eval("1 + /* two */ 2"), "3");
  EXPECT_EQ(eval("1 + 2 ## comment"), "3");
}

TEST(JexlTest, ParseErrors) {
  EXPECT_TRUE(isError("2 +"));
  EXPECT_TRUE(isError("2 + #hello"));
  EXPECT_TRUE(isError("1 2"));
  EXPECT_TRUE(isError("(1 + 2"));
  EXPECT_TRUE(isError("'unterminated"));
  EXPECT_TRUE(isError("1 +* 2"));
  EXPECT_TRUE(isError("08"));    // "0" then "8": two expressions
  EXPECT_TRUE(isError("0x10"));  // Integer.valueOf cannot read hex
  EXPECT_TRUE(isError("size"));
  EXPECT_TRUE(isError("1 ? 2"));
}

TEST(JexlTest, RuntimeErrors) {
  EXPECT_TRUE(isError("'a' * 2"));
  EXPECT_TRUE(isError("'a' - 1"));
  EXPECT_TRUE(isError("-'a'"));
  EXPECT_TRUE(isError("true + 1"));
  EXPECT_TRUE(isError("1 + 1.5b"));  // BigDecimal literals are not supported
}

TEST(JexlTest, NothingCanBeExecuted) {
  EXPECT_TRUE(isError("foo.bar()"));
  EXPECT_TRUE(isError("java.lang.Runtime.getRuntime().exec('touch x')"));
  EXPECT_TRUE(isError("new('java.io.File', 'x')"));
  EXPECT_TRUE(isError("'abc'.length()"));
  EXPECT_TRUE(isError("math:abs(1)"));
  EXPECT_TRUE(isError("x = 1"));
  EXPECT_TRUE(isError("[1, 2]"));
  EXPECT_TRUE(isError("{'a': 1}"));
  EXPECT_TRUE(isError("a[0]"));
  EXPECT_TRUE(isError("if (true) 1"));
  EXPECT_TRUE(isError("while (true) 1"));
  EXPECT_TRUE(isError("empty(x)"));
  EXPECT_TRUE(isError("'a' =~ 'a'"));
}

TEST(JexlTest, DeepNestingIsRejectedNotCrashing) {
  std::string deep = std::string(5000, '(') + "1" + std::string(5000, ')');
  EXPECT_TRUE(isError(deep));
  EXPECT_TRUE(isError(std::string(5000, '-') + "1"));
  std::string shallow = std::string(20, '(') + "1" + std::string(20, ')');
  EXPECT_EQ(eval(shallow), "1");
  // Long flat operator runs are fine.
  std::string sum = "1";
  for (int i = 0; i < 10000; ++i) sum += "+1";
  EXPECT_EQ(eval(sum), "10001");
}

TEST(JexlTest, JavaDoubleToString) {
  EXPECT_EQ(javaDoubleToString(1.5), "1.5");
  EXPECT_EQ(javaDoubleToString(3.0), "3.0");
  EXPECT_EQ(javaDoubleToString(1e10), "1.0E10");
  EXPECT_EQ(javaDoubleToString(1e7), "1.0E7");
  EXPECT_EQ(javaDoubleToString(9999999.0), "9999999.0");
  EXPECT_EQ(javaDoubleToString(12345678.9), "1.23456789E7");
  EXPECT_EQ(javaDoubleToString(0.001), "0.001");
  EXPECT_EQ(javaDoubleToString(0.0001), "1.0E-4");
  EXPECT_EQ(javaDoubleToString(1.2345e-7), "1.2345E-7");
  EXPECT_EQ(javaDoubleToString(-2.5), "-2.5");
  EXPECT_EQ(javaDoubleToString(123456.789), "123456.789");
  EXPECT_EQ(javaDoubleToString(100.0), "100.0");
  EXPECT_EQ(javaDoubleToString(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(javaDoubleToString(0.0), "0.0");
  EXPECT_EQ(javaDoubleToString(-0.0), "-0.0");
  EXPECT_EQ(javaDoubleToString(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(javaDoubleToString(std::numeric_limits<double>::infinity()), "Infinity");
  EXPECT_EQ(javaDoubleToString(-std::numeric_limits<double>::infinity()), "-Infinity");
  EXPECT_EQ(javaFloatToString(0.1f), "0.1");
  EXPECT_EQ(javaFloatToString(1.1f), "1.1");
  EXPECT_EQ(javaFloatToString(3.0f), "3.0");
  EXPECT_EQ(javaFloatToString(1e10f), "1.0E10");
}

}  // namespace
}  // namespace azx
