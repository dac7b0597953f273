// The numbers a run is judged by, and the verdict on whether its throughput can be trusted.
//
// Built from the run's merged per-second series and its cumulative histograms. Totals add up by
// construction: sent = accepted + rejected + unanswered. The verdict follows what users of peer
// tools asked for (k6 dropped_iterations, Nighthawk's send-rate >= 0.99, Diablo's
// behind-schedule warnings): when the load generator itself was the bottleneck, the run is
// "not valid for throughput claims", and every reason comes with its evidence as text.
//
// Threads: plain values and a pure function.
#pragma once

#include <boost/json.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "stats/second_series.hpp"

namespace bts::stats {

// When a run stops being valid for throughput claims. Defaults follow the beacon issue.
struct validity_thresholds {
  // Cumulative schedule-lag p99 above this means the beacon fell behind its own schedule.
  std::int64_t max_lag_p99_us = 10'000;
  // sent / offered below this, while the node had headroom, means the beacon could not offer
  // the load it was asked to.
  double min_achieved_ratio = 0.99;
  // A node whose CPU peaked below this had headroom (so a shortfall is the beacon's fault).
  double node_busy_cpu_percent = 90;
  // A send thread above this share of one core, in any second, was saturated.
  double max_send_cpu_percent = 90;
  // Beacon-side rejections (stats/rejection.hpp: the beacons' own funds, fees, expirations...)
  // above this share of the sent transactions make the run say nothing about the network.
  double max_beacon_side_rejection_ratio = 0.01;
};

// A node is "behind" in a second when its head_lag_blocks is at least this (one block of lag is
// a block still on its way).
inline constexpr double behind_lag_blocks = 2;

// The transactions one beacon-side node received (by node URL): known to the beacon that sent
// them, not to the merged rows.
struct node_tx_counts {
  std::int64_t sent = 0, accepted = 0, included = 0;
  friend bool operator==(const node_tx_counts&, const node_tx_counts&) = default;
};

struct summary_options {
  // Nominal target rate in tx/s, for display (the check uses the offered count, which follows
  // ramps and steps). Empty for unlimited or varying profiles.
  std::optional<double> target_rate;
  bool unlimited = false;  // no schedule: lag and achieved-ratio checks do not apply
  // Exact run length; when empty, the span of seconds in the series is used.
  std::optional<double> duration_seconds;
  validity_thresholds thresholds;
  // Per node URL, when the caller knows them (a beacon; a fleet's beacons' merged).
  std::map<std::string, node_tx_counts> node_tx;
};

// One node of the run: its head lag over the seconds (the rows' node_load head_lag_blocks) and,
// when known, its transactions.
struct node_summary {
  std::string url;
  std::optional<node_tx_counts> tx;
  std::optional<double> peak_head_lag_blocks;  // null: the head was never sampled
  std::int64_t seconds_behind = 0;             // seconds with a lag >= behind_lag_blocks
  double least_lag_behind_blocks = 0;          // the smallest lag among those seconds
};

// The counters (stats::counters, the base) are the run's totals.
struct run_summary : counters {
  double duration_seconds = 0;
  std::int64_t seconds = 0;  // rows in the series
  std::int64_t beacons = 0;  // most beacons seen in one second
  std::int64_t unanswered = 0;  // sent - accepted - rejected

  // Rates in tx/s over duration_seconds.
  std::optional<double> target_rate;
  double offered_rate = 0;
  double achieved_rate = 0;  // sent
  double accepted_rate = 0;
  double included_rate = 0;
  std::optional<double> achieved_ratio;  // sent / offered; empty when unlimited or nothing offered
  std::optional<double> inclusion_ratio;  // included / accepted; empty when nothing accepted

  // Peaks over the run's seconds (% of one core).
  std::optional<double> peak_beacon_cpu_percent;
  std::optional<double> peak_send_cpu_percent;
  std::optional<double> peak_node_cpu_percent;

  // Cumulative latency percentiles (no hdr: the histograms are stored next to the summary).
  std::array<latency_digest, latency_kind_count> latency;
  const latency_digest& operator[](latency_kind k) const {
    return latency[static_cast<std::size_t>(k)];
  }

  // By URL: every node with a sampled head or known transactions.
  std::vector<node_summary> per_node;

  bool valid_for_throughput = true;
  std::vector<std::string> invalid_reasons;  // why not, each with its evidence
  std::vector<std::string> notes;            // observations that do not invalidate the run
};

// REQUIRES: `merged` is the run's merged series and `cumulative` the run's merged cumulative
// histograms (counters come from the series, percentiles from the histograms).
run_summary summarize(const second_series& merged, const latency_set& cumulative,
                      const summary_options& options);

// "ws://... was 5–7 blocks behind for 24 s; 2,990 of the 3,000 transactions it accepted were
// never included"; empty when the node was never behind.
std::string behind_note(const node_summary& n);

// The form written to summary.json (docs/formats.md). Rates rounded to 0.01 tx/s, ratios to
// 1e-4. per_node: [{url, sent, accepted, included, not_included (null when not known),
// peak_head_lag_blocks, seconds_behind, head_lag_behind_min_blocks (null when never behind)}],
// absent when empty.
boost::json::object to_json(const run_summary& s);

}  // namespace bts::stats
