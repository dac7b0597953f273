// The overseer's Prometheus /metrics (pages.hpp, docs/outputs.md "Prometheus"):
//
//   - fleet: bts_infra_overseer_beacons{connection}, and per beacon
//     bts_infra_overseer_beacon_connected / _clock_offset_seconds / _clock_delay_seconds /
//     _connections_total / _losses_total / _last_second / _pending_commands;
//   - runs: bts_infra_overseer_runs{status}; per run still running (or ended less than
//     `ended_keep` ago) bts_infra_run_running, bts_infra_run_merged_seconds, per beacon
//     bts_infra_run_beacon_stored_seconds, and the federated run-level families
//     bts_infra_run_* (the beacon families' names with `run` instead of `beacon`, from the
//     merged series: counters summed over the merged rows, gauges the last merged row's,
//     histograms from the merged cumulative histograms stored with the last merged second).
//
// The run level is a family of its own (bts_infra_run_*), not bts_infra_beacon_* with
// beacon="": a Prometheus that scrapes both the beacons and the overseer can sum the beacon
// families without counting every transaction twice.
//
// Each scrape reads the overseer's public snapshots (beacons_json, runs_json, run_json,
// series_json, cumulative_json). The run counters are sums over the merged series, kept between
// scrapes (overseer::scrape_state): a scrape reads only the merged seconds stored since the last
// one, not the whole run. Counters are monotonic as the merged series only grows (merged seconds
// are written once, in order).
#include <chrono>
#include <string>

#include "outputs/prometheus.hpp"
#include "overseer/detail/scrape_state.hpp"
#include "overseer/overseer.hpp"
#include "overseer/pages.hpp"
#include "stats/second_series.hpp"
#include "store/run_record.hpp"
#include "util/error.hpp"

