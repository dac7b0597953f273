// Per-node head lag: the sampling's arithmetic (fill_heads, read_head_sample), and a beacon run
// over real loopback websockets against the in-process devnet with three endpoints, one of them
// stalled (it stops getting blocks): its rows carry its growing lag, the summary's per_node and
// notes name it, the others stay at 0.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "beacon/beacon.hpp"
#include "beacon/head_sampling.hpp"
#include "beacon/provision.hpp"
#include "chain/genesis.hpp"
#include "devnet/devnet_fixture.hpp"
#include "stats/run_summary.hpp"

namespace bts::beacon {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

head_sample sample(std::uint32_t head, std::uint32_t lib, std::chrono::system_clock::time_point at,
                   std::uint32_t head_time) {
  head_sample s;
  s.at = at;
  s.head_block_num = head;
  s.head_block_id = "00";
  s.head_block_time = head_time;
  s.last_irreversible_block_num = lib;
  return s;
}

TEST(HeadSampling, ReadsTheDynamicGlobalProperties) {
  const auto at = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'010));
  const auto s = read_head_sample(json::parse(R"({"id":"2.1.0","head_block_number":42,
      "head_block_id":"0000002a","time":"2027-01-15T08:00:00","last_irreversible_block_num":30})"),
                                  at);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->head_block_num, 42u);
  EXPECT_EQ(s->last_irreversible_block_num, 30u);
  EXPECT_EQ(s->head_block_id, "0000002a");
  EXPECT_EQ(s->head_block_time, parse_time_point_sec("2027-01-15T08:00:00"));
  // Missing or mistyped members: no reading.
  EXPECT_FALSE(read_head_sample(json::parse(R"({"head_block_number":42})"), at));
  EXPECT_FALSE(read_head_sample(json::parse(R"({"head_block_number":"x","head_block_id":"0",
      "time":"2027-01-15T08:00:00","last_irreversible_block_num":3})"),
                                at));
  EXPECT_FALSE(read_head_sample(json::parse(R"({"head_block_number":1,"head_block_id":"0",
      "time":"yesterday","last_irreversible_block_num":3})"),
                                at));
  EXPECT_FALSE(read_head_sample(json::parse("[]"), at));
}

