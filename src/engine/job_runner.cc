#include "engine/job_runner.h"

#include <algorithm>

#include "core/props_resolver.h"

namespace azx::engine {
namespace {

std::string joinIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ",") + id;
  return out;
}

bool isInside(const std::filesystem::path& dir, const std::filesystem::path& candidate) {
  std::error_code ec;
  auto base = std::filesystem::weakly_canonical(dir, ec);
  auto target = std::filesystem::weakly_canonical(candidate, ec);
  auto b = base.begin();
  auto t = target.begin();
  for (; b != base.end(); ++b, ++t) {
    if (t == target.end() || *b != *t) return false;
  }
  return true;
}

}  // namespace

std::string JobRunner::fileStem(int execId, int attempt, const std::string& nestedId) {
  std::string id = nestedId;
  for (size_t pos = 0; (pos = id.find(':', pos)) != std::string::npos; pos += 3) {
    id.replace(pos, 1, "._.");
  }
  std::string stem = "_job." + std::to_string(execId) + ".";
  if (attempt > 0) stem += std::to_string(attempt) + ".";
  return stem + id;
}

JobRunner::JobRunner(JobRunnerDeps deps, JobRunnerHost& host, flow::ExecutableFlow& flow,
                     flow::ExecutableNode& node, std::filesystem::path workingDir,
                     int64_t delayMillis)
    : deps_(std::move(deps)),
      host_(host),
      flow_(flow),
      node_(node),
      workingDir_(std::move(workingDir)),
      delayMillis_(delayMillis) {}

JobRunner::~JobRunner() {
  if (delayTimer_) deps_.loop->cancelTimer(delayTimer_);
}

void JobRunner::setStatus(Status status) {
  node_.status = status;
  node_.updateTime = deps_.clock->nowMillis();
}

void JobRunner::run() {
  if (isFinished(node_.status)) return quickFinish(node_.status);
  if (node_.status == Status::Disabled) return quickFinish(Status::Skipped);
  if (killed_) return quickFinish(Status::Killed);

  std::error_code ec;
  std::filesystem::create_directories(workingDir_, ec);
  const std::string stem = fileStem(flow_.executionId, node_.attempt, node_.nestedId());
  logPath_ = std::filesystem::absolute(workingDir_ / (stem + ".log"));
  attachmentPath_ = std::filesystem::absolute(workingDir_ / (stem + ".attach"));
  std::string layout = LogLayout::kDefaultPattern;
  if (node_.inputProps) {
    if (auto custom = node_.inputProps->get("azkaban.job.log.layout")) layout = *custom;
  }
  std::string loggerName = std::to_string(deps_.clock->nowMillis()) + "." +
                           std::to_string(flow_.executionId) + "." + node_.id;
  log_ = std::make_unique<LogFile>(logPath_, loggerName, *deps_.clock, LogLayout(layout),
                                   deps_.config.logMaxBytes, deps_.config.logBackups, deps_.loop);

  if (delayMillis_ > 0) {
    log_->info("Delaying start of job for " + std::to_string(delayMillis_) + " ms.");
    waitingDelay_ = true;
    delayTimer_ = deps_.loop->addTimer(std::chrono::milliseconds(delayMillis_), [this] {
      delayTimer_ = 0;
      waitingDelay_ = false;
      afterDelay();
    });
    return;
  }
  afterDelay();
}

void JobRunner::afterDelay() {
  if (!killed_ && host_.pipelineBlocks(*this)) {
    log_->info("Job is blocked by the pipelined execution " +
               std::to_string(flow_.options.pipelineExecId.value_or(-1)));
    waitingPipeline_ = true;
    return;
  }
  startAttempt();
}

void JobRunner::pipelineReleased() {
  if (!waitingPipeline_) return;
  waitingPipeline_ = false;
  if (log_) log_->info("Job is no longer blocked by the pipelined execution");
  startAttempt();
}

void JobRunner::quickFinish(Status status) {
  started_ = true;
  int64_t now = deps_.clock->nowMillis();
  node_.status = status;
  node_.startTime = now;
  node_.endTime = now;
  node_.updateTime = now;
  host_.onJobEvent(*this, EventType::JobStarted);
  finished_ = true;
  host_.onJobEvent(*this, EventType::JobFinished);
}