namespace bts::overseer {

namespace json = boost::json;

namespace {

constexpr std::int64_t ended_keep_ms = 10 * 60 * 1000;

double num(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.as_int64());
  if (v.is_uint64()) return static_cast<double>(v.as_uint64());
  if (v.is_double()) return v.as_double();
  return 0;
}

std::string str(const json::object& o, const char* key) {
  if (auto* v = o.if_contains(key); v && v->is_string()) return std::string(v->as_string());
  return {};
}

void fleet(overseer& o, outputs::exposition_builder& b) {
  const json::array beacons = o.beacons_json();
  double connected = 0, lost = 0;
  for (const auto& v : beacons) {
    const json::object& e = v.as_object();
    const bool up = str(e, "connection") == "connected";
    (up ? connected : lost) += 1;
    const outputs::metric_labels l{{"beacon", str(e, "name")}};
    b.add("bts_infra_overseer_beacon_connected", "gauge",
          "1 while the beacon's control connection is up, 0 while it is lost.", l, up ? 1 : 0);
    if (auto* c = e.if_contains("clock_offset_us"); c && !c->is_null()) {
      b.add("bts_infra_overseer_beacon_clock_offset_seconds", "gauge",
            "Beacon clock minus overseer clock (NTP-style, best of recent pings).", l,
            num(*c) / 1e6);
    }
    if (auto* c = e.if_contains("clock_delay_us"); c && !c->is_null()) {
      b.add("bts_infra_overseer_beacon_clock_delay_seconds", "gauge",
            "Round-trip delay of the ping the clock offset came from.", l, num(*c) / 1e6);
    }
    if (auto* c = e.if_contains("connections"))
      b.add("bts_infra_overseer_beacon_connections_total", "counter",
            "Control connections the beacon opened (1 + reconnects).", l, num(*c));
    if (auto* c = e.if_contains("losses"))
      b.add("bts_infra_overseer_beacon_losses_total", "counter",
            "Times the beacon's control connection was lost.", l, num(*c));
    if (auto* c = e.if_contains("pending_commands"))
      b.add("bts_infra_overseer_beacon_pending_commands", "gauge",
            "Commands sent to the beacon and not yet answered.", l, num(*c));
    if (auto* c = e.if_contains("last_second")) {
      outputs::metric_labels lr = l;
      lr.emplace_back("run", str(e, "run"));
      b.add("bts_infra_overseer_beacon_last_second", "gauge",
            "Last second of its run the beacon reported (-1: none).", lr, num(*c));
    }
  }
  b.add("bts_infra_overseer_beacons", "gauge", "Beacons known to the overseer, by connection.",
        {{"connection", "connected"}}, connected);
  b.add("bts_infra_overseer_beacons", "gauge", "Beacons known to the overseer, by connection.",
        {{"connection", "lost"}}, lost);
}

void runs(overseer& o, outputs::exposition_builder& b) {
  const json::array list = o.runs_json();
  detail::scrape_state& state = o.scrape_state();
  std::lock_guard state_lock(state.mu);
  std::map<std::string, outputs::scope_metrics> kept;  // the runs of this scrape
  std::map<std::string, double> by_status{
      {"created", 0}, {"running", 0}, {"completed", 0}, {"stopped", 0}, {"failed", 0}};
  const store::unix_ms now = store::now_unix_ms();
  for (const auto& v : list) {
    const json::object& r = v.as_object();
    const std::string status = str(r, "status");
    by_status[status] += 1;
    const bool live = status == "created" || status == "running";
    if (!live) {
      const std::string ended = str(r, "ended_at");
      try {
        if (ended.empty() || now - store::parse_unix_ms(ended, "ended_at") > ended_keep_ms)
          continue;
      } catch (const input_error&) {
        continue;
      }
    }
    const std::string id = str(r, "id");
    const outputs::metric_labels l{{"run", id}};
    b.add("bts_infra_run_running", "gauge", "1 while the run is created or running, else 0.", l,
          live ? 1 : 0);
    try {
      const json::object info = o.run_json(id);
      if (auto* m = info.if_contains("merged_up_to"))
        b.add("bts_infra_run_merged_seconds", "gauge",
              "Seconds of the run merged over its beacons and stored.", l, num(*m) + 1);
      if (auto* bs = info.if_contains("beacons"); bs && bs->is_array()) {
        for (const auto& bv : bs->as_array()) {
          const json::object& be = bv.as_object();
          if (auto* st = be.if_contains("stored_second")) {
            b.add("bts_infra_run_beacon_stored_seconds", "gauge",
                  "Seconds of the run stored for the beacon (its rows are stored before they "
                  "are acknowledged).",
                  {{"run", id}, {"beacon", str(be, "name")}}, num(*st) + 1);
          }
        }
      }
      outputs::scope_metrics& s = kept[id];
      if (auto it = state.runs.find(id); it != state.runs.end()) s = std::move(it->second);
      const json::array rows = o.series_json(id, "", s.last_second + 1);
      for (const auto& rv : rows) {
        s.add_row(stats::row_from_json(rv, "run " + id), false);
      }
      const json::object cum = o.cumulative_json(id);
      std::array<std::string, stats::latency_kind_count> enc;
      if (auto* h = cum.if_contains("histograms"); h && h->is_object()) {
        for (auto k : stats::all_latency_kinds) {
          if (auto* e = h->as_object().if_contains(stats::name(k)); e && e->is_string())
            enc[static_cast<std::size_t>(k)] = std::string(e->as_string());
        }
      }
      s.set_latency(enc);
      s.write(b, "bts_infra_run", l);
    } catch (const std::exception&) {
      // A run that vanished or does not read: leave its samples out of this scrape.
    }
  }
  state.runs = std::move(kept);
  for (const auto& [st, n] : by_status) {
    b.add("bts_infra_overseer_runs", "gauge", "Runs in the store, by status.", {{"status", st}}, n);
  }
}

}  // namespace

std::optional<rpc::http_response> metrics_http(overseer& o, std::string_view path) {
  if (path != "/metrics") return std::nullopt;
  outputs::exposition_builder b;
  b.add("bts_infra_overseer_up", "gauge", "1 while the overseer serves /metrics.", {}, 1);
  fleet(o, b);
  runs(o, b);
  rpc::http_response r;
  r.content_type = std::string(outputs::prometheus_content_type);
  r.body = b.str();
  return r;
}

}  // namespace bts::overseer
