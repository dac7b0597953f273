// The embedded results store (SQLite) that the beacon, the overseer and the report share.
//
// One file holds any number of runs: their manifests, beacons, per-second series (per beacon
// and merged), per-second and cumulative histograms, events, blocks seen and summaries. The schema
// is versioned (schema_migrations table, PRAGMA user_version) and marked as ours (PRAGMA
// application_id = 0x42545352, "BTSR"); docs/formats.md describes every table.
//
// Durability: WAL journal, synchronous=NORMAL, one transaction per batch of seconds. A
// committed second survives the writing process being killed (SIGKILL, OOM, crash); a power
// loss may lose the last few commits but never corrupts the file.
//
// Writers and readers (the "one writer thread" model):
//   - a results_store object is used by one thread at a time (it owns one SQLite connection);
//   - exactly one object in one process writes a given run: the beacon's output thread for
//     a standalone beacon, the overseer's store thread for a fleet. Writes from other threads
//     are posted to that thread;
//   - any number of other objects, in this or other processes, may read concurrently (the
//     report, the dashboard): WAL lets them read a consistent snapshot while the writer
//     commits. A writer or reader that finds the file locked waits up to 5 s, then throws.
//
// Idempotency: append_second stores each (run, beacon, second) once. A beacon that reconnects
// and resends seconds, or an overseer restarted mid-run, may append again freely: repeats are
// ignored and reported as such.
//
// Errors: a file that is not SQLite, or an SQLite file that is not a results store, or a store
// written by a newer schema, throws bts::input_error naming the file. Unknown runs and invalid
// ids/names are bts::input_error too. SQLite failures (disk full, I/O, lock timeouts) throw
// store_error naming the file.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "stats/second_series.hpp"
#include "store/run_record.hpp"

namespace bts::store {

class store_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One second of one beacon (or of the merged run, beacon = results_store::merged), as appended.
struct second_record {
  std::string beacon;
  stats::second_row row;  // its latency digests carry the second's histograms (hdr)
  // The scope's cumulative histograms as of this second, when the writer keeps them; stored
  // only if newer than the cumulative already stored.
  std::optional<encoded_histograms> cumulative;
};

class results_store {
 public:
  // The beacon name under which merged (all-beacon) seconds and histograms are kept.
  static constexpr const char* merged = "";

  static constexpr int schema_version = 3;

  enum class mode { read_write, read_only };

  // Opens the store at `path`, creating the file and schema (read_write) if absent and applying
  // pending migrations. read_only never creates or migrates.
  explicit results_store(const std::filesystem::path& path, mode m = mode::read_write);
  ~results_store();
  results_store(results_store&&) noexcept;
  results_store& operator=(results_store&&) noexcept;

  const std::filesystem::path& path() const;

  // Batches: the writes between begin_batch() and commit_batch() share one transaction (one
  // commit for many appends: the overseer's store thread groups what its queue holds). Each
  // write stays all-or-nothing (a failing one rolls back its own part only); nothing is visible
  // to readers, nor durable, before commit_batch(). rollback_batch() drops the batch's writes.
  // Throws store_error if a batch is already open; commit/rollback without one do nothing.
  void begin_batch();
  void commit_batch();
  void rollback_batch();

  // Creates a run. An empty info.id gets a generated one ("20240501-120000-<name>", with
  // "-2", "-3"... if taken); a zero created_at becomes now. Returns the id.
  // Throws bts::input_error if the id is invalid or already used.
  std::string create_run(run_info info);

  // Adds or updates a beacon of a run.
  void put_beacon(const std::string& run, const beacon_info& beacon);

  // status = running, started_at = at.
  void start_run(const std::string& run, unix_ms at);

  // Appends seconds in one transaction. Returns how many were new (the others had been stored
  // before and are left as they were). Each record's beacon must be `merged` or a valid beacon
  // name (the beacon need not have been put first).
  std::size_t append_seconds(const std::string& run, std::span<const second_record> records);
  // One second; true if it was new.
  bool append_second(const std::string& run, const std::string& beacon,
                     const stats::second_row& row,
                     const std::optional<encoded_histograms>& cumulative = std::nullopt);

  // The last second stored for a beacon (or merged), to resume after a restart.
  std::optional<std::int64_t> last_second(const std::string& run, const std::string& beacon);

  void add_event(const std::string& run, const event& e);

  // Appends blocks seen during the run, in one transaction. A block number is stored once per
  // run (the first record wins; repeats are ignored). Returns how many were new.
  std::size_t append_blocks(const std::string& run, std::span<const block_record> blocks);

  // Sets the final status (completed, stopped or failed), ended_at and the summary.
  void finish_run(const std::string& run, run_status status, unix_ms ended_at,
                  const boost::json::object& summary);

  // Every run, newest first.
  std::vector<run_info> list_runs();

  struct load_options {
    // Per-beacon series and cumulative histograms (run_record::by_beacon and its cumulative
    // entries); off, only the merged run is read.
    bool per_beacon = true;
    // Each row's per-second histograms (latency_digest::hdr), needed only to re-merge seconds.
    // They are most of a long fleet run's size; percentiles are in the rows either way.
    bool second_histograms = true;
  };

  // Incremental reads (a dashboard poll or a /metrics scrape costs the new rows, not the run).
  // Each is one consistent snapshot and throws bts::input_error("run \"X\": not found in FILE")
  // for an unknown run.

  // The run's manifest, summary, beacons and last merged second, without any series.
  struct run_head {
    run_info info;
    std::optional<boost::json::object> summary;
    std::vector<beacon_info> beacons;          // by name
    std::optional<std::int64_t> merged_up_to;  // the last merged second stored
  };
  run_head load_run_head(const std::string& run);

  // The rows of one scope (a beacon, or `merged`) from second `from` on, by second, without
  // their per-second histograms (as load_run with second_histograms off). nullopt if the scope
  // has no second stored at all.
  std::optional<std::vector<stats::second_row>> load_seconds(const std::string& run,
                                                             const std::string& beacon,
                                                             std::int64_t from = 0);

  // The blocks of the run from block number `from` on, by number.
  std::vector<block_record> load_blocks(const std::string& run, std::int64_t from = 0);

  // A scope's cumulative histograms (empty entries where none are stored) and the scope's last
  // stored second.
  struct scope_cumulative {
    encoded_histograms histograms;
    std::optional<std::int64_t> last_second;
  };
  scope_cumulative load_cumulative(const std::string& run, const std::string& beacon);

  // Everything stored about a run, as one consistent snapshot even while a writer appends.
  // Throws bts::input_error("run \"X\": not found in FILE").
  run_record load_run(const std::string& id, const load_options& options);
  run_record load_run(const std::string& id) { return load_run(id, load_options{}); }

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace bts::store