void JobRunner::startAttempt() {
  started_ = true;
  node_.startTime = deps_.clock->nowMillis();
  node_.updateTime = node_.startTime;
  host_.onJobAttemptStarted(*this, node_.inputProps);
  if (killed_) return finishAttempt();

  std::string attemptInfo = node_.attempt > 0 ? " retry: " + std::to_string(node_.attempt) : "";
  log_->info("Starting job " + node_.id + attemptInfo + " at " + std::to_string(node_.startTime));
  host_.onJobEvent(*this, EventType::JobStarted);
  auto job = prepare();
  if (!job) {
    log_->error("Job run failed preparing the job.");
    log_->error(job.error().message);
    setStatus(Status::Failed);
    return finishAttempt();
  }
  job_ = std::move(*job);
  host_.onJobUpdated(*this);
  host_.onJobEvent(*this, EventType::JobStatusChanged);
  if (killed_) return finishAttempt();  // a listener killed the flow on the status change
  jobRunning_ = true;
  job_->start([this](jobtypes::JobResult result) { onJobDone(std::move(result)); });
}

Result<std::unique_ptr<jobtypes::Job>> JobRunner::prepare() {
  if (!node_.inputProps) node_.inputProps = Props::make();
  Props& props = *node_.inputProps;
  const std::string nestedId = node_.nestedId();
  const flow::ExecutableNode* parentFlow = node_.parent;
  const std::string parentFlowId = parentFlow ? parentFlow->flowId : flow_.flowId();
  if (parentFlow && !parentFlow->isRoot()) props.put("azkaban.flow.nested.path", nestedId);
  if (deps_.config.webServerUrl) {
    const std::string& base = *deps_.config.webServerUrl;
    const std::string exec = std::to_string(flow_.executionId);
    props.put("azkaban.url", base);
    props.put("azkaban.link.execution.url", base + "/executor?execid=" + exec);
    props.put("azkaban.link.jobexec.url", base + "/executor?execid=" + exec + "&job=" + nestedId);
    props.put("azkaban.link.attempt.url", base + "/executor?execid=" + exec + "&job=" + nestedId +
                                              "&attempt=" + std::to_string(node_.attempt));
    props.put("azkaban.link.workflow.url",
              base + "/manager?project=" + flow_.projectName + "&flow=" + parentFlowId);
    props.put("azkaban.link.job.url", base + "/manager?project=" + flow_.projectName +
                                          "&flow=" + parentFlowId + "&job=" + node_.id);
  } else {
    log_->info("azkaban.webserver.url property was not set");
  }
  props.put("azkaban.job.outnodes", joinIds(node_.outNodes));
  props.put("azkaban.job.innodes", joinIds(node_.inNodes));
  std::string jvmArgs = "'-Dazkaban.flowid=" + parentFlowId +
                        "' '-Dazkaban.execid=" + std::to_string(flow_.executionId) +
                        "' '-Dazkaban.jobid=" + node_.id + "'";
  if (auto previous = props.get("jvm.args")) jvmArgs += " " + *previous;
  props.put("jvm.args", jvmArgs);
  props.put("azkaban.job.id", node_.id);
  props.put("azkaban.job.attempt", std::to_string(node_.attempt));
  props.put("azkaban.job.metadata.file",
            fileStem(flow_.executionId, node_.attempt, nestedId) + ".meta");
  props.put("azkaban.job.attachment.file", attachmentPath_.string());
  props.put("azkaban.job.log.file", logPath_.string());

  setStatus(Status::Running);

  auto rawWorkingDir = props.get("working.dir");
  if (!rawWorkingDir) {
    props.put("working.dir", std::filesystem::absolute(workingDir_).string());
  } else if (!isInside(workingDir_, *rawWorkingDir)) {
    return Error{"Specified working.dir is not valid: " + *rawWorkingDir +
                 ". Must be a subdirectory of " + workingDir_.string()};
  }
  if (!props.contains("user.to.proxy")) {
    if (!flow_.submitUser.empty()) {
      log_->info("user.to.proxy property was not set, defaulting to submit user " +
                 flow_.submitUser);
      props.put("user.to.proxy", flow_.submitUser);
    }
  } else if (deps_.config.proxyUserLockDown) {
    auto user = *props.get("user.to.proxy");
    if (std::find(flow_.proxyUsers.begin(), flow_.proxyUsers.end(), user) ==
        flow_.proxyUsers.end()) {
      return Error{"User " + user + " has no permission to execute this job"};
    }
  }

  // `type` is read unresolved (flow-semantics 2.5 step 1).
  std::string type = trim(props.getOr("type", ""));
  if (type.empty()) {
    return Error{"The 'type' parameter for job[" + node_.id + "] is null or empty"};
  }
  jobtypes::JobTypeFactory* factory = deps_.registry->find(type);
  if (!factory) {
    return Error{"Job type '" + type + "' is unrecognized. Could not construct job[" + node_.id +
                 "] of type[" + type + "]."};
  }
  if (deps_.plugins) {
    jobtypes::JobTypePlugins::fillDefaults(props, deps_.plugins->jobDefaultsFor(type));
  }
  auto resolved = resolveProps(props);
  if (!resolved) return resolved.error();
  PropsPtr sysProps = Props::make();
  if (deps_.plugins) {
    PropsPtr chain = deps_.plugins->sysPropsFor(type);
    if (deps_.plugins->types().count(type) > 0) {
      auto sysResolved = resolveProps(*chain);
      if (!sysResolved) return sysResolved.error().withContext("private properties of " + type);
      sysProps = Props::fromMap(*sysResolved);
    } else if (chain) {
      sysProps = chain;
    }
  }
  log_->info("Building " + type + " job executor. ");
  auto dump = resolved->find("job.dump.properties");
  if (dump != resolved->end() && Props::parseBool(dump->second)) {
    log_->info("******   Job properties   ******");
    for (const auto& [k, v] : *resolved) {
      bool masked = k.size() >= 2 && k.compare(k.size() - 2, 2, "_X") == 0;
      log_->info(k + "=" + (masked ? std::string("[MASKED]") : v));
    }
    log_->info("****** End Job properties  ******");
  }

  jobtypes::JobContext context;
  context.jobId = node_.id;
  context.nestedId = nestedId;
  context.execId = flow_.executionId;
  context.attempt = node_.attempt;
  context.jobProps = std::move(*resolved);
  context.sysProps = sysProps;
  context.workingDir = workingDir_;
  context.logger = log_.get();
  context.loop = deps_.loop;
  context.clock = deps_.clock;
  return factory->create(std::move(context));
}

