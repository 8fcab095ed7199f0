// Flow 2.0 loader: Azkaban's DirectoryYamlFlowLoader / NodeBeanLoader (flow-semantics 1.3).

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "flow/loader_internal.h"

namespace azx::flow::internal {
namespace {

namespace fs = std::filesystem;

// The YAML binding target, as Azkaban's NodeBean.
struct NodeBean {
  std::string name;
  std::optional<std::string> type;
  std::optional<std::string> condition;
  std::map<std::string, std::string> config;
  std::vector<std::string> dependsOn;
  std::optional<std::vector<NodeBean>> nodes;
};

// A binding failure; `what` becomes the reason of "Error loading flow yaml file <file>:<reason>".
struct BindError {
  std::string what;
};

std::string scalarText(const YAML::Node& node, const std::string& where) {
  if (node.IsNull()) return {};
  if (!node.IsScalar()) throw BindError{where + " must be a scalar"};
  return node.Scalar();
}

// `path` names the node inside the file for messages ("" for the flow itself).
NodeBean bindNode(const YAML::Node& yaml, const std::string& path) {
  std::string self = path.empty() ? std::string("flow") : "node '" + path + "'";
  if (!yaml.IsMap()) throw BindError{self + " is not a mapping"};
  NodeBean bean;
  bool hasName = false;
  for (const auto& entry : yaml) {
    std::string key = entry.first.IsScalar() ? entry.first.Scalar() : std::string("?");
    const YAML::Node& value = entry.second;
    if (key == "name") {
      if (!value.IsNull()) {
        bean.name = scalarText(value, self + ": 'name'");
        hasName = true;
      }
    } else if (key == "type") {
      if (!value.IsNull()) bean.type = scalarText(value, self + ": 'type'");
    } else if (key == "condition") {
      if (!value.IsNull()) bean.condition = scalarText(value, self + ": 'condition'");
    } else if (key == "config") {
      if (value.IsNull()) continue;
      if (!value.IsMap()) throw BindError{self + ": 'config' is not a mapping"};
      for (const auto& item : value) {
        std::string configKey = scalarText(item.first, self + ": config key");
        // Scalars keep their literal text; an empty value is the empty string.
        bean.config[configKey] =
            scalarText(item.second, self + ": config value of '" + configKey + "'");
      }
    } else if (key == "dependsOn") {
      if (value.IsNull()) continue;
      if (!value.IsSequence()) throw BindError{self + ": 'dependsOn' is not a list"};
      for (const auto& dep : value) bean.dependsOn.push_back(scalarText(dep, self + ": dependsOn"));
    } else if (key == "nodes") {
      if (value.IsNull()) continue;
      if (!value.IsSequence()) throw BindError{self + ": 'nodes' is not a list"};
      std::vector<NodeBean> children;
      size_t index = 0;
      for (const auto& child : value) {
        std::string childPath = path.empty() ? std::string() : path + ":";
        // A nameless child is named by position for messages only.
        std::string probe = child.IsMap() && child["name"] && child["name"].IsScalar()
                                ? child["name"].Scalar()
                                : "#" + std::to_string(index + 1);
        children.push_back(bindNode(child, childPath + probe));
        ++index;
      }
      bean.nodes = std::move(children);
    } else if (key == "trigger") {
      // Scheduling only; the executor never evaluates flow triggers.
    } else {
      throw BindError{self + ": unknown key '" + key + "'"};
    }
  }
  if (!path.empty() && !hasName) throw BindError{self + " has no name"};
  return bean;
}

// DirectoryYamlFlowLoader's split on "&&|\|\||==|!=|>|>=|<|<=" (Java regex alternation: the
// first alternative that matches wins, so ">=" splits at ">" and leaves "=..."). Java's split
// also drops trailing empty strings.
std::vector<std::string> splitConditionOperands(const std::string& text) {
  static const char* const kOperators[] = {"&&", "||", "==", "!=", ">", ">=", "<", "<="};
  std::vector<std::string> parts;
  std::string current;
  size_t i = 0;
  while (i < text.size()) {
    size_t matched = 0;
    for (const char* op : kOperators) {
      size_t len = std::char_traits<char>::length(op);
      if (text.compare(i, len, op) == 0) {
        matched = len;
        break;
      }
    }
    if (matched > 0) {
      parts.push_back(current);
      current.clear();
      i += matched;
    } else {
      current.push_back(text[i++]);
    }
  }
  parts.push_back(current);
  while (!parts.empty() && parts.back().empty()) parts.pop_back();
  if (parts.empty() && text.empty()) parts.emplace_back();
  return parts;
}

std::string lowerAscii(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

struct FileContext {
  std::string fileName;
  fs::path file;
};

class Flow2Loader {
 public:
  Flow2Loader(Project& project, const LoadOptions& options, ErrorList& errors)
      : project_(project), options_(options), errors_(errors) {}

  void load() {
    loadDirectory(project_.root);
    for (const auto& [jobName, props] : jobProps_)
      checkMemoryLimits(jobName, *props, options_, errors_);
  }

 private:
  void loadDirectory(const fs::path& dir) {
    for (const auto& file : listSuffixFiles(dir, ".flow")) loadFile(file);
    for (const auto& sub : listSubDirectories(dir)) loadDirectory(sub);
  }

  void loadFile(const fs::path& file) {
    FileContext ctx{file.filename().string(), file};
    std::string flowName = file.stem().string();
    auto fail = [&](const std::string& reason) {
      errors_.add("Error loading flow yaml file " + ctx.fileName + ":" + reason);
    };
    auto bytes = readWholeFile(file);
    if (!bytes) return fail(bytes.error().message);

    NodeBean bean;
    try {
      std::vector<YAML::Node> docs = YAML::LoadAll(*bytes);
      if (docs.size() > 1) return fail("expected a single document in the stream");
      if (docs.empty() || docs[0].IsNull()) {
        return fail("Failed to load flow file " + ctx.fileName + ". Node bean is null .");
      }
      bean = bindNode(docs[0], "");
    } catch (const YAML::Exception& e) {
      return fail(e.what());
    } catch (const BindError& e) {
      return fail(e.what);
    } catch (const std::exception& e) {
      return fail(e.what());
    }
    bean.name = flowName;
    bean.type = "flow";
    if (!bean.nodes) return fail("flow has no 'nodes' list");

    // NodeBeanLoader.validate: only the top level is checked.
    std::set<std::string> names;
    bool valid = true;
    for (const auto& node : *bean.nodes) valid = names.insert(node.name).second && valid;
    for (const auto& node : *bean.nodes) {
      for (const auto& dep : node.dependsOn) valid = valid && names.count(dep) > 0;
    }
    if (!valid) {
      errors_.add("Failed to validate nodeBean for " + ctx.fileName +
                  ". Duplicate nodes found or dependency undefined.");
      return;
    }
    // What Azkaban hits as NullPointerExceptions while converting: the generic file error.
    if (auto problem = structuralProblem(bean, "")) return fail(*problem);

    if (project_.flows.count(flowName) > 0) {
      errors_.add("Duplicate flows found in the project with name " + flowName);
      return;
    }
    convertFlow(bean, flowName, ctx, "", false);
  }

  // Nested flows: nodes without type, flows without nodes, undefined dependencies.
  static std::optional<std::string> structuralProblem(const NodeBean& flow,
                                                      const std::string& path) {
    std::set<std::string> names;
    for (const auto& node : *flow.nodes) names.insert(node.name);
    for (const auto& node : *flow.nodes) {
      std::string nodePath = path.empty() ? node.name : path + ":" + node.name;
      if (!node.type) return "node '" + nodePath + "' doesn't have type set";
      for (const auto& dep : node.dependsOn) {
        if (names.count(dep) == 0) {
          return "node '" + nodePath + "' depends on undefined node '" + dep + "'";
        }
      }
      if (*node.type == "flow") {
        if (!node.nodes) return "embedded flow '" + nodePath + "' has no 'nodes' list";
        if (auto inner = structuralProblem(node, nodePath)) return inner;
      }
    }
    return std::nullopt;
  }

  static PropsPtr beanProps(const NodeBean& bean, const std::string& source) {
    auto props = Props::fromMap(bean.config, nullptr, source);
    props->put("type", *bean.type);
    return props;
  }

  // `path` is the flow's position inside the file ("" for the file's flow), for messages.
  void convertFlow(const NodeBean& bean, const std::string& flowId, const FileContext& ctx,
                   const std::string& path, bool embedded) {
    FlowDef flow;
    flow.id = flowId;
    flow.embedded = embedded;
    flow.config = beanProps(bean, ctx.fileName);
    flow.flowProps.push_back(FlowPropsEntry{ctx.fileName, {}});
    addEmails(flow, *flow.config);

    // AzkabanFlow keys its nodes by name: inside embedded flows a later duplicate replaces the
    // earlier one (the top level was validated already).
    std::vector<const NodeBean*> nodes;
    for (const auto& node : *bean.nodes) {
      auto it = std::find_if(nodes.begin(), nodes.end(),
                             [&](const NodeBean* n) { return n->name == node.name; });
      if (it != nodes.end()) {
        *it = &node;
      } else {
        nodes.push_back(&node);
      }
    }

    for (const NodeBean* node : nodes) {
      NodeDef def;
      def.name = node->name;
      def.type = *node->type;
      def.props = beanProps(*node, ctx.fileName);
      def.dependsOn = node->dependsOn;
      def.condition = node->condition;
      def.jobSource = ctx.fileName;
      def.propSource = ctx.fileName;
      std::string nodePath = path.empty() ? node->name : path + ":" + node->name;
      validateCondition(def, nodes);
      if (!isKnownJobType(def.type, options_)) {
        errors_.add(ctx.fileName + ": node '" + nodePath + "': unknown job type '" + def.type +
                    "'");
      }
      if (def.isEmbeddedFlow()) {
        def.embeddedFlowId = flowId + ":" + node->name;
        convertFlow(*node, def.embeddedFlowId, ctx, nodePath, true);
      }
      jobProps_.emplace_back(flowId + ":" + node->name, def.props);
      flow.nodes.push_back(std::move(def));
    }

    buildEdges(flow, nodes);
    project_.flows[flowId] = std::move(flow);
  }

  // DirectoryYamlFlowLoader.buildFlowEdges/addEdges.
  void buildEdges(FlowDef& flow, const std::vector<const NodeBean*>& nodes) {
    std::map<std::string, const NodeBean*> byName;
    for (const NodeBean* node : nodes) byName[node->name] = node;
    std::set<std::string> recStack;
    std::set<std::string> visited;
    for (const NodeBean* node : nodes) addEdges(flow, *node, byName, recStack, visited);
  }

  void addEdges(FlowDef& flow, const NodeBean& node,
                const std::map<std::string, const NodeBean*>& byName,
                std::set<std::string>& recStack, std::set<std::string>& visited) {
    if (visited.count(node.name) > 0) return;
    recStack.insert(node.name);
    visited.insert(node.name);
    for (const auto& parent : node.dependsOn) {
      EdgeDef edge{parent, node.name, {}};
      if (recStack.count(parent) > 0) {
        edge.error = "Cycles found.";  // including a self dependency
        errors_.add("Cycles found at " + edge.id());
        flow.edges.push_back(std::move(edge));
      } else {
        flow.edges.push_back(std::move(edge));
        addEdges(flow, *byName.at(parent), byName, recStack, visited);
      }
    }
    recStack.erase(node.name);
  }

  // DirectoryYamlFlowLoader.validateCondition (flow-semantics 1.3.3).
  void validateCondition(NodeDef& def, const std::vector<const NodeBean*>& siblings) {
    if (!def.condition) return;
    std::string stripped;
    for (char c : *def.condition) {
      // Java's \s: space, \t, \n, \x0B, \f, \r.
      if (c == ' ' || c == '\t' || c == '\n' || c == '\x0B' || c == '\f' || c == '\r' || c == '(' ||
          c == ')') {
        continue;
      }
      stripped.push_back(c);
    }
    bool foundMacro = false;
    const std::string prefix = "Invalid condition for " + def.name + ": ";
    for (std::string operand : splitConditionOperands(stripped)) {
      if (auto macro = parseConditionOnJobStatus(lowerAscii(operand));
          macro && isMacroSpelling(operand)) {
        if (foundMacro) {
          errors_.add(prefix + "cannot combine more than one conditionOnJobStatus macros.");
        }
        foundMacro = true;
        def.conditionOnJobStatus = *macro;
        continue;
      }
      if (!operand.empty() && operand[0] == '!') operand.erase(0, 1);
      if (operand.empty()) {
        errors_.add(prefix + "operand is an empty string.");
        continue;
      }
      if (isDigitsOrQuoted(operand)) continue;
      std::optional<std::string> jobNameMatch = variableJobName(operand);
      if (!jobNameMatch) {
        errors_.add(prefix +
                    "cannot resolve the condition. Please check the syntax for supported "
                    "conditions.");
        continue;
      }
      const std::string& jobName = *jobNameMatch;
      auto target = std::find_if(siblings.begin(), siblings.end(),
                                 [&](const NodeBean* n) { return n->name == jobName; });
      if (target == siblings.end()) {
        errors_.add(prefix + jobName + " doesn't exist in the flow.");
      } else {
        std::set<std::string> seen;
        if (isDescendant(**target, def.name, siblings, seen)) {
          errors_.add(prefix + "should not define condition on its descendant node " + jobName +
                      ".");
        }
      }
    }
  }

  // Java's "\\d+|'.*'|\".*\"" (whole operand); hand-written because std::regex recurses per
  // character and a long condition could exhaust the stack.
  static bool isDigitsOrQuoted(const std::string& operand) {
    if (!operand.empty() &&
        std::all_of(operand.begin(), operand.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return true;
    }
    return operand.size() >= 2 && (operand.front() == '\'' || operand.front() == '"') &&
           operand.back() == operand.front();
  }

  // Java's "\\$\\{([^:{}]+):([^:{}]+)\\}": the job name of a `${job:param}` operand.
  static std::optional<std::string> variableJobName(const std::string& operand) {
    if (operand.size() < 6 || operand.compare(0, 2, "${") != 0 || operand.back() != '}') {
      return std::nullopt;
    }
    std::string inner = operand.substr(2, operand.size() - 3);
    size_t colon = inner.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == inner.size()) return std::nullopt;
    if (inner.find_first_of(":{}", colon + 1) != std::string::npos) return std::nullopt;
    if (inner.find_first_of("{}") < colon) return std::nullopt;
    return inner.substr(0, colon);
  }

  // The five macro names, whole operand, any case.
  static bool isMacroSpelling(const std::string& operand) {
    static const std::set<std::string> macros = {"all_success", "all_failed", "all_done",
                                                 "one_failed", "one_success"};
    return macros.count(lowerAscii(operand)) > 0;
  }

  // True when `current` depends, directly or transitively, on `targetName`.
  static bool isDescendant(const NodeBean& current, const std::string& targetName,
                           const std::vector<const NodeBean*>& siblings,
                           std::set<std::string>& seen) {
    if (!seen.insert(current.name).second) return false;  // cycles are reported elsewhere
    for (const auto& dep : current.dependsOn) {
      if (dep == targetName) return true;
    }
    for (const auto& dep : current.dependsOn) {
      auto it = std::find_if(siblings.begin(), siblings.end(),
                             [&](const NodeBean* n) { return n->name == dep; });
      if (it != siblings.end() && isDescendant(**it, targetName, siblings, seen)) return true;
    }
    return false;
  }

  static void addEmails(FlowDef& flow, const Props& props) {
    std::set<std::string> success;
    std::set<std::string> failure;
    for (const auto& e : props.getList("success.emails")) success.insert(lowerAscii(e));
    for (const auto& e : props.getList("failure.emails")) failure.insert(lowerAscii(e));
    for (const auto& e : props.getList("notify.emails")) {
      success.insert(lowerAscii(e));
      failure.insert(lowerAscii(e));
    }
    flow.successEmails.assign(success.begin(), success.end());
    flow.failureEmails.assign(failure.begin(), failure.end());
  }

  Project& project_;
  const LoadOptions& options_;
  ErrorList& errors_;
  std::vector<std::pair<std::string, PropsPtr>> jobProps_;  // "<flowId>:<node>" -> props
};

}  // namespace

void loadFlow2Project(Project& project, const LoadOptions& options, ErrorList& errors) {
  Flow2Loader(project, options, errors).load();
}

}  // namespace azx::flow::internal
