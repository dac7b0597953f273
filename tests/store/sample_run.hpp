// A small, fully deterministic two-beacon run shared by the store and run-directory tests (and
// pinned by the golden run directory in testdata/golden_run).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>

#include "stats/json_io.hpp"
#include "stats/run_summary.hpp"
#include "store/run_record.hpp"

namespace bts::store::test {

// A fresh empty directory under the system temp dir, removed when the object dies.
class temp_dir {
 public:
  temp_dir() {
    std::string templ = (std::filesystem::temp_directory_path() / "bts-store-XXXXXX").string();
    if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = templ;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// One beacon's second: `sent` transactions, latencies derived from (second, beacon_salt).
inline stats::second_row sample_second(std::int64_t second, std::int64_t sent, int salt,
                                       stats::latency_set* window_out = nullptr) {
  stats::second_row r;
  r.second = second;
  r.offered = sent;
  r.sent = sent;
  r.accepted = sent - 1;
  r.rejected = 1;
  r.rejected_by_reason["fc:3030001"] = 1;
  r.included = sent - 2;
  r.ops_sent = sent;
  r.ops_included = sent - 2;
  r.bytes_sent = sent * 212;
  r.in_flight = 0;  // every send answered within its second
  r.pool_depth = 5000 - second;
  r.beacon_cpu_percent = 20.5 + salt;
  r.send_cpu_percent = 10.25;
  r.node_cpu_percent = 41;
  stats::latency_set w;
  for (std::int64_t i = 0; i < sent; ++i) {
    const std::int64_t v = 100 + (i * 37 + second * 11 + salt * 5) % 900;
    w[stats::latency_kind::schedule_lag].record(v / 10);
    w[stats::latency_kind::ack_corrected].record(2000 + v);
    w[stats::latency_kind::ack_uncorrected].record(1900 + v);
    w[stats::latency_kind::inclusion_corrected].record(1'500'000 + v * 100);
    w[stats::latency_kind::inclusion_uncorrected].record(1'490'000 + v * 100);
  }
  r.set_latency(w);
  if (window_out != nullptr) *window_out = w;
  return r;
}

// Beacons "alpha" (salt 1, 20 tx/s) and "beta" (salt 2, 10 tx/s) for three seconds, merged.
inline run_record sample_run() {
  run_record rec;
  rec.info.id = "20240501-120000-golden";
  rec.info.name = "golden run";
  rec.info.scenario_name = "real-user-activity";
  rec.info.scenario_text = "preset: real-user-activity\nload:\n  kind: constant\n  rate: 30\n";
  rec.info.manifest["seed"] = 42;
  rec.info.manifest["chain_id"] =
      "4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8";
  rec.info.manifest["versions"] = boost::json::object{{"bts_infra", "0.1.0"}, {"node", "7.0.1"}};
  rec.info.created_at = 1714564800000;  // 2024-05-01T12:00:00.000Z
  rec.info.started_at = 1714564801250;
  rec.info.ended_at = 1714564804250;
  rec.info.status = run_status::completed;
  rec.beacons.push_back({"alpha", boost::json::object{{"host", "a.example"}, {"cores", 4}}});
  rec.beacons.push_back({"beta", boost::json::object{{"host", "b.example"}, {"cores", 2}}});

  stats::latency_set alpha_total, beta_total;
  for (std::int64_t s = 0; s < 3; ++s) {
    stats::latency_set wa, wb;
    rec.by_beacon["alpha"].insert(sample_second(s, 20, 1, &wa));
    rec.by_beacon["beta"].insert(sample_second(s, 10, 2, &wb));
    alpha_total.merge(wa);
    beta_total.merge(wb);
    stats::second_merger m(s);
    m.add(*rec.by_beacon["alpha"].find(s));
    m.add(*rec.by_beacon["beta"].find(s));
    rec.merged.insert(m.result());
  }
  stats::latency_set all = alpha_total;
  all.merge(beta_total);
  rec.cumulative[""] = encode(all);
  rec.cumulative["alpha"] = encode(alpha_total);
  rec.cumulative["beta"] = encode(beta_total);

  rec.events.push_back({1714564801250, event_kind::start, "", boost::json::object{{"rate", 30}}});
  rec.events.push_back(
      {1714564802500, event_kind::rate_change, "", boost::json::object{{"from", 30}, {"to", 60}}});
  rec.events.push_back({1714564803000, event_kind::error, "beta",
                        boost::json::object{{"message", "disconnected: connection reset"}}});
  rec.events.push_back({1714564804250, event_kind::stop, "", boost::json::object{}});

  // Three blocks, 3 s apart: the run's transactions and a few of someone else's.
  for (std::int64_t i = 0; i < 3; ++i) {
    store::block_record b;
    b.block_num = 1000 + i;
    b.time_ms = 1714564803000 + i * 3000;
    b.witness = "1.6." + std::to_string(1 + i);
    b.run_transactions = 30 + i * 10;
    b.transactions = b.run_transactions + 2;
    b.operations = b.transactions + 5;
    b.bytes = 120 + b.transactions * 161;
    b.max_block_size = 2000000;
    rec.blocks.push_back(b);
  }

  stats::summary_options o;
  o.target_rate = 30;
  o.duration_seconds = 3;
  // As stored: JSON text read back (a double such as 30.0 reads back as the integer 30).
  const std::string summary =
      stats::json::write(stats::to_json(stats::summarize(rec.merged, all, o)));
  rec.summary = stats::json::parse(summary, "summary").as_object();
  return rec;
}

}  // namespace bts::store::test
