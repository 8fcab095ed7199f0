#include "aws/credentials/profile_file.h"

#include <cctype>
#include <fstream>
#include <sstream>

#include "core/java_properties.h"  // readFileBytes

namespace azx::aws {
namespace {

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string expandHome(const std::string& path, const EnvLookup& env) {
  if (path.starts_with("~/")) {
    if (auto home = env("HOME")) return *home + path.substr(1);
  }
  return path;
}

}  // namespace

ProfileMap parseProfileIni(std::string_view text, bool configFile) {
  ProfileMap out;
  ProfileSection* current = nullptr;
  std::istringstream in{std::string(text)};
  std::string raw;
  while (std::getline(in, raw)) {
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    bool indented = !raw.empty() && (raw[0] == ' ' || raw[0] == '\t');
    std::string line = trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      size_t close = line.find(']');
      std::string name =
          trim(line.substr(1, close == std::string::npos ? std::string::npos : close - 1));
      current = nullptr;
      if (configFile) {
        if (name.starts_with("profile ") || name.starts_with("profile\t")) {
          name = trim(name.substr(8));
        } else if (name != "default") {
          continue;  // sso-session, services, ... sections are not profiles
        }
      }
      if (!name.empty()) current = &out[name];
      continue;
    }
    if (current == nullptr || indented) continue;  // nested sub-section values
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = trim(line.substr(0, eq));
    std::string value = trim(line.substr(eq + 1));
    // Inline comments need whitespace before the marker, as in botocore.
    for (const char* marker : {" #", " ;", "\t#", "\t;"}) {
      if (size_t c = value.find(marker); c != std::string::npos) value = trim(value.substr(0, c));
    }
    (*current)[key] = value;
  }
  return out;
}

SharedProfiles loadSharedProfiles(const EnvLookup& env) {
  SharedProfiles out;
  std::string configPath = expandHome(env("AWS_CONFIG_FILE").value_or("~/.aws/config"), env);
  std::string credsPath =
      expandHome(env("AWS_SHARED_CREDENTIALS_FILE").value_or("~/.aws/credentials"), env);
  if (auto text = readFileBytes(configPath)) {
    out.anyFileFound = true;
    out.profiles = parseProfileIni(*text, /*configFile=*/true);
  }
  if (auto text = readFileBytes(credsPath)) {
    out.anyFileFound = true;
    for (auto& [name, section] : parseProfileIni(*text, /*configFile=*/false)) {
      for (auto& [k, v] : section) out.profiles[name][k] = v;
    }
  }
  return out;
}

std::string selectedProfileName(const EnvLookup& env, bool* explicitName) {
  auto name = firstEnv(env, {"AWS_PROFILE", "AWS_DEFAULT_PROFILE"});
  if (explicitName != nullptr) *explicitName = name.has_value();
  return name.value_or("default");
}

}  // namespace azx::aws
