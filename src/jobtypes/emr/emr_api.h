#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aws/http/aws_client.h"
#include "aws/http/aws_error.h"

namespace azx::jobtypes::emr {

// The AWS operations the emr job type uses, behind a small interface so the tracker, cluster
// discovery and the job can be tested with a fake (no HTTP). All calls are synchronous and are
// made only from worker threads, never from the event loop.

struct ClusterSummary {
  std::string id;
  std::string name;
  std::string state;
};
struct ClusterPage {
  std::vector<ClusterSummary> clusters;
  std::string marker;  // empty: last page
};
struct ClusterDetail {
  std::string id;
  std::string state;
  int stepConcurrencyLevel = 1;
};

struct StepDefinition {
  std::string name;
  std::string actionOnFailure = "CONTINUE";
  std::string jar;
  std::vector<std::string> args;
};

struct StepStatus {
  std::string id;
  std::string state;          // PENDING, RUNNING, COMPLETED, ...
  std::string failureReason;  // Status.FailureDetails.Reason / Message when present
  std::string name;
  std::vector<std::string> args;  // Config.Args (to reconcile an AddJobFlowSteps without answer)
};
struct StepPage {
  std::vector<StepStatus> steps;
  std::string marker;
};

struct CancelInfo {
  std::string stepId;
  std::string status;
  std::string reason;
};

struct LogEvent {
  int64_t timestamp = 0;
  std::string message;
};
struct LogPage {
  std::vector<LogEvent> events;
  std::string nextForwardToken;
};

struct LambdaResult {
  int status = 0;
  std::string payload;
  std::optional<std::string> functionError;
};

struct QueueMessage {
  std::string receiptHandle;
  std::string body;
};

class EmrApi {
 public:
  virtual ~EmrApi() = default;
  virtual aws::AwsResult<ClusterPage> listClusters(const std::vector<std::string>& states,
                                                   const std::string& marker) = 0;
  virtual aws::AwsResult<ClusterDetail> describeCluster(const std::string& clusterId) = 0;
  virtual aws::AwsResult<int> modifyStepConcurrency(const std::string& clusterId, int level) = 0;
  virtual aws::AwsResult<std::vector<std::string>> addJobFlowSteps(
      const std::string& clusterId, const std::vector<StepDefinition>& steps) = 0;
  // stepIds (<= 10) and/or states filter; marker for paging.
  virtual aws::AwsResult<StepPage> listSteps(const std::string& clusterId,
                                             const std::vector<std::string>& stepIds,
                                             const std::vector<std::string>& states,
                                             const std::string& marker) = 0;
  virtual aws::AwsResult<std::vector<CancelInfo>> cancelSteps(
      const std::string& clusterId, const std::vector<std::string>& stepIds) = 0;
  // token empty: from the head.
  virtual aws::AwsResult<LogPage> getLogEvents(const std::string& group, const std::string& stream,
                                               const std::string& token) = 0;
  virtual aws::AwsResult<LambdaResult> invokeLambda(const std::string& function,
                                                    const std::string& payload) = 0;
  virtual aws::AwsResult<std::vector<QueueMessage>> receiveMessages(const std::string& queueUrl,
                                                                    int waitSeconds) = 0;
  virtual aws::AwsResult<bool> deleteMessage(const std::string& queueUrl,
                                             const std::string& receiptHandle) = 0;
  // DeleteMessageBatch (<= 10); the default deletes one by one.
  virtual aws::AwsResult<bool> deleteMessages(const std::string& queueUrl,
                                              const std::vector<std::string>& receiptHandles) {
    for (const auto& h : receiptHandles) {
      auto r = deleteMessage(queueUrl, h);
      if (!r) return r;
    }
    return true;
  }
};

// The real thing, over one AwsClient (its region is aws.region of the job type).
std::shared_ptr<EmrApi> makeAwsEmrApi(std::shared_ptr<aws::AwsClient> client);

}  // namespace azx::jobtypes::emr
