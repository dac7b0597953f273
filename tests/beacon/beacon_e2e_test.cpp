// A whole beacon run over real loopback websockets against the fake node (tests/beacon/
// fake_node.hpp): setup, pre-signing, paced broadcasting, inclusion through
// set_block_applied_callback + get_block, per-second rows whose counts add up, rejections by fc
// code, and a node that goes away and comes back mid-run.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <set>
#include <thread>

#include "beacon/beacon.hpp"
#include "beacon/fake_node.hpp"
#include "stats/rejection.hpp"
#include "stats/run_summary.hpp"
#include "util/error.hpp"
#include "support/node_exporter.hpp"

namespace bts::beacon {
namespace {

using namespace std::chrono_literals;

struct e2e : ::testing::Test {
  std::vector<account_entry> entries;
  std::vector<test::fake_node::account_def> defs;
  void SetUp() override {
    for (int i = 0; i < 4; ++i) {
      auto key = crypto::private_key::from_seed("e2e-" + std::to_string(i));
      entries.push_back({"acct" + std::to_string(i), key});
      defs.push_back({"acct" + std::to_string(i), 100u + i, key.get_public_key()});
    }
  }
  beacon_options options(const std::string& url, double rate, std::chrono::milliseconds duration) {
    beacon_options o;
    o.sc.nodes = {{url, 1, 2, ""}};
    o.sc.rate = load::rate_profile::constant(rate);
    o.sc.duration = duration;
    o.sc.presign_depth = 1000;
    o.sc.signer_threads = 2;
    o.sc.mix = {3, 1, 0, 0};
    o.accounts = entries;
    o.drain_timeout = 5s;
    o.connect_timeout = 3s;
    o.call_timeout = 2s;
    return o;
  }
};

stats::run_summary summarize(const beacon_result& r) {
  stats::summary_options so;
  so.duration_seconds = r.duration_seconds;
  return stats::summarize(r.series, r.cumulative, so);
}

TEST_F(e2e, paced_run_is_accepted_included_and_adds_up) {
  test::fake_node node(defs, 200ms);
  node.reject_every = 50;
  int seconds_seen = 0;
  std::vector<store::block_record> blocks_seen;
  std::set<std::thread::id> output_threads;
  auto o = options(node.url(), 200, 2s);
  o.on_second = [&](const stats::second_row&, const stats::second_row&) {
    ++seconds_seen;
    output_threads.insert(std::this_thread::get_id());
  };
  o.on_block = [&](const store::block_record& block) {
    blocks_seen.push_back(block);
    output_threads.insert(std::this_thread::get_id());
  };
  beacon b(o);
  const beacon_result r = b.run();
  const auto s = summarize(r);
  EXPECT_EQ(s.sent, 400);
  EXPECT_EQ(s.sent, s.accepted + s.rejected + s.unanswered);
  EXPECT_EQ(s.unanswered, 0);
  EXPECT_EQ(s.rejected, 8);
  // The node answers as witness_node does: the key names the exception, the side is the
  // beacons' own (their fee).
  EXPECT_EQ(s.rejected_by_reason.at("fc:4010007 insufficient_fee"), 8);
  EXPECT_EQ(stats::side_of("fc:4010007 insufficient_fee"), stats::rejection_side::beacon);
  EXPECT_GE(static_cast<double>(s.included), 0.99 * static_cast<double>(s.accepted));
  EXPECT_EQ(static_cast<std::uint64_t>(s.accepted), node.accepted.load());
  EXPECT_GE(seconds_seen, 2);
  EXPECT_GT(s[stats::latency_kind::inclusion_corrected].p50, 0);
  EXPECT_LT(s[stats::latency_kind::schedule_lag].p99, 10'000) << "beacon fell behind at 200 tx/s";
  EXPECT_FALSE(r.interrupted);
  EXPECT_EQ(r.info.at("chain_id").as_string(), std::string(64, 'c'));

  // Every block seen is recorded once, sized as the node packed it; the run's transactions in
  // them add up to the inclusions counted.
  EXPECT_EQ(blocks_seen, r.blocks);
  ASSERT_GE(r.blocks.size(), 8u);  // 2 s of sends and the drain at 5 blocks/s
  std::int64_t ours = 0;
  for (std::size_t i = 0; i < r.blocks.size(); ++i) {
    const auto& blk = r.blocks[i];
    if (i > 0) {
      EXPECT_GT(blk.block_num, r.blocks[i - 1].block_num);
    }
    EXPECT_EQ(blk.transactions, blk.run_transactions);  // the fake node carries only ours
    EXPECT_GE(blk.operations, blk.transactions);
    EXPECT_EQ(blk.bytes,
              static_cast<std::int64_t>(
                  node.block_size(static_cast<std::uint32_t>(blk.block_num)).value_or(0)))
        << blk.block_num;
    EXPECT_EQ(blk.max_block_size, 65536);
    EXPECT_EQ(blk.witness.rfind("1.6.", 0), 0u);
    EXPECT_GT(blk.time_ms, 1'700'000'000'000);
    ours += blk.run_transactions;
  }
  EXPECT_EQ(ours, s.included);
  // Rows and blocks were written off the caller's thread, by one output thread.
  ASSERT_EQ(output_threads.size(), 1u);
  EXPECT_NE(*output_threads.begin(), std::this_thread::get_id());
}

// A real node_exporter as the node's load source: every row after the first reading carries the
// host's CPU, cores and used memory for the node, and network/disk once two readings give rates.
TEST_F(e2e, node_load_comes_from_a_real_node_exporter) {
  BTS_REQUIRE_NODE_EXPORTER();
  test::node_exporter_process exporter;
  ASSERT_EQ(exporter.wait_ready(), "");
  test::fake_node node(defs, 200ms);
  auto o = options(node.url(), 100, 4s);
  o.sc.nodes[0].node_load = "node_exporter:" + exporter.url();
  beacon b(o);
  const beacon_result r = b.run();
  int with_cpu = 0, with_memory = 0;
  for (const auto& row : r.series.rows()) {
    if (row.node_load.empty()) continue;
    ASSERT_EQ(row.node_load.count(node.url()), 1u) << row.second;
    const stats::node_load_row& l = row.node_load.at(node.url());
    EXPECT_EQ(l.cpu_cores, double(sysconf(_SC_NPROCESSORS_ONLN)));
    if (l.memory_bytes) {
      ++with_memory;
      EXPECT_GT(*l.memory_bytes, 1e7);
      EXPECT_LT(*l.memory_bytes, double(sysconf(_SC_PHYS_PAGES)) * double(sysconf(_SC_PAGESIZE)));
    }
    if (l.cpu_percent) {
      ++with_cpu;
      EXPECT_EQ(row.node_cpu_percent, l.cpu_percent);
      EXPECT_GE(*l.cpu_percent, 0);
      EXPECT_LE(*l.cpu_percent, *l.cpu_cores * 100 * 1.05);
    }
    for (const auto& v : {l.net_rx_bytes_per_s, l.net_tx_bytes_per_s, l.disk_read_bytes_per_s,
                          l.disk_write_bytes_per_s}) {
      if (v) {
        EXPECT_GE(*v, 0);
      }
    }
  }
  EXPECT_GE(with_memory, 3) << "rows with the node's memory";
  EXPECT_GE(with_cpu, 2) << "rows with the node's CPU (a rate: from the second reading on)";
  const auto& load = r.info.at("node_load").as_array();
  ASSERT_EQ(load.size(), 1u);
  EXPECT_EQ(load[0].at("status").as_string(), "sampled");
}

// Node CPU per second from a configured source: here the test process itself stands in for
// the node (proc:PID); a source that cannot be read is bad configuration, named at start.
TEST_F(e2e, node_cpu_is_sampled_from_the_configured_source) {
  test::fake_node node(defs, 200ms);
  auto o = options(node.url(), 100, 3s);
  o.sc.nodes[0].node_load = "proc:" + std::to_string(::getpid());
  beacon b(o);
  const beacon_result r = b.run();
  int measured = 0;
  for (const auto& row : r.series.rows()) {
    if (row.node_cpu_percent) {
      ++measured;
      EXPECT_GE(*row.node_cpu_percent, 0);
      // The same reading, per node, with the process's resident memory (this test process).
      ASSERT_EQ(row.node_load.size(), 1u) << row.second;
      const stats::node_load_row& l = row.node_load.begin()->second;
      EXPECT_EQ(row.node_load.begin()->first, node.url());
      EXPECT_EQ(l.cpu_percent, row.node_cpu_percent);
      ASSERT_TRUE(l.memory_bytes);
      EXPECT_GT(*l.memory_bytes, 1e6);
      EXPECT_EQ(*l.memory_bytes, std::round(*l.memory_bytes)) << "whole bytes";
      EXPECT_FALSE(l.net_rx_bytes_per_s) << "a process source has no network figure";
    }
  }
  EXPECT_GE(measured, 2) << "rows with node CPU";
  const auto& load = r.info.at("node_load").as_array();
  ASSERT_EQ(load.size(), 1u);
  EXPECT_EQ(load[0].at("status").as_string(), "sampled");
  EXPECT_GE(load[0].at("readings").to_number<std::int64_t>(), 2);

  auto bad = options(node.url(), 100, 1s);
  bad.sc.nodes[0].node_load = "proc:2147483646";
  beacon b2(bad);
  try {
    b2.run();
    FAIL() << "an unreadable node_load source was accepted";
  } catch (const input_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("nodes[0].node_load: proc:2147483646: ", 0), 0u)
        << e.what();
  }
}

// witness_node's get_block has empty operation_results: the beacon reads its new orders' ids from
// get_full_accounts, so the cancels signed once orders are known cancel real orders.
TEST_F(e2e, cancels_reach_orders_when_blocks_carry_no_operation_results) {
  test::fake_node node(defs, 200ms);
  node.operation_results = false;
  auto o = options(node.url(), 100, 4s);
  o.sc.mix = {0, 0, 3, 1};
  o.sc.order_asset = "BEACON";
  o.sc.presign_depth = 20;  // most transactions are signed during the run, after orders exist
  beacon b(o);
  const beacon_result r = b.run();
  const auto s = summarize(r);
  EXPECT_GT(s.sent, 300);
  EXPECT_EQ(s.rejected, 0);
  EXPECT_GT(node.cancels.load(), 20u) << "cancels of open orders included";
}

TEST_F(e2e, stop_request_ends_the_run_cleanly) {
  test::fake_node node(defs, 200ms);
  beacon b(options(node.url(), 100, 60s));
  std::thread stopper([&] {
    std::this_thread::sleep_for(1500ms);
    b.request_stop();
  });
  const beacon_result r = b.run();
  stopper.join();
  EXPECT_TRUE(r.interrupted);
  const auto s = summarize(r);
  EXPECT_GT(s.sent, 100);
  EXPECT_LT(s.sent, 250);
  EXPECT_EQ(s.sent, s.accepted + s.rejected + s.unanswered);
}

TEST_F(e2e, node_restart_is_reconnected_and_counted) {
  test::fake_node node(defs, 200ms);
  beacon b(options(node.url(), 100, 4s));
  std::thread chaos([&] {
    std::this_thread::sleep_for(1200ms);
    node.stop_server();
    std::this_thread::sleep_for(500ms);
    node.restart();
  });
  const beacon_result r = b.run();
  chaos.join();
  const auto s = summarize(r);
  EXPECT_EQ(s.sent, s.accepted + s.rejected + s.unanswered);
  EXPECT_GE(s.disconnects, 1);
  EXPECT_GE(s.reconnects, 1);
  EXPECT_GT(s.accepted, 200);  // traffic resumed after the restart
  // Transactions accepted after the restart are seen included again.
  EXPECT_GT(s.included, 200);
}

}  // namespace
}  // namespace bts::beacon
