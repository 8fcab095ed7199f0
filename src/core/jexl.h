#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace azx {

// Evaluates `expression` the way Azkaban's PropsUtils does with Apache Commons JEXL 2.1: a fresh
// lenient engine and an empty context. Only the side-effect free subset is implemented: number,
// string, boolean and null literals, identifiers (always null), + - * / %, comparisons, == !=,
// && || !, bitwise & | ^ ~, ?: and ?:-elvis, parentheses, `;`-separated statements (the first
// one is the value). Method calls, functions, `new`, arrays, maps, assignments and control
// statements are rejected with an Error instead of being run.
//
// Returns nullopt for a null result, otherwise the result as Java's toString() prints it
// (integers without decimals, doubles as Double.toString, booleans true/false). Parse errors and
// errors Java would throw (e.g. "a" * 2, -null) are returned as Error.
Result<std::optional<std::string>> evaluateJexlExpression(std::string_view expression);

// Java's Double.toString / Float.toString: shortest round-trip digits, plain notation for
// 1e-3 <= |v| < 1e7 ("1.5", "3.0"), otherwise computerized scientific notation ("1.0E10").
std::string javaDoubleToString(double value);
std::string javaFloatToString(float value);

}  // namespace azx
