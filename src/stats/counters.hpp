// The counters and gauges of one second (stats::second_row's numbers, and each measured node's
// load), and the tables that name each of them for every output: series.jsonl and the
// statistics message, summary.json's totals, the Prometheus exposition, report.json, the
// Elasticsearch documents and mapping. Those outputs iterate the tables below instead of listing
// members, so a new counter is one member here plus one table entry (a static_assert below and
// tests/stats/counters_test.cpp fail when a member has no entry).
//
// Usage:
//   for (const counter_field& f : counter_fields) out[f.key] = row.*(f.member);
//   c.add(other);  // every counter, rejected_by_reason included
//
// Folding (beacons of one second merged, or a run's seconds totalled):
//   counters      summed, always
//   count gauges  summed over the beacons of one second (their in-flight counts add up); a
//                 run's total takes its last second's
//   cpu gauges    the maximum (the busiest beacon or node shows); the peak over a run
//   node loads    each member's maximum (node_load_row::merge)
//
// Threads: plain values and constant tables.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace bts::stats {

// Events counted during a second (a row), or over a run (a summary's totals).
struct counters {
  std::int64_t offered = 0;   // sends the schedule made due (unlimited mode: equal to sent)
  std::int64_t sent = 0;      // broadcasts written to a node
  std::int64_t accepted = 0;  // answers: accepted by the node
  std::int64_t rejected = 0;  // answers: rejected (by reason below)
  // By reason ("fc:10 insufficient_balance", stats/rejection.hpp), at most max_reasons keys
  // (and their folds); sums to rejected.
  std::map<std::string, std::int64_t> rejected_by_reason;
  std::int64_t included = 0;  // seen in a block
  std::int64_t ops_sent = 0;
  std::int64_t ops_included = 0;
  std::int64_t bytes_sent = 0;
  std::int64_t pool_misses = 0;  // sends that found no pre-signed transaction ready
  std::int64_t expired = 0;      // pre-signed transactions dropped unsent because they expired
  std::int64_t timeouts = 0;     // broadcasts with no answer in time (they stay unanswered)
  std::int64_t disconnects = 0;
  std::int64_t reconnects = 0;

  // Adds every counter of `other` (rejected_by_reason by reason).
  void add(const counters& other);
  friend bool operator==(const counters&, const counters&) = default;
};

// Read at a second's end.
struct gauges {
  std::int64_t in_flight = 0;                // sent, not yet answered
  std::int64_t pool_depth = 0;               // pre-signed transactions ready
  std::optional<double> beacon_cpu_percent;  // whole beacon process, % of one core
  std::optional<double> send_cpu_percent;    // the send thread, % of one core
  std::optional<double> node_cpu_percent;    // the node(s) the beacon sends to, % of one core
  friend bool operator==(const gauges&, const gauges&) = default;
};

// One counter, in the order of every output (series.jsonl, summary.json totals, Prometheus,
// the Elasticsearch mapping); report.json's series has its own order (report_column).
struct counter_field {
  std::string_view key;  // the JSON member and store name ("pool_misses")
  std::int64_t counters::*member;
  // Prometheus: family suffix after the scope's prefix ("_tx_sent_total") and its # HELP.
  std::string_view prometheus;
  std::string_view help;
  // True for `rejected`: rejected_by_reason and rejected_by_side follow it in JSON, and
  // Prometheus writes one sample per reason (labels `code`, `reason`, `side`) instead of the total.
  bool by_reason = false;
  // Place among report.json's series columns (1 first); 0: not a report column.
  int report_column = 0;
  // The report's "errors by reason" plot shows the counter under this label when it is
  // non-zero in some second; empty: not an error.
  std::string_view error_label = {};
};

