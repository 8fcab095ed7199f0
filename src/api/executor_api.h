#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "api/executor_backend.h"

namespace azx::api {

// Request parameters: the union of query-string and form-body parameters. A parameter given
// without '=' is present with an empty value; "absent" and "empty" differ.
using Params = std::multimap<std::string, std::string>;

// `/executor` exactly as Azkaban 3.81's ExecutorServlet (azkaban-wire 1.2–1.4): the same
// handling order, parameter names, replies and error texts. Never throws.
nlohmann::json handleExecutorRequest(const Params& params, ExecutorBackend& backend);
// `/serverStatistics` with exactly its six keys.
nlohmann::json handleServerStatistics(const Params& params, ExecutorBackend& backend);
// `/stats`: this executor keeps no metric history, answering as Azkaban does without metrics.
nlohmann::json handleStats(const Params& params);
// `/jmx`: the read-only bean queries the web's JMX page makes.
nlohmann::json handleJmx(const Params& params, ExecutorBackend& backend);

// Reads [offset, offset+length) of a file and trims to whole UTF-8 characters (azkaban-wire 1.4
// `log`). Errors name what is missing.
Result<FileSlice> readFileSlice(const std::string& path, int64_t offset, int64_t length);
// The trimming rule alone, on bytes that start at `offset`.
FileSlice trimToUtf8(int64_t offset, std::string bytes);

// Parses a Java int ("For input string" errors as Java words them).
Result<int> parseJavaInt(const std::string& text);

}  // namespace azx::api
