#pragma once

#include <string>
#include <vector>

namespace azx::store {

struct SchemaFile {
  std::string name;  // e.g. "create.execution_flows.sql"
  std::string sql;   // the file's text, unchanged
};

// Azkaban 3.81.0's schema files in file-name order.
const std::vector<SchemaFile>& azkabanSchemaFiles();

}  // namespace azx::store
