#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace azx::aws {

// `YYYYMMDD'T'HHMMSS'Z'` (SigV4 X-Amz-Date) for a UTC instant in epoch milliseconds.
std::string formatAmzDate(int64_t epochMillis);
// `YYYY-MM-DDTHH:MM:SSZ`.
std::string formatIso8601(int64_t epochMillis);
// ISO 8601 as AWS sends it: `2023-01-12T12:00:00Z`, optional fractional seconds, `Z` or
// `+hh:mm`/`-hh:mm`. Returns epoch milliseconds.
std::optional<int64_t> parseIso8601(std::string_view text);
// RFC 1123 HTTP date (`Thu, 03 Dec 2026 20:11:42 GMT`), epoch milliseconds.
std::optional<int64_t> parseHttpDate(std::string_view text);

}  // namespace azx::aws
