#include "core/condition_expression.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace azx {
namespace {

bool eval(const std::string& expression) { return evaluateConditionExpression(expression); }

TEST(ConditionExpressionTest, SpecExamples) {
  EXPECT_TRUE(eval("'1' == 1"));
  EXPECT_TRUE(eval("'01' == 1"));
  EXPECT_FALSE(eval("'a' == 1"));
  EXPECT_FALSE(eval("'a' || true"));  // yields 'a', which is not a boolean
  EXPECT_TRUE(eval("'foo' == 'foo' && true"));
  EXPECT_FALSE(eval("'foo' == 'bar' && true"));
}

TEST(ConditionExpressionTest, LooseEquality) {
  EXPECT_TRUE(eval("1 == 1"));
  EXPECT_TRUE(eval("\"abc\" == 'abc'"));
  EXPECT_FALSE(eval("'abc' == 'ABC'"));
  EXPECT_FALSE(eval("'1' == '01'"));  // two strings compare exactly
  EXPECT_TRUE(eval("'a' != 1"));
  EXPECT_TRUE(eval("'1' != 2"));
  EXPECT_FALSE(eval("'1' != 1"));
  EXPECT_TRUE(eval("'' == 0"));
  EXPECT_TRUE(eval("' 12 ' == 12"));
  EXPECT_TRUE(eval("'1e3' == 1000"));
  EXPECT_TRUE(eval("'0x10' == 16"));
  EXPECT_TRUE(eval("'1.50' == 1.5"));
  EXPECT_TRUE(eval("true == 1"));
  EXPECT_TRUE(eval("true == '1'"));
  EXPECT_FALSE(eval("true == 'true'"));
  EXPECT_TRUE(eval("null == null"));
  EXPECT_TRUE(eval("undefined == null"));
  EXPECT_FALSE(eval("null == 0"));
  EXPECT_FALSE(eval("NaN == NaN"));
  EXPECT_TRUE(eval("1 === 1"));
  EXPECT_FALSE(eval("'1' === 1"));
  EXPECT_TRUE(eval("'1' !== 1"));
  EXPECT_TRUE(eval("1 == 1 == true"));  // left-associative: (1 == 1) == true
}

TEST(ConditionExpressionTest, NumericLiterals) {
  EXPECT_TRUE(eval("10 == 10"));
  EXPECT_TRUE(eval("010 == 8"));  // legacy octal
  EXPECT_TRUE(eval("09 == 9"));
  EXPECT_TRUE(eval("0x1F == 31"));
  EXPECT_TRUE(eval("1.5 > 1"));
  EXPECT_TRUE(eval("-1 < 0"));
  EXPECT_TRUE(eval("+'3' == 3"));
  EXPECT_FALSE(eval("1abc == 1"));  // identifier right after a number is a syntax error
}

TEST(ConditionExpressionTest, Relational) {
  EXPECT_TRUE(eval("'10' > 9"));
  EXPECT_FALSE(eval("'10' > '9'"));  // both strings: lexicographic
  EXPECT_TRUE(eval("'abc' < 'abd'"));
  EXPECT_TRUE(eval("'ab' < 'abc'"));
  EXPECT_TRUE(eval("2 >= 2"));
  EXPECT_TRUE(eval("2 <= 2"));
  EXPECT_FALSE(eval("1 <= 0"));
  EXPECT_TRUE(eval("1 < 2"));
  EXPECT_FALSE(eval("2 < 1"));
  EXPECT_TRUE(eval("3 > 2"));
  // NaN makes every comparison false.
  EXPECT_FALSE(eval("'a' < 1"));
  EXPECT_FALSE(eval("'a' >= 1"));
  EXPECT_FALSE(eval("'a' <= 1"));
  EXPECT_FALSE(eval("'a' > 1"));
  EXPECT_TRUE(eval("'\xC3\xA9' > 'z'"));  // U+00E9 sorts after 'z'
  EXPECT_TRUE(eval("1 < 2 < 3"));
  EXPECT_FALSE(eval("3 > 2 > 1"));  // (true) > 1 is 1 > 1
  EXPECT_TRUE(eval("null < 1"));
  EXPECT_TRUE(eval("null >= 0"));
}

TEST(ConditionExpressionTest, LogicalOperatorsReturnOperands) {
  EXPECT_TRUE(eval("true && true"));
  EXPECT_FALSE(eval("true && false"));
  EXPECT_TRUE(eval("false || true"));
  EXPECT_TRUE(eval("true || 'a'"));
  EXPECT_TRUE(eval("'a' && true"));
  EXPECT_FALSE(eval("true && 'a'"));
  EXPECT_TRUE(eval("'' || true"));
  EXPECT_FALSE(eval("0 || 1"));
  EXPECT_TRUE(eval("1 && 0 || true"));
  EXPECT_TRUE(eval("false || false || true"));
  EXPECT_FALSE(eval("false && true || false"));
  EXPECT_TRUE(eval("true || false && false"));  // && binds tighter
}

TEST(ConditionExpressionTest, NotAndParentheses) {
  EXPECT_TRUE(eval("!false"));
  EXPECT_FALSE(eval("!true"));
  EXPECT_FALSE(eval("!'a'"));
  EXPECT_TRUE(eval("!!'a'"));
  EXPECT_TRUE(eval("!''"));
  EXPECT_TRUE(eval("!(1 == 2)"));
  EXPECT_TRUE(eval("(1 == 1) && (2 == 2)"));
  EXPECT_TRUE(eval("((('a' == 'a')))"));
  EXPECT_FALSE(eval("!(true && ('x' == 'x'))"));
}

TEST(ConditionExpressionTest, OnlyTheBooleanTrueCounts) {
  EXPECT_TRUE(eval("true"));
  EXPECT_FALSE(eval("false"));
  EXPECT_FALSE(eval("1"));
  EXPECT_FALSE(eval("'true'"));
  EXPECT_FALSE(eval("null"));
  EXPECT_FALSE(eval(""));
  EXPECT_FALSE(eval("   "));
  EXPECT_TRUE(eval("true;"));
  EXPECT_TRUE(eval("  true  // comment"));
  EXPECT_TRUE(eval("/* c */ true"));
  EXPECT_FALSE(tryEvaluateConditionExpression("'a'").ok());
  Result<bool> nullResult = tryEvaluateConditionExpression("null");
  ASSERT_TRUE(nullResult.ok());
  EXPECT_FALSE(*nullResult);
}

TEST(ConditionExpressionTest, StringEscapes) {
  EXPECT_TRUE(eval("'a\\'b' == \"a'b\""));
  EXPECT_TRUE(eval("'\\u0041' == 'A'"));
  EXPECT_TRUE(eval("'\\x41' == 'A'"));
  EXPECT_TRUE(eval("'a\\tb' != 'atb'"));
  EXPECT_TRUE(eval("'\\q' == 'q'"));
  EXPECT_TRUE(eval("'\\101' == 'A'"));
  EXPECT_FALSE(eval("'\\u00' == 'x'"));
}

TEST(ConditionExpressionTest, ErrorsAreFalse) {
  EXPECT_FALSE(eval("${job:param} == 'x'"));  // unresolved reference
  EXPECT_FALSE(eval("true || ${a:b}"));       // a syntax error anywhere
  EXPECT_FALSE(eval("foo || true"));          // ReferenceError
  EXPECT_TRUE(eval("true || foo"));           // never evaluated, like JavaScript
  EXPECT_FALSE(eval("1 +"));
  EXPECT_FALSE(eval("'abc"));
  EXPECT_FALSE(eval("(true"));
  EXPECT_FALSE(eval("true)"));
  EXPECT_FALSE(eval("a.b"));
  EXPECT_FALSE(eval("true true"));
  EXPECT_FALSE(eval("x = true"));
  EXPECT_FALSE(eval("typeof x == 'undefined'"));
  EXPECT_FALSE(eval("'a\nb' == 'a'"));  // raw line break inside a literal
  EXPECT_FALSE(eval("1 << 2 == 4"));
  EXPECT_FALSE(eval(std::string(5000, '(') + "true" + std::string(5000, ')')));
  EXPECT_FALSE(eval(std::string(5000, '!') + "false"));
  EXPECT_TRUE(eval(std::string(20, '(') + "true" + std::string(20, ')')));
  std::string run = "true";
  for (int i = 0; i < 10000; ++i) run += " && true";
  EXPECT_TRUE(eval(run));
}

TEST(ConditionExpressionTest, InjectionCannotExecute) {
  auto marker = std::filesystem::temp_directory_path() /
                ("azx_condition_injection_" +
                 std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::filesystem::remove(marker);
  std::string path = marker.string();
  EXPECT_FALSE(eval("java.lang.Runtime.getRuntime().exec('touch " + path + "')"));
  EXPECT_FALSE(eval("java.lang.Runtime.getRuntime().exec('touch " + path + "') || true"));
  EXPECT_FALSE(eval("true && java.lang.System.exit(1)"));
  EXPECT_FALSE(eval("(function(){ return true; })()"));
  EXPECT_FALSE(eval("new java.io.File('" + path + "').createNewFile()"));
  EXPECT_FALSE(eval("this.print('x')"));
  EXPECT_FALSE(std::filesystem::exists(marker));
}

// ----------------------------------------------------------------------------------------------

std::string substitute(const std::string& expression,
                       const std::map<std::pair<std::string, std::string>, std::string>& outputs,
                       std::vector<std::pair<std::string, std::string>>* asked = nullptr) {
  return substituteConditionReferences(
      expression,
      [&](const std::string& job, const std::string& param) -> std::optional<std::string> {
        if (asked != nullptr) asked->emplace_back(job, param);
        auto it = outputs.find({job, param});
        if (it == outputs.end()) return std::nullopt;
        return it->second;
      });
}

TEST(ConditionSubstitutionTest, MacrosBecomeTrue) {
  EXPECT_EQ(substitute("all_success", {}), "true");
  EXPECT_EQ(substitute("ALL_DONE && 1 == 1", {}), "true && 1 == 1");
  EXPECT_EQ(substitute("one_failed || one_failed", {}), "true || true");
  EXPECT_EQ(substitute("(One_Success)", {}), "(true)");
  EXPECT_EQ(substitute("all_failed", {}), "true");
  EXPECT_TRUE(eval(substitute("all_done && '1' == 1", {})));
  // Not whole words: untouched.
  EXPECT_EQ(substitute("all_successful || xall_done", {}), "all_successful || xall_done");
}

TEST(ConditionSubstitutionTest, MacroReplacementQuirksOfFlowRunner) {
  // Only the first macro found is replaced, by its exact text, wherever that text occurs.
  EXPECT_EQ(substitute("ALL_DONE && all_done", {}), "true && all_done");
  std::vector<std::pair<std::string, std::string>> asked;
  EXPECT_EQ(substitute("all_done && ${all_done_job:p} == '1'", {}, &asked),
            "true && ${true_job:p} == '1'");
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].first, "true_job");
}

