// Planning a fleet run: which beacons it gets, which of the scenario's nodes each sends to, the
// rate each sends, and the run's manifest, as a pure function of the request, the scenario and
// the fleet as it is now. The overseer stores the plan and sends it (overseer::create_run);
// planning itself touches no socket, store or clock.
//
//   std::vector<fleet_beacon> fleet = {{.name = "alpha", .connected = true}, ...};
//   run_plan p = plan_run(request, scenarios::parse_scenario(text, "s"), fleet);
//   p.beacons[0].cfg.nodes;  // alpha's nodes, round robin
//
// Rules:
//   - Beacons: those the request names (each connected, in no other unfinished run, listed
//     once), or with none named every connected idle beacon; sorted by name. Throws
//     input_error("beacons[i]" or "beacons") otherwise.
//   - Nodes, round robin over the sorted beacons: with B beacons and N nodes, beacon i sends to
//     node i mod N when B >= N, else to every node j with j mod B == i.
//   - Rates: each beacon gets rate_share 1/B and, for a constant total rate (the request's, or
//     the scenario's constant rate unless it is a rate search), the total divided by B.
//     An unlimited scenario without a request rate stays unlimited.
//   - Seeds: the scenario's seed * 1000003 + i.
//   - The manifest ("version", "seed", "nodes", "node_load" for the sources the overseer reads
//     itself, "rate", "total_rate", "unlimited", "duration") and each beacon's stored info, in
//     the key order the store has always had.
//
// Threads: any (pure).
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "control/protocol.hpp"
#include "monitor/node_load.hpp"
#include "overseer/overseer.hpp"
#include "scenario/scenario.hpp"
#include "store/results_store.hpp"

namespace bts::overseer {

// A beacon of the fleet, as planning needs to know it.
struct fleet_beacon {
  std::string name;
  bool connected = false;
  bool busy = false;  // part of an unfinished run
  std::string version;
  std::string host;
  std::int64_t cores = 0;
};

struct planned_beacon {
  std::string name;
  control::configure_cmd cfg;  // everything but `run` (the store gives the id)
  store::beacon_info info;     // as stored with the run (put_beacon)
};

struct run_plan {
  std::vector<planned_beacon> beacons;  // sorted by name
  // name, scenario_name, scenario_text and manifest; id and created_at are the caller's.
  store::run_info info;
  std::optional<double> total_rate;  // constant total rate, if any
  bool unlimited = false;
  // POST /api/runs' "beacons": [{"beacon", "nodes", "rate"?}], in beacon order.
  boost::json::array assignment;
};

// REQUIRES: sc.nodes is not empty. `node_load`: the sources the overseer reads itself
// (scenarios::node_load_sources), for the manifest.
run_plan plan_run(const run_request& request, const scenarios::scenario& sc,
                  const std::vector<fleet_beacon>& fleet,
                  const std::vector<monitor::named_source>& node_load = {});

}  // namespace bts::overseer
