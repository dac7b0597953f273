// run_summary: totals that add up, rates, and the validity verdict with its evidence.
#include "stats/run_summary.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "stats/json_io.hpp"

namespace bts::stats {
namespace {

// A healthy 10-second run at 100 tx/s: every second 100 offered and sent, 99 accepted, 1
// rejected, 98 included, 1 ms lag, node at 50% CPU, send thread at 20%.
struct run_fixture {
  second_series series;
  latency_set cumulative;

  run_fixture() {
    for (int s = 0; s < 10; ++s) add_second(s, [](second_row&, latency_set&) {});
  }

  template <class F>
  void add_second(std::int64_t second, F&& tweak) {
    second_row r;
    r.second = second;
    r.offered = 100;
    r.sent = 100;
    r.accepted = 99;
    r.rejected = 1;
    r.rejected_by_reason["fc:10"] = 1;
    r.included = 98;
    r.ops_sent = 100;
    r.ops_included = 98;
    r.bytes_sent = 100 * 250;
    r.node_cpu_percent = 50;
    r.send_cpu_percent = 20;
    r.beacon_cpu_percent = 35;
    latency_set w;
    for (int i = 0; i < 100; ++i) {
      w[latency_kind::schedule_lag].record(1000);
      w[latency_kind::ack_corrected].record(3000 + i);
      w[latency_kind::ack_uncorrected].record(2000 + i);
      w[latency_kind::inclusion_corrected].record(1500000 + i * 100);
      w[latency_kind::inclusion_uncorrected].record(1490000 + i * 100);
    }
    tweak(r, w);
    r.set_latency(w);
    if (series.find(second) != nullptr) {
      second_series rebuilt;
      for (const auto& old : series.rows()) {
        if (old.second != second) rebuilt.insert(old);
      }
      series = rebuilt;
      cumulative.reset();
      for (const auto& old : series.rows()) {
        for (latency_kind k : all_latency_kinds) cumulative[k].merge_encoded(old[k].hdr);
      }
    }
    cumulative.merge(w);
    series.insert(r);
  }

