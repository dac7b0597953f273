// A whole beacon run over real loopback websockets against the fake node (tests/beacon/
// fake_node.hpp): setup, pre-signing, paced broadcasting, inclusion through
// set_block_applied_callback + get_block, per-second rows whose counts add up, rejections by fc
// code, and a node that goes away and comes back mid-run.
#include <gtest/gtest.h>

#include <thread>

#include "beacon/beacon.hpp"
#include "beacon/fake_node.hpp"
#include "stats/run_summary.hpp"

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
    o.sc.nodes = {{url, 1, 2}};
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
  auto o = options(node.url(), 200, 2s);
  o.on_second = [&](const stats::second_row&, const stats::second_row&) { ++seconds_seen; };
  beacon b(o);
  const beacon_result r = b.run();
  const auto s = summarize(r);
  EXPECT_EQ(s.sent, 400);
  EXPECT_EQ(s.sent, s.accepted + s.rejected + s.unanswered);
  EXPECT_EQ(s.unanswered, 0);
  EXPECT_EQ(s.rejected, 8);
  EXPECT_EQ(s.rejected_by_reason.at("fc:4010007"), 8);
  EXPECT_GE(static_cast<double>(s.included), 0.99 * static_cast<double>(s.accepted));
  EXPECT_EQ(static_cast<std::uint64_t>(s.accepted), node.accepted.load());
  EXPECT_GE(seconds_seen, 2);
  EXPECT_GT(s[stats::latency_kind::inclusion_corrected].p50, 0);
  EXPECT_LT(s[stats::latency_kind::schedule_lag].p99, 10'000) << "beacon fell behind at 200 tx/s";
  EXPECT_FALSE(r.interrupted);
  EXPECT_EQ(r.info.at("chain_id").as_string(), std::string(64, 'c'));
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
