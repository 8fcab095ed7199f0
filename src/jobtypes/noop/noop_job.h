#pragma once

#include "jobtypes/job_type.h"

namespace azx::jobtypes {

// The `noop` type: succeeds at once with an empty output set.
class NoopJobFactory final : public JobTypeFactory {
 public:
  std::string name() const override { return "noop"; }
  Result<std::unique_ptr<Job>> create(JobContext context) override;
};

}  // namespace azx::jobtypes
