// Format detection (flow-semantics 1.1), shared loader helpers and load-time checks (1.2.5).

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <regex>

#include "flow/loader_internal.h"
#include "flow/project.h"

namespace azx::flow {
namespace internal {

namespace fs = std::filesystem;

bool hasSuffixFile(const fs::directory_entry& entry, const std::string& suffix) {
  std::error_code ec;
  if (!entry.is_regular_file(ec)) return false;
  std::string name = entry.path().filename().string();
  if (name.empty() || name[0] == '.') return false;  // Java's File.isHidden on Unix
  return name.size() > suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<fs::path> listSuffixFiles(const fs::path& dir, const std::string& suffix) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (hasSuffixFile(*it, suffix)) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<fs::path> listSubDirectories(const fs::path& dir) {
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code statEc;
    if (it->is_symlink(statEc)) continue;
    if (it->is_directory(statEc)) dirs.push_back(it->path());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

std::string relativePath(const fs::path& root, const fs::path& path) {
  return path.lexically_relative(root).generic_string();
}

Result<std::string> readWholeFile(const fs::path& path) {
  // stdio rather than iostreams so a failing read(2) is reported, not taken as end of file.
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return Error{std::strerror(errno)};
  std::string content;
  char buffer[16384];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) content.append(buffer, n);
  if (std::ferror(file.get())) return Error{std::strerror(errno)};
  return content;
}

namespace {

// Utils.parseMemString: size in KiB; nullopt when Java's Long.parseLong would throw.
std::optional<long long> parseMemString(const std::string& text) {
  std::string digits = text;
  long long factor = 0;  // 0 = bytes
  if (!digits.empty()) {
    char last = digits.back();
    if (last == 'g' || last == 'G') factor = 1024LL * 1024LL;
    if (last == 'm' || last == 'M') factor = 1024LL;
    if (last == 'k' || last == 'K') factor = 1;
    if (factor != 0) digits.pop_back();
  }
  if (!digits.empty() && digits[0] == '+') digits.erase(0, 1);
  long long size = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size);
  if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size()) {
    return std::nullopt;
  }
  return factor == 0 ? size / 1024LL : size * factor;
}

// PropsUtils.isVariableReplacementPattern.
bool isVariableReference(const std::string& value) {
  if (value.size() < 4 || value.compare(0, 2, "${") != 0 || value.back() != '}') return false;
  return std::all_of(value.begin() + 2, value.end() - 1, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
  });
}

void checkOne(const std::string& jobName, const Props& jobProps, const std::string& key,
              const std::string& limit, ErrorList& errors) {
  auto value = jobProps.get(key);
  if (!value || isVariableReference(*value)) return;
  auto size = parseMemString(*value);
  auto max = parseMemString(limit);
  if (!size) {
    errors.add(jobName + ": invalid " + key + " value '" + *value + "'");
    return;
  }
  if (max && *size > *max) {
    errors.add(jobName + ": " + key + " value has exceeded the allowed limit (max " + key + " = " +
               limit + ")");
  }
}

}  // namespace

void checkMemoryLimits(const std::string& jobName, const Props& jobProps,
                       const LoadOptions& options, ErrorList& errors) {
  if (options.skipMemoryCheck) return;
  checkOne(jobName, jobProps, "Xms", options.jobMaxXms, errors);
  checkOne(jobName, jobProps, "Xmx", options.jobMaxXmx, errors);
}

bool isKnownJobType(const std::string& type, const LoadOptions& options) {
  if (type == "flow" || options.knownJobTypes.empty()) return true;
  return std::find(options.knownJobTypes.begin(), options.knownJobTypes.end(), type) !=
         options.knownJobTypes.end();
}

namespace {

// SnakeYAML (YAML 1.1) resolves a plain scalar as an int before trying a float.
bool isYaml11Int(const std::string& s) {
  static const std::regex pattern(
      R"(^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$)");
  return std::regex_match(s, pattern);
}

std::optional<double> yaml11Float(const std::string& s) {
  static const std::regex pattern(R"(^[-+]?(\.[0-9]+|[0-9_]+(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$)");
  if (!std::regex_match(s, pattern)) return std::nullopt;  // inf/nan/sexagesimal never equal 2.0
  std::string digits;
  for (char c : s) {
    if (c != '_') digits.push_back(c);
  }
  try {
    return std::stod(digits);
  } catch (...) {
    return std::nullopt;
  }
}

// The value equals Java's Double 2.0 only for a YAML float scalar.
bool isFlowVersionTwo(const YAML::Node& value) {
  // Short texts only: std::regex recursion grows with the input.
  if (!value.IsScalar() || value.Scalar().size() > 64) return false;
  const std::string& tag = value.Tag();
  const std::string& text = value.Scalar();
  std::optional<double> number;
  if (tag == "tag:yaml.org,2002:float" || tag == "!!float") {
    number = yaml11Float(text);
  } else if (tag == "?" && !isYaml11Int(text)) {
    number = yaml11Float(text);
  }
  return number && *number == 2.0;
}

// FlowLoaderFactory.checkForValidProjectYamlFile: true = Flow 2.0; an error aborts the load.
Result<bool> isFlow2Directory(const fs::path& dir) {
  auto projectFiles = listSuffixFiles(dir, ".project");
  if (projectFiles.size() > 1) {
    return Error{
        "Duplicate project YAML files found in the project directory. Only one is "
        "allowed."};
  }
  if (projectFiles.size() == 1) {
    auto bytes = readWholeFile(projectFiles[0]);
    if (!bytes) {
      return Error{"Error reading project YAML file. " + projectFiles[0].filename().string() +
                   ": " + bytes.error().message};
    }
    YAML::Node doc;
    try {
      doc = YAML::Load(*bytes);
    } catch (const std::exception& e) {
      return Error{"Error reading project YAML file. " + projectFiles[0].filename().string() +
                   ": " + e.what()};
    }
    YAML::Node version;
    if (doc.IsMap()) version = doc["azkaban-flow-version"];
    if (!doc.IsMap() || !version.IsDefined()) {
      return Error{"azkaban-flow-version is not specified in the project YAML file."};
    }
    if (isFlowVersionTwo(version)) return true;
    return Error{"Invalid azkaban-flow-version in the project YAML file."};
  }
  for (const auto& sub : listSubDirectories(dir)) {
    auto result = isFlow2Directory(sub);
    if (!result) return result.error();
    if (*result) return true;
  }
  return false;
}

}  // namespace
}  // namespace internal

Project loadProject(const std::filesystem::path& root, const LoadOptions& options) {
  Project project;
  project.root = root;
  std::error_code ec;
  if (!std::filesystem::is_directory(root, ec)) {
    project.errors.push_back(
        "Error reading project directory. Input is not a directory or IO error happens.");
    return project;
  }
  internal::ErrorList errors;
  auto flow2 = internal::isFlow2Directory(root);
  if (!flow2) {
    project.errors.push_back(flow2.error().message);
    return project;
  }
  if (*flow2) {
    project.version = FlowVersion::V2;
    internal::loadFlow2Project(project, options, errors);
  } else {
    project.version = FlowVersion::V1;
    internal::loadFlow1Project(project, options, errors);
  }
  project.errors = errors.take();
  return project;
}

}  // namespace azx::flow
