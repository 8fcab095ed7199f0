#include "jobtypes/emr/emr_api.h"

#include <chrono>

#include "aws/http/operations.h"
#include "aws/http/services.h"

namespace azx::jobtypes::emr {
namespace {

using nlohmann::json;

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

class AwsEmrApi final : public EmrApi {
 public:
  explicit AwsEmrApi(std::shared_ptr<aws::AwsClient> client) : client_(std::move(client)) {}

  aws::AwsResult<ClusterPage> listClusters(const std::vector<std::string>& states,
                                           const std::string& marker) override {
    json in = {{"ClusterStates", states}};
    if (!marker.empty()) in["Marker"] = marker;
    auto out = client_->callJson(aws::services::emr(), "ListClusters", in);
    if (!out) return out.error();
    ClusterPage page;
    for (const auto& c : out->value("Clusters", json::array())) {
      page.clusters.push_back(
          {str(c, "Id"), str(c, "Name"), str(c.value("Status", json::object()), "State")});
    }
    page.marker = str(*out, "Marker");
    return page;
  }

  aws::AwsResult<ClusterDetail> describeCluster(const std::string& clusterId) override {
    auto out =
        client_->callJson(aws::services::emr(), "DescribeCluster", {{"ClusterId", clusterId}});
    if (!out) return out.error();
    const json cluster = out->value("Cluster", json::object());
    ClusterDetail d;
    d.id = str(cluster, "Id");
    d.state = str(cluster.value("Status", json::object()), "State");
    d.stepConcurrencyLevel = cluster.value("StepConcurrencyLevel", 1);
    return d;
  }

  aws::AwsResult<int> modifyStepConcurrency(const std::string& clusterId, int level) override {
    auto out = client_->callJson(aws::services::emr(), "ModifyCluster",
                                 {{"ClusterId", clusterId}, {"StepConcurrencyLevel", level}});
    if (!out) return out.error();
    return out->value("StepConcurrencyLevel", level);
  }

  aws::AwsResult<std::vector<std::string>> addJobFlowSteps(
      const std::string& clusterId, const std::vector<StepDefinition>& steps) override {
    json list = json::array();
    for (const auto& s : steps) {
      list.push_back({{"Name", s.name},
                      {"ActionOnFailure", s.actionOnFailure},
                      {"HadoopJarStep", {{"Jar", s.jar}, {"Args", s.args}}}});
    }
    // Not idempotent: a single attempt, the caller reconciles (aws-wire 1.5).
    aws::CallOptions once;
    once.maxAttempts = 1;
    auto out = client_->callJson(aws::services::emr(), "AddJobFlowSteps",
                                 {{"JobFlowId", clusterId}, {"Steps", list}}, once);
    if (!out) return out.error();
    return out->value("StepIds", std::vector<std::string>{});
  }

  aws::AwsResult<StepPage> listSteps(const std::string& clusterId,
                                     const std::vector<std::string>& stepIds,
                                     const std::vector<std::string>& states,
                                     const std::string& marker) override {
    json in = {{"ClusterId", clusterId}};
    if (!stepIds.empty()) in["StepIds"] = stepIds;
    if (!states.empty()) in["StepStates"] = states;
    if (!marker.empty()) in["Marker"] = marker;
    auto out = client_->callJson(aws::services::emr(), "ListSteps", in);
    if (!out) return out.error();
    StepPage page;
    for (const auto& s : out->value("Steps", json::array())) {
      const json status = s.value("Status", json::object());
      StepStatus st{str(s, "Id"), str(status, "State"), {}};
      const json failure = status.value("FailureDetails", json::object());
      st.failureReason = str(failure, "Reason");
      if (auto msg = str(failure, "Message"); !msg.empty()) {
        st.failureReason += (st.failureReason.empty() ? "" : ": ") + msg;
      }
      st.name = str(s, "Name");
      st.args = s.value("Config", json::object()).value("Args", std::vector<std::string>{});
      page.steps.push_back(std::move(st));
    }
    page.marker = str(*out, "Marker");
    return page;
  }

