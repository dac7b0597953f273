// The fee budget on the fleet path: a beacon run by the control agent (beacon_runner) against
// the fake node, whose accounts cannot pay the scenario, ends at its start with the refusal and
// its numbers as the run's error (which the agent reports to the overseer, which stores it as
// the beacon's error event), without sending; with ignore_fee_budget in the scenario it runs,
// and its start event carries the budget.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <condition_variable>
#include <mutex>

#include "beacon/agent_runner.hpp"
#include "beacon/fake_node.hpp"
#include "control/agent.hpp"

namespace bts::beacon {
namespace {

using namespace std::chrono_literals;

struct outcome {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<store::event> events;
  std::size_t rows = 0;
  bool done = false;
  std::string error;

  control::runner_callbacks callbacks() {
    control::runner_callbacks cb;
    cb.on_second = [this](stats::second_row) {
      std::lock_guard lock(mu);
      ++rows;
    };
    cb.on_event = [this](store::event e) {
      std::lock_guard lock(mu);
      events.push_back(std::move(e));
    };
    cb.on_done = [this](std::string e) {
      std::lock_guard lock(mu);
      done = true;
      error = std::move(e);
      cv.notify_all();
    };
    return cb;
  }
  bool wait_done() {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 30s, [this] { return done; });
  }
};

struct fee_budget_agent : ::testing::Test {
  std::vector<account_entry> entries;
  std::vector<test::fake_node::account_def> defs;
  void SetUp() override {
    for (int i = 0; i < 3; ++i) {
      auto key = crypto::private_key::from_seed("budget-" + std::to_string(i));
      entries.push_back({"acct" + std::to_string(i), key});
      defs.push_back({"acct" + std::to_string(i), 100u + i, key.get_public_key()});
    }
  }
  control::configure_cmd configure(const std::string& url, const std::string& extra) {
    control::configure_cmd cfg;
    cfg.run = "r1";
    cfg.scenario_name = "s";
    cfg.scenario_text = "mix: {transfer: 1}\npresign_depth: 300\nsigner_threads: 1\n" + extra;
    cfg.nodes = {url};
    cfg.rate = 50;
    cfg.duration = "1s";
    return cfg;
  }
};

TEST_F(fee_budget_agent, a_beacon_that_cannot_pay_fails_at_start_with_the_numbers) {
  test::fake_node node(defs, 100ms);
  node.balance = 1'000'000;  // 10 BTS in each of the 3 accounts
  boost::asio::io_context io;
  auto runner = beacon_runner(entries)(configure(node.url(), ""), io.get_executor());
  runner->prepare();
  outcome out;
  runner->start(out.callbacks());
  ASSERT_TRUE(out.wait_done());
  // 50 tx/s for 1 s: 50 transfers of 20 BTS.
  EXPECT_EQ(out.error,
            "fee budget: the run needs ~1,000 BTS in fees (50 transactions × 20 BTS) plus 0 BTS "
            "in amounts; the 3 accounts hold 30 BTS (short by 970 BTS); fund them (beacon "
            "provision --for-scenario FILE) or pass --ignore-fee-budget");
  EXPECT_EQ(node.accepted.load() + node.rejected.load(), 0u);
  EXPECT_EQ(out.rows, 0u);
}

TEST_F(fee_budget_agent, ignore_fee_budget_runs_and_the_start_event_carries_the_budget) {
  test::fake_node node(defs, 100ms);
  node.balance = 1'000'000;
  boost::asio::io_context io;
  auto runner =
      beacon_runner(entries)(configure(node.url(), "ignore_fee_budget: true\n"), io.get_executor());
  runner->prepare();
  outcome out;
  runner->start(out.callbacks());
  ASSERT_TRUE(out.wait_done());
  EXPECT_EQ(out.error, "");
  EXPECT_EQ(node.accepted.load(), 50u);
  std::lock_guard lock(out.mu);
  ASSERT_FALSE(out.events.empty());
  EXPECT_EQ(out.events.front().kind, store::event_kind::start);
  const auto& b = out.events.front().data.at("fee_budget").as_object();
  EXPECT_EQ(b.at("affordable").as_bool(), false);
  EXPECT_EQ(b.at("needed_fees").as_int64(), 100'000'000);
  EXPECT_EQ(b.at("held").as_int64(), 3'000'000);
}

}  // namespace
}  // namespace bts::beacon
