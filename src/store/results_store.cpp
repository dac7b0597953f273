#include "store/results_store.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <unordered_map>

#include "stats/json_io.hpp"
#include "store/sqlite.hpp"
#include "util/error.hpp"
#include "util/time.hpp"

namespace bts::store {
namespace {

constexpr std::int64_t application_id = 0x42545352;  // "BTSR"

struct migration {
  int version;
  const char* description;
  const char* sql;
};

// Append-only: a released migration is never edited, a new one is added with the next version.
constexpr std::array<migration, 3> migrations = {{
    {1, "runs, beacons, seconds, histograms, cumulative, events", R"sql(
CREATE TABLE schema_migrations (
  version     INTEGER PRIMARY KEY,
  description TEXT NOT NULL,
  applied_at  INTEGER NOT NULL            -- unix ms
);
CREATE TABLE runs (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  scenario_name TEXT NOT NULL,
  scenario_text TEXT NOT NULL,
  manifest      TEXT NOT NULL,            -- JSON object
  created_at    INTEGER NOT NULL,         -- unix ms
  started_at    INTEGER,
  ended_at      INTEGER,
  status        TEXT NOT NULL
                CHECK (status IN ('created','running','completed','stopped','failed')),
  summary       TEXT                      -- JSON object (summary.json), set when finished
);
CREATE TABLE beacons (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name   TEXT NOT NULL,
  info   TEXT NOT NULL,                   -- JSON object
  PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
CREATE TABLE seconds (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  beacon TEXT NOT NULL,                   -- '' = merged over all beacons
  second INTEGER NOT NULL,
  row    TEXT NOT NULL,                   -- series.jsonl row without the "hdr" members
  PRIMARY KEY (run_id, beacon, second)
) WITHOUT ROWID;
CREATE TABLE histograms (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  beacon TEXT NOT NULL,
  second INTEGER NOT NULL,
  kind   TEXT NOT NULL,                   -- schedule_lag, ack_corrected, ...
  hdr    TEXT NOT NULL,                   -- compressed base64 HdrHistogram ("HISTFAA...")
  PRIMARY KEY (run_id, beacon, second, kind)
) WITHOUT ROWID;
CREATE TABLE cumulative (
  run_id       TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  beacon       TEXT NOT NULL,
  kind         TEXT NOT NULL,
  as_of_second INTEGER NOT NULL,          -- last second folded in
  hdr          TEXT NOT NULL,
  PRIMARY KEY (run_id, beacon, kind)
) WITHOUT ROWID;
CREATE TABLE events (
  id     INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  time   INTEGER NOT NULL,                -- unix ms
  kind   TEXT NOT NULL,
  beacon TEXT NOT NULL,                   -- '' = the whole run
  data   TEXT NOT NULL                    -- JSON object
);
CREATE INDEX events_by_run ON events (run_id, time);
)sql"},
    {2, "blocks", R"sql(
CREATE TABLE blocks (
  run_id           TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  block_num        INTEGER NOT NULL,
  time             INTEGER NOT NULL,      -- the block's timestamp, unix ms
  witness          TEXT NOT NULL,         -- "1.6.N"
  transactions     INTEGER NOT NULL,
  operations       INTEGER NOT NULL,
  bytes            INTEGER NOT NULL,      -- packed signed_block size
  run_transactions INTEGER NOT NULL,      -- transactions of this run in the block
  max_block_size   INTEGER NOT NULL,      -- the chain's maximum_block_size
  PRIMARY KEY (run_id, block_num)
) WITHOUT ROWID;
)sql"},
    // Version 3: per-second rows and histograms are appended in insertion order (rowid tables)
    // instead of at 200 places of beacon-first B-trees (one per beacon of a fleet): an
    // overseer commit now dirties the pages at the tables' ends plus one small index, not
    // hundreds of leaf pages each rewritten into the WAL. A second's five histograms are one
    // row (one column per kind), keyed by the rowid of its `seconds` row.
    {3, "seconds and histograms appended in rowid order; histograms one row per second", R"sql(
CREATE TABLE seconds_v3 (
  id     INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  beacon TEXT NOT NULL,                   -- '' = merged over all beacons
  second INTEGER NOT NULL,
  row    TEXT NOT NULL                    -- series.jsonl row without the "hdr" members
);
INSERT INTO seconds_v3(run_id, beacon, second, row)
  SELECT run_id, beacon, second, row FROM seconds ORDER BY run_id, second, beacon;
CREATE TABLE histograms_v3 (
  id                    INTEGER PRIMARY KEY REFERENCES seconds_v3(id) ON DELETE CASCADE,
  schedule_lag          TEXT,             -- compressed base64 HdrHistogram ("HISTFAA..."),
  ack_corrected         TEXT,             -- NULL when the row carries none of that kind
  ack_uncorrected       TEXT,
  inclusion_corrected   TEXT,
  inclusion_uncorrected TEXT
);
INSERT INTO histograms_v3(id, schedule_lag, ack_corrected, ack_uncorrected, inclusion_corrected,
                          inclusion_uncorrected)
  SELECT s.id,
         max(CASE h.kind WHEN 'schedule_lag' THEN h.hdr END),
         max(CASE h.kind WHEN 'ack_corrected' THEN h.hdr END),
         max(CASE h.kind WHEN 'ack_uncorrected' THEN h.hdr END),
         max(CASE h.kind WHEN 'inclusion_corrected' THEN h.hdr END),
         max(CASE h.kind WHEN 'inclusion_uncorrected' THEN h.hdr END)
  FROM seconds_v3 s JOIN histograms h
    ON h.run_id = s.run_id AND h.beacon = s.beacon AND h.second = s.second
  GROUP BY s.id ORDER BY s.id;
DROP TABLE histograms;
DROP TABLE seconds;
ALTER TABLE seconds_v3 RENAME TO seconds;
ALTER TABLE histograms_v3 RENAME TO histograms;
CREATE UNIQUE INDEX seconds_by_scope ON seconds (run_id, beacon, second);
)sql"},
}};

std::string hex32(std::int64_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08llx", static_cast<unsigned long long>(v) & 0xffffffffULL);
  return buf;
}

std::int64_t pragma_int(sqlite::connection& c, const char* sql) {
  sqlite::statement s(c, sql);
  return s.step() ? s.column_int(0) : 0;
}

// A row's JSON without the encoded histograms, which live in their own table.
std::string row_text(const stats::second_row& row) {
  boost::json::object o = stats::to_json(row);
  for (auto& [kind, digest] : o["latency_us"].as_object()) digest.as_object().erase("hdr");
  return stats::json::write(o);
}

std::string slug(std::string_view text) {
  std::string out;
  for (char c : text) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (out.size() >= 60) break;
    if (ok) {
      out += c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && (out.back() == '-' || out.back() == '.')) out.pop_back();
  return out;
}

std::string id_stamp(unix_ms t) {
  std::string s =
      format_time_point_sec(static_cast<std::uint32_t>(t / 1000));  // YYYY-MM-DDTHH:MM:SS
  return s.substr(0, 4) + s.substr(5, 2) + s.substr(8, 2) + "-" + s.substr(11, 2) +
         s.substr(14, 2) + s.substr(17, 2);
}

void check_scope(const std::string& beacon, const std::string& where) {
  if (!beacon.empty()) check_beacon_name(beacon, where);
}

// The histograms table's kind columns, in stats::all_latency_kinds order: "schedule_lag, ...".
const std::string& histogram_columns() {
  static const std::string columns = [] {
    std::string out;
    for (auto k : stats::all_latency_kinds) {
      if (!out.empty()) out += ", ";
      out += stats::name(k);
    }
    return out;
  }();
  return columns;
}

// Statement texts built once (the statement cache is keyed by the text's address).
const std::string& insert_histograms_sql() {
  static const std::string sql = [] {
    std::string out = "INSERT INTO histograms(id, " + histogram_columns() + ") VALUES (?";
    for (std::size_t i = 0; i < stats::latency_kind_count; ++i) out += ",?";
    return out + ")";
  }();
  return sql;
}

}  // namespace

struct results_store::impl {
  sqlite::connection db;
  bool writable;
  bool batch_open = false;
  // Prepared statements kept for the connection's life, by their SQL text's address (string
  // literals only).
  std::unordered_map<const char*, std::unique_ptr<sqlite::statement>> statements;

