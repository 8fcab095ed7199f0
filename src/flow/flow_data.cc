#include "flow/flow_data.h"

#include <charconv>
#include <limits>
#include <set>
#include <stdexcept>
#include <utility>

namespace azx::flow {
namespace {

using nlohmann::json;

// Internal only: thrown inside the parser and turned into an Error at the entry points, so the
// many nested reads stay readable. Never escapes this file.
struct ParseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const std::set<std::string>& nodeKeys() {
  static const std::set<std::string> keys{
      "id",         "status",      "startTime",   "endTime",
      "updateTime", "type",        "condition",   "conditionOnJobStatus",
      "attempt",    "inNodes",     "outNodes",    "propSource",
      "jobSource",  "outputProps", "pastAttempts"};
  return keys;
}
const std::set<std::string>& flowKeys() {
  static const std::set<std::string> keys{"flowId", "nodes", "properties"};
  return keys;
}
const std::set<std::string>& rootKeys() {
  static const std::set<std::string> keys{
      "executionId",      "executionPath",      "projectId",        "projectName",
      "scheduleId",       "submitUser",         "version",          "lastModfiedTime",
      "lastModifiedUser", "azkabanFlowVersion", "executionOptions", "proxyUsers",
      "submitTime",       "slaOptions",         "isLocked",         "flowLockErrorMessage"};
  return keys;
}
const std::set<std::string>& optionKeys() {
  static const std::set<std::string> keys{"flowParameters",
                                          "notifyOnFirstFailure",
                                          "notifyOnLastFailure",
                                          "successEmails",
                                          "failureEmails",
                                          "failureAction",
                                          "pipelineLevel",
                                          "pipelineExecId",
                                          "queueLevel",
                                          "concurrentOption",
                                          "disabled",
                                          "failureEmailsOverride",
                                          "successEmailsOverride",
                                          "mailCreator",
                                          "memoryCheck"};
  return keys;
}

// Reads typed values with the Java TypedMapWrapper rules (azkaban-wire 5.1). `where` names
// the object being read, for error messages.
class Reader {
 public:
  Reader(const json& object, std::string where) : object_(object), where_(std::move(where)) {
    if (!object_.is_object()) fail("", "expected a JSON object, got " + typeName(object_));
  }

  const json* find(const std::string& key) const {
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }
  bool has(const std::string& key) const { return find(key) != nullptr; }

  [[noreturn]] void fail(const std::string& key, const std::string& message) const {
    std::string text = where_;
    if (!key.empty()) text += ": key \"" + key + "\"";
    throw ParseError(text + ": " + message);
  }

