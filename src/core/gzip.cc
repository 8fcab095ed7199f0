#include "core/gzip.h"

#include <zlib.h>

#include <cstring>

namespace azx {
namespace {

// windowBits 15 + 16 selects the gzip wrapper in zlib.
constexpr int kGzipWindowBits = 15 + 16;
constexpr size_t kChunk = 64 * 1024;
// A 4 KiB window for inputs that fit in it.
constexpr int kSmallWindowBits = 12 + 16;
constexpr size_t kSmallInput = 4096;

// One deflate state per thread, reset between calls. deflateInit2 allocates about 256 KiB,
// above malloc's mmap threshold, so every call mapped and faulted in fresh pages: that cost
// more than compressing a job's few KiB of properties or log. Reset output is byte-identical.
class Deflater {
 public:
  explicit Deflater(int level, int windowBits = kGzipWindowBits, int memLevel = 8) {
    std::memset(&zs_, 0, sizeof(zs_));
    ready_ =
        deflateInit2(&zs_, level, Z_DEFLATED, windowBits, memLevel, Z_DEFAULT_STRATEGY) == Z_OK;
  }
  ~Deflater() {
    if (ready_) deflateEnd(&zs_);
  }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  // A fresh stream, or null when zlib could not initialise.
  z_stream* stream() {
    if (!ready_) return nullptr;
    if (used_ && deflateReset(&zs_) != Z_OK) return nullptr;
    used_ = true;
    return &zs_;
  }

 private:
  z_stream zs_;
  bool ready_ = false;
  bool used_ = false;
};

// The thread's state for one kind of call, made on its first use only.
Deflater& deflaterFor(GzipSpeed speed, size_t inputSize) {
  if (speed == GzipSpeed::Standard) {
    thread_local Deflater standard(Z_DEFAULT_COMPRESSION);
    return standard;
  }
  if (inputSize > kSmallInput) {
    thread_local Deflater fastest(Z_BEST_SPEED);
    return fastest;
  }
  // A job's properties and log chunks are a few KiB: a 4 KiB window and a 512-entry hash do
  // as well there, and the reset before each call clears 1 KiB instead of 64 KiB.
  thread_local Deflater fastestSmall(Z_BEST_SPEED, kSmallWindowBits, 2);
  return fastestSmall;
}

}  // namespace

std::string gzipCompress(std::string_view data, GzipSpeed speed) {
  z_stream* stream = deflaterFor(speed, data.size()).stream();
  if (!stream) return {};
  z_stream& zs = *stream;
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  size_t produced = 0;
  do {
    if (produced == out.size()) out.resize(out.size() * 2);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    zs.avail_out = static_cast<uInt>(out.size() - produced);
    rc = deflate(&zs, Z_FINISH);
    produced = out.size() - zs.avail_out;
  } while (rc == Z_OK || rc == Z_BUF_ERROR);
  out.resize(produced);
  return out;
}

Result<std::string> gzipDecompress(std::string_view data) {
  if (!looksGzipped(data)) return Error{"not gzip data (missing 1f 8b magic)"};
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, kGzipWindowBits) != Z_OK) return Error{"inflateInit2 failed"};
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buffer[kChunk];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buffer);
    zs.avail_out = sizeof(buffer);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      std::string msg = zs.msg != nullptr ? zs.msg : "error " + std::to_string(rc);
      inflateEnd(&zs);
      if (rc == Z_BUF_ERROR) msg = "truncated gzip data";
      return Error{"gzip decompression failed: " + msg};
    }
    out.append(buffer, sizeof(buffer) - zs.avail_out);
    if (rc != Z_STREAM_END && zs.avail_in == 0 && zs.avail_out != 0) {
      inflateEnd(&zs);
      return Error{"gzip decompression failed: truncated gzip data"};
    }
  }
  inflateEnd(&zs);
  return out;
}

bool looksGzipped(std::string_view data) {
  return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
         static_cast<unsigned char>(data[1]) == 0x8b;
}

Result<std::string> decodeMaybeGzipped(std::string_view data) {
  if (!looksGzipped(data)) return std::string(data);
  return gzipDecompress(data);
}

}  // namespace azx
