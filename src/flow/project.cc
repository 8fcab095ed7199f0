#include "flow/project.h"

namespace azx::flow {

const NodeDef* FlowDef::findNode(const std::string& name) const {
  for (const auto& node : nodes) {
    if (node.name == name) return &node;
  }
  return nullptr;
}

std::vector<std::string> Project::runnableFlowIds() const {
  std::vector<std::string> ids;
  for (const auto& [id, flow] : flows) {
    if (!flow.embedded) ids.push_back(id);
  }
  return ids;
}

const FlowDef* Project::findFlow(const std::string& id) const {
  auto it = flows.find(id);
  return it == flows.end() ? nullptr : &it->second;
}

}  // namespace azx::flow
