#include "jobtypes/noop/noop_job.h"

namespace azx::jobtypes {
namespace {

class NoopJob final : public Job {
 public:
  explicit NoopJob(JobContext context) : context_(std::move(context)) {}
  void start(std::function<void(JobResult)> done) override {
    // Reported from the loop, not from inside start(), like every other job.
    context_.loop->post([done = std::move(done)] { done(JobResult{true, "", Props::make()}); });
  }
  void cancel() override {}

 private:
  JobContext context_;
};

}  // namespace

Result<std::unique_ptr<Job>> NoopJobFactory::create(JobContext context) {
  return std::unique_ptr<Job>(std::make_unique<NoopJob>(std::move(context)));
}

}  // namespace azx::jobtypes
