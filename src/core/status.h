#pragma once

#include <optional>
#include <string_view>

namespace azx {

// Azkaban 3.81 node and flow statuses with their database codes.
enum class Status {
  Ready = 10,
  Preparing = 20,
  Running = 30,
  Paused = 40,
  Succeeded = 50,
  Killing = 55,
  Killed = 60,
  Failed = 70,
  FailedFinishing = 80,
  Skipped = 90,
  Disabled = 100,
  Queued = 110,
  FailedSucceeded = 120,
  Cancelled = 125,
};

// Azkaban's enum name, e.g. "FAILED_FINISHING".
std::string_view toString(Status status);
// Parses an Azkaban status name; nullopt for anything else.
std::optional<Status> parseStatus(std::string_view name);
int toCode(Status status);
// Unknown codes map to READY, as Azkaban's Status.fromInteger does.
Status statusFromCode(int code);

bool isFinished(Status status);   // SUCCEEDED FAILED KILLED SKIPPED FAILED_SUCCEEDED CANCELLED
bool isRunning(Status status);    // RUNNING FAILED_FINISHING QUEUED
bool isFailed(Status status);     // FAILED KILLED CANCELLED
bool isSucceeded(Status status);  // SUCCEEDED FAILED_SUCCEEDED SKIPPED

enum class FailureAction { FinishCurrentlyRunning, CancelAll, FinishAllPossible };
std::string_view toString(FailureAction action);
std::optional<FailureAction> parseFailureAction(std::string_view name);

enum class ConditionOnJobStatus { AllSuccess, AllFailed, AllDone, OneFailed, OneSuccess };
// Lower-case Azkaban spelling, e.g. "all_success".
std::string_view toString(ConditionOnJobStatus condition);
// Case-insensitive.
std::optional<ConditionOnJobStatus> parseConditionOnJobStatus(std::string_view name);

}  // namespace azx
