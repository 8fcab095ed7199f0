#include "core/props_resolver.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "core/props.h"

namespace azx {
namespace {

using Map = std::map<std::string, std::string>;

Map resolveOk(const Map& flat) {
  Result<Map> result = resolveProps(flat);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  return result.ok() ? *result : Map{};
}

std::string errorOf(const Map& flat) {
  Result<Map> result = resolveProps(flat);
  EXPECT_FALSE(result.ok());
  return result.ok() ? "<ok>" : result.error().message;
}

std::string resolveOne(const std::string& value) {
  Result<Map> result = resolveProps(Map{{"key", value}});
  EXPECT_TRUE(result.ok()) << value << ": " << (result.ok() ? "" : result.error().message);
  return result.ok() ? result->at("key") : "<error>";
}

// PropsUtilsTest.testGoodResolveProps.
TEST(PropsResolverTest, GoodResolvePropsAcrossChain) {
  PropsPtr grandParent = Props::make();
  PropsPtr parent = Props::make(grandParent);
  PropsPtr props = Props::make(parent);
  props->put("letter", "a");
  parent->put("letter", "b");
  grandParent->put("letter", "c");
  parent->put("my", "name");
  parent->put("your", "eyes");
  grandParent->put("their", "ears");
  grandParent->put("your", "hair");
  props->put("res1", "${my}");
  props->put("res2", "${their} ${letter}");
  props->put("res7", "${my} ${res5}");
  parent->put("res3", "${your} ${their} ${res4}");
  grandParent->put("res4", "${letter}");
  grandParent->put("res5", "${their}");
  parent->put("res6", " t ${your} ${your} ${their} ${res5}");

  Result<Map> resolved = resolveProps(*props);
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_EQ(resolved->at("res1"), "name");
  EXPECT_EQ(resolved->at("res2"), "ears a");
  EXPECT_EQ(resolved->at("res3"), "eyes ears a");  // binds to the nearest `letter`
  EXPECT_EQ(resolved->at("res4"), "a");
  EXPECT_EQ(resolved->at("res5"), "ears");
  EXPECT_EQ(resolved->at("res6"), " t eyes eyes ears ears");
  EXPECT_EQ(resolved->at("res7"), "name ears");
  EXPECT_EQ(resolved->at("letter"), "a");
  EXPECT_EQ(resolved->size(), props->keys().size());
}

TEST(PropsResolverTest, LateBindingOfLowLevelReference) {
  PropsPtr shared = Props::fromMap({{"out", "${base}/x"}, {"base", "/shared"}});
  PropsPtr job = Props::fromMap({{"base", "/job"}}, shared);
  Result<Map> resolved = resolveProps(*job);
  ASSERT_TRUE(resolved.ok()) << resolved.error().message;
  EXPECT_EQ(resolved->at("out"), "/job/x");
  Result<Map> sharedOnly = resolveProps(*shared);
  ASSERT_TRUE(sharedOnly.ok());
  EXPECT_EQ(sharedOnly->at("out"), "/shared/x");
}

// PropsUtilsTest.testInvalidSyntax.
TEST(PropsResolverTest, UnknownIdentifierExpressionStays) {
  PropsPtr parent = Props::fromMap({{"my", "name"}});
  PropsPtr props = Props::fromMap({{"res1", "$(my)"}}, parent);
  Result<Map> resolved = resolveProps(*props);
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ(resolved->at("res1"), "$(my)");
}

// PropsUtilsTest.testExpressionResolution.
TEST(PropsResolverTest, ExpressionResolution) {
  Map resolved = resolveOk({{"normkey", "normal"},
                            {"num1", "1"},
                            {"num2", "2"},
                            {"num3", "3"},
                            {"variablereplaced", "${num1}"},
                            {"expression1", "$(1+10)"},
                            {"expression2", "$(1+10)*2"},
                            {"expression3", "$($(${num1} + ${num3})*10)"},
                            {"expression4", "$(${num1} + ${expression3})"},
                            {"expression5", "$($($(2+3)) + 3) + $(${expression3} + 1)"},
                            {"expression6", "$(1 + ${normkey})"},
                            {"expression7", "$(\"${normkey}\" + 1)"},
                            {"expression8", "${expression1}"},
                            {"expression9", "$((2+3) + 3)"}});
  EXPECT_EQ(resolved.at("normkey"), "normal");
  EXPECT_EQ(resolved.at("num1"), "1");
  EXPECT_EQ(resolved.at("num2"), "2");
  EXPECT_EQ(resolved.at("num3"), "3");
  EXPECT_EQ(resolved.at("variablereplaced"), "1");
  EXPECT_EQ(resolved.at("expression1"), "11");
  EXPECT_EQ(resolved.at("expression2"), "11*2");
  EXPECT_EQ(resolved.at("expression3"), "40");
  EXPECT_EQ(resolved.at("expression4"), "41");
  EXPECT_EQ(resolved.at("expression5"), "8 + 41");
  EXPECT_EQ(resolved.at("expression6"), "1");
  EXPECT_EQ(resolved.at("expression7"), "normal1");
  EXPECT_EQ(resolved.at("expression8"), "11");
  EXPECT_EQ(resolved.at("expression9"), "8");
}

TEST(PropsResolverTest, SpecExpressionExamples) {
  EXPECT_EQ(resolveOne("$(1+10)"), "11");
  EXPECT_EQ(resolveOne("$(7/2)"), "3");
  EXPECT_EQ(resolveOne("$(\"normal\" + 1)"), "normal1");
  EXPECT_EQ(resolveOne("$(\"2\"+1)"), "3");
  EXPECT_EQ(resolveOne("$(1 + normal)"), "1");
  EXPECT_EQ(resolveOne("$(my)"), "$(my)");
  EXPECT_EQ(resolveOne("$(1+10)*2"), "11*2");
  EXPECT_EQ(resolveOne("$( $(1+2) * 2 )"), "6");
  EXPECT_EQ(resolveOne("x=$(1 < 2) y=$(1 > 2 ? 'a' : 'b')"), "x=true y=b");
  EXPECT_EQ(resolveOne("$(7.0/2)"), "3.5");
  EXPECT_EQ(resolveOne("no expressions here"), "no expressions here");
}

TEST(PropsResolverTest, NullResultStopsTheScanAndKeepsTheText) {
  // Scanning runs right to left and stops at the first null result.
  EXPECT_EQ(resolveOne("$(1+1) $(my)"), "$(1+1) $(my)");
  EXPECT_EQ(resolveOne("$(my) $(1+1)"), "$(my) 2");
  EXPECT_EQ(resolveOne("$(1+1) $(2+2)"), "2 4");
  EXPECT_EQ(resolveOne("$()"), "$()");
  // The inner result is kept when the outer expression is null.
  EXPECT_EQ(resolveOne("$(true ? x : $(1+1))"), "$(true ? x : 2)");
}

TEST(PropsResolverTest, ShellCommandSubstitutionQuirks) {
  // A command line's $(...) is JEXL too: an unknown identifier keeps the text, null - null is 0,
  // and two adjacent identifiers are a parse error that fails the job.
  EXPECT_EQ(resolveOne("echo $(date)"), "echo $(date)");
  EXPECT_EQ(resolveOne("echo $(ls -la)"), "echo 0");
  std::string error = errorOf({{"command", "echo $(echo hi)"}});
  EXPECT_EQ(error.rfind("Expression echo $(echo hi) not well formed. ", 0), 0u) << error;
}

TEST(PropsResolverTest, ExpressionsSeeSubstitutedValues) {
  Map resolved = resolveOk({{"n", "5"}, {"twice", "$(${n} * 2)"}, {"text", "$('${n}' + 'x')"}});
  EXPECT_EQ(resolved.at("twice"), "10");
  EXPECT_EQ(resolved.at("text"), "5x");
}

// PropsUtilsTest.testMalformedExpressionProps with the exact texts of spec 2.6.
TEST(PropsResolverTest, MalformedExpressions) {
  EXPECT_EQ(errorOf({{"key", "$(1+2"}}), "Expression $(1+2 not well formed.");
  EXPECT_EQ(errorOf({{"key", "$((1+2)"}}), "Expression $((1+2) not well formed.");
  EXPECT_EQ(errorOf({{"key", "$(${dontexist}+2)"}}),
            "Could not find variable substitution for variable(s) [key->dontexist]");
  std::string badExpression = errorOf({{"key", "$(2 +)"}});
  EXPECT_EQ(badExpression.rfind("Expression $(2 +) not well formed. ", 0), 0u) << badExpression;
  std::string badToken = errorOf({{"key", "$(2 + #hello)"}});
  EXPECT_EQ(badToken.rfind("Expression $(2 + #hello) not well formed. ", 0), 0u) << badToken;
  // The message shows the value as it is when the failing expression is reached.
  std::string partial = errorOf({{"key", "$(1 +) $(2+2)"}});
  EXPECT_EQ(partial.rfind("Expression $(1 +) 4 not well formed. ", 0), 0u) << partial;
  std::string runtime = errorOf({{"key", "$('a' * 2)"}});
  EXPECT_EQ(runtime.rfind("Expression $('a' * 2) not well formed. ", 0), 0u) << runtime;
}

TEST(PropsResolverTest, MissingVariable) {
  EXPECT_EQ(errorOf({{"a", "${b}"}}),
            "Could not find variable substitution for variable(s) [a->b]");
  EXPECT_EQ(errorOf({{"a", "x ${b} y"}, {"b", "${c}"}}),
            "Could not find variable substitution for variable(s) [a->b->c]");
}

// PropsUtilsTest.testCyclesResolveProps, with the messages of spec 2.6.
TEST(PropsResolverTest, CircularSubstitution) {
  EXPECT_EQ(errorOf({{"a", "${a}"}}), "Circular variable substitution found: [a] -> [a]");
  EXPECT_EQ(errorOf({{"a", "${b}"}, {"b", "${a}"}}),
            "Circular variable substitution found: [a->b] -> [a]");

  PropsPtr grandParent = Props::make();
  PropsPtr parent = Props::make(grandParent);
  PropsPtr props = Props::make(parent);
  props->put("a", "${b}");
  props->put("b", "${c}");
  parent->put("d", "${a}");
  Result<Map> missing = resolveProps(*props);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message,
            "Could not find variable substitution for variable(s) [a->b->c]");