void JobRunner::onJobDone(jobtypes::JobResult result) {
  jobRunning_ = false;
  if (result.succeeded) {
    if (!killed_) setStatus(Status::Succeeded);
  } else {
    if (!result.error.empty()) log_->error("Job run failed! " + result.error);
    bool succeedOnFailure =
        node_.inputProps && node_.inputProps->getBool("job.succeed.on.failure", false);
    if (succeedOnFailure) {
      setStatus(Status::FailedSucceeded);
    } else if (killed_) {
      log_->info("Job run killed!");
      setStatus(Status::Killed);
    } else {
      setStatus(Status::Failed);
    }
  }
  node_.outputProps = result.outputProps;
  // The job object may still be on the stack of this callback: release it from the loop.
  deps_.loop->post([dead = std::shared_ptr<jobtypes::Job>(std::move(job_))] {});
  finishAttempt();
}

void JobRunner::finishAttempt() {
  node_.endTime = deps_.clock->nowMillis();
  if (killed_) node_.status = Status::Killed;
  node_.updateTime = node_.endTime;
  std::string attemptInfo = node_.attempt > 0 ? " retry: " + std::to_string(node_.attempt) : "";
  log_->info("Finishing job " + node_.id + attemptInfo + " at " + std::to_string(node_.endTime) +
             " with status " + std::string(toString(node_.status)));
  log_->close();
  std::optional<std::filesystem::path> attachment;
  if (std::filesystem::exists(attachmentPath_)) attachment = attachmentPath_;
  finished_ = true;
  host_.onJobAttemptFinished(*this, log_->pieces(), attachment);
  host_.onJobEvent(*this, EventType::JobFinished);
}

void JobRunner::kill() {
  if (isFinished(node_.status) || finished_) return;
  if (log_) log_->error("Kill has been called.");
  setStatus(Status::Killing);
  killed_ = true;
  if (waitingDelay_) {
    deps_.loop->cancelTimer(delayTimer_);
    delayTimer_ = 0;
    waitingDelay_ = false;
    afterDelay();
    return;
  }
  if (waitingPipeline_) {
    waitingPipeline_ = false;
    startAttempt();
    return;
  }
  if (job_ && jobRunning_) {
    job_->cancel();
  } else if (log_ && !started_) {
    log_->error("Job hasn't started yet.");
  }
}

}  // namespace azx::engine
