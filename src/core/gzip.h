#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace azx {

enum class GzipSpeed {
  Standard,  // zlib's default level, as Java's GZIPOutputStream
  Fastest,   // level 1: rows written per job or rewritten often (flow_data, job props, log
             // chunks), where CPU beats a few % of size
};

// gzip (RFC 1952, single member) as Azkaban's GZIPUtils writes it (azkaban-wire 4.2). Any
// level is read back by the same inflater.
std::string gzipCompress(std::string_view data, GzipSpeed speed = GzipSpeed::Standard);

// Inflates a gzip member. Fails on corrupt or truncated input.
Result<std::string> gzipDecompress(std::string_view data);

// True when `data` starts with the gzip magic bytes 1f 8b.
bool looksGzipped(std::string_view data);

// Decodes a blob whose encoding column may be PLAIN (1) or GZIP (2): gzip data is inflated,
// anything else is returned unchanged (readers must accept both, azkaban-wire 4.2).
Result<std::string> decodeMaybeGzipped(std::string_view data);

}  // namespace azx
