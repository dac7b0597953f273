// The devnet's nodes: N endpoints over one chain, as N witness_nodes on a P2P network would be.
//
// Every node has its own chain::database (state and pending pool). Node 0 is the block producer:
// at every slot it builds a block from its pending transactions, signs it with the scheduled
// witness's key and applies it. A transaction a client sends to node i is applied to node i's
// pending state and relayed to every other node after `propagation_delay` (plus that node's own
// `node_delay`; never to a `stalled_nodes` one); a block reaches the other nodes the same way,
// unless its packed size exceeds the P2P message limit (MAX_MESSAGE_SIZE, 2 MiB), in which case it
// is never delivered: those nodes stay at the block before, as bitshares-core peers do when they
// cannot receive a block (docs/devnet.md).
//
// Subscriptions (block applied, object changes, inclusion of a broadcast transaction) are kept
// per node and per session; notices go out through rpc::session::notify.
//
// Threads: every member function may be called from any thread; one mutex guards all nodes'
// state. Signatures are recovered before taking it (precompute), so concurrent broadcasts use
// several cores. Timers (block production, propagation) run on the executor given at creation.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "chain/config.hpp"
#include "chain/database.hpp"
#include "crypto/keys.hpp"
#include "rpc/server.hpp"

namespace bts::devnet {

namespace asio = boost::asio;
namespace json = boost::json;

using wall_clock = std::function<std::chrono::system_clock::time_point()>;

struct network_options {
  std::string genesis_text;  // the exact bytes: chain id = sha256(genesis_text)
  std::size_t nodes = 1;
  std::chrono::milliseconds propagation_delay{0};
  // Per endpoint (index >= 1): extra delay before a block or a relayed transaction reaches it, on
  // top of propagation_delay (a loaded or distant node that falls behind by blocks).
  std::map<std::size_t, std::chrono::milliseconds> node_delay;
  // Endpoints (index >= 1) that never receive another block or relayed transaction (a stalled
  // node: it keeps answering, at the block it had).
  std::set<std::size_t> stalled_nodes;
  std::size_t p2p_max_message_size = chain::config::p2p_max_message_size;
  std::vector<crypto::private_key> witness_keys;  // signing keys the producer may use
  // When set, produced blocks are appended here and replayed at start (the --data-dir snapshot).
  std::optional<std::filesystem::path> block_log;
  chain::database_options database;
  wall_clock clock;  // nullptr: std::chrono::system_clock::now
};

struct node_metrics {
  std::uint64_t accepted = 0;    // transactions from clients that entered the pending pool
  std::uint64_t relayed_in = 0;  // transactions that arrived from other nodes and applied
  std::map<std::int64_t, std::uint64_t> rejected_by_code;  // fc code of client transactions refused
  std::uint32_t head_block_num = 0;
  std::uint32_t last_irreversible_block_num = 0;
  std::size_t pending = 0;
  std::uint64_t blocks_applied = 0;
  std::uint64_t blocks_not_applied = 0;  // received but not linkable or not applicable
};

struct network_metrics {
  std::uint64_t blocks_produced = 0;
  std::uint64_t transactions_included = 0;
  std::size_t last_block_bytes = 0;
  std::size_t last_block_transactions = 0;
  std::uint32_t maximum_block_size = 0;
  std::uint64_t blocks_not_propagated = 0;  // larger than the P2P message limit
  std::uint64_t slots_without_key = 0;      // the scheduled witness's key is not known
  std::vector<node_metrics> nodes;
};

// Inclusion of a broadcast transaction: {"id","block_num","trx_num","trx"}, or nullopt when the
// session that waited went away.
using inclusion_callback = std::function<void(std::optional<json::object>)>;

class network : public std::enable_shared_from_this<network> {
 public:
  // Builds the genesis state on every node and replays the block log. Throws input_error for a
  // bad genesis or block log, or when no witness key is known.
  static std::shared_ptr<network> create(asio::any_io_executor executor, network_options options);
  ~network();

  // Starts producing blocks (and stop() stops it). Idempotent.
  void start();
  void stop();

  const chain::chain_id_type& chain_id() const { return chain_id_; }
  std::size_t size() const { return nodes_.size(); }
  const std::string& genesis_text() const { return options_.genesis_text; }

