// A minimal RAII layer over the SQLite C API for results_store and the uptime store
// (src/uptime/store.hpp): a connection, prepared statements and a transaction guard. Failures
// throw store_error naming the database file.
// Threads: as SQLite's connection; results_store confines each to one thread at a time.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "store/results_store.hpp"

namespace bts::store::sqlite {

class connection {
 public:
  connection(const std::filesystem::path& path, int flags);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  sqlite3* get() const { return db_; }
  const std::filesystem::path& path() const { return path_; }

  // Runs one or more statements without results.
  void exec(const char* sql);
  // Throws store_error("FILE: what: sqlite message").
  [[noreturn]] void fail(std::string_view what, int rc) const;

 private:
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
};

class statement {
 public:
  statement(connection& c, const char* sql);
  ~statement();
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  statement& bind(int i, std::int64_t v);
  statement& bind(int i, std::string_view v);
  statement& bind(int i, std::nullopt_t);
  statement& bind(int i, const std::optional<std::int64_t>& v);

  // true while there is a row.
  bool step();
  // Resets for another execution (bindings kept until rebound).
  void reset();

  std::int64_t column_int(int i) const;
  std::optional<std::int64_t> column_optional_int(int i) const;
  std::string column_text(int i) const;
  bool column_is_null(int i) const;

 private:
  connection& c_;
  sqlite3_stmt* s_ = nullptr;
};

// BEGIN IMMEDIATE (takes the write lock at once, so a busy writer waits here rather than
// failing mid-transaction) ... COMMIT; rolls back if destroyed before commit(). Inside an open
// transaction (a results_store batch) it is a SAVEPOINT instead: commit() releases it, and
// destroying it uncommitted rolls back its own writes only.
class transaction {
 public:
  explicit transaction(connection& c);
  ~transaction();
  void commit();

 private:
  connection& c_;
  bool nested_;
  bool done_ = false;
};

}  // namespace bts::store::sqlite
