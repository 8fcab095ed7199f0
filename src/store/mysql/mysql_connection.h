#pragma once

// Internals of MysqlStore shared by its translation units (mysql_store.cc and
// mysql_server_store.cc): bound parameters, result cells and the pooled connection. Not part
// of the store's public interface.

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/mysql/mysql_store.h"

namespace azx::store {

// A bound statement parameter.
struct MysqlStore::Param {
  enum class Kind { Null, Int, Text, Blob } kind = Kind::Null;
  int64_t integer = 0;
  std::string bytes;

  static Param null() { return {}; }
  static Param i(int64_t v) { return {Kind::Int, v, {}}; }
  static Param text(std::string v) { return {Kind::Text, 0, std::move(v)}; }
  static Param blob(const std::optional<std::string>& v) {
    return v ? Param{Kind::Blob, 0, *v} : null();
  }
  static Param optInt(const std::optional<int>& v) { return v ? i(*v) : null(); }
};

// One result column value; numeric columns fill `integer`, the others `bytes`.
struct MysqlStore::Cell {
  bool isNull = true;
  int64_t integer = 0;
  std::string bytes;

  std::optional<int64_t> optLong() const {
    return isNull ? std::nullopt : std::optional<int64_t>(integer);
  }
  std::optional<int> optInt() const {
    return isNull ? std::nullopt : std::optional<int>(static_cast<int>(integer));
  }
  std::optional<std::string> optBytes() const {
    return isNull ? std::nullopt : std::optional<std::string>(bytes);
  }
};

namespace mysql_detail {

// Client errors that mean "the connection is gone or never came up": reconnect and retry.
inline bool isConnectionError(unsigned code) {
  switch (code) {
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_SERVER_LOST_EXTENDED:
    case CR_COMMANDS_OUT_OF_SYNC:
    case ER_SERVER_SHUTDOWN:
    case ER_CONNECTION_KILLED:
    case ER_CON_COUNT_ERROR:
    case ER_OPTION_PREVENTS_STATEMENT:  // read-only server (fail-over in progress)
      return true;
    default:
      return false;
  }
}

}  // namespace mysql_detail

// One pooled connection with its prepared statements. Not thread-safe; the pool hands it to
// one caller at a time.
class MysqlStore::Connection {
 public:
  explicit Connection(const MysqlConfig& config) : config_(config) {}
  ~Connection() { close(); }

  bool connected() const { return mysql_ != nullptr; }
  unsigned lastErrno() const { return lastErrno_; }

  void close() {
    for (auto& [sql, stmt] : statements_) mysql_stmt_close(stmt);
    statements_.clear();
    if (mysql_ != nullptr) mysql_close(mysql_);
    mysql_ = nullptr;
  }

