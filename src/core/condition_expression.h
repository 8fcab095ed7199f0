#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace azx {

// Evaluates a Flow 2.0 condition the way Azkaban's Nashorn call does (spec 4.6 step 3): true only
// if the expression's value is the boolean true. A small JavaScript subset is interpreted, never
// executed: string literals ('..' / ".."), numeric literals, true/false/null/undefined/NaN/
// Infinity, parentheses, unary ! - +, == != === !== with JavaScript semantics, < <= > >=, and
// && || returning one of their operands. Any syntax error, unknown identifier (such as an
// unresolved ${job:param}) or non-boolean result is false.
bool evaluateConditionExpression(std::string_view expression);

// As above, but distinguishes an evaluation error (for logging) from a false result.
Result<bool> tryEvaluateConditionExpression(std::string_view expression);

using ConditionLookup =
    std::function<std::optional<std::string>(const std::string& job, const std::string& param)>;

// Spec 4.6 steps 1-2, with FlowRunner.isConditionOnRuntimeVariableMet's exact text handling:
// the first whole-word, case-insensitive macro (all_success, all_failed, all_done, one_failed,
// one_success) is found and every occurrence of that exact text is replaced by `true`; then for
// every ${job:param} (neither part containing ':', '{', '}') whose lookup yields a value, all
// occurrences of that reference are replaced by the value in single quotes (no escaping).
// Unresolved references are left as they are.
std::string substituteConditionReferences(std::string expression, const ConditionLookup& lookup);

}  // namespace azx
