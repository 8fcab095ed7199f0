#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/props.h"
#include "core/result.h"
#include "flow/executable_flow.h"

namespace azx::engine {

// Props key listing (comma separated) the keys copied into event-reporter metadata.
inline constexpr const char* kEventReportingPropagateProperties =
    "azkaban.event.reporting.propagateProperties";

// Copies each key named by `azkaban.event.reporting.propagateProperties` that `props` has into
// `metadata` (flow-semantics 4.16); missing keys are skipped. Error when the list is present
// but there is no metadata map to fill (Azkaban fails the same way).
Result<void> addMetadataFromProperties(std::map<std::string, std::string>* metadata,
                                       const Props& props);

// Event-reporter metadata of a flow (flow-semantics 4.16): flowName, azkabanHost
// (azkaban.server.hostname, default "unknown"), azkabanWebserver (external hostname / jetty
// hostname, default "localhost"), projectName, submitUser (absent when unset), executionId,
// startTime, submitTime; once the flow finished also endTime and flowStatus.
std::map<std::string, std::string> flowMetadata(const flow::ExecutableFlow& flow,
                                                const std::optional<std::string>& serverHostname,
                                                const std::optional<std::string>& webServerHost);

}  // namespace azx::engine