  std::optional<std::string> optString(const std::string& key) const {
    const json* v = find(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    if (!v->is_string()) fail(key, "expected a string, got " + typeName(*v));
    return v->get<std::string>();
  }
  std::string string(const std::string& key, const std::string& fallback = {}) const {
    return optString(key).value_or(fallback);
  }
  std::string requiredString(const std::string& key) const {
    auto value = optString(key);
    if (!value) fail(key, "missing");
    return *value;
  }

  // int field: a 32-bit integer or a numeric string; any other value gives the default.
  int integer(const std::string& key, int fallback) const {
    const json* v = find(key);
    if (v == nullptr) return fallback;
    if (v->is_number_integer()) {
      if (v->is_number_unsigned()) {
        auto u = v->get<uint64_t>();
        return u <= static_cast<uint64_t>(std::numeric_limits<int>::max()) ? static_cast<int>(u)
                                                                           : fallback;
      }
      auto i = v->get<int64_t>();
      if (i < std::numeric_limits<int>::min() || i > std::numeric_limits<int>::max()) {
        return fallback;
      }
      return static_cast<int>(i);
    }
    if (v->is_string()) return static_cast<int>(parseNumber<int>(key, v->get<std::string>()));
    return fallback;
  }
  std::optional<int> optInteger(const std::string& key) const {
    const json* v = find(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    if (!v->is_number_integer() && !v->is_string()) return std::nullopt;
    return integer(key, 0);
  }

  // long field: any integer or a numeric string; a double gives the default.
  int64_t longValue(const std::string& key, int64_t fallback) const {
    const json* v = find(key);
    if (v == nullptr) return fallback;
    if (v->is_number_unsigned()) {
      auto u = v->get<uint64_t>();
      return u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                 ? static_cast<int64_t>(u)
                 : fallback;
    }
    if (v->is_number_integer()) return v->get<int64_t>();
    if (v->is_string()) return parseNumber<int64_t>(key, v->get<std::string>());
    return fallback;
  }

  // double field: only a number written with a fraction/exponent or a numeric string; an
  // integer literal silently becomes -1.0 as in Java.
  double doubleValue(const std::string& key, double fallback) const {
    const json* v = find(key);
    if (v == nullptr) return fallback;
    if (v->is_number_float()) return v->get<double>();
    if (v->is_string()) {
      const std::string s = v->get<std::string>();
      try {
        size_t used = 0;
        double d = std::stod(s, &used);
        if (used == s.size()) return d;
      } catch (const std::exception&) {
      }
      fail(key, "not a number: \"" + s + "\"");
    }
    return fallback;
  }

  bool boolean(const std::string& key, bool fallback) const {
    const json* v = find(key);
    if (v == nullptr || v->is_null()) return fallback;
    if (!v->is_boolean()) fail(key, "expected true/false, got " + typeName(*v));
    return v->get<bool>();
  }

  std::vector<std::string> stringList(const std::string& key) const {
    const json* v = find(key);
    std::vector<std::string> out;
    if (v == nullptr || v->is_null()) return out;
    if (!v->is_array()) fail(key, "expected a list, got " + typeName(*v));
    for (const auto& e : *v) {
      if (!e.is_string()) fail(key, "expected a list of strings, found " + typeName(e));
      out.push_back(e.get<std::string>());
    }
    return out;
  }

  std::map<std::string, std::string> stringMap(const std::string& key) const {
    const json* v = find(key);
    std::map<std::string, std::string> out;
    if (v == nullptr || v->is_null()) return out;
    if (!v->is_object()) fail(key, "expected an object, got " + typeName(*v));
    for (const auto& [k, e] : v->items()) {
      // Java keeps the Object and later calls toString(); mirror that for scalars.
      if (e.is_string()) {
        out[k] = e.get<std::string>();
      } else if (e.is_null()) {
        out[k] = "null";
      } else if (e.is_primitive()) {
        out[k] = e.dump();
      } else {
        fail(key, "value of \"" + k + "\" is " + typeName(e) + ", expected a string");
      }
    }
    return out;
  }

  Status status(const std::string& key) const {
    auto name = optString(key);
    if (!name) fail(key, "missing");
    auto s = parseStatus(*name);
    if (!s) fail(key, "unknown status \"" + *name + "\"");
    return *s;
  }

  json extras(std::initializer_list<const std::set<std::string>*> known) const {
    json out = json::object();
    for (const auto& [k, v] : object_.items()) {
      bool isKnown = false;
      for (const auto* set : known) isKnown = isKnown || set->count(k) > 0;
      if (!isKnown) out[k] = v;
    }
    return out;
  }

  const std::string& where() const { return where_; }

  static std::string typeName(const json& v) { return v.type_name(); }

 private:
  template <typename T>
  T parseNumber(const std::string& key, const std::string& s) const {
    T value{};
    const char* begin = s.data();
    if (!s.empty() && s[0] == '+') ++begin;  // Java's parseInt accepts a leading '+'
    auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), value);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
      fail(key, "not a number: \"" + s + "\"");
    }
    return value;
  }

