// block_watch all_nodes: when did each of the run's blocks reach each node, and did it reach it
// at all? Every distinct scenario node (the first too, on a connection of its own) is watched:
// a block-applied subscription, and once a second get_dynamic_global_properties for nodes whose
// notices do not come. A node's head moving to N marks every block up to N as seen at that
// moment, with the id the node announced (notice or head_block_id; get_block on that node for
// blocks it skipped). The run's blocks are those after the head at the start, up to the highest
// block any node had when the run ended.
//
//   propagation_watch w(watch_executor, call_timeout, connect_timeout, sc.propagation);
//   w.open(sc.nodes, head_block_number);   ...  // the run
//   w.settle();   // from a thread other than the watch thread, after the send thread stopped
//   w.close();
//   // after the watch thread stopped:
//   json::object note = w.summary(sc.nodes.front().url, max_block_size);
//
// Latency, per node, in HDR histograms (µs): the moment the beacon learned the node had the
// block (unix clock) minus the block's timestamp (whole seconds on BitShares: up to 1 s of the
// value is the producer's own delay within its slot), and minus the moment the first node had
// it (0 for that node). Misses are a separate finding: settle() waits (bounded) until every
// node's head passed the run's last block, or `settings.grace`, then asks each node with
// get_block for the run's blocks it has not announced; a block is missed only when that answer
// is empty or carries another id. Late is not missed.
//
// summary(): {propagated, first_block, last_block, run_blocks, largest_block_bytes,
// maximum_block_size, p2p_max_message_size, grace: {bound_ms, waited_ms, caught_up},
// nodes: [{url, blocks_seen, seen_after_run, found_by_get_block, missed_count,
// missed: [<= 10 {block_num, bytes}], missed_reason, other_id_count, other_id: [<= 10 numbers],
// head_at_end, vs_block_time_us, vs_first_node_us: {count, p50, p90, p99, max, hdr}}],
// latency_summary, missed_summary, summary}.
//
// Ownership: the executor's io_context must outlive the watch, or be stopped first.
// Threads: open(), close() from any thread; settle() from any thread but the executor's (it
// blocks, at most grace + call_timeout + 1 s, while the executor runs); the watches run on the
// executor's single thread; summary() only once that thread has stopped.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rpc/client.hpp"
#include "scenario/scenario.hpp"

namespace bts::beacon {

class propagation_watch {
 public:
  propagation_watch(boost::asio::any_io_executor executor, std::chrono::milliseconds call_timeout,
                    std::chrono::milliseconds connect_timeout,
                    scenarios::propagation_settings settings);
  ~propagation_watch();

  // Watches every distinct node URL, from block `head_block_number` + 1 on.
  void open(const std::vector<scenarios::node_endpoint>& nodes, std::uint32_t head_block_number);
  // The end of the run: fixes the run's last block, waits for the nodes (bounded, see above) and
  // asks them for what they did not announce. `give_up` (optional), polled every 100 ms, ends
  // the wait early (e.g. a second stop request). No-op when not opened.
  void settle(const std::function<bool()>& give_up = {});
  void close();

  boost::json::object summary(const std::string& first_url, std::int64_t maximum_block_size) const;

 private:
  struct sighting {
    std::int64_t seen_us = 0;   // unix µs when the beacon learned the node had it
    std::string id;             // hex; empty until known
    bool id_computed = false;   // id from get_block's header (see ids_computable_)
    bool after_run = false;     // learned after the run ended (during the grace)
    bool by_get_block = false;  // learned from the final get_block only (no time)
  };
  // One watched node.
  struct node_blocks {
    std::string url;
    std::optional<rpc::client> client;
    std::uint32_t head = 0;      // highest run block the node announced (from the start head)
    std::uint32_t reported = 0;  // the node's own head as it last announced it
    std::map<std::uint32_t, sighting> seen;
    bool polling = false;
  };
  // A block's facts, from the first get_block answer for it.
  struct block_facts {
    std::int64_t time_us = 0;
    std::int64_t bytes = 0;
  };

  void on_head(node_blocks& n, std::uint32_t num, const std::string& id);
  void fetch(node_blocks& n, std::uint32_t num, bool fill_id);
  void poll();
  void check_missing();
  template <class F>
  auto on_watch_thread(F f);

  boost::asio::any_io_executor executor_;
  std::chrono::milliseconds call_timeout_, connect_timeout_;
  scenarios::propagation_settings settings_;
  std::vector<std::unique_ptr<node_blocks>> nodes_;
  std::map<std::uint32_t, block_facts> facts_;
  // Whether ids computed from get_block's header match the ids nodes announce (checked on the
  // first block fetched for its facts): if not, computed ids are never called different.
  std::optional<bool> ids_computable_;
  std::uint32_t start_head_ = 0;
  std::optional<std::uint32_t> run_last_;  // set by settle()
  std::int64_t grace_waited_ms_ = 0;
  bool caught_up_ = false;
  int pending_checks_ = 0;
  struct poll_timer;
  std::unique_ptr<poll_timer> timer_;
};

}  // namespace bts::beacon
