#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "aws/common/env.h"
#include "core/result.h"

namespace azx::aws {

using ProfileSection = std::map<std::string, std::string>;
using ProfileMap = std::map<std::string, ProfileSection>;

// Parses an AWS INI file. In the config file sections are `[profile name]` (and `[default]`);
// in the credentials file `[name]`. Comments start with '#' or ';'; indented lines after
// `key =` (nested sub-sections such as `s3 =`) are skipped.
ProfileMap parseProfileIni(std::string_view text, bool configFile);

struct SharedProfiles {
  ProfileMap profiles;  // merged; credentials-file keys override config-file keys
  bool anyFileFound = false;
};
// Loads AWS_CONFIG_FILE (default ~/.aws/config) and AWS_SHARED_CREDENTIALS_FILE (default
// ~/.aws/credentials); missing files are not errors.
SharedProfiles loadSharedProfiles(const EnvLookup& env);
// AWS_PROFILE, then AWS_DEFAULT_PROFILE, else "default"; `explicitName` tells whether a
// variable named it.
std::string selectedProfileName(const EnvLookup& env, bool* explicitName = nullptr);

}  // namespace azx::aws
