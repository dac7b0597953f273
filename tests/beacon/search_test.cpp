// The beacon's live rate change, the maximum-throughput rate search, ops_per_tx max and the
// presets: scenario parsing (file:line errors), a search against a fake node whose acceptance
// degrades above a rate (finds the break, emits events, falls back and holds), a live rate
// change that shows in the per-second offered counts, transactions filled to
// maximum_transaction_size, and block propagation over all nodes.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "beacon/beacon.hpp"
#include "beacon/factory.hpp"
#include "beacon/fake_node.hpp"
#include "scenario/scenario.hpp"
#include "util/error.hpp"

namespace bts::beacon {
namespace {

using namespace scenarios;

using namespace std::chrono_literals;
namespace json = boost::json;

std::string error_of(const std::string& yaml) {
  try {
    parse_scenario(yaml, "s.yaml");
  } catch (const input_error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(search_scenario, parses_search_and_thresholds) {
  const scenario s = parse_scenario(
      R"(load: {search: {start: 100, step: 50, step_duration: 10s, max: 2000, hold: 30s}}
thresholds: {min_inclusion_ratio: 0.98, max_p99_inclusion: 4s, max_error_rate: 0.02}
)",
      "s.yaml");
  ASSERT_TRUE(s.search);
  EXPECT_EQ(s.search->start, 100);
  EXPECT_EQ(s.search->step, 50);
  EXPECT_EQ(s.search->step_duration, 10s);
  EXPECT_EQ(s.search->max, 2000);
  EXPECT_EQ(s.search->hold, 30s);
  EXPECT_EQ(s.rate.rate_at({}), 100);  // the first step's rate
  EXPECT_EQ(s.thresholds.min_inclusion_ratio, 0.98);
  EXPECT_EQ(s.thresholds.max_p99_inclusion, 4s);
  EXPECT_EQ(s.thresholds.max_error_rate, 0.02);
  EXPECT_EQ(s.rate_text, "search from 100 tx/s by 50 every 10s up to 2000, hold 30s");

  EXPECT_EQ(parse_scenario("ops_per_tx: max\n", "s.yaml").ops.type, ops_per_tx::kind::max);
  EXPECT_EQ(parse_scenario("block_watch: all_nodes\n", "s.yaml").watch, block_watch::all_nodes);
  const auto prop =
      parse_scenario("propagation: {grace: 5s, p2p_max_message_size: 1000}\n", "s.yaml")
          .propagation;
  EXPECT_EQ(prop.grace, 5s);
  EXPECT_EQ(prop.p2p_max_message_size, 1000);
  EXPECT_EQ(parse_scenario("name: x\n", "s.yaml").propagation.grace, 30s);
}

TEST(search_scenario, errors_name_file_line_and_field) {
  EXPECT_EQ(error_of("name: x\nload: {search: {start: 100, step: fast}}\n"),
            "s.yaml:2:35: load.search.step: expected a rate in tx/s such as 500, got \"fast\"")
      << error_of("name: x\nload: {search: {start: 100, step: fast}}\n");
  EXPECT_EQ(error_of("load:\n  search:\n    start: 500\n    max: 100\n"),
            "s.yaml:4:10: load.search.max: expected a rate >= start");
  EXPECT_EQ(error_of("load:\n  search: {start: 1, stride: 2}\n"),
            "s.yaml:2:22: load.search.stride: unknown field (known: start, step, step_duration, "
            "max, hold, settle)");
  EXPECT_EQ(error_of("load:\n  search: {step_duration: 10ms}\n"),
            "s.yaml:2:27: load.search.step_duration: expected at least 100ms");
  EXPECT_EQ(error_of("\nthresholds: {min_inclusion_ratio: 1.5}\n"),
            "s.yaml:2:35: thresholds.min_inclusion_ratio: expected a ratio in [0, 1], got \"1.5\"");
  EXPECT_EQ(error_of("thresholds: {max_p99_inclusion: soon}\n"),
            "s.yaml:1:33: thresholds.max_p99_inclusion: expected a duration such as 30s, 1.5m or "
            "500ms, got \"soon\"")
      << error_of("thresholds: {max_p99_inclusion: soon}\n");
  EXPECT_EQ(error_of("propagation: {grace: 1h}\n"),
            "s.yaml:1:22: propagation.grace: expected at most 10m");
  EXPECT_EQ(error_of("propagation: {wait: 1s}\n"),
            "s.yaml:1:15: propagation.wait: unknown field (known: grace, p2p_max_message_size)");
  EXPECT_EQ(error_of("block_watch: everything\n"),
            "s.yaml:1:14: block_watch: expected first_node or all_nodes, got \"everything\"");
  EXPECT_EQ(error_of("ops_per_tx: most\n"),
            "s.yaml:1:13: ops_per_tx: expected an integer in [1, 10000], got \"most\"");
}

TEST(search_scenario, every_preset_parses) {
  const auto names = preset_names();
  for (const char* want :
       {"real-user-activity", "max-transfer-many-nodes", "max-limit-order-many-nodes",
        "max-transfer-one-node", "max-many-transfers-many-nodes", "p2p-limit"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  }
  for (const auto& n : names) {
    const scenario s = parse_scenario(preset_text(n), "preset " + n);
    EXPECT_EQ(s.name, n);
    EXPECT_FALSE(s.nodes.empty()) << n;
    for (const auto& node : s.nodes) EXPECT_EQ(node.url.rfind("ws://127.0.0.1:", 0), 0u) << n;
    if (n.rfind("max-", 0) == 0) {
      EXPECT_TRUE(s.search) << n << ": a maximum-throughput search";
    }
  }
  const scenario p2p = parse_scenario(preset_text("p2p-limit"), "p2p-limit");
  EXPECT_EQ(p2p.ops.type, ops_per_tx::kind::max);
  EXPECT_EQ(p2p.watch, block_watch::all_nodes);
  EXPECT_GE(p2p.nodes.size(), 2u);
  const scenario many = parse_scenario(preset_text("max-many-transfers-many-nodes"), "m");
  EXPECT_EQ(many.ops.type, ops_per_tx::kind::fixed);
  EXPECT_GT(many.ops.fixed, 1u);
}

// ops_per_tx max: every transaction as large as maximum_transaction_size allows, not larger:
// one more transfer would not fit. The limit applies to the bytes without signatures, as
// witness_node checks it (tests/realnode/differential.js: exactly at the limit is accepted).
TEST(fill, transactions_fill_up_to_maximum_transaction_size) {
  reference_block_cell head;
  head.set(parse_dynamic_global_properties(json::parse(
               R"({"id":"2.1.0","head_block_number":1000,
  "head_block_id":"000003e8aabbccdd00112233445566778899aabb","time":"2024-01-01T00:00:00",
  "last_irreversible_block_num":990})")),
           0);
  for (const std::uint32_t limit : {2048u, 4096u}) {
    factory_config config;
    config.parameters = parse_global_properties(json::parse(
        R"({"id":"2.0.0","parameters":{"current_fees":{"parameters":[
  [0,{"fee":2000000,"price_per_kbyte":1000000}],[1,{"fee":500000}],[2,{"fee":0}]],"scale":10000},
  "block_interval":3,"maximum_transaction_size":)" +
        std::to_string(limit) + R"(,"maximum_time_until_expiration":86400}})"));
    config.chain_id = protocol::chain_id_from_hex(std::string(64, 'a'));
    auto accounts = std::make_shared<std::vector<account>>();
    for (int i = 0; i < 4; ++i) {
      auto key = crypto::private_key::from_seed("fill-" + std::to_string(i));
      accounts->push_back({"acct" + std::to_string(i), protocol::account_id_type{100u + i}, key,
                           key.get_public_key(), key.get_public_key()});
    }
    config.accounts = accounts;
    config.ops.type = ops_per_tx::kind::max;
    config.mix = {1, 1, 0, 0};  // transfers, some with memos (larger)
    open_orders orders;
    id_registry ids;
    tx_factory f(config, head, orders, ids);
    std::uint32_t min_ops = 100000;
    for (std::uint64_t k = 0; k < 20; ++k) {
      const prepared_tx t = f.make(k, 0);
      const protocol::signed_transaction tx = protocol::transaction_from_json(json::parse(t.json));
      EXPECT_EQ(tx.pack().size(), t.bytes);
      const std::size_t bytes = tx.pack_unsigned().size();
      EXPECT_LE(bytes, limit) << k;
      // A transfer with a memo is under 250 bytes: the next one did not fit.
      EXPECT_GT(bytes, limit - 250) << k << ": " << tx.operations.size() << " ops";
      min_ops = std::min<std::uint32_t>(min_ops, t.ops);
    }
    EXPECT_GE(min_ops, limit / 250) << limit;
    EXPECT_EQ(f.counters().too_large, 0u) << "filling never builds too much";
  }
}

// Fake-node fixture: four accounts known to the node and the beacon.
struct live : ::testing::Test {
  std::vector<account_entry> entries;
  std::vector<test::fake_node::account_def> defs;
  void SetUp() override {
    for (int i = 0; i < 4; ++i) {
      auto key = crypto::private_key::from_seed("search-" + std::to_string(i));
      entries.push_back({"acct" + std::to_string(i), key});
      defs.push_back({"acct" + std::to_string(i), 100u + i, key.get_public_key()});
    }
  }
  beacon_options options(const std::string& url) {
    beacon_options o;
    o.sc.nodes = {{url, 1, 2, ""}};
    o.sc.presign_depth = 3000;
    o.sc.signer_threads = 2;
    o.sc.mix = {1, 0, 0, 0};
    o.accounts = entries;
    o.drain_timeout = 2s;
    o.connect_timeout = 3s;
    o.call_timeout = 2s;
    return o;
  }
};

// Events as they reached on_event, with the thread they ran on.
struct event_log {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<store::event> events;
  std::thread::id thread;
  void add(const store::event& e) {
    std::lock_guard lock(mu);
    events.push_back(e);
    thread = std::this_thread::get_id();
    cv.notify_all();
  }
  bool wait_for(store::event_kind k, std::chrono::milliseconds limit) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, limit, [&] {
      for (const auto& e : events)
        if (e.kind == k) return true;
      return false;
    });
  }
  std::vector<store::event> of(store::event_kind k) {
    std::lock_guard lock(mu);
    std::vector<store::event> out;
    for (const auto& e : events)
      if (e.kind == k) out.push_back(e);
    return out;
  }
};

