// Deterministic synthetic runs for the report's tests and benchmark: one beacon (or several),
// N seconds at a constant rate, realistic latency shapes (ack ~ a few ms with a tail, inclusion
// spread over the 3 s block interval), optional rejections, rate-search events and blocks.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>

#include "stats/json_io.hpp"
#include "stats/run_summary.hpp"
#include "store/run_record.hpp"

namespace bts::report::test {

struct synthetic_options {
  std::int64_t seconds = 60;
  std::int64_t rate = 100;               // tx/s offered
  double include_share = 1.0;            // of accepted
  std::int64_t rejected_every = 0;       // one rejection per this many sends (0: none)
  std::string rejection = "fc:3030001";  // their reason (stats/rejection.hpp)
  std::int64_t block_interval_s = 3;
  bool blocks = true;        // when run_record supports them
  bool rate_search = false;  // rate_change events every seconds/4 and a break point
  std::string scenario = "real-user-activity";
  std::uint32_t seed = 7;
  bool summary = true;
  // Each second's node_load for the run's two nodes: 10.0.0.1 with every figure (node_exporter),
  // 10.0.0.2 with CPU, memory and disk but no network (a process source).
  bool node_load = true;
};

template <class Run>
void add_blocks(Run& run, const synthetic_options& o) {
  if constexpr (requires { run.blocks; }) {
    using block_t = typename decltype(run.blocks)::value_type;
    const store::unix_ms start = *run.info.started_at;
    std::int64_t num = 1000;
    for (std::int64_t t = 0; t < o.seconds; t += o.block_interval_s) {
      block_t b;
      b.block_num = ++num;
      b.time_ms = start + (t + o.block_interval_s) * 1000;
      b.witness = "1.6." + std::to_string(1 + num % 11);
      const std::int64_t step =
          o.rate_search ? std::min<std::int64_t>(3, t / std::max<std::int64_t>(1, o.seconds / 4))
                        : 0;
      b.run_transactions =
          static_cast<std::int64_t>(static_cast<double>(o.rate * (step + 1) * o.block_interval_s) *
                                    (step == 3 ? 0.8 : 1.0) * o.include_share);
      b.transactions = b.run_transactions + num % 3;
      b.operations = b.transactions + b.transactions / 10;
      b.bytes = 120 + b.transactions * 210;
      b.max_block_size = 2'000'000;
      run.blocks.push_back(b);
    }
  } else {
    (void)run;
    (void)o;
  }
}

template <class Run>
constexpr bool supports_blocks() {
  return requires(Run r) { r.blocks; };
}

inline store::run_record synthetic_run(const synthetic_options& o) {
  store::run_record run;
  run.info.id = "20240601-100000-synthetic";
  run.info.name = "synthetic " + std::to_string(o.rate) + " tx/s";
  run.info.scenario_name = o.scenario;
  run.info.scenario_text = "preset: " + o.scenario +
                           "\nload:\n  kind: constant\n  rate: " + std::to_string(o.rate) + "\n";
  run.info.manifest["seed"] = static_cast<std::int64_t>(o.seed);
  run.info.manifest["chain_id"] =
      "4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8";
  run.info.manifest["versions"] = boost::json::object{{"bts_infra", "0.1.0"}, {"node", "7.0.1"}};
  run.info.manifest["rate"] = o.rate_search ? "steps " + std::to_string(o.rate) + " to " +
                                                  std::to_string(4 * o.rate) + " tx/s"
                                            : "constant " + std::to_string(o.rate) + " tx/s";
  run.info.manifest["nodes"] = boost::json::array{"ws://10.0.0.1:8090", "ws://10.0.0.2:8090"};
  run.info.manifest["chain_parameters"] =
      boost::json::object{{"maximum_block_size", 2'000'000}, {"block_interval", 3}};
  run.info.manifest["connections"] =
      boost::json::array{boost::json::object{{"url", "ws://10.0.0.1:8090"},
                                             {"calls", o.seconds * o.rate / 2},
                                             {"timeouts", 0},
                                             {"disconnects", 0},
                                             {"reconnects", 0},
                                             {"connect_failures", 0}},
                         boost::json::object{{"url", "ws://10.0.0.2:8090"},
                                             {"calls", o.seconds * o.rate / 2},
                                             {"timeouts", 1},
                                             {"disconnects", 1},
                                             {"reconnects", 1},
                                             {"connect_failures", 0}}};
  run.info.created_at = 1717236000000;  // 2024-06-01T10:00:00.000Z
  run.info.started_at = run.info.created_at + 500;
  run.info.ended_at = *run.info.started_at + o.seconds * 1000;
  run.info.status = store::run_status::completed;
  run.beacons.push_back({"b1", boost::json::object{{"host", "load-1"}, {"cores", 8}}});

  std::mt19937_64 rng(o.seed);
  std::lognormal_distribution<double> ack(std::log(2500.0), 0.35);
  std::uniform_real_distribution<double> in_block(0.0, static_cast<double>(o.block_interval_s));
  std::exponential_distribution<double> lag(1.0 / 40.0);
  stats::latency_set total;
  const std::int64_t step_len = std::max<std::int64_t>(1, o.seconds / 4);
  for (std::int64_t s = 0; s < o.seconds; ++s) {
    // A rate search steps up every quarter of the run; its last step overloads the chain.
    const std::int64_t step = o.rate_search ? std::min<std::int64_t>(3, s / step_len) : 0;
    const std::int64_t rate = o.rate * (step + 1);
    const double include_share = step == 3 ? o.include_share * 0.8 : o.include_share;
    const std::int64_t backlog_us = step == 3 ? (s - 3 * step_len) * 400'000 : 0;
    stats::second_row r;
    r.second = s;
    r.offered = rate;
    r.sent = rate;
    r.rejected = o.rejected_every > 0 ? rate / o.rejected_every : 0;
    if (r.rejected > 0) r.rejected_by_reason[o.rejection] = r.rejected;
    r.accepted = r.sent - r.rejected;
    r.included =
        static_cast<std::int64_t>(std::llround(static_cast<double>(r.accepted) * include_share));
    r.ops_sent = r.sent + r.sent / 10;
    r.ops_included = r.included + r.included / 10;
    r.bytes_sent = r.sent * 210;
    r.in_flight = s + 1 == o.seconds ? 0 : 3 + s % 5;
    r.pool_depth = 5000;
    r.beacon_cpu_percent = 30 + static_cast<double>(s % 10) + 10.0 * static_cast<double>(step);
    r.send_cpu_percent = 12.5;
    r.node_cpu_percent =
        std::min(100.0, 55 + static_cast<double>(s % 7) + 12.0 * static_cast<double>(step));
    if (o.node_load) {
      const auto sd = static_cast<double>(s);
      stats::node_load_row& a = r.node_load["ws://10.0.0.1:8090"];
      a.cpu_percent = r.node_cpu_percent;
      a.cpu_cores = 8;
      a.memory_bytes = 2.0 * (1 << 30) + sd * 1024 * 1024;
      a.net_rx_bytes_per_s = static_cast<double>(rate) * 450 + static_cast<double>(s % 5) * 1000;
      a.net_tx_bytes_per_s = static_cast<double>(rate) * 2100 + static_cast<double>(s % 3) * 5000;
      a.disk_read_bytes_per_s = static_cast<double>(s % 4) * 4096;
      a.disk_write_bytes_per_s =
          static_cast<double>(rate) * 600 + static_cast<double>(s % 7) * 8192;
      stats::node_load_row& b = r.node_load["ws://10.0.0.2:8090"];
      b.cpu_percent = *r.node_cpu_percent * 0.5;
      b.cpu_cores = 4;
      b.memory_bytes = 1.5 * (1 << 30) + sd * 512 * 1024;
      b.disk_read_bytes_per_s = 0;
      b.disk_write_bytes_per_s =
          static_cast<double>(rate) * 580 + static_cast<double>(s % 5) * 4096;
    }
    stats::latency_set w;
    for (std::int64_t i = 0; i < r.sent; ++i) {
      const auto l = static_cast<std::int64_t>(lag(rng));
      const auto a = static_cast<std::int64_t>(ack(rng));
      w[stats::latency_kind::schedule_lag].record(l);
      w[stats::latency_kind::ack_corrected].record(a + l);
      w[stats::latency_kind::ack_uncorrected].record(a);
      if (i < r.included) {
        const auto inc = static_cast<std::int64_t>(in_block(rng) * 1e6) + a + 200'000 + backlog_us;
        w[stats::latency_kind::inclusion_corrected].record(inc + l);
        w[stats::latency_kind::inclusion_uncorrected].record(inc);
      }
    }
    r.set_latency(w);
    total.merge(w);
    run.merged.insert(std::move(r));
  }
  run.cumulative[""] = store::encode(total);
  const store::unix_ms t0 = *run.info.started_at;
  run.events.push_back({t0, store::event_kind::start, "", boost::json::object{{"rate", o.rate}}});
  if (o.rate_search) {
    const std::int64_t step = std::max<std::int64_t>(1, o.seconds / 4);
    for (std::int64_t k = 1; k < 4; ++k) {
      run.events.push_back({t0 + k * step * 1000, store::event_kind::rate_change, "",
                            boost::json::object{{"from", o.rate * k}, {"to", o.rate * (k + 1)}}});
    }
    run.events.push_back(
        {t0 + 3 * step * 1000 + 500, store::event_kind::break_point, "",
         boost::json::object{{"rate", o.rate * 4}, {"reason", "inclusion p99 above 10 s"}}});
  }
  run.events.push_back({*run.info.ended_at, store::event_kind::stop, "", boost::json::object{}});
  if (o.blocks) add_blocks(run, o);
  if (o.summary) {
    stats::summary_options so;
    if (!o.rate_search) so.target_rate = static_cast<double>(o.rate);
    so.duration_seconds = static_cast<double>(o.seconds);
    const std::string text =
        stats::json::write(stats::to_json(stats::summarize(run.merged, total, so)));
    run.summary = stats::json::parse(text, "summary").as_object();
  }
  return run;
}

}  // namespace bts::report::test
