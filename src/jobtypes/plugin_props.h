#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "core/props.h"
#include "core/result.h"

namespace azx::jobtypes {

// Properties of one job-type plugin directory `<plugins>/<name>/` (flow-semantics 2.5).
struct PluginProps {
  PropsPtr jobDefaults;  // plugin.properties -> common.properties -> global
  PropsPtr sysProps;     // private.properties -> commonprivate.properties
};

// The job-type plugin directory (`azkaban.jobtype.plugin.dir`): common and per-type properties.
// Read once at start (and on reload); immutable afterwards, so it may be shared across threads.
class JobTypePlugins {
 public:
  // A missing directory is not an error (the quirk of 2.5: then no common or global
  // properties reach any job). Unreadable files are.
  static Result<JobTypePlugins> load(const std::filesystem::path& pluginDir,
                                     const std::optional<std::filesystem::path>& globalPropsFile);

  bool dirExists() const { return dirExists_; }
  // The plugin types found (sub-directories with private.properties).
  const std::map<std::string, PluginProps>& types() const { return types_; }
  // Defaults a job of `type` receives for keys it does not set; null when none apply.
  PropsPtr jobDefaultsFor(const std::string& type) const;
  // System properties of `type`: its private chain, else commonprivate; may be empty.
  PropsPtr sysPropsFor(const std::string& type) const;

  // Copies every key of `defaults` (whole chain) the job does not already see into `jobProps`.
  static void fillDefaults(Props& jobProps, const PropsPtr& defaults);

 private:
  bool dirExists_ = false;
  PropsPtr common_;         // common.properties -> global
  PropsPtr commonPrivate_;  // commonprivate.properties
  std::map<std::string, PluginProps> types_;
};

}  // namespace azx::jobtypes
