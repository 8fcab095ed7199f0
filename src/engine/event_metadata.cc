#include "engine/event_metadata.h"

namespace azx::engine {

Result<void> addMetadataFromProperties(std::map<std::string, std::string>* metadata,
                                       const Props& props) {
  auto list = props.get(kEventReportingPropagateProperties);
  if (!list) return okResult();
  if (metadata == nullptr) {
    return Error{"cannot propagate " + std::string(kEventReportingPropagateProperties) +
                 " into a null metadata map"};
  }
  for (const auto& key : splitCommaList(*list)) {
    // Azkaban logs a warning and skips keys the props do not have.
    if (auto value = props.get(key)) (*metadata)[key] = *value;
  }
  return okResult();
}

std::map<std::string, std::string> flowMetadata(const flow::ExecutableFlow& flow,
                                                const std::optional<std::string>& serverHostname,
                                                const std::optional<std::string>& webServerHost) {
  std::map<std::string, std::string> metadata;
  metadata["flowName"] = flow.flowId();
  metadata["azkabanHost"] = serverHostname.value_or("unknown");
  metadata["azkabanWebserver"] = webServerHost.value_or("localhost");
  metadata["projectName"] = flow.projectName;
  if (!flow.submitUser.empty()) metadata["submitUser"] = flow.submitUser;
  metadata["executionId"] = std::to_string(flow.executionId);
  metadata["startTime"] = std::to_string(flow.root.startTime);
  metadata["submitTime"] = std::to_string(flow.submitTime);
  if (isFinished(flow.root.status)) {
    metadata["endTime"] = std::to_string(flow.root.endTime);
    metadata["flowStatus"] = std::string(toString(flow.root.status));
  }
  return metadata;
}

}  // namespace azx::engine
