#include "api/executor_api.h"

#include <fstream>
#include <set>

namespace azx::api {
namespace {

std::optional<std::string> param(const Params& params, const std::string& name) {
  auto it = params.find(name);
  if (it == params.end()) return std::nullopt;
  return it->second;
}

nlohmann::json errorReply(const std::string& message) {
  // The web treats {"error": null} as success: always a non-empty string.
  return {{"error", message.empty() ? std::string("unknown error") : message}};
}

nlohmann::json successStatus() { return {{"status", "success"}}; }

template <typename T>
Result<std::vector<T>> parseJsonArray(const std::string& text, const std::string& name) {
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_array()) {
    return Error{"Parameter '" + name + "' is not a JSON array"};
  }
  std::vector<T> values;
  for (const auto& item : parsed) {
    if (item.is_number_integer()) {
      values.push_back(item.get<T>());
    } else if (item.is_string()) {
      try {
        values.push_back(static_cast<T>(std::stoll(item.get<std::string>())));
      } catch (...) {
        return Error{"Parameter '" + name + "' has a non-numeric element"};
      }
    } else {
      return Error{"Parameter '" + name + "' has a non-numeric element"};
    }
  }
  return values;
}

int64_t parseLongOr(const std::optional<std::string>& text, int64_t fallback, bool* ok) {
  if (!text) {
    *ok = false;
    return fallback;
  }
  try {
    size_t used = 0;
    long long v = std::stoll(*text, &used);
    if (used != text->size()) throw std::invalid_argument(*text);
    return v;
  } catch (...) {
    *ok = false;
    return fallback;
  }
}

nlohmann::json sliceReply(const FileSlice& slice) {
  return {{"offset", slice.offset},
          {"length", static_cast<int64_t>(slice.data.size())},
          {"data", slice.data}};
}

nlohmann::json handleUpdate(const Params& params, ExecutorBackend& backend) {
  auto ids = param(params, "executionId");
  if (!ids) return errorReply("Missing required parameter 'executionId'.");
  auto times = param(params, "updatetime");
  if (!times) return errorReply("Missing required parameter 'updatetime'.");
  auto parsedIds = parseJsonArray<int>(*ids, "executionId");
  if (!parsedIds) return errorReply(parsedIds.error().message);
  auto parsedTimes = parseJsonArray<int64_t>(*times, "updatetime");
  if (!parsedTimes) return errorReply(parsedTimes.error().message);
  if (parsedIds->size() != parsedTimes->size()) {
    return errorReply("Parameters 'executionId' and 'updatetime' differ in length");
  }
  nlohmann::json updated = nlohmann::json::array();
  for (auto& entry : backend.update(*parsedIds, *parsedTimes)) updated.push_back(std::move(entry));
  return {{"updated", updated}};
}

nlohmann::json handleLogLike(const Params& params, ExecutorBackend& backend, int execId,
                             bool metadata) {
  std::string type = param(params, "type").value_or("");
  bool ok = true;
  int64_t offset = parseLongOr(param(params, "offset"), 0, &ok);
  if (!param(params, "offset")) return errorReply("Missing required parameter 'offset'.");
  if (!ok) return errorReply("For input string: \"" + *param(params, "offset") + "\"");
  int64_t length = parseLongOr(param(params, "length"), 0, &ok);
  if (!param(params, "length")) return errorReply("Missing required parameter 'length'.");
  if (!ok) return errorReply("For input string: \"" + *param(params, "length") + "\"");
  if (offset < 0 || length < 0) return errorReply("offset and length must not be negative");
  bool attemptOk = true;
  int attempt = static_cast<int>(parseLongOr(param(params, "attempt"), 0, &attemptOk));
  if (!attemptOk) attempt = 0;
  Result<FileSlice> slice = Error{""};
  if (metadata) {
    auto jobId = param(params, "jobId");
    if (!jobId) return errorReply("Missing required parameter 'jobId'.");
    slice = backend.readMetadata(execId, *jobId, attempt, offset, length);
  } else {
    if (!param(params, "type")) return errorReply("Missing required parameter 'type'.");
    if (type == "flow") {
      slice = backend.readLog(execId, "", 0, offset, length);
    } else {
      auto jobId = param(params, "jobId");
      if (!jobId) return errorReply("Missing required parameter 'jobId'.");
      slice = backend.readLog(execId, *jobId, attempt, offset, length);
    }
  }
  if (!slice) return errorReply(slice.error().message);
  return sliceReply(*slice);
}

}  // namespace

