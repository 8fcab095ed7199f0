#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/event_loop.h"
#include "jobtypes/job_type.h"

namespace azx::engine {

// The subset of log4j's pattern layout Azkaban's logs use: %d{java date pattern}, %c{n},
// %p, %m, %n and literal text (flow-semantics 5.2).
class LogLayout {
 public:
  static constexpr const char* kDefaultPattern = "%d{dd-MM-yyyy HH:mm:ss z} %c{1} %p - %m\n";
  explicit LogLayout(const std::string& pattern = kDefaultPattern);
  std::string format(int64_t millis, std::string_view logger, std::string_view level,
                     std::string_view message) const;

 private:
  std::string pattern_;
};

// Formats a Java SimpleDateFormat pattern (the letters Azkaban's layouts use) in local time.
std::string formatJavaDate(int64_t millis, std::string_view pattern);

// An Azkaban flow or job log file: one formatted line per message, rolled to `.1`, `.2`, …
// when it exceeds `maxBytes`, keeping `backups` old pieces (log4j RollingFileAppender).
// Given a loop, lines are gathered and written before the loop next waits (one write for the
// dozen lines a job start logs); the file is then behind only while the loop is busy. Such a
// log is used on the loop thread only.
class LogFile final : public jobtypes::JobLogger {
 public:
  static constexpr uint64_t kDefaultMaxBytes = 5 * 1024 * 1024;
  static constexpr int kDefaultBackups = 4;

  LogFile(std::filesystem::path path, std::string loggerName, const Clock& clock,
          LogLayout layout = LogLayout(), uint64_t maxBytes = kDefaultMaxBytes,
          int backups = kDefaultBackups, EventLoop* loop = nullptr);
  ~LogFile() override;
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;

  bool ok() const { return fd_ >= 0; }
  const std::filesystem::path& path() const { return path_; }
  void info(std::string_view message) override { write("INFO", message); }
  void warn(std::string_view message) override { write("WARN", message); }
  void error(std::string_view message) override { write("ERROR", message); }
  void close();
  // Writes out gathered lines.
  void flush();
  // Every piece of the log, oldest first (backups then the current file).
  std::vector<std::filesystem::path> pieces() const;

 private:
  void write(std::string_view level, std::string_view message);
  void writeOut(const char* data, size_t size);
  void roll();

  std::filesystem::path path_;
  std::string loggerName_;
  const Clock& clock_;
  LogLayout layout_;
  uint64_t maxBytes_;
  int backups_;
  int fd_ = -1;
  uint64_t size_ = 0;  // written and gathered bytes of the current piece
  // Opened empty and never rolled here: no older pieces to look for.
  bool onlyPiece_ = false;
  EventLoop* loop_ = nullptr;
  EventLoop::HookId flushHook_ = 0;
  std::string pending_;
};

// "5MB" / "512KB" / "1G" / plain bytes; nullopt when unparseable.
std::optional<uint64_t> parseByteSize(const std::string& text);

}  // namespace azx::engine
