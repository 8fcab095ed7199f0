#include "jobtypes/emr/user_utility.h"

#include <fstream>

#include "core/props.h"

namespace azx::jobtypes::emr {
namespace {

bool blank(const std::string& s) { return trim(s).empty(); }

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t at = text.find(sep, start);
    out.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) break;
    start = at + 1;
  }
  return out;
}

}  // namespace

Result<std::string> effectiveUser(const UserInputs& in) {
  if (!blank(in.serviceUser)) return in.serviceUser;  // as stored, not trimmed (original)
  if (!blank(in.proxyUser)) {
    if (in.useEmrUser && in.submitUser != in.proxyUser) {
      return Error{"'user.to.proxy' property (" + in.proxyUser +
                   ") must be the same as 'azkaban.flow.submituser' property (" + in.submitUser +
                   ") when 'use.emr.user' (true) is true."};
    }
    return in.proxyUser;
  }
  if (blank(in.submitUser)) return Error{"No service user, submit user or proxy user specified."};
  return in.submitUser;
}

Result<std::string> emrUser(const UserInputs& in, const std::optional<std::string>& effective,
                            const GroupLookup& groupOf, const std::string& groupSource) {
  if (!blank(in.serviceUser)) return trim(in.serviceUser);
  if (!effective || blank(*effective)) {
    return Error{"No EMR user: execute.as.user is false and no azkaban.service.user is set"};
  }
  if (in.useEmrUser) return *effective;
  auto group = groupOf ? groupOf(*effective) : std::nullopt;
  if (!group || group->empty()) {
    return Error{"No group found for user '" + *effective + "' in " + groupSource};
  }
  return *group;
}

std::optional<std::vector<GroupLine>> readGroupFile(const std::filesystem::path& groupFile) {
  std::ifstream in(groupFile);
  if (!in) return std::nullopt;
  std::vector<GroupLine> lines;
  std::string line;
  while (std::getline(in, line)) {
    auto fields = split(line, ':');
    GroupLine g{fields[0], {}};
    if (fields.size() >= 4 && !fields[3].empty()) g.members = split(fields[3], ',');
    lines.push_back(std::move(g));
  }
  return lines;
}

std::optional<std::string> lastGroupListing(const std::vector<GroupLine>& lines,
                                            const std::string& user) {
  std::optional<std::string> found;
  for (const auto& line : lines) {
    for (const auto& member : line.members) {
      if (member == user) found = line.name;  // keep reading: the last match wins
    }
  }
  return found;
}

std::optional<std::string> groupFromFile(const std::string& user,
                                         const std::filesystem::path& groupFile) {
  auto lines = readGroupFile(groupFile);
  if (!lines) return std::nullopt;
  return lastGroupListing(*lines, user);
}

Result<void> checkNotBlacklisted(const std::string& user,
                                 const std::vector<std::string>& blacklist) {
  for (const auto& banned : blacklist) {
    if (banned == user) return Error{"Not permitted to proxy as '" + user + "' through Azkaban"};
  }
  return okResult();
}

}  // namespace azx::jobtypes::emr
