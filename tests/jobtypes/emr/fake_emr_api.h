#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "jobtypes/emr/emr_api.h"

namespace azx::jobtypes::emr::testing {

inline aws::AwsError awsError(const std::string& code, int status, const std::string& op = "") {
  aws::AwsError e;
  e.code = code;
  e.httpStatus = status;
  e.message = code;
  e.operation = op;
  return e;
}
inline aws::AwsError throttled(const std::string& op) {
  return awsError("ThrottlingException", 400, op);
}

// In-memory EMR + Logs + Lambda + SQS. Thread-safe; counts calls per API. Steps change state
// only when a test says so (setState), so tests decide the timeline.
class FakeEmrApi final : public EmrApi {
 public:
  struct Step {
    std::string state = "PENDING";
    std::vector<std::string> logs;  // events of the stream; stream exists once non-empty or flag
    bool streamExists = false;
    StepDefinition def;
  };

  // --- configuration by tests (lock not needed before the tracker starts) ---
  std::function<aws::AwsResult<ClusterPage>(int call, const std::string& marker)> listClustersFn;
  std::function<aws::AwsResult<LambdaResult>(const std::string& payload)> invokeFn;
  ClusterDetail cluster{"j-CLUSTER", "WAITING", 256};
  size_t logPageSize = 2;
  bool emitEvents = false;  // state changes become SQS messages

  // --- inspection ---
  int calls(const std::string& api) {
    std::lock_guard lk(m_);
    return calls_[api];
  }
  std::map<std::string, int> allCalls() {
    std::lock_guard lk(m_);
    std::map<std::string, int> out;
    for (const auto& [api, n] : calls_) {
      if (n > 0) out[api] = n;
    }
    return out;
  }
  std::vector<std::string> markers() {
    std::lock_guard lk(m_);
    return markers_;
  }
  std::vector<std::string> lambdaPayloads() {
    std::lock_guard lk(m_);
    return payloads_;
  }
  std::vector<std::vector<std::string>> addBatches() {
    std::lock_guard lk(m_);
    return addBatches_;
  }
  std::vector<std::vector<std::string>> cancelRequests() {
    std::lock_guard lk(m_);
    return cancels_;
  }
  std::vector<std::string> stepIds() {
    std::lock_guard lk(m_);
    std::vector<std::string> ids;
    for (const auto& [id, s] : steps_) ids.push_back(id);
    return ids;
  }
  StepDefinition definition(const std::string& id) {
    std::lock_guard lk(m_);
    return steps_[id].def;
  }
  std::string state(const std::string& id) {
    std::lock_guard lk(m_);
    return steps_[id].state;
  }
  int maxStepIdsSeen() {
    std::lock_guard lk(m_);
    return maxIds_;
  }

  // --- timeline control ---
  void setState(const std::string& id, const std::string& state) {
    std::lock_guard lk(m_);
    setStateLocked(id, state);
  }
  // The step disappears from ListSteps (as after EMR's retention window).
  void forget(const std::string& id) {
    std::lock_guard lk(m_);
    steps_.erase(id);
  }
  void addLog(const std::string& id, const std::string& message) {
    std::lock_guard lk(m_);
    steps_[id].streamExists = true;
    steps_[id].logs.push_back(message);
  }
  // The next n calls of `api` fail with `error`.
  void failNext(const std::string& api, int n, aws::AwsError error) {
    std::lock_guard lk(m_);
    faults_[api] = {n, std::move(error)};
  }
  // Blocks until `api` was called at least n times (bounded).
  bool waitForCalls(const std::string& api, int n, int timeoutMs = 5000) {
    std::unique_lock lk(m_);
    return cv_.wait_for(lk, std::chrono::milliseconds(timeoutMs), [&] { return calls_[api] >= n; });
  }
  bool waitForSteps(size_t n, int timeoutMs = 5000) {
    std::unique_lock lk(m_);
    return cv_.wait_for(lk, std::chrono::milliseconds(timeoutMs),
                        [&] { return steps_.size() >= n; });
  }

