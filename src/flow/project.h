#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/props.h"
#include "core/status.h"

namespace azx::flow {

enum class FlowVersion { V1, V2 };

// A shared `.properties` file of a Flow 1.0 project (flow-semantics 1.2.2).
struct FlowPropsEntry {
  std::string source;    // path relative to the project root
  std::string inherits;  // relative path of the parent file, empty when none
};

// One node of a flow definition: a job, or an embedded flow when type == "flow".
struct NodeDef {
  std::string name;
  std::string type;
  // The node's own definition, local keys only (no parent): Flow 1.0 the `.job` file,
  // Flow 2.0 the node's `config` plus `type`.
  PropsPtr props;
  std::vector<std::string> dependsOn;  // sibling names, in file order
  std::optional<std::string> condition;
  ConditionOnJobStatus conditionOnJobStatus = ConditionOnJobStatus::AllSuccess;
  std::string jobSource;   // 1.0: `.job` path relative to the root; 2.0: the `.flow` file name
  std::string propSource;  // 1.0: nearest `.properties` path or empty; 2.0: the `.flow` file name
  // For embedded flows: the id of the flow definition it runs (1.0 `flow.name`,
  // 2.0 `<parentFlowId>:<name>`).
  std::string embeddedFlowId;

  bool isEmbeddedFlow() const { return type == "flow"; }
};

// An edge dependency -> node of a flow definition. `error` is set on edges the loader rejected
// ("Cycles found.", "Dependency not found.", ...), as Azkaban's Edge.getError().
struct EdgeDef {
  std::string source;  // the dependency
  std::string target;  // the dependent node
  std::string error;   // empty for a valid edge

  std::string id() const { return source + ">>" + target; }
};

struct FlowDef {
  std::string id;
  std::vector<NodeDef> nodes;  // in definition order
  std::vector<EdgeDef> edges;  // every dependsOn entry of the flow's nodes, bad ones included
  // Flow 2.0: the flow's `config` plus type=flow (root or embedded); empty for 1.0.
  PropsPtr config;
  std::vector<FlowPropsEntry> flowProps;  // 1.0: every shared file; 2.0: one entry, the file
  bool embedded = false;                  // 2.0 flows registered from a nested `nodes` list
  std::vector<std::string> successEmails;
  std::vector<std::string> failureEmails;

  const NodeDef* findNode(const std::string& name) const;
};

// A loaded project directory. Loading never throws: every problem is one entry of `errors`,
// naming the file and node (flow-semantics 1.2 and 1.3).
struct Project {
  std::filesystem::path root;
  FlowVersion version = FlowVersion::V1;
  std::map<std::string, FlowDef> flows;  // by flow id; includes 2.0 embedded flows ("a:b")
  // 1.0: every shared `.properties` file by relative path, each Props' parent its `inherits`.
  std::map<std::string, PropsPtr> sharedProps;
  // 1.0: every job by name (flows reference these); 2.0: empty.
  std::map<std::string, NodeDef> jobs;
  std::vector<std::string> errors;

  // Top-level flows a user can run (2.0 embedded flows excluded).
  std::vector<std::string> runnableFlowIds() const;
  const FlowDef* findFlow(const std::string& id) const;
};

struct LoadOptions {
  std::string jobMaxXms = "1G";
  std::string jobMaxXmx = "2G";
  bool skipMemoryCheck = false;  // projects on the memory-check whitelist
  // Job types the executor knows; a node whose type is not listed records an error.
  // Empty means "do not check".
  std::vector<std::string> knownJobTypes;
};

// Decides the format (flow-semantics 1.1) and loads the whole tree.
Project loadProject(const std::filesystem::path& root, const LoadOptions& options = {});

}  // namespace azx::flow
