// What is kept about a run: its identity and manifest, its beacons, its per-second series
// (merged and per beacon), its cumulative histograms, its events and summary. The results
// store (results_store.hpp) and run directories (run_directory.hpp) both hold exactly this;
// the report reads a run_record from either.
//
// Threads: plain values.
#pragma once

#include <boost/json.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stats/run_summary.hpp"
#include "stats/second_series.hpp"

namespace bts::store {

// Milliseconds since the Unix epoch, UTC.
using unix_ms = std::int64_t;

unix_ms now_unix_ms();
// "2024-05-01T12:00:00.123Z" (always milliseconds, always Z).
std::string format_unix_ms(unix_ms t);
// Inverse of format_unix_ms; also accepts no fraction or no Z. Throws bts::input_error(where).
unix_ms parse_unix_ms(std::string_view text, const std::string& where);

enum class run_status { created, running, completed, stopped, failed };
std::string_view name(run_status s);
std::optional<run_status> parse_run_status(std::string_view text);

// Run ids and beacon names become file and directory names: 1 to 128 (run) or 64 (beacon)
// characters from [A-Za-z0-9._-], not starting with '.' or '-'. Throws bts::input_error(where,
// ...) otherwise.
void check_run_id(std::string_view id, const std::string& where);
void check_beacon_name(std::string_view name, const std::string& where);

struct run_info {
  std::string id;
  std::string name;           // a title for people
  std::string scenario_name;  // preset name or scenario file name
  std::string scenario_text;  // the scenario exactly as given, so the run can be repeated
  // What else shaped the run: seed, versions, chain id and parameters, node info... Free-form;
  // its members must not be named format, format_version, run, scenario or beacons
  // (manifest.json uses those; see check_manifest).
  boost::json::object manifest;
  unix_ms created_at = 0;
  std::optional<unix_ms> started_at;
  std::optional<unix_ms> ended_at;
  run_status status = run_status::created;

  friend bool operator==(const run_info&, const run_info&) = default;
};

// Throws bts::input_error("manifest.<key>", "reserved ...") if the free-form manifest uses a
// member name that manifest.json reserves.
void check_manifest(const boost::json::object& manifest);
// The reserved names, in manifest.json order.
inline constexpr std::array<std::string_view, 5> reserved_manifest_keys = {
    "format", "format_version", "run", "scenario", "beacons"};

struct beacon_info {
  std::string name;
  boost::json::object info;  // version, host, cores, node URL... free-form
  friend bool operator==(const beacon_info&, const beacon_info&) = default;
};

enum class event_kind {
  start,
  stop,
  rate_change,
  error,
  break_point,  // where a maximum-throughput search found the limit
  beacon_joined,
  beacon_lost,
  note,
};
std::string_view name(event_kind k);
std::optional<event_kind> parse_event_kind(std::string_view text);

struct event {
  unix_ms time = 0;
  event_kind kind = event_kind::note;
  std::string beacon;  // empty: the whole run
  boost::json::object data;
  friend bool operator==(const event&, const event&) = default;
};

// The five cumulative histograms of one scope (indexed by stats::latency_kind), encoded; an
// empty string where none was recorded.
using encoded_histograms = std::array<std::string, stats::latency_kind_count>;
encoded_histograms encode(const stats::latency_set& set);
// Throws bts::input_error naming the kind when a histogram does not decode.
stats::latency_set decode(const encoded_histograms& h);

// One block the beacon saw during the run (from its block-applied subscription and get_block),
// for block fill and throughput-per-block analysis. JSON: an object with exactly these member
// names (blocks.jsonl, docs/formats.md).
struct block_record {
  std::int64_t block_num = 0;
  std::int64_t time_ms = 0;  // the block's timestamp, unix ms (a whole second on BitShares)
  std::string witness;       // "1.6.N"
  std::int64_t transactions = 0;
  std::int64_t operations = 0;
  // Packed size of the signed_block (header, witness signature and processed transactions with
  // their operation_results) as fc::raw::pack_size counts it; what maximum_block_size limits.
  std::int64_t bytes = 0;
  std::int64_t run_transactions = 0;  // how many of `transactions` this run sent
  std::int64_t max_block_size = 0;    // the chain's maximum_block_size when the run started

  friend bool operator==(const block_record&, const block_record&) = default;
};

struct run_record {
  run_info info;
  std::vector<beacon_info> beacons;
  stats::second_series merged;                            // over all beacons
  std::map<std::string, stats::second_series> by_beacon;  // may be empty (e.g. one beacon)
  // Cumulative histograms: key "" for the merged run, else a beacon name.
  std::map<std::string, encoded_histograms> cumulative;
  std::vector<event> events;                   // in time order
  std::vector<block_record> blocks;            // by block_num, one per block number
  std::optional<boost::json::object> summary;  // as written when the run finished

  friend bool operator==(const run_record&, const run_record&) = default;
};

// Each node URL's transactions over a run's beacons: the sum of the beacons' end-of-run note
// events {"per_node": [{url, sent, accepted, included}]} (beacon.hpp). Malformed items are
// skipped: a beacon's note is informative, not a contract the store enforces.
std::map<std::string, stats::node_tx_counts> node_tx_of(const std::vector<event>& events);

// JSON forms shared by the store and run directories (docs/formats.md).
boost::json::object to_json(const event& e);
event event_from_json(const boost::json::value& v, const std::string& where);
boost::json::object to_json(const beacon_info& b);
beacon_info beacon_from_json(const boost::json::value& v, const std::string& where);
boost::json::object to_json(const block_record& b);
// Throws bts::input_error naming the member ("blocks.jsonl:3.bytes: expected an integer").
block_record block_from_json(const boost::json::value& v, const std::string& where);

}  // namespace bts::store
