#include "flow/executable_flow.h"

#include <algorithm>
#include <set>

namespace azx::flow {

ExecutableNode* ExecutableNode::findChild(const std::string& childId) const {
  constexpr size_t kIndexFrom = 16;
  if (nodes.size() >= kIndexFrom) {
    if (indexedChildren_ != nodes.size()) {
      childIndex_.clear();
      for (const auto& child : nodes) childIndex_.emplace(child->id, child.get());
      indexedChildren_ = nodes.size();
    }
    auto it = childIndex_.find(childId);
    if (it != childIndex_.end() && it->second->id == childId) return it->second;
  }
  for (const auto& child : nodes) {
    if (child->id == childId) return child.get();
  }
  return nullptr;
}

std::string ExecutableNode::nestedId() const {
  if (isRoot()) return {};
  if (parent->isRoot()) return id;
  return parent->nestedId() + ":" + id;
}

std::string ExecutableNode::flowPath() const {
  if (isRoot()) return flowId;
  // A job has no flow level of its own; its rows use the parent's path.
  if (!isFlow()) return parent->flowPath();
  return parent->flowPath() + "," + id + ":" + flowId;
}

std::vector<ExecutableNode*> ExecutableNode::startNodes() const {
  std::vector<ExecutableNode*> result;
  for (const auto& child : nodes) {
    if (child->inNodes.empty()) result.push_back(child.get());
  }
  return result;
}

std::vector<ExecutableNode*> ExecutableNode::endNodes() const {
  std::vector<ExecutableNode*> result;
  for (const auto& child : nodes) {
    if (child->outNodes.empty()) result.push_back(child.get());
  }
  return result;
}

ExecutableNode* ExecutableNode::findByNestedId(const std::string& nested) const {
  const ExecutableNode* level = this;
  ExecutableNode* found = nullptr;
  size_t start = 0;
  while (true) {
    size_t colon = nested.find(':', start);
    std::string segment = nested.substr(start, colon == std::string::npos ? colon : colon - start);
    found = level->findChild(segment);
    if (found == nullptr || colon == std::string::npos) return found;
    level = found;
    start = colon + 1;
  }
}

ExecutableNode& ExecutableNode::addChild(ExecutableNodePtr child) {
  child->parent = this;
  nodes.push_back(std::move(child));
  return *nodes.back();
}

namespace {

// Expands `def` into `level`; `stack` holds the flow ids being expanded, to stop on cycles
// that a loader with errors may have let through.
Result<void> populate(ExecutableNode& level, const FlowDef& def, const Project& project,
                      std::vector<std::string>& stack) {
  for (const auto& nodeDef : def.nodes) {
    auto node = std::make_unique<ExecutableNode>();
    node->id = nodeDef.name;
    node->type = nodeDef.type;
    node->condition = nodeDef.condition;
    node->conditionOnJobStatus = nodeDef.conditionOnJobStatus;
    if (!nodeDef.jobSource.empty()) node->jobSource = nodeDef.jobSource;
    if (!nodeDef.propSource.empty()) node->propSource = nodeDef.propSource;
    ExecutableNode& added = level.addChild(std::move(node));
    if (!nodeDef.isEmbeddedFlow()) continue;

    const FlowDef* inner = project.findFlow(nodeDef.embeddedFlowId);
    if (inner == nullptr) {
      return Error{"flow '" + def.id + "': node '" + nodeDef.name + "' embeds unknown flow '" +
                   nodeDef.embeddedFlowId + "'"};
    }
    if (std::find(stack.begin(), stack.end(), inner->id) != stack.end()) {
      return Error{"flow '" + def.id + "': node '" + nodeDef.name + "' embeds flow '" + inner->id +
                   "' recursively"};
    }
    added.flowId = inner->id;
    added.properties = inner->flowProps;
    stack.push_back(inner->id);
    auto result = populate(added, *inner, project, stack);
    stack.pop_back();
    if (!result) return result;
  }

  // Edges between siblings only; a self reference or unknown name (an invalid project) is
  // left out rather than deadlocking the run.
  for (size_t i = 0; i < def.nodes.size(); ++i) {
    ExecutableNode& node = *level.nodes[i];
    for (const auto& dep : def.nodes[i].dependsOn) {
      if (dep == node.id) continue;
      ExecutableNode* source = level.findChild(dep);
      if (source == nullptr) continue;
      if (std::find(node.inNodes.begin(), node.inNodes.end(), dep) != node.inNodes.end()) continue;
      node.inNodes.push_back(dep);
    }
  }
  for (const auto& child : level.nodes) {
    for (const auto& dep : child->inNodes) level.findChild(dep)->outNodes.push_back(child->id);
  }
  return okResult();
}

}  // namespace

Result<std::unique_ptr<ExecutableFlow>> buildExecutableFlow(const Project& project,
                                                            const std::string& flowId,
                                                            const ExecutionOptions& options) {
  const FlowDef* def = project.findFlow(flowId);
  if (def == nullptr) return Error{"flow '" + flowId + "' not found in the project"};
  auto flow = std::make_unique<ExecutableFlow>();
  flow->root.flowId = def->id;
  flow->root.properties = def->flowProps;
  flow->azkabanFlowVersion = project.version == FlowVersion::V2 ? 2.0 : 1.0;
  flow->options = options;
  // As the web server does on submit (ExecutorServlet.ajaxExecuteFlow).
  if (!options.failureEmailsOverride) flow->options.failureEmails = def->failureEmails;
  if (!options.successEmailsOverride) flow->options.successEmails = def->successEmails;
  std::vector<std::string> stack{def->id};
  auto result = populate(flow->root, *def, project, stack);
  if (!result) return result.error();
  applyDisabledJobs(flow->root, flow->options.disabled);
  return flow;
}

void applyDisabledJobs(ExecutableNode& flow, const std::vector<DisabledJob>& disabled) {
  for (const auto& entry : disabled) {
    ExecutableNode* node = flow.findChild(entry.id);
    if (node == nullptr) continue;
    if (entry.children.empty()) {
      node->status = Status::Disabled;
    } else if (node->isFlow()) {
      // FlowUtils.applyDisabledJobs: an entry with children disables inside, not the node.
      applyDisabledJobs(*node, entry.children);
    }
  }
}

}  // namespace azx::flow
