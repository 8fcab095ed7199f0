#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace azx::aws {

// Environment lookup, injectable so providers and endpoint resolution are testable without
// mutating the process environment (setenv is not thread-safe). Empty values count as unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Reads the process environment.
EnvLookup processEnv();
// Reads a fixed map (tests, or a snapshot).
EnvLookup mapEnv(std::map<std::string, std::string> values);

// First non-empty value among names, or nullopt.
std::optional<std::string> firstEnv(const EnvLookup& env, std::initializer_list<const char*> names);
// True for "true"/"1"/"yes" in any case.
bool envFlag(const EnvLookup& env, const char* name);

}  // namespace azx::aws
