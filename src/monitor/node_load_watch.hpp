// Node load read by the overseer itself. A fleet scenario's `nodes[].node_load` sources (a
// node_exporter per node, usually reachable from the monitoring host where the overseer runs,
// not from beacons behind NAT) are sampled once a second by the overseer while the run runs;
// each merged second gets the reading taken closest to its end (within 2 s) in `node_load`, and
// the highest node CPU in `node_cpu_percent`. Beacons of an overseer run do not sample those
// nodes again (the agent gives them node_load: none); nodes without a source keep the beacon's
// default (the node's own /metrics, when it answers).
//
//   auto nodes = scenarios::node_load_sources(sc, true);  // at run creation: throws input_error
//                                                // naming nodes[i].node_load if one cannot be read
//   node_load_watch w(io.get_executor(), nodes);  // samples every second until destroyed
//   w.fill(row, end_of_second);                // when the second is merged
//
// Threads: sampling runs on the executor; fill() and describe() from any thread (a mutex per
// node guards its readings); destroy from any thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "monitor/node_load.hpp"
#include "stats/second_series.hpp"

namespace bts::monitor {

class node_load_watch {
 public:
  node_load_watch(boost::asio::any_io_executor ex, std::vector<named_source> nodes,
             std::chrono::milliseconds period = std::chrono::seconds(1));
  ~node_load_watch();
  node_load_watch(const node_load_watch&) = delete;
  node_load_watch& operator=(const node_load_watch&) = delete;

  // Each node's successful reading closest to `at`, if one lies within 2 s of it.
  void fill(stats::second_row& row, std::chrono::system_clock::time_point at) const;
  // [{"node", "spec", "read_by": "overseer", "readings", "errors", "last_error"}]
  boost::json::array describe() const;

 private:
  // Shared with the sampling callback, so a callback still running while the watch is
  // destroyed touches live memory.
  struct readings {
    std::mutex mu;
    std::deque<load_sample> recent;  // successful readings, newest last (at most 16)
  };
  struct watched {
    named_source src;
    std::shared_ptr<readings> got = std::make_shared<readings>();
    std::unique_ptr<node_load_sampler> sampler;
  };
  std::vector<watched> nodes_;
};

}  // namespace bts::monitor