  // A cached statement, reset when the returned guard goes (no read left open).
  struct cached_statement {
    sqlite::statement& s;
    ~cached_statement() { s.reset(); }
    sqlite::statement* operator->() { return &s; }
    sqlite::statement& operator*() { return s; }
  };
  cached_statement cached(const char* sql) {
    auto& p = statements[sql];
    if (!p) p = std::make_unique<sqlite::statement>(db, sql);
    p->reset();
    return {*p};
  }

  impl(const std::filesystem::path& path, mode m)
      : db(path, m == mode::read_write ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                                       : SQLITE_OPEN_READONLY),
        writable(m == mode::read_write) {
    sqlite3_busy_timeout(db.get(), 5000);
    check_identity();
    if (writable) {
      db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
      migrate();
    }
  }

  std::string file() const { return db.path().string(); }

  // Refuses files that are not SQLite, SQLite files that are not ours, and newer schemas.
  void check_identity() {
    const int rc =
        sqlite3_exec(db.get(), "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr);
    if ((rc & 0xff) == SQLITE_NOTADB) {
      throw input_error(file(), "not a bts-infra results store (not an SQLite database)");
    }
    if (rc != SQLITE_OK) db.fail("read", rc);
    const std::int64_t app = pragma_int(db, "PRAGMA application_id");
    const std::int64_t version = pragma_int(db, "PRAGMA user_version");
    if (app == application_id) {
      if (version > schema_version) {
        throw input_error(file(), "written by a newer bts-infra (schema version " +
                                      std::to_string(version) + "; this build knows up to " +
                                      std::to_string(schema_version) + ")");
      }
      if (!writable && version < schema_version) {
        throw input_error(file(), "schema version " + std::to_string(version) +
                                      " needs migrating; open it once read-write");
      }
      return;
    }
    std::vector<std::string> tables;
    {
      sqlite::statement s(db, "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name");
      while (s.step()) tables.push_back(s.column_text(0));
    }
    if (app == 0 && tables.empty()) {
      if (!writable) throw input_error(file(), "empty database, not a bts-infra results store");
      return;  // a new file: migrate() creates the schema
    }
    std::string list;
    for (std::size_t i = 0; i < tables.size() && i < 5; ++i) list += (i ? ", " : "") + tables[i];
    if (tables.size() > 5) list += ", ...";
    throw input_error(file(), "not a bts-infra results store (SQLite application_id " + hex32(app) +
                                  ", tables: " + (list.empty() ? "none" : list) + ")");
  }

  void migrate() {
    sqlite::transaction t(db);
    const std::int64_t current = pragma_int(db, "PRAGMA user_version");  // re-read under the lock
    for (const auto& m : migrations) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      sqlite::statement s(db,
                          "INSERT INTO schema_migrations(version, description, applied_at) "
                          "VALUES (?, ?, ?)");
      s.bind(1, std::int64_t{m.version}).bind(2, m.description).bind(3, now_unix_ms());
      s.step();
    }
    db.exec(("PRAGMA application_id=" + std::to_string(application_id) +
             "; PRAGMA user_version=" + std::to_string(schema_version))
                .c_str());
    t.commit();
  }