inline constexpr std::array<counter_field, 13> counter_fields = {{
    {"offered", &counters::offered, "_tx_offered_total", "Transactions the schedule made due.",
     false, 1},
    {"sent", &counters::sent, "_tx_sent_total", "Transactions broadcast to a node.", false, 2},
    {"accepted", &counters::accepted, "_tx_accepted_total", "Broadcasts the node accepted.", false,
     3},
    {"rejected", &counters::rejected, "_tx_rejected_total",
     "Broadcasts the node rejected, by reason and side.", true, 4},
    {"included", &counters::included, "_tx_included_total",
     "Transactions seen included in a block.", false, 5},
    {"ops_sent", &counters::ops_sent, "_ops_sent_total",
     "Operations in the transactions broadcast.", false, 6},
    {"ops_included", &counters::ops_included, "_ops_included_total",
     "Operations in the transactions included.", false, 7},
    {"bytes_sent", &counters::bytes_sent, "_sent_bytes_total",
     "Serialized bytes of the transactions broadcast.", false, 8},
    {"pool_misses", &counters::pool_misses, "_pool_misses_total",
     "Sends that found no pre-signed transaction ready.", false, 10, "pool misses"},
    {"expired", &counters::expired, "_tx_expired_total",
     "Pre-signed transactions dropped unsent because they expired.", false, 11, "expired unsent"},
    {"timeouts", &counters::timeouts, "_broadcast_timeouts_total",
     "Broadcasts with no answer in time.", false, 9, "timeouts (no answer)"},
    {"disconnects", &counters::disconnects, "_node_disconnects_total",
     "Node connections lost (or failed to connect).", false, 12, "disconnects"},
    {"reconnects", &counters::reconnects, "_node_reconnects_total",
     "Node connections re-established.", false, 0},
}};

// An integer gauge; in JSON and the Elasticsearch mapping right after the counters, in the
// report after its counter columns, in Prometheus after the counters.
struct count_gauge_field {
  std::string_view key;
  std::int64_t gauges::*member;
  std::string_view prometheus;
  std::string_view help;
};

inline constexpr std::array<count_gauge_field, 2> count_gauge_fields = {{
    {"in_flight", &gauges::in_flight, "_in_flight", "Broadcasts sent and not yet answered."},
    {"pool_depth", &gauges::pool_depth, "_pool_depth", "Pre-signed transactions ready to send."},
}};

// A CPU gauge in % of one core; JSON rounds it to 2 decimals (null when not measured),
// Prometheus writes it in cores.
struct cpu_gauge_field {
  std::string_view key;
  std::optional<double> gauges::*member;
  std::string_view prometheus;
  std::string_view help;
};

inline constexpr std::array<cpu_gauge_field, 3> cpu_gauge_fields = {{
    {"beacon_cpu_percent", &gauges::beacon_cpu_percent, "_cpu_ratio",
     "Beacon process CPU, in cores (1 = one core busy)."},
    {"send_cpu_percent", &gauges::send_cpu_percent, "_send_thread_cpu_ratio",
     "The beacon's send thread CPU, in cores."},
    {"node_cpu_percent", &gauges::node_cpu_percent, "_node_cpu_ratio",
     "CPU of the node(s) under test, in cores."},
}};

// The load of one node under test at the end of a second, as the beacon's node_load source read
// it (monitor/node_load.hpp), and its head as the beacon's head sampling read it
// (beacon/head_sampling.hpp: every node a run sends to, whatever its node_load). Every field is
// null when the source does not give it or the reading failed or is older than 3 s. Merged
// (several beacons sampling the same node, or the seconds of a run folded into totals): each
// field's maximum (a lag's maximum is the worst any beacon saw).
struct node_load_row {
  std::optional<double> cpu_percent;   // % of one core (2 busy cores = 200)
  std::optional<double> cpu_cores;     // cores the host (node_exporter) or process has
  std::optional<double> memory_bytes;  // used (node_exporter) or resident (process) bytes
  std::optional<double> net_rx_bytes_per_s;
  std::optional<double> net_tx_bytes_per_s;
  std::optional<double> disk_read_bytes_per_s;
  std::optional<double> disk_write_bytes_per_s;
  // The node's head: block number, and how far it is behind. head_lag_blocks is the freshest
  // head among the nodes the same beacon sampled in that second minus this node's (0 for the
  // freshest; a node that stopped answering keeps its last answered head, so its lag grows);
  // head_age_seconds is the sample's time minus the head block's timestamp;
  // irreversible_lag_blocks is head - last irreversible block.
  std::optional<double> head_block_num;
  std::optional<double> head_lag_blocks;
  std::optional<double> head_age_seconds;
  std::optional<double> irreversible_lag_blocks;

  bool empty() const;
  // Some member that is not the head (node_load_field::head) is set.
  bool has_load() const;
  // Each member becomes the maximum of the two (null only when both are).
  void merge(const node_load_row& other);
  friend bool operator==(const node_load_row&, const node_load_row&) = default;
};

