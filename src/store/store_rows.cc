#include "store/store_rows.h"

#include <charconv>

#include "core/gzip.h"
#include "flow/flow_data.h"

namespace azx::store {
namespace {

std::optional<int> parseInt(const std::string& text) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string parentFlowPath(const flow::ExecutableNode& node) {
  return node.parent == nullptr ? node.flowPath() : node.parent->flowPath();
}

std::string nodeNestedId(const flow::ExecutableNode& node) { return node.nestedId(); }

std::optional<int> useExecutorParam(const flow::ExecutableFlow& flow) {
  auto it = flow.options.flowParameters.find("useExecutor");
  if (it == flow.options.flowParameters.end() || it->second.empty()) return std::nullopt;
  return parseInt(it->second);
}

int flowPriorityParam(const flow::ExecutableFlow& flow) {
  auto it = flow.options.flowParameters.find("flowPriority");
  if (it == flow.options.flowParameters.end() || it->second.empty()) return 5;
  return parseInt(it->second).value_or(5);
}

std::optional<std::string> encodePropsChain(const PropsPtr& props) {
  if (!props) return std::nullopt;
  return gzipCompress(flow::propsChainToJson(props).dump(), GzipSpeed::Fastest);
}

}  // namespace azx::store
