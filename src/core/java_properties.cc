#include "core/java_properties.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "core/utf8.h"

namespace azx {
namespace {

bool isPropsSpace(char c) { return c == ' ' || c == '\t' || c == '\f'; }

// Java strings are UTF-16; escapes produce code units that are joined here.
std::string utf16ToUtf8(const std::vector<uint16_t>& units) {
  std::string out;
  out.reserve(units.size());
  for (size_t i = 0; i < units.size(); ++i) {
    uint32_t u = units[i];
    if (u >= 0xD800 && u <= 0xDBFF && i + 1 < units.size() && units[i + 1] >= 0xDC00 &&
        units[i + 1] <= 0xDFFF) {
      uint32_t cp = 0x10000 + ((u - 0xD800) << 10) + (units[i + 1] - 0xDC00);
      appendUtf8(out, cp);
      ++i;
    } else if (u >= 0xD800 && u <= 0xDFFF) {
      appendUtf8(out, 0xFFFD);  // lone surrogate: not representable in UTF-8
    } else {
      appendUtf8(out, u);
    }
  }
  return out;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Properties.loadConvert over Latin-1 input.
Result<std::string> loadConvert(std::string_view in) {
  std::vector<uint16_t> units;
  units.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    unsigned char c = static_cast<unsigned char>(in[i++]);
    if (c != '\\') {
      units.push_back(c);
      continue;
    }
    if (i >= in.size()) break;  // cannot happen for complete lines; Java drops it too
    c = static_cast<unsigned char>(in[i++]);
    if (c == 'u') {
      if (i + 4 > in.size()) return Error{"Malformed \\uxxxx encoding."};
      uint16_t value = 0;
      for (int k = 0; k < 4; ++k) {
        int h = hexValue(in[i++]);
        if (h < 0) return Error{"Malformed \\uxxxx encoding."};
        value = static_cast<uint16_t>((value << 4) | h);
      }
      units.push_back(value);
    } else if (c == 't') {
      units.push_back('\t');
    } else if (c == 'r') {
      units.push_back('\r');
    } else if (c == 'n') {
      units.push_back('\n');
    } else if (c == 'f') {
      units.push_back('\f');
    } else {
      units.push_back(c);
    }
  }
  return utf16ToUtf8(units);
}

struct LogicalLine {
  std::string text;
  int lineNumber = 0;
};

// Properties.LineReader: joins continuation lines, drops comments and blank lines.
std::vector<LogicalLine> logicalLines(std::string_view bytes) {
  std::vector<LogicalLine> lines;
  size_t pos = 0;
  int physical = 0;
  bool continuing = false;
  LogicalLine current;
  while (pos <= bytes.size()) {
    if (pos == bytes.size() && !continuing) break;
    size_t end = pos;
    while (end < bytes.size() && bytes[end] != '\n' && bytes[end] != '\r') ++end;
    std::string_view raw = bytes.substr(pos, end - pos);
    bool atEof = end >= bytes.size();
    // "\r\n" is one terminator.
    size_t next = end;
    if (next < bytes.size()) {
      next += (bytes[next] == '\r' && next + 1 < bytes.size() && bytes[next + 1] == '\n') ? 2 : 1;
    } else {
      next = bytes.size() + 1;
    }
    ++physical;
    size_t start = 0;
    while (start < raw.size() && isPropsSpace(raw[start])) ++start;
    std::string_view content = raw.substr(start);
    if (!continuing) {
      if (content.empty() || content[0] == '#' || content[0] == '!') {
        pos = next;
        continue;
      }
      current = LogicalLine{{}, physical};
    }
    size_t backslashes = 0;
    while (backslashes < content.size() && content[content.size() - 1 - backslashes] == '\\') {
      ++backslashes;
    }
    if (backslashes % 2 == 1) {
      current.text.append(content.substr(0, content.size() - 1));
      continuing = !atEof;
      if (atEof) lines.push_back(std::move(current));
    } else {
      current.text.append(content);
      continuing = false;
      lines.push_back(std::move(current));
    }
    pos = next;
  }
  return lines;
}

}  // namespace

std::string latin1ToUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (char c : bytes) appendUtf8(out, static_cast<unsigned char>(c));
  return out;
}

