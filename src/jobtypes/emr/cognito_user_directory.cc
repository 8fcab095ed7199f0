#include "jobtypes/emr/cognito_user_directory.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "aws/common/time_util.h"

namespace azx::jobtypes::emr {
namespace {

class AwsCognitoApi final : public CognitoApi {
 public:
  AwsCognitoApi(std::shared_ptr<aws::AwsClient> client, std::string pool,
                std::optional<int> pageSize)
      : client_(std::move(client)), pool_(std::move(pool)), pageSize_(pageSize) {}

  aws::AwsResult<std::vector<std::string>> listGroups() override {
    return aws::cognitoListAllGroups(*client_, pool_, pageSize_);
  }
  aws::AwsResult<std::vector<aws::CognitoUser>> listUsersInGroup(
      const std::string& group) override {
    return aws::cognitoListAllUsersInGroup(*client_, pool_, group, pageSize_);
  }
  aws::AwsResult<std::vector<aws::CognitoUser>> listUsers() override {
    return aws::cognitoListAllUsers(*client_, pool_, pageSize_);
  }

 private:
  std::shared_ptr<aws::AwsClient> client_;
  std::string pool_;
  std::optional<int> pageSize_;
};

// The server's AZK_* name of a property (server::environmentNameFor; not linked from here).
std::string azkEnvName(const std::string& key) {
  std::string name = "AZK_";
  for (char c : key) {
    name.push_back(c == '.' || c == '-' ? '_' : static_cast<char>(std::toupper(c)));
  }
  return name;
}

std::optional<std::string> setting(const Props& props, const aws::EnvLookup& env,
                                   const std::string& key, const char* javaEnv = nullptr) {
  if (auto v = props.get(key); v && !trim(*v).empty()) return trim(*v);
  if (auto v = env(azkEnvName(key)); v && !trim(*v).empty()) return trim(*v);
  if (javaEnv) {
    if (auto v = env(javaEnv); v && !trim(*v).empty()) return trim(*v);
  }
  return std::nullopt;
}

Result<std::optional<long long>> integerSetting(const Props& props, const aws::EnvLookup& env,
                                                const std::string& key, long long min,
                                                long long max) {
  auto text = setting(props, env, key);
  if (!text) return std::optional<long long>{};
  long long value = 0;
  bool digits = !text->empty();
  for (char c : *text) {
    if (c < '0' || c > '9' || value > max) {
      digits = false;
      break;
    }
    value = value * 10 + (c - '0');
  }
  if (!digits || value < min || value > max) {
    return Error{key + ": '" + *text + "' is not an integer between " + std::to_string(min) +
                 " and " + std::to_string(max)};
  }
  return std::optional<long long>{value};
}

}  // namespace

std::shared_ptr<CognitoApi> makeAwsCognitoApi(std::shared_ptr<aws::AwsClient> client,
                                              std::string userPoolId, std::optional<int> pageSize) {
  return std::make_shared<AwsCognitoApi>(std::move(client), std::move(userPoolId), pageSize);
}

std::string cognitoDisplayName(const aws::CognitoUser& user) {
  if (auto preferred = user.attribute("preferred_username")) return *preferred;
  return user.username;
}

std::optional<std::string> cognitoLocalUserName(const aws::CognitoUser& user) {
  auto sub = user.attribute("sub");
  if (!sub || sub->empty()) return std::nullopt;
  return cognitoDisplayName(user) + sub->substr(0, 3);
}

size_t DirectorySnapshot::userCount() const {
  std::vector<std::string> all;
  for (const auto& g : groups) all.insert(all.end(), g.members.begin(), g.members.end());
  std::sort(all.begin(), all.end());
  return static_cast<size_t>(std::unique(all.begin(), all.end()) - all.begin());
}

Result<DirectorySnapshot> loadCognitoDirectory(CognitoApi& api, const Clock& clock) {
  DirectorySnapshot snapshot;
  auto groups = api.listGroups();
  if (!groups) return groups.error().toError();
  std::optional<std::map<std::string, aws::CognitoUser>> everyone;  // by Username, on demand
  for (const auto& name : *groups) {
    auto users = api.listUsersInGroup(name);
    if (!users) return users.error().toError().withContext("group '" + name + "'");
    DirectoryGroup group{name, {}};
    for (const auto& member : *users) {
      auto local = cognitoLocalUserName(member);
      if (!local) {
        if (!everyone) {
          auto listed = api.listUsers();
          if (!listed) return listed.error().toError();
          everyone.emplace();
          for (auto& u : *listed) everyone->emplace(u.username, std::move(u));
        }
        auto it = everyone->find(member.username);
        if (it != everyone->end()) local = cognitoLocalUserName(it->second);
      }
      if (!local) {
        if (std::find(snapshot.skippedUsers.begin(), snapshot.skippedUsers.end(),
                      member.username) == snapshot.skippedUsers.end()) {
          snapshot.skippedUsers.push_back(member.username);
        }
        continue;
      }
      group.members.push_back(std::move(*local));
    }
    snapshot.groups.push_back(std::move(group));
  }
  snapshot.loadedAtMillis = clock.nowMillis();
  return snapshot;
}

std::optional<std::string> groupWithDirectory(const std::string& user,
                                              const DirectorySnapshot* snapshot,
                                              const std::filesystem::path& groupFile) {
  std::vector<GroupLine> lines = readGroupFile(groupFile).value_or(std::vector<GroupLine>{});
  if (snapshot) {
    for (const auto& group : snapshot->groups) {
      auto existing = std::find_if(lines.begin(), lines.end(),
                                   [&](const GroupLine& l) { return l.name == group.name; });
      if (existing == lines.end()) {
        lines.push_back({group.name, group.members});
      } else {
        existing->members.insert(existing->members.end(), group.members.begin(),
                                 group.members.end());
      }
    }
  }
  return lastGroupListing(lines, user);
}

CognitoUserDirectory::CognitoUserDirectory(std::shared_ptr<CognitoApi> api,
                                           CognitoDirectoryOptions options)
    : api_(std::move(api)), options_(std::move(options)) {
  if (!options_.clock) options_.clock = std::make_shared<SystemClock>();
  if (options_.description.empty()) options_.description = "Cognito user pool";
}

CognitoUserDirectory::~CognitoUserDirectory() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

Result<void> CognitoUserDirectory::refresh() {
  std::lock_guard<std::mutex> one(loadMutex_);
  auto loaded = loadCognitoDirectory(*api_, *options_.clock);
  std::shared_ptr<const DirectorySnapshot> previous = snapshot();
  auto say = [this](bool warning, const std::string& line) {
    if (options_.log) options_.log(warning, line);
  };
  // Logged before counting: start() returns on the count, its log line must come first.
  if (!loaded) {
    if (previous) {
      say(true, "Cognito user directory: refresh from " + options_.description +
                    " failed; keeping the snapshot of " +
                    aws::formatIso8601(previous->loadedAtMillis) + " (" +
                    std::to_string(previous->groups.size()) +
                    " groups): " + loaded.error().message);
    } else {
      say(true, "Cognito user directory: load from " + options_.description +
                    " failed; EMR users resolve through /etc/group only until a load succeeds: " +
                    loaded.error().message);
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++failed_;
    }
    changed_.notify_all();
    return loaded.error();
  }
  auto next = std::make_shared<const DirectorySnapshot>(std::move(*loaded));
  for (const auto& name : next->skippedUsers) {
    bool known = previous && std::find(previous->skippedUsers.begin(), previous->skippedUsers.end(),
                                       name) != previous->skippedUsers.end();
    if (!known) {
      say(true, "Cognito user directory: user '" + name +
                    "' has no sub attribute and no local name; left out");
    }
  }
  say(false, "Cognito user directory: " + std::to_string(next->groups.size()) + " groups, " +
                 std::to_string(next->userCount()) + " users from " + options_.description);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    snapshot_ = std::move(next);
    ++succeeded_;
  }
  changed_.notify_all();
  return okResult();
}

