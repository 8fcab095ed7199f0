#pragma once

#include <atomic>
#include <filesystem>
#include <mutex>

#include "core/clock.h"
#include "core/result.h"
#include "server/server_config.h"
#include "store/server_store.h"

namespace azx::server {

// Delivers project versions to executions (azkaban-wire 6): the project cache
// `<project.dir>/<projectId>.<version>` filled from the database (or LOCAL storage) with the
// MD5 checked, the size-bounded cleaner, and the per-execution tree of hard links.
class FlowPreparer {
 public:
  FlowPreparer(const ServerConfig& config, store::ServerStore& store, const Clock& clock);

  Result<void> prepare(int projectId, int version, const std::filesystem::path& executionDir);
  // Preparations under way (deactivate waits for none).
  int inProgress() const { return inProgress_.load(); }

 private:
  Result<std::filesystem::path> install(int projectId, int version);
  Result<void> download(const store::ProjectVersionRow& row, const std::filesystem::path& archive);
  void cleanCache(uint64_t incomingBytes);

  const ServerConfig& config_;
  store::ServerStore& store_;
  const Clock& clock_;
  std::mutex installMutex_;
  std::atomic<int> inProgress_{0};
};

// MD5 of a file as 16 raw bytes.
Result<std::string> md5OfFile(const std::filesystem::path& file);

}  // namespace azx::server