Result<std::map<std::string, std::string>> parseJavaProperties(std::string_view bytes) {
  std::map<std::string, std::string> result;
  for (const auto& line : logicalLines(bytes)) {
    const std::string& buf = line.text;
    size_t limit = buf.size();
    size_t keyLen = 0;
    size_t valueStart = limit;
    bool hasSep = false;
    bool precedingBackslash = false;
    while (keyLen < limit) {
      char c = buf[keyLen];
      if ((c == '=' || c == ':') && !precedingBackslash) {
        valueStart = keyLen + 1;
        hasSep = true;
        break;
      }
      if (isPropsSpace(c) && !precedingBackslash) {
        valueStart = keyLen + 1;
        break;
      }
      precedingBackslash = c == '\\' ? !precedingBackslash : false;
      ++keyLen;
    }
    while (valueStart < limit) {
      char c = buf[valueStart];
      if (!isPropsSpace(c)) {
        if (!hasSep && (c == '=' || c == ':')) {
          hasSep = true;
        } else {
          break;
        }
      }
      ++valueStart;
    }
    auto key = loadConvert(std::string_view(buf).substr(0, keyLen));
    if (!key) return key.error().withContext("line " + std::to_string(line.lineNumber));
    auto value = loadConvert(std::string_view(buf).substr(valueStart));
    if (!value) return value.error().withContext("line " + std::to_string(line.lineNumber));
    result[*key] = std::move(*value);
  }
  return result;
}

Result<std::string> readFileBytes(const std::filesystem::path& path) {
  // stdio rather than iostreams so a failing read(2) is reported, not taken as end of file.
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return Error{"cannot open '" + path.string() + "': " + std::strerror(errno)};
  std::string content;
  char buffer[16384];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) content.append(buffer, n);
  if (std::ferror(file.get())) {
    return Error{"cannot read '" + path.string() + "': " + std::strerror(errno)};
  }
  return content;
}

Result<PropsPtr> loadPropertiesFile(const std::filesystem::path& path, PropsPtr parent,
                                    std::string source) {
  auto bytes = readFileBytes(path);
  if (!bytes) return bytes.error();
  auto values = parseJavaProperties(*bytes);
  if (!values) return values.error().withContext(path.string());
  return Props::fromMap(*values, std::move(parent), std::move(source));
}

namespace {

// Decodes UTF-8 into UTF-16 code units; invalid bytes become the Latin-1 character.
std::vector<uint16_t> utf8ToUtf16(std::string_view text) {
  std::vector<uint16_t> units;
  units.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    auto b0 = static_cast<unsigned char>(text[i]);
    uint32_t cp = b0;
    size_t len = 1;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
      cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
      cp = b0 & 0x0F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
      cp = b0 & 0x07;
    }
    bool valid = len == 1 || i + len <= text.size();
    for (size_t k = 1; valid && k < len; ++k) {
      auto b = static_cast<unsigned char>(text[i + k]);
      if ((b & 0xC0) != 0x80) {
        valid = false;
      } else {
        cp = (cp << 6) | (b & 0x3F);
      }
    }
    if (valid && len > 1) {
      bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
      if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) valid = false;
    }
    if (!valid) {
      cp = b0;
      len = 1;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      units.push_back(static_cast<uint16_t>(0xD800 + (cp >> 10)));
      units.push_back(static_cast<uint16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      units.push_back(static_cast<uint16_t>(cp));
    }
    i += len;
  }
  return units;
}

// Properties.saveConvert with escUnicode = true.
void saveConvert(std::string& out, const std::string& text, bool escapeSpace) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  // Most keys and values are printable ASCII with nothing to escape: copied as they are.
  bool plain = std::all_of(text.begin(), text.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c > 0x20 && c < 0x7F && c != '\\' && c != '=' && c != ':' && c != '#' && c != '!';
  });
  if (plain) {
    out += text;
    return;
  }
  auto units = utf8ToUtf16(text);
  for (size_t x = 0; x < units.size(); ++x) {
    uint16_t c = units[x];
    if (c > 61 && c < 127) {
      if (c == '\\') {
        out += "\\\\";
      } else {
        out.push_back(static_cast<char>(c));
      }
      continue;
    }
    switch (c) {
      case ' ':
        out += (x == 0 || escapeSpace) ? "\\ " : " ";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\f':
        out += "\\f";
        break;
      case '=':
      case ':':
      case '#':
      case '!':
        out.push_back('\\');
        out.push_back(static_cast<char>(c));
        break;
      default:
        if (c < 0x20 || c > 0x7E) {
          out += "\\u";
          out.push_back(kHex[(c >> 12) & 0xF]);
          out.push_back(kHex[(c >> 8) & 0xF]);
          out.push_back(kHex[(c >> 4) & 0xF]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
}

}  // namespace

std::string writeJavaProperties(const std::map<std::string, std::string>& values,
                                const std::string& commentLine) {
  std::string out;
  if (!commentLine.empty()) {
    out += "#";
    out += commentLine;
    out += "\n";
  }
  for (const auto& [key, value] : values) {
    saveConvert(out, key, true);
    out.push_back('=');
    saveConvert(out, value, false);
    out.push_back('\n');
  }
  return out;
}

}  // namespace azx
