#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace azx::jobtypes::emr {

struct UserInputs {
  std::string serviceUser;  // sys azkaban.service.user
  bool useEmrUser = false;  // sys use.emr.user
  std::string submitUser;   // job azkaban.flow.submituser
  std::string proxyUser;    // job user.to.proxy
};

using GroupLookup = std::function<std::optional<std::string>(const std::string& user)>;

// UserUtility.effectiveUser (spec 2.3.1).
Result<std::string> effectiveUser(const UserInputs& in);
// UserUtility.emrUser (spec 2.3.2). `effective` is null when execute.as.user is false; then
// only the service user yields a user (the original would send a null argument).
// `groupSource` names where groupOf looks, for the error when it finds nothing.
Result<std::string> emrUser(const UserInputs& in, const std::optional<std::string>& effective,
                            const GroupLookup& groupOf,
                            const std::string& groupSource = "/etc/group");
// Spec 2.3.3: the last /etc/group line listing `user` in its member list wins; primary groups
// are ignored; unreadable file or no match -> nullopt.
std::optional<std::string> groupFromFile(const std::string& user,
                                         const std::filesystem::path& groupFile = "/etc/group");

// One /etc/group line: its name and member list (empty when the fourth field is empty or
// missing).
struct GroupLine {
  std::string name;
  std::vector<std::string> members;
};
// Every line in file order; nullopt when the file cannot be read.
std::optional<std::vector<GroupLine>> readGroupFile(const std::filesystem::path& groupFile);
// Spec 2.3.3 over parsed lines: the name of the last line listing `user`.
std::optional<std::string> lastGroupListing(const std::vector<GroupLine>& lines,
                                            const std::string& user);
// Spec 2.3.4: exact match against the (untrimmed) comma list.
Result<void> checkNotBlacklisted(const std::string& user,
                                 const std::vector<std::string>& blacklist);

}  // namespace azx::jobtypes::emr