  input_error not_found(const std::string& run) const {
    return input_error("run \"" + run + "\"", "not found in " + file());
  }

  bool run_exists(const std::string& run) {
    auto s = cached("SELECT 1 FROM runs WHERE id = ?");
    s->bind(1, run);
    return s->step();
  }

  void require_run(const std::string& run) {
    if (!run_exists(run)) throw not_found(run);
  }

  // A read snapshot for several statements; inside an open batch, the batch is the snapshot.
  bool read_owned = false;
  void begin_read() {
    read_owned = sqlite3_get_autocommit(db.get()) != 0;
    if (read_owned) db.exec("BEGIN");
  }
  void end_read() {
    if (read_owned) sqlite3_exec(db.get(), "COMMIT", nullptr, nullptr, nullptr);
    read_owned = false;
  }

  void require_writable() const {
    if (!writable) throw store_error(file() + ": opened read-only");
  }
};

results_store::results_store(const std::filesystem::path& path, mode m) {
  if (m == mode::read_only) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      throw input_error(path.string(), "no such results store");
    }
  }
  impl_ = std::make_unique<impl>(path, m);
}

results_store::~results_store() = default;
results_store::results_store(results_store&&) noexcept = default;
results_store& results_store::operator=(results_store&&) noexcept = default;

const std::filesystem::path& results_store::path() const { return impl_->db.path(); }

