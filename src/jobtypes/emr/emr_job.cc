#include "jobtypes/emr/emr_job.h"

#include <spdlog/spdlog.h>

#include <mutex>

#include "aws/credentials/providers.h"
#include "jobtypes/emr/emr_config.h"
#include "jobtypes/emr/step_builder.h"

namespace azx::jobtypes::emr {

// State the tracker's callbacks may reach after the job is gone: touched on the loop only.
struct EmrJob::Shared {
  EventLoop* loop = nullptr;
  JobLogger* logger = nullptr;
  EmrJob* job = nullptr;  // null once the job is destroyed
};

class EmrJob::Observer final : public StepObserver {
 public:
  explicit Observer(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
  void onLog(const std::string& line) override {
    shared_->loop->post([s = shared_, line] {
      if (s->job) s->logger->info(line);
    });
  }
  void onSubmitted(const std::string& clusterId, const std::string& stepId) override {
    shared_->loop->post([s = shared_, clusterId, stepId] {
      if (!s->job) return;
      s->job->clusterId_ = clusterId;
      s->job->stepId_ = stepId;
      s->logger->info("Submitted EMR step id: '" + stepId + "' on cluster id: '" + clusterId + "'");
    });
  }
  void onFinished(const StepOutcome& outcome) override {
    shared_->loop->post([s = shared_, outcome] {
      if (s->job) s->job->onFinished(outcome);
    });
  }

 private:
  std::shared_ptr<Shared> shared_;
};

EmrJob::EmrJob(JobContext context, EmrJobTypeOptions options)
    : context_(std::move(context)), options_(std::move(options)) {
  shared_ = std::make_shared<Shared>();
  shared_->loop = context_.loop;
  shared_->logger = context_.logger;
  shared_->job = this;
}

EmrJob::~EmrJob() {
  shared_->job = nullptr;
  // A job torn down without finishing (engine shutdown) must not leave its step running.
  if (tracker_ && submitted_ && !finished_) tracker_->cancel(handle_);
}

void EmrJob::finish(JobResult result) {
  if (finished_) return;
  finished_ = true;
  auto props = Props::make();
  if (!stepId_.empty()) props->put(kOutputStepId, stepId_);
  if (!clusterId_.empty()) props->put(kOutputClusterId, clusterId_);
  if (!result.outputProps) result.outputProps = props;
  auto done = std::move(done_);
  if (done) done(std::move(result));
}

void EmrJob::fail(const std::string& message) {
  // Reported from the loop, never from inside start() (the engine is mid-call there).
  context_.loop->post([s = shared_, message] {
    if (s->job) s->job->finish(JobResult{false, message, nullptr});
  });
}

void EmrJob::start(std::function<void(JobResult)> done) {
  done_ = std::move(done);
  auto* log = context_.logger;
  log->info("Running EMR Step...");
  PropsPtr sys = context_.sysProps ? context_.sysProps : Props::make();
  auto config = readEmrJobConfig(context_.jobProps, *sys);
  if (!config) return fail(config.error().message);

  UserInputs users{config->serviceUser, config->useEmrUser, config->submitUser, config->proxyUser};
  std::optional<std::string> effective;
  if (config->executeAsUser) {
    auto e = effectiveUser(users);
    if (!e) return fail(e.error().message);
    effective = *e;
    log->info("Effective user: '" + *effective + "'");
    if (auto ok = checkNotBlacklisted(*effective, config->blacklist); !ok) {
      return fail(ok.error().message);
    }
  }
  log->info("Got service user from properties: '" + config->serviceUser + "'.");
  log->info(std::string("Disallowing proxy users: '") + (config->useEmrUser ? "true" : "false") +
            "'.");
  GroupLookup groups = options_.groupLookup
                           ? options_.groupLookup
                           : GroupLookup([](const std::string& u) { return groupFromFile(u); });
  auto emr = emrUser(users, effective, groups,
                     options_.groupSource.empty() ? "/etc/group" : options_.groupSource);
  if (!emr) return fail(emr.error().message);
  auto command = parseStepCommand(config->step);
  if (!command) return fail(command.error().message);
  StepDefinition step = buildStep(
      {config->stepName, config->stepScript, config->region, config->flowUuid, *emr}, *command);
  log->info("Script to be run as emr user '" + *emr + "'");

  TrackerSettings settings;
  settings.clusterName = config->clusterName;
  settings.logGroup = config->logGroup;
  settings.eventsQueueUrl = config->eventsQueueUrl;
  settings.pollInterval = std::chrono::milliseconds(config->pollIntervalMs);
  settings.logPollInterval = std::chrono::milliseconds(config->logPollIntervalMs);
  settings.safetyPollInterval = std::chrono::milliseconds(config->safetyPollIntervalMs);
  settings.eventsWaitSeconds = config->eventsWaitSeconds;
  auto pool = options_.pool ? options_.pool : processTrackerPool();
  auto tracker = pool->trackerFor(config->region, settings);
  if (!tracker) return fail(tracker.error().message);
  tracker_ = *tracker;
  log->info(std::string("Following the step in ") +
            (settings.eventsQueueUrl.empty() ? "polling mode (ListSteps every " +
                                                   std::to_string(config->pollIntervalMs) + " ms)"
                                             : "event mode (SQS " + settings.eventsQueueUrl + ")"));

  SubmitRequest request;
  request.discovery.clusterName = config->clusterName;
  request.discovery.copySecConfig = config->copySecConfig;
  request.discovery.clusterConfig = config->clusterConfig;
  request.discovery.initialWaitMs = config->initialWaitMs;
  request.discovery.bootPollIntervalMs = config->bootPollIntervalMs;
  request.discovery.bootPollAttempts = config->bootPollAttempts;
  request.discovery.launcherLambda = config->launcherLambda;
  request.discovery.clusterWaitIntervalMs = config->clusterWaitIntervalMs;
  request.step = std::move(step);
  request.observer = std::make_shared<Observer>(shared_);
  handle_ = tracker_->submit(std::move(request));
  submitted_ = true;
  if (cancelled_) tracker_->cancel(handle_);
}

void EmrJob::cancel() {
  if (finished_ || cancelled_) return;
  cancelled_ = true;
  context_.logger->info("Cancel requested");
  if (submitted_) tracker_->cancel(handle_);
}

void EmrJob::onFinished(const StepOutcome& outcome) {
  if (!outcome.stepId.empty()) stepId_ = outcome.stepId;
  if (!outcome.clusterId.empty()) clusterId_ = outcome.clusterId;
  auto props = Props::make();
  if (!stepId_.empty()) props->put(kOutputStepId, stepId_);
  if (!clusterId_.empty()) props->put(kOutputClusterId, clusterId_);
  if (!outcome.state.empty()) props->put(kOutputStepState, outcome.state);
  if (outcome.succeeded) {
    context_.logger->info("EMR Step Complete");
    return finish(JobResult{true, "", props});
  }
  if (outcome.cancelled && outcome.state.empty()) context_.logger->info(outcome.message);
  finish(JobResult{false, outcome.message, props});
}

Result<std::unique_ptr<Job>> EmrJobFactory::create(JobContext context) {
  if (!context.loop || !context.logger) return Error{"emr job needs an event loop and a logger"};
  return std::unique_ptr<Job>(std::make_unique<EmrJob>(std::move(context), options_));
}

std::shared_ptr<EmrTrackerPool> processTrackerPool() {
  static auto pool = std::make_shared<EmrTrackerPool>(
      [](const std::string& region) -> Result<std::shared_ptr<EmrApi>> {
        aws::AwsClientOptions options;
        options.region = region;
        options.retry.maxAttempts = 4;
        auto client = aws::makeDefaultAwsClient(std::move(options));
        if (!client) return client.error();
        return makeAwsEmrApi(*client);
      });
  return pool;
}

std::shared_ptr<CognitoUserDirectory> processCognitoDirectory(
    const CognitoDirectoryConfig& config) {
  // spdlog's registry first, so it outlives the directory's thread at exit.
  (void)spdlog::default_logger_raw();
  static std::mutex mutex;
  static std::optional<CognitoDirectoryConfig> current;
  static std::shared_ptr<CognitoUserDirectory> directory;
  std::lock_guard<std::mutex> lock(mutex);
  if (directory && current == config) return directory;
  aws::ProviderContext ctx;
  ctx.log = [](std::string_view line) { spdlog::info("aws: {}", line); };
  CognitoDirectoryOptions options;
  options.log = [](bool warning, const std::string& line) {
    if (warning) {
      spdlog::warn("{}", line);
    } else {
      spdlog::info("{}", line);
    }
  };
  auto made = makeCognitoUserDirectory(config, std::move(ctx), std::move(options));
  if (!made) {
    spdlog::error("{}; EMR users resolve through /etc/group only", made.error().message);
    return nullptr;
  }
  spdlog::info("Cognito user directory: reading {} at start{}", (*made)->description(),
               config.refresh.count() > 0
                   ? " and every " + std::to_string(config.refresh.count()) + " s"
                   : " only");
  (*made)->start();
  current = config;
  directory = *made;
  return directory;
}

void registerEmrJobType(JobTypeRegistry& registry, EmrJobTypeOptions options) {
  registerEmrJobType(registry, Props(), std::move(options));
}

void registerEmrJobType(JobTypeRegistry& registry, const Props& serverProps,
                        EmrJobTypeOptions options) {
  if (!options.groupLookup) {
    auto config = readCognitoDirectoryConfig(serverProps, aws::processEnv());
    if (!config) {
      spdlog::error("Cognito user directory: {}; EMR users resolve through /etc/group only",
                    config.error().message);
    } else if (*config) {
      if (auto directory = processCognitoDirectory(**config)) {
        options.groupLookup = directoryGroupLookup(directory);
        options.groupSource = "/etc/group or " + directory->description();
      }
    }
  }
  registry.replace(std::make_shared<EmrJobFactory>(std::move(options)));
}

}  // namespace azx::jobtypes::emr
