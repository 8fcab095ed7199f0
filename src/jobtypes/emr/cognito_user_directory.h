#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "aws/common/env.h"
#include "aws/credentials/providers.h"
#include "aws/http/operations.h"
#include "core/clock.h"
#include "core/props.h"
#include "core/result.h"
#include "jobtypes/emr/user_utility.h"

namespace azx::jobtypes::emr {

// The EMR-user directory: the Cognito users and groups the Java image's entrypoint turned into
// local users and /etc/group lines at start (container-and-ops 3 step 9), kept in memory
// instead and refreshed, so the `emr` job type finds a Cognito user's group (emr-jobtypes
// 2.3.3) without any OS user being created.

// The Cognito calls the directory makes, each over all pages (a fake in tests).
class CognitoApi {
 public:
  virtual ~CognitoApi() = default;
  virtual aws::AwsResult<std::vector<std::string>> listGroups() = 0;
  virtual aws::AwsResult<std::vector<aws::CognitoUser>> listUsersInGroup(
      const std::string& group) = 0;
  virtual aws::AwsResult<std::vector<aws::CognitoUser>> listUsers() = 0;
};

// Over one AwsClient; pageSize is each call's Limit (nullopt: the service default).
std::shared_ptr<CognitoApi> makeAwsCognitoApi(std::shared_ptr<aws::AwsClient> client,
                                              std::string userPoolId,
                                              std::optional<int> pageSize = std::nullopt);

// Display name: attribute preferred_username when present, else Username (step 9.3).
std::string cognitoDisplayName(const aws::CognitoUser& user);
// Local user name: display name + the first three characters of attribute `sub` (step 9.4),
// the name the web server submits flows under. A shorter sub contributes what it has (the
// entrypoint's substring did the same). A missing or empty sub gives nullopt: the bare display
// name is a name the web server never submits, and it could match an unrelated local account.
std::optional<std::string> cognitoLocalUserName(const aws::CognitoUser& user);

struct DirectoryGroup {
  std::string name;
  std::vector<std::string> members;  // local user names, ListUsersInGroup order
};

struct DirectorySnapshot {
  std::vector<DirectoryGroup> groups;  // ListGroups order
  int64_t loadedAtMillis = 0;
  std::vector<std::string> skippedUsers;  // Usernames without a sub (left out)
  size_t userCount() const;
};

// One full read: ListGroups, then ListUsersInGroup per group. A member whose group listing
// has no sub is looked up by Username in one ListUsers listing (fetched only then, once per
// read; the entrypoint listed all users once per group).
Result<DirectorySnapshot> loadCognitoDirectory(CognitoApi& api, const Clock& clock);

// The group /etc/group would name for `user` after the entrypoint's import of `snapshot`
// (precedence, step 9.3-9.4 + emr-jobtypes 2.3.3): the import appended one line per Cognito
// group in ListGroups order after the image's own lines (a group that already existed kept
// its line and gained the members), and the last line listing the user wins. So a Cognito
// group beats a local one; among Cognito groups the last in ListGroups order wins; /etc/group
// alone answers for users in no Cognito group. An unreadable file counts as empty.
std::optional<std::string> groupWithDirectory(const std::string& user,
                                              const DirectorySnapshot* snapshot,
                                              const std::filesystem::path& groupFile);

struct CognitoDirectoryOptions {
  std::string description;  // e.g. "Cognito user pool eu-west-2_abc", for log lines
  std::chrono::milliseconds refreshInterval{std::chrono::seconds(900)};  // 0: load once
  // Next attempt after a failed load (capped at refreshInterval).
  std::chrono::milliseconds retryInterval{std::chrono::seconds(60)};
  // How long start() waits for the first load before letting the server go on.
  std::chrono::milliseconds initialWait{std::chrono::seconds(30)};
  std::shared_ptr<const Clock> clock;                              // default: system clock
  std::function<void(bool warning, const std::string& line)> log;  // default: none
};

// A snapshot loaded by a thread of its own and swapped in whole (readers take a shared_ptr
// copy, so a lookup never blocks on a load). A failed load keeps the previous snapshot.
class CognitoUserDirectory {
 public:
  CognitoUserDirectory(std::shared_ptr<CognitoApi> api, CognitoDirectoryOptions options);
  ~CognitoUserDirectory();  // stops the refresh thread and joins it
  CognitoUserDirectory(const CognitoUserDirectory&) = delete;
  CognitoUserDirectory& operator=(const CognitoUserDirectory&) = delete;

  // Starts the refresh thread, whose first load runs at once; waits up to initialWait for it.
  // Failures are logged, never returned: the server starts without the directory (as the
  // entrypoint ignored a failed import) and later refreshes retry.
  void start();
  // One load on the calling thread: replaces the snapshot on success, keeps it on failure.
  Result<void> refresh();
  // Null until a load has succeeded.
  std::shared_ptr<const DirectorySnapshot> snapshot() const;
  int loadsSucceeded() const;
  int loadsFailed() const;
  const std::string& description() const { return options_.description; }

 private:
  void run(std::stop_token stop);

  std::shared_ptr<CognitoApi> api_;
  CognitoDirectoryOptions options_;
  mutable std::mutex mutex_;  // guards the members below
  std::condition_variable_any changed_;
  std::shared_ptr<const DirectorySnapshot> snapshot_;
  int succeeded_ = 0;
  int failed_ = 0;
  std::mutex loadMutex_;  // one load at a time (refresh() beside the thread)
  std::jthread thread_;   // last: stopped and joined before the rest goes
};

// The emr job type's lookup over a directory (groupWithDirectory on its current snapshot).
GroupLookup directoryGroupLookup(std::shared_ptr<const CognitoUserDirectory> directory,
                                 std::filesystem::path groupFile = "/etc/group");

// Where the directory reads from. Each setting is a property, else its AZK_* environment name
// (the server's mapping, e.g. AZK_AZKABAN_COGNITO_USER_POOL_ID), else the Java image's
// variable where it had one.
struct CognitoDirectoryConfig {
  std::string userPoolId;  // azkaban.cognito.user.pool.id, env USER_POOL_ID
  std::string roleArn;     // azkaban.cognito.role.arn, env COGNITO_ROLE_ARN; empty: no role
  std::string region;      // azkaban.cognito.region; empty: from the pool id, else the chain
  std::chrono::seconds refresh{900};  // azkaban.cognito.refresh.seconds; 0: load once
  std::optional<int> pageSize;        // azkaban.cognito.page.size (1..60)
  bool operator==(const CognitoDirectoryConfig&) const = default;
};
// nullopt when no pool id is set; an Error names the malformed setting.
Result<std::optional<CognitoDirectoryConfig>> readCognitoDirectoryConfig(const Props& props,
                                                                         const aws::EnvLookup& env);

// The region a pool lives in: `region` when set, else the pool id's prefix ("eu-west-2_x"),
// else the chain (AWS_REGION, AWS_DEFAULT_REGION, profile).
Result<std::string> cognitoRegion(const CognitoDirectoryConfig& config,
                                  const aws::ProviderContext& ctx);

// The client (credentials from STS AssumeRole with session EMR_Get_Users when roleArn is set,
// else the default chain; AWS_ENDPOINT_URL* honoured) and the directory over it, not started.
Result<std::shared_ptr<CognitoUserDirectory>> makeCognitoUserDirectory(
    const CognitoDirectoryConfig& config, aws::ProviderContext ctx,
    CognitoDirectoryOptions options = {});

}  // namespace azx::jobtypes::emr
