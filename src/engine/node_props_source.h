#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "core/props.h"
#include "core/result.h"
#include "flow/executable_flow.h"
#include "flow/project.h"

namespace azx::engine {

// Where a node's own definition and the shared property files come from during a run
// (flow-semantics 2.3 level 1 and 4).
class NodePropsSource {
 public:
  virtual ~NodePropsSource() = default;
  // The node's own definition, freshly read, without parent: Flow 1.0 its `.job` file in the
  // execution directory; Flow 2.0 the YAML config of `<parent flowId>:<node id>`. Null: none.
  virtual Result<PropsPtr> loadNodeProps(const flow::ExecutableNode& node) = 0;
  // Flow 2.0: the root flow's YAML config (+ type=flow); null for 1.0.
  virtual PropsPtr rootFlowConfig(const std::string& flowId) = 0;
  // Flow 1.0: every shared `.properties` file by relative path, each chained to its parent.
  virtual std::map<std::string, PropsPtr> loadSharedProps(
      const std::vector<flow::FlowPropsEntry>& entries) = 0;
};

// Reads definitions from a project unpacked in an execution directory.
class ExecutionDirPropsSource final : public NodePropsSource {
 public:
  ExecutionDirPropsSource(std::filesystem::path executionDir,
                          std::shared_ptr<const flow::Project> project);
  Result<PropsPtr> loadNodeProps(const flow::ExecutableNode& node) override;
  PropsPtr rootFlowConfig(const std::string& flowId) override;
  std::map<std::string, PropsPtr> loadSharedProps(
      const std::vector<flow::FlowPropsEntry>& entries) override;

 private:
  std::filesystem::path executionDir_;
  std::shared_ptr<const flow::Project> project_;
};

}  // namespace azx::engine
