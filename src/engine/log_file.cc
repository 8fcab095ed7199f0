#include "engine/log_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <ctime>

namespace azx::engine {
namespace {

std::string pad(long value, size_t width) {
  std::string s = std::to_string(value);
  while (s.size() < width) s.insert(s.begin(), '0');
  return s;
}

}  // namespace

std::string formatJavaDate(int64_t millis, std::string_view pattern) {
  time_t seconds = static_cast<time_t>(millis / 1000);
  struct tm local {};
  localtime_r(&seconds, &local);
  std::string out;
  for (size_t i = 0; i < pattern.size();) {
    char c = pattern[i];
    if (c == '\'') {  // quoted literal
      size_t end = pattern.find('\'', i + 1);
      if (end == std::string_view::npos) end = pattern.size();
      out.append(pattern.substr(i + 1, end - i - 1));
      i = end + 1;
      continue;
    }
    if (!std::isalpha(static_cast<unsigned char>(c))) {
      out.push_back(c);
      ++i;
      continue;
    }
    size_t run = 1;
    while (i + run < pattern.size() && pattern[i + run] == c) ++run;
    switch (c) {
      case 'y':
        out += run == 2 ? pad((local.tm_year + 1900) % 100, 2) : pad(local.tm_year + 1900, run);
        break;
      case 'M':
        out += pad(local.tm_mon + 1, run);
        break;
      case 'd':
        out += pad(local.tm_mday, run);
        break;
      case 'H':
        out += pad(local.tm_hour, run);
        break;
      case 'm':
        out += pad(local.tm_min, run);
        break;
      case 's':
        out += pad(local.tm_sec, run);
        break;
      case 'S':
        out += pad(static_cast<long>(millis % 1000), run);
        break;
      case 'z': {
        char zone[16];
        strftime(zone, sizeof(zone), "%Z", &local);
        out += zone;
        break;
      }
      case 'Z': {
        char zone[16];
        strftime(zone, sizeof(zone), "%z", &local);
        out += zone;
        break;
      }
      default:
        out.append(run, c);
    }
    i += run;
  }
  return out;
}

namespace {

// A job writes several lines a second: the text is reused while the clock stays within the
// finest unit the pattern shows (the second, or the millisecond with `S`).
const std::string& cachedJavaDate(int64_t millis, const std::string& pattern) {
  thread_local std::string lastPattern;
  thread_local int64_t lastKey = INT64_MIN;
  thread_local std::string lastText;
  const int64_t key = pattern.find('S') == std::string::npos ? millis / 1000 : millis;
  if (key != lastKey || pattern != lastPattern) {
    lastText = formatJavaDate(millis, pattern);
    lastPattern = pattern;
    lastKey = key;
  }
  return lastText;
}

}  // namespace

LogLayout::LogLayout(const std::string& pattern) {
  // Job properties carry the layout with a literal backslash-n; log4j reads it as a newline.
  pattern_.reserve(pattern.size());
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 1 < pattern.size() && pattern[i + 1] == 'n') {
      pattern_.push_back('\n');
      ++i;
    } else {
      pattern_.push_back(pattern[i]);
    }
  }
}

std::string LogLayout::format(int64_t millis, std::string_view logger, std::string_view level,
                              std::string_view message) const {
  std::string out;
  for (size_t i = 0; i < pattern_.size(); ++i) {
    char c = pattern_[i];
    if (c != '%' || i + 1 >= pattern_.size()) {
      out.push_back(c);
      continue;
    }
    char conv = pattern_[++i];
    std::string option;
    if (i + 1 < pattern_.size() && pattern_[i + 1] == '{') {
      size_t end = pattern_.find('}', i + 1);
      if (end != std::string::npos) {
        option = pattern_.substr(i + 2, end - i - 2);
        i = end;
      }
    }
    switch (conv) {
      case 'd':
        out += cachedJavaDate(millis, option.empty() ? "yyyy-MM-dd HH:mm:ss,SSS" : option);
        break;
      case 'c': {
        std::string_view name = logger;
        if (!option.empty()) {
          int keep = std::max(1, std::atoi(option.c_str()));
          size_t pos = name.size();
          for (int k = 0; k < keep && pos != std::string_view::npos; ++k) {
            pos = pos == 0 ? std::string_view::npos : name.rfind('.', pos - 1);
          }
          if (pos != std::string_view::npos) name = name.substr(pos + 1);
        }
        out.append(name);
        break;
      }
      case 'p':
        out.append(level);
        break;
      case 'm':
        out.append(message);
        break;
      case 'n':
        out.push_back('\n');
        break;
      case '%':
        out.push_back('%');
        break;
      default:
        out.push_back('%');
        out.push_back(conv);
    }
  }
  return out;
}

