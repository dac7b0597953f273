// second_series: the per-second row's JSON form (pinned by a golden line), merging beacons by
// summing counters and merging histograms (never averaging percentiles), and input errors that
// name the file, line and member.
#include "stats/second_series.hpp"

#include <gtest/gtest.h>

#include "stats/json_io.hpp"
#include "util/error.hpp"

namespace bts::stats {
namespace {

// A row whose latencies are the given values (µs), recorded into every kind with an offset per
// kind so that kinds differ.
second_row row_with(std::int64_t second, std::int64_t sent, std::initializer_list<std::int64_t> us) {
  second_row r;
  r.second = second;
  r.offered = sent;
  r.sent = sent;
  r.accepted = sent;
  r.included = sent;
  r.ops_sent = sent;
  r.ops_included = sent;
  r.bytes_sent = sent * 200;
  latency_set window;
  std::int64_t offset = 0;
  for (latency_kind k : all_latency_kinds) {
    for (std::int64_t v : us) window[k].record(v + offset);
    offset += 1000;
  }
  r.set_latency(window);
  return r;
}

std::string error_of(auto&& f) {
  try {
    f();
  } catch (const input_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(LatencyKind, NamesRoundTrip) {
  for (latency_kind k : all_latency_kinds) EXPECT_EQ(parse_latency_kind(name(k)), k);
  EXPECT_EQ(parse_latency_kind("ack"), std::nullopt);
  EXPECT_EQ(name(latency_kind::inclusion_corrected), "inclusion_corrected");
}

TEST(SecondRow, GoldenJsonLine) {
  second_row r;
  r.second = 3;
  r.offered = 10;
  r.sent = 9;
  r.accepted = 7;
  r.rejected = 1;
  r.rejected_by_reason = {{"fc:10 insufficient_balance", 1}};
  r.included = 6;
  r.ops_sent = 18;
  r.ops_included = 12;
  r.bytes_sent = 1800;
  r.pool_misses = 1;
  r.in_flight = 1;
  r.pool_depth = 4990;
  r.beacon_cpu_percent = 12.5;
  r.send_cpu_percent = 3.25;
  latency_set window;
  window[latency_kind::ack_corrected].record(1500);
  window[latency_kind::ack_corrected].record(2500);
  r.set_latency(window);
  // Keep the line readable: drop the encoded histograms, whose bytes are zlib's business.
  for (auto& d : r.latency) d.hdr.clear();
  EXPECT_EQ(
      json::write(to_json(r)),
      R"({"second":3,"beacons":1,"offered":10,"sent":9,"accepted":7,"rejected":1,)"
      R"("rejected_by_reason":{"fc:10 insufficient_balance":1},)"
      R"("rejected_by_side":{"beacon":1,"network":0},"included":6,"ops_sent":18,"ops_included":12,)"
      R"("bytes_sent":1800,"pool_misses":1,"expired":0,"timeouts":0,"disconnects":0,)"
      R"("reconnects":0,"in_flight":1,"pool_depth":4990,"beacon_cpu_percent":12.5,)"
      R"("send_cpu_percent":3.25,"node_cpu_percent":null,"latency_us":{)"
      R"("schedule_lag":{"count":0,"min":0,"p50":0,"p90":0,"p99":0,"p999":0,"max":0,"mean":0},)"
      R"("ack_corrected":{"count":2,"min":1500,"p50":1500,"p90":2501,"p99":2501,"p999":2501,)"
      R"("max":2501,"mean":2000.5},)"
      R"("ack_uncorrected":{"count":0,"min":0,"p50":0,"p90":0,"p99":0,"p999":0,"max":0,"mean":0},)"
      R"("inclusion_corrected":{"count":0,"min":0,"p50":0,"p90":0,"p99":0,"p999":0,"max":0,)"
      R"("mean":0},)"
      R"("inclusion_uncorrected":{"count":0,"min":0,"p50":0,"p90":0,"p99":0,"p999":0,"max":0,)"
      R"("mean":0}}})");
}

TEST(SecondRow, JsonRoundTripKeepsEverything) {
  second_row r = row_with(12, 100, {100, 200, 300, 40000});
  r.rejected = 2;
  // Reason keys with spaces, dots and operators (stats/rejection.hpp) round-trip as they are;
  // rejected_by_side is written and recomputed, never read.
  r.rejected_by_reason = {{"fc:10 now <= trx.expiration", 1}, {"timeout", 1}};
  r.node_cpu_percent = 99.99;
  r.disconnects = 1;
  r.reconnects = 1;
  const second_row back = row_from_json(to_json(r), "row");
  EXPECT_EQ(back, r);
  EXPECT_EQ(back[latency_kind::schedule_lag].hdr.rfind("HISTFAA", 0), 0u);
}

TEST(SecondRow, ErrorsNameTheMember) {
  auto j = to_json(row_with(1, 5, {10}));
  j["sent"] = "five";
  EXPECT_EQ(error_of([&] { row_from_json(j, "s.jsonl:2"); }), "s.jsonl:2.sent: expected an integer");
  j = to_json(row_with(1, 5, {10}));
  j["rejected_by_reason"].as_object()["fc:10"] = -1;
  EXPECT_EQ(error_of([&] { row_from_json(j, "x"); }),
            "x.rejected_by_reason.fc:10: expected a count >= 0");
  j = to_json(row_with(1, 5, {10}));
  j["latency_us"].as_object().erase("ack_uncorrected");
  EXPECT_EQ(error_of([&] { row_from_json(j, "x"); }), "x.latency_us.ack_uncorrected: missing");
}

TEST(SecondMerger, SumsCountersTakesCpuPeaksAndMergesHistograms) {
  // Beacon a is fast, beacon b slow: the true p99 of both is b's tail, far from the average of
  // the two p99s.
  std::vector<std::int64_t> fast(99, 1000), slow(99, 1000);
  slow.push_back(900000);
  second_row a = row_with(4, 99, {});
  second_row b = row_with(4, 1, {});
  latency_set wa, wb, all;
  for (auto v : fast) {
    wa[latency_kind::ack_corrected].record(v);
    all[latency_kind::ack_corrected].record(v);
  }
  wb[latency_kind::ack_corrected].record(900000);
  all[latency_kind::ack_corrected].record(900000);
  for (int i = 0; i < 9; ++i) {
    wb[latency_kind::ack_corrected].record(1000);
    all[latency_kind::ack_corrected].record(1000);
  }
  a.set_latency(wa);
  b.set_latency(wb);
  a.beacon_cpu_percent = 40;
  b.beacon_cpu_percent = 85;
  a.node_cpu_percent = 10;
  a.rejected = 1;
  a.rejected_by_reason["fc:10"] = 1;
  b.rejected = 2;
  b.rejected_by_reason["fc:10"] = 1;
  b.rejected_by_reason["timeout"] = 1;
  a.in_flight = 3;
  b.in_flight = 4;

  second_merger m(4);
  m.add(a);
  m.add(b);
  const second_row r = m.result();
  EXPECT_EQ(r.second, 4);
  EXPECT_EQ(r.beacons, 2);
  EXPECT_EQ(r.sent, 100);
  EXPECT_EQ(r.bytes_sent, 100 * 200);
  EXPECT_EQ(r.rejected, 3);
  EXPECT_EQ(r.rejected_by_reason.at("fc:10"), 2);
  EXPECT_EQ(r.rejected_by_reason.at("timeout"), 1);
  EXPECT_EQ(r.in_flight, 7);
  EXPECT_EQ(r.beacon_cpu_percent, 85);
  EXPECT_EQ(r.node_cpu_percent, 10);
  EXPECT_EQ(r.send_cpu_percent, std::nullopt);
  const latency_digest expected = latency_digest::of(all[latency_kind::ack_corrected]);
  EXPECT_EQ(r[latency_kind::ack_corrected], expected);
  EXPECT_EQ(r[latency_kind::ack_corrected].count, 109);
  EXPECT_NE(r[latency_kind::ack_corrected].p99,
            (a[latency_kind::ack_corrected].p99 + b[latency_kind::ack_corrected].p99) / 2);
}

TEST(SecondMerger, RefusesPercentilesWithoutHistogram) {
  second_row a = row_with(9, 3, {10, 20, 30});
  a[latency_kind::inclusion_uncorrected].hdr.clear();
  second_merger m(9);
  EXPECT_EQ(error_of([&] { m.add(a); }),
            "second 9 latency_us.inclusion_uncorrected: has 3 samples but no histogram (hdr); "
            "cannot merge");
  a[latency_kind::inclusion_uncorrected].hdr = "HISTFAAA";
  EXPECT_EQ(error_of([&] { m.add(a); }),
            "second 9 latency_us.inclusion_uncorrected.histogram: too short to be a compressed "
            "histogram");
  EXPECT_EQ(m.result().beacons, 0);  // a refused row leaves the merger unchanged
  EXPECT_EQ(m.result().sent, 0);
}

TEST(SecondSeries, MergesBeaconsSecondBySecond) {
  second_series a, b;
  a.insert(row_with(0, 10, {100}));
  a.insert(row_with(1, 10, {100}));
  b.insert(row_with(1, 5, {200}));
  b.insert(row_with(2, 5, {300}));
  const second_series merged = second_series::merge(std::vector<second_series>{a, b});
  ASSERT_EQ(merged.rows().size(), 3u);
  EXPECT_EQ(merged.rows()[0].beacons, 1);
  EXPECT_EQ(merged.rows()[1].beacons, 2);
  EXPECT_EQ(merged.rows()[1].sent, 15);
  EXPECT_EQ(merged.rows()[1][latency_kind::schedule_lag].count, 2);
  EXPECT_EQ(merged.rows()[1][latency_kind::schedule_lag].max, 200);
  EXPECT_EQ(merged.rows()[2].sent, 5);
}

TEST(SecondSeries, InsertKeepsOrderAndRefusesDuplicates) {
  second_series s;
  s.insert(row_with(5, 1, {}));
  s.insert(row_with(2, 1, {}));
  s.insert(row_with(9, 1, {}));
  ASSERT_EQ(s.rows().size(), 3u);
  EXPECT_EQ(s.rows()[0].second, 2);
  EXPECT_EQ(s.rows()[2].second, 9);
  EXPECT_NE(s.find(5), nullptr);
  EXPECT_EQ(s.find(6), nullptr);
  EXPECT_EQ(error_of([&] { s.insert(row_with(5, 1, {})); }), "second 5 appears twice");
}

TEST(SecondSeries, JsonLinesRoundTripAndNameTheLine) {
  second_series s;
  s.insert(row_with(0, 10, {100, 200}));
  s.insert(row_with(1, 12, {150}));
  const std::string text = s.to_jsonl();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
  EXPECT_EQ(second_series::from_jsonl(text, "series.jsonl"), s);
  EXPECT_EQ(second_series::from_jsonl(text + "\n\n", "series.jsonl"), s);

  const std::string bad = text + "{\"second\":2}\n";
  EXPECT_EQ(error_of([&] { second_series::from_jsonl(bad, "run/series.jsonl"); }),
            "run/series.jsonl:3.beacons: missing");
  const std::string dup = text + text.substr(0, text.find('\n') + 1);
  EXPECT_EQ(error_of([&] { second_series::from_jsonl(dup, "s"); }), "s:3: second 0 appears twice");
  EXPECT_EQ(error_of([&] {
              second_series::from_jsonl("{\"second\":", "s");
            }).rfind("s:1: invalid JSON", 0),
            0u);
}

TEST(SecondSeries, TotalsFoldEverySecond) {
  second_series s;
  s.insert(row_with(0, 10, {100}));
  second_row r1 = row_with(1, 20, {300});
  r1.in_flight = 2;
  r1.send_cpu_percent = 55;
  s.insert(r1);
  const second_row t = totals(s);
  EXPECT_EQ(t.sent, 30);
  EXPECT_EQ(t.in_flight, 2);
  EXPECT_EQ(t.send_cpu_percent, 55);
  EXPECT_EQ(t[latency_kind::schedule_lag].count, 2);
  EXPECT_EQ(t[latency_kind::schedule_lag].max, 300);
  EXPECT_EQ(totals(second_series{}).sent, 0);
}

}  // namespace
}  // namespace bts::stats

namespace bts::stats {
namespace {

node_load_row load(std::optional<double> cpu, std::optional<double> mem,
                   std::optional<double> rx = std::nullopt, std::optional<double> wr = std::nullopt) {
  node_load_row l;
  l.cpu_percent = cpu;
  l.memory_bytes = mem;
  l.net_rx_bytes_per_s = rx;
  l.disk_write_bytes_per_s = wr;
  return l;
}

TEST(NodeLoad, JsonIsAnArraySortedByNodeAndAbsentWhenEmpty) {
  second_row r = row_with(2, 5, {100});
  EXPECT_FALSE(to_json(r).contains("node_load"));
  r.node_load["ws://b:8090"] = load(150.04, 1.5e9, 2048.4);
  r.node_load["ws://a:8090"] = load(std::nullopt, 1024.6);
  r.node_load["ws://a:8090"].head_block_num = 1234;
  r.node_load["ws://a:8090"].head_lag_blocks = 3;
  r.node_load["ws://a:8090"].head_age_seconds = 0.456;
  const std::string text = json::write(to_json(r).at("node_load"));
  EXPECT_EQ(text,
            R"([{"node":"ws://a:8090","cpu_percent":null,"cpu_cores":null,"memory_bytes":1025,)"
            R"("net_rx_bytes_per_s":null,"net_tx_bytes_per_s":null,"disk_read_bytes_per_s":null,)"
            R"("disk_write_bytes_per_s":null,"head_block_num":1234,"head_lag_blocks":3,)"
            R"("head_age_seconds":0.46,"irreversible_lag_blocks":null},)"
            R"({"node":"ws://b:8090","cpu_percent":150.04,)"
            R"("cpu_cores":null,"memory_bytes":1500000000,"net_rx_bytes_per_s":2048,)"
            R"("net_tx_bytes_per_s":null,"disk_read_bytes_per_s":null,"disk_write_bytes_per_s":null,)"
            R"("head_block_num":null,"head_lag_blocks":null,"head_age_seconds":null,)"
            R"("irreversible_lag_blocks":null}])");
  // node_load sits after node_cpu_percent, before latency_us.
  const std::string line = json::write(to_json(r));
  EXPECT_LT(line.find("\"node_cpu_percent\""), line.find("\"node_load\""));
  EXPECT_LT(line.find("\"node_load\""), line.find("\"latency_us\""));

  const second_row back = row_from_json(to_json(r), "row");
  ASSERT_EQ(back.node_load.size(), 2u);
  EXPECT_EQ(back.node_load.at("ws://a:8090").memory_bytes, 1025);
  EXPECT_EQ(back.node_load.at("ws://a:8090").head_lag_blocks, 3);
  EXPECT_FALSE(back.node_load.at("ws://a:8090").irreversible_lag_blocks);
  EXPECT_EQ(back.node_load.at("ws://b:8090").cpu_percent, 150.04);
  EXPECT_FALSE(back.node_load.at("ws://b:8090").net_tx_bytes_per_s);
}

TEST(NodeLoad, BadMembersAreNamed) {
  auto with = [](const char* loads) {
    boost::json::object o = to_json(row_with(1, 1, {10}));
    o["node_load"] = boost::json::parse(loads);
    return o;
  };
  EXPECT_EQ(error_of([&] { row_from_json(with(R"({"a":1})"), "s.jsonl:4"); }),
            "s.jsonl:4.node_load: expected an array");
  EXPECT_EQ(error_of([&] { row_from_json(with(R"([{"node":"ws://a","memory_bytes":"x"}])"), "s:4"); }),
            "s:4.node_load[0].memory_bytes: expected a number");
  EXPECT_EQ(error_of([&] { row_from_json(with(R"([{"node":"ws://a","cpu_percent":-1}])"), "s:4"); }),
            "s:4.node_load[0].cpu_percent: is negative");
  EXPECT_EQ(error_of([&] { row_from_json(with(R"([{"node":"a"},{"node":"a"}])"), "s:4"); }),
            "s:4.node_load[1].node: \"a\" appears twice");
  EXPECT_EQ(error_of([&] { row_from_json(with(R"([{"cpu_percent":1}])"), "s:4"); }),
            "s:4.node_load[0].node: missing");
}

TEST(NodeLoad, MergeTakesEachFieldsMaximumPerNodeAndKeepsEveryNode) {
  second_row a = row_with(3, 5, {100});
  second_row b = row_with(3, 5, {200});
  a.node_load["ws://n1"] = load(40, 1000, std::nullopt, 50);
  b.node_load["ws://n1"] = load(60, 900, 7);
  b.node_load["ws://n2"] = load(10, 5);
  second_merger m(3);
  m.add(a);
  m.add(b);
  const second_row r = m.result();
  ASSERT_EQ(r.node_load.size(), 2u);
  EXPECT_EQ(r.node_load.at("ws://n1"), load(60, 1000, 7, 50));
  EXPECT_EQ(r.node_load.at("ws://n2"), load(10, 5));

  second_series s;
  s.insert(a);
  second_row later = row_with(4, 1, {10});
  later.node_load["ws://n1"] = load(20, 3000);
  s.insert(later);
  const second_row t = totals(s);
  EXPECT_EQ(t.node_load.at("ws://n1"), load(40, 3000, std::nullopt, 50));
  // A reading added to a row merges into its node and raises the row's node CPU.
  second_row one;
  one.add_node_load("ws://n1", load(30, 5));
  one.add_node_load("ws://n1", load(20, 9));
  one.add_node_load("ws://n2", load(std::nullopt, 7));
  EXPECT_EQ(one.node_load.at("ws://n1"), load(30, 9));
  EXPECT_EQ(one.node_load.at("ws://n2"), load(std::nullopt, 7));
  EXPECT_EQ(one.node_cpu_percent, 30);
  EXPECT_TRUE(node_load_row{}.empty());
  EXPECT_FALSE(load(std::nullopt, 1).empty());
}

}  // namespace
}  // namespace bts::stats
