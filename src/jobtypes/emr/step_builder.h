#pragma once

#include <string>

#include "core/result.h"
#include "jobtypes/emr/emr_api.h"

namespace azx::jobtypes::emr {

// Job prop `step` split as Java's split(" ") does (spec 2.6): the script is the text before the
// first space; the argument text is the rest re-joined with single spaces, i.e. the remainder
// minus trailing spaces. Quotes are not interpreted: the argument text travels as ONE argument
// and step.sh expands it unquoted on EMR, so the shell splits it on white space again and
// quote characters reach the script literally.
struct StepCommand {
  std::string script;
  std::string arguments;
};
Result<StepCommand> parseStepCommand(const std::string& step);

// s3://<region>.elasticmapreduce/libs/script-runner/script-runner.jar
std::string scriptRunnerJar(const std::string& region);

struct StepInputs {
  std::string stepName;    // sys aws.emr.step.name
  std::string stepScript;  // sys aws.emr.step.script (the wrapper, step.sh)
  std::string region;      // sys aws.region
  std::string flowUuid;    // job azkaban.flow.uuid
  std::string emrUser;
};
// Args = [step script, flow UUID, EMR user, script, argument text] (exactly five).
StepDefinition buildStep(const StepInputs& in, const StepCommand& command);

}  // namespace azx::jobtypes::emr
