#pragma once

#include <string>
#include <vector>

namespace azx::jobtypes {

// Splits a command line the way Azkaban's process jobs do (flow-semantics 3.6): on spaces only,
// quotes group and are removed, no shell, no escapes, empty arguments dropped.
std::vector<std::string> splitCommandLine(const std::string& command);

}  // namespace azx::jobtypes
