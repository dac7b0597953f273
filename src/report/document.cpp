#include <cctype>
#include <cmath>
#include <string>
#include <vector>

#include "report/detail/document.hpp"
#include "report/detail/format.hpp"
#include "stats/json_io.hpp"
#include "stats/rejection.hpp"

namespace bts::report::detail {
namespace {

namespace json = boost::json;
using type = element::type;

const json::value null_value;

const json::value& at(const json::value& v, std::initializer_list<const char*> keys) {
  const json::value* cur = &v;
  for (const char* k : keys) {
    const auto* o = cur->if_object();
    if (o == nullptr) return null_value;
    const auto* next = o->if_contains(k);
    if (next == nullptr) return null_value;
    cur = next;
  }
  return *cur;
}

std::string str(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : cell(v);
}

double num(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  if (v.is_uint64()) return static_cast<double>(v.as_uint64());
  if (v.is_double()) return v.as_double();
  return 0;
}

// An event's data for people: "rate 800, reason inclusion p99 above 10 s".
std::string describe(const json::value& data) {
  const auto* o = data.if_object();
  if (o == nullptr) return json::serialize(data);
  if (o->empty()) return "\u2014";
  std::string out;
  for (const auto& kv : *o) {
    out += (out.empty() ? "" : ", ") + std::string(kv.key()) + " " +
           (kv.value().is_string() ? std::string(kv.value().as_string())
                                   : json::serialize(kv.value()));
  }
  return out;
}

std::string rate_cell(const json::value& v) {
  return v.is_null() ? "\u2014" : number(num(v), 2) + " tx/s";
}

class writer {
 public:
  std::vector<element> out;

