// The transaction factory: random valid transactions per the scenario's mix, signed ahead of time.
//
//   tx_factory f(config, head_cell, orders, ids);
//   prepared_tx t = f.make(k, now_ns);   // transaction number k of this beacon, signed
//
// Reproducibility: the operations of transaction k (types, accounts, amounts, prices, memo
// text and nonce) are drawn from a std::mt19937_64 seeded with splitmix(seed, beacon name, k),
// so a run is repeatable from its manifest whatever the number of signer threads. TaPoS and
// expiration come from the node's head at signing time; cancels depend on which orders the node
// reported created, and a collision retry moves the expiration (see id_registry).
//
// Uniqueness: every transaction's id is claimed in an id_registry before it leaves the factory;
// a collision (same content already built) moves the expiration by one second and retries, so no
// two transactions in flight share an id (the node would reject the second as a duplicate).
//
// Fees come from the node's fee schedule (chain_context.hpp); TaPoS from the reference block
// cell the broadcaster refreshes; expiration = estimated head time + expiration_seconds.
//
// Threads: make() is const and may run on many signer threads at once; id_registry and
// open_orders are internally locked.
#pragma once

#include <boost/json/value.hpp>

#include <atomic>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "beacon/chain_context.hpp"
#include "scenario/scenario.hpp"
#include "protocol/transaction.hpp"

namespace bts::beacon {

// The beacon runs scenarios (scenario/scenario.hpp); their types read unqualified here.
using scenarios::block_watch;
using scenarios::int_distribution;
using scenarios::node_endpoint;
using scenarios::operation_mix;
using scenarios::ops_per_tx;
using scenarios::price_distribution;
using scenarios::rate_search;
using scenarios::scenario;
using scenarios::search_thresholds;
using scenarios::spread_kind;

// A signed transaction ready for the wire.
struct prepared_tx {
  std::uint64_t sequence = 0;  // k: the factory's transaction number
  protocol::transaction_id_type id{};
  // transaction_to_json as compact JSON text: the broadcast parameter, written into the request
  // as is (rpc::client::async_call_raw). Text, not a boost::json::value: a third of the memory.
  std::string json;
  std::uint32_t expiration = 0;
  std::uint32_t ops = 0;
  std::uint32_t bytes = 0;  // packed size, signatures included
  // For each limit_order_create: (operation index, account index), to learn the order id once
  // the transaction is included.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> order_creates;
};

// Indexes into factory_config::accounts of the accounts that sign a transaction.
using signer_list = std::vector<std::uint32_t>;

// Ids of transactions built and not yet expired. Threads: any.
class id_registry {
 public:
  // False (and nothing changes) when `id` is already claimed.
  bool claim(const protocol::transaction_id_type& id, std::uint32_t expiration);
  // Forgets ids whose expiration is before `head_time` (the node forgets them too).
  void expire(std::uint32_t head_time);
  std::size_t size() const;
  std::uint64_t collisions() const;

 private:
  struct hash {
    std::size_t operator()(const protocol::transaction_id_type& id) const;
  };
  mutable std::mutex mu_;
  std::unordered_set<protocol::transaction_id_type, hash> ids_;
  std::vector<std::pair<std::uint32_t, protocol::transaction_id_type>> by_expiration_;  // FIFO
  std::uint64_t collisions_ = 0;
};

// The beacon's open limit orders, learnt from inclusion; cancels take them out. Threads: any.
class open_orders {
 public:
  void add(std::uint32_t account, protocol::limit_order_id_type order);
  // Removes and returns an order of some account, picked with `pick` (a random number).
  std::optional<std::pair<std::uint32_t, protocol::limit_order_id_type>> take(std::uint64_t pick);
  std::size_t size() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<std::uint32_t, protocol::limit_order_id_type>> orders_;
};

struct factory_config {
  std::string beacon_name = "beacon";
  std::uint64_t seed = 1;
  operation_mix mix;
  ops_per_tx ops;
  int_distribution amount;
  price_distribution price;
  std::uint32_t expiration_seconds = 120;
  protocol::chain_id_type chain_id{};
  chain_parameters parameters;
  protocol::asset_id_type core_asset{0};
  std::optional<protocol::asset_id_type> order_asset;    // needed when mix.limit_order_create > 0
  std::string key_prefix = "BTS";                        // of public keys in JSON (memos)
  std::shared_ptr<const std::vector<account>> accounts;  // REQUIRES: at least 2 for transfers
};

struct factory_counters {
  std::uint64_t built = 0;
  std::uint64_t cancel_fallbacks = 0;  // a cancel was drawn with no open order: a transfer instead
  std::uint64_t too_large = 0;         // ops dropped to fit maximum_transaction_size
};

class tx_factory {
 public:
  // REQUIRES: the cells outlive the factory. Throws input_error for an unusable config (fewer
  // than two accounts, limit orders without an order asset, an empty mix).
  tx_factory(factory_config config, const reference_block_cell& head, open_orders& orders,
             id_registry& ids);

  // Builds and signs transaction number k. now_ns: the steady clock (for the head estimate).
  prepared_tx make(std::uint64_t k, std::int64_t now_ns) const;

  const factory_config& config() const { return config_; }
  factory_counters counters() const;

 private:
  protocol::operation draw_operation(std::mt19937_64& rng, std::uint64_t k, std::uint32_t op_index,
                                     prepared_tx& out) const;
  std::uint32_t draw_op_count(std::mt19937_64& rng) const;
  void add_operations(protocol::signed_transaction& tx, std::mt19937_64& rng, std::uint64_t k,
                      prepared_tx& out) const;
  std::int64_t draw_amount(std::mt19937_64& rng) const;

  std::string_view key_text(const crypto::public_key& k) const;

  factory_config config_;
  std::unordered_map<std::uint64_t, std::uint32_t> account_index_;  // account id -> accounts index
  std::unordered_map<std::string, std::string> key_texts_;          // 33 key bytes -> "BTS..."
  const reference_block_cell& head_;
  open_orders& orders_;
  id_registry& ids_;
  double mix_total_ = 0;
  mutable std::atomic<std::uint64_t> built_{0}, cancel_fallbacks_{0}, too_large_{0};
};

// ops_per_tx max: the most operations one transaction may get (the size limit ends it first).
inline constexpr std::uint32_t max_fill_ops = 10000;

// splitmix64 over the inputs: the per-transaction PRNG seed.
std::uint64_t transaction_seed(std::uint64_t seed, std::string_view beacon, std::uint64_t k);

}  // namespace bts::beacon
