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

// Flow 1.0 job-property overrides saved through the web UI (`<job>.jor`, azkaban-wire 6.4):
// a node with an override gets it instead of its `.job` file.
class OverridingPropsSource final : public NodePropsSource {
 public:
  OverridingPropsSource(std::shared_ptr<NodePropsSource> files,
                        std::map<std::string, std::map<std::string, std::string>> overrides)
      : files_(std::move(files)), overrides_(std::move(overrides)) {}
  Result<PropsPtr> loadNodeProps(const flow::ExecutableNode& node) override;
  PropsPtr rootFlowConfig(const std::string& flowId) override {
    return files_->rootFlowConfig(flowId);
  }
  std::map<std::string, PropsPtr> loadSharedProps(
      const std::vector<flow::FlowPropsEntry>& entries) override {
    return files_->loadSharedProps(entries);
  }

 private:
  std::shared_ptr<NodePropsSource> files_;
  std::map<std::string, std::map<std::string, std::string>> overrides_;  // by job id
};

}  // namespace azx::engine
