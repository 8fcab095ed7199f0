#pragma once

#include <cstddef>
#include <string_view>

namespace azx {

// Advances `i` over a decimal number as Java and JavaScript write them: digits, an optional
// fraction, an optional exponent. False when there are no digits or the exponent has none.
bool scanDecimalNumber(std::string_view text, size_t& i);

}  // namespace azx