LogFile::LogFile(std::filesystem::path path, std::string loggerName, const Clock& clock,
                 LogLayout layout, uint64_t maxBytes, int backups, EventLoop* loop)
    : path_(std::move(path)),
      loggerName_(std::move(loggerName)),
      clock_(clock),
      layout_(std::move(layout)),
      maxBytes_(maxBytes),
      backups_(backups),
      loop_(loop) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ >= 0) {
    struct stat st {};
    if (fstat(fd_, &st) == 0) size_ = static_cast<uint64_t>(st.st_size);
    onlyPiece_ = size_ == 0;
    if (loop_) flushHook_ = loop_->addBeforeWait([this] { flush(); });
  }
}

LogFile::~LogFile() { close(); }

void LogFile::close() {
  flush();
  if (flushHook_) loop_->removeBeforeWait(flushHook_);
  flushHook_ = 0;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void LogFile::flush() {
  if (pending_.empty()) return;
  writeOut(pending_.data(), pending_.size());
  pending_.clear();
}

void LogFile::writeOut(const char* data, size_t left) {
  while (left > 0) {
    ssize_t n = ::write(fd_, data, left);
    if (n <= 0) return;  // a full disk must not take the executor down; the lines are lost
    data += n;
    left -= static_cast<size_t>(n);
  }
}

void LogFile::write(std::string_view level, std::string_view message) {
  if (fd_ < 0) return;
  std::string line = layout_.format(clock_.nowMillis(), loggerName_, level, message);
  if (maxBytes_ > 0 && size_ > 0 && size_ + line.size() > maxBytes_) roll();
  size_ += line.size();
  if (!flushHook_) {
    writeOut(line.data(), line.size());
    return;
  }
  pending_ += line;
  if (pending_.size() >= 64 * 1024) flush();
}

void LogFile::roll() {
  flush();
  onlyPiece_ = false;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  std::error_code ec;
  auto piece = [this](int index) {
    return std::filesystem::path(path_.string() + "." + std::to_string(index));
  };
  std::filesystem::remove(piece(backups_), ec);
  for (int index = backups_ - 1; index >= 1; --index) {
    if (std::filesystem::exists(piece(index)))
      std::filesystem::rename(piece(index), piece(index + 1), ec);
  }
  if (backups_ > 0) {
    std::filesystem::rename(path_, piece(1), ec);
  } else {
    std::filesystem::remove(path_, ec);
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  size_ = 0;
}

std::vector<std::filesystem::path> LogFile::pieces() const {
  std::vector<std::filesystem::path> result;
  if (onlyPiece_) {
    if (std::filesystem::exists(path_)) result.push_back(path_);
    return result;
  }
  for (int index = backups_; index >= 1; --index) {
    std::filesystem::path p(path_.string() + "." + std::to_string(index));
    if (std::filesystem::exists(p)) result.push_back(p);
  }
  if (std::filesystem::exists(path_)) result.push_back(path_);
  return result;
}

std::optional<uint64_t> parseByteSize(const std::string& text) {
  std::string t;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c)))
      t.push_back(static_cast<char>(std::toupper(c)));
  }
  if (t.empty()) return std::nullopt;
  uint64_t multiplier = 1;
  auto strip = [&](const char* suffix, uint64_t m) {
    std::string s(suffix);
    if (t.size() > s.size() && t.compare(t.size() - s.size(), s.size(), s) == 0) {
      t.resize(t.size() - s.size());
      multiplier = m;
      return true;
    }
    return false;
  };
  strip("KB", 1024) || strip("MB", 1024 * 1024) || strip("GB", 1024ULL * 1024 * 1024) ||
      strip("K", 1024) || strip("M", 1024 * 1024) || strip("G", 1024ULL * 1024 * 1024) ||
      strip("B", 1);
  if (t.empty()) return std::nullopt;
  uint64_t value = 0;
  for (char c : t) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value * multiplier;
}

}  // namespace azx::engine
