#pragma once

#include <cstdint>
#include <string>

#include "core/props.h"
#include "flow/executable_flow.h"

namespace azx::engine {

// The `azkaban.flow.*` built-ins of one execution (flow-semantics 2.7), taken at `startMillis`.
PropsPtr commonFlowProperties(const flow::ExecutableFlow& flow, int64_t startMillis);

// ISO-8601 with milliseconds and offset in the executor's zone, as Joda's DateTime.toString()
// ("2020-01-02T03:04:05.678-08:00", "…Z" for UTC).
std::string isoTimestamp(int64_t millis);
// The executor's time-zone id, e.g. "UTC" or "America/Los_Angeles".
std::string localTimeZoneId();

}  // namespace azx::engine