TEST(HeadSampling, LagIsBehindTheFreshestNodeAndAStaleNodeKeepsItsLastHead) {
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'100));
  stats::second_row row;
  fill_heads(row,
             {{"ws://a", sample(100, 98, now - 200ms, 1'800'000'099)},
              {"ws://b", sample(95, 90, now - 300ms, 1'800'000'094)},
              // Last answered 10 s ago: only its lag (from that head) is known.
              {"ws://c", sample(80, 70, now - 10s, 1'800'000'080)}},
             now);
  ASSERT_EQ(row.node_load.size(), 3u);
  const auto& a = row.node_load.at("ws://a");
  EXPECT_EQ(a.head_lag_blocks, 0);
  EXPECT_EQ(a.head_block_num, 100);
  EXPECT_EQ(a.irreversible_lag_blocks, 2);
  EXPECT_DOUBLE_EQ(*a.head_age_seconds, 0.8);
  EXPECT_FALSE(a.cpu_percent);
  EXPECT_FALSE(a.has_load());
  EXPECT_EQ(row.node_load.at("ws://b").head_lag_blocks, 5);
  const auto& c = row.node_load.at("ws://c");
  EXPECT_EQ(c.head_lag_blocks, 20);
  EXPECT_FALSE(c.head_block_num);
  EXPECT_FALSE(c.head_age_seconds);
  EXPECT_FALSE(c.irreversible_lag_blocks);
  EXPECT_FALSE(row.node_cpu_percent);  // a head is not a load

  // Nothing answered lately: nobody can be said to lag.
  stats::second_row none;
  fill_heads(none, {{"ws://c", sample(80, 70, now - 10s, 1'800'000'080)}}, now);
  EXPECT_TRUE(none.node_load.empty());
}

// Accounts provisioned through endpoint 0 of `f` (nathan's development key from a 0600 file).
std::vector<account_entry> provisioned_accounts(devnet::testing::devnet_fixture& f) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("head_lag_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream wif(dir / "nathan.wif");
    wif << chain::dev_private_key_wif << "\n";
  }
  provision_options po;
  po.node = f.url(0);
  po.registrar = "nathan";
  po.registrar_wif_file = (dir / "nathan.wif").string();
  po.count = 4;
  po.accounts_out = (dir / "accounts").string();
  po.wait = 20s;
  provision(po);
  std::ifstream in(dir / "accounts");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove_all(dir);
  return parse_accounts(text, "accounts");
}

// 30 tx/s for 6 s, round robin over the fixture's three endpoints.
beacon_options three_node_run(devnet::testing::devnet_fixture& f) {
  beacon_options o;
  // node_load none: the head is sampled whatever the node's load source.
  o.sc.nodes = {{f.url(0), 1, 1, "none"}, {f.url(1), 1, 1, "none"}, {f.url(2), 1, 1, "none"}};
  o.sc.rate = load::rate_profile::constant(30);
  o.sc.duration = 6s;
  o.sc.presign_depth = 300;
  o.sc.signer_threads = 1;
  o.sc.mix = {1, 0, 0, 0};
  o.accounts = provisioned_accounts(f);
  o.drain_timeout = 3s;
  o.connect_timeout = 3s;
  o.call_timeout = 2s;
  return o;
}

// A devnet with three endpoints, block interval 1 s; endpoint 2 stalls (never gets a block).
TEST(HeadLagE2E, AStalledEndpointIsNamedWithItsLag) {
  devnet::devnet_options dopt;
  dopt.nodes = 3;
  dopt.stalled_nodes.insert(2);
  devnet::testing::devnet_fixture f(dopt, /*real_time=*/true);
  beacon b(three_node_run(f));
  const beacon_result r = b.run();

  // Rows: the stalled endpoint's lag grows (a block a second), the others stay within a block.
  double stalled_peak = 0;
  for (const auto& row : r.series.rows()) {
    const auto s = row.node_load.find(f.url(2));
    if (s != row.node_load.end() && s->second.head_lag_blocks)
      stalled_peak = std::max(stalled_peak, *s->second.head_lag_blocks);
    for (std::size_t i : {0u, 1u}) {
      const auto n = row.node_load.find(f.url(i));
      if (n == row.node_load.end() || !n->second.head_lag_blocks) continue;
      EXPECT_LE(*n->second.head_lag_blocks, 1) << f.url(i) << " at second " << row.second;
      EXPECT_TRUE(n->second.head_block_num);
      EXPECT_FALSE(n->second.cpu_percent);
    }
  }
  EXPECT_GE(stalled_peak, 4) << "the stalled endpoint stopped at the provisioning's blocks";
  ASSERT_TRUE(r.series.rows().front().node_load.count(f.url(0)));

  // The summary: per node, with each node's transactions, and a note naming the stalled one.
  stats::summary_options so;
  so.duration_seconds = r.duration_seconds;
  so.node_tx = r.node_tx;
  const stats::run_summary s = stats::summarize(r.series, r.cumulative, so);
  ASSERT_EQ(s.per_node.size(), 3u);
  std::int64_t sent = 0;
  for (const auto& n : s.per_node) {
    ASSERT_TRUE(n.tx) << n.url;
    sent += n.tx->sent;
    EXPECT_GT(n.tx->sent, 0) << n.url;
    if (n.url == f.url(2)) {
      EXPECT_GE(n.seconds_behind, 3);
      EXPECT_GE(*n.peak_head_lag_blocks, 4);
      EXPECT_EQ(n.tx->included, 0) << "the stalled endpoint relays nothing it has no block for";
    } else {
      EXPECT_EQ(n.seconds_behind, 0) << n.url;
      EXPECT_LE(*n.peak_head_lag_blocks, 1) << n.url;
      EXPECT_GT(n.tx->included, 0) << n.url;
    }
  }
  EXPECT_EQ(sent, s.sent);
  bool named = false;
  for (const auto& note : s.notes) {
    if (note.rfind(f.url(2) + " was ", 0) == 0 &&
        note.find("blocks behind the freshest node for") != std::string::npos)
      named = true;
  }
  EXPECT_TRUE(named);
  // The end-of-run note for a fleet's overseer, and the info for manifest.json.
  ASSERT_EQ(r.info.at("per_node").as_array().size(), 3u);
  ASSERT_EQ(r.info.at("head_sampling").as_array().size(), 3u);
  for (const auto& h : r.info.at("head_sampling").as_array())
    EXPECT_GT(h.at("readings").to_number<std::int64_t>(), 3) << h;
}

// Endpoint 1 gets every block 3.5 s late: it falls behind by blocks (not stalled), the summary
// says so, and the others stay within a block.
TEST(HeadLagE2E, ADelayedEndpointLagsByItsDelayInBlocks) {
  devnet::devnet_options dopt;
  dopt.nodes = 3;
  dopt.node_delay[1] = 3500ms;
  devnet::testing::devnet_fixture f(dopt, /*real_time=*/true);
  beacon b(three_node_run(f));
  const beacon_result r = b.run();
  stats::summary_options so;
  so.duration_seconds = r.duration_seconds;
  so.node_tx = r.node_tx;
  const stats::run_summary s = stats::summarize(r.series, r.cumulative, so);
  std::string lags;  // for a failure's message
  for (const auto& row : r.series.rows()) {
    const auto n = row.node_load.find(f.url(1));
    lags += " " + (n == row.node_load.end() || !n->second.head_lag_blocks
                       ? std::string("-")
                       : std::to_string(static_cast<int>(*n->second.head_lag_blocks)));
  }
  ASSERT_EQ(s.per_node.size(), 3u);
  for (const auto& n : s.per_node) {
    ASSERT_TRUE(n.peak_head_lag_blocks) << n.url;
    if (n.url == f.url(1)) {
      // 3.5 s late at a block a second; the devnet's delayed endpoint was seen 1 block behind
      // for the first seconds of some runs (then 3), so only some seconds are asserted behind.
      EXPECT_GE(*n.peak_head_lag_blocks, 2) << "lag per second:" << lags;
      EXPECT_LE(*n.peak_head_lag_blocks, 5) << "lag per second:" << lags;
      EXPECT_GE(n.seconds_behind, 1) << "lag per second:" << lags;
    } else {
      EXPECT_LE(*n.peak_head_lag_blocks, 1) << n.url;
      EXPECT_EQ(n.seconds_behind, 0) << n.url;
    }
  }
  EXPECT_NE(std::find_if(s.notes.begin(), s.notes.end(),
                         [&](const std::string& n) { return n.rfind(f.url(1) + " was ", 0) == 0; }),
            s.notes.end());
}

}  // namespace
}  // namespace bts::beacon
