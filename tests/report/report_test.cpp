// The report: golden report.md/report.json of a fixed stored run, exact merged percentiles,
// edge cases (no data, a single second, nothing included, no summary), blocks, rate search,
// the self-contained HTML, and load errors.
//
// Regenerate the goldens after an intended change: BTS_UPDATE_GOLDEN=1 build/.../report_tests
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "report/detail/format.hpp"
#include "report/report.hpp"
#include "report/synthetic_run.hpp"
#include "stats/json_io.hpp"
#include "stats/latency_histogram.hpp"
#include "store/results_store.hpp"
#include "store/run_directory.hpp"
#include "util/error.hpp"

namespace bts::report {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const fs::path testdata = fs::path(BTS_SOURCE_DIR) / "tests/report/testdata";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void check_golden(const fs::path& p, const std::string& actual) {
  if (std::getenv("BTS_UPDATE_GOLDEN") != nullptr) {
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << actual;
  }
  ASSERT_TRUE(fs::exists(p)) << p;
  EXPECT_EQ(slurp(p), actual) << "differs from " << p << " (BTS_UPDATE_GOLDEN=1 rewrites it)";
}

class temp_dir {
 public:
  temp_dir() {
    std::string t = (fs::temp_directory_path() / "bts-report-XXXXXX").string();
    if (mkdtemp(t.data()) == nullptr) throw std::runtime_error("mkdtemp");
    path_ = t;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

const report_options fixed = [] {
  report_options o;
  o.generated_at = "2024-05-01T13:00:00.000Z";
  return o;
}();

run_sources from_store(const fs::path& store, std::vector<std::string> ids) {
  run_sources s;
  s.store = store;
  s.run_ids = std::move(ids);
  return s;
}

json::object model_of(const store::run_record& r) { return build_report(std::span(&r, 1), fixed); }

const json::object& run0(const json::object& model) {
  return model.at("runs").as_array()[0].as_object();
}

TEST(Report, GoldenMarkdownAndJsonOfAStoredRun) {
  const store::run_record run = store::read_run_directory(testdata / "golden_run");
  const json::object model = model_of(run);
  check_golden(testdata / "golden/report.md", render_markdown(model));
  check_golden(testdata / "golden/report.json", render_json(model));
}

TEST(Report, SameModelFromTheStoreAsFromTheRunDirectory) {
  const store::run_record from_dir = store::read_run_directory(testdata / "golden_run");
  temp_dir d;
  {
    store::results_store db(d.path() / "r.sqlite");
    store::run_info info = from_dir.info;
    info.status = store::run_status::created;
    info.started_at.reset();
    info.ended_at.reset();
    db.create_run(info);
    for (const auto& b : from_dir.beacons) db.put_beacon(info.id, b);
    db.start_run(info.id, *from_dir.info.started_at);
    std::vector<store::second_record> records;
    for (const auto& r : from_dir.merged.rows()) records.push_back({"", r, std::nullopt});
    for (const auto& [name, s] : from_dir.by_beacon) {
      for (const auto& r : s.rows()) records.push_back({name, r, std::nullopt});
    }
    // Cumulative histograms ride on each scope's last second.
    for (auto& rec : records) {
      const auto& series = rec.beacon.empty() ? from_dir.merged : from_dir.by_beacon.at(rec.beacon);
      if (rec.row.second == series.rows().back().second)
        rec.cumulative = from_dir.cumulative.at(rec.beacon);
    }
    db.append_seconds(info.id, records);
    for (const auto& e : from_dir.events) db.add_event(info.id, e);
    db.finish_run(info.id, from_dir.info.status, *from_dir.info.ended_at, *from_dir.summary);
  }
  const auto runs = load_runs(from_store(d.path() / "r.sqlite", {"latest"}));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(render_markdown(model_of(runs[0])), render_markdown(model_of(from_dir)));
  EXPECT_EQ(render_json(model_of(runs[0])), render_json(model_of(from_dir)));
}

TEST(Report, MergedPercentilesComeFromMergedHistogramsNotAverages) {
  const store::run_record run = store::read_run_directory(testdata / "golden_run");
  const json::object model = model_of(run);
  // Merge both beacons' cumulative histograms by hand: the report must show exactly these.
  stats::latency_histogram merged;
  for (const char* b : {"alpha", "beta"}) {
    merged.merge_encoded(
        run.cumulative.at(b)[static_cast<std::size_t>(stats::latency_kind::inclusion_corrected)]);
  }
  const auto& p = run0(model)
                      .at("latency_distribution")
                      .at("kinds")
                      .at("inclusion_corrected")
                      .at("percentiles_us");
  EXPECT_EQ(p.at("p99").as_int64(), merged.percentile(99));
  EXPECT_EQ(p.at("p50").as_int64(), merged.percentile(50));
  EXPECT_EQ(p.at("count").as_int64(), 90);
  // And they agree with the stored summary.
  EXPECT_EQ(p.at("p99"), run.summary->at("latency_us").at("inclusion_corrected").at("p99"));
  // The beacons' own p99s differ from the merged one (so averaging would be visibly wrong).
  const auto& beacons = run0(model).at("per_beacon").as_array();
  ASSERT_EQ(beacons.size(), 2u);
  const auto a = beacons[0].at("inclusion_corrected_p99_us").as_int64();
  const auto b = beacons[1].at("inclusion_corrected_p99_us").as_int64();
  EXPECT_NE((a + b) / 2, merged.percentile(99));
}

// The golden run's rows carry node_load for two nodes the manifest does not list: node-a with
// every figure except memory in its last second, node-b with CPU, memory and disk but no
// network, and absent from second 1.
TEST(Report, NodeLoadPeaksAndSeriesPerNode) {
  const store::run_record run = store::read_run_directory(testdata / "golden_run");
  const json::object model = model_of(run);
  const auto& nodes = run0(model).at("per_node").as_array();
  ASSERT_EQ(nodes.size(), 2u);
  const auto& a = nodes[0].as_object();
  const auto& b = nodes[1].as_object();
  EXPECT_EQ(a.at("url").as_string(), "ws://node-a.example:8090");
  EXPECT_EQ(b.at("url").as_string(), "ws://node-b.example:8090");
  // Only in node_load: a row without connection counters.
  EXPECT_TRUE(a.at("calls").is_null());
  EXPECT_TRUE(a.at("load_measured").as_bool());
  EXPECT_EQ(a.at("cpu_peak_percent").to_number<double>(), 41);
  EXPECT_EQ(a.at("cpu_cores").to_number<double>(), 8);
  EXPECT_EQ(a.at("memory_peak_bytes").as_int64(), 2254857830);
  EXPECT_EQ(a.at("net_rx_peak_bytes_per_s").as_int64(), 3145728);
  EXPECT_EQ(a.at("net_tx_peak_bytes_per_s").as_int64(), 1572864);
  EXPECT_EQ(a.at("disk_read_peak_bytes_per_s").as_int64(), 4096);
  EXPECT_EQ(a.at("disk_write_peak_bytes_per_s").as_int64(), 8388608);
  EXPECT_EQ(b.at("cpu_peak_percent").to_number<double>(), 35.75);
  EXPECT_EQ(b.at("memory_peak_bytes").as_int64(), 838860800);
  EXPECT_TRUE(b.at("net_rx_peak_bytes_per_s").is_null());
  EXPECT_TRUE(b.at("net_tx_peak_bytes_per_s").is_null());
  EXPECT_EQ(b.at("disk_read_peak_bytes_per_s").as_int64(), 2048);
  EXPECT_EQ(b.at("disk_write_peak_bytes_per_s").as_int64(), 131072);
  const auto facts_nodes = run0(model).at("facts").at("nodes").as_array();
  EXPECT_EQ(facts_nodes.size(), 2u);

  // Series aligned with series.second; null where a node or a figure was not measured.
  const auto& series = run0(model).at("series").as_object();
  EXPECT_EQ(series.at("second").as_array(), (json::array{0, 1, 2}));
  const auto& load = series.at("node_load").as_object();
  ASSERT_EQ(load.size(), 2u);
  const auto& sa = load.at("ws://node-a.example:8090").as_object();
  const auto& sb = load.at("ws://node-b.example:8090").as_object();
  EXPECT_EQ(sa.at("memory_bytes").as_array(), (json::array{2147483648, 2254857830, nullptr}));
  EXPECT_EQ(sa.at("net_rx_bytes_per_s").as_array(), (json::array{1048576, 3145728, 2097152}));
  EXPECT_EQ(sa.at("disk_read_bytes_per_s").as_array(), (json::array{0, 4096, 0}));
  EXPECT_EQ(sb.at("cpu_percent").as_array(), (json::array{20.5, nullptr, 35.75}));
  EXPECT_EQ(sb.at("memory_bytes").as_array(), (json::array{805306368, nullptr, 838860800}));
  EXPECT_EQ(sb.at("net_rx_bytes_per_s").as_array(), (json::array{nullptr, nullptr, nullptr}));
  EXPECT_EQ(sb.at("net_tx_bytes_per_s").as_array(), (json::array{nullptr, nullptr, nullptr}));
  EXPECT_EQ(sb.at("disk_write_bytes_per_s").as_array(), (json::array{65536, nullptr, 131072}));
  for (const char* k : {"cpu_percent", "memory_bytes", "net_rx_bytes_per_s", "net_tx_bytes_per_s",
                        "disk_read_bytes_per_s", "disk_write_bytes_per_s"}) {
    EXPECT_EQ(sa.at(k).as_array().size(), 3u) << k;
    EXPECT_EQ(sb.at(k).as_array().size(), 3u) << k;
  }

  const std::string md = render_markdown(model);
  EXPECT_NE(md.find("| ws://node-a.example:8090 | \u2014 | \u2014 | \u2014 | \u2014 | \u2014 | "
                    "\u2014 | 41 (8 cores) | 2.1 GiB | 3 MiB/s | 1.5 MiB/s | 4 KiB/s | 8 MiB/s |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| ws://node-b.example:8090 | \u2014 | \u2014 | \u2014 | \u2014 | \u2014 | "
                    "\u2014 | 35.75 (4 cores) | 800 MiB | \u2014 | \u2014 | 2 KiB/s | 128 KiB/s |"),
            std::string::npos)
      << md;
  EXPECT_EQ(md.find("Node load was not measured"), std::string::npos);
  const std::string html = render_html(model);
  for (const char* kind : {"node_cpu", "node_memory", "node_network", "node_disk"}) {
    EXPECT_NE(html.find("data-kind=\"" + std::string(kind) + "\""), std::string::npos) << kind;
  }
}

// Nodes with connection counters and node_load are one row; a node whose load is not measured
// keeps its counters with null peaks.
TEST(Report, NodeLoadJoinsTheConnectionCounters) {
  test::synthetic_options o;
  o.seconds = 10;
  o.rate = 100;
  store::run_record run = test::synthetic_run(o);
  stats::second_series without_b;
  for (stats::second_row r : run.merged.rows()) {
    r.node_load.erase("ws://10.0.0.2:8090");
    without_b.insert(std::move(r));
  }
  run.merged = std::move(without_b);
  const json::object model = model_of(run);
  const auto& nodes = run0(model).at("per_node").as_array();
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0].at("url").as_string(), "ws://10.0.0.1:8090");
  EXPECT_EQ(nodes[0].at("calls").as_int64(), 500);
  EXPECT_TRUE(nodes[0].at("load_measured").as_bool());
  EXPECT_EQ(nodes[0].at("net_tx_peak_bytes_per_s").as_int64(), 100 * 2100 + 2 * 5000);
  EXPECT_EQ(nodes[1].at("calls").as_int64(), 500);
  EXPECT_FALSE(nodes[1].at("load_measured").as_bool());
  EXPECT_TRUE(nodes[1].at("cpu_peak_percent").is_null());
  EXPECT_TRUE(nodes[1].at("memory_peak_bytes").is_null());
  EXPECT_EQ(run0(model).at("series").at("node_load").as_object().size(), 1u);
}

TEST(Report, NoNodeLoadSaysHowToMeasureIt) {
  test::synthetic_options o;
  o.seconds = 5;
  o.node_load = false;
  const json::object model = model_of(test::synthetic_run(o));
  EXPECT_TRUE(run0(model).at("series").at("node_load").as_object().empty());
  for (const auto& n : run0(model).at("per_node").as_array()) {
    EXPECT_FALSE(n.at("load_measured").as_bool());
    EXPECT_TRUE(n.at("cpu_peak_percent").is_null());
    EXPECT_TRUE(n.at("disk_write_peak_bytes_per_s").is_null());
  }
  const std::string md = render_markdown(model);
  EXPECT_NE(md.find("Node load was not measured: give each node a node_load: source in the "
                    "scenario"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("docs/scenarios.md"), std::string::npos);
  const std::string html = render_html(model);
  EXPECT_NE(html.find("Node load was not measured"), std::string::npos);
  EXPECT_EQ(html.find("data-kind=\"node_cpu\""), std::string::npos);
  EXPECT_EQ(html.find("data-kind=\"node_memory\""), std::string::npos);
}

TEST(Report, BytesForPeople) {
  EXPECT_EQ(detail::bytes(0), "0 B");
  EXPECT_EQ(detail::bytes(512), "512 B");
  EXPECT_EQ(detail::bytes(1023), "1,023 B");
  EXPECT_EQ(detail::bytes(1536), "1.5 KiB");
  EXPECT_EQ(detail::bytes(838860800), "800 MiB");
  EXPECT_EQ(detail::bytes(25.5 * 1024 * 1024), "25.5 MiB");
  EXPECT_EQ(detail::bytes(2254857830), "2.1 GiB");
  EXPECT_EQ(detail::byte_rate_cell(json::value(3145728)), "3 MiB/s");
  EXPECT_EQ(detail::byte_rate_cell(json::value(nullptr)), "\u2014");
  EXPECT_EQ(detail::bytes_cell(json::value("x")), "\u2014");
}

TEST(Report, ARunWithNoSecondsSaysSo) {
  store::run_record run = store::read_run_directory(testdata / "golden_run");
  run.merged = {};
  run.by_beacon.clear();
  run.cumulative.clear();
  run.summary.reset();
  const json::object model = model_of(run);
  const std::string md = render_markdown(model);
  EXPECT_NE(md.find("No data: the run recorded no seconds"), std::string::npos) << md;
  EXPECT_NE(md.find("No per-second data recorded: nothing to plot."), std::string::npos);
  EXPECT_NE(md.find("no stored summary"), std::string::npos);
  const std::string html = render_html(model);
  EXPECT_EQ(html.find("data-kind=\"throughput_tx\""), std::string::npos);
  EXPECT_NE(html.find("data-kind=\"spectrum_ack\""),
            std::string::npos);  // empty spectra still draw axes
  EXPECT_FALSE(run0(model).at("verdict").at("valid_for_throughput").as_bool());
}

TEST(Report, ASingleSecondRunIsValidAndSaysSo) {
  test::synthetic_options o;
  o.seconds = 1;
  o.rate = 20;
  const json::object model = model_of(test::synthetic_run(o));
  const std::string md = render_markdown(model);
  EXPECT_NE(md.find("a single second"), std::string::npos) << md;
  EXPECT_EQ(run0(model).at("series").at("second").as_array().size(), 1u);
  EXPECT_NE(render_html(model).find("data-kind=\"throughput_tx\""), std::string::npos);
}

TEST(Report, NothingIncludedIsStatedAndLatencyIsEmpty) {
  test::synthetic_options o;
  o.seconds = 5;
  o.rate = 10;
  o.include_share = 0;
  const json::object model = model_of(test::synthetic_run(o));
  const std::string md = render_markdown(model);
  EXPECT_NE(md.find("No transaction was included in a block"), std::string::npos) << md;
  EXPECT_NE(md.find("no transaction was included in a block over 5 s"), std::string::npos);
  EXPECT_NE(md.find("50 accepted transactions were not seen in a block"), std::string::npos);
  const auto& p = run0(model).at("latency_distribution").at("kinds").at("inclusion_corrected");
  EXPECT_EQ(p.at("percentiles_us").at("count").as_int64(), 0);
  EXPECT_TRUE(p.at("spectrum").as_array().empty());
  // Per-second inclusion latency is null (a gap), not zero.
  EXPECT_TRUE(run0(model)
                  .at("series")
                  .at("latency_us")
                  .at("inclusion_corrected")
                  .at("p99")
                  .as_array()[0]
                  .is_null());
}

TEST(Report, RejectionsAppearByReasonInTheVerdictAndErrors) {
  test::synthetic_options o;
  o.seconds = 4;
  o.rate = 100;
  o.rejected_every = 20;
  const json::object model = model_of(test::synthetic_run(o));
  const std::string md = render_markdown(model);
  // fc:3030001 (duplicate transaction) is the beacons' own doing, called out as such.
  EXPECT_NE(md.find("20 of 400 sent transactions were rejected (the beacons' own setup, not the "
                    "network: fc:3030001 \u00d720)"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| rejected fc:3030001 | beacon | 20 |"), std::string::npos) << md;
  EXPECT_NE(md.find("Beacon-side errors are the beacons' own setup, not the network"),
            std::string::npos);
  const auto& errs = run0(model).at("series").at("errors").as_object();
  ASSERT_TRUE(errs.contains("rejected fc:3030001"));
  EXPECT_EQ(errs.at("rejected fc:3030001").as_array()[0].as_int64(), 5);
}

// Network-side reasons are listed as the network's, first; beacon-side ones after, called out;
// report.json's verdict lists every reason with its side.
TEST(Report, RejectionsAreGroupedBySide) {
  test::synthetic_options o;
  o.seconds = 4;
  o.rate = 100;
  o.rejected_every = 20;
  o.rejection = "fc:10 insufficient_balance";
  store::run_record run = test::synthetic_run(o);
  stats::second_series rows;
  for (stats::second_row r : run.merged.rows()) {
    r.rejected_by_reason["timeout"] = 1;
    r.rejected += 1;
    r.accepted -= 1;
    rows.insert(r);
  }
  run.merged = rows;
  run.summary.reset();  // computed from the rows
  const json::object model = model_of(run);
  const std::string md = render_markdown(model);
  EXPECT_NE(md.find("24 of 400 sent transactions were rejected (network: timeout \u00d74; the "
                    "beacons' own setup, not the network: fc:10 insufficient_balance \u00d720)"),
            std::string::npos)
      << md;
  const std::size_t beacon_row = md.find("| rejected fc:10 insufficient_balance | beacon | 20 |");
  const std::size_t network_row = md.find("| rejected timeout | network | 4 |");
  ASSERT_NE(beacon_row, std::string::npos) << md;
  ASSERT_NE(network_row, std::string::npos) << md;
  EXPECT_LT(beacon_row, network_row) << "beacon-side first";
  const auto& rej = run0(model).at("verdict").at("rejections").as_array();
  ASSERT_EQ(rej.size(), 2u);
  EXPECT_EQ(rej[0].at("reason"), "fc:10 insufficient_balance");
  EXPECT_EQ(rej[0].at("kind"), "insufficient_balance");
  EXPECT_EQ(rej[0].at("side"), "beacon");
  EXPECT_EQ(rej[1].at("side"), "network");
}

// Two beacons each report their share of every step, a few milliseconds apart: one step each
// time, targeting the sum of the shares.
TEST(Report, RateSearchOfSeveralBeaconsSumsTheirShares) {
  test::synthetic_options o;
  o.seconds = 40;
  o.rate = 100;
  o.scenario = "max-throughput";
  store::run_record run = test::synthetic_run(o);
  run.events.clear();
  const store::unix_ms t0 = *run.info.started_at;
  for (const char* b : {"b1", "b2"}) {
    run.events.push_back({t0, store::event_kind::start, b, json::object{{"rate", 50}}});
  }
  for (std::int64_t k = 1; k < 4; ++k) {
    run.events.push_back({t0 + k * 10'000 + 2, store::event_kind::rate_change, "b1",
                          json::object{{"from", 50 * k}, {"to", 50 * (k + 1)}}});
    run.events.push_back({t0 + k * 10'000 + 7, store::event_kind::rate_change, "b2",
                          json::object{{"from", 50 * k}, {"to", 50 * (k + 1)}}});
  }
  const json::object model = model_of(run);
  const auto& steps = run0(model).at("rate_search").at("steps").as_array();
  ASSERT_EQ(steps.size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(steps[i].at("target_rate").to_number<double>(), 100.0 * static_cast<double>(i + 1))
        << i;
  }
  EXPECT_EQ(steps[1].at("whole_seconds").as_int64(), 9);
}

// A run the overseer stored has no chain id in its manifest: its beacons' start events give it.
TEST(Report, ChainIdFromTheBeaconsStartEventsWhenTheManifestHasNone) {
  test::synthetic_options o;
  o.seconds = 5;
  store::run_record run = test::synthetic_run(o);
  run.info.manifest.erase("chain_id");
  {
    const json::object model = model_of(run);
    EXPECT_TRUE(run0(model).at("facts").at("chain_id").is_null());
  }
  run.events.push_back({*run.info.started_at + 1, store::event_kind::start, "b1",
                        json::object{{"rate", 10}, {"chain_id", "abc123"}}});
  const json::object model = model_of(run);
  EXPECT_EQ(run0(model).at("facts").at("chain_id").as_string(), "abc123");
}

// A search that ended not valid (the beacons' accounts ran dry, rate_searcher.hpp) names no
// break point and no node limit, in the headline and in the rate-search section.
TEST(Report, NotValidRateSearchIsNoNodeLimit) {
  test::synthetic_options o;
  o.seconds = 40;
  o.rate = 50;
  o.rate_search = true;
  o.scenario = "max-throughput";
  store::run_record run = test::synthetic_run(o);
  const std::string why =
      "not valid: the beacons' accounts ran out of funds (fc:10 insufficient_balance: 10 of 10 "
      "rejections) at step 4, 200 tx/s; no node limit was found";
  for (auto& e : run.events) {
    if (e.kind != store::event_kind::break_point) continue;
    e.data = json::object{{"rate", 200}, {"reason", why}, {"valid", false}, {"side", "beacon"}};
  }
  const json::object model = model_of(run);
  const std::string headline(run0(model).at("verdict").at("headline").as_string());
  EXPECT_EQ(headline.find("found its break point"), std::string::npos) << headline;
  EXPECT_NE(headline.find("The rate search is not valid (no node limit was found)"),
            std::string::npos)
      << headline;
  const std::string md = render_markdown(model);
  EXPECT_NE(md.find("Not valid, no node limit (the beacons' own setup, not the network)"),
            std::string::npos)
      << md;
  EXPECT_EQ(md.find("Break point at second"), std::string::npos);
}

TEST(Report, RateSearchStepsAndBreakPoint) {
  test::synthetic_options o;
  o.seconds = 40;
  o.rate = 50;
  o.rate_search = true;
  o.scenario = "max-throughput";
  const json::object model = model_of(test::synthetic_run(o));
  const auto& s = run0(model).at("rate_search");
  ASSERT_TRUE(s.is_object());
  const auto& steps = s.at("steps").as_array();
  ASSERT_EQ(steps.size(), 4u);  // the start rate and three changes
  EXPECT_EQ(steps[0].at("target_rate").to_number<double>(), 50);
  EXPECT_EQ(steps[1].at("target_rate").to_number<double>(), 100);
  EXPECT_EQ(steps[0].at("whole_seconds").as_int64(), 10);
  EXPECT_EQ(steps[0].at("sent_rate").to_number<double>(), 50);
  EXPECT_TRUE(steps[0].at("inclusion_corrected_p99_us").is_int64());
  EXPECT_EQ(s.at("break_point").at("data").at("rate").as_int64(), 200);
  EXPECT_NE(run0(model).at("verdict").at("headline").as_string().find("break point at 200 tx/s"),
            std::string::npos);
  // Not a max-throughput run and no rate events: no rate-search section.
  test::synthetic_options plain;
  plain.seconds = 3;
  EXPECT_TRUE(run0(model_of(test::synthetic_run(plain))).at("rate_search").is_null());
  // A max-throughput run without events says so.
  plain.scenario = "max-throughput";
  const json::object m2 = model_of(test::synthetic_run(plain));
  EXPECT_NE(render_markdown(m2).find("No rate-search steps recorded"), std::string::npos);
}

TEST(Report, BlocksWhenRecordedElseSaysNone) {
  test::synthetic_options o;
  o.seconds = 30;
  o.rate = 100;
  store::run_record run = test::synthetic_run(o);
  if constexpr (test::supports_blocks<store::run_record>()) {
    const json::object model = model_of(run);
    const auto& b = run0(model).at("blocks");
    ASSERT_TRUE(b.at("recorded").as_bool());
    EXPECT_EQ(b.at("count").as_int64(), 10);
    EXPECT_EQ(b.at("maximum_block_size").as_int64(), 2'000'000);
    const auto& largest = b.at("largest");
    // 300 run transactions + up to 2 others, 210 bytes each + 120.
    EXPECT_GE(largest.at("bytes").as_int64(), 120 + 300 * 210);
    EXPECT_EQ(b.at("series").at("fill_percent").as_array().size(), 10u);
    EXPECT_NE(render_html(model).find("data-kind=\"blocks_fill\""), std::string::npos);
    run.blocks.clear();
  }
  const std::string md = render_markdown(model_of(run));
  EXPECT_NE(md.find("No block data recorded for this run."), std::string::npos);
  o.scenario = "p2p-limit";
  const std::string p2p = render_markdown(model_of([&] {
    auto r = test::synthetic_run(o);
    r.events.push_back(
        {*r.info.ended_at, store::event_kind::note, "", json::object{{"propagated", true}}});
    return r;
  }()));
  EXPECT_NE(p2p.find("It propagated to the other nodes."), std::string::npos) << p2p;
}

// block_watch all_nodes: the propagation note's per-node latencies and misses become a section
// with a table, the separate findings and a spectrum plot fed from the HDR histogram.
TEST(Report, PropagationSectionPerNode) {
  test::synthetic_options o;
  o.seconds = 5;
  o.rate = 10;
  o.scenario = "p2p-limit";
  auto run = test::synthetic_run(o);
  stats::latency_histogram late, prompt;
  for (int i = 0; i < 20; ++i) late.record(4'000'000 + i * 10'000), prompt.record(20'000);
  const auto digest = [](const stats::latency_histogram& h) {
    return json::object{{"count", h.count()},      {"p50", h.percentile(50)},
                        {"p90", h.percentile(90)}, {"p99", h.percentile(99)},
                        {"max", h.max()},          {"hdr", h.encode()}};
  };
  json::array nodes;
  nodes.push_back({{"url", "ws://127.0.0.1:12021"},
                   {"blocks_seen", 18},
                   {"seen_after_run", 4},
                   {"missed_count", 2},
                   {"missed", json::array{{{"block_num", 22}, {"bytes", 2097400}}}},
                   {"missed_reason", "largest 2,097,400 bytes (#22) > the 2 MiB P2P message limit"},
                   {"vs_block_time_us", digest(late)},
                   {"vs_first_node_us", digest(late)}});
  nodes.push_back({{"url", "ws://127.0.0.1:12011"},
                   {"blocks_seen", 20},
                   {"seen_after_run", 0},
                   {"missed_count", 0},
                   {"missed", json::array{}},
                   {"missed_reason", ""},
                   {"vs_block_time_us", digest(prompt)},
                   {"vs_first_node_us", digest(prompt)}});
  json::object note{{"propagated", false},
                    {"first_block", 5},
                    {"last_block", 24},
                    {"run_blocks", 20},
                    {"grace", {{"bound_ms", 30000}, {"waited_ms", 4200}, {"caught_up", true}}},
                    {"summary", "ws://127.0.0.1:12021 never got blocks #22, #23"},
                    {"latency_summary", "p99 of propagation 4.2 s behind the first node"},
                    {"nodes", std::move(nodes)}};
  run.events.push_back({*run.info.ended_at, store::event_kind::note, "", note});
  const json::object model = model_of(run);
  const auto& prop = run0(model).at("p2p_limit").at("propagation").as_array();
  ASSERT_EQ(prop.size(), 1u);
  const auto& late_row = prop[0].at("nodes").as_array()[0];
  EXPECT_EQ(late_row.at("vs_first_node_us").at("p50").as_int64(), late.percentile(50));
  EXPECT_FALSE(late_row.at("vs_first_node_us").as_object().contains("hdr"));
  EXPECT_GT(late_row.at("vs_first_node_spectrum").as_array().size(), 3u);
  const std::string md = render_markdown(model);
  EXPECT_NE(md.find("Block propagation"), std::string::npos) << md;
  EXPECT_NE(md.find("| ws://127.0.0.1:12021 | 18 | 4 | 2 | 4."), std::string::npos) << md;
  EXPECT_NE(md.find("ws://127.0.0.1:12021 never got blocks #22, #23"), std::string::npos);
  EXPECT_EQ(md.find("HISTFAA"), std::string::npos) << "histograms stay out of the text";
  const std::string html = render_html(model);
  EXPECT_NE(html.find("data-kind=\"propagation\""), std::string::npos);
}

TEST(Report, ComparisonOfSeveralRuns) {
  test::synthetic_options a, b;
  a.seconds = 5;
  a.rate = 10;
  b.seconds = 8;
  b.rate = 40;
  b.seed = 9;
  std::vector<store::run_record> runs{test::synthetic_run(a), test::synthetic_run(b)};
  runs[1].info.id = "20240601-110000-second";
  const json::object model = build_report(runs, fixed);
  const auto& c = model.at("comparison").as_array();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].at("included_rate").to_number<double>(), 10);
  EXPECT_EQ(c[1].at("included_rate").to_number<double>(), 40);
  // The busiest node's peaks: 10.0.0.1 grows 1 MiB a second from 2 GiB.
  EXPECT_EQ(c[0].at("node_memory_peak_bytes").as_int64(), (std::int64_t{2} << 30) + 4 * (1 << 20));
  EXPECT_EQ(c[1].at("node_memory_peak_bytes").as_int64(), (std::int64_t{2} << 30) + 7 * (1 << 20));
  EXPECT_EQ(c[0].at("node_cpu_peak_percent").to_number<double>(), 59);
  const std::string md = render_markdown(model);
  EXPECT_NE(md.find("# Stress test report: 2 runs compared"), std::string::npos);
  EXPECT_NE(md.find("## Run 20240601-110000-second"), std::string::npos);
  EXPECT_NE(md.find("| node CPU peak (% of one core) | node memory peak | valid |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| 59 | 2 GiB | yes |"), std::string::npos) << md;
  const std::string html = render_html(model);
  EXPECT_NE(html.find("data-kind=\"cmp_included\""), std::string::npos);
  EXPECT_NE(html.find("id=\"run1-verdict\""), std::string::npos);
}

TEST(Report, HtmlIsSelfContainedAndScriptSafe) {
  store::run_record run = store::read_run_directory(testdata / "golden_run");
  run.info.scenario_text = "note: </script><script>alert(1)</script>\n";
  const std::string html = render_html(model_of(run));
  EXPECT_EQ(html.find("<script src"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("</script><script>alert"), std::string::npos);
  EXPECT_NE(html.find("&lt;/script&gt;&lt;script&gt;alert(1)"), std::string::npos);
  EXPECT_NE(html.find("uPlot"), std::string::npos);
  EXPECT_NE(html.find("id=\"report-data\""), std::string::npos);
}

TEST(Report, LoadErrorsNameTheRunOrFile) {
  temp_dir d;
  { store::results_store db(d.path() / "r.sqlite"); }
  try {
    load_runs(from_store(d.path() / "r.sqlite", {"nope"}));
    FAIL();
  } catch (const input_error& e) {
    EXPECT_NE(std::string(e.what()).find("\"nope\""), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_runs(from_store(d.path() / "missing.sqlite", {"x"})), input_error);
  std::ofstream(d.path() / "junk.sqlite")
      << "this is not a database, just text that is long enough to matter";
  EXPECT_ANY_THROW(load_runs(from_store(d.path() / "junk.sqlite", {"x"})));
  EXPECT_THROW(load_runs(from_store(d.path() / "r.sqlite", {"latest"})), input_error);
  EXPECT_THROW(load_runs([&] {
                 run_sources s;
                 s.run_dirs = {d.path() / "no-such-dir"};
                 return s;
               }()),
               input_error);
}

}  // namespace
}  // namespace bts::report

namespace bts::report {
namespace {

// The run directory the browser test reports on (tests/browser/report_page.js): a
// maximum-throughput search with rejections, nodes and (when the store records them) blocks.
// Written only with BTS_UPDATE_GOLDEN=1; otherwise checks that it still reads.
TEST(Report, BrowserFixtureRunDirectory) {
  const fs::path dir = testdata / "max_run";
  if (std::getenv("BTS_UPDATE_GOLDEN") != nullptr) {
    test::synthetic_options o;
    o.seconds = 60;
    o.rate = 100;
    o.rejected_every = 50;
    o.include_share = 0.98;
    o.rate_search = true;
    o.scenario = "max-throughput";
    store::run_record run = test::synthetic_run(o);
    run.info.id = "20240601-100000-max-throughput";
    run.info.name = "maximum throughput search";
    fs::remove_all(dir);
    store::write_run_directory(dir, run);
  }
  const store::run_record run = store::read_run_directory(dir);
  EXPECT_EQ(run.merged.rows().size(), 60u);
  const json::object model = model_of(run);
  EXPECT_TRUE(run0(model).at("rate_search").is_object());
}

}  // namespace
}  // namespace bts::report

namespace bts::report {
namespace {

// A node that fell behind is named as the likely cause of transactions not included, with its
// own transactions from the beacons' end-of-run per-node notes; its lag has a table and a plot.
TEST(Report, ALaggingNodeIsNamedAsTheLikelyCauseOfMissingInclusions) {
  test::synthetic_options o;
  o.seconds = 8;
  o.rate = 50;
  o.include_share = 0.5;
  o.summary = false;  // the report computes it, with the per-node notes below
  store::run_record run = test::synthetic_run(o);
  stats::second_series lagged;
  for (stats::second_row r : run.merged.rows()) {
    r.node_load["ws://10.0.0.1:8090"].head_lag_blocks = 0;
    r.node_load["ws://10.0.0.2:8090"].head_lag_blocks =
        r.second >= 2 && r.second <= 5 ? 5 + (r.second - 2) % 3 : 0;
    lagged.insert(std::move(r));
  }
  run.merged = std::move(lagged);
  const auto node = [](const char* url, int sent, int included) {
    return json::object{{"url", url}, {"sent", sent}, {"accepted", sent}, {"included", included}};
  };
  // Two beacons sent to the lagging node: their counts add up.
  run.events.push_back(
      {*run.info.ended_at, store::event_kind::note, "b1",
       json::object{{"per_node", json::array{node("ws://10.0.0.1:8090", 100, 95),
                                             node("ws://10.0.0.2:8090", 100, 4)}}}});
  run.events.push_back(
      {*run.info.ended_at, store::event_kind::note, "b2",
       json::object{{"per_node", json::array{node("ws://10.0.0.2:8090", 100, 6)}}}});
  const json::object model = model_of(run);
  const std::string md = render_markdown(model);
  EXPECT_NE(md.find("likely cause: ws://10.0.0.2:8090 was 5\u20137 blocks behind the freshest node "
                    "for 4 s; 190 of the 200 transactions it accepted were never included"),
            std::string::npos)
      << md;
  EXPECT_EQ(md.find("likely cause: ws://10.0.0.1:8090"), std::string::npos);
  EXPECT_NE(md.find("Node head lag"), std::string::npos);
  EXPECT_NE(md.find("Fell behind: ws://10.0.0.2:8090."), std::string::npos);
  EXPECT_NE(render_html(model).find("data-kind=\"node_head_lag\""), std::string::npos);
  for (const auto& n : run0(model).at("per_node").as_array()) {
    if (n.at("url").as_string() == "ws://10.0.0.2:8090") {
      EXPECT_EQ(n.at("head_lag_peak_blocks").as_int64(), 7);
    }
  }
  EXPECT_EQ(run0(model)
                .at("series")
                .at("node_load")
                .at("ws://10.0.0.2:8090")
                .at("head_lag_blocks")
                .as_array()[3]
                .as_int64(),
            6);
}

// A run whose nodes were never behind has no likely-cause line, only the table.
TEST(Report, NoLaggingNodeNoLikelyCause) {
  test::synthetic_options o;
  o.seconds = 4;
  o.rate = 20;
  o.include_share = 0.5;
  o.summary = false;
  store::run_record run = test::synthetic_run(o);
  stats::second_series rows;
  for (stats::second_row r : run.merged.rows()) {
    r.node_load["ws://10.0.0.1:8090"].head_lag_blocks = 1;
    rows.insert(std::move(r));
  }
  run.merged = std::move(rows);
  const std::string md = render_markdown(model_of(run));
  EXPECT_EQ(md.find("likely cause"), std::string::npos) << md;
  EXPECT_NE(md.find("No node fell behind."), std::string::npos);
}

}  // namespace
}  // namespace bts::report
