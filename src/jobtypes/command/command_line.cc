#include "jobtypes/command/command_line.h"

namespace azx::jobtypes {

std::vector<std::string> splitCommandLine(const std::string& command) {
  std::vector<std::string> args;
  std::string current;
  bool inSingle = false;
  bool inDouble = false;
  for (char c : command) {
    if (c == '\'' && !inDouble) {
      inSingle = !inSingle;
    } else if (c == '"' && !inSingle) {
      inDouble = !inDouble;
    } else if (c == ' ' && !inSingle && !inDouble) {
      if (!current.empty()) args.push_back(std::move(current));
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  if (!current.empty()) args.push_back(std::move(current));
  return args;
}

}  // namespace azx::jobtypes
