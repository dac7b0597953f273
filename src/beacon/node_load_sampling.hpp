// The CPU and memory of the nodes a beacon sends to, sampled once a second off the send path
// and read into every per-second row (row.node_load). One source per distinct node URL: an
// explicit `node_load` spec must be readable (else bad configuration: input_error naming
// nodes[i].node_load); the default, the node's own /metrics as the bts-infra devnet serves it,
// is used only when it answers; `node_load: none` turns sampling off.
//
//   node_load_sampling nodes;
//   nodes.check(sc.nodes);               // at setup: throws input_error
//   nodes.start(watch_io.get_executor()); ... nodes.stop();
//   nodes.fill(row);                     // the send thread, when it closes a second
//   info["node_load"] = nodes.info_json();
//
// Not monitor::node_load_sampler (one source's sampler, used here per node) nor
// monitor::node_load_watch (the overseer's).
//
// Ownership: the executor's io_context must outlive the samplers, or be stopped first.
// Threads: check, start and stop from one thread; fill() from any thread while started (it
// reads each sampler's latest sample); info_json() and notes() after stop().
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/array.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "monitor/node_load.hpp"
#include "scenario/scenario.hpp"
#include "stats/second_series.hpp"

namespace bts::beacon {

class node_load_sampling {
 public:
  // Decides each node's source. REQUIRES: called once, before start().
  void check(const std::vector<scenarios::node_endpoint>& nodes);
  // Samples every source once a second on `executor`.
  void start(boost::asio::any_io_executor executor);
  void stop();

  // Each sampled node's latest reading (no older than 3 s) into row.node_load.
  void fill(stats::second_row& row) const;

  // [{node, source, status, readings?, errors?, last_error?}] per node.
  boost::json::array info_json() const;
  // "node CPU of ws://... not measured: ..." for nodes without a source.
  std::vector<std::string> notes() const;

 private:
  struct node_source {
    std::string node, spec, status;
    std::optional<monitor::load_source> source;
    std::unique_ptr<monitor::node_load_sampler> sampler;
  };
  static node_source default_source(const scenarios::node_endpoint& n);

  std::vector<node_source> nodes_;
};

}  // namespace bts::beacon
