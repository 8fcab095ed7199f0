#pragma once

// The server module (azkaban-executor-server.so): serve, db and executors, plus run and validate
// with every job type. The binary dlopens it only for those, so `run` of a project without
// server-side job types never maps libcurl, MariaDB Connector/C, OpenSSL's TLS or cpp-httplib.

inline constexpr const char* kServerModuleFileName = "azkaban-executor-server.so";
inline constexpr const char* kServerModuleEntry = "azx_server_module_main";

// argv as the binary got it (argv[0] the binary); returns the process exit code.
extern "C" int azx_server_module_main(int argc, char** argv);