Result<int> parseJavaInt(const std::string& text) {
  try {
    size_t used = 0;
    long long v = std::stoll(text, &used);
    if (used != text.size() || text.empty() || text[0] == ' ' || v < INT32_MIN || v > INT32_MAX) {
      throw std::invalid_argument(text);
    }
    return static_cast<int>(v);
  } catch (...) {
    return Error{"For input string: \"" + text + "\""};
  }
}

nlohmann::json handleExecutorRequest(const Params& params, ExecutorBackend& backend) {
  try {
    auto action = param(params, "action");
    if (!action) return errorReply("Parameter action not set");
    const std::string& a = *action;
    auto simple = [](const Result<void>& r) {
      return r ? successStatus() : errorReply(r.error().message);
    };
    if (a == "update") return handleUpdate(params, backend);
    if (a == "ping") return {{"status", "alive"}};
    if (a == "reloadJobTypePlugins") return simple(backend.reloadJobTypePlugins());
    if (a == "activate") return simple(backend.setActive(true));
    if (a == "deactivate") return simple(backend.setActive(false));
    if (a == "shutdown") return simple(backend.shutdown());
    if (a == "getStatus") {
      auto row = backend.ownRow();
      if (!row) return errorReply(row.error().message);
      return {{"executor_id", std::to_string(row->id)},
              {"isActive", row->active ? "true" : "false"},
              {"status", "success"}};
    }

    auto execText = param(params, "execid");
    if (!execText) return errorReply("Missing required parameter 'execid'.");
    auto execId = parseJavaInt(*execText);
    if (!execId) return errorReply(execId.error().message);
    auto user = param(params, "user");

    if (a == "metadata") return handleLogLike(params, backend, *execId, true);
    if (a == "log") return handleLogLike(params, backend, *execId, false);
    if (a == "attachments") {
      auto jobId = param(params, "jobId");
      if (!jobId) return errorReply("Missing required parameter 'jobId'.");
      bool ok = true;
      int attempt = static_cast<int>(parseLongOr(param(params, "attempt"), 0, &ok));
      if (!ok) attempt = 0;
      auto result = backend.attachments(*execId, *jobId, attempt);
      if (!result) return errorReply(result.error().message);
      return {{"attachments", *result}};
    }
    if (a == "execute") {
      auto result = backend.execute(*execId);
      if (!result) return errorReply(result.error().message);
      return nlohmann::json::object();
    }
    if (a == "status") {
      auto status = backend.status(*execId);
      if (!status) return {{"status", "notfound"}};
      return {{"status", std::string(toString(status->first))}, {"lasttime", status->second}};
    }
    if (a == "cancel" || a == "pause" || a == "resume") {
      if (!user) return errorReply("user has not been set");
      Result<void> r = a == "cancel"  ? backend.cancel(*execId, *user)
                       : a == "pause" ? backend.pause(*execId, *user)
                                      : backend.resume(*execId, *user);
      return simple(r);
    }
    if (a == "modifyExecution") {
      auto type = param(params, "modifyType");
      if (!type) return errorReply("Missing required parameter 'modifyType'.");
      if (*type == "retryFailures") {
        auto r = backend.retryFailures(*execId, user.value_or(""));
        if (!r) return errorReply(r.error().message);
      }
      return nlohmann::json::object();
    }
    return errorReply("action: '" + a + "' not supported.");
  } catch (const std::exception& e) {
    return errorReply(e.what());
  }
}

nlohmann::json handleServerStatistics(const Params& params, ExecutorBackend& backend) {
  bool fresh = param(params, "nocache").value_or("") == "true";
  ExecutorStatistics s = backend.statistics(fresh);
  return {{"remainingMemoryPercent", s.remainingMemoryPercent},
          {"remainingMemoryInMB", s.remainingMemoryInMB},
          {"remainingFlowCapacity", s.remainingFlowCapacity},
          {"numberOfAssignedFlows", s.numberOfAssignedFlows},
          {"lastDispatchedTime", s.lastDispatchedTime},
          {"cpuUsage", s.cpuUsage}};
}