  static element make(type k) {
    element e;
    e.kind = k;
    return e;
  }
  void begin(const std::string& id) {
    element e = make(type::section_begin);
    e.id = id;
    out.push_back(std::move(e));
  }
  void end() { out.push_back(make(type::section_end)); }
  int shift = 0;  // 1 for a single run: its sections are level 2
  void heading(int level, const std::string& text) {
    element e = make(type::heading);
    e.level = level > 2 ? level - shift : level;
    e.text = text;
    out.push_back(std::move(e));
  }
  void para(const std::string& text, const std::string& style = "") {
    element e = make(type::paragraph);
    e.text = text;
    e.style = style;
    out.push_back(std::move(e));
  }
  void list(std::vector<std::string> items) {
    if (items.empty()) return;
    element e = make(type::list);
    e.items = std::move(items);
    out.push_back(std::move(e));
  }
  void table(std::vector<std::string> headers, std::vector<std::vector<std::string>> rows) {
    element e = make(type::table);
    e.headers = std::move(headers);
    e.rows = std::move(rows);
    out.push_back(std::move(e));
  }
  void code(const std::string& text, const std::string& lang) {
    element e = make(type::code);
    e.text = text;
    e.style = lang;
    out.push_back(std::move(e));
  }
  void plot(const std::string& id, const std::string& kind, const std::string& title, int run) {
    element e = make(type::plot);
    e.id = id;
    e.text = title;
    e.style = kind;
    e.run = run;
    out.push_back(std::move(e));
  }
};

std::vector<std::string> strings(const json::value& v) {
  std::vector<std::string> out;
  if (const auto* a = v.if_array()) {
    for (const auto& x : *a) out.push_back(str(x));
  }
  return out;
}

void verdict(writer& w, const json::value& run, const std::string& p) {
  const json::value& v = run.at("verdict");
  w.begin(p + "verdict");
  w.heading(3, "Verdict");
  const bool valid =
      at(v, {"valid_for_throughput"}).is_bool() && at(v, {"valid_for_throughput"}).as_bool();
  w.para(str(at(v, {"headline"})), valid ? "good" : "bad");
  auto reasons = strings(at(v, {"invalid_reasons"}));
  if (!reasons.empty()) {
    w.para("Why the run is not valid for throughput claims (evidence):");
    w.list(reasons);
  }
  auto losses = strings(at(v, {"losses"}));
  if (!losses.empty()) {
    w.para("Where transactions were lost:");
    w.list(losses);
  }
  auto notes = strings(at(v, {"notes"}));
  auto remarks = strings(run.at("remarks"));
  notes.insert(notes.end(), remarks.begin(), remarks.end());
  if (!notes.empty()) {
    w.para("Notes:");
    w.list(notes);
  }
  w.end();
}

void summary(writer& w, const json::value& run, const std::string& p) {
  const json::value& f = run.at("facts");
  const json::value& s = run.at("summary");
  w.begin(p + "summary");
  w.heading(3, "Summary");
  std::string nodes;
  for (const auto& n : strings(at(f, {"nodes"}))) nodes += (nodes.empty() ? "" : ", ") + n;
  std::string versions;
  if (const auto* o = at(f, {"versions"}).if_object()) {
    for (const auto& kv : *o)
      versions += (versions.empty() ? "" : ", ") + std::string(kv.key()) + " " + str(kv.value());
  }
  w.table({"", ""}, {{"Run", str(run.at("id")) + " (" + str(run.at("name")) + ")"},
                     {"Scenario", str(at(f, {"scenario"}))},
                     {"Load", str(at(f, {"load"}))},
                     {"Status", str(run.at("status"))},
                     {"Started", str(run.at("started_at"))},
                     {"Ended", str(run.at("ended_at"))},
                     {"Duration", number(num(at(f, {"duration_seconds"})), 3) + " s (" +
                                      cell(at(f, {"seconds_recorded"})) + " seconds recorded)"},
                     {"Beacons", cell(at(f, {"beacons"}))},
                     {"Nodes", nodes.empty() ? "\u2014" : nodes},
                     {"Chain id", str(at(f, {"chain_id"}))},
                     {"Versions", versions.empty() ? "\u2014" : versions},
                     {"Seed", cell(at(f, {"seed"}))},
                     {"Summary", str(run.at("summary_source"))}});
  const json::value& t = at(s, {"totals"});
  const json::value& r = at(s, {"rates_tx_per_s"});
  w.para("Transactions over the whole run (rates are totals divided by the duration):");
  w.table({"", "target", "offered", "sent", "accepted", "rejected", "unanswered", "included"},
          {{"count", "\u2014", cell(at(t, {"offered"})), cell(at(t, {"sent"})),
            cell(at(t, {"accepted"})), cell(at(t, {"rejected"})), cell(at(t, {"unanswered"})),
            cell(at(t, {"included"}))},
           {"rate", rate_cell(at(r, {"target"})), rate_cell(at(r, {"offered"})),
            rate_cell(at(r, {"achieved"})), rate_cell(at(r, {"accepted"})), "\u2014", "\u2014",
            rate_cell(at(r, {"included"}))}});
  w.table({"", ""}, {{"Sent / offered", ratio_cell(at(s, {"ratios", "achieved"}))},
                     {"Included / accepted", ratio_cell(at(s, {"ratios", "inclusion"}))},
                     {"Operations sent / included",
                      cell(at(t, {"ops_sent"})) + " / " + cell(at(t, {"ops_included"}))},
                     {"Bytes sent", cell(at(t, {"bytes_sent"}))},
                     {"Pool misses / expired / timeouts", cell(at(t, {"pool_misses"})) + " / " +
                                                              cell(at(t, {"expired"})) + " / " +
                                                              cell(at(t, {"timeouts"}))},
                     {"Disconnects / reconnects",
                      cell(at(t, {"disconnects"})) + " / " + cell(at(t, {"reconnects"}))},
                     {"CPU peak: node / beacon / send thread (% of one core)",
                      cell(at(s, {"cpu_percent", "node_peak"})) + " / " +
                          cell(at(s, {"cpu_percent", "beacon_peak"})) + " / " +
                          cell(at(s, {"cpu_percent", "send_thread_peak"}))}});
  w.end();
}

void latency_table(writer& w, const json::value& run) {
  const json::value& kinds = at(run, {"latency_distribution", "kinds"});
  std::vector<std::vector<std::string>> rows;
  auto row = [&](const std::string& label, const json::value& d) {
    rows.push_back(
        {label, cell(at(d, {"count"})), latency_cell(at(d, {"min"})), latency_cell(at(d, {"p50"})),
         latency_cell(at(d, {"p90"})), latency_cell(at(d, {"p99"})), latency_cell(at(d, {"p999"})),
         at(d, {"p9999"}).is_null() ? "\u2014" : latency_cell(at(d, {"p9999"})),
         latency_cell(at(d, {"max"})),
         at(d, {"mean"}).is_null() ? "\u2014" : latency(std::llround(num(at(d, {"mean"}))))});
  };
  row("ack, corrected", at(kinds, {"ack_corrected", "percentiles_us"}));
  row("ack, uncorrected", at(kinds, {"ack_uncorrected", "percentiles_us"}));
  row("inclusion, corrected", at(kinds, {"inclusion_corrected", "percentiles_us"}));
  row("inclusion, uncorrected", at(kinds, {"inclusion_uncorrected", "percentiles_us"}));
  row("schedule lag", at(run, {"summary", "latency_us", "schedule_lag"}));
  w.table({"latency", "count", "min", "p50", "p90", "p99", "p99.9", "p99.99", "max", "mean"},
          std::move(rows));
}

void over_time(writer& w, const json::value& run, const std::string& p, int index) {
  const auto rows = static_cast<std::int64_t>(num(at(run, {"facts", "seconds_recorded"})));
  w.begin(p + "over-time");
  w.heading(3, "Over time");
  if (rows == 0) {
    w.para("No per-second data recorded: nothing to plot.", "note");
    w.end();
    return;
  }
  w.para(
      "Per-second values; the x axis is seconds since the run started. Corrected latencies are "
      "measured from "
      "the intended send time (free of coordinated omission), uncorrected from the actual send.");
  w.plot(p + "plot-throughput-tx", "throughput_tx",
         "Transactions per second: offered, sent, accepted, included", index);
  w.plot(p + "plot-throughput-ops", "throughput_ops", "Operations per second: sent and included",
         index);
  w.plot(p + "plot-inclusion", "inclusion_latency",
         "Inclusion latency percentiles per second (corrected and uncorrected)", index);
  const auto* errors = at(run, {"series", "errors"}).if_object();
  std::vector<std::vector<std::string>> error_rows;
  bool any_beacon_side = false;
  if (errors != nullptr) {
    // Grouped by side: the beacons' own (rejections of their setup, pool misses, expired
    // unsent) first, then the network's.
    std::vector<std::vector<std::string>> network_rows;
    for (const auto& kv : *errors) {
      std::int64_t total = 0;
      for (const auto& v : kv.value().as_array()) total += v.is_int64() ? v.as_int64() : 0;
      const std::string_view label = kv.key();
      const bool beacon = label.starts_with("rejected ")
                              ? stats::side_of(label.substr(9)) == stats::rejection_side::beacon
                              : (label == "pool misses" || label == "expired unsent");
      any_beacon_side = any_beacon_side || beacon;
      (beacon ? error_rows : network_rows)
          .push_back({std::string(label), beacon ? "beacon" : "network", thousands(total)});
    }
    for (auto& r : network_rows) error_rows.push_back(std::move(r));
  }
  w.heading(4, "Errors by reason");
  if (error_rows.empty()) {
    w.para("No rejections, timeouts, pool misses, expirations or disconnects.");
  } else {
    w.table({"reason", "side", "total"}, std::move(error_rows));
    if (any_beacon_side) {
      w.para(
          "Beacon-side errors are the beacons' own setup, not the network: their accounts' "
          "funds, fees, expirations, signatures or pre-signing.",
          "note");
    }
  }
  w.plot(p + "plot-errors", "errors", "Errors per second by reason", index);
  w.plot(p + "plot-cpu", "cpu", "CPU: node, beacon and its send thread (% of one core)", index);
  w.plot(p + "plot-lag", "schedule_lag", "Schedule lag: how late sends left versus the plan",
         index);
  w.plot(p + "plot-in-flight", "in_flight",
         "Transactions in flight (sent, not yet answered) at each second's end", index);
  w.end();
}

void blocks(writer& w, const json::value& run, const std::string& p, int index) {
  const json::value& b = run.at("blocks");
  w.begin(p + "blocks");
  w.heading(3, "Blocks");
  if (!(at(b, {"recorded"}).is_bool() && at(b, {"recorded"}).as_bool())) {
    w.para("No block data recorded for this run.", "note");
    w.end();
    return;
  }
  const json::value& largest = at(b, {"largest"});
  w.table({"", ""},
          {{"Blocks", cell(at(b, {"count"})) + " (#" + cell(at(b, {"first_block"})) + " to #" +
                          cell(at(b, {"last_block"})) + "), " + cell(at(b, {"empty_blocks"})) +
                          " empty"},
           {"Transactions in blocks (the run's own)",
            cell(at(b, {"transactions"})) + " (" + cell(at(b, {"run_transactions"})) + ")"},
           {"Mean per block", number(num(at(b, {"mean_transactions"})), 2) + " transactions, " +
                                  number(num(at(b, {"mean_bytes"})), 0) + " bytes"},
           {"maximum_block_size", at(b, {"maximum_block_size"}).is_null()
                                      ? "unknown"
                                      : cell(at(b, {"maximum_block_size"})) + " bytes"},
           {"Largest block",
            "#" + cell(at(largest, {"block_num"})) + " by " + str(at(largest, {"witness"})) + ": " +
                cell(at(largest, {"bytes"})) + " bytes, " + cell(at(largest, {"transactions"})) +
                " transactions (" +
                (at(largest, {"fill_percent"}).is_null()
                     ? std::string("fill unknown")
                     : number(num(at(largest, {"fill_percent"})), 2) + "% of maximum") +
                ")"},
           {"Peak fill", at(b, {"peak_fill_percent"}).is_null()
                             ? "\u2014"
                             : number(num(at(b, {"peak_fill_percent"})), 2) + "%"}});
  w.plot(p + "plot-blocks-tx", "blocks_tx", "Transactions per block (all, and the run's own)",
         index);
  w.plot(p + "plot-blocks-fill", "blocks_fill", "Block size and fill against maximum_block_size",
         index);
  std::vector<std::vector<std::string>> rows;
  if (const auto* a = at(b, {"by_witness"}).if_array()) {
    for (const auto& x : *a) {
      rows.push_back(
          {str(at(x, {"witness"})), cell(at(x, {"blocks"})), cell(at(x, {"transactions"}))});
    }
  }
  w.heading(4, "Blocks by witness");
  w.table({"witness", "blocks", "transactions"}, std::move(rows));
  w.end();
}

void distribution(writer& w, const json::value& run, const std::string& p, int index) {
  w.begin(p + "latency");
  w.heading(3, "Latency distribution");
  w.para("Percentiles of the whole run, from the merged HDR histograms (" +
         str(at(run, {"latency_distribution", "source"})) + "); never averaged.");
  latency_table(w, run);
  w.plot(p + "plot-spectrum-ack", "spectrum_ack",
         "Ack latency by percentile (node's answer to the broadcast)", index);
  w.plot(p + "plot-spectrum-inclusion", "spectrum_inclusion",
         "Inclusion latency by percentile (seen in a block)", index);
  w.end();
}

void beacons_and_nodes(writer& w, const json::value& run, const std::string& p, int index) {
  w.begin(p + "beacons");
  w.heading(3, "Beacons");
  std::vector<std::vector<std::string>> rows;
  if (const auto* a = run.at("per_beacon").if_array()) {
    for (const auto& b : *a) {
      std::string host;
      if (const auto* info = at(b, {"info"}).if_object()) {
        for (const char* k : {"host", "cores", "version"}) {
          if (const auto* v = info->if_contains(k))
            host += (host.empty() ? "" : ", ") + std::string(k) + " " + str(*v);
        }
      }
      if (!(at(b, {"recorded"}).is_bool() && at(b, {"recorded"}).as_bool())) {
        rows.push_back({str(at(b, {"name"})), host.empty() ? "\u2014" : host,
                        "no per-beacon series recorded"});
        rows.back().resize(12, "\u2014");
        continue;
      }
      std::string flags;
      for (const auto& f : strings(at(b, {"flags"}))) flags += (flags.empty() ? "" : "; ") + f;
      rows.push_back(
          {str(at(b, {"name"})), host.empty() ? "\u2014" : host, rate_cell(at(b, {"sent_rate"})),
           rate_cell(at(b, {"included_rate"})), ratio_cell(at(b, {"achieved_ratio"})),
           ratio_cell(at(b, {"inclusion_ratio"})), cell(at(b, {"rejected"})),
           latency_cell(at(b, {"schedule_lag_p99_us"})),
           latency_cell(at(b, {"ack_corrected_p99_us"})),
           latency_cell(at(b, {"inclusion_corrected_p99_us"})),
           cell(at(b, {"beacon_cpu_peak"})) + " / " + cell(at(b, {"send_thread_cpu_peak"})),
           flags.empty() ? "ok" : flags});
    }
  }
  if (rows.empty()) {
    w.para("No beacons recorded.", "note");
  } else {
    w.table(
        {"beacon", "host", "sent", "included", "sent / offered", "included / accepted", "rejected",
         "lag p99", "ack p99", "inclusion p99", "CPU peak beacon / send %", "stands out"},
        std::move(rows));
  }
  w.end();
  w.begin(p + "nodes");
  w.heading(3, "Nodes");
  rows.clear();
  bool any_load = false;
  if (const auto* a = run.at("per_node").if_array()) {
    for (const auto& n : *a) {
      if (at(n, {"load_measured"}).is_bool() && at(n, {"load_measured"}).as_bool()) any_load = true;
      std::string cpu = cell(at(n, {"cpu_peak_percent"}));
      if (!at(n, {"cpu_peak_percent"}).is_null() && !at(n, {"cpu_cores"}).is_null())
        cpu += " (" + cell(at(n, {"cpu_cores"})) + " cores)";
      rows.push_back({str(at(n, {"url"})), cell(at(n, {"connections"})), cell(at(n, {"calls"})),
                      cell(at(n, {"timeouts"})), cell(at(n, {"disconnects"})),
                      cell(at(n, {"reconnects"})), cell(at(n, {"connect_failures"})), cpu,
                      bytes_cell(at(n, {"memory_peak_bytes"})),
                      byte_rate_cell(at(n, {"net_rx_peak_bytes_per_s"})),
                      byte_rate_cell(at(n, {"net_tx_peak_bytes_per_s"})),
                      byte_rate_cell(at(n, {"disk_read_peak_bytes_per_s"})),
                      byte_rate_cell(at(n, {"disk_write_peak_bytes_per_s"}))});
    }
  }
  if (rows.empty()) {
    w.para("No per-node data recorded.", "note");
  } else {
    w.table({"node", "connections", "calls", "timeouts", "disconnects", "reconnects",
             "connect failures", "CPU peak (% of one core)", "memory peak", "net rx peak",
             "net tx peak", "disk read peak", "disk write peak"},
            std::move(rows));
  }
  w.para("Node CPU peak over the run: " + cell(at(run, {"summary", "cpu_percent", "node_peak"})) +
         (at(run, {"summary", "cpu_percent", "node_peak"}).is_null() ? " (not measured)"
                                                                     : "% of one core") +
         ".");
  w.heading(4, "Node load");
  if (!any_load) {
    w.para(
        "Node load was not measured: give each node a node_load: source in the scenario (e.g. "
        "node_exporter:http://HOST:9100/metrics, see docs/scenarios.md) to record its CPU, "
        "memory, network and disk.",
        "note");
  } else {
    w.para(
        "Each measured node's load at the end of every second (peaks in the table above); a gap "
        "is a second the node or that figure was not measured.");
    w.plot(p + "plot-node-cpu", "node_cpu", "Node CPU per node (% of one core)", index);
    w.plot(p + "plot-node-memory", "node_memory", "Node memory used per node", index);
    w.plot(p + "plot-node-network", "node_network",
           "Node network per node: received (solid) and sent (dashed)", index);
    w.plot(p + "plot-node-disk", "node_disk",
           "Node disk per node: read (solid) and written (dashed)", index);
  }
  w.end();
}

// Each node's head lag behind the freshest node (summary per_node, series.node_load).
void head_lag(writer& w, const json::value& run, const std::string& p, int index) {
  const json::value& nodes = at(run, {"summary", "per_node"});
  if (!nodes.is_array() || nodes.as_array().empty()) return;
  w.begin(p + "head-lag");
  w.heading(3, "Node head lag");
  std::vector<std::vector<std::string>> rows;
  std::string behind;
  for (const auto& n : nodes.as_array()) {
    rows.push_back({str(at(n, {"url"})), cell(at(n, {"peak_head_lag_blocks"})),
                    cell(at(n, {"seconds_behind"})), cell(at(n, {"sent"})),
                    cell(at(n, {"accepted"})), cell(at(n, {"included"})),
                    cell(at(n, {"not_included"}))});
    if (at(n, {"seconds_behind"}).is_int64() && at(n, {"seconds_behind"}).as_int64() > 0)
      behind += (behind.empty() ? "" : ", ") + str(at(n, {"url"}));
  }
  w.para(
      "Each node's head, sampled once a second, against the freshest node's: a node is behind "
      "in a second when it lags by 2 blocks or more. " +
      (behind.empty() ? std::string("No node fell behind.") : "Fell behind: " + behind + "."));
  w.table({"node", "peak lag (blocks)", "seconds behind", "sent", "accepted", "included",
           "not included"},
          std::move(rows));
  w.plot(p + "plot-node-head-lag", "node_head_lag", "Head lag per node (blocks behind)", index);
  w.end();
}

void search_and_p2p(writer& w, const json::value& run, const std::string& p) {
  const json::value& s = run.at("rate_search");
  if (s.is_object()) {
    w.begin(p + "rate-search");
    w.heading(3, "Rate search");
    std::vector<std::vector<std::string>> rows;
    for (const auto& x : at(s, {"steps"}).as_array()) {
      rows.push_back({cell(at(x, {"step"})), rate_cell(at(x, {"target_rate"})),
                      number(num(at(x, {"from_second"})), 3) + " \u2013 " +
                          number(num(at(x, {"to_second"})), 3) + " s",
                      cell(at(x, {"whole_seconds"})), rate_cell(at(x, {"offered_rate"})),
                      rate_cell(at(x, {"sent_rate"})), rate_cell(at(x, {"included_rate"})),
                      cell(at(x, {"rejected"})),
                      latency_cell(at(x, {"inclusion_corrected_p99_us"}))});
    }
    if (rows.empty()) {
      w.para("No rate-search steps recorded (no rate_change events).", "note");
    } else {
      w.table({"step", "target", "time", "whole seconds", "offered", "sent", "included", "rejected",
               "inclusion p99"},
              std::move(rows));
    }
    const json::value& bp = at(s, {"break_point"});
    const json::value& valid = at(bp, {"data", "valid"});
    if (bp.is_object() && valid.is_bool() && !valid.as_bool()) {
      w.para("Not valid, no node limit (the beacons' own setup, not the network), at second " +
                 number(num(at(bp, {"at_second"})), 3) + " (" + str(at(bp, {"time"})) +
                 "): " + describe(at(bp, {"data"})),
             "bad");
    } else if (bp.is_object()) {
      w.para("Break point at second " + number(num(at(bp, {"at_second"})), 3) + " (" +
                 str(at(bp, {"time"})) + "): " + describe(at(bp, {"data"})),
             "bad");
    } else {
      w.para("No break point recorded.", "note");
    }
    w.end();
  }
  const json::value& q = run.at("p2p_limit");
  if (q.is_object()) {
    w.begin(p + "p2p-limit");
    w.heading(3, "P2P limit");
    const json::value& l = at(q, {"largest_block"});
    if (l.is_object()) {
      w.para("Largest block produced: #" + cell(at(l, {"block_num"})) + ", " +
             cell(at(l, {"bytes"})) + " bytes, " + cell(at(l, {"transactions"})) +
             " transactions.");
    } else {
      w.para("Largest block: no block data recorded.", "note");
    }
    const json::value& prop = at(q, {"propagated"});
    if (prop.is_bool()) {
      w.para(prop.as_bool() ? "It propagated to the other nodes."
                            : "It did not propagate to the other nodes.",
             prop.as_bool() ? "good" : "bad");
    } else {
      w.para("Propagation was not recorded.", "note");
    }
    w.end();
  }
}

// block_watch all_nodes: when each block reached each node (behind the first node that had it,
// and behind the block's timestamp), and which blocks a node never got: two separate findings.
void propagation(writer& w, const json::value& run, const std::string& p, int index) {
  const json::value& list = at(run, {"p2p_limit", "propagation"});
  if (!list.is_array() || list.as_array().empty()) return;
  w.begin(p + "propagation");
  w.heading(3, "Block propagation");
  for (const auto& b : list.as_array()) {
    // One entry per beacon that watched; a single one is not named.
    const std::string beacon = list.as_array().size() > 1 ? str(at(b, {"beacon"})) : "";
    const bool ok = at(b, {"propagated"}).is_bool() && at(b, {"propagated"}).as_bool();
    w.para((beacon.empty() ? "" : "Beacon " + beacon + ": ") + "blocks #" +
               cell(at(b, {"first_block"})) + " to #" + cell(at(b, {"last_block"})) + " (" +
               cell(at(b, {"run_blocks"})) + "); " + str(at(b, {"summary"})) + ".",
           ok ? "good" : "bad");
    std::vector<std::vector<std::string>> rows;
    for (const auto& n : at(b, {"nodes"}).as_array()) {
      rows.push_back({str(at(n, {"url"})), cell(at(n, {"blocks_seen"})),
                      cell(at(n, {"seen_after_run"})), cell(at(n, {"missed_count"})),
                      latency_cell(at(n, {"vs_first_node_us", "p50"})),
                      latency_cell(at(n, {"vs_first_node_us", "p99"})),
                      latency_cell(at(n, {"vs_first_node_us", "max"})),
                      latency_cell(at(n, {"vs_block_time_us", "p50"})),
                      latency_cell(at(n, {"vs_block_time_us", "p99"}))});
    }
    w.table(
        {"node", "blocks seen", "after the run", "missed", "behind first p50", "behind first p99",
         "behind first max", "after block time p50", "after block time p99"},
        std::move(rows));
    const json::value& g = at(b, {"grace"});
    if (g.is_object()) {
      w.para("Latency and misses are separate: a block is missed only if, after the grace (" +
                 latency_cell(json::value(num(at(g, {"waited_ms"})) * 1000)) + " of at most " +
                 latency_cell(json::value(num(at(g, {"bound_ms"})) * 1000)) +
                 ", until every node's head passed the run's last block), get_block on that "
                 "node still did not return it with the same id. Block timestamps have whole-"
                 "second resolution.",
             "note");
    }
  }
  w.plot(p + "plot-propagation", "propagation",
         "Propagation latency behind the first node, per node (percentile spectrum)", index);
  w.end();
}

void events(writer& w, const json::value& run, const std::string& p) {
  w.begin(p + "events");
  w.heading(3, "Events");
  const auto& a = run.at("events").as_array();
  if (a.empty()) {
    w.para("No events recorded.", "note");
  } else {
    std::vector<std::vector<std::string>> rows;
    constexpr std::size_t shown = 200;
    for (std::size_t i = 0; i < a.size() && i < shown; ++i) {
      const auto& e = a[i];
      const json::value& d = at(e, {"data"});
      // A propagation note carries histograms: its summary says it (report.json has the rest).
      const bool propagation_note = at(d, {"nodes"}).is_array() && at(d, {"summary"}).is_string() &&
                                    at(d, {"latency_summary"}).is_string();
      rows.push_back({number(num(at(e, {"at_second"})), 3), str(at(e, {"kind"})),
                      str(at(e, {"beacon"})).empty() ? "(run)" : str(at(e, {"beacon"})),
                      propagation_note ? str(at(d, {"summary"})) : json::serialize(d)});
    }
    w.table({"second", "kind", "beacon", "data"}, std::move(rows));
    if (a.size() > shown) {
      w.para(thousands(static_cast<std::int64_t>(a.size() - shown)) +
                 " more events are in report.json.",
             "note");
    }
  }
  w.end();
}

void appendix(writer& w, const json::value& run, const std::string& p) {
  w.begin(p + "appendix");
  w.heading(3, "Appendix: scenario and manifest");
  w.para("Scenario \u201c" + str(at(run, {"appendix", "scenario_name"})) +
         "\u201d, exactly as run:");
  w.code(str(at(run, {"appendix", "scenario_text"})), "yaml");
  w.para("Manifest (everything else that shaped the run):");
  w.code(stats::json::write_pretty(at(run, {"appendix", "manifest"})), "json");
  w.para("Beacons:");
  w.code(stats::json::write_pretty(at(run, {"appendix", "beacons"})), "json");
  w.end();
}

void comparison(writer& w, const json::value& model) {
  const auto& c = model.at("comparison").as_array();
  if (c.empty()) return;
  w.begin("comparison");
  w.heading(2, "Comparison");
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : c) {
    rows.push_back(
        {str(at(r, {"id"})), str(at(r, {"scenario"})),
         number(num(at(r, {"duration_seconds"})), 3) + " s", rate_cell(at(r, {"target_rate"})),
         rate_cell(at(r, {"offered_rate"})), rate_cell(at(r, {"sent_rate"})),
         rate_cell(at(r, {"included_rate"})), ratio_cell(at(r, {"inclusion_ratio"})),
         cell(at(r, {"rejected"})), latency_cell(at(r, {"ack_corrected_p99_us"})),
         latency_cell(at(r, {"inclusion_corrected_p50_us"})),
         latency_cell(at(r, {"inclusion_corrected_p99_us"})),
         cell(at(r, {"node_cpu_peak_percent"})), bytes_cell(at(r, {"node_memory_peak_bytes"})),
         cell(at(r, {"valid_for_throughput"}))});
  }
  w.table({"run", "scenario", "duration", "target", "offered", "sent", "included",
           "included / accepted", "rejected", "ack p99", "inclusion p50", "inclusion p99",
           "node CPU peak (% of one core)", "node memory peak", "valid"},
          std::move(rows));
  w.plot("plot-cmp-included", "cmp_included", "Included transactions per second, all runs", -1);
  w.plot("plot-cmp-inclusion", "cmp_inclusion_p99",
         "Inclusion latency p99 (corrected) per second, all runs", -1);
  w.plot("plot-cmp-spectrum", "cmp_spectrum_inclusion",
         "Inclusion latency by percentile (corrected), all runs", -1);
  w.end();
}

bool looks_numeric(const std::string& c) {
  if (c.empty() || c == "\u2014") return true;
  const unsigned char f = static_cast<unsigned char>(c[0]);
  return std::isdigit(f) || ((c[0] == '-' || c[0] == '#') && c.size() > 1 &&
                             std::isdigit(static_cast<unsigned char>(c[1])));
}

}  // namespace