  run_summary summary(summary_options o = {}) const { return summarize(series, cumulative, o); }
};

summary_options target(double rate) {
  summary_options o;
  o.target_rate = rate;
  return o;
}
summary_options duration(double seconds) {
  summary_options o;
  o.duration_seconds = seconds;
  return o;
}
summary_options unlimited() {
  summary_options o;
  o.unlimited = true;
  return o;
}


TEST(RunSummary, TotalsAddUpAndRatesFollowTheSeries) {
  run_fixture f;
  f.add_second(9, [](second_row& r, latency_set&) {
    r.accepted = 90;
    r.in_flight = 9;
  });
  const run_summary s = f.summary(target(100));
  EXPECT_EQ(s.seconds, 10);
  EXPECT_EQ(s.duration_seconds, 10);
  EXPECT_EQ(s.offered, 1000);
  EXPECT_EQ(s.sent, 1000);
  EXPECT_EQ(s.accepted, 981);
  EXPECT_EQ(s.rejected, 10);
  EXPECT_EQ(s.unanswered, 9);
  EXPECT_EQ(s.sent, s.accepted + s.rejected + s.unanswered);
  EXPECT_EQ(s.rejected_by_reason.at("fc:10"), 10);
  EXPECT_EQ(s.included, 980);
  EXPECT_DOUBLE_EQ(s.achieved_rate, 100);
  EXPECT_DOUBLE_EQ(*s.achieved_ratio, 1.0);
  EXPECT_NEAR(*s.inclusion_ratio, 980.0 / 981.0, 1e-12);
  EXPECT_EQ(s.peak_node_cpu_percent, 50);
  EXPECT_EQ(s[latency_kind::ack_corrected].count, 1000);
  EXPECT_EQ(s[latency_kind::ack_corrected].p50, 3049);
  EXPECT_TRUE(s[latency_kind::ack_corrected].hdr.empty());
  EXPECT_TRUE(s.valid_for_throughput) << (s.invalid_reasons.empty() ? "" : s.invalid_reasons[0]);
  EXPECT_TRUE(s.notes.empty()) << s.notes[0];
}

TEST(RunSummary, ExactDurationOverridesTheSecondsSpan) {
  run_fixture f;
  const run_summary s = f.summary(duration(9.5));
  EXPECT_DOUBLE_EQ(s.achieved_rate, 1000 / 9.5);
}

TEST(RunSummary, ScheduleLagInvalidatesWithTheWorstSecond) {
  run_fixture f;
  f.add_second(6, [](second_row&, latency_set& w) {
    w[latency_kind::schedule_lag].reset();
    w[latency_kind::schedule_lag].record(80000, 100);  // 80 ms late for a whole second
  });
  const run_summary s = f.summary();
  EXPECT_FALSE(s.valid_for_throughput);
  ASSERT_EQ(s.invalid_reasons.size(), 1u);
  EXPECT_EQ(s.invalid_reasons[0],
            "the beacons fell behind their schedule: schedule lag p99 was 80.1 ms (limit 10.0 ms); "
            "1 of 10 seconds over the limit, worst second 6 with p99 80.1 ms and max 80.1 ms");
  // Unlimited runs have no schedule to fall behind.
  EXPECT_TRUE(f.summary(unlimited()).valid_for_throughput);
}

TEST(RunSummary, ShortfallIsTheBeaconsFaultWhenTheNodeHadHeadroom) {
  run_fixture f;
  f.add_second(3, [](second_row& r, latency_set&) { r.sent = 80; r.accepted = 79; });
  run_summary s = f.summary();
  EXPECT_FALSE(s.valid_for_throughput);
  ASSERT_EQ(s.invalid_reasons.size(), 1u);
  EXPECT_EQ(s.invalid_reasons[0],
            "sent 980 of 1000 offered transactions (98.0%, limit 99.0%) while the node had "
            "headroom (CPU peaked at 50.0%)");

  // The same shortfall with the node saturated is a finding about the node, not a bad run.
  f.add_second(4, [](second_row& r, latency_set&) { r.node_cpu_percent = 97; });
  s = f.summary();
  EXPECT_TRUE(s.valid_for_throughput);
  ASSERT_EQ(s.notes.size(), 1u);
  EXPECT_EQ(s.notes[0],
            "sent 980 of 1000 offered transactions (98.0%, limit 99.0%); the node's CPU reached "
            "97.0%, so the node limited the rate");
}

TEST(RunSummary, ShortfallWithoutNodeCpuCannotBeBlamedOnTheNode) {
  run_fixture f;
  for (int sec = 0; sec < 10; ++sec) {
    f.add_second(sec, [&](second_row& r, latency_set&) {
      r.node_cpu_percent.reset();
      if (sec == 0) r.sent = 50, r.accepted = 49;
    });
  }
  const run_summary s = f.summary();
  EXPECT_FALSE(s.valid_for_throughput);
  EXPECT_EQ(s.invalid_reasons.at(0),
            "sent 950 of 1000 offered transactions (95.0%, limit 99.0%) and node CPU was not "
            "measured, so the shortfall cannot be attributed to the node");
}

TEST(RunSummary, DryPoolAndSaturatedSendThreadInvalidate) {
  run_fixture f;
  f.add_second(2, [](second_row& r, latency_set&) { r.pool_misses = 7; });
  f.add_second(5, [](second_row& r, latency_set&) { r.pool_misses = 3; r.send_cpu_percent = 99.5; });
  f.add_second(7, [](second_row& r, latency_set&) { r.send_cpu_percent = 91; });
  const run_summary s = f.summary();
  EXPECT_FALSE(s.valid_for_throughput);
  ASSERT_EQ(s.invalid_reasons.size(), 2u);
  EXPECT_EQ(s.invalid_reasons[0],
            "the pre-signed transaction pool ran dry: 10 sends found no pre-signed transaction "
            "ready, in 2 seconds (first at second 2)");
  EXPECT_EQ(s.invalid_reasons[1],
            "a beacon's send thread was saturated: above 90.0% of a core in 2 of 10 seconds "
            "(peak 99.5% at second 5)");
}

// Rejections of the beacons' own setup (their funds ran out) above 1% of the sends: the run
// measured the beacons, not the network; network-side ones (fc:10 without a kind) do not count.
TEST(RunSummary, BeaconSideRejectionsInvalidate) {
  run_fixture f;
  f.add_second(4, [](second_row& r, latency_set&) {
    r.accepted = 80;
    r.rejected = 20;
    r.rejected_by_reason = {{"fc:10 insufficient_balance", 19}, {"fc:10", 1}};
  });
  const run_summary s = f.summary();
  EXPECT_FALSE(s.valid_for_throughput);
  ASSERT_EQ(s.invalid_reasons.size(), 1u);
  EXPECT_EQ(s.invalid_reasons[0],
            "the beacons' own setup, not the network, caused 19 of 29 rejections "
            "(fc:10 insufficient_balance: 19)");
  const auto totals = to_json(s).at("totals").as_object();
  EXPECT_EQ(totals.at("rejected_by_side").at("beacon").as_int64(), 19);
  EXPECT_EQ(totals.at("rejected_by_side").at("network").as_int64(), 10);

  run_fixture few;  // 1 beacon-side rejection of 1,000 sends: below the limit
  few.add_second(4, [](second_row& r, latency_set&) {
    r.rejected_by_reason = {{"fc:10 now <= trx.expiration", 1}};
  });
  EXPECT_TRUE(few.summary().valid_for_throughput);
}

TEST(RunSummary, EmptyAndIdleRunsSaySo) {
  const run_summary empty = summarize(second_series{}, latency_set{}, {});
  EXPECT_FALSE(empty.valid_for_throughput);
  EXPECT_EQ(empty.invalid_reasons, std::vector<std::string>{"the run has no measured seconds"});
  EXPECT_EQ(empty.achieved_rate, 0);

  run_fixture f;
  for (int sec = 0; sec < 10; ++sec) {
    f.add_second(sec, [](second_row& r, latency_set&) { r.included = 0; });
  }
  const run_summary s = f.summary();
  EXPECT_EQ(s.notes, std::vector<std::string>{"no transaction was seen included in a block"});
  EXPECT_EQ(s.inclusion_ratio, 0.0);
}

TEST(RunSummary, InconsistentCountsAreNoted) {
  run_fixture f;
  f.add_second(1, [](second_row& r, latency_set&) {
    r.accepted = 101;
    r.rejected_by_reason["fc:10"] = 5;
  });
  const run_summary s = f.summary();
  ASSERT_EQ(s.notes.size(), 2u);
  EXPECT_EQ(s.notes[0], "inconsistent counts: 1002 answers for 1000 sends");
  EXPECT_EQ(s.notes[1], "inconsistent counts: rejections by reason add up to 14, not 10");
}

TEST(RunSummary, JsonShape) {
  run_fixture f;
  const auto j = to_json(f.summary(target(100)));
  EXPECT_EQ(j.at("verdict").at("valid_for_throughput").as_bool(), true);
  EXPECT_EQ(j.at("totals").at("unanswered").as_int64(), 0);
  EXPECT_EQ(json::write(j.at("rates_tx_per_s")),
            R"({"target":100,"offered":100,"achieved":100,"accepted":99,"included":98})");
  EXPECT_EQ(json::write(j.at("ratios")), R"({"achieved":1,"inclusion":0.9899})");
  EXPECT_EQ(json::write(j.at("cpu_percent")),
            R"({"beacon_peak":35,"send_thread_peak":20,"node_peak":50})");
  EXPECT_FALSE(j.at("latency_us").at("ack_corrected").as_object().contains("hdr"));
}

}  // namespace
}  // namespace bts::stats