void results_store::begin_batch() {
  impl_->require_writable();
  if (impl_->batch_open) throw store_error(impl_->file() + ": a batch is already open");
  impl_->db.exec("BEGIN IMMEDIATE");
  impl_->batch_open = true;
}

void results_store::commit_batch() {
  if (!impl_->batch_open) return;
  impl_->batch_open = false;
  const int rc = sqlite3_exec(impl_->db.get(), "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = sqlite3_errmsg(impl_->db.get());
    sqlite3_exec(impl_->db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw store_error(impl_->file() + ": commit: " + msg);
  }
}

void results_store::rollback_batch() {
  if (!impl_->batch_open) return;
  impl_->batch_open = false;
  sqlite3_exec(impl_->db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

std::string results_store::create_run(run_info info) {
  impl_->require_writable();
  check_manifest(info.manifest);
  if (info.created_at == 0) info.created_at = now_unix_ms();
  sqlite::transaction t(impl_->db);
  if (info.id.empty()) {
    std::string base = id_stamp(info.created_at);
    const std::string tail = slug(info.name.empty() ? info.scenario_name : info.name);
    if (!tail.empty()) base += "-" + tail;
    info.id = base;
    for (int n = 2; impl_->run_exists(info.id); ++n) info.id = base + "-" + std::to_string(n);
  } else {
    check_run_id(info.id, "run id");
    if (impl_->run_exists(info.id)) {
      throw input_error("run id", "\"" + info.id + "\" is already used in " + impl_->file());
    }
  }
  sqlite::statement s(impl_->db,
                      "INSERT INTO runs(id, name, scenario_name, scenario_text, manifest, "
                      "created_at, started_at, ended_at, status) VALUES (?,?,?,?,?,?,?,?,?)");
  s.bind(1, info.id)
      .bind(2, info.name)
      .bind(3, info.scenario_name)
      .bind(4, info.scenario_text)
      .bind(5, stats::json::write(info.manifest))
      .bind(6, info.created_at)
      .bind(7, info.started_at)
      .bind(8, info.ended_at)
      .bind(9, name(info.status));
  s.step();
  t.commit();
  return info.id;
}

void results_store::put_beacon(const std::string& run, const beacon_info& beacon) {
  impl_->require_writable();
  check_beacon_name(beacon.name, "beacon name");
  sqlite::transaction t(impl_->db);
  impl_->require_run(run);
  sqlite::statement s(impl_->db,
                      "INSERT INTO beacons(run_id, name, info) VALUES (?,?,?) "
                      "ON CONFLICT(run_id, name) DO UPDATE SET info = excluded.info");
  s.bind(1, run).bind(2, beacon.name).bind(3, stats::json::write(beacon.info));
  s.step();
  t.commit();
}

void results_store::start_run(const std::string& run, unix_ms at) {
  impl_->require_writable();
  sqlite::statement s(impl_->db, "UPDATE runs SET status = 'running', started_at = ? WHERE id = ?");
  s.bind(1, at).bind(2, run);
  s.step();
  if (sqlite3_changes(impl_->db.get()) == 0) throw impl_->not_found(run);
}

std::size_t results_store::append_seconds(const std::string& run,
                                          std::span<const second_record> records) {
  impl_->require_writable();
  for (const auto& r : records) {
    check_scope(r.beacon, "beacon name");
    if (r.row.second < 0) {
      throw input_error("second", "must be >= 0, got " + std::to_string(r.row.second));
    }
  }
  sqlite::transaction t(impl_->db);
  impl_->require_run(run);
  auto insert_row_guard = impl_->cached(
      "INSERT INTO seconds(run_id, beacon, second, row) VALUES (?,?,?,?) "
      "ON CONFLICT DO NOTHING");
  auto insert_hdr_guard = impl_->cached(insert_histograms_sql().c_str());
  auto upsert_cumulative_guard = impl_->cached(
      "INSERT INTO cumulative(run_id, beacon, kind, as_of_second, hdr) VALUES (?,?,?,?,?) "
      "ON CONFLICT(run_id, beacon, kind) DO UPDATE SET as_of_second = excluded.as_of_second, "
      "hdr = excluded.hdr WHERE excluded.as_of_second > cumulative.as_of_second");
  sqlite::statement& insert_row = *insert_row_guard;
  sqlite::statement& insert_hdr = *insert_hdr_guard;
  sqlite::statement& upsert_cumulative = *upsert_cumulative_guard;
  std::size_t added = 0;
  for (const auto& r : records) {
    insert_row.reset();
    insert_row.bind(1, run).bind(2, r.beacon).bind(3, r.row.second).bind(4, row_text(r.row));
    insert_row.step();
    if (sqlite3_changes(impl_->db.get()) == 1) {
      ++added;
      bool any = false;
      insert_hdr.reset();
      insert_hdr.bind(1, std::int64_t{sqlite3_last_insert_rowid(impl_->db.get())});
      int column = 2;
      for (auto k : stats::all_latency_kinds) {
        const std::string& hdr = r.row[k].hdr;
        if (hdr.empty()) {
          insert_hdr.bind(column++, std::nullopt);
        } else {
          insert_hdr.bind(column++, hdr);
          any = true;
        }
      }
      if (any) insert_hdr.step();
    }
    if (r.cumulative) {
      for (auto k : stats::all_latency_kinds) {
        const std::string& hdr = (*r.cumulative)[static_cast<std::size_t>(k)];
        if (hdr.empty()) continue;
        upsert_cumulative.reset();
        upsert_cumulative.bind(1, run)
            .bind(2, r.beacon)
            .bind(3, stats::name(k))
            .bind(4, r.row.second)
            .bind(5, hdr);
        upsert_cumulative.step();
      }
    }
  }
  t.commit();
  return added;
}

std::size_t results_store::append_blocks(const std::string& run,
                                         std::span<const block_record> blocks) {
  impl_->require_writable();
  for (const auto& b : blocks) {
    if (b.block_num < 0)
      throw input_error("block_num", "must be >= 0, got " + std::to_string(b.block_num));
  }
  sqlite::transaction t(impl_->db);
  impl_->require_run(run);
  auto insert_guard = impl_->cached(
      "INSERT INTO blocks(run_id, block_num, time, witness, transactions, "
      "operations, bytes, run_transactions, max_block_size) "
      "VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING");
  sqlite::statement& insert = *insert_guard;
  std::size_t added = 0;
  for (const auto& b : blocks) {
    insert.reset();
    insert.bind(1, run)
        .bind(2, b.block_num)
        .bind(3, b.time_ms)
        .bind(4, b.witness)
        .bind(5, b.transactions)
        .bind(6, b.operations)
        .bind(7, b.bytes)
        .bind(8, b.run_transactions)
        .bind(9, b.max_block_size);
    insert.step();
    added += static_cast<std::size_t>(sqlite3_changes(impl_->db.get()));
  }
  t.commit();
  return added;
}

bool results_store::append_second(const std::string& run, const std::string& beacon,
                                  const stats::second_row& row,
                                  const std::optional<encoded_histograms>& cumulative) {
  const second_record r{beacon, row, cumulative};
  return append_seconds(run, std::span<const second_record>(&r, 1)) == 1;
}

std::optional<std::int64_t> results_store::last_second(const std::string& run,
                                                       const std::string& beacon) {
  auto s = impl_->cached("SELECT max(second) FROM seconds WHERE run_id = ? AND beacon = ?");
  s->bind(1, run).bind(2, beacon);
  s->step();
  return s->column_optional_int(0);
}

void results_store::add_event(const std::string& run, const event& e) {
  impl_->require_writable();
  check_scope(e.beacon, "event beacon");
  sqlite::transaction t(impl_->db);
  impl_->require_run(run);
  auto g = impl_->cached("INSERT INTO events(run_id, time, kind, beacon, data) VALUES (?,?,?,?,?)");
  sqlite::statement& s = *g;
  s.bind(1, run)
      .bind(2, e.time)
      .bind(3, name(e.kind))
      .bind(4, e.beacon)
      .bind(5, stats::json::write(e.data));
  s.step();
  t.commit();
}

void results_store::finish_run(const std::string& run, run_status status, unix_ms ended_at,
                               const boost::json::object& summary) {
  impl_->require_writable();
  if (status == run_status::created || status == run_status::running) {
    throw input_error("status", "a finished run is completed, stopped or failed, not " +
                                    std::string(name(status)));
  }
  sqlite::statement s(impl_->db,
                      "UPDATE runs SET status = ?, ended_at = ?, summary = ? WHERE id = ?");
  s.bind(1, name(status)).bind(2, ended_at).bind(3, stats::json::write(summary)).bind(4, run);
  s.step();
  if (sqlite3_changes(impl_->db.get()) == 0) throw impl_->not_found(run);
}

namespace {

run_info info_from(sqlite::statement& s, const std::string& file) {
  run_info info;
  info.id = s.column_text(0);
  const std::string where = file + ": run \"" + info.id + "\"";
  info.name = s.column_text(1);
  info.scenario_name = s.column_text(2);
  info.scenario_text = s.column_text(3);
  info.manifest = stats::json::as_object(stats::json::parse(s.column_text(4), where + ".manifest"),
                                         where + ".manifest");
  info.created_at = s.column_int(5);
  info.started_at = s.column_optional_int(6);
  info.ended_at = s.column_optional_int(7);
  const auto status = parse_run_status(s.column_text(8));
  if (!status) throw input_error(where + ".status", "unknown status \"" + s.column_text(8) + "\"");
  info.status = *status;
  return info;
}

constexpr const char* run_columns =
    "id, name, scenario_name, scenario_text, manifest, created_at, started_at, ended_at, status";

}  // namespace

std::vector<run_info> results_store::list_runs() {
  sqlite::statement s(impl_->db, (std::string("SELECT ") + run_columns +
                                  " FROM runs ORDER BY created_at DESC, id DESC")
                                     .c_str());
  std::vector<run_info> out;
  while (s.step()) out.push_back(info_from(s, impl_->file()));
  return out;
}

namespace {

// Ends a read snapshot however the read leaves.
template <class Impl>
struct read_scope {
  Impl& m;
  explicit read_scope(Impl& i) : m(i) { m.begin_read(); }
  ~read_scope() { m.end_read(); }
};

}  // namespace

results_store::run_head results_store::load_run_head(const std::string& id) {
  namespace json = stats::json;
  const std::string file = impl_->file();
  read_scope guard(*impl_);
  run_head h;
  {
    auto s = impl_->cached(
        "SELECT id, name, scenario_name, scenario_text, manifest, created_at, started_at, "
        "ended_at, status, summary FROM runs WHERE id = ?");
    s->bind(1, id);
    if (!s->step()) throw impl_->not_found(id);
    h.info = info_from(*s, file);
    if (!s->column_is_null(9)) {
      const std::string where = file + ": run \"" + id + "\".summary";
      h.summary = json::as_object(json::parse(s->column_text(9), where), where);
    }
  }
  {
    auto s = impl_->cached("SELECT name, info FROM beacons WHERE run_id = ? ORDER BY name");
    s->bind(1, id);
    while (s->step()) {
      const std::string where = file + ": beacon \"" + s->column_text(0) + "\"";
      h.beacons.push_back(
          {s->column_text(0), json::as_object(json::parse(s->column_text(1), where), where)});
    }
  }
  h.merged_up_to = last_second(id, merged);
  return h;
}

std::optional<std::vector<stats::second_row>> results_store::load_seconds(const std::string& id,
                                                                          const std::string& beacon,
                                                                          std::int64_t from) {
  namespace json = stats::json;
  const std::string file = impl_->file();
  read_scope guard(*impl_);
  impl_->require_run(id);
  std::vector<stats::second_row> rows;
  {
    auto s = impl_->cached(
        "SELECT second, row FROM seconds WHERE run_id = ? AND beacon = ? AND second >= ? "
        "ORDER BY second");
    s->bind(1, id).bind(2, beacon).bind(3, from);
    while (s->step()) {
      const std::string where = file + ": run \"" + id + "\" beacon \"" + beacon + "\" second " +
                                std::to_string(s->column_int(0));
      rows.push_back(stats::row_from_json(json::parse(s->column_text(1), where), where));
    }
  }
  if (rows.empty()) {
    auto s = impl_->cached("SELECT 1 FROM seconds WHERE run_id = ? AND beacon = ? LIMIT 1");
    s->bind(1, id).bind(2, beacon);
    if (!s->step()) return std::nullopt;
  }
  return rows;
}

std::vector<block_record> results_store::load_blocks(const std::string& id, std::int64_t from) {
  read_scope guard(*impl_);
  impl_->require_run(id);
  std::vector<block_record> out;
  auto s = impl_->cached(
      "SELECT block_num, time, witness, transactions, operations, bytes, run_transactions, "
      "max_block_size FROM blocks WHERE run_id = ? AND block_num >= ? ORDER BY block_num");
  s->bind(1, id).bind(2, from);
  while (s->step()) {
    out.push_back({s->column_int(0), s->column_int(1), s->column_text(2), s->column_int(3),
                   s->column_int(4), s->column_int(5), s->column_int(6), s->column_int(7)});
  }
  return out;
}

results_store::scope_cumulative results_store::load_cumulative(const std::string& id,
                                                               const std::string& beacon) {
  read_scope guard(*impl_);
  impl_->require_run(id);
  scope_cumulative out;
  {
    auto s = impl_->cached("SELECT kind, hdr FROM cumulative WHERE run_id = ? AND beacon = ?");
    s->bind(1, id).bind(2, beacon);
    while (s->step()) {
      const auto kind = stats::parse_latency_kind(s->column_text(0));
      if (kind) out.histograms[static_cast<std::size_t>(*kind)] = s->column_text(1);
    }
  }
  out.last_second = last_second(id, beacon);
  return out;
}

run_record results_store::load_run(const std::string& id, const load_options& options) {
  namespace json = stats::json;
  const std::string file = impl_->file();
  // One read transaction: a consistent snapshot even while a writer appends.
  read_scope guard(*impl_);

  run_record rec;
  {
    sqlite::statement s(
        impl_->db,
        (std::string("SELECT ") + run_columns + ", summary FROM runs WHERE id = ?").c_str());
    s.bind(1, id);
    if (!s.step()) throw impl_->not_found(id);
    rec.info = info_from(s, file);
    if (!s.column_is_null(9)) {
      const std::string where = file + ": run \"" + id + "\".summary";
      rec.summary = json::as_object(json::parse(s.column_text(9), where), where);
    }
  }
  {
    sqlite::statement s(impl_->db, "SELECT name, info FROM beacons WHERE run_id = ? ORDER BY name");
    s.bind(1, id);
    while (s.step()) {
      const std::string where = file + ": beacon \"" + s.column_text(0) + "\"";
      rec.beacons.push_back(
          {s.column_text(0), json::as_object(json::parse(s.column_text(1), where), where)});
    }
  }
  {
    // Through seconds_by_scope: by beacon, then second, each row with its histograms.
    std::string sql = "SELECT s.beacon, s.second, s.row";
    if (options.second_histograms) {
      for (auto k : stats::all_latency_kinds) sql += ", h." + std::string(stats::name(k));
    }
    sql += " FROM seconds s";
    if (options.second_histograms) sql += " LEFT JOIN histograms h ON h.id = s.id";
    sql += " WHERE s.run_id = ?";
    if (!options.per_beacon) sql += " AND s.beacon = ''";
    sql += " ORDER BY s.beacon, s.second";
    sqlite::statement s(impl_->db, sql.c_str());
    s.bind(1, id);
    std::string beacon;
    stats::second_series* series = nullptr;
    while (s.step()) {
      std::string b = s.column_text(0);
      if (!series || b != beacon) {
        beacon = std::move(b);
        series = beacon.empty() ? &rec.merged : &rec.by_beacon[beacon];
      }
      const std::string where = file + ": run \"" + id + "\" beacon \"" + beacon + "\" second " +
                                std::to_string(s.column_int(1));
      stats::second_row row = stats::row_from_json(json::parse(s.column_text(2), where), where);
      if (options.second_histograms) {
        int column = 3;
        for (auto k : stats::all_latency_kinds) {
          if (!s.column_is_null(column)) row[k].hdr = s.column_text(column);
          ++column;
        }
      }
      series->insert(std::move(row));
    }
  }
  {
    sqlite::statement s(impl_->db,
                        "SELECT beacon, kind, hdr FROM cumulative WHERE run_id = ? AND "
                        "(? OR beacon = '')");
    s.bind(1, id).bind(2, std::int64_t{options.per_beacon});
    while (s.step()) {
      const auto kind = stats::parse_latency_kind(s.column_text(1));
      if (!kind) continue;
      rec.cumulative[s.column_text(0)][static_cast<std::size_t>(*kind)] = s.column_text(2);
    }
  }
  {
    sqlite::statement s(
        impl_->db,
        "SELECT time, kind, beacon, data FROM events WHERE run_id = ? ORDER BY time, id");
    s.bind(1, id);
    while (s.step()) {
      const std::string where = file + ": run \"" + id + "\" event";
      event e;
      e.time = s.column_int(0);
      const auto kind = parse_event_kind(s.column_text(1));
      if (!kind) throw input_error(where, "unknown event kind \"" + s.column_text(1) + "\"");
      e.kind = *kind;
      e.beacon = s.column_text(2);
      e.data = json::as_object(json::parse(s.column_text(3), where), where);
      rec.events.push_back(std::move(e));
    }
  }
  {
    sqlite::statement s(
        impl_->db,
        "SELECT block_num, time, witness, transactions, operations, bytes, run_transactions, "
        "max_block_size FROM blocks WHERE run_id = ? ORDER BY block_num");
    s.bind(1, id);
    while (s.step()) {
      rec.blocks.push_back({s.column_int(0), s.column_int(1), s.column_text(2), s.column_int(3),
                            s.column_int(4), s.column_int(5), s.column_int(6), s.column_int(7)});
    }
  }
  return rec;
}

}  // namespace bts::store
