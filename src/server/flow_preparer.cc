#include "server/flow_preparer.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <fstream>
#include <regex>

#include "flow/project_archive.h"

namespace azx::server {
namespace {

constexpr const char* kSizeFile = "___azkaban_project_dir_size_in_bytes___";

uint64_t treeSize(const std::filesystem::path& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) total += it->file_size(ec);
  }
  return total;
}

Result<void> mirrorWithHardLinks(const std::filesystem::path& from,
                                 const std::filesystem::path& to) {
  std::error_code ec;
  std::filesystem::create_directories(to, ec);
  if (ec) return Error{"cannot create " + to.string() + ": " + ec.message()};
  for (auto it = std::filesystem::recursive_directory_iterator(from, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    auto relative = std::filesystem::relative(it->path(), from, ec);
    auto target = to / relative;
    if (it->is_directory(ec)) {
      std::filesystem::create_directories(target, ec);
    } else if (it->is_regular_file(ec)) {
      std::filesystem::create_hard_link(it->path(), target, ec);
      if (ec) {
        ec.clear();
        std::filesystem::copy_file(it->path(), target, ec);
      }
    }
    if (ec) return Error{"cannot link " + it->path().string() + ": " + ec.message()};
  }
  return okResult();
}

}  // namespace

Result<std::string> md5OfFile(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error{"cannot read " + file.string()};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_md5(), nullptr);
  char buffer[65536];
  while (in) {
    in.read(buffer, sizeof(buffer));
    if (in.gcount() > 0) EVP_DigestUpdate(ctx, buffer, static_cast<size_t>(in.gcount()));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  return std::string(reinterpret_cast<char*>(digest), len);
}

FlowPreparer::FlowPreparer(const ServerConfig& config, store::ServerStore& store,
                           const Clock& clock)
    : config_(config), store_(store), clock_(clock) {}

Result<void> FlowPreparer::prepare(int projectId, int version,
                                   const std::filesystem::path& executionDir) {
  ++inProgress_;
  struct Done {
    std::atomic<int>& counter;
    ~Done() { --counter; }
  } done{inProgress_};
  auto cached = install(projectId, version);
  if (!cached) return cached.error();
  std::lock_guard<std::mutex> lock(installMutex_);
  std::error_code ec;
  if (std::filesystem::exists(executionDir, ec)) std::filesystem::remove_all(executionDir, ec);
  auto mirrored = mirrorWithHardLinks(*cached, executionDir);
  if (!mirrored) {
    std::filesystem::remove_all(executionDir, ec);
    return mirrored.error();
  }
  return okResult();
}

Result<std::filesystem::path> FlowPreparer::install(int projectId, int version) {
  const std::string name = std::to_string(projectId) + "." + std::to_string(version);
  auto cacheDir = config_.projectDir / name;
  std::error_code ec;
  if (std::filesystem::is_directory(cacheDir, ec)) {
    std::filesystem::last_write_time(cacheDir / kSizeFile,
                                     std::filesystem::file_time_type::clock::now(), ec);
    return cacheDir;
  }
  auto row = store_.fetchProjectVersion(projectId, version);
  if (!row) return row.error();
  if (!*row) {
    return Error{"Project " + std::to_string(projectId) + " version " + std::to_string(version) +
                 " does not exist"};
  }
  std::string fileType = (*row)->fileType;
  std::transform(fileType.begin(), fileType.end(), fileType.begin(), ::tolower);
  if (fileType != "zip") {
    return Error{"Project " + name + " has file type '" + (*row)->fileType + "', not zip"};
  }
  std::filesystem::create_directories(config_.tempDir, ec);
  std::filesystem::create_directories(config_.projectDir, ec);
  const std::string stamp = std::to_string(clock_.nowMillis());
  auto archive = config_.tempDir / (name + "." + stamp + ".zip");
  auto downloaded = download(**row, archive);
  if (!downloaded) {
    std::filesystem::remove(archive, ec);
    return downloaded.error();
  }
  auto tempDir = config_.projectDir / ("_temp." + name + "." + stamp);
  auto extracted = flow::extractProjectZip(archive, tempDir);
  std::filesystem::remove(archive, ec);
  if (!extracted) {
    std::filesystem::remove_all(tempDir, ec);
    return extracted.error().withContext("project " + name);
  }
  uint64_t size = treeSize(tempDir);
  {
    std::ofstream sizeFile(tempDir / kSizeFile, std::ios::trunc);
    sizeFile << size;
  }
  std::lock_guard<std::mutex> lock(installMutex_);
  if (std::filesystem::exists(cacheDir, ec)) {
    std::filesystem::remove_all(tempDir, ec);  // another preparation won the race
    return cacheDir;
  }
  cleanCache(size);
  std::filesystem::rename(tempDir, cacheDir, ec);
  if (ec) {
    std::filesystem::remove_all(tempDir, ec);
    return Error{"cannot install project " + name + ": " + ec.message()};
  }
  return cacheDir;
}

Result<void> FlowPreparer::download(const store::ProjectVersionRow& row,
                                    const std::filesystem::path& archive) {
  const std::string name = std::to_string(row.projectId) + "." + std::to_string(row.version);
  if (config_.storageType == "LOCAL") {
    if (!row.resourceId) return Error{"Project " + name + " has no resource id in LOCAL storage"};
    std::error_code ec;
    std::filesystem::copy_file(config_.storageLocalBaseDir / *row.resourceId, archive,
                               std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) return Error{"cannot read " + (config_.storageLocalBaseDir / *row.resourceId).string()};
  } else {
    if (row.numChunks <= 0) {
      return Error{"Project " + name +
                   " has no file chunks; seems like this version has been cleaned up already"};
    }
    auto fetched = store_.fetchProjectFile(row, archive);
    if (!fetched) return fetched.error();
  }
  auto md5 = md5OfFile(archive);
  if (!md5) return md5.error();
  if (!row.md5.empty() && *md5 != row.md5) {
    return Error{"MD5 of the downloaded archive of project " + name +
                 " does not match project_versions.md5"};
  }
  return okResult();
}

void FlowPreparer::cleanCache(uint64_t incomingBytes) {
  if (!config_.projectCacheSizeFraction) return;
  struct statvfs fs {};
  if (statvfs(config_.projectDir.c_str(), &fs) != 0) return;
  const double limit =
      static_cast<double>(fs.f_blocks) * fs.f_frsize * *config_.projectCacheSizeFraction;
  struct Entry {
    std::filesystem::path dir;
    uint64_t size;
    std::filesystem::file_time_type used;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  static const std::regex versionDir("[0-9]+\\.[0-9]+");
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(config_.projectDir, ec)) {
    if (!entry.is_directory() || !std::regex_match(entry.path().filename().string(), versionDir)) {
      continue;
    }
    std::ifstream in(entry.path() / kSizeFile);
    uint64_t size = 0;
    in >> size;
    auto used = std::filesystem::last_write_time(entry.path() / kSizeFile, ec);
    entries.push_back({entry.path(), size, used});
    total += size;
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.used < b.used; });
  for (const auto& entry : entries) {
    if (static_cast<double>(total + incomingBytes) < limit) break;
    spdlog::info("project cache: removing {} ({} bytes)", entry.dir.string(), entry.size);
    std::filesystem::remove_all(entry.dir, ec);
    total -= entry.size;
  }
}

}  // namespace azx::server
