#include "jobtypes/emr/step_builder.h"

namespace azx::jobtypes::emr {

Result<StepCommand> parseStepCommand(const std::string& step) {
  if (step.find_first_not_of(' ') == std::string::npos) {
    // The original dies with an index error on "" / "   "; say what is wrong instead.
    return Error{"Property 'step' must name a script, got '" + step + "'"};
  }
  size_t space = step.find(' ');
  if (space == std::string::npos) return StepCommand{step, ""};
  std::string rest = step.substr(space + 1);
  size_t last = rest.find_last_not_of(' ');
  rest = last == std::string::npos ? std::string() : rest.substr(0, last + 1);
  return StepCommand{step.substr(0, space), rest};
}

std::string scriptRunnerJar(const std::string& region) {
  return "s3://" + region + ".elasticmapreduce/libs/script-runner/script-runner.jar";
}

StepDefinition buildStep(const StepInputs& in, const StepCommand& command) {
  StepDefinition def;
  def.name = in.stepName;
  def.actionOnFailure = "CONTINUE";
  def.jar = scriptRunnerJar(in.region);
  def.args = {in.stepScript, in.flowUuid, in.emrUser, command.script, command.arguments};
  return def;
}

}  // namespace azx::jobtypes::emr