  // --- EmrApi ---
  aws::AwsResult<ClusterPage> listClusters(const std::vector<std::string>& states,
                                           const std::string& marker) override {
    int n = count("ListClusters");
    {
      std::lock_guard lk(m_);
      markers_.push_back(marker);
      states_ = states;
      if (auto f = fault("ListClusters")) return *f;
    }
    if (listClustersFn) return listClustersFn(n, marker);
    return ClusterPage{{{cluster.id, "cluster", cluster.state}}, ""};
  }
  aws::AwsResult<ClusterDetail> describeCluster(const std::string&) override {
    count("DescribeCluster");
    std::lock_guard lk(m_);
    if (auto f = fault("DescribeCluster")) return *f;
    return cluster;
  }
  aws::AwsResult<int> modifyStepConcurrency(const std::string&, int level) override {
    count("ModifyCluster");
    std::lock_guard lk(m_);
    cluster.stepConcurrencyLevel = level;
    return level;
  }
  aws::AwsResult<std::vector<std::string>> addJobFlowSteps(
      const std::string&, const std::vector<StepDefinition>& defs) override {
    count("AddJobFlowSteps");
    std::lock_guard lk(m_);
    if (auto f = fault("AddJobFlowSteps")) return *f;
    std::vector<std::string> ids;
    for (const auto& d : defs) {
      char buf[32];
      snprintf(buf, sizeof(buf), "s-%04d", nextStep_++);
      steps_[buf].def = d;
      ids.push_back(buf);
      setStateLocked(buf, "PENDING");
    }
    addBatches_.push_back(ids);
    cv_.notify_all();
    return ids;
  }
  aws::AwsResult<StepPage> listSteps(const std::string&, const std::vector<std::string>& ids,
                                     const std::vector<std::string>& states,
                                     const std::string&) override {
    count("ListSteps");
    std::lock_guard lk(m_);
    maxIds_ = std::max(maxIds_, static_cast<int>(ids.size()));
    if (ids.size() > 10) return awsError("ValidationException", 400, "ListSteps");
    if (auto f = fault("ListSteps")) return *f;
    StepPage page;
    for (const auto& [id, s] : steps_) {
      bool idOk = ids.empty() || std::find(ids.begin(), ids.end(), id) != ids.end();
      bool stOk =
          states.empty() || std::find(states.begin(), states.end(), s.state) != states.end();
      if (idOk && stOk) page.steps.push_back({id, s.state, "", s.def.name, s.def.args});
    }
    return page;
  }
  aws::AwsResult<std::vector<CancelInfo>> cancelSteps(
      const std::string&, const std::vector<std::string>& ids) override {
    std::lock_guard lk(m_);
    ++calls_["CancelSteps"];  // counted with its effects, so waiters see both
    cv_.notify_all();
    if (auto f = fault("CancelSteps")) return *f;
    cancels_.push_back(ids);
    std::vector<CancelInfo> out;
    for (const auto& id : ids) {
      out.push_back({id, "SUBMITTED", ""});
      auto& s = steps_[id];
      if (s.state == "PENDING") setStateLocked(id, "CANCELLED");
      if (s.state == "RUNNING") setStateLocked(id, "CANCEL_PENDING");
    }
    return out;
  }
  aws::AwsResult<LogPage> getLogEvents(const std::string&, const std::string& stream,
                                       const std::string& token) override {
    count("GetLogEvents");
    std::lock_guard lk(m_);
    if (auto f = fault("GetLogEvents")) return *f;
    auto it = steps_.find(stream);
    if (it == steps_.end() || !it->second.streamExists) {
      return awsError("ResourceNotFoundException", 400, "GetLogEvents");
    }
    size_t pos = token.empty() ? 0 : std::stoul(token.substr(2));
    LogPage page;
    size_t end = std::min(it->second.logs.size(), pos + logPageSize);
    for (size_t i = pos; i < end; ++i) page.events.push_back({0, it->second.logs[i]});
    page.nextForwardToken = (token.empty() || end != pos) ? "f/" + std::to_string(end) : token;
    return page;
  }
  aws::AwsResult<LambdaResult> invokeLambda(const std::string&,
                                            const std::string& payload) override {
    count("Invoke");
    {
      std::lock_guard lk(m_);
      payloads_.push_back(payload);
    }
    if (invokeFn) return invokeFn(payload);
    return LambdaResult{200, "", std::nullopt};
  }
  aws::AwsResult<std::vector<QueueMessage>> receiveMessages(const std::string&,
                                                            int waitSeconds) override {
    count("ReceiveMessage");
    std::unique_lock lk(m_);
    if (auto f = fault("ReceiveMessage")) return *f;
    cv_.wait_for(lk, std::chrono::seconds(waitSeconds), [&] { return !queue_.empty(); });
    std::vector<QueueMessage> out;
    while (!queue_.empty() && out.size() < 10) {
      out.push_back(queue_.front());
      queue_.erase(queue_.begin());
    }
    return out;
  }
  aws::AwsResult<bool> deleteMessage(const std::string&, const std::string&) override {
    count("DeleteMessage");
    return true;
  }
  void pushMessage(const std::string& body) {
    std::lock_guard lk(m_);
    queue_.push_back({"r-" + std::to_string(queue_.size()), body});
    cv_.notify_all();
  }
  std::vector<std::string> lastStates() {
    std::lock_guard lk(m_);
    return states_;
  }

 private:
  int count(const std::string& api) {
    std::lock_guard lk(m_);
    int n = ++calls_[api];
    cv_.notify_all();
    return n;
  }
  std::optional<aws::AwsError> fault(const std::string& api) {
    auto it = faults_.find(api);
    if (it == faults_.end() || it->second.first <= 0) return std::nullopt;
    --it->second.first;
    return it->second.second;
  }
  void setStateLocked(const std::string& id, const std::string& state) {
    steps_[id].state = state;
    if (state == "RUNNING") steps_[id].streamExists = true;
    if (emitEvents) {
      queue_.push_back({"r", std::string("{\"detail-type\":\"EMR Step Status Change\",\"source\":"
                                         "\"aws.emr\",\"detail\":{\"stepId\":\"") +
                                 id + "\",\"clusterId\":\"" + cluster.id + "\",\"state\":\"" +
                                 state + "\"}}"});
    }
    cv_.notify_all();
  }

  std::mutex m_;
  std::condition_variable cv_;
  std::map<std::string, int> calls_;
  std::map<std::string, std::pair<int, aws::AwsError>> faults_;
  std::vector<std::string> markers_;
  std::vector<std::string> payloads_;
  std::vector<std::string> states_;
  std::vector<std::vector<std::string>> addBatches_;
  std::vector<std::vector<std::string>> cancels_;
  std::map<std::string, Step> steps_;
  std::vector<QueueMessage> queue_;
  int nextStep_ = 0;
  int maxIds_ = 0;
};

}  // namespace azx::jobtypes::emr::testing
