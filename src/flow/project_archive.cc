#include "flow/project_archive.h"

#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace azx::flow {
namespace {

namespace fs = std::filesystem;

struct ZipCloser {
  void operator()(zip_t* archive) const { zip_discard(archive); }
};
struct ZipFileCloser {
  void operator()(zip_file_t* file) const { zip_fclose(file); }
};

std::string zipErrorText(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

// Rejects names that could escape the destination; backslashes count as separators too since
// Windows-made archives use them.
Result<void> checkEntryName(const std::string& name) {
  auto refuse = [&](const std::string& why) {
    return Error{"zip entry '" + name + "' refused: " + why};
  };
  if (name.empty()) return refuse("empty name");
  if (name[0] == '/' || name[0] == '\\') return refuse("absolute path");
  if (name.size() >= 2 && name[1] == ':') return refuse("absolute path");
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find_first_of("/\\", start);
    if (end == std::string::npos) end = name.size();
    if (name.compare(start, end - start, "..") == 0 && end - start == 2) {
      return refuse("contains '..'");
    }
    start = end + 1;
  }
  return okResult();
}

bool isWithin(const fs::path& base, const fs::path& candidate) {
  auto rel = candidate.lexically_normal().lexically_relative(base.lexically_normal());
  return !rel.empty() && *rel.begin() != "..";
}

Result<void> extractAll(zip_t* archive, const fs::path& zipPath, const fs::path& staging) {
  zip_int64_t count = zip_get_num_entries(archive, 0);
  // Validate every entry before writing anything.
  for (zip_int64_t i = 0; i < count; ++i) {
    const char* rawName = zip_get_name(archive, static_cast<zip_uint64_t>(i), 0);
    if (rawName == nullptr) {
      return Error{zipPath.filename().string() + ": cannot read the name of entry " +
                   std::to_string(i)};
    }
    std::string name = rawName;
    auto check = checkEntryName(name);
    if (!check) return check;
    if (!isWithin(staging, staging / name)) {
      return Error{"zip entry '" + name + "' refused: outside the destination"};
    }
    zip_uint8_t opsys = 0;
    zip_uint32_t attributes = 0;
    if (zip_file_get_external_attributes(archive, static_cast<zip_uint64_t>(i), 0, &opsys,
                                         &attributes) == 0 &&
        opsys == ZIP_OPSYS_UNIX && S_ISLNK(attributes >> 16)) {
      return Error{"zip entry '" + name + "' refused: symbolic link"};
    }
  }

  std::vector<char> buffer(64 * 1024);
  for (zip_int64_t i = 0; i < count; ++i) {
    auto index = static_cast<zip_uint64_t>(i);
    std::string name = zip_get_name(archive, index, 0);
    fs::path target = staging / name;
    std::error_code ec;
    if (name.back() == '/' || name.back() == '\\') {
      fs::create_directories(target, ec);
      if (ec) return Error{"zip entry '" + name + "': " + ec.message()};
      continue;
    }
    fs::create_directories(target.parent_path(), ec);
    if (ec) return Error{"zip entry '" + name + "': " + ec.message()};
    std::unique_ptr<zip_file_t, ZipFileCloser> file(zip_fopen_index(archive, index, 0));
    if (!file) {
      return Error{"zip entry '" + name + "': " + zip_strerror(archive)};
    }
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    if (!out) return Error{"zip entry '" + name + "': cannot create the file"};
    while (true) {
      zip_int64_t n = zip_fread(file.get(), buffer.data(), buffer.size());
      if (n < 0) {
        return Error{"zip entry '" + name + "': " + zip_file_strerror(file.get())};
      }
      if (n == 0) break;
      out.write(buffer.data(), n);
      if (!out) return Error{"zip entry '" + name + "': write failed"};
    }
    out.close();
    if (!out) return Error{"zip entry '" + name + "': write failed"};
    zip_uint8_t opsys = 0;
    zip_uint32_t attributes = 0;
    bool executable =
        zip_file_get_external_attributes(archive, index, 0, &opsys, &attributes) == 0 &&
        opsys == ZIP_OPSYS_UNIX && ((attributes >> 16) & 0111) != 0;
    fs::permissions(target, executable ? fs::perms(0755) : fs::perms(0644), ec);
  }
  return okResult();
}

}  // namespace

Result<void> extractProjectZip(const fs::path& zip, const fs::path& destDir) {
  fs::path dest = destDir.lexically_normal();
  if (dest.filename().empty()) dest = dest.parent_path();
  std::error_code ec;
  if (fs::exists(dest, ec) && !(fs::is_directory(dest, ec) && fs::is_empty(dest, ec))) {
    return Error{"cannot extract '" + zip.filename().string() + "': destination '" + dest.string() +
                 "' exists and is not an empty directory"};
  }

  int code = 0;
  std::unique_ptr<zip_t, ZipCloser> archive(zip_open(zip.c_str(), ZIP_RDONLY, &code));
  if (!archive) {
    return Error{"cannot open zip '" + zip.filename().string() + "': " + zipErrorText(code)};
  }

  static std::atomic<int> counter{0};
  fs::path parent = dest.parent_path().empty() ? fs::path(".") : dest.parent_path();
  fs::create_directories(parent, ec);
  fs::path staging = parent / ("." + dest.filename().string() + ".partial-" +
                               std::to_string(getpid()) + "-" + std::to_string(counter++));
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) return Error{"cannot create '" + staging.string() + "': " + ec.message()};

  auto result = extractAll(archive.get(), zip, staging);
  if (!result) {
    fs::remove_all(staging, ec);
    return result.error().withContext(zip.filename().string());
  }
  fs::remove(dest, ec);  // empty or absent
  fs::rename(staging, dest, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    return Error{"cannot move the extracted project to '" + dest.string() + "': " + ec.message()};
  }
  return okResult();
}

}  // namespace azx::flow
