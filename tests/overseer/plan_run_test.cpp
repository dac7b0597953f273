// plan_run: which beacons a run gets, their nodes (round robin), rates and seeds, and the
// manifest, without sockets or a store.
#include "overseer/plan_run.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scenario/scenario.hpp"
#include "util/error.hpp"

namespace bts::overseer {
namespace {

namespace json = boost::json;

std::string nodes_yaml(int n) {
  std::string s = "nodes:\n";
  for (int i = 1; i <= n; ++i) s += "  - url: ws://127.0.0.1:" + std::to_string(i) + "\n";
  return s;
}

run_request request(const std::string& text) {
  run_request rq;
  rq.scenario_name = "plan-test";
  rq.scenario_text = text;
  return rq;
}

scenarios::scenario parse(const run_request& rq) {
  return scenarios::parse_scenario(rq.scenario_text, rq.scenario_name);
}

fleet_beacon idle(const std::string& name) {
  fleet_beacon b;
  b.name = name;
  b.connected = true;
  b.version = "v-" + name;
  b.host = "host-" + name;
  b.cores = 4;
  return b;
}

std::vector<std::string> names(const run_plan& p) {
  std::vector<std::string> out;
  for (const auto& b : p.beacons) out.push_back(b.name);
  return out;
}

std::string plan_error(const run_request& rq, const std::vector<fleet_beacon>& fleet) {
  try {
    plan_run(rq, parse(rq), fleet);
  } catch (const input_error& e) {
    return e.what();
  }
  return "(planned)";
}

TEST(PlanRun, MoreBeaconsThanNodesTakeTheNodesRoundRobinAndShareTheRate) {
  const run_request rq = request(nodes_yaml(2) + "load: {kind: constant, rate: 30}\nseed: 7\n");
  // Fleet order does not matter: beacons are planned in name order.
  const run_plan p = plan_run(rq, parse(rq), {idle("gamma"), idle("alpha"), idle("beta")});
  ASSERT_EQ(names(p), (std::vector<std::string>{"alpha", "beta", "gamma"}));
  EXPECT_EQ(p.beacons[0].cfg.nodes, std::vector<std::string>{"ws://127.0.0.1:1"});
  EXPECT_EQ(p.beacons[1].cfg.nodes, std::vector<std::string>{"ws://127.0.0.1:2"});
  EXPECT_EQ(p.beacons[2].cfg.nodes, std::vector<std::string>{"ws://127.0.0.1:1"});
  ASSERT_TRUE(p.total_rate.has_value());
  EXPECT_EQ(*p.total_rate, 30);
  EXPECT_FALSE(p.unlimited);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& c = p.beacons[i].cfg;
    EXPECT_DOUBLE_EQ(c.rate_share, 1.0 / 3);
    ASSERT_TRUE(c.rate.has_value());
    EXPECT_DOUBLE_EQ(*c.rate, 10);
    EXPECT_EQ(c.seed, 7 * 1'000'003ULL + i);
    EXPECT_EQ(c.scenario_text, rq.scenario_text);
    EXPECT_EQ(c.scenario_name, "plan-test");
    EXPECT_TRUE(c.run.empty()) << "the id is the store's";
  }
  // The answer of POST /api/runs.
  ASSERT_EQ(p.assignment.size(), 3u);
  EXPECT_EQ(json::serialize(p.assignment[1]),
            R"({"beacon":"beta","nodes":["ws://127.0.0.1:2"],"rate":1E1})");
}

TEST(PlanRun, FewerBeaconsThanNodesEachTakeEveryBthNode) {
  const run_request rq = request(nodes_yaml(5) + "load: {kind: constant, rate: 10}\n");
  const run_plan p = plan_run(rq, parse(rq), {idle("a"), idle("b")});
  ASSERT_EQ(p.beacons.size(), 2u);
  EXPECT_EQ(p.beacons[0].cfg.nodes, (std::vector<std::string>{"ws://127.0.0.1:1", "ws://127.0.0.1:3",
                                                               "ws://127.0.0.1:5"}));
  EXPECT_EQ(p.beacons[1].cfg.nodes,
            (std::vector<std::string>{"ws://127.0.0.1:2", "ws://127.0.0.1:4"}));
  EXPECT_DOUBLE_EQ(*p.beacons[1].cfg.rate, 5);
}

TEST(PlanRun, WithoutNamesEveryConnectedIdleBeaconIsTaken) {
  const run_request rq = request(nodes_yaml(1));
  fleet_beacon lost = idle("lost");
  lost.connected = false;
  fleet_beacon busy = idle("busy");
  busy.busy = true;
  const run_plan p = plan_run(rq, parse(rq), {lost, idle("free2"), busy, idle("free1")});
  EXPECT_EQ(names(p), (std::vector<std::string>{"free1", "free2"}));
  EXPECT_EQ(plan_error(rq, {lost, busy}), "beacons: no idle beacon is connected");
  EXPECT_EQ(plan_error(rq, {}), "beacons: no idle beacon is connected");
}

TEST(PlanRun, NamedBeaconsMustBeConnectedFreeAndListedOnce) {
  run_request rq = request(nodes_yaml(2));
  fleet_beacon lost = idle("lost");
  lost.connected = false;
  fleet_beacon busy = idle("busy");
  busy.busy = true;
  const std::vector<fleet_beacon> fleet = {idle("alpha"), idle("beta"), lost, busy};
  rq.beacons = {"beta", "ghost"};
  EXPECT_EQ(plan_error(rq, fleet), "beacons[1]: beacon \"ghost\" is not connected");
  rq.beacons = {"lost"};
  EXPECT_EQ(plan_error(rq, fleet), "beacons[0]: beacon \"lost\" is not connected");
  rq.beacons = {"alpha", "busy"};
  EXPECT_EQ(plan_error(rq, fleet), "beacons[1]: beacon \"busy\" is in another run");
  rq.beacons = {"alpha", "beta", "alpha"};
  EXPECT_EQ(plan_error(rq, fleet), "beacons[2]: beacon \"alpha\" listed twice");
  rq.beacons = {"beta"};
  const run_plan p = plan_run(rq, parse(rq), fleet);
  EXPECT_EQ(names(p), std::vector<std::string>{"beta"});
  EXPECT_EQ(p.beacons[0].cfg.nodes,
            (std::vector<std::string>{"ws://127.0.0.1:1", "ws://127.0.0.1:2"}))
      << "the nodes are shared by the beacons taken, not the fleet";
}

TEST(PlanRun, RequestRateOverridesAndUnlimitedOrSearchHaveNoTotalRate) {
  run_request rq = request(nodes_yaml(1) + "load: unlimited\n");
  run_plan p = plan_run(rq, parse(rq), {idle("a"), idle("b")});
  EXPECT_TRUE(p.unlimited);
  EXPECT_FALSE(p.total_rate.has_value());
  EXPECT_FALSE(p.beacons[0].cfg.rate.has_value());
  EXPECT_DOUBLE_EQ(p.beacons[0].cfg.rate_share, 0.5);
  EXPECT_EQ(p.info.manifest.at("unlimited"), json::value(true));
  EXPECT_FALSE(p.info.manifest.contains("total_rate"));

  rq.rate = 50;
  p = plan_run(rq, parse(rq), {idle("a"), idle("b")});
  EXPECT_FALSE(p.unlimited);
  EXPECT_EQ(*p.total_rate, 50);
  EXPECT_DOUBLE_EQ(*p.beacons[1].cfg.rate, 25);
  EXPECT_EQ(p.info.manifest.at("rate"), json::value(load::rate_profile::constant(50).describe()));

  rq = request(nodes_yaml(1) +
               "load: {search: {start: 100, step: 100, step_duration: 10s, max: 500}}\n");
  const scenarios::scenario sc = parse(rq);
  p = plan_run(rq, sc, {idle("a")});
  EXPECT_FALSE(p.total_rate.has_value()) << "a search's start rate is not imposed on beacons";
  EXPECT_FALSE(p.beacons[0].cfg.rate.has_value());
  EXPECT_EQ(p.info.manifest.at("rate"), json::value(scenarios::describe(*sc.search)));
}

TEST(PlanRun, ManifestAndBeaconInfoAsStored) {
  run_request rq = request("name: from-scenario\n" + nodes_yaml(2) +
                           "load: {kind: constant, rate: 20}\nseed: 3\n");
  rq.duration = "5s";
  std::vector<monitor::named_source> loads = {
      {"ws://127.0.0.1:1", monitor::parse_load_source("node_exporter:http://127.0.0.1:9/metrics")}};
  run_plan p = plan_run(rq, parse(rq), {idle("alpha"), idle("beta")}, loads);
  EXPECT_EQ(p.info.name, "from-scenario");
  EXPECT_EQ(p.info.scenario_name, "plan-test");
  EXPECT_EQ(p.info.scenario_text, rq.scenario_text);
  EXPECT_TRUE(p.info.id.empty());
  const json::object& m = p.info.manifest;
  std::vector<std::string> keys;
  for (const auto& kv : m) keys.emplace_back(kv.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"version", "seed", "nodes", "node_load", "rate",
                                            "total_rate", "unlimited", "duration"}));
  EXPECT_EQ(m.at("version"), json::value(BTS_INFRA_VERSION));
  EXPECT_EQ(json::serialize(m.at("nodes")), R"(["ws://127.0.0.1:1","ws://127.0.0.1:2"])");
  EXPECT_EQ(json::serialize(m.at("node_load")),
            R"([{"node":"ws://127.0.0.1:1","spec":"node_exporter:http://127.0.0.1:9/metrics",)"
            R"("read_by":"overseer"}])");
  EXPECT_EQ(m.at("total_rate").to_number<double>(), 20);
  EXPECT_EQ(m.at("duration"), json::value("5s"));
  for (const auto& b : p.beacons) EXPECT_EQ(b.cfg.duration, "5s");
  const store::beacon_info& bi = p.beacons[1].info;
  EXPECT_EQ(bi.name, "beta");
  EXPECT_EQ(json::serialize(bi.info),
            R"({"version":"v-beta","host":"host-beta","cores":4,"nodes":["ws://127.0.0.1:2"],)"
            R"("rate_share":5E-1,"seed":3000010,"rate":1E1})");

  rq.name = "titled";
  rq.duration.clear();
  p = plan_run(rq, parse(rq), {idle("alpha")});
  EXPECT_EQ(p.info.name, "titled");
  EXPECT_FALSE(p.info.manifest.contains("duration"));
  EXPECT_FALSE(p.info.manifest.contains("node_load"));
}

}  // namespace
}  // namespace bts::overseer