  const json& object_;
  std::string where_;
};

std::string describe(const ExecutableNode& node, const std::string& nestedPath) {
  if (node.parent == nullptr) return "root flow";
  return "node \"" + nestedPath + "\"";
}

std::vector<PastAttempt> readPastAttempts(const Reader& r) {
  std::vector<PastAttempt> out;
  const json* v = r.find("pastAttempts");
  if (v == nullptr || v->is_null()) return out;
  if (!v->is_array()) r.fail("pastAttempts", "expected a list");
  int index = 0;
  for (const auto& e : *v) {
    Reader a(e, r.where() + ": pastAttempts[" + std::to_string(index++) + "]");
    PastAttempt p;
    p.attempt = a.integer("attempt", 0);
    p.startTime = a.longValue("startTime", -1);
    p.endTime = a.longValue("endTime", -1);
    p.status = a.status("status");
    out.push_back(p);
  }
  return out;
}

void readNode(const json& object, ExecutableNode& node, const std::string& nestedPath);

void readFlowPart(const Reader& r, ExecutableNode& node, const std::string& nestedPath) {
  node.flowId = r.string("flowId");
  const json* props = r.find("properties");
  if (props == nullptr || !props->is_array()) {
    r.fail("properties",
           props == nullptr ? "missing (every flow object needs the list)" : "expected a list");
  }
  for (const auto& e : *props) {
    Reader p(e, r.where() + ": properties entry");
    FlowPropsEntry entry;
    entry.source = p.string("source");
    entry.inherits = p.string("inherited");
    node.properties.push_back(std::move(entry));
  }
  const json* nodes = r.find("nodes");
  if (nodes != nullptr && !nodes->is_null()) {
    if (!nodes->is_array()) r.fail("nodes", "expected a list");
    std::set<std::string> seen;
    for (const auto& e : *nodes) {
      auto child = std::make_unique<ExecutableNode>();
      child->parent = &node;  // set early: isFlow() of the child depends on it while reading
      Reader c(e, r.where() + ": nodes element");
      std::string childId = c.requiredString("id");
      std::string childPath = nestedPath.empty() ? childId : nestedPath + ":" + childId;
      if (!seen.insert(childId).second) {
        r.fail("nodes", "duplicate node id \"" + childId + "\"");
      }
      readNode(e, *child, childPath);
      node.addChild(std::move(child));
    }
  }
}

void readNode(const json& object, ExecutableNode& node, const std::string& nestedPath) {
  Reader r(object, describe(node, nestedPath));
  if (!node.isRoot()) node.id = r.requiredString("id");
  node.status = r.status("status");
  node.startTime = r.longValue("startTime", -1);
  node.endTime = r.longValue("endTime", -1);
  node.updateTime = r.longValue("updateTime", -1);
  node.type = r.string("type");
  node.condition = r.optString("condition");
  if (auto cond = r.optString("conditionOnJobStatus")) {
    auto parsed = parseConditionOnJobStatus(*cond);
    if (!parsed) r.fail("conditionOnJobStatus", "unknown value \"" + *cond + "\"");
    node.conditionOnJobStatus = *parsed;
  } else {
    node.conditionOnJobStatus.reset();
  }
  node.attempt = r.integer("attempt", 0);
  node.inNodes = r.stringList("inNodes");
  node.outNodes = r.stringList("outNodes");
  node.propSource = r.optString("propSource");
  node.jobSource = r.optString("jobSource");
  auto output = r.stringMap("outputProps");
  node.outputProps = output.empty() ? nullptr : Props::fromMap(output);
  node.pastAttempts = readPastAttempts(r);
  if (node.isFlow()) {
    readFlowPart(r, node, nestedPath);
    node.extraKeys = node.isRoot() ? r.extras({&nodeKeys(), &flowKeys(), &rootKeys()})
                                   : r.extras({&nodeKeys(), &flowKeys()});
  } else {
    node.extraKeys = r.extras({&nodeKeys()});
  }
}

std::vector<DisabledJob> readDisabled(const json& list, const std::string& where) {
  std::vector<DisabledJob> out;
  if (list.is_null()) return out;
  if (!list.is_array()) throw ParseError(where + ": expected a list");
  for (const auto& e : list) {
    DisabledJob job;
    if (e.is_string()) {
      job.id = e.get<std::string>();
    } else if (e.is_object()) {
      Reader d(e, where + " element");
      job.id = d.requiredString("id");
      if (const json* children = d.find("children")) {
        job.children = readDisabled(*children, where + " children of \"" + job.id + "\"");
      }
    } else {
      throw ParseError(where + ": element is " + e.type_name() + ", expected string or object");
    }
    out.push_back(std::move(job));
  }
  return out;
}

ExecutionOptions readOptions(const Reader& r, bool keepExtras) {
  ExecutionOptions o;
  o.flowParameters = r.stringMap("flowParameters");
  o.notifyOnFirstFailure = r.boolean("notifyOnFirstFailure", true);
  o.notifyOnLastFailure = r.boolean("notifyOnLastFailure", false);
  o.successEmails = r.stringList("successEmails");
  o.failureEmails = r.stringList("failureEmails");
  if (auto action = r.optString("failureAction")) {
    auto parsed = parseFailureAction(*action);
    if (!parsed) r.fail("failureAction", "unknown value \"" + *action + "\"");
    o.failureAction = *parsed;
  }
  o.pipelineLevel = r.optInteger("pipelineLevel");
  o.pipelineExecId = r.optInteger("pipelineExecId");
  o.queueLevel = r.integer("queueLevel", 0);
  o.concurrentOption = r.string("concurrentOption", "ignore");
  if (const json* disabled = r.find("disabled")) {
    o.disabled = readDisabled(*disabled, r.where() + ": key \"disabled\"");
  }
  o.failureEmailsOverride = r.boolean("failureEmailsOverride", false);
  o.successEmailsOverride = r.boolean("successEmailsOverride", false);
  o.mailCreator = r.string("mailCreator", "default");
  o.memoryCheck = r.boolean("memoryCheck", true);
  if (keepExtras) o.extraKeys = r.extras({&optionKeys()});
  return o;
}

void validateSla(const json& sla) {
  if (sla.is_null()) return;
  if (!sla.is_array()) throw ParseError("root flow: key \"slaOptions\": expected a list");
  static const std::set<std::string> types{"FlowFinish", "FlowSucceed", "JobFinish", "JobSucceed"};
  int index = 0;
  for (const auto& e : sla) {
    Reader s(e, "root flow: slaOptions[" + std::to_string(index++) + "]");
    std::string type = s.requiredString("type");
    if (types.count(type) == 0) s.fail("type", "unknown SLA type \"" + type + "\"");
    (void)s.stringList("actions");
    const json* info = s.find("info");
    if (info == nullptr || !info->is_object()) s.fail("info", "expected an object");
  }
}

std::unique_ptr<ExecutableFlow> readFlow(const json& document) {
  auto flow = std::make_unique<ExecutableFlow>();
  readNode(document, flow->root, "");
  Reader r(document, "root flow");
  flow->executionId = r.integer("executionId", -1);
  flow->executionPath = r.optString("executionPath");
  flow->projectId = r.integer("projectId", 0);
  flow->projectName = r.string("projectName");
  flow->scheduleId = r.integer("scheduleId", -1);
  flow->submitUser = r.string("submitUser");
  flow->version = r.integer("version", 0);
  flow->lastModifiedTime = r.longValue("lastModfiedTime", 0);
  flow->lastModifiedUser = r.string("lastModifiedUser");
  flow->azkabanFlowVersion = r.doubleValue("azkabanFlowVersion", -1.0);
  if (const json* options = r.find("executionOptions"); options != nullptr && !options->is_null()) {
    flow->options = readOptions(Reader(*options, "root flow: executionOptions"), true);
  } else {
    // Legacy documents keep the options on the root object itself (ExecutableFlow.java).
    flow->options = readOptions(r, false);
  }
  flow->proxyUsers = r.stringList("proxyUsers");
  flow->submitTime = r.longValue("submitTime", -1);
  if (const json* sla = r.find("slaOptions")) {
    validateSla(*sla);
    flow->slaOptions = sla->is_null() ? json::array() : *sla;
  }
  flow->isLocked = r.boolean("isLocked", false);
  flow->flowLockErrorMessage = r.optString("flowLockErrorMessage");
  return flow;
}

json optionalString(const std::optional<std::string>& value) {
  return value ? json(*value) : json(nullptr);
}

json stringList(const std::vector<std::string>& list) {
  json out = json::array();
  for (const auto& s : list) out.push_back(s);
  return out;
}

json disabledToJson(const std::vector<DisabledJob>& list) {
  json out = json::array();
  for (const auto& job : list) {
    if (job.children.empty()) {
      out.push_back(job.id);
    } else {
      out.push_back({{"id", job.id}, {"children", disabledToJson(job.children)}});
    }
  }
  return out;
}

// Every key of a node but "nodes" (its children), which callers add as a DOM or stream as text.
json nodeFields(const ExecutableNode& node) {
  json out = node.extraKeys.is_object() ? node.extraKeys : json::object();
  out["id"] = node.isRoot() ? json(nullptr) : json(node.id);
  out["status"] = std::string(toString(node.status));
  out["startTime"] = node.startTime;
  out["endTime"] = node.endTime;
  out["updateTime"] = node.updateTime;
  out["type"] = node.type.empty() ? json(nullptr) : json(node.type);
  out["condition"] = optionalString(node.condition);
  if (node.conditionOnJobStatus) {
    out["conditionOnJobStatus"] = std::string(toString(*node.conditionOnJobStatus));
  }
  out["attempt"] = node.attempt;
  if (!node.inNodes.empty()) out["inNodes"] = stringList(node.inNodes);
  if (!node.outNodes.empty()) out["outNodes"] = stringList(node.outNodes);
  if (node.propSource) out["propSource"] = *node.propSource;
  if (node.jobSource) out["jobSource"] = *node.jobSource;
  if (node.outputProps) {
    auto flat = node.outputProps->flatten();
    if (!flat.empty()) out["outputProps"] = flat;
  }
  if (!node.pastAttempts.empty()) out["pastAttempts"] = pastAttemptsToJson(node.pastAttempts);
  if (node.isFlow()) {
    out["flowId"] = node.flowId;
    json props = json::array();
    for (const auto& entry : node.properties) {
      json e = {{"source", entry.source}};
      if (!entry.inherits.empty()) e["inherited"] = entry.inherits;
      props.push_back(std::move(e));
    }
    out["properties"] = std::move(props);
  }
  return out;
}

json nodeToJson(const ExecutableNode& node) {
  json out = nodeFields(node);
  if (node.isFlow()) {
    json nodes = json::array();
    for (const auto& child : node.nodes) nodes.push_back(nodeToJson(*child));
    out["nodes"] = std::move(nodes);
  }
  return out;
}

}  // namespace

