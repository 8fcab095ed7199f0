// Flow 1.0 loader: Azkaban's DirectoryFlowLoader (flow-semantics 1.2).

#include <algorithm>
#include <map>
#include <set>

#include "core/java_properties.h"
#include "flow/loader_internal.h"

namespace azx::flow::internal {
namespace {

namespace fs = std::filesystem;

struct JobEntry {
  NodeDef def;
  PropsPtr loadProps;  // the `.job` file with the directory's `.properties` chain as parent
  size_t order = 0;    // discovery order, used as the definition order of flow nodes
};

class Flow1Loader {
 public:
  Flow1Loader(Project& project, const LoadOptions& options, ErrorList& errors)
      : project_(project), options_(options), errors_(errors) {}

  void load() {
    loadDirectory(project_.root, nullptr);
    resolveDependencies();
    buildFlows();
    resolveEmbeddedFlows();
    for (const auto& [name, job] : jobs_) {
      checkMemoryLimits(name, *job.loadProps, options_, errors_);
      if (!job.def.type.empty() && !isKnownJobType(job.def.type, options_)) {
        errors_.add(job.def.jobSource + ": node '" + name + "': unknown job type '" + job.def.type +
                    "'");
      }
    }
    for (auto& [name, job] : jobs_) project_.jobs.emplace(name, std::move(job.def));
  }

 private:
  void loadDirectory(const fs::path& dir, PropsPtr parent) {
    for (const auto& file : listSuffixFiles(dir, ".properties")) {
      std::string relative = relativePath(project_.root, file);
      auto values = readProperties(file);
      if (!values) {
        errors_.add("Error loading properties " + file.filename().string() + ":" +
                    values.error().message);
        continue;
      }
      auto props = Props::fromMap(*values, parent, relative);
      flowProps_.push_back(FlowPropsEntry{relative, parent ? parent->source() : std::string()});
      project_.sharedProps[relative] = props;
      parent = props;
    }

    for (const auto& file : listSuffixFiles(dir, ".job")) {
      std::string jobName = file.stem().string();  // without the last extension only
      if (duplicates_.count(jobName) > 0) continue;
      if (jobs_.count(jobName) > 0) {
        errors_.add("Duplicate job names found '" + jobName + "'.");
        duplicates_.insert(jobName);
        jobs_.erase(jobName);
        continue;
      }
      std::string relative = relativePath(project_.root, file);
      auto values = readProperties(file);
      if (!values) {
        errors_.add("Error loading job file " + file.filename().string() + ":" +
                    values.error().message);
        continue;
      }
      JobEntry job;
      job.loadProps = Props::fromMap(*values, parent, relative);
      job.order = nextOrder_++;
      job.def.name = jobName;
      job.def.props = Props::fromMap(*values, nullptr, relative);
      auto type = job.loadProps->get("type");
      if (!type) {
        errors_.add("Job doesn't have type set '" + jobName + "'.");
      } else {
        job.def.type = *type;
      }
      job.def.jobSource = relative;
      if (parent) job.def.propSource = parent->source();
      if (job.loadProps->getBool("root.node", false)) forcedRoots_.insert(jobName);
      jobs_.emplace(jobName, std::move(job));
    }

    for (const auto& sub : listSubDirectories(dir)) loadDirectory(sub, parent);
  }

  static Result<std::map<std::string, std::string>> readProperties(const fs::path& file) {
    auto bytes = readWholeFile(file);
    if (!bytes) return bytes.error();
    return parseJavaProperties(*bytes);
  }

  void resolveDependencies() {
    for (auto& [name, job] : jobs_) {
      std::vector<std::string> deps;
      for (auto& dep : job.loadProps->getList("dependencies")) {
        // Azkaban keys the edges by dependency name, so a repeated entry counts once.
        if (std::find(deps.begin(), deps.end(), dep) == deps.end()) deps.push_back(dep);
      }
      job.def.dependsOn = deps;
      auto& edges = edges_[name];
      for (const auto& dep : deps) {
        EdgeDef edge{dep, name, {}};
        if (jobs_.count(dep) == 0) {
          if (duplicates_.count(dep) > 0) {
            edge.error = "Ambiguous Dependency. Duplicates found.";
            errors_.add(name + " has ambiguous dependency " + dep);
          } else {
            edge.error = "Dependency not found.";
            errors_.add(name + " cannot find dependency " + dep);
          }
        } else if (dep == name) {
          edge.error = "Self cycle found.";
          errors_.add(name + " has a self cycle");
        }
        edges.push_back(std::move(edge));
        dependedOn_.insert(dep);
      }
    }
  }

