#include "core/props_resolver.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "core/jexl.h"

namespace azx {
namespace {

// Bounds recursion on absurdly long reference chains (Java would overflow its stack).
constexpr size_t kMaxSubstitutionDepth = 10000;
// Bounds the right-to-left expression loop; each step normally consumes one `$(`.
constexpr size_t kMaxExpressionSteps = 100000;

bool isNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.';
}

// Finds the next match of \$\{([a-zA-Z_.0-9]+)\} at or after `from`. Returns its start and sets
// `closeBrace` to the index of its `}`.
size_t findReference(const std::string& value, size_t from, size_t& closeBrace) {
  for (size_t pos = value.find("${", from); pos != std::string::npos;
       pos = value.find("${", pos + 1)) {
    size_t end = pos + 2;
    while (end < value.size() && isNameChar(value[end])) ++end;
    if (end > pos + 2 && end < value.size() && value[end] == '}') {
      closeBrace = end;
      return pos;
    }
  }
  return std::string::npos;
}

std::string joinChain(const std::vector<std::string>& chain) {
  std::string out;
  for (size_t i = 0; i < chain.size(); ++i) {
    if (i > 0) out += "->";
    out += chain[i];
  }
  return out;
}

// PropsUtils.resolveVariableReplacement with its ordered "visited" set.
class Substituter {
 public:
  explicit Substituter(const std::map<std::string, std::string>& flat) : flat_(flat) {}

  Result<std::string> resolveKey(const std::string& key, const std::string& value) {
    visited_.assign(1, key);
    return substitute(value, 0);
  }

  Result<std::string> resolveFree(const std::string& value) {
    visited_.clear();
    return substitute(value, 0);
  }

 private:
  Result<std::string> substitute(const std::string& value, size_t depth) {
    std::string out;
    size_t start = 0;
    size_t closeBrace = 0;
    for (size_t pos = findReference(value, start, closeBrace); pos != std::string::npos;
         pos = findReference(value, start, closeBrace)) {
      out.append(value, start, pos - start);
      std::string name = value.substr(pos + 2, closeBrace - pos - 2);
      if (std::find(visited_.begin(), visited_.end(), name) != visited_.end()) {
        return Error{"Circular variable substitution found: [" + joinChain(visited_) + "] -> [" +
                     name + "]"};
      }
      visited_.push_back(name);
      auto it = flat_.find(name);
      if (it == flat_.end()) {
        return Error{"Could not find variable substitution for variable(s) [" +
                     joinChain(visited_) + "]"};
      }
      // A key that resolved once resolves to the same text from any path (a failure would
      // have been a cycle through it), so successes can be reused.
      auto cached = resolved_.find(name);
      if (cached != resolved_.end()) {
        out += cached->second;
      } else {
        if (depth + 1 > kMaxSubstitutionDepth) {
          return Error{"Variable substitution nested too deeply: [" + joinChain(visited_) + "]"};
        }
        Result<std::string> replacement = substitute(it->second, depth + 1);
        if (!replacement) return replacement;
        out += *replacement;
        resolved_.emplace(name, *replacement);
      }
      visited_.pop_back();
      start = closeBrace + 1;
    }
    out.append(value, start, std::string::npos);
    return out;
  }

  const std::map<std::string, std::string>& flat_;
  std::vector<std::string> visited_;
  std::map<std::string, std::string> resolved_;
};

}  // namespace

Result<std::string> resolveExpressions(const std::string& value) {
  std::string current = value;
  size_t last = current.size();
  for (size_t step = 0; step < kMaxExpressionSteps; ++step) {
    // String.lastIndexOf("$(", last): the rightmost start at or before `last`.
    size_t start = current.rfind("$(", last);
    if (start == std::string::npos) return current;
    int depth = 0;
    size_t close = start + 2;
    for (; close < current.size(); ++close) {
      if (current[close] == '(') {
        ++depth;
      } else if (current[close] == ')') {
        if (--depth == -1) break;
      }
    }
    if (close >= current.size()) return Error{"Expression " + current + " not well formed."};
    Result<std::optional<std::string>> result =
        evaluateJexlExpression(std::string_view(current).substr(start + 2, close - start - 2));
    if (!result) {
      return Error{"Expression " + current + " not well formed. " + result.error().message};
    }
    // A null result (e.g. an unknown identifier) stops the scan and keeps the text as it is.
    if (!result->has_value()) return current;
    current = current.substr(0, start) + **result + current.substr(close + 1);
    last = start;
  }
  return Error{"Expression " + current + " not well formed. Too many nested expressions"};
}

Result<std::string> substituteVariables(const std::string& value,
                                        const std::map<std::string, std::string>& flat) {
  Substituter substituter(flat);
  return substituter.resolveFree(value);
}

Result<std::string> resolveValue(const std::string& value,
                                 const std::map<std::string, std::string>& flat) {
  Result<std::string> substituted = substituteVariables(value, flat);
  if (!substituted) return substituted;
  return resolveExpressions(*substituted);
}

Result<std::map<std::string, std::string>> resolveProps(
    const std::map<std::string, std::string>& flat) {
  std::map<std::string, std::string> resolved;
  Substituter substituter(flat);
  // Like Azkaban: substitute every key first, then evaluate expressions on the results. Most
  // values hold no `$` at all and come out as they went in.
  for (const auto& [key, value] : flat) {
    if (value.find('$') == std::string::npos) {
      resolved.emplace_hint(resolved.end(), key, value);
      continue;
    }
    Result<std::string> substituted = substituter.resolveKey(key, value);
    if (!substituted) return substituted.error();
    resolved.emplace_hint(resolved.end(), key, std::move(*substituted));
  }
  for (auto& [key, value] : resolved) {
    if (value.find("$(") == std::string::npos) continue;
    Result<std::string> expressed = resolveExpressions(value);
    if (!expressed) return expressed.error();
    value = std::move(*expressed);
  }
  return resolved;
}

Result<std::map<std::string, std::string>> resolveProps(const Props& props) {
  return resolveProps(props.flatten());
}

}  // namespace azx
