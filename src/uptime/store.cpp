#include "uptime/store.hpp"

#include <algorithm>
#include <limits>
#include <map>

#include "store/sqlite.hpp"

namespace bts::uptime {
namespace {

using store::sqlite::statement;
constexpr std::int64_t hour_ms = 3'600'000;

std::optional<std::int64_t> to_us(const std::optional<double>& ms) {
  if (!ms) return std::nullopt;
  return static_cast<std::int64_t>(*ms * 1000.0);
}
std::optional<double> from_us(const std::optional<std::int64_t>& us) {
  if (!us) return std::nullopt;
  return static_cast<double>(*us) / 1000.0;
}

constexpr const char* schema = R"(
CREATE TABLE IF NOT EXISTS results(
  endpoint TEXT NOT NULL, ts_ms INTEGER NOT NULL, state INTEGER NOT NULL,
  response_us INTEGER, dns_us INTEGER, tcp_us INTEGER, tls_us INTEGER, ws_us INTEGER, call_us INTEGER,
  head_block INTEGER, failed TEXT NOT NULL DEFAULT '[]', error TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS results_by_endpoint ON results(endpoint, ts_ms);
CREATE INDEX IF NOT EXISTS results_by_time ON results(ts_ms);
CREATE TABLE IF NOT EXISTS rollup_hourly(
  endpoint TEXT NOT NULL, hour_ms INTEGER NOT NULL,
  total INTEGER NOT NULL DEFAULT 0, up INTEGER NOT NULL DEFAULT 0, degraded INTEGER NOT NULL DEFAULT 0,
  wrong_network INTEGER NOT NULL DEFAULT 0, down INTEGER NOT NULL DEFAULT 0,
  response_sum_us INTEGER NOT NULL DEFAULT 0, response_n INTEGER NOT NULL DEFAULT 0,
  worst INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(endpoint, hour_ms));
CREATE TABLE IF NOT EXISTS incidents(
  id INTEGER PRIMARY KEY AUTOINCREMENT, endpoint TEXT NOT NULL, started_ms INTEGER NOT NULL,
  ended_ms INTEGER, state INTEGER NOT NULL, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS certificates(
  host TEXT PRIMARY KEY, subject TEXT NOT NULL, issuer TEXT NOT NULL, sans TEXT NOT NULL,
  not_after_ms INTEGER NOT NULL, checked_ms INTEGER NOT NULL, verified INTEGER NOT NULL,
  verify_error TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES('raw_from_ms', 0);
INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', 1);
)";

}  // namespace

uptime_store::uptime_store(const std::filesystem::path& path)
    : db_(std::make_unique<store::sqlite::connection>(
          path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX)) {
  sqlite3_busy_timeout(db_->get(), 5000);
  db_->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  db_->exec(schema);
}

uptime_store::~uptime_store() = default;

void uptime_store::record(const std::string& key, const stored_result& r) {
  store::sqlite::transaction tx(*db_);
  statement ins(*db_,
                "INSERT INTO results(endpoint, ts_ms, state, response_us, dns_us, tcp_us, tls_us, "
                "ws_us, call_us,"
                " head_block, failed, error) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
  ins.bind(1, key).bind(2, r.ts_ms).bind(3, static_cast<std::int64_t>(r.state));
  ins.bind(4, to_us(r.response_ms))
      .bind(5, to_us(r.dns_ms))
      .bind(6, to_us(r.tcp_ms))
      .bind(7, to_us(r.tls_ms));
  ins.bind(8, to_us(r.ws_ms))
      .bind(9, to_us(r.call_ms))
      .bind(10, r.head_block)
      .bind(11, r.failed)
      .bind(12, r.error);
  ins.step();
  const int s = static_cast<int>(r.state);
  statement up(
      *db_,
      "INSERT INTO rollup_hourly(endpoint, hour_ms, total, up, degraded, wrong_network, down,"
      " response_sum_us, response_n, worst) VALUES(?1, ?2, 1, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
      " ON CONFLICT(endpoint, hour_ms) DO UPDATE SET total = total + 1, up = up + ?3,"
      " degraded = degraded + ?4, wrong_network = wrong_network + ?5, down = down + ?6,"
      " response_sum_us = response_sum_us + ?7, response_n = response_n + ?8, worst = max(worst, "
      "?9)");
  up.bind(1, key).bind(2, r.ts_ms / hour_ms * hour_ms);
  up.bind(3, std::int64_t{s == 0})
      .bind(4, std::int64_t{s == 1})
      .bind(5, std::int64_t{s == 2})
      .bind(6, std::int64_t{s == 3});
  up.bind(7, to_us(r.response_ms).value_or(0))
      .bind(8, std::int64_t{r.response_ms.has_value()})
      .bind(9, std::int64_t{s});
  up.step();
  tx.commit();
}

std::int64_t uptime_store::raw_from() const {
  statement q(*db_, "SELECT value FROM meta WHERE key = 'raw_from_ms'");
  return q.step() ? q.column_int(0) : 0;
}

state_counts uptime_store::counts(const std::string& key, std::int64_t from_ms) const {
  // Whole hours from the rollups (every insert updates them, the current hour included); the
  // partial first hour from raw rows while they are kept, else that hour's rollup whole.
  // O(hours + results in one hour), whatever the window.
  state_counts c;
  const std::int64_t boundary = raw_from();
  const std::int64_t first_hour = from_ms / hour_ms * hour_ms;
  const bool partial = first_hour != from_ms;
  const std::int64_t rollups_from =
      partial && from_ms >= boundary ? first_hour + hour_ms : first_hour;
  statement r(
      *db_,
      "SELECT coalesce(sum(total), 0), coalesce(sum(up), 0), coalesce(sum(degraded), 0),"
      " coalesce(sum(wrong_network), 0), coalesce(sum(down), 0), coalesce(sum(response_sum_us), 0),"
      " coalesce(sum(response_n), 0) FROM rollup_hourly WHERE endpoint = ? AND hour_ms >= ?");
  r.bind(1, key).bind(2, rollups_from);
  if (r.step()) {
    c.total = r.column_int(0);
    c.up = r.column_int(1);
    c.degraded = r.column_int(2);
    c.wrong_network = r.column_int(3);
    c.down = r.column_int(4);
    c.response_sum_ms = static_cast<double>(r.column_int(5)) / 1000.0;
    c.response_n = r.column_int(6);
  }
  if (rollups_from == first_hour) return c;
  statement q(
      *db_,
      "SELECT state, count(*), coalesce(sum(response_us), 0), count(response_us) FROM results"
      " WHERE endpoint = ? AND ts_ms >= ? AND ts_ms < ? GROUP BY state");
  q.bind(1, key).bind(2, from_ms).bind(3, rollups_from);
  while (q.step()) {
    const std::int64_t n = q.column_int(1);
    c.total += n;
    switch (q.column_int(0)) {
      case 0:
        c.up += n;
        break;
      case 1:
        c.degraded += n;
        break;
      case 2:
        c.wrong_network += n;
        break;
      case 3:
        c.down += n;
        break;
      default:
        break;
    }
    c.response_sum_ms += static_cast<double>(q.column_int(2)) / 1000.0;
    c.response_n += q.column_int(3);
  }
  return c;
}

std::vector<history_point> uptime_store::history(const std::string& key, std::int64_t from_ms,
                                                 std::int64_t bucket_ms) const {
  struct acc {
    double sum = 0;
    std::int64_t n = 0;
    int worst = -1;
  };
  std::map<std::int64_t, acc> buckets;
  bucket_ms = std::max<std::int64_t>(bucket_ms, 1);
  // Buckets of whole hours come from the rollups alone (cheap over 30 days); finer ones from raw
  // rows where they are kept and rollups before.
  const bool hourly = bucket_ms % hour_ms == 0;
  const std::int64_t boundary = hourly ? std::numeric_limits<std::int64_t>::max() : raw_from();
  if (from_ms < boundary) {
    statement q(
        *db_,
        "SELECT hour_ms, response_sum_us, response_n, worst FROM rollup_hourly WHERE endpoint = ?"
        " AND hour_ms >= ? AND hour_ms < ? ORDER BY hour_ms");
    q.bind(1, key).bind(2, from_ms / hour_ms * hour_ms).bind(3, boundary);
    while (q.step()) {
      acc& a = buckets[q.column_int(0) / bucket_ms * bucket_ms];
      a.sum += static_cast<double>(q.column_int(1)) / 1000.0;
      a.n += q.column_int(2);
      a.worst = std::max<int>(a.worst, static_cast<int>(q.column_int(3)));
    }
  }
  statement q(*db_,
              "SELECT ts_ms, response_us, state FROM results WHERE endpoint = ? AND ts_ms >= ? "
              "ORDER BY ts_ms");
  q.bind(1, key).bind(2, std::max(from_ms, boundary));
  while (!hourly && q.step()) {
    acc& a = buckets[q.column_int(0) / bucket_ms * bucket_ms];
    if (auto us = q.column_optional_int(1)) {
      a.sum += static_cast<double>(*us) / 1000.0;
      ++a.n;
    }
    a.worst = std::max<int>(a.worst, static_cast<int>(q.column_int(2)));
  }
  std::vector<history_point> out;
  out.reserve(buckets.size());
  for (const auto& [ts, a] : buckets) {
    history_point p;
    p.ts_ms = ts;
    if (a.n > 0) p.response_ms = a.sum / static_cast<double>(a.n);
    p.worst = a.worst < 0 ? endpoint_state::unknown : static_cast<endpoint_state>(a.worst);
    out.push_back(p);
  }
  return out;
}

std::vector<stored_result> uptime_store::latest(const std::string& key, int n) const {
  statement q(*db_,
              "SELECT ts_ms, state, response_us, dns_us, tcp_us, tls_us, ws_us, call_us, "
              "head_block, failed, error"
              " FROM results WHERE endpoint = ? ORDER BY ts_ms DESC LIMIT ?");
  q.bind(1, key).bind(2, std::int64_t{n});
  std::vector<stored_result> out;
  while (q.step()) {
    stored_result r;
    r.ts_ms = q.column_int(0);
    r.state = static_cast<endpoint_state>(q.column_int(1));
    r.response_ms = from_us(q.column_optional_int(2));
    r.dns_ms = from_us(q.column_optional_int(3));
    r.tcp_ms = from_us(q.column_optional_int(4));
    r.tls_ms = from_us(q.column_optional_int(5));
    r.ws_ms = from_us(q.column_optional_int(6));
    r.call_ms = from_us(q.column_optional_int(7));
    r.head_block = q.column_optional_int(8);
    r.failed = q.column_text(9);
    r.error = q.column_text(10);
    out.push_back(std::move(r));
  }
  return out;
}

std::int64_t uptime_store::raw_count() const {
  statement q(*db_, "SELECT count(*) FROM results");
  return q.step() ? q.column_int(0) : 0;
}

std::int64_t uptime_store::rollup_count() const {
  statement q(*db_, "SELECT coalesce(sum(total), 0) FROM rollup_hourly");
  return q.step() ? q.column_int(0) : 0;
}

std::int64_t uptime_store::roll_up(std::int64_t now_ms, std::int64_t retention_ms) {
  const std::int64_t cutoff = (now_ms - retention_ms) / hour_ms * hour_ms;
  if (cutoff <= raw_from()) return 0;
  store::sqlite::transaction tx(*db_);
  statement del(*db_, "DELETE FROM results WHERE ts_ms < ?");
  del.bind(1, cutoff);
  del.step();
  const std::int64_t n = sqlite3_changes64(db_->get());
  statement m(*db_, "UPDATE meta SET value = ? WHERE key = 'raw_from_ms'");
  m.bind(1, cutoff);
  m.step();
  tx.commit();
  return n;
}

std::int64_t uptime_store::open_incident(const std::string& key, std::int64_t started_ms,
                                         endpoint_state s, const std::string& reason) {
  statement q(*db_, "INSERT INTO incidents(endpoint, started_ms, state, reason) VALUES(?,?,?,?)");
  q.bind(1, key).bind(2, started_ms).bind(3, static_cast<std::int64_t>(s)).bind(4, reason);
  q.step();
  return sqlite3_last_insert_rowid(db_->get());
}

void uptime_store::close_incident(std::int64_t id, std::int64_t ended_ms) {
  statement q(*db_, "UPDATE incidents SET ended_ms = ? WHERE id = ?");
  q.bind(1, ended_ms).bind(2, id);
  q.step();
}

namespace {
incident read_incident(statement& q) {
  incident i;
  i.id = q.column_int(0);
  i.key = q.column_text(1);
  i.started_ms = q.column_int(2);
  i.ended_ms = q.column_optional_int(3);
  i.state = static_cast<endpoint_state>(q.column_int(4));
  i.reason = q.column_text(5);
  return i;
}
}  // namespace

std::vector<incident> uptime_store::incidents(int limit) const {
  statement q(*db_,
              "SELECT id, endpoint, started_ms, ended_ms, state, reason FROM incidents ORDER BY id "
              "DESC LIMIT ?");
  q.bind(1, std::int64_t{limit});
  std::vector<incident> out;
  while (q.step()) out.push_back(read_incident(q));
  return out;
}

std::optional<incident> uptime_store::open_incident_of(const std::string& key) const {
  statement q(*db_,
              "SELECT id, endpoint, started_ms, ended_ms, state, reason FROM incidents WHERE "
              "endpoint = ? AND ended_ms IS NULL"
              " ORDER BY id DESC LIMIT 1");
  q.bind(1, key);
  if (!q.step()) return std::nullopt;
  return read_incident(q);
}

void uptime_store::put_certificate(const stored_certificate& c) {
  statement q(*db_,
              "INSERT OR REPLACE INTO certificates(host, subject, issuer, sans, not_after_ms, "
              "checked_ms, verified,"
              " verify_error) VALUES(?,?,?,?,?,?,?,?)");
  q.bind(1, c.host).bind(2, c.subject).bind(3, c.issuer).bind(4, c.sans).bind(5, c.not_after_ms);
  q.bind(6, c.checked_ms).bind(7, std::int64_t{c.verified}).bind(8, c.verify_error);
  q.step();
}

std::vector<stored_certificate> uptime_store::certificates() const {
  statement q(*db_,
              "SELECT host, subject, issuer, sans, not_after_ms, checked_ms, verified, "
              "verify_error FROM certificates"
              " ORDER BY not_after_ms");
  std::vector<stored_certificate> out;
  while (q.step()) {
    stored_certificate c;
    c.host = q.column_text(0);
    c.subject = q.column_text(1);
    c.issuer = q.column_text(2);
    c.sans = q.column_text(3);
    c.not_after_ms = q.column_int(4);
    c.checked_ms = q.column_int(5);
    c.verified = q.column_int(6) != 0;
    c.verify_error = q.column_text(7);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace bts::uptime