// Reused while nothing that a run changes is different. The other fields are fixed once the
// execution is loaded.
const std::string& cachedFieldsText(const ExecutableNode& node) {
  const std::array<int64_t, 7> key{static_cast<int64_t>(node.status),
                                   node.startTime,
                                   node.endTime,
                                   node.updateTime,
                                   node.attempt,
                                   reinterpret_cast<intptr_t>(node.outputProps.get()),
                                   static_cast<int64_t>(node.pastAttempts.size())};
  if (node.fieldsText_.empty() || node.fieldsTextKey_ != key) {
    node.fieldsText_ = nodeFields(node).dump();
    node.fieldsTextKey_ = key;
  }
  return node.fieldsText_;
}

namespace {

// A node's fields text with the children streamed in as a last "nodes" key: only one node's
// DOM exists at a time, where a whole-flow DOM of a large flow costs megabytes per write.
void appendNodeText(std::string& out, std::string_view fieldsText, const ExecutableNode& node) {
  if (!node.isFlow()) {
    out += fieldsText;
    return;
  }
  fieldsText.remove_suffix(1);  // the closing brace
  out += fieldsText;
  out += fieldsText.size() > 1 ? ",\"nodes\":[" : "\"nodes\":[";
  bool first = true;
  for (const auto& child : node.nodes) {
    if (!first) out += ',';
    first = false;
    appendNodeText(out, cachedFieldsText(*child), *child);
  }
  out += "]}";
}

json optionsToJson(const ExecutionOptions& o) {
  json out = o.extraKeys.is_object() ? o.extraKeys : json::object();
  out["flowParameters"] = o.flowParameters;
  out["notifyOnFirstFailure"] = o.notifyOnFirstFailure;
  out["notifyOnLastFailure"] = o.notifyOnLastFailure;
  out["successEmails"] = stringList(o.successEmails);
  out["failureEmails"] = stringList(o.failureEmails);
  out["failureAction"] = std::string(toString(o.failureAction));
  out["pipelineLevel"] = o.pipelineLevel ? json(*o.pipelineLevel) : json(nullptr);
  out["pipelineExecId"] = o.pipelineExecId ? json(*o.pipelineExecId) : json(nullptr);
  out["queueLevel"] = o.queueLevel;
  out["concurrentOption"] = o.concurrentOption;
  out["disabled"] = disabledToJson(o.disabled);
  out["failureEmailsOverride"] = o.failureEmailsOverride;
  out["successEmailsOverride"] = o.successEmailsOverride;
  out["mailCreator"] = o.mailCreator;
  out["memoryCheck"] = o.memoryCheck;
  return out;
}

json deltaNode(const ExecutableNode& node, int64_t since, bool isRoot, const std::string& rootId) {
  json out = json::object();
  out["id"] = isRoot ? rootId : node.id;
  out["status"] = toCode(node.status);
  out["startTime"] = node.startTime;
  out["endTime"] = node.endTime;
  out["updateTime"] = node.updateTime;
  out["attempt"] = node.attempt;
  if (node.attempt > 0) out["pastAttempts"] = pastAttemptsToJson(node.pastAttempts);
  if (node.isFlow()) {
    json nodes = json::array();
    for (const auto& child : node.nodes) {
      if (child->isFlow()) {
        json sub = deltaNode(*child, since, false, rootId);
        if (child->updateTime > since || sub.contains("nodes")) nodes.push_back(std::move(sub));
      } else if (child->updateTime > since) {
        nodes.push_back(deltaNode(*child, since, false, rootId));
      }
    }
    if (!nodes.empty()) out["nodes"] = std::move(nodes);
  }
  return out;
}

}  // namespace

