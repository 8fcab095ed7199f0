#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/execution_store.h"

namespace azx::store {

// 50 x 1024 bytes, as Azkaban's ExecutionLogsDao (azkaban-wire 7.3).
constexpr int64_t kLogChunkSize = 51200;
// execution_logs.enc_type / execution_flows.enc_type values (azkaban-wire 4.2).
constexpr int kEncodingPlain = 1;
constexpr int kEncodingGzip = 2;

// One execution_logs row as uploaded: [startByte, endByte) of the concatenated stream, gzipped.
struct LogChunkRow {
  int64_t startByte = 0;
  int64_t endByte = 0;
  std::string gzippedData;
};

// Cuts the concatenation of `files` (in the given order) into consecutive 51,200-byte chunks,
// ignoring file boundaries, each gzipped on its own. Empty input gives no rows.
Result<std::vector<LogChunkRow>> buildLogChunks(const std::vector<std::filesystem::path>& files,
                                                int64_t chunkSize = kLogChunkSize);

// A stored row as read back (enc_type decides whether `log` is gzip).
struct StoredLogRow {
  int encType = kEncodingGzip;
  int64_t startByte = 0;
  int64_t endByte = 0;
  std::string log;
};

// Assembles [offset, offset + length) from rows ordered by startByte (the web's read, 7.4),
// without UTF-8 trimming. Bytes past the end of the log are simply absent.
Result<LogChunk> sliceLogRows(const std::vector<StoredLogRow>& rows, int64_t offset,
                              int64_t length);

}  // namespace azx::store
