// Feeds arbitrary bytes (plain or gzip) to the flow_data decoder; what parses must round-trip.
#include <cstdint>
#include <string>

#include "core/gzip.h"
#include "flow/flow_data.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  auto text = azx::decodeMaybeGzipped(bytes);
  if (!text) return 0;
  auto flow = azx::flow::parseFlowDataText(*text);
  if (!flow) return 0;
  std::string written = azx::flow::toFlowDataText(**flow);
  auto again = azx::flow::parseFlowDataText(written);
  if (!again) __builtin_trap();  // our own output must always load
  if (azx::flow::toFlowDataText(**again) != written) __builtin_trap();
  (void)azx::flow::updateDelta(**again, -1);
  return 0;
}
