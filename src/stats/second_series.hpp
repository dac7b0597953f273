// What a run measured, second by second: counters, gauges and latency percentiles per second,
// for one beacon or merged over many.
//
// Merging (beacons of one run, or the seconds of one beacon into run totals) sums counters and
// merges the per-second HDR histograms carried in each row; percentiles are then recomputed from
// the merged histogram. Percentiles are never averaged.
//
// The JSON form of a row is one line of `series.jsonl` (docs/formats.md, "series.jsonl") and
// the payload of a beacon's per-second statistics message.
//
// Threads: plain values; no shared state.
#pragma once

#include <boost/json.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stats/counters.hpp"
#include "stats/latency_histogram.hpp"

namespace bts::stats {

// The latency distributions a beacon measures. All in microseconds.
//   schedule_lag           actual send time - intended send time (how late the sender was)
//   ack_corrected          node's answer to broadcast - intended send time
//   ack_uncorrected        node's answer to broadcast - actual send time
//   inclusion_corrected    seen included in a block - intended send time
//   inclusion_uncorrected  seen included in a block - actual send time
// "corrected" is free of coordinated omission: a sender that fell behind cannot hide it.
enum class latency_kind {
  schedule_lag,
  ack_corrected,
  ack_uncorrected,
  inclusion_corrected,
  inclusion_uncorrected
};
inline constexpr std::size_t latency_kind_count = 5;
inline constexpr std::array<latency_kind, latency_kind_count> all_latency_kinds = {
    latency_kind::schedule_lag, latency_kind::ack_corrected, latency_kind::ack_uncorrected,
    latency_kind::inclusion_corrected, latency_kind::inclusion_uncorrected};

// "schedule_lag", "ack_corrected", ... (the names used in JSON, file names and the store).
std::string_view name(latency_kind k);
std::optional<latency_kind> parse_latency_kind(std::string_view text);

// One histogram per latency_kind: a beacon keeps one set for the current second and one for the
// whole run. About 1 MB. Not thread-safe (see latency_histogram).
class latency_set {
 public:
  latency_histogram& operator[](latency_kind k) { return h_[static_cast<std::size_t>(k)]; }
  const latency_histogram& operator[](latency_kind k) const {
    return h_[static_cast<std::size_t>(k)];
  }
  void merge(const latency_set& other);
  void reset();

 private:
  std::array<latency_histogram, latency_kind_count> h_;
};

// Percentiles of one distribution, in microseconds, and the encoded histogram they came from.
struct latency_digest {
  std::int64_t count = 0;
  std::int64_t min = 0;
  std::int64_t p50 = 0;
  std::int64_t p90 = 0;
  std::int64_t p99 = 0;
  std::int64_t p999 = 0;
  std::int64_t max = 0;
  double mean = 0;  // rounded to 0.1 µs
  // latency_histogram::encode() of the distribution, or empty when not carried (e.g. in a run
  // summary, whose histograms live next to it). Rows without it cannot be merged.
  std::string hdr;

  static latency_digest of(const latency_histogram& h, bool with_hdr = true);
  friend bool operator==(const latency_digest&, const latency_digest&) = default;
};

// node_load_row: stats/counters.hpp.

// One second of a run. Counters count events that happened during the second; gauges are read
// at its end. For a merged row (many beacons) counters and in-flight/pool gauges are sums, CPU
// figures are the maximum over the merged rows (the busiest beacon or node shows), latencies are
// recomputed from merged histograms.
struct second_row : counters, gauges {
  std::int64_t second = 0;   // whole seconds since the run's start: 0 covers [start, start+1s)
  std::int64_t beacons = 1;  // how many beacons' rows were merged into this one

  // Counters and gauges: the bases (stats/counters.hpp, which names them for every output).
  // Each measured node's load, by node URL (as the scenario names it). Empty when no node is
  // measured; JSON "node_load": [{"node": URL, ...}] sorted by URL, absent when empty.
  std::map<std::string, node_load_row> node_load;

  std::array<latency_digest, latency_kind_count> latency;
  latency_digest& operator[](latency_kind k) { return latency[static_cast<std::size_t>(k)]; }
  const latency_digest& operator[](latency_kind k) const {
    return latency[static_cast<std::size_t>(k)];
  }

  // Fills `latency` from one second's histograms (encoding them).
  void set_latency(const latency_set& window);
  // Merges a reading of `node` into node_load[node] and raises node_cpu_percent to its CPU.
  void add_node_load(const std::string& node, const node_load_row& load);

  friend bool operator==(const second_row&, const second_row&) = default;
};

boost::json::object to_json(const second_row& row);
// {"count", "min", "p50", "p90", "p99", "p999", "max", "mean"} and "hdr" when carried.
boost::json::object to_json(const latency_digest& d);
// Throws bts::input_error naming `where` (e.g. "series.jsonl:12") and the member.
second_row row_from_json(const boost::json::value& v, const std::string& where);

// Merges rows of the same second from different beacons.
// Usage: second_merger m(5); m.add(a); m.add(b); second_row r = m.result();
// Throws bts::input_error when a row has latency samples but no histogram, or a histogram that
// does not decode. Not thread-safe; holds a latency_set (about 1 MB).
class second_merger {
 public:
  explicit second_merger(std::int64_t second) { merged_.second = second; merged_.beacons = 0; }
  // REQUIRES: row.second == the merger's second.
  void add(const second_row& row);
  // The merged row; latency digests carry the merged histograms.
  second_row result() const;
  // The merged per-second histograms (e.g. to fold into a cumulative set).
  const latency_set& histograms() const { return histograms_; }

 private:
  second_row merged_;
  latency_set histograms_;
};

// A run's rows ordered by second, at most one per second. A plain value.
class second_series {
 public:
  const std::vector<second_row>& rows() const { return rows_; }
  bool empty() const { return rows_.empty(); }
  const second_row* find(std::int64_t second) const;

  // Adds the row for a second not yet present; throws bts::input_error("second N appears twice")
  // otherwise.
  void insert(second_row row);

  // The series of several beacons merged second by second (see second_merger). A second
  // missing from some beacons is merged from those that have it; its `beacons` says how many.
  static second_series merge(std::span<const second_series> beacons);

  // One compact JSON object per line, each line ending in '\n'.
  std::string to_jsonl() const;
  // Inverse of to_jsonl; blank lines are skipped; `where` names the source (a file) and errors
  // name its line: "DIR/series.jsonl:3.sent: expected an integer".
  static second_series from_jsonl(std::string_view text, const std::string& where);

  friend bool operator==(const second_series&, const second_series&) = default;

 private:
  std::vector<second_row> rows_;
};

// Every second folded into one row: counters summed, gauges from the last second, CPU figures
// the maximum, latency digests from the merged per-second histograms (so they need `hdr`).
// The result's `second` is the first second's, `beacons` the maximum over the rows.
second_row totals(const second_series& series);

}  // namespace bts::stats
