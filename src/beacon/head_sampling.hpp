// Every node a run sends to, sampled once a second for its head: head block number, id and
// time, and last irreversible block (one get_dynamic_global_properties call per node and second,
// on a connection of its own on the watcher's thread, never on a broadcast connection or the
// send thread). When the send thread closes a second, fill() writes each node's head and its
// lag behind the freshest node sampled into row.node_load (stats::node_load_row's head_*
// members), whatever the node's node_load source is (`node_load: none` included).
//
//   head_sampling heads(watch_io.get_executor(), call_timeout, connect_timeout);
//   heads.start(sc.nodes);                 // one connection per distinct node URL
//   ... heads.fill(row);                   // the send thread, when it closes a second
//   heads.stop();
//   info["head_sampling"] = heads.info_json();
//
// A failed, slow (not answered within 3 s) or malformed sample is no reading: the node's
// head_block_num, head_age_seconds and irreversible_lag_blocks are null in that second, while
// its head_lag_blocks keeps counting from its last answered head (a node that stopped answering
// is no fresher than it last said, so its lag grows with the freshest node's). A node never
// answered has no row. At most one call per node is in flight: a stalled node gets no pile-up.
// The lag is over the nodes this beacon samples: in a fleet each beacon computes it over its
// own nodes, and the overseer's merged row takes the largest (docs/architecture.md).
//
// Ownership: the executor's io_context must outlive the sampling, or be stopped first.
// Threads: start() and stop() from any thread; sampling on the executor's thread; fill() and
// info_json() from any thread (a mutex guards the readings).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "rpc/client.hpp"
#include "scenario/scenario.hpp"
#include "stats/second_series.hpp"

namespace bts::beacon {

// One answered get_dynamic_global_properties.
struct head_sample {
  std::chrono::system_clock::time_point at;  // when the answer came
  std::uint32_t head_block_num = 0;
  std::string head_block_id;
  std::uint32_t head_block_time = 0;  // seconds since the epoch
  std::uint32_t last_irreversible_block_num = 0;
};

// Reads an answer; nullopt when a member is missing or mistyped.
std::optional<head_sample> read_head_sample(const boost::json::value& v,
                                            std::chrono::system_clock::time_point at);

// The head members of a row for every node with an answered sample, as of `now`: the nodes'
// latest samples (by URL, in any order); those older than `fresh_for` only give a lag.
void fill_heads(stats::second_row& row,
                const std::vector<std::pair<std::string, head_sample>>& latest,
                std::chrono::system_clock::time_point now,
                std::chrono::milliseconds fresh_for = std::chrono::seconds(3));

class head_sampling {
 public:
  head_sampling(boost::asio::any_io_executor executor, std::chrono::milliseconds call_timeout,
                std::chrono::milliseconds connect_timeout);
  ~head_sampling();
  head_sampling(const head_sampling&) = delete;
  head_sampling& operator=(const head_sampling&) = delete;

  // Connects to every distinct URL of `nodes` and samples each every `period`.
  // REQUIRES: called once.
  void start(const std::vector<scenarios::node_endpoint>& nodes,
             std::chrono::milliseconds period = std::chrono::seconds(1));
  void stop();

  void fill(stats::second_row& row) const;

  // [{node, readings, errors, last_error?, head_block_num?}] per node.
  boost::json::array info_json() const;

 private:
  // url and client are set before sampling starts; the rest is guarded by state::mu.
  struct node {
    std::string url;
    std::optional<rpc::client> client;
    bool pending = false;  // a call is in flight
    std::optional<head_sample> latest;
    std::uint64_t readings = 0, errors = 0;
    std::string last_error;
  };
  // Shared with the calls' completions, which may run after stop().
  struct state {
    std::mutex mu;
    std::vector<std::unique_ptr<node>> nodes;
  };

  void tick();
  void sample(node& n);

  boost::asio::any_io_executor executor_;
  std::chrono::milliseconds call_timeout_, connect_timeout_, period_{1000};
  std::shared_ptr<state> state_ = std::make_shared<state>();
  std::optional<boost::asio::steady_timer> timer_;
  bool stopped_ = false;
};

}  // namespace bts::beacon
