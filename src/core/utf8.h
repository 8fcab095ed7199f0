#pragma once

#include <cstdint>
#include <string>

namespace azx {

// Appends one Unicode code point as UTF-8.
void appendUtf8(std::string& out, uint32_t codePoint);

}  // namespace azx