// One member of node_load_row, in the order of every output (series.jsonl's node_load items,
// Prometheus, the Elasticsearch node_load records and mapping, report.json).
struct node_load_field {
  std::string_view key;
  std::optional<double> node_load_row::*member;
  // Bytes and block counts are written as whole numbers (an Elasticsearch long); the rest with
  // 2 decimals (float).
  bool bytes;
  std::string_view prometheus;  // gauge family suffix, one sample per node (label `node`)
  std::string_view help;
  bool percent;  // % of one core: Prometheus writes it in cores
  // report.json: the member of per_node holding the run's peak, and a column of
  // series.node_load; empty: shown once per node under `key` (after the peaks), no column.
  std::string_view report_peak;
  // The node's head (head_sampling), not its load: sampled for every node, so it does not make
  // a node count as load-measured.
  bool head = false;
};

inline constexpr std::array<node_load_field, 11> node_load_fields = {{
    {"cpu_percent", &node_load_row::cpu_percent, false, "_node_load_cpu_ratio",
     "CPU of the node under test (host or process), in cores (1 = one core busy).", true,
     "cpu_peak_percent"},
    {"cpu_cores", &node_load_row::cpu_cores, false, "_node_load_cpu_cores",
     "Cores of the node's host (node_exporter) or process.", false, ""},
    {"memory_bytes", &node_load_row::memory_bytes, true, "_node_load_memory_bytes",
     "Memory of the node: used by the host (node_exporter) or resident in the process.", false,
     "memory_peak_bytes"},
    {"net_rx_bytes_per_s", &node_load_row::net_rx_bytes_per_s, true,
     "_node_load_network_receive_bytes_per_second", "Bytes the node's host received per second.",
     false, "net_rx_peak_bytes_per_s"},
    {"net_tx_bytes_per_s", &node_load_row::net_tx_bytes_per_s, true,
     "_node_load_network_transmit_bytes_per_second", "Bytes the node's host sent per second.",
     false, "net_tx_peak_bytes_per_s"},
    {"disk_read_bytes_per_s", &node_load_row::disk_read_bytes_per_s, true,
     "_node_load_disk_read_bytes_per_second", "Bytes the node's host read from disk per second.",
     false, "disk_read_peak_bytes_per_s"},
    {"disk_write_bytes_per_s", &node_load_row::disk_write_bytes_per_s, true,
     "_node_load_disk_written_bytes_per_second", "Bytes the node's host wrote to disk per second.",
     false, "disk_write_peak_bytes_per_s"},
    {"head_block_num", &node_load_row::head_block_num, true, "_node_head_block_number",
     "Head block number of the node.", false, "", true},
    {"head_lag_blocks", &node_load_row::head_lag_blocks, true, "_node_head_lag_blocks",
     "Blocks the node's head is behind the freshest node the beacon samples.", false,
     "head_lag_peak_blocks", true},
    {"head_age_seconds", &node_load_row::head_age_seconds, false, "_node_head_age_seconds",
     "Seconds between the node's head block timestamp and the sample.", false,
     "head_age_peak_seconds", true},
    {"irreversible_lag_blocks", &node_load_row::irreversible_lag_blocks, true,
     "_node_irreversible_lag_blocks",
     "Blocks between the node's head and its last irreversible "
     "block.",
     false, "irreversible_lag_peak_blocks", true},
}};

// Every counter is in the table: counters holds 13 counters and rejected_by_reason (a table
// entry's by_reason). A member added without an entry changes the size and fails here.
static_assert(sizeof(counters) == counter_fields.size() * sizeof(std::int64_t) +
                                      sizeof(std::map<std::string, std::int64_t>),
              "a member of stats::counters has no entry in counter_fields (or the reverse)");
static_assert(sizeof(gauges) == count_gauge_fields.size() * sizeof(std::int64_t) +
                                    cpu_gauge_fields.size() * sizeof(std::optional<double>),
              "a member of stats::gauges has no entry in its table (or the reverse)");
static_assert(sizeof(node_load_row) == node_load_fields.size() * sizeof(std::optional<double>),
              "a member of stats::node_load_row has no entry in node_load_fields");

}  // namespace bts::stats
