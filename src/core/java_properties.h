#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "core/props.h"
#include "core/result.h"

namespace azx {

// Parses the Java properties text format (java.util.Properties.load, flow-semantics 1.2.1).
// Input bytes are ISO-8859-1; keys and values are returned as UTF-8 (a Latin-1 byte becomes
// the UTF-8 of that code point, `\uXXXX` escapes are decoded including surrogate pairs; a lone
// surrogate becomes U+FFFD). A repeated key keeps its last value. The only error is a
// malformed `\uXXXX` escape; its message names the line.
Result<std::map<std::string, std::string>> parseJavaProperties(std::string_view bytes);

// Reads a whole file; the error names the path.
Result<std::string> readFileBytes(const std::filesystem::path& path);

// Reads and parses `path` into a Props with the given parent and source; errors name the file.
Result<PropsPtr> loadPropertiesFile(const std::filesystem::path& path, PropsPtr parent = nullptr,
                                    std::string source = {});

// Writes `values` as java.util.Properties.store does: `#<commentLine>` first (omitted when
// empty), then one `key=value` line per entry with Java's escaping (flow-semantics 3.6 step 4);
// characters outside printable ASCII are written as `\uXXXX` (UTF-16 units, upper-case hex).
// Input is UTF-8; an invalid byte is taken as the Latin-1 character of that value.
std::string writeJavaProperties(const std::map<std::string, std::string>& values,
                                const std::string& commentLine = {});

// ISO-8859-1 bytes to UTF-8.
std::string latin1ToUtf8(std::string_view bytes);

}  // namespace azx