json pastAttemptsToJson(const std::vector<PastAttempt>& attempts) {
  json out = json::array();
  for (const auto& a : attempts) {
    out.push_back({{"attempt", a.attempt},
                   {"startTime", a.startTime},
                   {"endTime", a.endTime},
                   {"status", std::string(toString(a.status))}});
  }
  return out;
}

namespace {

json flowFields(const ExecutableFlow& flow) {
  json out = nodeFields(flow.root);
  out["executionId"] = flow.executionId;
  out["executionPath"] = optionalString(flow.executionPath);
  out["projectId"] = flow.projectId;
  out["projectName"] = flow.projectName;
  if (flow.scheduleId >= 0) out["scheduleId"] = flow.scheduleId;
  out["submitUser"] = flow.submitUser;
  out["version"] = flow.version;
  out["lastModfiedTime"] = flow.lastModifiedTime;
  out["lastModifiedUser"] = flow.lastModifiedUser;
  // A double so nlohmann prints "1.0"/"2.0"; Java reads an integer literal as -1.0 (5.1).
  out["azkabanFlowVersion"] = static_cast<double>(flow.azkabanFlowVersion);
  out["executionOptions"] = optionsToJson(flow.options);
  out["proxyUsers"] = stringList(flow.proxyUsers);
  out["submitTime"] = flow.submitTime;
  out["slaOptions"] = flow.slaOptions.is_array() ? flow.slaOptions : json::array();
  out["isLocked"] = flow.isLocked;
  out["flowLockErrorMessage"] = optionalString(flow.flowLockErrorMessage);
  return out;
}

}  // namespace

