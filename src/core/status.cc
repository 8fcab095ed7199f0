#include "core/status.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <utility>

namespace azx {
namespace {

constexpr std::array<std::pair<Status, std::string_view>, 14> kStatusNames{{
    {Status::Ready, "READY"},
    {Status::Preparing, "PREPARING"},
    {Status::Running, "RUNNING"},
    {Status::Paused, "PAUSED"},
    {Status::Succeeded, "SUCCEEDED"},
    {Status::Killing, "KILLING"},
    {Status::Killed, "KILLED"},
    {Status::Failed, "FAILED"},
    {Status::FailedFinishing, "FAILED_FINISHING"},
    {Status::Skipped, "SKIPPED"},
    {Status::Disabled, "DISABLED"},
    {Status::Queued, "QUEUED"},
    {Status::FailedSucceeded, "FAILED_SUCCEEDED"},
    {Status::Cancelled, "CANCELLED"},
}};

constexpr std::array<std::pair<ConditionOnJobStatus, std::string_view>, 5> kConditionNames{{
    {ConditionOnJobStatus::AllSuccess, "all_success"},
    {ConditionOnJobStatus::AllFailed, "all_failed"},
    {ConditionOnJobStatus::AllDone, "all_done"},
    {ConditionOnJobStatus::OneFailed, "one_failed"},
    {ConditionOnJobStatus::OneSuccess, "one_success"},
}};

}  // namespace

std::string_view toString(Status status) {
  for (const auto& [s, name] : kStatusNames) {
    if (s == status) return name;
  }
  return "READY";
}

std::optional<Status> parseStatus(std::string_view name) {
  for (const auto& [s, n] : kStatusNames) {
    if (n == name) return s;
  }
  return std::nullopt;
}

int toCode(Status status) { return static_cast<int>(status); }

Status statusFromCode(int code) {
  for (const auto& [s, name] : kStatusNames) {
    if (static_cast<int>(s) == code) return s;
  }
  return Status::Ready;
}

bool isFinished(Status s) {
  return s == Status::Succeeded || s == Status::Failed || s == Status::Killed ||
         s == Status::Skipped || s == Status::FailedSucceeded || s == Status::Cancelled;
}
bool isRunning(Status s) {
  return s == Status::Running || s == Status::FailedFinishing || s == Status::Queued;
}
bool isFailed(Status s) {
  return s == Status::Failed || s == Status::Killed || s == Status::Cancelled;
}
bool isSucceeded(Status s) {
  return s == Status::Succeeded || s == Status::FailedSucceeded || s == Status::Skipped;
}

std::string_view toString(FailureAction action) {
  switch (action) {
    case FailureAction::CancelAll:
      return "CANCEL_ALL";
    case FailureAction::FinishAllPossible:
      return "FINISH_ALL_POSSIBLE";
    case FailureAction::FinishCurrentlyRunning:
      break;
  }
  return "FINISH_CURRENTLY_RUNNING";
}

std::optional<FailureAction> parseFailureAction(std::string_view name) {
  if (name == "FINISH_CURRENTLY_RUNNING") return FailureAction::FinishCurrentlyRunning;
  if (name == "CANCEL_ALL") return FailureAction::CancelAll;
  if (name == "FINISH_ALL_POSSIBLE") return FailureAction::FinishAllPossible;
  return std::nullopt;
}

std::string_view toString(ConditionOnJobStatus condition) {
  for (const auto& [c, name] : kConditionNames) {
    if (c == condition) return name;
  }
  return "all_success";
}

std::optional<ConditionOnJobStatus> parseConditionOnJobStatus(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& [c, n] : kConditionNames) {
    if (n == lower) return c;
  }
  return std::nullopt;
}

}  // namespace azx
