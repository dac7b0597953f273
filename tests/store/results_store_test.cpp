// The SQLite results store: schema and WAL, idempotent appends, a full round trip of a run,
// clear errors for foreign files, and committed seconds surviving a SIGKILL of the writer.
#include "store/results_store.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "store/sample_run.hpp"
#include "util/error.hpp"

namespace bts::store {
namespace {

using test::sample_run;
using test::sample_second;
using test::temp_dir;

std::string error_of(auto&& f) {
  try {
    f();
  } catch (const input_error& e) {
    return e.what();
  } catch (const store_error& e) {
    return std::string("store_error: ") + e.what();
  }
  return "no error";
}

std::string pragma_text(const std::filesystem::path& file, const char* sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
  std::string out;
  if (sqlite3_step(s) == SQLITE_ROW) out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

void raw_exec(const std::filesystem::path& file, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

// Stores sample_run() the way an overseer would: run, beacons, per-beacon and merged seconds
// with cumulative histograms, events, summary.
std::string store_sample(results_store& db) {
  const run_record rec = sample_run();
  run_info info = rec.info;
  info.status = run_status::created;
  info.started_at.reset();
  info.ended_at.reset();
  const std::string id = db.create_run(info);
  for (const auto& b : rec.beacons) db.put_beacon(id, b);
  db.start_run(id, *rec.info.started_at);
  for (const auto& row : rec.merged.rows()) {
    std::vector<second_record> batch;
    for (const auto& [beacon, series] : rec.by_beacon) {
      const bool last = row.second == 2;
      batch.push_back({beacon, *series.find(row.second),
                       last ? std::optional(rec.cumulative.at(beacon)) : std::nullopt});
    }
    batch.push_back({results_store::merged, row,
                     row.second == 2 ? std::optional(rec.cumulative.at("")) : std::nullopt});
    EXPECT_EQ(db.append_seconds(id, batch), 3u);
  }
  for (const auto& e : rec.events) db.add_event(id, e);
  EXPECT_EQ(db.append_blocks(id, std::span(rec.blocks).first(1)), 1u);
  EXPECT_EQ(db.append_blocks(id, rec.blocks), 2u);  // the first was stored already
  db.finish_run(id, run_status::completed, *rec.info.ended_at, *rec.summary);
  return id;
}

TEST(ResultsStore, CreatesAVersionedWalDatabase) {
  temp_dir dir;
  const auto file = dir / "results.db";
  { results_store db(file); }
  EXPECT_EQ(pragma_text(file, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(pragma_text(file, "PRAGMA application_id"), std::to_string(0x42545352));
  EXPECT_EQ(pragma_text(file, "PRAGMA user_version"), "3");
  EXPECT_EQ(pragma_text(file, "SELECT group_concat(version) FROM schema_migrations"), "1,2,3");
  // Reopening applies nothing twice.
  { results_store db(file); }
  EXPECT_EQ(pragma_text(file, "SELECT count(*) FROM schema_migrations"), "3");
}

// The tables as released at schema version 2 (migrations 1 and 2, verbatim but for comments).
constexpr const char* version_two_schema = R"sql(
CREATE TABLE schema_migrations (
  version     INTEGER PRIMARY KEY,
  description TEXT NOT NULL,
  applied_at  INTEGER NOT NULL
);
CREATE TABLE runs (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  scenario_name TEXT NOT NULL,
  scenario_text TEXT NOT NULL,
  manifest      TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  started_at    INTEGER,
  ended_at      INTEGER,
  status        TEXT NOT NULL
                CHECK (status IN ('created','running','completed','stopped','failed')),
  summary       TEXT
);
CREATE TABLE beacons (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name   TEXT NOT NULL,
  info   TEXT NOT NULL,
  PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
CREATE TABLE seconds (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  beacon TEXT NOT NULL,
  second INTEGER NOT NULL,
  row    TEXT NOT NULL,
  PRIMARY KEY (run_id, beacon, second)
) WITHOUT ROWID;
CREATE TABLE histograms (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  beacon TEXT NOT NULL,
  second INTEGER NOT NULL,
  kind   TEXT NOT NULL,
  hdr    TEXT NOT NULL,
  PRIMARY KEY (run_id, beacon, second, kind)
) WITHOUT ROWID;
CREATE TABLE cumulative (
  run_id       TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  beacon       TEXT NOT NULL,
  kind         TEXT NOT NULL,
  as_of_second INTEGER NOT NULL,
  hdr          TEXT NOT NULL,
  PRIMARY KEY (run_id, beacon, kind)
) WITHOUT ROWID;
CREATE TABLE events (
  id     INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  time   INTEGER NOT NULL,
  kind   TEXT NOT NULL,
  beacon TEXT NOT NULL,
  data   TEXT NOT NULL
);
CREATE INDEX events_by_run ON events (run_id, time);
CREATE TABLE blocks (
  run_id           TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  block_num        INTEGER NOT NULL,
  time             INTEGER NOT NULL,
  witness          TEXT NOT NULL,
  transactions     INTEGER NOT NULL,
  operations       INTEGER NOT NULL,
  bytes            INTEGER NOT NULL,
  run_transactions INTEGER NOT NULL,
  max_block_size   INTEGER NOT NULL,
  PRIMARY KEY (run_id, block_num)
) WITHOUT ROWID;
)sql";

// Writes `old_file` as a version-2 store holding what the current store `current` holds: the
// version-2 tables, filled from `current` (one histograms row per kind).
void write_version_two_store(const std::filesystem::path& current,
                             const std::filesystem::path& old_file) {
  std::string sql = version_two_schema;
  sql += "ATTACH '" + current.string() + "' AS cur;\n";
  sql += R"sql(
INSERT INTO schema_migrations SELECT * FROM cur.schema_migrations WHERE version <= 2;
INSERT INTO runs SELECT * FROM cur.runs;
INSERT INTO beacons SELECT * FROM cur.beacons;
INSERT INTO seconds SELECT run_id, beacon, second, row FROM cur.seconds;
INSERT INTO cumulative SELECT * FROM cur.cumulative;
INSERT INTO events SELECT * FROM cur.events;
INSERT INTO blocks SELECT * FROM cur.blocks;
)sql";
  for (const char* kind : {"schedule_lag", "ack_corrected", "ack_uncorrected",
                           "inclusion_corrected", "inclusion_uncorrected"}) {
    sql += std::string("INSERT INTO histograms SELECT s.run_id, s.beacon, s.second, '") + kind +
           "', h." + kind + " FROM cur.seconds s JOIN cur.histograms h ON h.id = s.id WHERE h." +
           kind + " IS NOT NULL;\n";
  }
  sql += "DETACH cur; PRAGMA application_id = " + std::to_string(0x42545352) +
         "; PRAGMA user_version = 2;";
  raw_exec(old_file, sql.c_str());
}

// A version-2 store (seconds and histograms in beacon-first WITHOUT ROWID trees, one histograms
// row per kind) is migrated to version 3 when opened read-write: every row, histogram,
// cumulative histogram, event and block is kept, and appending goes on (repeats still ignored).
TEST(ResultsStore, MigratesAVersionTwoStore) {
  temp_dir dir;
  const auto current = dir / "current.db";
  const auto file = dir / "v2.db";
  std::string id;
  {
    results_store db(current);
    id = store_sample(db);
  }
  write_version_two_store(current, file);
  ASSERT_EQ(pragma_text(file, "SELECT count(*) FROM histograms"), "45");  // 3 x 3 seconds x 5
  EXPECT_EQ(error_of([&] { results_store db(file, results_store::mode::read_only); }),
            file.string() + ": schema version 2 needs migrating; open it once read-write");
  {
    results_store db(file);
    EXPECT_EQ(pragma_text(file, "PRAGMA user_version"), "3");
    EXPECT_EQ(pragma_text(file, "SELECT group_concat(version) FROM schema_migrations"), "1,2,3");
    EXPECT_EQ(pragma_text(file, "SELECT count(*) FROM histograms"), "9");  // a row per second
    EXPECT_EQ(pragma_text(file,
                          "SELECT count(*) FROM sqlite_master WHERE name IN "
                          "('seconds_v3', 'histograms_v3')"),
              "0");
    EXPECT_EQ(db.load_run(id), sample_run());
    EXPECT_EQ(db.load_run(id), results_store(current).load_run(id));
    // Appending after the migration: a repeat is ignored, a new second is stored with its
    // histograms.
    const run_record rec = sample_run();
    EXPECT_FALSE(db.append_second(id, "alpha", *rec.by_beacon.at("alpha").find(1)));
    stats::second_row next = *rec.by_beacon.at("alpha").find(2);
    next.second = 3;
    EXPECT_TRUE(db.append_second(id, "alpha", next));
    EXPECT_EQ(*db.load_run(id).by_beacon.at("alpha").find(3), next);
    EXPECT_EQ(db.load_seconds(id, "alpha", 3)->size(), 1u);
  }
  // Foreign keys still hold after the tables were renamed.
  EXPECT_EQ(pragma_text(file, "SELECT count(*) FROM pragma_foreign_key_check"), "0");
}

// A store written before the blocks table existed (schema 1) is migrated when opened
// read-write, keeping its runs; read-only it is refused with a clear message.
TEST(ResultsStore, MigratesAVersionOneStore) {
  temp_dir dir;
  const auto file = dir / "results.db";
  std::string id;
  {
    results_store db(file);
    id = store_sample(db);
  }
  const auto old_file = dir / "v1.db";
  write_version_two_store(file, old_file);
  raw_exec(old_file,
           "DROP TABLE blocks; DELETE FROM schema_migrations WHERE version = 2; PRAGMA "
           "user_version = 1");
  EXPECT_EQ(error_of([&] { results_store db(old_file, results_store::mode::read_only); }),
            old_file.string() + ": schema version 1 needs migrating; open it once read-write");
  results_store db(old_file);
  EXPECT_EQ(pragma_text(old_file, "PRAGMA user_version"), "3");
  run_record got = db.load_run(id);
  EXPECT_TRUE(got.blocks.empty());
  EXPECT_EQ(got.merged, sample_run().merged);
  EXPECT_EQ(db.append_blocks(id, sample_run().blocks), 3u);
  EXPECT_EQ(db.load_run(id).blocks, sample_run().blocks);
}

TEST(ResultsStore, BlocksAreKeptOncePerNumberInOrder) {
  temp_dir dir;
  results_store db(dir / "results.db");
  const std::string id = db.create_run(run_info{});
  std::vector<block_record> blocks = sample_run().blocks;
  std::swap(blocks[0], blocks[2]);
  EXPECT_EQ(db.append_blocks(id, blocks), 3u);
  block_record changed = blocks[1];
  changed.run_transactions = 999;
  EXPECT_EQ(db.append_blocks(id, std::span(&changed, 1)), 0u);
  const auto got = db.load_run(id).blocks;
  EXPECT_EQ(got, sample_run().blocks);  // by block number, the first record of each
  EXPECT_EQ(error_of([&] { db.append_blocks("nope", blocks); }),
            "run \"nope\": not found in " + (dir / "results.db").string());
}

TEST(ResultsStore, RoundTripsAWholeRun) {
  temp_dir dir;
  results_store db(dir / "results.db");
  const std::string id = store_sample(db);
  EXPECT_EQ(id, "20240501-120000-golden");
  const run_record expected = sample_run();
  const run_record got = db.load_run(id);
  EXPECT_EQ(got.info, expected.info);
  EXPECT_EQ(got.beacons, expected.beacons);
  EXPECT_EQ(got.merged, expected.merged);
  EXPECT_EQ(got.by_beacon, expected.by_beacon);
  EXPECT_EQ(got.cumulative, expected.cumulative);
  EXPECT_EQ(got.events, expected.events);
  EXPECT_EQ(got.summary, expected.summary);
  EXPECT_EQ(got, expected);

  // A reader in read-only mode sees the same.
  results_store reader(dir / "results.db", results_store::mode::read_only);
  EXPECT_EQ(reader.load_run(id), expected);
}

TEST(ResultsStore, LoadOptionsLeaveOutBulk) {
  temp_dir dir;
  results_store db(dir / "results.db");
  const std::string id = store_sample(db);
  results_store::load_options o;
  o.per_beacon = false;
  o.second_histograms = false;
  const run_record got = db.load_run(id, o);
  EXPECT_TRUE(got.by_beacon.empty());
  EXPECT_EQ(got.cumulative.size(), 1u);
  ASSERT_EQ(got.merged.rows().size(), 3u);
  const auto& row = got.merged.rows()[1];
  EXPECT_TRUE(row[stats::latency_kind::ack_corrected].hdr.empty());
  EXPECT_EQ(row[stats::latency_kind::ack_corrected].p99,
            sample_run().merged.rows()[1][stats::latency_kind::ack_corrected].p99);
}

// The incremental reads return what load_run does, restricted to what was asked, and read
// through a snapshot that includes what was appended since the last call.
TEST(ResultsStore, IncrementalReadsMatchLoadRun) {
  temp_dir dir;
  results_store db(dir / "results.db");
  const std::string id = store_sample(db);
  results_store reader(dir / "results.db", results_store::mode::read_only);
  results_store::load_options o;
  o.second_histograms = false;
  const run_record full = reader.load_run(id, o);

  const auto head = reader.load_run_head(id);
  EXPECT_EQ(head.info, full.info);
  EXPECT_EQ(head.beacons, full.beacons);
  EXPECT_EQ(head.summary, full.summary);
  EXPECT_EQ(head.merged_up_to, 2);

  auto rows = [](const stats::second_series& s, std::int64_t from) {
    std::vector<stats::second_row> out;
    for (const auto& r : s.rows())
      if (r.second >= from) out.push_back(r);
    return out;
  };
  for (std::int64_t from : {0, 1, 2, 3}) {
    EXPECT_EQ(reader.load_seconds(id, results_store::merged, from), rows(full.merged, from));
    for (const auto& [b, series] : full.by_beacon)
      EXPECT_EQ(reader.load_seconds(id, b, from), rows(series, from)) << b << " from " << from;
  }
  EXPECT_EQ(reader.load_seconds(id, results_store::merged, 3)->size(), 0u);  // none yet
  EXPECT_EQ(reader.load_seconds(id, "nobody", 0), std::nullopt);

  EXPECT_EQ(reader.load_blocks(id), full.blocks);
  const auto later = reader.load_blocks(id, full.blocks[1].block_num);
  EXPECT_EQ(later, std::vector<block_record>(full.blocks.begin() + 1, full.blocks.end()));

  const auto c = reader.load_cumulative(id, results_store::merged);
  EXPECT_EQ(c.histograms, full.cumulative.at(""));
  EXPECT_EQ(c.last_second, 2);
  const auto none = reader.load_cumulative(id, "nobody");
  EXPECT_EQ(none.histograms, encoded_histograms{});
  EXPECT_EQ(none.last_second, std::nullopt);

  // A second appended later is read from where the reader left off.
  db.append_second(id, results_store::merged, sample_second(3, 5, 1));
  const auto next = reader.load_seconds(id, results_store::merged, 3);
  ASSERT_EQ(next->size(), 1u);
  EXPECT_EQ(next->front().second, 3);
  EXPECT_EQ(reader.load_run_head(id).merged_up_to, 3);

  const std::string missing = "run \"nope\": not found in " + (dir / "results.db").string();
  EXPECT_EQ(error_of([&] { reader.load_run_head("nope"); }), missing);
  EXPECT_EQ(error_of([&] { reader.load_seconds("nope", "", 0); }), missing);
  EXPECT_EQ(error_of([&] { reader.load_blocks("nope"); }), missing);
  EXPECT_EQ(error_of([&] { reader.load_cumulative("nope", ""); }), missing);
}

TEST(ResultsStore, AppendingASecondAgainChangesNothing) {
  temp_dir dir;
  results_store db(dir / "results.db");
  run_info info;
  info.name = "resend";
  const std::string id = db.create_run(info);
  const auto first = sample_second(7, 20, 1);
  EXPECT_TRUE(db.append_second(id, "alpha", first));
  auto changed = sample_second(7, 99, 3);
  EXPECT_FALSE(db.append_second(id, "alpha", changed));  // a reconnecting beacon resends
  EXPECT_TRUE(db.append_second(id, "beta", changed));    // another beacon's second 7 is new
  const run_record rec = db.load_run(id);
  EXPECT_EQ(*rec.by_beacon.at("alpha").find(7), first);
  EXPECT_EQ(db.last_second(id, "alpha"), 7);
  EXPECT_EQ(db.last_second(id, "gamma"), std::nullopt);
}

TEST(ResultsStore, CumulativeHistogramsOnlyMoveForward) {
  temp_dir dir;
  results_store db(dir / "results.db");
  const std::string id = db.create_run(run_info{});
  stats::latency_set at5, at3;
  at5[stats::latency_kind::ack_corrected].record(500, 5);
  at3[stats::latency_kind::ack_corrected].record(300, 3);
  db.append_second(id, "alpha", sample_second(5, 5, 1), encode(at5));
  db.append_second(id, "alpha", sample_second(3, 5, 1), encode(at3));  // late resend
  const auto h = db.load_run(id).cumulative.at("alpha");
  EXPECT_EQ(h[static_cast<std::size_t>(stats::latency_kind::ack_corrected)],
            at5[stats::latency_kind::ack_corrected].encode());
}

TEST(ResultsStore, RunIdsAreGeneratedUniqueAndValidated) {
  temp_dir dir;
  results_store db(dir / "results.db");
  run_info info;
  info.name = "Max throughput: one node!";
  info.created_at = 1714564800000;
  EXPECT_EQ(db.create_run(info), "20240501-120000-Max-throughput-one-node");
  EXPECT_EQ(db.create_run(info), "20240501-120000-Max-throughput-one-node-2");
  info.id = "20240501-120000-Max-throughput-one-node";
  EXPECT_EQ(error_of([&] { db.create_run(info); }),
            "run id: \"20240501-120000-Max-throughput-one-node\" is already used in " +
                (dir / "results.db").string());
  info.id = "../escape";
  EXPECT_EQ(
      error_of([&] { db.create_run(info); }),
      "run id: invalid run id \"../escape\": expected 1 to 128 characters from A-Z a-z 0-9 . _ "
      "-, not starting with . or -");
  info.id = "";
  info.manifest["beacons"] = 3;
  EXPECT_EQ(error_of([&] { db.create_run(info); }),
            "manifest.beacons: reserved (manifest.json uses this name)");
}

TEST(ResultsStore, ListsRunsNewestFirst) {
  temp_dir dir;
  results_store db(dir / "results.db");
  for (int i = 0; i < 3; ++i) {
    run_info info;
    info.id = "run-" + std::to_string(i);
    info.created_at = 1714564800000 + i * 1000;
    db.create_run(info);
  }
  const auto runs = db.list_runs();
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].id, "run-2");
  EXPECT_EQ(runs[2].id, "run-0");
  EXPECT_EQ(runs[0].status, run_status::created);
}

TEST(ResultsStore, UnknownRunsAndBadArguments) {
  temp_dir dir;
  const auto file = dir / "results.db";
  results_store db(file);
  EXPECT_EQ(error_of([&] { db.load_run("nope"); }), "run \"nope\": not found in " + file.string());
  EXPECT_EQ(error_of([&] { db.append_second("nope", "alpha", sample_second(0, 1, 1)); }),
            "run \"nope\": not found in " + file.string());
  EXPECT_EQ(error_of([&] { db.finish_run("nope", run_status::completed, 0, {}); }),
            "run \"nope\": not found in " + file.string());
  const std::string id = db.create_run(run_info{});
  EXPECT_EQ(error_of([&] { db.finish_run(id, run_status::running, 0, {}); }),
            "status: a finished run is completed, stopped or failed, not running");
  EXPECT_EQ(error_of([&] { db.append_second(id, "a/b", sample_second(0, 1, 1)); }).substr(0, 40),
            "beacon name: invalid beacon name \"a/b\": ");
}

TEST(ResultsStore, RefusesFilesThatAreNotResultsStores) {
  temp_dir dir;
  const auto text = dir / "notes.txt";
  std::ofstream(text) << "this is not a database, just some text that is long enough......."
                         "..................................................................";
  EXPECT_EQ(error_of([&] { results_store db(text); }),
            text.string() + ": not a bts-infra results store (not an SQLite database)");

  const auto foreign = dir / "other.db";
  raw_exec(foreign, "CREATE TABLE users(id INTEGER); CREATE TABLE orders(id INTEGER);");
  EXPECT_EQ(error_of([&] { results_store db(foreign); }),
            foreign.string() +
                ": not a bts-infra results store (SQLite application_id 0x00000000, tables: "
                "orders, users)");

  const auto newer = dir / "newer.db";
  { results_store db(newer); }
  raw_exec(newer, "PRAGMA user_version = 9");
  EXPECT_EQ(error_of([&] { results_store db(newer); }),
            newer.string() +
                ": written by a newer bts-infra (schema version 9; this build knows "
                "up to 3)");

  EXPECT_EQ(error_of([&] { results_store db(dir / "missing.db", results_store::mode::read_only); }),
            (dir / "missing.db").string() + ": no such results store");
  const auto empty = dir / "empty.db";
  std::ofstream(empty).close();
  EXPECT_EQ(error_of([&] { results_store db(empty, results_store::mode::read_only); }),
            empty.string() + ": empty database, not a bts-infra results store");
}

TEST(ResultsStore, ReadersSeeCommittedSecondsWhileTheWriterAppends) {
  temp_dir dir;
  results_store writer(dir / "results.db");
  const std::string id = writer.create_run(run_info{});
  results_store reader(dir / "results.db", results_store::mode::read_only);
  for (int s = 0; s < 5; ++s) {
    writer.append_second(id, results_store::merged, sample_second(s, 5, 1));
    EXPECT_EQ(reader.load_run(id).merged.rows().size(), static_cast<std::size_t>(s + 1));
  }
}

// A batch is one commit: nothing is visible before commit_batch(), a failing write inside it
// rolls back only itself, rollback_batch() drops everything, and reads work inside a batch.
TEST(ResultsStore, BatchesCommitTogetherAndFailingWritesRollBackAlone) {
  temp_dir dir;
  results_store writer(dir / "results.db");
  const std::string id = writer.create_run(run_info{});
  results_store reader(dir / "results.db", results_store::mode::read_only);
  raw_exec(dir / "results.db",
           "CREATE TRIGGER fail_second_2 BEFORE INSERT ON seconds WHEN NEW.second = 2 "
           "BEGIN SELECT RAISE(ABORT, 'test failure'); END");
  writer.begin_batch();
  EXPECT_EQ(error_of([&] { writer.begin_batch(); }),
            "store_error: " + (dir / "results.db").string() + ": a batch is already open");
  EXPECT_TRUE(writer.append_second(id, results_store::merged, sample_second(0, 5, 1)));
  EXPECT_TRUE(writer.append_second(id, "b1", sample_second(0, 5, 2)));
  // Fails after its first row: the row of second 1 is rolled back, the batch goes on.
  std::vector<second_record> bad{{"b1", sample_second(1, 5, 2), std::nullopt},
                                 {"b1", sample_second(2, 5, 2), std::nullopt}};
  EXPECT_EQ(error_of([&] { writer.append_seconds(id, bad); }),
            "store_error: " + (dir / "results.db").string() + ": step: test failure");
  EXPECT_EQ(error_of([&] { writer.append_second("nope", "b1", sample_second(1, 5, 2)); }),
            "run \"nope\": not found in " + (dir / "results.db").string());
  writer.add_event(id, event{1, event_kind::note, "b1", {}});
  EXPECT_EQ(writer.load_run(id).by_beacon.at("b1").rows().size(), 1u);  // reads the batch
  EXPECT_EQ(reader.load_run(id).merged.rows().size(), 0u);
  writer.commit_batch();
  const run_record rec = reader.load_run(id);
  EXPECT_EQ(rec.merged.rows().size(), 1u);
  EXPECT_EQ(rec.by_beacon.at("b1").rows().size(), 1u);
  EXPECT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(writer.last_second(id, "b1"), 0);

  writer.begin_batch();
  EXPECT_TRUE(writer.append_second(id, "b1", sample_second(1, 5, 2)));
  writer.rollback_batch();
  EXPECT_EQ(reader.load_run(id).by_beacon.at("b1").rows().size(), 1u);
  writer.commit_batch();                                                // no batch: nothing happens
  EXPECT_TRUE(writer.append_second(id, "b1", sample_second(1, 5, 2)));  // unbatched again
  EXPECT_EQ(reader.load_run(id).by_beacon.at("b1").rows().size(), 2u);
}

// The writer is SIGKILLed while appending; every second it reported committed must be there,
// whole, and the store must accept the run's continuation.
TEST(ResultsStore, CommittedSecondsSurviveSigkill) {
  temp_dir dir;
  const auto file = dir / "results.db";
  int acks[2];
  ASSERT_EQ(pipe(acks), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(acks[0]);
    try {
      results_store db(file);
      run_info info;
      info.id = "killed";
      db.create_run(info);
      stats::latency_set cumulative;
      for (std::int64_t s = 0;; ++s) {
        stats::latency_set w;
        const auto row = sample_second(s, 50, 1, &w);
        cumulative.merge(w);
        db.append_second("killed", "alpha", row, encode(cumulative));
        db.append_second("killed", results_store::merged, row, encode(cumulative));
        const std::int64_t done = s;
        if (write(acks[1], &done, sizeof done) != sizeof done) _exit(3);
      }
    } catch (...) {
      _exit(2);
    }
  }
  close(acks[1]);
  std::int64_t last_ack = -1, v;
  while (last_ack < 150 && read(acks[0], &v, sizeof v) == sizeof v) last_ack = v;
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  close(acks[0]);
  ASSERT_GE(last_ack, 150);

  EXPECT_EQ(pragma_text(file, "PRAGMA integrity_check"), "ok");
  results_store db(file);
  const std::int64_t last = db.last_second("killed", "alpha").value_or(-1);
  EXPECT_GE(last, last_ack);
  const run_record rec = db.load_run("killed");
  const auto& alpha = rec.by_beacon.at("alpha");
  ASSERT_EQ(alpha.rows().size(), static_cast<std::size_t>(last + 1));
  for (std::int64_t s = 0; s <= last; ++s) {
    const auto* row = alpha.find(s);
    ASSERT_NE(row, nullptr) << s;
    EXPECT_EQ(*row, sample_second(s, 50, 1)) << s;  // whole, including its histograms
  }
  // Merged is at most one second behind (the kill may fall between the two commits), and the
  // cumulative histograms match the seconds stored with them.
  EXPECT_GE(rec.merged.rows().size() + 1, alpha.rows().size());
  const auto cumulative = decode(rec.cumulative.at("alpha"));
  EXPECT_EQ(cumulative[stats::latency_kind::ack_corrected].count(), (last + 1) * 50);

  // The run goes on after a restart: resending the last second is harmless.
  EXPECT_FALSE(db.append_second("killed", "alpha", sample_second(last, 50, 1)));
  EXPECT_TRUE(db.append_second("killed", "alpha", sample_second(last + 1, 50, 1)));
}

}  // namespace
}  // namespace bts::store
