#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/props.h"
#include "core/result.h"
#include "core/status.h"
#include "flow/project.h"

namespace azx::flow {

struct PastAttempt {
  int attempt = 0;
  int64_t startTime = -1;
  int64_t endTime = -1;
  Status status = Status::Ready;
};

class ExecutableNode;
using ExecutableNodePtr = std::unique_ptr<ExecutableNode>;

// One node of one execution: a job, an embedded flow (isFlow()), or the root flow.
// Mirrors Azkaban's ExecutableNode/ExecutableFlowBase and the flow_data JSON (azkaban-wire 5).
// Owned by its parent; the engine mutates it on its loop thread only.
class ExecutableNode {
 public:
  std::string id;  // empty for the root (its flow_data id is null)
  Status status = Status::Ready;
  int64_t startTime = -1;
  int64_t endTime = -1;
  int64_t updateTime = -1;
  std::string type;  // job type; "flow" for embedded flows; empty for the root
  std::optional<std::string> condition;
  // nullopt when a stored document lacks it (behaves as all_success, CS-16).
  std::optional<ConditionOnJobStatus> conditionOnJobStatus = ConditionOnJobStatus::AllSuccess;
  int attempt = 0;
  std::vector<std::string> inNodes;   // sibling ids, ordered
  std::vector<std::string> outNodes;  // sibling ids, ordered
  std::optional<std::string> propSource;
  std::optional<std::string> jobSource;
  PropsPtr outputProps;  // null = no output
  std::vector<PastAttempt> pastAttempts;
  PropsPtr inputProps;  // built by the engine when the node starts; not serialised
  // flow_data keys this model does not know, kept for round-tripping.
  nlohmann::json extraKeys = nlohmann::json::object();

  // Flow part (embedded flows and the root).
  std::string flowId;
  std::vector<ExecutableNodePtr> nodes;
  std::vector<FlowPropsEntry> properties;

  ExecutableNode* parent = nullptr;

 private:
  // Lookup index over `nodes`, rebuilt when their number changes: a fan-in node's readiness
  // check looks up every in-node, which is quadratic with a linear scan.
  mutable std::unordered_map<std::string, ExecutableNode*> childIndex_;
  mutable size_t indexedChildren_ = 0;
  // flow_data text of this node's own fields and what it was made from (flow_data.cc): the
  // document is rewritten while most nodes stay as they were.
  friend const std::string& cachedFieldsText(const ExecutableNode& node);
  mutable std::string fieldsText_;
  mutable std::array<int64_t, 7> fieldsTextKey_{};

 public:
  bool isFlow() const { return type == "flow" || parent == nullptr; }
  bool isRoot() const { return parent == nullptr; }
  ExecutableNode* findChild(const std::string& childId) const;
  // Path below the root joined with ':' (e.g. "jobb:innerJobA"); empty for the root.
  std::string nestedId() const;
  // Azkaban's flow path of this flow level, used as execution_jobs.flow_id of its children:
  // root "main", nested "main,sub:subflow" (azkaban-wire 9.3).
  std::string flowPath() const;
  // Start nodes (no in-nodes) and end nodes (no out-nodes) of this flow level.
  std::vector<ExecutableNode*> startNodes() const;
  std::vector<ExecutableNode*> endNodes() const;
  // Finds a node by nested id below this flow ("a:b:c").
  ExecutableNode* findByNestedId(const std::string& nestedId) const;
  // Appends a child and sets its parent pointer.
  ExecutableNode& addChild(ExecutableNodePtr child);
};

struct DisabledJob {
  std::string id;
  std::vector<DisabledJob> children;  // non-empty: applies inside the embedded flow `id`
};

struct ExecutionOptions {
  std::map<std::string, std::string> flowParameters;
  bool notifyOnFirstFailure = true;
  bool notifyOnLastFailure = false;
  std::vector<std::string> successEmails;
  std::vector<std::string> failureEmails;
  FailureAction failureAction = FailureAction::FinishCurrentlyRunning;
  std::optional<int> pipelineLevel;
  std::optional<int> pipelineExecId;
  int queueLevel = 0;
  std::string concurrentOption = "ignore";
  std::vector<DisabledJob> disabled;
  bool failureEmailsOverride = false;
  bool successEmailsOverride = false;
  std::string mailCreator = "default";
  bool memoryCheck = true;
  nlohmann::json extraKeys = nlohmann::json::object();
};

// One execution: the root flow plus the execution-level fields of flow_data (azkaban-wire 5.4).
class ExecutableFlow {
 public:
  ExecutableNode root;
  int executionId = -1;
  std::optional<std::string> executionPath;
  int projectId = 0;
  std::string projectName;
  int scheduleId = -1;
  std::string submitUser;
  int version = 0;
  int64_t lastModifiedTime = 0;
  std::string lastModifiedUser;
  double azkabanFlowVersion = 1.0;
  ExecutionOptions options;
  std::vector<std::string> proxyUsers;
  int64_t submitTime = -1;
  nlohmann::json slaOptions = nlohmann::json::array();
  bool isLocked = false;
  std::optional<std::string> flowLockErrorMessage;

  const std::string& flowId() const { return root.flowId; }
};

// Instantiates an execution of `flowId` the way the web server does: every node READY with
// times -1, embedded flows expanded recursively (1.0 `flow.name`, 2.0 nested flows), then the
// disabled list applied (flow-semantics 1.4). Unknown disabled names are ignored.
Result<std::unique_ptr<ExecutableFlow>> buildExecutableFlow(const Project& project,
                                                            const std::string& flowId,
                                                            const ExecutionOptions& options);

// Sets every node named in `disabled` to DISABLED (recursively into embedded flows).
void applyDisabledJobs(ExecutableNode& flow, const std::vector<DisabledJob>& disabled);

}  // namespace azx::flow
