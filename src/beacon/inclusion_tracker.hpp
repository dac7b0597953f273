// Inclusion: which of the run's transactions made it into a block, and when.
//
// A watcher connection of its own to the first node (set_block_applied_callback, then get_block
// for every block number since the last one seen, gaps after a reconnect included) runs on the
// watcher's thread; it decodes each block there (block_reader.hpp: transaction ids computed
// locally, packed size) and hands it, with the time it became known, to the send thread, which
// matches the ids against the recorder's sent records. broadcast_transaction_with_callback
// notices (on_inclusion_notice) match earlier, on the send thread. Each match feeds the
// inclusion latency (run_recorder::on_included) and hooks.included (the rate search's tallies);
// every block number seen becomes one store::block_record (hooks.block).
//
// Limit orders: the ids our limit_order_creates got are learnt from operation_results, or,
// since witness_node sends none, read from the sellers' open orders (get_full_accounts, on the
// watcher's connection); every order not seen before becomes cancellable (open_orders).
//
// The watcher's connection also refreshes the reference block (refresh_head).
//
//   inclusion_tracker t(send_ex, watch_ex, clock, rec, orders, accounts, options, hooks);
//   t.open(on_connected);  ...  t.close();
//   info["inclusion_watcher"] = t.info_json();
//
// Ownership: clock, recorder, orders and both executors' io_contexts must outlive the tracker;
// the send executor's io_context must be stopped before the tracker is destroyed.
// Threads: open() and close() from any thread; on_inclusion_notice, refresh_head and the hooks
// on the send executor's thread; blocks() and info_json() once both threads have stopped.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "beacon/block_reader.hpp"
#include "beacon/chain_context.hpp"
#include "beacon/factory.hpp"
#include "beacon/recorder.hpp"
#include "load/clock.hpp"
#include "rpc/client.hpp"
#include "store/run_record.hpp"

namespace bts::beacon {

struct inclusion_tracker_options {
  std::string url;  // the first node
  std::chrono::milliseconds call_timeout{10'000};
  std::chrono::milliseconds connect_timeout{10'000};
  std::uint32_t head_block_number = 0;  // at the start: later blocks are fetched
  std::int64_t maximum_block_size = 0;  // copied into every block record
};

class inclusion_tracker {
 public:
  using time_point = load::clock::time_point;
  struct hooks {
    // One of the run's transactions (`record`) was first seen included at `at`.
    std::function<void(const sent_record& record, time_point at)> included;
    // A block number seen for the first time.
    std::function<void(store::block_record block)> block;
  };

  inclusion_tracker(boost::asio::any_io_executor send, boost::asio::any_io_executor watch,
                    load::clock& clock, run_recorder& rec, open_orders& orders,
                    std::shared_ptr<const std::vector<account>> accounts,
                    inclusion_tracker_options options, hooks h);
  inclusion_tracker(const inclusion_tracker&) = delete;
  inclusion_tracker& operator=(const inclusion_tracker&) = delete;

  // Connects the watcher; `on_connected` runs on the watcher's thread after every (re)connect,
  // once connected() is true.
  void open(std::function<void()> on_connected);
  bool connected() const { return watcher_ && watcher_->connected(); }
  void close();

  // broadcast_transaction_with_callback's notice: [{"id","block_num","trx_num","trx"}].
  void on_inclusion_notice(const boost::json::array& args);

  // Reads the head (get_dynamic_global_properties) into `head` and expires `ids` by its time.
  void refresh_head(reference_block_cell& head, id_registry& ids);

  // Every block seen, in the order seen, once per block number.
  const std::vector<store::block_record>& blocks() const { return blocks_; }
  std::uint64_t blocks_missed() const { return blocks_missed_.load(); }
  // info["inclusion_watcher"]: blocks seen, recorded, estimated, missed, reconnects...
  boost::json::object info_json() const;

 private:
  using created_orders = std::vector<std::pair<std::uint32_t, protocol::limit_order_id_type>>;

  void on_block_notice(const boost::json::array& args);  // watcher's thread
  void fetch_block(std::uint32_t num, int attempt);      // watcher's thread
  void on_block_read(block_contents b, time_point at);
  void matched(const sent_record& r, time_point at);
  void learn_orders(const sent_record& r, const created_orders& created);
  void ask_open_orders(const sent_record& r);
  void ask_open_orders_of(std::uint32_t account_index);
  void add_open_orders(std::uint32_t account_index,
                       const std::vector<protocol::limit_order_id_type>& open);

  boost::asio::any_io_executor send_, watch_;
  load::clock& clock_;
  run_recorder& rec_;
  open_orders& orders_;
  std::shared_ptr<const std::vector<account>> accounts_;
  inclusion_tracker_options options_;
  hooks hooks_;
  std::optional<rpc::client> watcher_;
  std::uint32_t last_block_ = 0;  // watcher's thread
  // Send thread: order ids ever made cancellable, accounts whose open orders are being read,
  // ids included by notice whose block was not read yet, block numbers recorded.
  std::unordered_set<std::uint64_t> orders_seen_;
  std::unordered_set<std::uint32_t> asking_orders_;
  struct id_hash {
    std::size_t operator()(const protocol::transaction_id_type& id) const;
  };
  std::unordered_set<protocol::transaction_id_type, id_hash> included_by_notice_;
  std::unordered_set<std::int64_t> recorded_blocks_;
  std::vector<store::block_record> blocks_;
  std::uint64_t blocks_seen_ = 0, foreign_undecodable_ = 0, blocks_size_estimated_ = 0;
  std::atomic<std::uint64_t> blocks_missed_{0}, bad_answers_{0};  // both threads
};

}  // namespace bts::beacon
