#pragma once

#include <map>
#include <string>

#include "core/props.h"
#include "core/result.h"

namespace azx {

// Azkaban's PropsUtils.resolveProps (spec 2.6) on the merged view of the whole chain: first every
// `${name}` is substituted recursively (so a reference in a low level binds to the value the job
// sees), then every value's `$(...)` expressions are evaluated right to left as JEXL.
// Errors carry Azkaban's texts, e.g.
//   Could not find variable substitution for variable(s) [a->b]
//   Circular variable substitution found: [a->b] -> [a]
//   Expression $(1+2 not well formed.
Result<std::map<std::string, std::string>> resolveProps(const Props& props);
Result<std::map<std::string, std::string>> resolveProps(
    const std::map<std::string, std::string>& flat);

// Substitution step for one value against a flat view (no key is being resolved, so only
// references reachable from `value` take part in cycle detection).
Result<std::string> substituteVariables(const std::string& value,
                                        const std::map<std::string, std::string>& flat);

// Expression step for one value: `$(...)` scanned from the right, evaluated with JEXL.
Result<std::string> resolveExpressions(const std::string& value);

// Both steps for a single value.
Result<std::string> resolveValue(const std::string& value,
                                 const std::map<std::string, std::string>& flat);

}  // namespace azx
