#pragma once

// Shared helpers of the conformance scenarios (shared/spec/conformance-scenarios.md).
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>

#include "tests/support/engine_harness.h"
#include "tests/support/test_paths.h"

namespace azx::testing {

// Status abbreviations of conformance 0.1.
inline constexpr Status S = Status::Succeeded;
inline constexpr Status F = Status::Failed;
inline constexpr Status K = Status::Killed;
inline constexpr Status C = Status::Cancelled;
inline constexpr Status SK = Status::Skipped;
inline constexpr Status R = Status::Running;
inline constexpr Status Q = Status::Queued;
inline constexpr Status RD = Status::Ready;
inline constexpr Status FF = Status::FailedFinishing;

// Every listed key has exactly the listed value in `actual` (other keys may exist).
inline ::testing::AssertionResult hasProps(const std::map<std::string, std::string>& actual,
                                           const std::map<std::string, std::string>& expected) {
  std::ostringstream out;
  bool ok = true;
  for (const auto& [key, value] : expected) {
    auto it = actual.find(key);
    if (it == actual.end()) {
      out << "\n  " << key << ": missing, want '" << value << "'";
      ok = false;
    } else if (it->second != value) {
      out << "\n  " << key << ": is '" << it->second << "', want '" << value << "'";
      ok = false;
    }
  }
  if (ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "props differ:" << out.str();
}

// The job's runner has added its keys (flow-semantics 2.4): JOB_STATUS_CHANGED was seen.
inline bool waitRunningInputs(EngineHarness& h, Execution& e, const std::string& nestedId) {
  return h.waitUntil([&] { return !e.recorder().runningInputs[nestedId].empty(); });
}

}  // namespace azx::testing
