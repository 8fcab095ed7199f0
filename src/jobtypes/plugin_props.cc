#include "jobtypes/plugin_props.h"

#include <algorithm>

#include "core/java_properties.h"

namespace azx::jobtypes {
namespace {

Result<PropsPtr> loadIfExists(const std::filesystem::path& file, PropsPtr parent) {
  if (!std::filesystem::exists(file)) return parent;
  return loadPropertiesFile(file, std::move(parent), file.filename().string());
}

}  // namespace

Result<JobTypePlugins> JobTypePlugins::load(
    const std::filesystem::path& pluginDir,
    const std::optional<std::filesystem::path>& globalPropsFile) {
  JobTypePlugins plugins;
  std::error_code ec;
  if (!std::filesystem::is_directory(pluginDir, ec)) return plugins;
  plugins.dirExists_ = true;

  PropsPtr global;
  if (globalPropsFile) {
    auto loaded = loadPropertiesFile(*globalPropsFile, nullptr, globalPropsFile->string());
    if (!loaded) return loaded.error().withContext("executor.global.properties");
    global = *loaded;
  }
  auto common = loadIfExists(pluginDir / "common.properties", global);
  if (!common) return common.error();
  plugins.common_ = *common;
  auto commonPrivate = loadIfExists(pluginDir / "commonprivate.properties", nullptr);
  if (!commonPrivate) return commonPrivate.error();
  plugins.commonPrivate_ = *commonPrivate;

  std::vector<std::filesystem::path> dirs;
  for (const auto& entry : std::filesystem::directory_iterator(pluginDir, ec)) {
    if (entry.is_directory()) dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  for (const auto& dir : dirs) {
    if (!std::filesystem::exists(dir / "private.properties")) continue;
    auto sys = loadPropertiesFile(dir / "private.properties", plugins.commonPrivate_,
                                  "private.properties");
    if (!sys) return sys.error();
    auto defaults = loadIfExists(dir / "plugin.properties", plugins.common_);
    if (!defaults) return defaults.error();
    PluginProps props;
    props.sysProps = *sys;
    // plugin.dir is visible in both sets, on a level of its own so files stay unchanged.
    const std::string pluginPath = (std::filesystem::absolute(dir)).string();
    props.sysProps = Props::make(props.sysProps, "plugin.dir");
    props.sysProps->put("plugin.dir", pluginPath);
    props.jobDefaults = Props::make(*defaults, "plugin.dir");
    props.jobDefaults->put("plugin.dir", pluginPath);
    plugins.types_.emplace(dir.filename().string(), std::move(props));
  }
  return plugins;
}

PropsPtr JobTypePlugins::jobDefaultsFor(const std::string& type) const {
  auto it = types_.find(type);
  if (it != types_.end()) return it->second.jobDefaults;
  return common_;
}

PropsPtr JobTypePlugins::sysPropsFor(const std::string& type) const {
  auto it = types_.find(type);
  if (it != types_.end()) return it->second.sysProps;
  return commonPrivate_ ? commonPrivate_ : Props::make();
}

void JobTypePlugins::fillDefaults(Props& jobProps, const PropsPtr& defaults) {
  if (!defaults) return;
  for (const auto& [key, value] : defaults->flatten()) {
    if (!jobProps.contains(key)) jobProps.put(key, value);
  }
}

}  // namespace azx::jobtypes
