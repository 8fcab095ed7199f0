#pragma once

// Shared pieces of the Flow 1.0 and Flow 2.0 loaders; not part of the module's interface.

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "core/props.h"
#include "core/result.h"
#include "flow/project.h"

namespace azx::flow::internal {

// Azkaban keeps loader errors in a set; we keep the distinct messages in first-seen order so
// reports are deterministic.
class ErrorList {
 public:
  void add(std::string message) {
    if (seen_.insert(message).second) ordered_.push_back(std::move(message));
  }
  bool empty() const { return ordered_.empty(); }
  std::vector<std::string> take() { return std::move(ordered_); }

 private:
  std::set<std::string> seen_;
  std::vector<std::string> ordered_;
};

// FlowLoaderUtils.SuffixFilter: regular, non-hidden, longer than the suffix, ending in it.
bool hasSuffixFile(const std::filesystem::directory_entry& entry, const std::string& suffix);
// Files of `dir` accepted by hasSuffixFile, sorted by name.
std::vector<std::filesystem::path> listSuffixFiles(const std::filesystem::path& dir,
                                                   const std::string& suffix);
// Sub-directories of `dir` sorted by name. Directory symlinks are not followed, so a link loop
// in an uploaded archive cannot make the walk endless.
std::vector<std::filesystem::path> listSubDirectories(const std::filesystem::path& dir);
// `path` relative to `root` with '/' separators.
std::string relativePath(const std::filesystem::path& root, const std::filesystem::path& path);
// Reads a file; the error is the reason only (callers add the file name).
Result<std::string> readWholeFile(const std::filesystem::path& path);

// FlowLoaderUtils.checkJobProperties: Xms/Xmx literals above the server limits.
void checkMemoryLimits(const std::string& jobName, const Props& jobProps,
                       const LoadOptions& options, ErrorList& errors);
// True when `type` is "flow", the list is empty, or `type` is listed.
bool isKnownJobType(const std::string& type, const LoadOptions& options);

void loadFlow1Project(Project& project, const LoadOptions& options, ErrorList& errors);
void loadFlow2Project(Project& project, const LoadOptions& options, ErrorList& errors);

}  // namespace azx::flow::internal