std::vector<bool> numeric_columns(const element& table) {
  std::vector<bool> out(table.headers.size(), true);
  for (const auto& r : table.rows) {
    for (std::size_t i = 0; i < r.size() && i < out.size(); ++i) {
      if (!looks_numeric(r[i])) out[i] = false;
    }
  }
  if (!out.empty()) out[0] = false;
  return out;
}

std::vector<element> build_document(const json::object& model) {
  writer w;
  const auto& runs = model.at("runs").as_array();
  if (runs.size() == 1) {
    w.shift = 1;
    w.heading(
        1, "Stress test report: " + str(runs[0].at("name")) + " (" + str(runs[0].at("id")) + ")");
  } else {
    w.heading(1, "Stress test report: " + std::to_string(runs.size()) + " runs compared");
  }
  std::string intro = "Produced by bts-infra report from the stored run";
  intro += runs.size() == 1 ? "" : "s";
  if (const auto& g = model.at("generated_at"); g.is_string())
    intro += " at " + std::string(g.as_string());
  intro += ". Times are UTC; latencies are from HDR histograms; rates are transactions per second.";
  w.para(intro);
  comparison(w, model);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const json::value& run = runs[i];
    const std::string p = "run" + std::to_string(i) + "-";
    const int index = static_cast<int>(i);
    w.begin("run" + std::to_string(i));
    if (runs.size() > 1) w.heading(2, "Run " + str(run.at("id")) + ": " + str(run.at("name")));
    verdict(w, run, p);
    summary(w, run, p);
    over_time(w, run, p, index);
    distribution(w, run, p, index);
    blocks(w, run, p, index);
    beacons_and_nodes(w, run, p, index);
    head_lag(w, run, p, index);
    search_and_p2p(w, run, p);
    propagation(w, run, p, index);
    events(w, run, p);
    appendix(w, run, p);
    w.end();
  }
  return std::move(w.out);
}

}  // namespace bts::report::detail