nlohmann::json handleStats(const Params& params) {
  auto action = param(params, "action");
  if (!action) return nlohmann::json::object();
  static const std::set<std::string> reportActions = {"getAllMetricNames", "getMetricHistory"};
  static const std::set<std::string> managerActions = {
      "changeMetricInterval", "changeCleaningInterval", "changeEmitterPoints", "enableMetrics",
      "disableMetrics"};
  if (reportActions.count(*action)) return errorReply("MetricReportManager is not available");
  if (managerActions.count(*action)) return errorReply("MetricManager is not available");
  return errorReply("Invalid action");
}

nlohmann::json handleJmx(const Params& params, ExecutorBackend& backend) {
  struct Bean {
    std::string domain;
    std::string name;
  };
  static const std::vector<Bean> beans = {
      {"azkaban.jmx.JmxJettyServer", "executorJetty"},
      {"azkaban.execapp.jmx.JmxFlowRunnerManager", "flowRunnerManager"},
      {"azkaban.execapp.jmx.JmxFlowRampManager", "flowRampManager"},
      {"azkaban.execapp.jmx.JmxJobMBeanManager", "jobJMXMBean"},
      {"azkaban.execapp.jmx.JmxJobCallback", "jobCallbackJMXMBean"}};
  if (param(params, "getMBeans")) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& b : beans) {
      list.push_back({{"domain", b.domain},
                      {"canonicalName", b.domain + ":name=" + b.name},
                      {"keyPropertyList", {{"name", b.name}}},
                      {"keyPropertyListString", "name=" + b.name},
                      {"canonicalKeyPropertyListString", "name=" + b.name},
                      {"pattern", false},
                      {"domainPattern", false},
                      {"propertyPattern", false},
                      {"propertyListPattern", false},
                      {"propertyValuePattern", false}});
    }
    return {{"mbeans", list}};
  }
  if (param(params, "getAllMBeanAttributes")) {
    auto bean = param(params, "mBean");
    if (!bean) return errorReply("Parameters 'mbean' must be set");
    auto toList = [](const std::vector<int>& ids) {
      std::string out = "[";
      for (size_t i = 0; i < ids.size(); ++i) out += (i ? ", " : "") + std::to_string(ids[i]);
      return out + "]";
    };
    if (*bean == "azkaban.execapp.jmx.JmxFlowRunnerManager:name=flowRunnerManager") {
      auto running = backend.runningExecutionIds();
      auto queued = backend.queuedExecutionIds();
      return {{"attributes",
               {{"NumRunningFlows", running.size()},
                {"NumQueuedFlows", queued.size()},
                {"RunningFlows", toList(running)},
                {"QueuedFlows", toList(queued)},
                {"ExecutorThreadPoolShutdown", false}}}};
    }
    for (const auto& b : beans) {
      if (*bean == b.domain + ":name=" + b.name) return {{"attributes", nlohmann::json::object()}};
    }
    return errorReply("'" + *bean + "' is not a valid mBean name");
  }
  return nlohmann::json::object();
}

FileSlice trimToUtf8(int64_t offset, std::string bytes) {
  size_t start = 0;
  while (start < bytes.size() && start < 5 &&
         (static_cast<unsigned char>(bytes[start]) & 0xC0) == 0x80) {
    ++start;
  }
  size_t end = bytes.size();
  // Drop a trailing incomplete multi-byte sequence.
  size_t i = end;
  int continuation = 0;
  while (i > start && continuation < 4 &&
         (static_cast<unsigned char>(bytes[i - 1]) & 0xC0) == 0x80) {
    --i;
    ++continuation;
  }
  if (i > start) {
    unsigned char lead = static_cast<unsigned char>(bytes[i - 1]);
    int need = (lead & 0x80) == 0 ? 0 : (lead & 0xE0) == 0xC0 ? 1 : (lead & 0xF0) == 0xE0 ? 2 : 3;
    if (need > 0 && continuation < need) end = i - 1;
  }
  return FileSlice{offset + static_cast<int64_t>(start), bytes.substr(start, end - start)};
}

Result<FileSlice> readFileSlice(const std::string& path, int64_t offset, int64_t length) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"missing"};
  in.seekg(0, std::ios::end);
  int64_t size = in.tellg();
  if (offset >= size || length == 0) return FileSlice{offset, ""};
  in.seekg(offset);
  std::string buffer(static_cast<size_t>(std::min<int64_t>(length, size - offset)), '\0');
  in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
  buffer.resize(static_cast<size_t>(in.gcount()));
  if (buffer.empty()) return FileSlice{offset, ""};
  return trimToUtf8(offset, std::move(buffer));
}

}  // namespace azx::api