json toFlowDataJson(const ExecutableFlow& flow) {
  json out = flowFields(flow);
  json nodes = json::array();
  for (const auto& child : flow.root.nodes) nodes.push_back(nodeToJson(*child));
  out["nodes"] = std::move(nodes);
  return out;
}

std::string toFlowDataText(const ExecutableFlow& flow) {
  std::string out;
  appendNodeText(out, flowFields(flow).dump(), flow.root);
  return out;
}

Result<std::unique_ptr<ExecutableFlow>> parseFlowData(const json& document) {
  try {
    return readFlow(document);
  } catch (const ParseError& e) {
    return Error{std::string("flow_data: ") + e.what()};
  } catch (const std::exception& e) {
    return Error{std::string("flow_data: ") + e.what()};
  }
}

Result<std::unique_ptr<ExecutableFlow>> parseFlowDataText(std::string_view text) {
  json document;
  try {
    document = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    return Error{std::string("flow_data: invalid JSON: ") + e.what()};
  }
  return parseFlowData(document);
}

json updateDelta(const ExecutableFlow& flow, int64_t sinceUpdateTime) {
  json out = deltaNode(flow.root, sinceUpdateTime, true, flow.flowId());
  out["executionId"] = flow.executionId;
  return out;
}

json propsChainToJson(const PropsPtr& props) {
  if (!props) return nullptr;
  json out = json::object();
  out["source"] = props->source().empty() ? json(nullptr) : json(props->source());
  out["props"] = props->local();
  if (props->parent()) out["parent"] = propsChainToJson(props->parent());
  return out;
}

}  // namespace azx::flow
