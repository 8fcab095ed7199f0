#include "cli/progress_printer.h"

#include <cstdio>
#include <iomanip>
#include <sstream>

namespace azx::cli {
namespace {

void collect(const flow::ExecutableNode& level, std::vector<const flow::ExecutableNode*>& out) {
  for (const auto& child : level.nodes) {
    out.push_back(child.get());
    if (child->isFlow()) collect(*child, out);
  }
}

std::string seconds(int64_t millis) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%.1fs", static_cast<double>(millis) / 1000.0);
  return buf;
}

}  // namespace

ProgressPrinter::ProgressPrinter(std::ostream& out, const Clock& clock)
    : out_(out), clock_(clock), start_(clock.nowMillis()) {}

std::string ProgressPrinter::elapsed() const {
  return "[" + seconds(clock_.nowMillis() - start_) + "]";
}

void ProgressPrinter::report(const std::string& name, Status status) {
  auto it = last_.find(name);
  if (it != last_.end() && it->second == status) return;
  last_[name] = status;
  // One piece per line: stderr is unbuffered, and a write per field costs more than the job.
  std::string stamp = elapsed();
  std::string line(stamp.size() < 8 ? 8 - stamp.size() : 0, ' ');
  line += stamp + " " + name + " " + std::string(toString(status)) + "\n";
  out_ << line << std::flush;
}

void ProgressPrinter::onEvent(engine::EventType type, const flow::ExecutableFlow& flow,
                              const flow::ExecutableNode& node) {
  if (type == engine::EventType::FlowStarted || type == engine::EventType::FlowFinished) {
    report("flow " + flow.flowId(), flow.root.status);
    return;
  }
  if (!node.isRoot()) report(node.nestedId(), node.status);
}

void ProgressPrinter::onFlowUpdated(const flow::ExecutableFlow& flow) {
  // Node changes arrive as events; only the flow's own status is read here, so a large flow
  // does not cost a walk of every node per update.
  report("flow " + flow.flowId(), flow.root.status);
}

void ProgressPrinter::printSummary(const flow::ExecutableFlow& flow) {
  std::vector<const flow::ExecutableNode*> nodes;
  collect(flow.root, nodes);
  size_t width = 4;
  for (const auto* node : nodes) width = std::max(width, node->nestedId().size());
  // Built whole and written once: stderr is unbuffered, and each padded field would be a write.
  std::ostringstream table;
  table << "\n"
        << std::left << std::setw(static_cast<int>(width) + 2) << "NODE" << std::setw(18)
        << "STATUS" << std::setw(10) << "ATTEMPTS"
        << "DURATION\n";
  for (const auto* node : nodes) {
    std::string duration = node->startTime > 0 && node->endTime >= node->startTime
                               ? seconds(node->endTime - node->startTime)
                               : "-";
    table << std::setw(static_cast<int>(width) + 2) << node->nestedId() << std::setw(18)
          << toString(node->status) << std::setw(10) << (node->attempt + 1) << duration << "\n";
  }
  std::string total =
      flow.root.endTime > 0 ? seconds(flow.root.endTime - flow.root.startTime) : "-";
  table << "\nFlow " << flow.flowId() << " " << toString(flow.root.status) << " in " << total
        << "\n";
  out_ << table.str() << std::flush;
}

}  // namespace azx::cli