// set_rate mid-run: the per-second offered counts follow it, with no catch-up burst.
TEST_F(live, set_rate_changes_the_offered_rate_mid_run) {
  test::fake_node node(defs, 100ms);
  auto o = options(node.url());
  o.sc.rate = load::rate_profile::constant(100);
  o.sc.duration = 3s;
  event_log log;
  std::vector<stats::second_row> rows;
  o.on_event = [&](const store::event& e) { log.add(e); };
  o.on_second = [&](const stats::second_row& r, const stats::second_row&) { rows.push_back(r); };
  beacon b(o);
  std::thread changer([&] {
    if (!log.wait_for(store::event_kind::start, 20s)) return;
    std::this_thread::sleep_for(1200ms);
    b.set_rate(300);
  });
  const beacon_result r = b.run();
  changer.join();
  const auto changes = log.of(store::event_kind::rate_change);
  ASSERT_EQ(changes.size(), 1u);
  // Each second offers 100/s before the change and 300/s after it, wherever it fell: the
  // schedule continues from the change, with no burst to catch up.
  const double c =
      static_cast<double>(changes[0].time - log.of(store::event_kind::start)[0].time) / 1000;
  ASSERT_GT(c, 1.0);
  ASSERT_LT(c, 3.0);
  ASSERT_GE(rows.size(), 3u);
  std::int64_t offered = 0;
  for (std::size_t k = 0; k < 3; ++k) {
    const double a = static_cast<double>(k), e = a + 1;
    const double before = std::clamp(c, a, e) - a;
    const double expected = 100 * before + 300 * (1 - before);
    EXPECT_NEAR(static_cast<double>(rows[k].offered), expected, 4) << "second " << k;
    offered += rows[k].offered;
  }
  EXPECT_NEAR(static_cast<double>(offered), 100 * c + 300 * (3 - c), 6);
  EXPECT_EQ(changes[0].data.at("from").to_number<double>(), 100);
  EXPECT_EQ(changes[0].data.at("to").to_number<double>(), 300);
  EXPECT_EQ(changes[0].data.at("by").as_string(), "command");
  EXPECT_EQ(log.of(store::event_kind::start).size(), 1u);
  EXPECT_EQ(log.of(store::event_kind::stop).size(), 1u);
  EXPECT_NE(log.thread, std::this_thread::get_id()) << "events run on the output thread";
  EXPECT_THROW(b.set_rate(0), std::invalid_argument);
  EXPECT_FALSE(r.info.contains("search"));
}

