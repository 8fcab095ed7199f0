#include "store/execution_store.h"

#include "flow/flow_data.h"

namespace azx::store {

FlowRowUpdate makeFlowRowUpdate(const flow::ExecutableFlow& flow) {
  return FlowRowUpdate{flow.executionId,    flow.root.status,  flow.root.updateTime,
                       flow.root.startTime, flow.root.endTime, flow::toFlowDataText(flow)};
}

}  // namespace azx::store