  Result<void> connect() {
    close();
    lastErrno_ = 0;
    mysql_ = mysql_init(nullptr);
    if (mysql_ == nullptr) return fail(CR_OUT_OF_MEMORY, "mysql_init failed");
    unsigned timeout = static_cast<unsigned>(config_.connectTimeoutSeconds);
    unsigned readTimeout = static_cast<unsigned>(config_.readTimeoutSeconds);
    unsigned writeTimeout = static_cast<unsigned>(config_.writeTimeoutSeconds);
    my_bool noReconnect = 0;  // reconnects are ours: they must drop the prepared statements
    mysql_optionsv(mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_optionsv(mysql_, MYSQL_OPT_READ_TIMEOUT, &readTimeout);
    mysql_optionsv(mysql_, MYSQL_OPT_WRITE_TIMEOUT, &writeTimeout);
    mysql_optionsv(mysql_, MYSQL_OPT_RECONNECT, &noReconnect);
    mysql_optionsv(mysql_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    const char* socket = config_.unixSocket ? config_.unixSocket->c_str() : nullptr;
    // CLIENT_FOUND_ROWS: UPDATE reports matched rows, so "no such execution" is detectable.
    if (mysql_real_connect(mysql_, config_.unixSocket ? "localhost" : config_.host.c_str(),
                           config_.user.c_str(), config_.password.c_str(), config_.database.c_str(),
                           static_cast<unsigned>(config_.port), socket,
                           CLIENT_FOUND_ROWS) == nullptr) {
      unsigned code = mysql_errno(mysql_);
      std::string message = mysql_error(mysql_);
      close();
      // Every connect failure is treated as retryable (server starting, restarting, ...).
      return fail(mysql_detail::isConnectionError(code) ? code : CR_CONNECTION_ERROR,
                  "cannot connect to " + config_.describe() + ": " + message);
    }
    if (config_.rejectReadOnly) {
      std::vector<Row> rows;
      auto ro = execute("SELECT @@global.read_only", {}, &rows);
      if (!ro) return ro.error();
      if (!rows.empty() && !rows[0].empty() && !rows[0][0].isNull &&
          (rows[0][0].integer != 0 || rows[0][0].bytes == "1")) {
        close();
        return fail(ER_OPTION_PREVENTS_STATEMENT,
                    "server " + config_.describe() + " is read-only (@@global.read_only=1)");
      }
    }
    return okResult();
  }

  // Prepares (once per connection) and runs one statement. With `rows`, collects the result.
  Result<uint64_t> execute(const std::string& sql, const std::vector<Param>& params,
                           std::vector<Row>* rows) {
    lastErrno_ = 0;
    if (mysql_ == nullptr) {
      if (auto c = connect(); !c) return c.error();
    }
    MYSQL_STMT* stmt = nullptr;
    if (auto it = statements_.find(sql); it != statements_.end()) {
      stmt = it->second;
    } else {
      stmt = mysql_stmt_init(mysql_);
      if (stmt == nullptr) return failFromConnection("mysql_stmt_init");
      if (mysql_stmt_prepare(stmt, sql.c_str(), sql.size()) != 0) {
        auto error = failFromStatement(stmt, "prepare");
        mysql_stmt_close(stmt);
        return error;
      }
      statements_[sql] = stmt;
    }
    std::vector<MYSQL_BIND> binds(params.size());
    std::vector<unsigned long> lengths(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      MYSQL_BIND& b = binds[i];
      std::memset(&b, 0, sizeof(b));
      const Param& p = params[i];
      switch (p.kind) {
        case Param::Kind::Null:
          b.buffer_type = MYSQL_TYPE_NULL;
          break;
        case Param::Kind::Int:
          b.buffer_type = MYSQL_TYPE_LONGLONG;
          b.buffer = const_cast<int64_t*>(&p.integer);
          break;
        case Param::Kind::Text:
        case Param::Kind::Blob:
          b.buffer_type = p.kind == Param::Kind::Text ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
          b.buffer = const_cast<char*>(p.bytes.data());
          lengths[i] = p.bytes.size();
          b.buffer_length = lengths[i];
          b.length = &lengths[i];
          break;
      }
    }
    if (!binds.empty() && mysql_stmt_bind_param(stmt, binds.data()) != 0) {
      return failFromStatement(stmt, "bind");
    }
    if (mysql_stmt_execute(stmt) != 0) return failFromStatement(stmt, "execute");
    uint64_t affected = mysql_stmt_affected_rows(stmt);
    if (rows != nullptr) {
      auto fetched = fetchAll(stmt, *rows);
      mysql_stmt_free_result(stmt);
      if (!fetched) return fetched.error();
    } else {
      mysql_stmt_free_result(stmt);
    }
    return affected;
  }

  uint64_t insertId() {
    return mysql_ != nullptr ? static_cast<uint64_t>(mysql_insert_id(mysql_)) : 0;
  }

  Result<void> setAutocommit(bool on) {
    if (mysql_ == nullptr) {
      if (auto c = connect(); !c) return c.error();
    }
    if (mysql_autocommit(mysql_, on ? 1 : 0) != 0) return failVoid("autocommit");
    return okResult();
  }
  Result<void> commit() {
    if (mysql_commit(mysql_) != 0) return failVoid("commit");
    return okResult();
  }
  void rollbackQuietly() {
    if (mysql_ == nullptr) return;
    unsigned saved = lastErrno_;
    if (mysql_rollback(mysql_) != 0 || mysql_autocommit(mysql_, 1) != 0) close();
    lastErrno_ = saved;
  }

 private:
  Error fail(unsigned code, const std::string& message) {
    lastErrno_ = code;
    return Error{message};
  }
  Error failFromConnection(const std::string& what) {
    unsigned code = mysql_errno(mysql_);
    Error e = fail(code, what + ": " + mysql_error(mysql_) + " (" + std::to_string(code) + ")");
    if (mysql_detail::isConnectionError(code)) close();
    return e;
  }
  Result<void> failVoid(const std::string& what) { return failFromConnection(what); }
  Error failFromStatement(MYSQL_STMT* stmt, const std::string& what) {
    unsigned code = mysql_stmt_errno(stmt);
    Error e = fail(code, what + ": " + mysql_stmt_error(stmt) + " (" + std::to_string(code) + ")");
    // A dead connection invalidates every prepared statement of it.
    if (mysql_detail::isConnectionError(code)) close();
    return e;
  }

  Result<void> fetchAll(MYSQL_STMT* stmt, std::vector<Row>& rows) {
    MYSQL_RES* meta = mysql_stmt_result_metadata(stmt);
    if (meta == nullptr) return okResult();
    unsigned count = mysql_num_fields(meta);
    MYSQL_FIELD* fields = mysql_fetch_fields(meta);
    if (mysql_stmt_store_result(stmt) != 0) {
      mysql_free_result(meta);
      return failFromStatement(stmt, "store result");
    }
    std::vector<MYSQL_BIND> binds(count);
    std::vector<int64_t> ints(count);
    std::vector<unsigned long> lengths(count);
    std::vector<my_bool> nulls(count);
    std::vector<bool> numeric(count);
    for (unsigned i = 0; i < count; ++i) {
      MYSQL_BIND& b = binds[i];
      std::memset(&b, 0, sizeof(b));
      numeric[i] = IS_NUM(fields[i].type) && fields[i].type != MYSQL_TYPE_DECIMAL &&
                   fields[i].type != MYSQL_TYPE_NEWDECIMAL && fields[i].type != MYSQL_TYPE_FLOAT &&
                   fields[i].type != MYSQL_TYPE_DOUBLE;
      b.is_null = &nulls[i];
      b.length = &lengths[i];
      if (numeric[i]) {
        b.buffer_type = MYSQL_TYPE_LONGLONG;
        b.buffer = &ints[i];
      } else {
        b.buffer_type = MYSQL_TYPE_BLOB;  // length first, then mysql_stmt_fetch_column
        b.buffer = nullptr;
        b.buffer_length = 0;
      }
    }
    mysql_free_result(meta);
    if (mysql_stmt_bind_result(stmt, binds.data()) != 0) {
      return failFromStatement(stmt, "bind result");
    }
    while (true) {
      int rc = mysql_stmt_fetch(stmt);
      if (rc == MYSQL_NO_DATA) break;
      if (rc == 1) return failFromStatement(stmt, "fetch");
      Row row(count);
      for (unsigned i = 0; i < count; ++i) {
        row[i].isNull = nulls[i] != 0;
        if (row[i].isNull) continue;
        if (numeric[i]) {
          row[i].integer = ints[i];
          continue;
        }
        row[i].bytes.resize(lengths[i]);
        if (lengths[i] > 0) {
          MYSQL_BIND column;
          std::memset(&column, 0, sizeof(column));
          column.buffer_type = MYSQL_TYPE_BLOB;
          column.buffer = row[i].bytes.data();
          column.buffer_length = lengths[i];
          if (mysql_stmt_fetch_column(stmt, &column, i, 0) != 0) {
            return failFromStatement(stmt, "fetch column");
          }
        }
      }
      rows.push_back(std::move(row));
    }
    return okResult();
  }

  const MysqlConfig& config_;
  MYSQL* mysql_ = nullptr;
  unsigned lastErrno_ = 0;
  std::map<std::string, MYSQL_STMT*> statements_;
};

}  // namespace azx::store
