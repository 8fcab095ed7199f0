#pragma once

#include <memory>
#include <string>

#include "jobtypes/emr/cognito_user_directory.h"
#include "jobtypes/emr/step_tracker.h"
#include "jobtypes/emr/user_utility.h"
#include "jobtypes/job_type.h"

namespace azx::jobtypes::emr {

// Output properties of a finished `emr` job (also on failure once a step exists).
inline constexpr const char* kOutputStepId = "emr.step.id";
inline constexpr const char* kOutputClusterId = "emr.cluster.id";
inline constexpr const char* kOutputStepState = "emr.step.state";

struct EmrJobTypeOptions {
  std::shared_ptr<EmrTrackerPool> pool;  // null: the process-wide pool over real AWS clients
  GroupLookup groupLookup;               // null: /etc/group
  std::string groupSource;               // what groupLookup reads, for errors; "": /etc/group
};

// The `emr` job type (emr-jobtypes.md section 2): runs `step` on the shared EMR cluster through
// the process's EmrStepTracker. start() never blocks: all AWS calls happen on the tracker's
// worker thread, results come back through EventLoop::post.
class EmrJob final : public Job {
 public:
  EmrJob(JobContext context, EmrJobTypeOptions options);
  ~EmrJob() override;

  void start(std::function<void(JobResult)> done) override;
  void cancel() override;

 private:
  struct Shared;
  class Observer;
  void finish(JobResult result);
  void fail(const std::string& message);
  void onFinished(const StepOutcome& outcome);

  JobContext context_;
  EmrJobTypeOptions options_;
  std::function<void(JobResult)> done_;
  std::shared_ptr<Shared> shared_;
  std::shared_ptr<EmrStepTracker> tracker_;
  EmrStepTracker::Handle handle_ = 0;
  bool submitted_ = false;
  bool cancelled_ = false;
  bool finished_ = false;
  std::string clusterId_;
  std::string stepId_;
};

class EmrJobFactory final : public JobTypeFactory {
 public:
  explicit EmrJobFactory(EmrJobTypeOptions options) : options_(std::move(options)) {}
  std::string name() const override { return "emr"; }
  Result<std::unique_ptr<Job>> create(JobContext context) override;

 private:
  EmrJobTypeOptions options_;
};

// The process-wide tracker pool over AwsClients from the default credential chain
// (AWS_ENDPOINT_URL* overrides honoured), region = aws.region of the job type.
std::shared_ptr<EmrTrackerPool> processTrackerPool();

// The process-wide Cognito directory for `config`: made and started (waiting up to 30 s for
// the first load) on first use, then shared by every call with the same config, so a job-type
// reload neither reads Cognito again nor blocks the loop (a different config, which one server
// never has, replaces it). Null when it cannot be made (logged).
std::shared_ptr<CognitoUserDirectory> processCognitoDirectory(const CognitoDirectoryConfig& config);

// Adds the `emr` type (plugins/jobtypes/emr/private.properties + commonprivate.properties
// are its sys props). Without options.groupLookup the EMR user's group comes from /etc/group,
// or, when a Cognito user pool is configured (readCognitoDirectoryConfig over `serverProps`
// and the process environment), from the process-wide directory over /etc/group.
void registerEmrJobType(JobTypeRegistry& registry, EmrJobTypeOptions options = {});
void registerEmrJobType(JobTypeRegistry& registry, const Props& serverProps,
                        EmrJobTypeOptions options = {});

}  // namespace azx::jobtypes::emr