TEST(ConditionSubstitutionTest, ReferencesAreQuoted) {
  std::map<std::pair<std::string, std::string>, std::string> outputs{{{"jobA", "param1"}, "1"},
                                                                     {{"jobB", "status"}, "ok"}};
  std::string replaced = substitute("${jobA:param1} == 1 && ${jobB:status} == 'ok'", outputs);
  EXPECT_EQ(replaced, "'1' == 1 && 'ok' == 'ok'");
  EXPECT_TRUE(eval(replaced));
  EXPECT_EQ(substitute("${jobA:param1} > 0 || ${jobA:param1} < 0", outputs), "'1' > 0 || '1' < 0");
}

TEST(ConditionSubstitutionTest, UnresolvedReferencesStayAndFail) {
  std::map<std::pair<std::string, std::string>, std::string> outputs{{{"jobA", "p"}, "1"}};
  std::string replaced = substitute("${jobA:p} == 1 && ${jobB:p} == 1", outputs);
  EXPECT_EQ(replaced, "'1' == 1 && ${jobB:p} == 1");
  EXPECT_FALSE(eval(replaced));
}

TEST(ConditionSubstitutionTest, OnlyWellFormedReferencesAreLookedUp) {
  std::vector<std::pair<std::string, std::string>> asked;
  std::string text = "${a} ${a:b:c} ${:b} ${a:} ${x y:p q}";
  EXPECT_EQ(substitute(text, {}, &asked), text);
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0], std::make_pair(std::string("x y"), std::string("p q")));
}

TEST(ConditionSubstitutionTest, ValuesAreNotEscaped) {
  std::map<std::pair<std::string, std::string>, std::string> outputs{{{"j", "p"}, "x' == 'x"}};
  std::string replaced = substitute("${j:p}", outputs);
  EXPECT_EQ(replaced, "'x' == 'x'");
  EXPECT_TRUE(eval(replaced));
}

}  // namespace
}  // namespace azx