  void buildFlows() {
    for (auto& [name, job] : jobs_) {
      if (forcedRoots_.count(name) == 0 && dependedOn_.count(name) > 0) continue;
      FlowDef flow;
      flow.id = name;
      flow.config = Props::make();  // Flow 1.0 flows have no config of their own
      flow.flowProps = flowProps_;
      addEmails(flow, *job.loadProps);
      std::set<std::string> onPath;
      std::set<std::string> ever;
      std::vector<const JobEntry*> members;
      constructFlow(flow, name, onPath, ever, members);
      std::sort(members.begin(), members.end(),
                [](const JobEntry* a, const JobEntry* b) { return a->order < b->order; });
      for (const JobEntry* member : members) {
        NodeDef node = member->def;
        if (node.isEmbeddedFlow()) node.embeddedFlowId = embeddedFlowName(*member);
        flow.nodes.push_back(std::move(node));
      }
      project_.flows[name] = std::move(flow);
    }
    for (auto& [name, job] : jobs_) {
      if (job.def.isEmbeddedFlow()) job.def.embeddedFlowId = embeddedFlowName(job);
    }
  }

  // Azkaban stores a missing `flow.name` as null, which its messages print as "null".
  static std::string embeddedFlowName(const JobEntry& job) {
    return job.loadProps->getOr("flow.name", "null");
  }

  void constructFlow(FlowDef& flow, const std::string& name, std::set<std::string>& onPath,
                     std::set<std::string>& ever, std::vector<const JobEntry*>& members) {
    onPath.insert(name);
    ever.insert(name);
    const JobEntry& job = jobs_.at(name);
    members.push_back(&job);
    if (job.def.isEmbeddedFlow()) flowDependencies_[flow.id].insert(embeddedFlowName(job));
    for (const auto& edge : edges_[name]) {
      if (!edge.error.empty() || ever.count(edge.source) > 0) {
        if (edge.error.empty() && onPath.count(edge.source) > 0) {
          EdgeDef cyclic = edge;
          cyclic.error = "Cyclical dependencies found.";
          errors_.add("Cyclical dependency found at " + cyclic.id());
          flow.edges.push_back(std::move(cyclic));
        } else {
          flow.edges.push_back(edge);
        }
        continue;
      }
      flow.edges.push_back(edge);
      constructFlow(flow, edge.source, onPath, ever, members);
    }
    onPath.erase(name);
  }

  void resolveEmbeddedFlows() {
    for (const auto& [flowId, embedded] : flowDependencies_) {
      std::set<std::string> visited;
      resolveEmbeddedFlow(flowId, visited);
    }
  }

  // Mirrors DirectoryFlowLoader.resolveEmbeddedFlow, including its early returns that leave
  // `visited` populated (they decide which cycle messages appear).
  void resolveEmbeddedFlow(const std::string& flowId, std::set<std::string>& visited) {
    auto it = flowDependencies_.find(flowId);
    if (it == flowDependencies_.end()) return;
    visited.insert(flowId);
    for (const auto& embeddedId : it->second) {
      if (visited.count(embeddedId) > 0) {
        errors_.add("Embedded flow cycle found in " + flowId + "->" + embeddedId);
        return;
      }
      if (project_.flows.count(embeddedId) == 0) {
        errors_.add("Flow " + flowId + " depends on " + embeddedId + " but can't be found.");
        return;
      }
      resolveEmbeddedFlow(embeddedId, visited);
    }
    visited.erase(flowId);
  }

  static void addEmails(FlowDef& flow, const Props& props) {
    auto lower = [](std::string text) {
      std::transform(text.begin(), text.end(), text.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      return text;
    };
    std::set<std::string> success;
    std::set<std::string> failure;
    for (const auto& e : props.getList("success.emails")) success.insert(lower(e));
    for (const auto& e : props.getList("failure.emails")) failure.insert(lower(e));
    for (const auto& e : props.getList("notify.emails")) {
      success.insert(lower(e));
      failure.insert(lower(e));
    }
    flow.successEmails.assign(success.begin(), success.end());
    flow.failureEmails.assign(failure.begin(), failure.end());
  }

  Project& project_;
  const LoadOptions& options_;
  ErrorList& errors_;
  std::map<std::string, JobEntry> jobs_;
  std::set<std::string> duplicates_;
  std::set<std::string> forcedRoots_;
  std::set<std::string> dependedOn_;
  std::map<std::string, std::vector<EdgeDef>> edges_;
  std::map<std::string, std::set<std::string>> flowDependencies_;
  std::vector<FlowPropsEntry> flowProps_;
  size_t nextOrder_ = 0;
};

}  // namespace

void loadFlow1Project(Project& project, const LoadOptions& options, ErrorList& errors) {
  Flow1Loader(project, options, errors).load();
}

}  // namespace azx::flow::internal
