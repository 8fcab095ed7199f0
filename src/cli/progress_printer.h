#pragma once

#include <map>
#include <ostream>
#include <string>

#include "core/clock.h"
#include "engine/execution_listener.h"

namespace azx::cli {

// Live progress for a person: one line per status change with the elapsed time, and a final
// table of every node.
class ProgressPrinter final : public engine::ExecutionListener {
 public:
  ProgressPrinter(std::ostream& out, const Clock& clock);

  void onEvent(engine::EventType type, const flow::ExecutableFlow& flow,
               const flow::ExecutableNode& node) override;
  void onFlowUpdated(const flow::ExecutableFlow& flow) override;
  void printSummary(const flow::ExecutableFlow& flow);

 private:
  std::string elapsed() const;
  void report(const std::string& name, Status status);

  std::ostream& out_;
  const Clock& clock_;
  int64_t start_;
  std::map<std::string, Status> last_;
};

}  // namespace azx::cli
