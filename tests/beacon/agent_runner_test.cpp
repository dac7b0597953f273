// The agent's real-beacon runner (beacon_runner) against the fake node: a change-rate command
// reaches the beacon (set_rate) and shows in the rows it streams, and the beacon's events
// (start, rate_change, stop) come out of the runner for the agent to forward as `event`
// messages; a search in the scenario survives configure with each beacon's rate share.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <condition_variable>
#include <mutex>

#include "beacon/fake_node.hpp"
#include "beacon/agent_runner.hpp"
#include "control/agent.hpp"

namespace bts::beacon {
namespace {

using namespace control;

using namespace std::chrono_literals;

TEST(beacon_runner, change_rate_reaches_the_beacon_and_events_come_out) {
  std::vector<account_entry> entries;
  std::vector<test::fake_node::account_def> defs;
  for (int i = 0; i < 3; ++i) {
    auto key = crypto::private_key::from_seed("agent-" + std::to_string(i));
    entries.push_back({"acct" + std::to_string(i), key});
    defs.push_back({"acct" + std::to_string(i), 100u + i, key.get_public_key()});
  }
  test::fake_node node(defs, 100ms);
  configure_cmd cfg;
  cfg.run = "r1";
  cfg.scenario_name = "s";
  cfg.scenario_text = "mix: {transfer: 1}\npresign_depth: 1500\nsigner_threads: 1\n";
  cfg.nodes = {node.url()};
  cfg.rate = 50;
  cfg.duration = "3s";
  boost::asio::io_context io;
  auto runner = beacon_runner(entries)(cfg, io.get_executor());
  runner->prepare();

  std::mutex mu;
  std::condition_variable cv;
  std::vector<stats::second_row> rows;
  std::vector<store::event> events;
  bool done = false;
  std::string error;
  runner_callbacks cb;
  cb.on_second = [&](stats::second_row r) {
    std::lock_guard lock(mu);
    rows.push_back(std::move(r));
  };
  cb.on_event = [&](store::event e) {
    std::lock_guard lock(mu);
    events.push_back(std::move(e));
    cv.notify_all();
  };
  cb.on_done = [&](std::string e) {
    std::lock_guard lock(mu);
    done = true;
    error = std::move(e);
    cv.notify_all();
  };
  EXPECT_EQ(runner->rate(), 50);
  runner->start(cb);
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 20s, [&] { return !events.empty(); }));
  }
  std::this_thread::sleep_for(1s);
  EXPECT_TRUE(runner->set_rate(250));
  EXPECT_FALSE(runner->set_rate(-1));
  EXPECT_EQ(runner->rate(), 250);
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 20s, [&] { return done; }));
  }
  EXPECT_EQ(error, "");
  std::vector<std::string> kinds;
  for (const auto& e : events) kinds.emplace_back(store::name(e.kind));
  // The note: the beacon's transactions per node, for the overseer's per-node summary.
  ASSERT_EQ(kinds, (std::vector<std::string>{"start", "rate_change", "note", "stop"}));
  EXPECT_EQ(events[2].data.at("per_node").as_array().size(), 1u);
  EXPECT_EQ(events[1].data.at("to").to_number<double>(), 250);
  // The offered count follows the change from the moment it took effect.
  const double c = static_cast<double>(events[1].time - events[0].time) / 1000;
  ASSERT_GE(rows.size(), 3u);
  std::int64_t offered = 0;
  for (std::size_t k = 0; k < 3; ++k) offered += rows[k].offered;
  EXPECT_NEAR(static_cast<double>(offered), 50 * c + 250 * (3 - c), 6) << "change at " << c;
  EXPECT_GT(offered, 50 * 3 + 100) << "the new rate showed";

  // A search scenario keeps its search, scaled by the beacon's share; a fixed rate replaces it.
  configure_cmd search = cfg;
  search.rate.reset();
  search.rate_share = 0.5;
  search.scenario_text = "load: {search: {start: 100, step: 100, max: 1000}}\n";
  auto searching = beacon_runner(entries)(search, io.get_executor());
  EXPECT_EQ(searching->rate(), std::nullopt) << "a search has no single rate";
}

}  // namespace
}  // namespace bts::beacon