std::shared_ptr<const DirectorySnapshot> CognitoUserDirectory::snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return snapshot_;
}

int CognitoUserDirectory::loadsSucceeded() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return succeeded_;
}

int CognitoUserDirectory::loadsFailed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failed_;
}

void CognitoUserDirectory::start() {
  if (thread_.joinable()) return;
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
  bool done = false;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    done =
        changed_.wait_for(lock, options_.initialWait, [this] { return succeeded_ + failed_ > 0; });
  }
  if (!done && options_.log) {
    options_.log(true, "Cognito user directory: first load from " + options_.description +
                           " still running after " + std::to_string(options_.initialWait.count()) +
                           " ms; starting without it");
  }
}

void CognitoUserDirectory::run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    bool ok = static_cast<bool>(refresh());
    if (options_.refreshInterval.count() <= 0 && ok) return;  // load once
    auto wait = options_.refreshInterval;
    if (!ok && (wait.count() <= 0 || options_.retryInterval < wait)) wait = options_.retryInterval;
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, stop, wait, [] { return false; });
  }
}

GroupLookup directoryGroupLookup(std::shared_ptr<const CognitoUserDirectory> directory,
                                 std::filesystem::path groupFile) {
  return [directory = std::move(directory),
          groupFile = std::move(groupFile)](const std::string& user) {
    auto snapshot = directory->snapshot();
    return groupWithDirectory(user, snapshot.get(), groupFile);
  };
}

