#include "overseer/plan_run.hpp"

#include <algorithm>

#include "stats/json_io.hpp"
#include "util/error.hpp"

namespace bts::overseer {

namespace json = boost::json;

namespace {

const fleet_beacon* find_beacon(const std::vector<fleet_beacon>& fleet, const std::string& n) {
  for (const auto& b : fleet) {
    if (b.name == n) return &b;
  }
  return nullptr;
}

std::vector<const fleet_beacon*> choose_beacons(const run_request& rq,
                                                const std::vector<fleet_beacon>& fleet) {
  std::vector<const fleet_beacon*> chosen;
  if (rq.beacons.empty()) {
    for (const auto& b : fleet) {
      if (b.connected && !b.busy) chosen.push_back(&b);
    }
    if (chosen.empty()) throw input_error("beacons", "no idle beacon is connected");
  } else {
    for (std::size_t i = 0; i < rq.beacons.size(); ++i) {
      const std::string& n = rq.beacons[i];
      const std::string where = stats::json::index_path("beacons", i);
      const fleet_beacon* b = find_beacon(fleet, n);
      if (b == nullptr || !b->connected) {
        throw input_error(where, "beacon \"" + n + "\" is not connected");
      }
      if (b->busy) throw input_error(where, "beacon \"" + n + "\" is in another run");
      if (std::find(chosen.begin(), chosen.end(), b) != chosen.end()) {
        throw input_error(where, "beacon \"" + n + "\" listed twice");
      }
      chosen.push_back(b);
    }
  }
  std::sort(chosen.begin(), chosen.end(),
            [](const fleet_beacon* a, const fleet_beacon* b) { return a->name < b->name; });
  return chosen;
}

// Beacon i of nb: its nodes (round robin), share, seed and rate.
control::configure_cmd configure(const run_request& rq, const scenarios::scenario& sc,
                                 std::size_t i, std::size_t nb,
                                 std::optional<double> total_rate) {
  const std::size_t nn = sc.nodes.size();
  control::configure_cmd c;
  c.scenario_name = rq.scenario_name;
  c.scenario_text = rq.scenario_text;
  if (nb >= nn) {
    c.nodes.push_back(sc.nodes[i % nn].url);
  } else {
    for (std::size_t j = i; j < nn; j += nb) c.nodes.push_back(sc.nodes[j].url);
  }
  c.rate_share = 1.0 / static_cast<double>(nb);
  c.seed = sc.seed * 1'000'003ULL + i;
  if (total_rate) c.rate = *total_rate / static_cast<double>(nb);
  c.duration = rq.duration;
  c.ignore_fee_budget = rq.ignore_fee_budget;
  return c;
}

json::object manifest(const run_request& rq, const scenarios::scenario& sc, const run_plan& p,
                      const std::vector<monitor::named_source>& node_load) {
  json::object m;
  m["version"] = BTS_INFRA_VERSION;
  m["seed"] = sc.seed;
  json::array nodes;
  for (const auto& n : sc.nodes) nodes.emplace_back(n.url);
  m["nodes"] = std::move(nodes);
  if (!node_load.empty()) {
    json::array loads;
    for (const auto& w : node_load) {
      loads.push_back(
          json::object{{"node", w.node}, {"spec", w.load.to_string()}, {"read_by", "overseer"}});
    }
    m["node_load"] = std::move(loads);
  }
  m["rate"] = rq.rate     ? load::rate_profile::constant(*rq.rate).describe()
              : sc.search ? scenarios::describe(*sc.search)
                          : sc.rate.describe();
  if (p.total_rate) m["total_rate"] = *p.total_rate;
  m["unlimited"] = p.unlimited;
  if (!rq.duration.empty()) m["duration"] = rq.duration;
  return m;
}

}  // namespace

run_plan plan_run(const run_request& rq, const scenarios::scenario& sc,
                  const std::vector<fleet_beacon>& fleet,
                  const std::vector<monitor::named_source>& node_load) {
  const std::vector<const fleet_beacon*> chosen = choose_beacons(rq, fleet);
  run_plan p;
  const bool constant = sc.rate.type() == load::rate_profile::kind::constant;
  p.unlimited = sc.rate.is_unlimited() && !rq.rate;
  if (rq.rate)
    p.total_rate = *rq.rate;
  else if (constant && !sc.search)  // a search's start rate is not a rate to impose on beacons
    p.total_rate = sc.rate.rate_at({});
  for (std::size_t i = 0; i < chosen.size(); ++i) {
    const fleet_beacon& fb = *chosen[i];
    planned_beacon b;
    b.name = fb.name;
    b.cfg = configure(rq, sc, i, chosen.size(), p.total_rate);
    b.info.name = fb.name;
    b.info.info["version"] = fb.version;
    b.info.info["host"] = fb.host;
    b.info.info["cores"] = fb.cores;
    json::array bn;
    for (const auto& u : b.cfg.nodes) bn.emplace_back(u);
    b.info.info["nodes"] = bn;
    b.info.info["rate_share"] = b.cfg.rate_share;
    b.info.info["seed"] = b.cfg.seed;
    if (b.cfg.rate) b.info.info["rate"] = *b.cfg.rate;
    json::object a;
    a["beacon"] = fb.name;
    a["nodes"] = std::move(bn);
    if (b.cfg.rate) a["rate"] = *b.cfg.rate;
    p.assignment.emplace_back(std::move(a));
    p.beacons.push_back(std::move(b));
  }
  p.info.name = rq.name.empty() ? (sc.name.empty() ? rq.scenario_name : sc.name) : rq.name;
  p.info.scenario_name = rq.scenario_name;
  p.info.scenario_text = rq.scenario_text;
  p.info.manifest = manifest(rq, sc, p, node_load);
  return p;
}

}  // namespace bts::overseer
