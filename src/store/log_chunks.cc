#include "store/log_chunks.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/gzip.h"

namespace azx::store {

Result<std::vector<LogChunkRow>> buildLogChunks(const std::vector<std::filesystem::path>& files,
                                                int64_t chunkSize) {
  std::vector<LogChunkRow> rows;
  if (chunkSize <= 0) return Error{"log chunk size must be positive"};
  std::string pending;
  int64_t offset = 0;
  auto flush = [&](bool force) {
    while (static_cast<int64_t>(pending.size()) >= chunkSize || (force && !pending.empty())) {
      size_t take = std::min<size_t>(pending.size(), static_cast<size_t>(chunkSize));
      LogChunkRow row;
      row.startByte = offset;
      row.endByte = offset + static_cast<int64_t>(take);
      row.gzippedData = gzipCompress(std::string_view(pending).substr(0, take), GzipSpeed::Fastest);
      rows.push_back(std::move(row));
      offset += static_cast<int64_t>(take);
      pending.erase(0, take);
    }
  };
  std::vector<char> buffer(static_cast<size_t>(chunkSize));
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
      return Error{"cannot open log file \"" + file.string() + "\": " + std::strerror(errno)};
    while (in) {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      pending.append(buffer.data(), static_cast<size_t>(in.gcount()));
      flush(false);
    }
    if (in.bad()) return Error{"cannot read log file \"" + file.string() + "\""};
  }
  flush(true);
  return rows;
}

Result<LogChunk> sliceLogRows(const std::vector<StoredLogRow>& rows, int64_t offset,
                              int64_t length) {
  LogChunk out;
  out.offset = offset;
  if (length <= 0 || offset < 0) return out;
  const int64_t end = offset + length;
  for (const auto& row : rows) {
    if (row.endByte <= offset || row.startByte >= end) continue;
    std::string text;
    if (row.encType == kEncodingGzip) {
      auto inflated = gzipDecompress(row.log);
      if (!inflated) {
        return inflated.error().withContext("log chunk at byte " + std::to_string(row.startByte));
      }
      text = std::move(inflated.value());
    } else {
      text = row.log;  // PLAIN, and unknown codes read as PLAIN (4.2)
    }
    int64_t from = std::max(offset, row.startByte) - row.startByte;
    int64_t to = std::min(end, row.startByte + static_cast<int64_t>(text.size())) - row.startByte;
    if (to > from) out.data.append(text, static_cast<size_t>(from), static_cast<size_t>(to - from));
  }
  return out;
}

}  // namespace azx::store