namespace bts::stats {
namespace {

// Head lag per node: ws://b falls 5 to 7 blocks behind for 3 seconds; its transactions and the
// note name it; ws://a (the freshest) and a node never sampled stay quiet.
TEST(RunSummary, PerNodeHeadLagNamesTheNodeThatFellBehind) {
  run_fixture f;
  for (int s = 0; s < 10; ++s) {
    f.add_second(s, [s](second_row& r, latency_set&) {
      node_load_row a, b;
      a.head_lag_blocks = 0;
      b.head_lag_blocks = s >= 4 && s <= 6 ? 5.0 + (s - 4) : (s == 7 ? 1.0 : 0.0);
      r.node_load["ws://a"] = a;
      r.node_load["ws://b"] = b;
    });
  }
  summary_options o;
  o.node_tx["ws://a"] = {600, 590, 590};
  o.node_tx["ws://b"] = {3000, 3000, 10};
  const run_summary s = f.summary(o);
  ASSERT_EQ(s.per_node.size(), 2u);
  EXPECT_EQ(s.per_node[0].url, "ws://a");
  EXPECT_EQ(s.per_node[0].peak_head_lag_blocks, 0);
  EXPECT_EQ(s.per_node[0].seconds_behind, 0);
  EXPECT_EQ(s.per_node[1].url, "ws://b");
  EXPECT_EQ(s.per_node[1].peak_head_lag_blocks, 7);
  EXPECT_EQ(s.per_node[1].seconds_behind, 3);
  EXPECT_EQ(s.per_node[1].least_lag_behind_blocks, 5);
  const std::string note =
      "ws://b was 5\u20137 blocks behind the freshest node for 3 s; 2,990 of the 3,000 "
      "transactions it accepted were never included";
  EXPECT_NE(std::find(s.notes.begin(), s.notes.end(), note), s.notes.end());
  EXPECT_EQ(std::count_if(s.notes.begin(), s.notes.end(),
                          [](const std::string& n) { return n.rfind("ws://a", 0) == 0; }),
            0);

  const boost::json::object j = to_json(s);
  const auto& b = j.at("per_node").as_array().at(1).as_object();
  EXPECT_EQ(b.at("url").as_string(), "ws://b");
  EXPECT_EQ(b.at("sent").as_int64(), 3000);
  EXPECT_EQ(b.at("accepted").as_int64(), 3000);
  EXPECT_EQ(b.at("included").as_int64(), 10);
  EXPECT_EQ(b.at("not_included").as_int64(), 2990);
  EXPECT_EQ(b.at("peak_head_lag_blocks").as_int64(), 7);
  EXPECT_EQ(b.at("seconds_behind").as_int64(), 3);
  EXPECT_EQ(b.at("head_lag_behind_min_blocks").as_int64(), 5);
  EXPECT_TRUE(
      j.at("per_node").as_array().at(0).as_object().at("head_lag_behind_min_blocks").is_null());

  // Without transaction counts (a fleet whose beacons sent no per-node note): lag only.
  const run_summary lag_only = f.summary();
  EXPECT_FALSE(lag_only.per_node[1].tx);
  EXPECT_TRUE(to_json(lag_only).at("per_node").as_array().at(1).as_object().at("sent").is_null());
  EXPECT_NE(std::find(lag_only.notes.begin(), lag_only.notes.end(),
                      "ws://b was 5\u20137 blocks behind the freshest node for 3 s"),
            lag_only.notes.end());
}

TEST(RunSummary, NoHeadSampledNoPerNode) {
  run_fixture f;
  const run_summary s = f.summary();
  EXPECT_TRUE(s.per_node.empty());
  EXPECT_FALSE(to_json(s).contains("per_node"));
}

}  // namespace
}  // namespace bts::stats
