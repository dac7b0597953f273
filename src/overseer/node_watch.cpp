#include "overseer/node_watch.hpp"

#include <algorithm>
#include <set>

#include "beacon/node_load_row.hpp"
#include "util/error.hpp"

namespace bts::overseer {

namespace {
constexpr std::size_t keep_readings = 16;
constexpr auto closest_within = std::chrono::seconds(2);
}  // namespace

std::vector<node_watch::source> node_watch::sources(const beacon::scenario& sc, bool check) {
  std::vector<source> out;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < sc.nodes.size(); ++i) {
    const auto& n = sc.nodes[i];
    if (n.node_load.empty() || n.node_load == "none" || !seen.insert(n.url).second) continue;
    const std::string where = "nodes[" + std::to_string(i) + "].node_load";
    monitor::load_source src = monitor::parse_load_source(n.node_load, where);
    if (check) {
      try {
        monitor::check_load_source(src);
      } catch (const input_error& e) {
        throw input_error(where, src.to_string() + ": " + e.problem());
      }
    }
    out.push_back({n.url, std::move(src)});
  }
  return out;
}

node_watch::node_watch(boost::asio::any_io_executor ex, std::vector<source> nodes,
                       std::chrono::milliseconds period) {
  nodes_.reserve(nodes.size());
  for (auto& s : nodes) {
    watched w;
    w.src = std::move(s);
    w.sampler = std::make_unique<monitor::node_load_sampler>(ex, w.src.load);
    w.sampler->start(period, [got = w.got](monitor::load_sample s) {
      if (!s.ok()) return;
      std::lock_guard lock(got->mu);
      got->recent.push_back(std::move(s));
      while (got->recent.size() > keep_readings) got->recent.pop_front();
    });
    nodes_.push_back(std::move(w));
  }
}

node_watch::~node_watch() {
  for (auto& w : nodes_) w.sampler->stop();
}

void node_watch::fill(stats::second_row& row, std::chrono::system_clock::time_point at) const {
  auto distance = [at](const monitor::load_sample& s) { return s.at > at ? s.at - at : at - s.at; };
  for (const auto& w : nodes_) {
    std::optional<monitor::node_load> best;
    {
      std::lock_guard lock(w.got->mu);
      const monitor::load_sample* b = nullptr;
      for (const auto& s : w.got->recent) {
        if (distance(s) <= closest_within && (b == nullptr || distance(s) < distance(*b))) b = &s;
      }
      if (b != nullptr) best = b->load;
    }
    if (!best) continue;
    const stats::node_load_row r = beacon::to_row(*best);
    if (!r.empty()) row.add_node_load(w.src.node, r);
  }
}

boost::json::array node_watch::describe() const {
  boost::json::array a;
  for (const auto& w : nodes_) {
    const monitor::sampler_counters c = w.sampler->counters();
    a.push_back(boost::json::object{{"node", w.src.node},
                                    {"spec", w.src.load.to_string()},
                                    {"read_by", "overseer"},
                                    {"readings", c.readings},
                                    {"errors", c.errors},
                                    {"last_error", c.last_error}});
  }
  return a;
}

}  // namespace bts::overseer
