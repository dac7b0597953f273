#include "monitor/node_load_watch.hpp"

#include <algorithm>

#include "monitor/node_load_row.hpp"

namespace bts::monitor {

namespace {
constexpr std::size_t keep_readings = 16;
constexpr auto closest_within = std::chrono::seconds(2);
}  // namespace

node_load_watch::node_load_watch(boost::asio::any_io_executor ex, std::vector<named_source> nodes,
                       std::chrono::milliseconds period) {
  nodes_.reserve(nodes.size());
  for (auto& s : nodes) {
    watched w;
    w.src = std::move(s);
    w.sampler = std::make_unique<node_load_sampler>(ex, w.src.load);
    w.sampler->start(period, [got = w.got](load_sample s) {
      if (!s.ok()) return;
      std::lock_guard lock(got->mu);
      got->recent.push_back(std::move(s));
      while (got->recent.size() > keep_readings) got->recent.pop_front();
    });
    nodes_.push_back(std::move(w));
  }
}

node_load_watch::~node_load_watch() {
  for (auto& w : nodes_) w.sampler->stop();
}

void node_load_watch::fill(stats::second_row& row, std::chrono::system_clock::time_point at) const {
  auto distance = [at](const load_sample& s) { return s.at > at ? s.at - at : at - s.at; };
  for (const auto& w : nodes_) {
    std::optional<node_load> best;
    {
      std::lock_guard lock(w.got->mu);
      const load_sample* b = nullptr;
      for (const auto& s : w.got->recent) {
        if (distance(s) <= closest_within && (b == nullptr || distance(s) < distance(*b))) b = &s;
      }
      if (b != nullptr) best = b->load;
    }
    if (!best) continue;
    const stats::node_load_row r = to_row(*best);
    if (!r.empty()) row.add_node_load(w.src.node, r);
  }
}

boost::json::array node_load_watch::describe() const {
  boost::json::array a;
  for (const auto& w : nodes_) {
    const sampler_counters c = w.sampler->counters();
    a.push_back(boost::json::object{{"node", w.src.node},
                                    {"spec", w.src.load.to_string()},
                                    {"read_by", "overseer"},
                                    {"readings", c.readings},
                                    {"errors", c.errors},
                                    {"last_error", c.last_error}});
  }
  return a;
}

}  // namespace bts::monitor
