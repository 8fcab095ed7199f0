#pragma once

#include <filesystem>

#include "core/result.h"

namespace azx::flow {

// Unpacks an uploaded project zip into `destDir`, which must not exist or be empty.
// Refuses (naming the entry) absolute names, names with a ".." segment, names that would land
// outside `destDir`, and symlink entries. Everything is first written to a sibling staging
// directory that is renamed into place only when every entry succeeded, so a failure leaves
// `destDir` as it was. The archive layout is kept (a single top-level directory stays; the
// loader searches recursively).
Result<void> extractProjectZip(const std::filesystem::path& zip,
                               const std::filesystem::path& destDir);

}  // namespace azx::flow
