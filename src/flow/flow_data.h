#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/props.h"
#include "core/result.h"
#include "flow/executable_flow.h"

namespace azx::flow {

// The flow_data document of execution_flows (azkaban-wire 5.1-5.7). Keys the model does not
// know are kept in extraKeys and written back; known keys always win over extraKeys.
nlohmann::json toFlowDataJson(const ExecutableFlow& flow);
std::string toFlowDataText(const ExecutableFlow& flow);

// Parses a flow_data document with the Java reader's typing rules (5.1). Errors name the key
// and the node path, e.g. `node "sub:jobB": key "status": unknown status "RUNING"`.
Result<std::unique_ptr<ExecutableFlow>> parseFlowData(const nlohmann::json& document);
Result<std::unique_ptr<ExecutableFlow>> parseFlowDataText(std::string_view text);

// The `update` delta of one execution for the caller's time `sinceUpdateTime` (5.8).
nlohmann::json updateDelta(const ExecutableFlow& flow, int64_t sinceUpdateTime);

// input_params / output_params JSON (9.3): {"source":..,"props":{..},"parent":{..}}; the
// farthest level has no "parent". A null chain gives JSON null.
nlohmann::json propsChainToJson(const PropsPtr& props);

// Status names/codes of pastAttempts entries etc. are exposed for the stores and the server.
nlohmann::json pastAttemptsToJson(const std::vector<PastAttempt>& attempts);

}  // namespace azx::flow
