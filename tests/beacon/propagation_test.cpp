// block_watch all_nodes against the in-process devnet (three endpoints, real time, 1 s blocks)
// over loopback websockets: blocks that reach one endpoint late are late, not missed, and their
// latency is measured; a stalled endpoint's blocks are missed once the bounded grace ends; a
// block above the P2P message limit is missed with that reason.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>

#include "beacon/beacon.hpp"
#include "devnet/devnet_fixture.hpp"

namespace bts::beacon {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using devnet::testing::devnet_fixture;

struct propagation : ::testing::Test {
  static devnet::devnet_options net(std::size_t nodes) {
    devnet::devnet_options o;
    o.nodes = nodes;
    return o;
  }

  // nathan (funded by the fixture's genesis claim) and init0, both on the development key.
  static beacon_options options(const devnet_fixture& f, double rate,
                                std::chrono::milliseconds duration) {
    beacon_options o;
    for (std::size_t i = 0; i < f.node->endpoints().size(); ++i)
      o.sc.nodes.push_back({f.url(i), 1, 1, ""});
    o.sc.watch = scenarios::block_watch::all_nodes;
    o.sc.rate = load::rate_profile::constant(rate);
    o.sc.duration = duration;
    o.sc.presign_depth = 200;
    o.sc.signer_threads = 1;
    o.sc.mix = {1, 0, 0, 0};
    o.sc.amount.max = 10;
    o.accounts = {{"nathan", f.dev_key}, {"init0", f.dev_key}};
    o.drain_timeout = 3s;
    o.connect_timeout = 3s;
    o.call_timeout = 2s;
    return o;
  }

  // The devnet's first slots after its start may pass without a block: wait for a steady chain
  // (head >= 3 on the producer, at most 10 s) so that a run of a few seconds spans blocks.
  static void steady(devnet_fixture& f) {
    EXPECT_TRUE(devnet_fixture::eventually(
        [&] {
          return f.node->net().read(0, [](const auto& db) { return db.head_block_num(); }) >= 3;
        },
        10s));
  }

  // The propagation note's row for endpoint url.
  static const json::object& row(const json::object& p, const std::string& url) {
    for (const auto& n : p.at("nodes").as_array())
      if (n.at("url").as_string() == url) return n.as_object();
    ADD_FAILURE() << "no row for " << url << " in " << json::serialize(p);
    static const json::object none;
    return none;
  }
  static std::int64_t num(const json::object& o, std::string_view key) {
    return o.at(key).to_number<std::int64_t>();
  }
};

// Endpoint 2 gets every block 4 s late; the run lasts 3 s, so its last blocks arrive during the
// grace: late, measured (≈ 4 s behind the first node), never missed.
TEST_F(propagation, late_blocks_are_late_not_missed) {
  auto n = net(3);
  n.node_delay[2] = 4000ms;
  devnet_fixture f(n, true);
  steady(f);
  auto o = options(f, 20, 3000ms);
  o.sc.propagation.grace = 10s;
  beacon b(o);
  const auto t0 = std::chrono::steady_clock::now();
  const beacon_result r = b.run();
  const auto took = std::chrono::steady_clock::now() - t0;
  const json::object& p = r.info.at("propagation").as_object();
  SCOPED_TRACE(json::serialize(p));
  ASSERT_GE(num(p, "run_blocks"), 2);
  EXPECT_TRUE(p.at("propagated").as_bool());
  EXPECT_TRUE(p.at("grace").at("caught_up").as_bool());
  const auto& late = row(p, f.url(2));
  EXPECT_EQ(num(late, "missed_count"), 0);
  EXPECT_EQ(num(late, "blocks_seen"), num(p, "run_blocks"));
  EXPECT_GT(num(late, "seen_after_run"), 0);
  const auto& lf = late.at("vs_first_node_us").as_object();
  EXPECT_EQ(num(lf, "count"), num(p, "run_blocks"));
  EXPECT_GE(num(lf, "p50"), 3'500'000);
  EXPECT_LT(num(lf, "max"), 6'000'000);
  EXPECT_GE(num(late.at("vs_block_time_us").as_object(), "p50"), 3'500'000);
  const auto& prompt = row(p, f.url(1));
  EXPECT_EQ(num(prompt, "missed_count"), 0);
  EXPECT_LT(num(prompt.at("vs_first_node_us").as_object(), "max"), 1'000'000);
  const std::string text(p.at("summary").as_string());
  EXPECT_NE(text.find("blocks reached every node (3)"), std::string::npos);
  EXPECT_NE(text.find("on " + f.url(2)), std::string::npos);
  EXPECT_LT(took, 3s + 3s + 10s + 3s);  // run, drain, grace, setup
}

// Endpoint 1 never gets another block: after the grace (2 s) its run blocks are missed.
TEST_F(propagation, stalled_node_misses_blocks_after_a_bounded_grace) {
  auto n = net(2);
  n.stalled_nodes.insert(1);
  devnet_fixture f(n, true);
  steady(f);
  auto o = options(f, 10, 3000ms);
  o.sc.propagation.grace = 2s;
  beacon b(o);
  const beacon_result r = b.run();
  const json::object& p = r.info.at("propagation").as_object();
  SCOPED_TRACE(json::serialize(p));
  ASSERT_GE(num(p, "run_blocks"), 2);
  EXPECT_FALSE(p.at("propagated").as_bool());
  EXPECT_FALSE(p.at("grace").at("caught_up").as_bool());
  EXPECT_GE(num(p.at("grace").as_object(), "waited_ms"), 1900);
  EXPECT_LT(num(p.at("grace").as_object(), "waited_ms"), 3000);
  const auto& stalled = row(p, f.url(1));
  EXPECT_EQ(num(stalled, "missed_count"), num(p, "run_blocks"));
  EXPECT_EQ(num(stalled, "blocks_seen"), 0);
  EXPECT_NE(std::string(stalled.at("missed_reason").as_string()).find("its head stayed at"),
            std::string::npos);
  EXPECT_EQ(num(row(p, f.url(0)), "missed_count"), 0);
  EXPECT_NE(std::string(p.at("summary").as_string()).find(f.url(1) + " never got"),
            std::string::npos);
}

// The devnet's P2P limit is 800 bytes: blocks carrying a few transfers never reach endpoint 1
// (nor can any later block link there); the beacon, told the same limit, says why.
TEST_F(propagation, block_above_the_p2p_limit_is_missed_with_the_reason) {
  auto n = net(2);
  n.p2p_max_message_size = 800;
  devnet_fixture f(n, true);
  steady(f);
  auto o = options(f, 30, 2000ms);
  o.sc.propagation.grace = 2s;
  o.sc.propagation.p2p_max_message_size = 800;
  beacon b(o);
  const beacon_result r = b.run();
  const json::object& p = r.info.at("propagation").as_object();
  SCOPED_TRACE(json::serialize(p));
  EXPECT_FALSE(p.at("propagated").as_bool());
  EXPECT_GT(num(p, "largest_block_bytes"), 800);
  const auto& cut = row(p, f.url(1));
  EXPECT_GT(num(cut, "missed_count"), 0);
  EXPECT_NE(
      std::string(cut.at("missed_reason").as_string()).find("> the 800 bytes P2P message limit"),
      std::string::npos);
}

}  // namespace
}  // namespace bts::beacon
