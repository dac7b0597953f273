// block_watch all_nodes: did the run's blocks reach every node? A block-applied subscription on
// every scenario node but the first (which the inclusion tracker watches) records each block's
// packed size by number; summary() compares them with the first node's blocks.
//
//   propagation_watch w(watch_executor, call_timeout, connect_timeout);
//   w.open(sc.nodes, head_block_number);   ...   w.close();
//   // after the watch thread stopped:
//   json::object note = w.summary(tracker.blocks(), sc.nodes.front().url, max_block_size);
//
// summary(): {propagated, largest_block_bytes, maximum_block_size, nodes: [{url, blocks_seen,
// largest_block_bytes, largest_block_num, missed: [<= 10 {block_num, bytes}], missed_count}],
// summary: "blocks up to 1,234 bytes (...) seen on all 3 nodes"}.
//
// Ownership: the executor's io_context must outlive the watch, or be stopped first.
// Threads: open() and close() from any thread; the watches run on the executor's thread;
// summary() only once that thread has stopped.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rpc/client.hpp"
#include "scenario/scenario.hpp"
#include "store/run_record.hpp"

namespace bts::beacon {

class propagation_watch {
 public:
  propagation_watch(boost::asio::any_io_executor executor, std::chrono::milliseconds call_timeout,
                    std::chrono::milliseconds connect_timeout);

  // Watches every distinct node URL but the first, from block `head_block_number` on.
  void open(const std::vector<scenarios::node_endpoint>& nodes, std::uint32_t head_block_number);
  void close();

  // Per node, the largest block seen and the run's blocks (as the first node saw them:
  // `first_blocks`) it missed; `propagated` when every node saw every one of them.
  boost::json::object summary(const std::vector<store::block_record>& first_blocks,
                              const std::string& first_url, std::int64_t maximum_block_size) const;

 private:
  using block_sizes = std::map<std::uint32_t, std::int64_t>;  // block number -> packed bytes

  // One other node's blocks, as its block-applied notices and get_block answers came.
  struct peer_blocks {
    std::string url;
    std::optional<rpc::client> client;
    std::uint32_t last_block = 0;
    block_sizes sizes;
  };

  void on_notice(peer_blocks& p, const boost::json::array& args);

  boost::asio::any_io_executor executor_;
  std::chrono::milliseconds call_timeout_, connect_timeout_;
  std::vector<std::unique_ptr<peer_blocks>> peers_;
};

}  // namespace bts::beacon