  props->put("a", "testing ${b}");
  grandParent->put("c", "${d}");
  Result<Map> cycle = resolveProps(*props);
  ASSERT_FALSE(cycle.ok());
  EXPECT_EQ(cycle.error().message, "Circular variable substitution found: [a->b->c->d] -> [a]");

  props->put("a", "testing ${c} ${b}");
  props->put("b", "${c} test");
  Result<Map> cycle2 = resolveProps(*props);
  ASSERT_FALSE(cycle2.ok());
  EXPECT_EQ(cycle2.error().message, "Circular variable substitution found: [a->c->d] -> [a]");
}

TEST(PropsResolverTest, OnlySimpleNamesAreReferences) {
  Map resolved = resolveOk({{"a-b", "x"},
                            {"k1", "${a-b}"},
                            {"k2", "$name"},
                            {"k3", "${}"},
                            {"k4", "${ a}"},
                            {"k5", "{a}"},
                            {"dotted.name_1", "v"},
                            {"k6", "${dotted.name_1}"}});
  EXPECT_EQ(resolved.at("k1"), "${a-b}");
  EXPECT_EQ(resolved.at("k2"), "$name");
  EXPECT_EQ(resolved.at("k3"), "${}");
  EXPECT_EQ(resolved.at("k4"), "${ a}");
  EXPECT_EQ(resolved.at("k5"), "{a}");
  EXPECT_EQ(resolved.at("k6"), "v");
}

TEST(PropsResolverTest, NestedNamesReplaceOnlyTheInnerReference) {
  Map resolved = resolveOk({{"b", "1"}, {"a1", "found"}, {"k", "${a${b}}"}});
  // The output is not rescanned, so ${a1} stays literal even though a1 exists.
  EXPECT_EQ(resolved.at("k"), "${a1}");
}

TEST(PropsResolverTest, SubstitutedTextIsNotRescanned) {
  Map resolved = resolveOk({{"open", "${"}, {"name", "x"}, {"x", "X"}, {"k", "${open}name}"}});
  EXPECT_EQ(resolved.at("k"), "${name}");
}

TEST(PropsResolverTest, RepeatedAndSharedReferences) {
  Map resolved = resolveOk({{"a", "${b}${b}-${c}"}, {"b", "${c}"}, {"c", "z"}, {"d", "${a}${a}"}});
  EXPECT_EQ(resolved.at("a"), "zz-z");
  EXPECT_EQ(resolved.at("d"), "zz-zzz-z");
}

TEST(PropsResolverTest, EmptyValuesResolveToEmpty) {
  Map resolved = resolveOk({{"empty", ""}, {"k", "[${empty}]"}});
  EXPECT_EQ(resolved.at("k"), "[]");
}

TEST(PropsResolverTest, LongReferenceChain) {
  Map flat;
  const int n = 3000;
  for (int i = 0; i < n; ++i) flat["k" + std::to_string(i)] = "${k" + std::to_string(i + 1) + "}";
  flat["k" + std::to_string(n)] = "end";
  Map resolved = resolveOk(flat);
  EXPECT_EQ(resolved.at("k0"), "end");
  EXPECT_EQ(resolved.at("k1500"), "end");
}

TEST(PropsResolverTest, SingleValueHelpers) {
  Map flat{{"a", "1"}, {"b", "${a}${a}"}};
  Result<std::string> substituted = substituteVariables("${b}+${a}", flat);
  ASSERT_TRUE(substituted.ok());
  EXPECT_EQ(*substituted, "11+1");
  Result<std::string> value = resolveValue("$(${b}+${a})", flat);
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, "12");
  Result<std::string> missing = resolveValue("${x}", flat);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "Could not find variable substitution for variable(s) [x]");
  Result<std::string> expressed = resolveExpressions("$(2*3) and $(4)");
  ASSERT_TRUE(expressed.ok());
  EXPECT_EQ(*expressed, "6 and 4");
}

}  // namespace
}  // namespace azx