// A node that accepts at most 400 tx/s: the search steps 100, 300, 500, ... breaks at 500 on
// the error rate, falls back to 300 and holds it, then ends.
TEST_F(live, search_finds_the_break_falls_back_and_holds) {
  test::fake_node node(defs, 100ms);
  node.capacity = 400;
  auto o = options(node.url());
  rate_search rs;
  rs.start = 100;
  rs.step = 200;
  rs.step_duration = 600ms;
  rs.max = 1000;
  rs.hold = 800ms;
  rs.settle = 400ms;
  o.sc.search = rs;
  o.sc.rate = load::rate_profile::constant(rs.start);
  o.sc.thresholds.max_error_rate = 0.02;
  o.sc.thresholds.min_inclusion_ratio = 0.9;
  event_log log;
  o.on_event = [&](const store::event& e) { log.add(e); };
  beacon b(o);
  const auto t0 = std::chrono::steady_clock::now();
  const beacon_result r = b.run();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 15s);

  const auto breaks = log.of(store::event_kind::break_point);
  ASSERT_EQ(breaks.size(), 1u);
  const auto& bp = breaks[0].data;
  EXPECT_EQ(bp.at("rate").to_number<double>(), 500);
  EXPECT_EQ(bp.at("step").to_number<std::int64_t>(), 3);
  EXPECT_EQ(bp.at("sustained_rate").to_number<double>(), 300);
  EXPECT_FALSE(bp.at("beacon_bottleneck").as_bool());
  const std::string reason(bp.at("reason").as_string());
  EXPECT_EQ(reason.rfind("error rate ", 0), 0u) << reason;
  EXPECT_NE(reason.find("above 2% at 500 tx/s"), std::string::npos) << reason;

  // Steps up, then the fall back to the last good rate, marked as the hold.
  const auto changes = log.of(store::event_kind::rate_change);
  ASSERT_GE(changes.size(), 4u);
  EXPECT_EQ(changes[0].data.at("from").to_number<double>(), 100);
  EXPECT_EQ(changes[0].data.at("to").to_number<double>(), 300);
  EXPECT_EQ(changes[1].data.at("to").to_number<double>(), 500);
  EXPECT_EQ(changes[1].data.at("step").to_number<std::int64_t>(), 3);
  EXPECT_EQ(changes.back().data.at("to").to_number<double>(), 300);
  EXPECT_TRUE(changes.back().data.at("hold").as_bool());
  EXPECT_LE(changes.size(), 5u) << "no step after the break was judged";
  EXPECT_LE(changes.back().time, breaks[0].time + 1);

  const auto& search = r.info.at("search").as_object();
  EXPECT_EQ(search.at("sustained_rate").to_number<double>(), 300);
  const auto& steps = search.at("steps").as_array();
  ASSERT_GE(steps.size(), 3u);
  EXPECT_EQ(steps[0].at("verdict").as_string(), "good");
  EXPECT_EQ(steps[1].at("verdict").as_string(), "good");
  EXPECT_EQ(steps[2].at("verdict").as_string(), "broke");
  EXPECT_NEAR(steps[1].at("sent").to_number<double>(), 180, 25);  // 300 tx/s for 0.6 s
  EXPECT_GE(steps[1].at("inclusion_ratio").to_number<double>(), 0.9);
  EXPECT_GE(search.at("hold_seconds").to_number<double>(), 0.7);
  EXPECT_LE(search.at("hold_seconds").to_number<double>(), 1.2);
  // The run ended after the hold: start, ..., stop.
  std::lock_guard lock(log.mu);
  EXPECT_EQ(log.events.front().kind, store::event_kind::start);
  EXPECT_EQ(log.events.front().data.at("rate").to_number<double>(), 100);
  EXPECT_EQ(log.events.back().kind, store::event_kind::stop);
  bool noted = false;
  for (const auto& n : r.notes) noted = noted || n.find("sustained 300 tx/s") != std::string::npos;
  EXPECT_TRUE(noted);
}

