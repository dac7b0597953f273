#include "store/sqlite.hpp"

namespace bts::store::sqlite {

connection::connection(const std::filesystem::path& path, int flags) : path_(path) {
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw store_error(path.string() + ": cannot open: " + msg);
  }
  sqlite3_extended_result_codes(db_, 1);
}

connection::~connection() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

void connection::exec(const char* sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw store_error(path_.string() + ": " + msg);
  }
}

void connection::fail(std::string_view what, int rc) const {
  const char* msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  throw store_error(path_.string() + ": " + std::string(what) + ": " + msg);
}

statement::statement(connection& c, const char* sql) : c_(c) {
  const int rc = sqlite3_prepare_v2(c.get(), sql, -1, &s_, nullptr);
  if (rc != SQLITE_OK) c.fail("prepare", rc);
}

statement::~statement() { sqlite3_finalize(s_); }

statement& statement::bind(int i, std::int64_t v) {
  const int rc = sqlite3_bind_int64(s_, i, v);
  if (rc != SQLITE_OK) c_.fail("bind", rc);
  return *this;
}

statement& statement::bind(int i, std::string_view v) {
  const int rc = sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) c_.fail("bind", rc);
  return *this;
}

statement& statement::bind(int i, std::nullopt_t) {
  const int rc = sqlite3_bind_null(s_, i);
  if (rc != SQLITE_OK) c_.fail("bind", rc);
  return *this;
}

statement& statement::bind(int i, const std::optional<std::int64_t>& v) {
  return v ? bind(i, *v) : bind(i, std::nullopt);
}

bool statement::step() {
  const int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  c_.fail("step", rc);
}

void statement::reset() { sqlite3_reset(s_); }

std::int64_t statement::column_int(int i) const { return sqlite3_column_int64(s_, i); }

std::optional<std::int64_t> statement::column_optional_int(int i) const {
  if (column_is_null(i)) return std::nullopt;
  return column_int(i);
}

std::string statement::column_text(int i) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, i));
  return p != nullptr ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, i)))
                      : std::string();
}

bool statement::column_is_null(int i) const { return sqlite3_column_type(s_, i) == SQLITE_NULL; }

transaction::transaction(connection& c) : c_(c), nested_(sqlite3_get_autocommit(c.get()) == 0) {
  c_.exec(nested_ ? "SAVEPOINT bts_tx" : "BEGIN IMMEDIATE");
}

transaction::~transaction() {
  if (done_) return;
  if (nested_) {
    sqlite3_exec(c_.get(), "ROLLBACK TO bts_tx; RELEASE bts_tx", nullptr, nullptr, nullptr);
  } else {
    sqlite3_exec(c_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void transaction::commit() {
  c_.exec(nested_ ? "RELEASE bts_tx" : "COMMIT");
  done_ = true;
}

}  // namespace bts::store::sqlite
