#include "engine/flow_properties.h"

#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>

#include "engine/log_file.h"

namespace azx::engine {
namespace {

std::string randomUuid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = rng();
  uint64_t lo = rng();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 1
  char buf[40];
  snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
           static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
           static_cast<unsigned>(lo >> 48),
           static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

}  // namespace

std::string localTimeZoneId() {
  if (const char* tz = std::getenv("TZ"); tz && *tz) {
    std::string id = tz;
    if (id[0] == ':') id.erase(0, 1);
    return id.empty() ? "UTC" : id;
  }
  std::ifstream timezone("/etc/timezone");
  std::string id;
  if (timezone >> id && !id.empty()) return id;
  std::error_code ec;
  auto target = std::filesystem::read_symlink("/etc/localtime", ec);
  if (!ec) {
    std::string t = target.string();
    auto pos = t.find("zoneinfo/");
    if (pos != std::string::npos) return t.substr(pos + 9);
  }
  return "UTC";
}

std::string isoTimestamp(int64_t millis) {
  time_t seconds = static_cast<time_t>(millis / 1000);
  struct tm local {};
  localtime_r(&seconds, &local);
  std::string out = formatJavaDate(millis, "yyyy-MM-dd'T'HH:mm:ss.SSS");
  long offset = local.tm_gmtoff;
  if (offset == 0) return out + "Z";
  char sign = offset < 0 ? '-' : '+';
  offset = offset < 0 ? -offset : offset;
  char buf[48];  // wide enough for any long, so the compiler can see no truncation
  snprintf(buf, sizeof(buf), "%c%02ld:%02ld", sign, offset / 3600, (offset % 3600) / 60);
  return out + buf;
}

PropsPtr commonFlowProperties(const flow::ExecutableFlow& flow, int64_t startMillis) {
  auto props = Props::make(nullptr, "azkaban.flow");
  props->put("azkaban.flow.flowid", flow.flowId());
  props->put("azkaban.flow.execid", std::to_string(flow.executionId));
  props->put("azkaban.flow.projectid", std::to_string(flow.projectId));
  props->put("azkaban.flow.projectname", flow.projectName);
  props->put("azkaban.flow.projectversion", std::to_string(flow.version));
  props->put("azkaban.flow.projectlastchangedby", flow.lastModifiedUser);
  props->put("azkaban.flow.projectlastchangeddate", std::to_string(flow.lastModifiedTime));
  if (!flow.submitUser.empty()) props->put("azkaban.flow.submituser", flow.submitUser);
  props->put("azkaban.flow.uuid", randomUuid());
  props->put("azkaban.flow.start.timestamp", isoTimestamp(startMillis));
  props->put("azkaban.flow.start.year", formatJavaDate(startMillis, "yyyy"));
  props->put("azkaban.flow.start.month", formatJavaDate(startMillis, "MM"));
  props->put("azkaban.flow.start.day", formatJavaDate(startMillis, "dd"));
  props->put("azkaban.flow.start.hour", formatJavaDate(startMillis, "HH"));
  props->put("azkaban.flow.start.minute", formatJavaDate(startMillis, "mm"));
  props->put("azkaban.flow.start.second", formatJavaDate(startMillis, "ss"));
  props->put("azkaban.flow.start.milliseconds", formatJavaDate(startMillis, "SSS"));
  props->put("azkaban.flow.start.timezone", localTimeZoneId());
  return props;
}

}  // namespace azx::engine