Result<std::optional<CognitoDirectoryConfig>> readCognitoDirectoryConfig(
    const Props& props, const aws::EnvLookup& env) {
  auto pool = setting(props, env, "azkaban.cognito.user.pool.id", "USER_POOL_ID");
  if (!pool) return std::optional<CognitoDirectoryConfig>{};
  CognitoDirectoryConfig config;
  config.userPoolId = *pool;
  config.roleArn = setting(props, env, "azkaban.cognito.role.arn", "COGNITO_ROLE_ARN").value_or("");
  config.region = setting(props, env, "azkaban.cognito.region").value_or("");
  auto refresh = integerSetting(props, env, "azkaban.cognito.refresh.seconds", 0, 7 * 86400);
  if (!refresh) return refresh.error();
  if (*refresh) config.refresh = std::chrono::seconds(**refresh);
  auto pageSize = integerSetting(props, env, "azkaban.cognito.page.size", 1, 60);
  if (!pageSize) return pageSize.error();
  if (*pageSize) config.pageSize = static_cast<int>(**pageSize);
  return std::optional<CognitoDirectoryConfig>{config};
}

Result<std::string> cognitoRegion(const CognitoDirectoryConfig& config,
                                  const aws::ProviderContext& ctx) {
  if (!config.region.empty()) return config.region;
  // Pool ids are "<region>_<id>"; the pool answers only in its own region.
  auto underscore = config.userPoolId.find('_');
  if (underscore != std::string::npos && underscore > 0) {
    std::string prefix = config.userPoolId.substr(0, underscore);
    bool looksLikeRegion = std::count(prefix.begin(), prefix.end(), '-') >= 2 &&
                           std::all_of(prefix.begin(), prefix.end(), [](unsigned char c) {
                             return std::islower(c) || std::isdigit(c) || c == '-';
                           });
    if (looksLikeRegion) return prefix;
  }
  return aws::resolveRegion(ctx);
}

Result<std::shared_ptr<CognitoUserDirectory>> makeCognitoUserDirectory(
    const CognitoDirectoryConfig& config, aws::ProviderContext ctx,
    CognitoDirectoryOptions options) {
  ctx = aws::withDefaults(std::move(ctx));
  auto region = cognitoRegion(config, ctx);
  if (!region) return region.error().withContext("Cognito user directory");
  ctx.region = *region;
  std::shared_ptr<aws::CredentialsSource> credentials;
  if (!config.roleArn.empty()) {
    // The Java entrypoint's `sts assume-role`, regional endpoint, session EMR_Get_Users.
    credentials = aws::assumeRoleCredentialsSource(
        aws::AssumeRoleParams{config.roleArn, "EMR_Get_Users", std::nullopt, ""}, ctx);
  } else {
    credentials = aws::defaultCredentialsSource(ctx);
  }
  aws::AwsClientOptions clientOptions;
  clientOptions.region = *region;
  clientOptions.env = ctx.env;
  clientOptions.clock = ctx.clock;
  clientOptions.sleeper = ctx.sleeper;
  clientOptions.log = ctx.log;
  // Bounded so a stuck proxy cannot hold a load (or the exit that joins it) for long.
  clientOptions.timeout = std::chrono::seconds(10);
  auto client = std::make_shared<aws::AwsClient>(std::move(clientOptions), credentials, ctx.http);
  if (options.description.empty()) {
    options.description = "Cognito user pool '" + config.userPoolId + "' (" + *region +
                          (config.roleArn.empty() ? "" : ", role " + config.roleArn) + ")";
  }
  options.refreshInterval = config.refresh;
  if (!options.clock) options.clock = ctx.clock;
  return std::make_shared<CognitoUserDirectory>(
      makeAwsCognitoApi(std::move(client), config.userPoolId, config.pageSize), std::move(options));
}

}  // namespace azx::jobtypes::emr
