// build_report: the report model (report.json) from run records. docs/report.md lists every
// member. Everything the renderers show is computed here.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "report/detail/blocks.hpp"
#include "report/detail/format.hpp"
#include "report/report.hpp"
#include "stats/counters.hpp"
#include "stats/json_io.hpp"
#include "stats/latency_histogram.hpp"
#include "stats/rejection.hpp"
#include "stats/run_summary.hpp"
#include "stats/second_series.hpp"

namespace bts::report {
namespace {

namespace json = boost::json;
using stats::latency_kind;

// The latency kinds shown as distributions, in display order.
constexpr std::array<latency_kind, 4> spectrum_kinds = {
    latency_kind::ack_corrected, latency_kind::ack_uncorrected, latency_kind::inclusion_corrected,
    latency_kind::inclusion_uncorrected};

json::value opt(const std::optional<double>& v, int decimals = 2) {
  if (!v) return nullptr;
  return stats::json::rounded(*v, decimals);
}

double ratio_or_zero(double a, double b) { return b > 0 ? a / b : 0.0; }

// The run's cumulative merged histograms: stored ones when present, else the merge of the
// per-second histograms of the merged series (exact either way). `source` says which.
stats::latency_set merged_histograms(const store::run_record& run, const std::string& scope,
                                     const stats::second_series& series, std::string& source) {
  stats::latency_set set;
  auto it = run.cumulative.find(scope);
  bool any_cumulative = false;
  if (it != run.cumulative.end()) {
    for (latency_kind k : stats::all_latency_kinds) {
      const std::string& hdr = it->second[static_cast<std::size_t>(k)];
      if (!hdr.empty()) {
        set[k].merge_encoded(hdr);
        any_cumulative = true;
      }
    }
  }
  if (any_cumulative) {
    source = "cumulative histograms";
    return set;
  }
  bool any_rows = false;
  for (const auto& row : series.rows()) {
    for (latency_kind k : stats::all_latency_kinds) {
      const auto& d = row[k];
      if (!d.hdr.empty()) {
        set[k].merge_encoded(d.hdr);
        any_rows = true;
      }
    }
  }
  source = any_rows ? "merged per-second histograms" : "none";
  return set;
}

json::object digest_json(const stats::latency_histogram& h) {
  json::object o;
  o["count"] = h.count();
  o["min"] = h.min();
  o["p50"] = h.percentile(50);
  o["p90"] = h.percentile(90);
  o["p99"] = h.percentile(99);
  o["p999"] = h.percentile(99.9);
  o["p9999"] = h.percentile(99.99);
  o["max"] = h.max();
  o["mean"] = stats::json::rounded(h.mean(), 1);
  return o;
}

json::array spectrum_json(const stats::latency_histogram& h) {
  json::array points;
  for (const auto& p : h.spectrum(5)) {
    points.emplace_back(json::array{stats::json::rounded(p.percentile, 6), p.value_us});
  }
  return points;
}

// series.node_load's columns and per_node's peaks: the node_load members with a report_peak.
const std::vector<const stats::node_load_field*>& load_members() {
  static const std::vector<const stats::node_load_field*> members = [] {
    std::vector<const stats::node_load_field*> v;
    for (const auto& f : stats::node_load_fields) {
      if (!f.report_peak.empty()) v.push_back(&f);
    }
    return v;
  }();
  return members;
}

json::value load_value(const std::optional<double>& v, bool bytes) {
  if (!v) return nullptr;
  if (bytes) return static_cast<std::int64_t>(std::llround(*v));
  return stats::json::rounded(*v, 2);
}

void raise_peak(std::optional<double>& p, const std::optional<double>& v) {
  if (v && (!p || *v > *p)) p = v;
}

// Each measured node's peaks over the run (each member's maximum over the seconds; null when
// never measured), keyed by node URL.
using node_peaks = std::map<std::string, stats::node_load_row>;

node_peaks node_load_peaks(const stats::second_series& series) {
  node_peaks peaks;
  for (const auto& r : series.rows()) {
    for (const auto& [url, l] : r.node_load) peaks[url].merge(l);
  }
  return peaks;
}

// series.node_load: for each node that appears in any second's node_load, one array per member
// aligned with series.second; null where the node or the member was not measured that second.
json::object node_load_series(const stats::second_series& series, const node_peaks& nodes) {
  const auto& rows = series.rows();
  json::object out;
  for (const auto& [url, unused] : nodes) {
    (void)unused;
    const auto& members = load_members();
    std::vector<json::array> columns(members.size());
    for (auto& c : columns) c.reserve(rows.size());
    for (const auto& r : rows) {
      const auto it = r.node_load.find(url);
      for (std::size_t i = 0; i < members.size(); ++i) {
        const auto& m = *members[i];
        columns[i].emplace_back(it == r.node_load.end()
                                    ? json::value(nullptr)
                                    : load_value(it->second.*(m.member), m.bytes));
      }
    }
    json::object one;
    for (std::size_t i = 0; i < members.size(); ++i) one[members[i]->key] = std::move(columns[i]);
    out[url] = std::move(one);
  }
  return out;
}

// The counters report.json's series shows, in its column order (counter_field::report_column).
const std::vector<const stats::counter_field*>& report_columns() {
  static const std::vector<const stats::counter_field*> columns = [] {
    std::vector<const stats::counter_field*> v;
    for (const auto& c : stats::counter_fields) {
      if (c.report_column > 0) v.push_back(&c);
    }
    std::sort(v.begin(), v.end(),
              [](const auto* a, const auto* b) { return a->report_column < b->report_column; });
    return v;
  }();
  return columns;
}

// Per-second arrays (column-oriented, as plots want them). Latencies of a second without
// samples are null, so plots show a gap rather than a false zero.
json::object series_json(const stats::second_series& series, const node_peaks& nodes) {
  const auto& rows = series.rows();
  auto column = [&](auto get) {
    json::array a;
    a.reserve(rows.size());
    for (const auto& r : rows) a.emplace_back(get(r));
    return a;
  };
  auto lat = [&](latency_kind k, std::int64_t stats::latency_digest::*m) {
    return column([&](const stats::second_row& r) -> json::value {
      const auto& d = r[k];
      if (d.count == 0) return nullptr;
      return d.*m;
    });
  };
  auto cpu = [&](std::optional<double> stats::second_row::*m) {
    return column([&](const stats::second_row& r) -> json::value { return opt(r.*m); });
  };
  json::object s;
  s["second"] = column([](const stats::second_row& r) { return r.second; });
  s["beacons"] = column([](const stats::second_row& r) { return r.beacons; });
  for (const stats::counter_field* c : report_columns()) {
    s[c->key] = column([c](const stats::second_row& r) { return r.*(c->member); });
  }
  for (const auto& g : stats::count_gauge_fields) {
    s[g.key] = column([&g](const stats::second_row& r) { return r.*(g.member); });
  }
  for (const auto& c : stats::cpu_gauge_fields) s[c.key] = cpu(c.member);
  s["node_load"] = node_load_series(series, nodes);
  using D = stats::latency_digest;
  json::object lat_us;
  for (latency_kind k : stats::all_latency_kinds) {
    json::object one;
    one["p50"] = lat(k, &D::p50);
    one["p90"] = lat(k, &D::p90);
    one["p99"] = lat(k, &D::p99);
    one["p999"] = lat(k, &D::p999);
    one["max"] = lat(k, &D::max);
    lat_us[stats::name(k)] = std::move(one);
  }
  s["latency_us"] = std::move(lat_us);
  // Errors by reason: each rejection reason, then the other failure counters that occurred.
  std::set<std::string> reasons;
  for (const auto& r : rows) {
    for (const auto& [reason, n] : r.rejected_by_reason) {
      if (n > 0) reasons.insert(reason);
    }
  }
  json::object errors;
  for (const auto& reason : reasons) {
    errors["rejected " + reason] = column([&](const stats::second_row& r) -> std::int64_t {
      auto it = r.rejected_by_reason.find(reason);
      return it == r.rejected_by_reason.end() ? 0 : it->second;
    });
  }
  for (const stats::counter_field* c : report_columns()) {
    if (c->error_label.empty()) continue;
    const auto m = c->member;
    bool any = std::any_of(rows.begin(), rows.end(), [&](const auto& r) { return r.*m > 0; });
    if (any) errors[c->error_label] = column([&](const stats::second_row& r) { return r.*m; });
  }
  s["errors"] = std::move(errors);
  return s;
}

// The stored summary, or one computed now for a run that never finished.
json::object summary_of(const store::run_record& run, const stats::latency_set& cumulative,
                        std::string& source) {
  if (run.summary) {
    source = "stored";
    return *run.summary;
  }
  source = "computed by the report (the run has no stored summary)";
  stats::summary_options o;
  if (run.info.started_at && run.info.ended_at && *run.info.ended_at > *run.info.started_at) {
    o.duration_seconds = static_cast<double>(*run.info.ended_at - *run.info.started_at) / 1000.0;
  }
  o.node_tx = store::node_tx_of(run.events);
  return stats::to_json(stats::summarize(run.merged, cumulative, o));
}

using stats::json::find_path;

std::optional<double> number_at(const json::object& o,
                                std::initializer_list<std::string_view> keys) {
  const json::value* v = find_path(o, keys);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return static_cast<double>(v->as_int64());
  if (v->is_uint64()) return static_cast<double>(v->as_uint64());
  if (v->is_double()) return v->as_double();
  return std::nullopt;
}

std::int64_t int_at(const json::object& o, std::initializer_list<std::string_view> keys) {
  return static_cast<std::int64_t>(number_at(o, keys).value_or(0));
}

// Transactions not included: each node that fell behind (summary per_node) named as the likely
// cause, with its own transactions when known.
void lagging_nodes(const json::object& summary, json::array& out) {
  const json::value* nodes = find_path(summary, {"per_node"});
  if (nodes == nullptr || !nodes->is_array()) return;
  for (const json::value& v : nodes->as_array()) {
    if (!v.is_object()) continue;
    const json::object& n = v.as_object();
    const std::int64_t behind = int_at(n, {"seconds_behind"});
    const json::value* url = n.if_contains("url");
    if (behind <= 0 || url == nullptr || !url->is_string()) continue;
    const std::int64_t peak = int_at(n, {"peak_head_lag_blocks"});
    const std::int64_t least = int_at(n, {"head_lag_behind_min_blocks"});
    std::string s = "likely cause: " + std::string(url->as_string()) + " was " +
                    (least > 0 && least < peak ? std::to_string(least) + "\u2013" : "") +
                    std::to_string(peak) + " blocks behind the freshest node for " +
                    std::to_string(behind) + " s";
    const std::int64_t accepted = int_at(n, {"accepted"});
    if (accepted > 0) {
      s += "; " + detail::thousands(int_at(n, {"not_included"})) + " of the " +
           detail::thousands(accepted) + " transactions it accepted were never included";
    }
    out.emplace_back(s);
  }
}

// What held a run back or cost it transactions, one sentence each, from the summary.
// report.json verdict.rejections: the run's rejections by reason, with code, kind and side, most
// frequent first.
json::array rejections(const json::object& summary) {
  std::map<std::string, std::int64_t> by;
  if (const auto* o = find_path(summary, {"totals", "rejected_by_reason"}); o && o->is_object()) {
    for (const auto& kv : o->as_object()) {
      by[std::string(kv.key())] = kv.value().is_int64() ? kv.value().as_int64() : 0;
    }
  }
  return stats::rejections_json(by);
}

json::array losses(const json::object& summary) {
  json::array out;
  const std::int64_t sent = int_at(summary, {"totals", "sent"});
  const std::int64_t accepted = int_at(summary, {"totals", "accepted"});
  const std::int64_t rejected = int_at(summary, {"totals", "rejected"});
  const std::int64_t unanswered = int_at(summary, {"totals", "unanswered"});
  const std::int64_t included = int_at(summary, {"totals", "included"});
  if (rejected > 0) {
    std::string s = detail::thousands(rejected) + " of " + detail::thousands(sent) +
                    " sent transactions were rejected";
    // Most frequent first, the network's reasons then the beacons' own (their setup, not the
    // network's doing: stats::side_of).
    std::string network, beacon;
    int network_n = 0, beacon_n = 0;  // at most 3 of each
    for (const auto& r : rejections(summary)) {
      const auto& o = r.as_object();
      const bool b = o.at("side").as_string() == "beacon";
      std::string& list = b ? beacon : network;
      if ((b ? beacon_n : network_n)++ >= 3) continue;
      list += (list.empty() ? "" : ", ") + std::string(o.at("reason").as_string()) + " \u00d7" +
              detail::thousands(o.at("count").as_int64());
    }
    if (!network.empty() && beacon.empty()) s += " (" + network + ")";
    if (!beacon.empty()) {
      s += " (" + (network.empty() ? std::string() : "network: " + network + "; ") +
           "the beacons' own setup, not the network: " + beacon + ")";
    }
    out.emplace_back(s);
  }
  if (unanswered > 0) {
    out.emplace_back(detail::thousands(unanswered) +
                     " sent transactions were never answered by a node");
  }
  if (accepted > included) {
    out.emplace_back(
        detail::thousands(accepted - included) +
        " accepted transactions were not seen in a block (" +
        detail::percent(
            ratio_or_zero(static_cast<double>(included), static_cast<double>(accepted)) * 100) +
        " of accepted were included)");
    lagging_nodes(summary, out);
  }
  return out;
}

double seconds_since_start(const store::run_record& run, store::unix_ms t) {
  const store::unix_ms origin = run.info.started_at.value_or(run.info.created_at);
  return stats::json::rounded(static_cast<double>(t - origin) / 1000.0, 3);
}

json::object event_json(const store::run_record& run, const store::event& e) {
  json::object o;
  o["time"] = store::format_unix_ms(e.time);
  o["at_second"] = seconds_since_start(run, e.time);
  o["kind"] = std::string(store::name(e.kind));
  o["beacon"] = e.beacon;
  o["data"] = e.data;
  return o;
}

// Rate-search steps from rate_change events: each step runs from one change to the next (the
// first from the run's start, the last to its end); the per-second rows in it give its rates,
// and its latency comes from merging its seconds' histograms. With several beacons each one
// reports its own share: the target is the sum of every beacon's latest rate, and changes less
// than a second after the previous one (the other beacons' part of the same step) are one step.
json::value rate_search(const store::run_record& run, bool max_throughput_preset) {
  std::vector<const store::event*> changes;
  const store::event* brk = nullptr;
  std::map<std::string, double> rates;  // each beacon's latest rate ("" for run-wide events)
  const auto total = [&rates]() -> std::optional<double> {
    if (rates.empty()) return std::nullopt;
    double t = 0;
    for (const auto& [b, r] : rates) t += r;
    return t;
  };
  for (const auto& e : run.events) {
    if (e.kind == store::event_kind::rate_change) changes.push_back(&e);
    if (e.kind == store::event_kind::break_point && brk == nullptr) brk = &e;
    if (e.kind == store::event_kind::start && !rates.count(e.beacon)) {
      if (auto r = number_at(e.data, {"rate"})) rates[e.beacon] = *r;
    }
  }
  std::optional<double> initial_rate = total();
  if (changes.empty() && brk == nullptr && !max_throughput_preset) return nullptr;
  json::object o;
  json::array steps;
  if (!changes.empty()) {
    if (!initial_rate) initial_rate = number_at(changes.front()->data, {"from"});
    struct bound {
      double start;
      std::optional<double> rate;
    };
    std::vector<bound> bounds{{0.0, initial_rate}};
    for (const auto* e : changes) {
      const double at = seconds_since_start(run, e->time);
      if (auto to = number_at(e->data, {"to"})) {
        if (e->beacon.empty()) rates.clear();
        rates[e->beacon] = *to;
      }
      if (bounds.size() > 1 && at - bounds.back().start < 1.0) {
        bounds.back().rate = total();
      } else {
        bounds.push_back({at, total()});
      }
    }
    const auto& rows = run.merged.rows();
    const double end = rows.empty() ? 0.0 : static_cast<double>(rows.back().second + 1);
    for (std::size_t i = 0; i < bounds.size(); ++i) {
      const double from = bounds[i].start;
      const double to = i + 1 < bounds.size() ? bounds[i + 1].start : std::max(end, from);
      // Whole seconds that lie in [from, to): a second straddling a change belongs to neither.
      const auto first = static_cast<std::int64_t>(std::ceil(from));
      const auto last = static_cast<std::int64_t>(std::floor(to)) - 1;
      std::int64_t n = 0, offered = 0, sent = 0, accepted = 0, included = 0, rejected = 0;
      stats::latency_histogram inclusion;
      for (const auto& r : rows) {
        if (r.second < first || r.second > last) continue;
        ++n;
        offered += r.offered;
        sent += r.sent;
        accepted += r.accepted;
        included += r.included;
        rejected += r.rejected;
        const auto& d = r[latency_kind::inclusion_corrected];
        if (!d.hdr.empty()) inclusion.merge_encoded(d.hdr);
      }
      json::object step;
      step["step"] = static_cast<std::int64_t>(i + 1);
      step["target_rate"] = opt(bounds[i].rate);
      step["from_second"] = stats::json::rounded(from, 3);
      step["to_second"] = stats::json::rounded(to, 3);
      step["whole_seconds"] = n;
      step["offered_rate"] = stats::json::rounded(ratio_or_zero(offered, n), 2);
      step["sent_rate"] = stats::json::rounded(ratio_or_zero(sent, n), 2);
      step["accepted_rate"] = stats::json::rounded(ratio_or_zero(accepted, n), 2);
      step["included_rate"] = stats::json::rounded(ratio_or_zero(included, n), 2);
      step["rejected"] = rejected;
      step["inclusion_corrected_p99_us"] =
          inclusion.empty() ? json::value(nullptr) : json::value(inclusion.percentile(99));
      steps.emplace_back(std::move(step));
    }
  }
  o["steps"] = std::move(steps);
  if (brk != nullptr) {
    o["break_point"] = event_json(run, *brk);
  } else {
    o["break_point"] = nullptr;
  }
  return o;
}

std::int64_t maximum_block_size(const store::run_record& run, const report_options& options) {
  if (auto v = number_at(run.info.manifest, {"chain_parameters", "maximum_block_size"})) {
    return static_cast<std::int64_t>(*v);
  }
  if (auto v = number_at(run.info.manifest, {"maximum_block_size"}))
    return static_cast<std::int64_t>(*v);
  return options.default_maximum_block_size;
}

json::object blocks_json(const store::run_record& run,
                         const std::vector<detail::block_view>& blocks,
                         const report_options& options) {
  json::object o;
  o["recorded"] = !blocks.empty();
  if (blocks.empty()) return o;
  const std::int64_t default_max = maximum_block_size(run, options);
  json::array num, at, tx, run_tx, ops, bytes, fill;
  std::int64_t total_tx = 0, total_run_tx = 0, total_bytes = 0, empty_blocks = 0;
  const detail::block_view* largest = nullptr;
  const detail::block_view* fullest = nullptr;
  double fullest_fill = -1;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> by_witness;  // blocks, transactions
  for (const auto& b : blocks) {
    const std::int64_t max_size = b.max_block_size > 0 ? b.max_block_size : default_max;
    num.emplace_back(b.block_num);
    at.emplace_back(seconds_since_start(run, b.time_ms));
    tx.emplace_back(b.transactions);
    run_tx.emplace_back(b.run_transactions);
    ops.emplace_back(b.operations);
    bytes.emplace_back(b.bytes);
    const double f =
        max_size > 0 ? 100.0 * static_cast<double>(b.bytes) / static_cast<double>(max_size) : -1;
    fill.emplace_back(f >= 0 ? json::value(stats::json::rounded(f, 3)) : json::value(nullptr));
    total_tx += b.transactions;
    total_run_tx += b.run_transactions;
    total_bytes += b.bytes;
    if (b.transactions == 0) ++empty_blocks;
    if (largest == nullptr || b.bytes > largest->bytes) largest = &b;
    if (f > fullest_fill) {
      fullest_fill = f;
      fullest = &b;
    }
    auto& w = by_witness[b.witness];
    ++w.first;
    w.second += b.transactions;
  }
  const auto n = static_cast<double>(blocks.size());
  o["count"] = static_cast<std::int64_t>(blocks.size());
  o["first_block"] = blocks.front().block_num;
  o["last_block"] = blocks.back().block_num;
  o["maximum_block_size"] = default_max > 0 ? json::value(default_max) : json::value(nullptr);
  o["transactions"] = total_tx;
  o["run_transactions"] = total_run_tx;
  o["bytes"] = total_bytes;
  o["empty_blocks"] = empty_blocks;
  o["mean_transactions"] = stats::json::rounded(total_tx / n, 2);
  o["mean_bytes"] = stats::json::rounded(total_bytes / n, 1);
  auto block_obj = [&](const detail::block_view& b) {
    json::object x;
    x["block_num"] = b.block_num;
    x["time"] = store::format_unix_ms(b.time_ms);
    x["witness"] = b.witness;
    x["transactions"] = b.transactions;
    x["operations"] = b.operations;
    x["bytes"] = b.bytes;
    const std::int64_t max_size = b.max_block_size > 0 ? b.max_block_size : default_max;
    x["fill_percent"] = max_size > 0
                            ? json::value(stats::json::rounded(100.0 * b.bytes / max_size, 3))
                            : json::value(nullptr);
    return x;
  };
  o["largest"] = block_obj(*largest);
  o["peak_fill_percent"] =
      fullest_fill >= 0 ? json::value(stats::json::rounded(fullest_fill, 3)) : json::value(nullptr);
  (void)fullest;
  json::array witnesses;
  for (const auto& [w, c] : by_witness) {
    witnesses.emplace_back(
        json::object{{"witness", w}, {"blocks", c.first}, {"transactions", c.second}});
  }
  o["by_witness"] = std::move(witnesses);
  json::object series;
  series["block_num"] = std::move(num);
  series["at_second"] = std::move(at);
  series["transactions"] = std::move(tx);
  series["run_transactions"] = std::move(run_tx);
  series["operations"] = std::move(ops);
  series["bytes"] = std::move(bytes);
  series["fill_percent"] = std::move(fill);
  o["series"] = std::move(series);
  return o;
}

// block_watch all_nodes: each beacon's propagation note (beacon/propagation_watch.hpp) as the
// report shows it: per node the counts, the digests of both latencies and the spectrum of the
// latency behind the first node (from its HDR histogram). A fleet run has one entry per beacon,
// as each beacon measured it: the overseer does not merge them. Empty when none was recorded
// with latencies (older runs).
json::array propagation_json(const store::run_record& run) {
  json::array out;
  for (const auto& e : run.events) {
    const json::value* nodes = e.data.if_contains("nodes");
    if (e.data.if_contains("propagated") == nullptr || nodes == nullptr || !nodes->is_array())
      continue;
    json::object one;
    one["beacon"] = e.beacon;
    for (const char* k :
         {"propagated", "summary", "latency_summary", "missed_summary", "first_block", "last_block",
          "run_blocks", "largest_block_bytes", "p2p_max_message_size", "grace"}) {
      if (const json::value* v = e.data.if_contains(k)) one[k] = *v;
    }
    json::array rows;
    for (const auto& n : nodes->as_array()) {
      const json::object* no = n.if_object();
      if (no == nullptr || no->if_contains("vs_first_node_us") == nullptr) continue;
      json::object r;
      for (const char* k :
           {"url", "blocks_seen", "seen_after_run", "found_by_get_block", "missed_count", "missed",
            "missed_reason", "other_id_count", "head_at_end"}) {
        if (const json::value* v = no->if_contains(k)) r[k] = *v;
      }
      for (const char* k : {"vs_block_time_us", "vs_first_node_us"}) {
        const json::value* d = no->if_contains(k);
        if (d == nullptr || !d->is_object()) continue;
        json::object digest;
        for (const char* m : {"count", "p50", "p90", "p99", "max"})
          if (const json::value* v = d->as_object().if_contains(m)) digest[m] = *v;
        r[k] = std::move(digest);
        if (std::string_view(k) != "vs_first_node_us") continue;
        json::array spectrum;
        if (const json::value* h = d->as_object().if_contains("hdr"); h && h->is_string()) {
          try {
            spectrum = spectrum_json(stats::latency_histogram::decode(h->as_string()));
          } catch (const std::exception&) {
          }
        }
        r["vs_first_node_spectrum"] = std::move(spectrum);
      }
      rows.emplace_back(std::move(r));
    }
    if (rows.empty()) continue;
    one["nodes"] = std::move(rows);
    out.emplace_back(std::move(one));
  }
  return out;
}

json::value p2p_limit(const store::run_record& run, const json::object& blocks, bool p2p_preset) {
  const store::event* propagation = nullptr;
  for (const auto& e : run.events) {
    if (e.data.if_contains("propagated") != nullptr) propagation = &e;
  }
  if (!p2p_preset && propagation == nullptr) return nullptr;
  json::object o;
  o["largest_block"] = blocks.if_contains("largest") ? blocks.at("largest") : json::value(nullptr);
  if (propagation != nullptr) {
    const json::value& p = propagation->data.at("propagated");
    o["propagated"] = p.is_bool() ? p : json::value(nullptr);
    o["evidence"] = event_json(run, *propagation);
    if (json::array per_beacon = propagation_json(run); !per_beacon.empty())
      o["propagation"] = std::move(per_beacon);
  } else {
    o["propagated"] = nullptr;
    o["evidence"] = nullptr;
  }
  return o;
}

// A beacon's totals: its counters summed over its seconds, and its CPU peaks.
struct beacon_totals : stats::counters {
  std::int64_t seconds = 0;
  std::optional<double> beacon_cpu, send_cpu, node_cpu;
};

beacon_totals count(const stats::second_series& s) {
  beacon_totals c;
  auto peak = [](std::optional<double>& p, const std::optional<double>& v) {
    if (v && (!p || *v > *p)) p = v;
  };
  for (const auto& r : s.rows()) {
    ++c.seconds;
    c.add(r);
    peak(c.beacon_cpu, r.beacon_cpu_percent);
    peak(c.send_cpu, r.send_cpu_percent);
    peak(c.node_cpu, r.node_cpu_percent);
  }
  return c;
}

json::value latency_or_null(const stats::latency_histogram& h, double p) {
  if (h.empty()) return nullptr;
  return h.percentile(p);
}

json::array per_beacon(const store::run_record& run, double duration) {
  // A single-beacon run may keep no separate series: its merged series is its own.
  std::vector<std::string> names;
  for (const auto& b : run.beacons) names.push_back(b.name);
  for (const auto& [n, s] : run.by_beacon) {
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  }
  json::array out;
  for (const auto& n : names) {
    const stats::second_series* series = nullptr;
    if (auto it = run.by_beacon.find(n); it != run.by_beacon.end()) {
      series = &it->second;
    } else if (names.size() == 1) {
      series = &run.merged;
    }
    json::object o;
    o["name"] = n;
    json::object info;
    for (const auto& b : run.beacons) {
      if (b.name == n) info = b.info;
    }
    o["info"] = std::move(info);
    if (series == nullptr) {
      o["recorded"] = false;
      out.emplace_back(std::move(o));
      continue;
    }
    std::string source;
    const std::string scope = series == &run.merged ? std::string() : n;
    const stats::latency_set h = merged_histograms(run, scope, *series, source);
    const beacon_totals c = count(*series);
    o["recorded"] = true;
    o["seconds"] = c.seconds;
    o["offered"] = c.offered;
    o["sent"] = c.sent;
    o["accepted"] = c.accepted;
    o["rejected"] = c.rejected;
    o["included"] = c.included;
    o["sent_rate"] = stats::json::rounded(ratio_or_zero(c.sent, duration), 2);
    o["included_rate"] = stats::json::rounded(ratio_or_zero(c.included, duration), 2);
    o["achieved_ratio"] =
        c.offered > 0
            ? json::value(stats::json::rounded(static_cast<double>(c.sent) / c.offered, 4))
            : json::value(nullptr);
    o["inclusion_ratio"] =
        c.accepted > 0
            ? json::value(stats::json::rounded(static_cast<double>(c.included) / c.accepted, 4))
            : json::value(nullptr);
    o["schedule_lag_p99_us"] = latency_or_null(h[latency_kind::schedule_lag], 99);
    o["ack_corrected_p99_us"] = latency_or_null(h[latency_kind::ack_corrected], 99);
    o["inclusion_corrected_p50_us"] = latency_or_null(h[latency_kind::inclusion_corrected], 50);
    o["inclusion_corrected_p99_us"] = latency_or_null(h[latency_kind::inclusion_corrected], 99);
    o["beacon_cpu_peak"] = opt(c.beacon_cpu);
    o["send_thread_cpu_peak"] = opt(c.send_cpu);
    o["node_cpu_peak"] = opt(c.node_cpu);
    o["pool_misses"] = c.pool_misses;
    o["timeouts"] = c.timeouts;
    o["disconnects"] = c.disconnects;
    // What makes a beacon stand out (the run verdict's thresholds, applied to this beacon).
    json::array flags;
    const stats::validity_thresholds t;
    if (!h[latency_kind::schedule_lag].empty() &&
        h[latency_kind::schedule_lag].percentile(99) > t.max_lag_p99_us) {
      flags.emplace_back("fell behind its schedule (lag p99 " +
                         detail::latency(h[latency_kind::schedule_lag].percentile(99)) + ")");
    }
    if (c.offered > 0 && static_cast<double>(c.sent) / c.offered < t.min_achieved_ratio) {
      flags.emplace_back("sent " + detail::percent(100.0 * c.sent / c.offered) +
                         " of its offered load");
    }
    if (c.pool_misses > 0)
      flags.emplace_back("pre-signed pool ran dry " + detail::thousands(c.pool_misses) + " times");
    if (c.send_cpu && *c.send_cpu > t.max_send_cpu_percent) {
      flags.emplace_back("send thread saturated (" + detail::percent(*c.send_cpu) + " of a core)");
    }
    o["flags"] = std::move(flags);
    out.emplace_back(std::move(o));
  }
  return out;
}

// Nodes the run sent to, with each connection's counters (from the beacons' records in the
// manifest and beacon info: `nodes` URLs and `connections` objects), then any other node whose
// load was measured; each with its load peaks (null when not measured).
json::array per_node(const store::run_record& run, const node_peaks& peaks) {
  struct node {
    std::int64_t beacons = 0, calls = 0, timeouts = 0, disconnects = 0, reconnects = 0,
                 connect_failures = 0;
    bool has_counters = false;
  };
  std::map<std::string, node> nodes;
  std::vector<std::string> order;
  auto touch = [&](const std::string& url) -> node& {
    if (!nodes.count(url)) order.push_back(url);
    return nodes[url];
  };
  auto add_from = [&](const json::object& o) {
    if (const auto* list = o.if_contains("nodes"); list && list->is_array()) {
      for (const auto& u : list->as_array()) {
        if (u.is_string())
          touch(std::string(u.as_string()));
        else if (u.is_object() && u.as_object().if_contains("url") &&
                 u.as_object().at("url").is_string())
          touch(std::string(u.as_object().at("url").as_string()));
      }
    }
    if (const auto* list = o.if_contains("connections"); list && list->is_array()) {
      for (const auto& c : list->as_array()) {
        if (!c.is_object()) continue;
        const auto& co = c.as_object();
        const auto* url = co.if_contains("url");
        if (url == nullptr || !url->is_string()) continue;
        node& n = touch(std::string(url->as_string()));
        n.has_counters = true;
        ++n.beacons;
        n.calls += int_at(co, {"calls"});
        n.timeouts += int_at(co, {"timeouts"});
        n.disconnects += int_at(co, {"disconnects"});
        n.reconnects += int_at(co, {"reconnects"});
        n.connect_failures += int_at(co, {"connect_failures"});
      }
    }
  };
  add_from(run.info.manifest);
  for (const auto& b : run.beacons) add_from(b.info);
  for (const auto& [url, unused] : peaks) {
    (void)unused;
    touch(url);
  }
  json::array out;
  for (const auto& url : order) {
    const node& n = nodes[url];
    json::object o;
    o["url"] = url;
    if (n.has_counters) {
      o["connections"] = n.beacons;
      o["calls"] = n.calls;
      o["timeouts"] = n.timeouts;
      o["disconnects"] = n.disconnects;
      o["reconnects"] = n.reconnects;
      o["connect_failures"] = n.connect_failures;
    } else {
      o["connections"] = nullptr;
      o["calls"] = nullptr;
      o["timeouts"] = nullptr;
      o["disconnects"] = nullptr;
      o["reconnects"] = nullptr;
      o["connect_failures"] = nullptr;
    }
    const auto p = peaks.find(url);
    const stats::node_load_row none;
    const stats::node_load_row& l = p == peaks.end() ? none : p->second;
    o["load_measured"] = p != peaks.end() && p->second.has_load();
    for (const auto* m : load_members()) o[m->report_peak] = load_value(l.*(m->member), m->bytes);
    for (const auto& m : stats::node_load_fields) {  // sizes, not loads: no peak (cpu_cores)
      if (m.report_peak.empty()) o[m.key] = load_value(l.*(m.member), m.bytes);
    }
    out.emplace_back(std::move(o));
  }
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

json::object verdict_json(const json::object& summary, const json::value& search,
                          std::int64_t rows) {
  json::object v;
  const bool valid = find_path(summary, {"verdict", "valid_for_throughput"}) &&
                     find_path(summary, {"verdict", "valid_for_throughput"})->is_bool() &&
                     find_path(summary, {"verdict", "valid_for_throughput"})->as_bool();
  v["valid_for_throughput"] = valid;
  const double included = number_at(summary, {"rates_tx_per_s", "included"}).value_or(0);
  const double duration = number_at(summary, {"duration_seconds"}).value_or(0);
  const auto target = number_at(summary, {"rates_tx_per_s", "target"});
  const std::int64_t included_total = int_at(summary, {"totals", "included"});
  std::string headline;
  if (rows == 0) {
    headline = "No data: the run recorded no seconds, so it supports no claim.";
  } else if (!valid) {
    headline =
        "Not valid for throughput claims: the load generator, not the network, limited this run.";
  } else if (included_total == 0) {
    headline = "Valid run, but no transaction was included in a block over " +
               detail::number(duration, 3) + " s.";
  } else {
    headline = "Sustained " + detail::number(included, 2) + " tx/s included over " +
               detail::number(duration, 3) + " s";
    if (target) headline += " (target " + detail::number(*target, 2) + " tx/s)";
    headline += ".";
  }
  if (search.is_object() && valid && included_total > 0) {
    // A rate search is judged by its best step, not by the average over all of them.
    const json::object* best = nullptr;
    for (const auto& st : search.as_object().at("steps").as_array()) {
      const auto& o = st.as_object();
      if (o.at("whole_seconds").to_number<double>() > 0 &&
          (best == nullptr || o.at("included_rate").to_number<double>() >
                                  best->at("included_rate").to_number<double>())) {
        best = &o;
      }
    }
    if (best != nullptr) {
      headline = "Sustained " + detail::number(best->at("included_rate").to_number<double>(), 2) +
                 " tx/s included at best (step " + detail::cell(best->at("step"));
      if (!best->at("target_rate").is_null()) {
        headline +=
            ", target " + detail::number(best->at("target_rate").to_number<double>(), 2) + " tx/s";
      }
      headline += "); " + detail::number(included, 2) + " tx/s on average over " +
                  detail::number(duration, 3) + " s.";
    }
  }
  if (search.is_object()) {
    const auto& bp = search.as_object().at("break_point");
    if (bp.is_object()) {
      const auto& d = bp.as_object().at("data").as_object();
      const json::value* valid = d.if_contains("valid");
      std::string s = valid && valid->is_bool() && !valid->as_bool()
                          ? " The rate search is not valid (no node limit was found)"
                          : " The rate search found its break point";
      if (auto r = number_at(d, {"rate"})) s += " at " + detail::number(*r, 2) + " tx/s";
      s +=
          " (second " + detail::number(bp.as_object().at("at_second").to_number<double>(), 1) + ")";
      if (const auto* why = d.if_contains("reason"); why && why->is_string())
        s += ": " + std::string(why->as_string());
      headline += s + ".";
    }
  }
  v["headline"] = headline;
  const json::value* reasons = find_path(summary, {"verdict", "invalid_reasons"});
  v["invalid_reasons"] = reasons && reasons->is_array() ? *reasons : json::array{};
  const json::value* notes = find_path(summary, {"verdict", "notes"});
  v["notes"] = notes && notes->is_array() ? *notes : json::array{};
  v["losses"] = losses(summary);
  v["rejections"] = rejections(summary);
  return v;
}

json::object run_json(const store::run_record& run, const report_options& options) {
  json::object o;
  o["id"] = run.info.id;
  o["name"] = run.info.name;
  o["status"] = std::string(store::name(run.info.status));
  o["created_at"] = store::format_unix_ms(run.info.created_at);
  o["started_at"] = run.info.started_at ? json::value(store::format_unix_ms(*run.info.started_at))
                                        : json::value(nullptr);
  o["ended_at"] = run.info.ended_at ? json::value(store::format_unix_ms(*run.info.ended_at))
                                    : json::value(nullptr);

  std::string hist_source;
  const stats::latency_set cumulative = merged_histograms(run, "", run.merged, hist_source);
  std::string summary_source;
  json::object summary = summary_of(run, cumulative, summary_source);
  const auto rows = static_cast<std::int64_t>(run.merged.rows().size());

  const std::string scenario = lower(run.info.scenario_name);
  const bool max_preset = scenario.find("max") != std::string::npos;
  const bool p2p_preset = scenario.find("p2p") != std::string::npos;
  json::value search = rate_search(run, max_preset);

  // Facts a reader wants first.
  json::object facts;
  facts["scenario"] = run.info.scenario_name;
  facts["duration_seconds"] =
      number_at(summary, {"duration_seconds"}) ? summary.at("duration_seconds") : json::value(0);
  facts["seconds_recorded"] = rows;
  facts["beacons"] = static_cast<std::int64_t>(run.beacons.size());
  json::array node_urls;
  const node_peaks peaks = node_load_peaks(run.merged);
  json::array nodes = per_node(run, peaks);
  for (const auto& n : nodes) node_urls.emplace_back(n.as_object().at("url"));
  facts["nodes"] = std::move(node_urls);
  auto manifest_member = [&](const char* k) {
    const json::value* v = run.info.manifest.if_contains(k);
    return v ? *v : json::value(nullptr);
  };
  facts["chain_id"] = manifest_member("chain_id");
  // An overseer's run learns the chain from its beacons' start events.
  for (const auto& e : run.events) {
    if (!facts["chain_id"].is_null()) break;
    if (e.kind != store::event_kind::start) continue;
    if (const json::value* c = e.data.if_contains("chain_id"); c && c->is_string()) {
      facts["chain_id"] = *c;
    }
  }
  json::value versions = manifest_member("versions");
  if (versions.is_null() && run.info.manifest.if_contains("version")) {
    versions = json::object{{"bts_infra", run.info.manifest.at("version")}};
  }
  facts["versions"] = versions;
  facts["seed"] = manifest_member("seed");
  facts["load"] = manifest_member("rate");
  o["facts"] = std::move(facts);

  o["verdict"] = verdict_json(summary, search, rows);
  json::array remarks;  // edge cases the reader must know about
  if (rows == 0)
    remarks.emplace_back("The run recorded no per-second data: there is nothing to plot.");
  if (rows == 1)
    remarks.emplace_back("The run recorded a single second: plots over time have one point.");
  if (rows > 0 && int_at(summary, {"totals", "included"}) == 0) {
    remarks.emplace_back("No transaction was included in a block: inclusion latency has no data.");
  }
  if (!run.summary)
    remarks.emplace_back("The run has no stored summary (status " +
                         std::string(store::name(run.info.status)) +
                         "): the summary below was computed from its stored seconds.");
  o["remarks"] = std::move(remarks);
  o["summary_source"] = summary_source;
  o["summary"] = summary;

  o["series"] = series_json(run.merged, peaks);

  json::object dist;
  dist["source"] = hist_source;
  json::object kinds;
  for (latency_kind k : spectrum_kinds) {
    json::object one;
    one["percentiles_us"] = digest_json(cumulative[k]);
    one["spectrum"] = spectrum_json(cumulative[k]);
    kinds[stats::name(k)] = std::move(one);
  }
  dist["kinds"] = std::move(kinds);
  o["latency_distribution"] = std::move(dist);

  const double duration =
      number_at(summary, {"duration_seconds"}).value_or(static_cast<double>(rows));
  o["per_beacon"] = per_beacon(run, duration);
  o["per_node"] = std::move(nodes);

  json::object blocks = blocks_json(run, detail::blocks_of(run), options);
  o["p2p_limit"] = p2p_limit(run, blocks, p2p_preset);
  o["blocks"] = std::move(blocks);
  o["rate_search"] = std::move(search);

  json::array events;
  for (const auto& e : run.events) events.emplace_back(event_json(run, e));
  o["events"] = std::move(events);

  json::object appendix;
  appendix["scenario_name"] = run.info.scenario_name;
  appendix["scenario_text"] = run.info.scenario_text;
  appendix["manifest"] = run.info.manifest;
  json::array beacons;
  for (const auto& b : run.beacons) beacons.emplace_back(store::to_json(b));
  appendix["beacons"] = std::move(beacons);
  o["appendix"] = std::move(appendix);
  return o;
}

json::object comparison_row(const json::object& run) {
  const json::object& s = run.at("summary").as_object();
  const json::object& lat = run.at("latency_distribution").as_object().at("kinds").as_object();
  auto p = [&](const char* kind, const char* which) {
    return lat.at(kind).as_object().at("percentiles_us").as_object().at(which);
  };
  json::object c;
  c["id"] = run.at("id");
  c["scenario"] = run.at("facts").as_object().at("scenario");
  c["duration_seconds"] = run.at("facts").as_object().at("duration_seconds");
  const json::value* target = find_path(s, {"rates_tx_per_s", "target"});
  c["target_rate"] = target ? *target : json::value(nullptr);
  c["offered_rate"] =
      stats::json::rounded(number_at(s, {"rates_tx_per_s", "offered"}).value_or(0), 2);
  c["sent_rate"] =
      stats::json::rounded(number_at(s, {"rates_tx_per_s", "achieved"}).value_or(0), 2);
  c["included_rate"] =
      stats::json::rounded(number_at(s, {"rates_tx_per_s", "included"}).value_or(0), 2);
  const json::value* inclusion = find_path(s, {"ratios", "inclusion"});
  c["inclusion_ratio"] = inclusion ? *inclusion : json::value(nullptr);
  c["rejected"] = int_at(s, {"totals", "rejected"});
  c["ack_corrected_p99_us"] = p("ack_corrected", "p99");
  c["inclusion_corrected_p50_us"] = p("inclusion_corrected", "p50");
  c["inclusion_corrected_p99_us"] = p("inclusion_corrected", "p99");
  // The busiest node's peaks: node_load when measured, else the rows' node_cpu_percent.
  std::optional<double> cpu, memory;
  for (const auto& n : run.at("per_node").as_array()) {
    const auto& no = n.as_object();
    raise_peak(cpu, number_at(no, {"cpu_peak_percent"}));
    raise_peak(memory, number_at(no, {"memory_peak_bytes"}));
  }
  if (!cpu) cpu = number_at(s, {"cpu_percent", "node_peak"});
  c["node_cpu_peak_percent"] = opt(cpu);
  c["node_memory_peak_bytes"] = load_value(memory, true);
  c["valid_for_throughput"] = run.at("verdict").as_object().at("valid_for_throughput");
  return c;
}

}  // namespace

json::object build_report(std::span<const store::run_record> runs, const report_options& options) {
  json::object model;
  model["format"] = "bts-infra report";
  model["format_version"] = 1;
  model["generated_at"] =
      options.generated_at.empty() ? json::value(nullptr) : json::value(options.generated_at);
  json::array out;
  for (const auto& r : runs) out.emplace_back(run_json(r, options));
  json::array comparison;
  if (out.size() > 1) {
    for (const auto& r : out) comparison.emplace_back(comparison_row(r.as_object()));
  }
  model["comparison"] = std::move(comparison);
  model["runs"] = std::move(out);
  return model;
}

std::string render_json(const json::object& model) {
  return stats::json::write_pretty(model) + "\n";
}

}  // namespace bts::report
