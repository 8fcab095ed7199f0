#include "aws/common/env.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace azx::aws {

EnvLookup processEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
}

EnvLookup mapEnv(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
}

std::optional<std::string> firstEnv(const EnvLookup& env,
                                    std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (auto v = env(n)) return v;
  }
  return std::nullopt;
}

bool envFlag(const EnvLookup& env, const char* name) {
  auto v = env(name);
  if (!v) return false;
  std::string s = *v;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s == "true" || s == "1" || s == "yes";
}

}  // namespace azx::aws