  aws::AwsResult<std::vector<CancelInfo>> cancelSteps(
      const std::string& clusterId, const std::vector<std::string>& stepIds) override {
    auto out = client_->callJson(aws::services::emr(), "CancelSteps",
                                 {{"ClusterId", clusterId}, {"StepIds", stepIds}});
    if (!out) return out.error();
    std::vector<CancelInfo> infos;
    for (const auto& i : out->value("CancelStepsInfoList", json::array())) {
      infos.push_back({str(i, "StepId"), str(i, "Status"), str(i, "Reason")});
    }
    return infos;
  }

  aws::AwsResult<LogPage> getLogEvents(const std::string& group, const std::string& stream,
                                       const std::string& token) override {
    json in = {{"logGroupName", group}, {"logStreamName", stream}, {"startFromHead", true}};
    if (!token.empty()) in["nextToken"] = token;
    auto out = client_->callJson(aws::services::logs(), "GetLogEvents", in);
    if (!out) return out.error();
    LogPage page;
    for (const auto& e : out->value("events", json::array())) {
      page.events.push_back({e.value("timestamp", int64_t{0}), str(e, "message")});
    }
    page.nextForwardToken = str(*out, "nextForwardToken");
    return page;
  }

  aws::AwsResult<LambdaResult> invokeLambda(const std::string& function,
                                            const std::string& payload) override {
    // One attempt: a timed-out Invoke may have launched a cluster (aws-wire 1.5); discovery
    // looks the cluster up again instead of re-invoking.
    aws::CallOptions call;
    call.maxAttempts = 1;
    call.timeout = std::chrono::seconds(600);
    auto out = aws::lambdaInvoke(*client_, function, payload, "RequestResponse", "", call);
    if (!out) return out.error();
    return LambdaResult{out->status, out->payload, out->functionError};
  }

  aws::AwsResult<std::vector<QueueMessage>> receiveMessages(const std::string& queueUrl,
                                                            int waitSeconds) override {
    aws::CallOptions call;
    call.timeout = std::chrono::seconds(waitSeconds + 15);
    auto out = client_->callQuery(aws::services::sqs(), "ReceiveMessage",
                                  {{"QueueUrl", queueUrl},
                                   {"MaxNumberOfMessages", "10"},
                                   {"WaitTimeSeconds", std::to_string(waitSeconds)}},
                                  call);
    if (!out) return out.error();
    std::vector<QueueMessage> messages;
    const aws::XmlNode* result = out->findDescendant("ReceiveMessageResult");
    if (result) {
      for (const aws::XmlNode* m : result->childrenNamed("Message")) {
        messages.push_back({m->textAt("ReceiptHandle"), m->textAt("Body")});
      }
    }
    return messages;
  }

  aws::AwsResult<bool> deleteMessage(const std::string& queueUrl,
                                     const std::string& receiptHandle) override {
    auto out = client_->callQuery(aws::services::sqs(), "DeleteMessage",
                                  {{"QueueUrl", queueUrl}, {"ReceiptHandle", receiptHandle}});
    if (!out) return out.error();
    return true;
  }

  aws::AwsResult<bool> deleteMessages(const std::string& queueUrl,
                                      const std::vector<std::string>& receiptHandles) override {
    aws::QueryParams params{{"QueueUrl", queueUrl}};
    for (size_t i = 0; i < receiptHandles.size(); ++i) {
      std::string prefix = "DeleteMessageBatchRequestEntry." + std::to_string(i + 1);
      params.emplace_back(prefix + ".Id", "m" + std::to_string(i));
      params.emplace_back(prefix + ".ReceiptHandle", receiptHandles[i]);
    }
    auto out = client_->callQuery(aws::services::sqs(), "DeleteMessageBatch", params);
    if (!out) return out.error();
    // Entries that failed (e.g. an expired receipt) come back one by one.
    if (const aws::XmlNode* result = out->findDescendant("DeleteMessageBatchResult")) {
      for (const aws::XmlNode* failed : result->childrenNamed("BatchResultErrorEntry")) {
        size_t index = std::stoul(failed->textAt("Id").substr(1));
        if (index < receiptHandles.size()) (void)deleteMessage(queueUrl, receiptHandles[index]);
      }
    }
    return true;
  }

 private:
  std::shared_ptr<aws::AwsClient> client_;
};

}  // namespace

std::shared_ptr<EmrApi> makeAwsEmrApi(std::shared_ptr<aws::AwsClient> client) {
  return std::make_shared<AwsEmrApi>(std::move(client));
}

}  // namespace azx::jobtypes::emr
