// Feeds arbitrary form bodies through the parameter parser and the /executor handler.
#include <httplib.h>

#include <cstdint>
#include <string>

#include "api/executor_api.h"

namespace {

class NullBackend final : public azx::api::ExecutorBackend {
 public:
  azx::Result<void> execute(int) override { return azx::okResult(); }
  azx::Result<void> cancel(int, const std::string&) override { return azx::okResult(); }
  azx::Result<void> pause(int, const std::string&) override { return azx::okResult(); }
  azx::Result<void> resume(int, const std::string&) override { return azx::okResult(); }
  azx::Result<void> retryFailures(int, const std::string&) override { return azx::okResult(); }
  std::vector<nlohmann::json> update(const std::vector<int>& ids,
                                     const std::vector<int64_t>&) override {
    return std::vector<nlohmann::json>(ids.size(), nlohmann::json::object());
  }
  azx::Result<azx::api::FileSlice> readLog(int, const std::string&, int, int64_t o,
                                           int64_t) override {
    return azx::api::FileSlice{o, ""};
  }
  azx::Result<azx::api::FileSlice> readMetadata(int, const std::string&, int, int64_t o,
                                                int64_t) override {
    return azx::api::FileSlice{o, ""};
  }
  azx::Result<nlohmann::json> attachments(int, const std::string&, int) override {
    return nlohmann::json(nullptr);
  }
  std::optional<std::pair<azx::Status, int64_t>> status(int) override { return std::nullopt; }
  azx::Result<void> setActive(bool) override { return azx::okResult(); }
  azx::Result<azx::api::OwnRow> ownRow() override { return azx::api::OwnRow{1, true}; }
  azx::Result<void> shutdown() override { return azx::okResult(); }
  azx::Result<void> reloadJobTypePlugins() override { return azx::okResult(); }
  azx::api::ExecutorStatistics statistics(bool) override { return {}; }
  std::vector<int> runningExecutionIds() override { return {}; }
  std::vector<int> queuedExecutionIds() override { return {}; }
  std::string prometheusMetrics() override { return ""; }
  bool healthy(std::string*) override { return true; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  httplib::Params parsed;
  httplib::detail::parse_query_text(body, parsed);
  azx::api::Params params(parsed.begin(), parsed.end());
  NullBackend backend;
  nlohmann::json reply = azx::api::handleExecutorRequest(params, backend);
  // Every reply is an object; a failure always carries a non-empty string.
  if (!reply.is_object()) __builtin_trap();
  if (reply.contains("error") &&
      (!reply["error"].is_string() || reply["error"].get<std::string>().empty())) {
    __builtin_trap();
  }
  (void)reply.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
  azx::api::trimToUtf8(0, body);
  return 0;
}