  // Runs f(const chain::database&) on node `i`'s state under the lock.
  template <class F>
  decltype(auto) read(std::size_t i, F&& f) const {
    std::lock_guard lock(mu_);
    return f(static_cast<const chain::database&>(*nodes_.at(i)->db));
  }
  // Runs f(chain::database&) under the lock (e.g. validate_transaction).
  template <class F>
  decltype(auto) write(std::size_t i, F&& f) {
    std::lock_guard lock(mu_);
    return f(*nodes_.at(i)->db);
  }

  // precompute against this chain (no lock: signature recovery runs in parallel).
  std::shared_ptr<const chain::precomputed_transaction> precompute(
      protocol::signed_transaction trx) const;

  // network_broadcast_api: pushes into node `i`'s pending state and relays it. `on_included`
  // (optional) runs once the transaction is in a block applied on node `i`; it is registered
  // for `session_id` and dropped by forget_session. Throws chain_error (counted by code).
  chain::processed_transaction broadcast(std::size_t i,
                                         std::shared_ptr<const chain::precomputed_transaction> trx,
                                         std::uint64_t session_id = 0,
                                         inclusion_callback on_included = {});

  // ---- subscriptions (database_api), keyed by session id ----
  void set_block_applied_callback(std::size_t i, std::shared_ptr<rpc::session> s,
                                  std::uint64_t callback);
  void set_subscribe_callback(std::size_t i, std::shared_ptr<rpc::session> s,
                              std::uint64_t callback, bool notify_remove_create);
  void set_pending_transaction_callback(std::size_t i, std::shared_ptr<rpc::session> s,
                                        std::uint64_t callback);
  void set_auto_subscription(std::size_t i, std::shared_ptr<rpc::session> s, bool enabled);
  // get_whether_to_subscribe: a subscribe callback is set and (`requested` or, when absent, auto
  // subscription is on).
  bool should_subscribe(std::size_t i, std::uint64_t session_id,
                        std::optional<bool> requested) const;
  void subscribe_objects(std::size_t i, std::uint64_t session_id,
                         const std::vector<chain::object_id_type>& ids);
  void cancel_all_subscriptions(std::size_t i, std::uint64_t session_id);
  // The session closed: drops its subscriptions and inclusion callbacks (calling those with
  // nullopt).
  void forget_session(std::size_t i, std::uint64_t session_id);

  // Produces the block of the current slot if one is due by the wall clock. Returns the block
  // number produced, if any. (The timer calls this; tests may call it directly.)
  std::optional<std::uint32_t> produce_due();

  network_metrics metrics() const;

 private:
  struct subscriber {
    std::weak_ptr<rpc::session> session;
    std::optional<std::uint64_t> block_applied_callback;
    std::optional<std::uint64_t> subscribe_callback;
    std::optional<std::uint64_t> pending_transaction_callback;
    bool notify_remove_create = false;
    bool auto_subscribe = true;
    std::set<chain::object_id_type> objects;
  };
  struct waiter {
    std::uint64_t session_id;
    inclusion_callback callback;
  };
  struct node {
    std::unique_ptr<chain::database> db;
    node_metrics metrics;
    std::map<std::uint64_t, subscriber> subscribers;
    std::map<chain::transaction_id_type, std::vector<waiter>> waiters;
    std::map<std::uint32_t, std::shared_ptr<const chain::produced_block>> future_blocks;
  };

  network(asio::any_io_executor executor, network_options options);
  void replay_block_log();
  void schedule_production();
  void on_applied_block(std::size_t i, const std::shared_ptr<const chain::produced_block>& block,
                        const chain::block_changes& changes);
  void deliver_block(std::size_t i, std::shared_ptr<const chain::produced_block> block);
  void relay_transaction(std::size_t from,
                         std::shared_ptr<const chain::precomputed_transaction> trx);
  template <class F>
  void after_delay(std::size_t to, F&& f);
  std::chrono::system_clock::time_point now() const;
  const crypto::private_key* key_for(const protocol::public_key_type& signing_key) const;

  asio::any_io_executor executor_;
  network_options options_;
  chain::chain_id_type chain_id_{};
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<node>> nodes_;
  network_metrics metrics_;
  std::unique_ptr<asio::steady_timer> production_timer_;
  bool running_ = false;
  std::ofstream block_log_;
};

}  // namespace bts::devnet