// block_watch all_nodes: the same node under two URLs sees every block, so the run's blocks
// reached "both" nodes; the note event and the result say so, with latencies.
TEST_F(live, all_nodes_block_watch_reports_propagation) {
  test::fake_node node(defs, 100ms);
  auto o = options(node.url());
  o.sc.nodes.push_back({"ws://localhost:" + std::to_string(node.port()), 1, 1, ""});
  o.sc.watch = block_watch::all_nodes;
  o.sc.rate = load::rate_profile::constant(100);
  o.sc.duration = 1s;
  event_log log;
  o.on_event = [&](const store::event& e) { log.add(e); };
  beacon b(o);
  const beacon_result r = b.run();
  const auto notes = log.of(store::event_kind::note);
  // The propagation note, then the per-node transactions note.
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_TRUE(notes[1].data.contains("per_node"));
  const auto& p = notes[0].data;
  EXPECT_TRUE(p.at("propagated").as_bool()) << json::serialize(p);
  ASSERT_EQ(p.at("nodes").as_array().size(), 2u);
  EXPECT_GT(p.at("largest_block_bytes").to_number<std::int64_t>(), 0);
  for (const auto& n : p.at("nodes").as_array()) {
    EXPECT_EQ(n.at("missed_count").to_number<std::int64_t>(), 0);
    EXPECT_GT(n.at("vs_first_node_us").at("count").to_number<std::int64_t>(), 0);
  }
  EXPECT_NE(std::string(p.at("summary").as_string()).find("blocks reached every node (2)"),
            std::string::npos)
      << p.at("summary").as_string();
  EXPECT_TRUE(r.info.contains("propagation"));
}

}  // namespace
}  // namespace bts::beacon
