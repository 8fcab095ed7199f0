#include "engine/node_props_source.h"

#include <functional>

#include "core/java_properties.h"

namespace azx::engine {

ExecutionDirPropsSource::ExecutionDirPropsSource(std::filesystem::path executionDir,
                                                 std::shared_ptr<const flow::Project> project)
    : executionDir_(std::move(executionDir)), project_(std::move(project)) {}

Result<PropsPtr> ExecutionDirPropsSource::loadNodeProps(const flow::ExecutableNode& node) {
  if (project_ && project_->version == flow::FlowVersion::V2) {
    const flow::FlowDef* flowDef = node.parent ? project_->findFlow(node.parent->flowId) : nullptr;
    const flow::NodeDef* def = flowDef ? flowDef->findNode(node.id) : nullptr;
    if (!def || !def->props) return PropsPtr{};
    auto copy = Props::make(nullptr, def->jobSource);
    copy->putAll(def->props->local());
    return copy;
  }
  if (!node.jobSource) return PropsPtr{};
  auto path = executionDir_ / *node.jobSource;
  auto loaded = loadPropertiesFile(path, nullptr, path.string());
  if (!loaded)
    return loaded.error().withContext("Error loading job file " + *node.jobSource + " for job " +
                                      node.id);
  return *loaded;
}

PropsPtr ExecutionDirPropsSource::rootFlowConfig(const std::string& flowId) {
  if (!project_ || project_->version != flow::FlowVersion::V2) return nullptr;
  const flow::FlowDef* def = project_->findFlow(flowId);
  if (!def || !def->config) return nullptr;
  auto copy = Props::make(nullptr, flowId + ".flow");
  copy->putAll(def->config->local());
  return copy;
}

std::map<std::string, PropsPtr> ExecutionDirPropsSource::loadSharedProps(
    const std::vector<flow::FlowPropsEntry>& entries) {
  std::map<std::string, PropsPtr> loaded;
  // Parents first: an entry's `inherits` names a file loaded earlier in the project order.
  std::map<std::string, const flow::FlowPropsEntry*> bySource;
  for (const auto& entry : entries) bySource[entry.source] = &entry;
  std::function<PropsPtr(const std::string&, int)> load = [&](const std::string& source,
                                                              int depth) -> PropsPtr {
    if (auto it = loaded.find(source); it != loaded.end()) return it->second;
    auto entry = bySource.find(source);
    if (entry == bySource.end() || depth > 256) return nullptr;
    PropsPtr parent;
    if (!entry->second->inherits.empty()) parent = load(entry->second->inherits, depth + 1);
    auto props = loadPropertiesFile(executionDir_ / source, parent, source);
    PropsPtr result = props ? *props : Props::make(parent, source);
    loaded[source] = result;
    return result;
  };
  for (const auto& entry : entries) load(entry.source, 0);
  return loaded;
}

Result<PropsPtr> OverridingPropsSource::loadNodeProps(const flow::ExecutableNode& node) {
  auto it = overrides_.find(node.id);
  if (it == overrides_.end()) return files_->loadNodeProps(node);
  return Props::fromMap(it->second, nullptr, node.jobSource.value_or(node.id + ".job"));
}

}  // namespace azx::engine
