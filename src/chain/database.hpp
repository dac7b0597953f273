// The chain state of one node and what bitshares-core's graphene::chain::database does with it:
// genesis, transaction validation and evaluation (db_block.cpp _apply_transaction and the
// evaluators), the pending state (_push_transaction), block production (_generate_block) and
// application (_apply_block), the order book (db_market.cpp), the witness schedule.
//
// Transactions get bitshares-core's verdicts with its fc error codes and messages (chain_error).
// What is implemented, and how the devnet differs from witness_node, is listed in docs/devnet.md.
//
// Time never comes from a clock here: the caller says when a block is produced, so tests drive
// the chain with a manual clock.
//
// Thread-safety: none. One thread (or strand) owns a database; the devnet runs one per endpoint.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "chain/block.hpp"
#include "chain/genesis.hpp"
#include "chain/objects.hpp"
#include "chain/undo_log.hpp"
#include "crypto/keys.hpp"
#include "protocol/json.hpp"
#include "protocol/transaction.hpp"

namespace bts::chain {

// database::validation_steps (skip flags) of bitshares-core, the subset that applies here.
enum skip_flag : std::uint32_t {
  skip_nothing = 0,
  skip_transaction_signatures = 1 << 1,  // authority check (blocks from a trusted producer)
  skip_transaction_dupe_check = 1 << 2,
  skip_tapos_check = 1 << 7,
  skip_block_size_check = 1 << 8,
};

// A signed transaction with what validation computes once (precompute_parallel): id, packed
// size, signature digest and the keys the signatures recover to. Immutable; shared between the
// pending pool, blocks and the endpoints of a devnet.
struct precomputed_transaction {
  protocol::signed_transaction trx;
  transaction_id_type id{};
  digest_type sig_digest{};
  std::size_t packed_size = 0;           // pack_size(signed_transaction)
  std::vector<public_key_type> signees;  // recovered keys, in signature order, distinct
};

// A block as the producer made it, with the precomputed transactions it contains (so other
// endpoints apply it without recovering signatures again).
struct produced_block {
  signed_block block;
  block_id_type id{};
  std::size_t packed_size = 0;
  std::vector<std::shared_ptr<const precomputed_transaction>> transactions;
};

// What applying a block changed, for subscriptions (database_api's set_subscribe_callback).
struct block_changes {
  std::set<object_id_type> changed;  // created or modified, still present
  std::set<object_id_type> created;  // the subset of `changed` that is new
  std::set<object_id_type> removed;
};

// A block read back from storage: ids, sizes and digests computed, signatures not recovered
// (push_block applies it with skip_transaction_signatures).
std::shared_ptr<const produced_block> import_block(signed_block block,
                                                   const chain_id_type& chain_id);

struct database_options {
  // Blocks kept for get_block; older ones are dropped once their total size exceeds this.
  std::size_t block_history_bytes = 512u * 1024 * 1024;
};

class database {
 public:
  // init_genesis: the special accounts 1.2.0..1.2.5, the core asset 1.3.0, then the genesis'
  // accounts, assets, balances, witnesses and committee members.
  database(const genesis_state& genesis, const chain_id_type& chain_id,
           database_options options = {});
  database(const database&) = delete;
  database& operator=(const database&) = delete;

  // ---- properties -------------------------------------------------------------------------
  const chain_id_type& chain_id() const { return chain_properties_.chain_id; }
  const global_property_object& global_properties() const { return global_properties_; }
  const dynamic_global_property_object& dynamic_global_properties() const {
    return dynamic_properties_;
  }
  const chain_property_object& chain_properties() const { return chain_properties_; }
  const witness_schedule_object& witness_schedule() const { return witness_schedule_; }
  const chain_parameters& parameters() const { return global_properties_.parameters; }
  std::uint32_t head_block_num() const { return dynamic_properties_.head_block_number; }
  time_point_sec head_block_time() const { return dynamic_properties_.time; }
  const block_id_type& head_block_id() const { return dynamic_properties_.head_block_id; }

  // ---- objects ----------------------------------------------------------------------------
  const account_object* find_account(account_id_type id) const;
  const account_object* find_account_by_name(std::string_view name) const;
  // REQUIRES: find_account(id) != nullptr
  const account_statistics_object& account_statistics(account_id_type id) const;
  const asset_object* find_asset(asset_id_type id) const;
  const asset_object* find_asset_by_symbol(std::string_view symbol) const;
  // REQUIRES: find_asset(id) != nullptr
  const asset_dynamic_data_object& asset_dynamic_data(asset_id_type id) const;
  share_type get_balance(account_id_type account, asset_id_type asset) const;
  // Balance objects of an account, by asset id.
  std::vector<const account_balance_object*> account_balances(account_id_type account) const;
  const limit_order_object* find_limit_order(limit_order_id_type id) const;
  // Orders selling `sell` for `receive`, best price first, at most `limit`.
  std::vector<const limit_order_object*> limit_orders(asset_id_type sell, asset_id_type receive,
                                                      std::size_t limit) const;
  std::vector<const limit_order_object*> account_limit_orders(account_id_type account) const;
  std::size_t limit_order_count() const { return limit_orders_.size(); }
  const witness_object* find_witness(witness_id_type id) const;
  const balance_object* find_balance_object(protocol::balance_id_type id) const;
  // database_api::get_balance_objects: the unclaimed genesis balances owned by `owner`.
  std::vector<const balance_object*> balance_objects_of(const protocol::address& owner) const;
  std::size_t account_count() const { return accounts_.size(); }
  std::size_t asset_count() const { return assets_.size(); }
  // The JSON get_objects returns for `id`, or nullopt when there is no such object.
  std::optional<boost::json::value> object_to_json(
      object_id_type id, const protocol::json_write_options& options = {}) const;
  // "1.3.0" or "BTS" -> the asset; "1.2.17" or "nathan" -> the account.
  const asset_object* find_asset_by_id_or_symbol(std::string_view text) const;
  const account_object* find_account_by_id_or_name(std::string_view text) const;
  // asset_object::amount_to_pretty_string of `a` ("20 BTS").
  std::string to_pretty_string(const protocol::asset& a) const;

  // ---- transactions -----------------------------------------------------------------------
  // _precompute_parallel: validate() the transaction and its operations, compute its id and
  // size, recover the signature keys (non-canonical: assert; duplicate key: 4010005).
  // Throws chain_error.
  std::shared_ptr<const precomputed_transaction> precompute(protocol::signed_transaction trx) const;

  // push_transaction: the transaction must be below 1 MiB packed, then _apply_transaction on
  // the pending state; on success it joins the pending pool (in arrival order) and its changes
  // stay visible to the next transactions. Throws chain_error; the state is then unchanged.
  processed_transaction push_transaction(const std::shared_ptr<const precomputed_transaction>& trx);

  // _apply_transaction on a scratch copy of the pending state (validate_transaction).
  processed_transaction validate_transaction(const precomputed_transaction& trx);

  struct pending_transaction {
    std::shared_ptr<const precomputed_transaction> trx;
    processed_transaction processed;
  };
  const std::vector<pending_transaction>& pending() const { return pending_; }
  // True while the id is in the dedupe index (in a block or pending, until it expires).
  bool is_known_transaction(const transaction_id_type& id) const;

  // ---- blocks -----------------------------------------------------------------------------
  // db_witness_schedule.cpp: slot 0 is the head block's slot; slot n is n block intervals
  // later (plus maintenance_skip_slots after a maintenance block).
  time_point_sec get_slot_time(std::uint32_t slot_num) const;
  std::uint32_t get_slot_at_time(time_point_sec when) const;
  witness_id_type get_scheduled_witness(std::uint32_t slot_num) const;
  const witness_object& witness(witness_id_type id) const;

  // _generate_block: the block for the slot at `when`, by the witness scheduled for it, filled
  // with pending transactions in order while its packed size stays within maximum_block_size;
  // transactions that no longer apply are dropped, ones that do not fit stay pending. The
  // block is applied, and the pending pool re-applied on top of it.
  // REQUIRES: get_slot_at_time(when) > 0, and `signing_key` is the scheduled witness's key.
  std::shared_ptr<const produced_block> generate_block(time_point_sec when,
                                                       const crypto::private_key& signing_key);

  // _push_block for a block produced by another database of the same chain: applies it with
  // skip_transaction_signatures (the producer checked them), then re-applies the pending pool
  // (transactions now in the block, expired or invalid ones are dropped). Throws chain_error
  // if the block does not link to the head or does not apply; the state is then unchanged.
  void push_block(const std::shared_ptr<const produced_block>& block);

  // database_api::get_required_signatures / get_potential_signatures for a transaction.
  std::vector<public_key_type> get_required_signatures(
      const precomputed_transaction& trx, const std::vector<public_key_type>& available) const;
  std::vector<public_key_type> get_potential_signatures(const protocol::transaction& trx) const;
  // verify_authority of database_api: throws the chain_error _apply_transaction would.
  void verify_authority(const precomputed_transaction& trx) const;

  // The block with that number, if still kept (see database_options).
  std::shared_ptr<const produced_block> fetch_block_by_number(std::uint32_t num) const;

  // Called after each applied block, with the objects it changed.
  std::function<void(const std::shared_ptr<const produced_block>&, const block_changes&)>
      on_applied_block;

 private:
  friend struct evaluation;

  struct balance_key {
    std::uint64_t account;
    std::uint64_t asset;
    friend auto operator<=>(const balance_key&, const balance_key&) = default;
  };
  struct order_key {
    std::uint64_t base;   // asset sold
    std::uint64_t quote;  // asset received
    share_type base_amount;
    share_type quote_amount;
    std::uint64_t id;
  };
  struct order_key_less {
    bool operator()(const order_key& a, const order_key& b) const;
  };
  struct txid_hash {
    std::size_t operator()(const transaction_id_type& id) const;
  };

  // What _apply_transaction knows about the block being built (creation_block_num etc.).
  struct block_context {
    std::uint32_t block_num = 0;
    time_point_sec block_time;
  };

  void init_genesis(const genesis_state& genesis);

  // ---- state changes, each recorded in the undo log ----
  account_object& create_account(account_object account);
  void modify_account(account_id_type id, const std::function<void(account_object&)>& f);
  void modify_statistics(account_id_type id,
                         const std::function<void(account_statistics_object&)>& f);
  asset_object& create_asset(asset_object asset, asset_dynamic_data_object dynamic_data);
  void modify_asset_dynamic_data(asset_id_type id,
                                 const std::function<void(asset_dynamic_data_object&)>& f);
  // adjust_balance (db_balance.cpp): throws "Insufficient Balance: ..." when it would go negative.
  void adjust_balance(account_id_type account, const protocol::asset& delta);
  limit_order_object& create_limit_order(limit_order_object order);
  void modify_limit_order(limit_order_id_type id,
                          const std::function<void(limit_order_object&)>& f);
  void remove_limit_order(limit_order_id_type id);
  void remove_balance_object(protocol::balance_id_type id);
  void insert_order_indexes(const limit_order_object& order);
  void erase_order_indexes(const limit_order_object& order);
  template <class T>
  void modify_singleton(T& object, const std::function<void(T&)>& f);
  void note_changed(object_id_type id);
  void note_created(object_id_type id);
  void note_removed(object_id_type id);

  // ---- transaction processing (db_block.cpp) ----
  processed_transaction apply_transaction(const precomputed_transaction& trx, std::uint32_t skip,
                                          const block_context& context);
  void clear_pending_state();
  void repush_pending(std::vector<pending_transaction> old_pending);

  // ---- block processing ----
  void apply_block_effects(const signed_block& block, const block_id_type& id);
  void update_witness_schedule();
  void update_last_irreversible_block();
  void clear_expired_transactions();
  void clear_expired_orders();
  void perform_chain_maintenance(const signed_block& block);
  void store_block(const std::shared_ptr<const produced_block>& block);

  // ---- market (detail/market.cpp) ----
  bool apply_order(limit_order_id_type order_id);
  int match(limit_order_id_type taker, limit_order_id_type maker, const price& match_price);
  bool fill_limit_order(limit_order_id_type order_id, const protocol::asset& pays,
                        const protocol::asset& receives, bool cull_if_small, bool is_maker);
  bool maybe_cull_small_order(limit_order_id_type order_id);
  protocol::asset cancel_limit_order(limit_order_id_type order_id, bool create_virtual_op);
  protocol::asset pay_market_fees(const asset_object& receive_asset,
                                  const protocol::asset& receives, bool is_maker);

  database_options options_;
  undo_log undo_;
  bool pending_session_ = false;
  std::vector<pending_transaction> pending_;
  block_context pending_context() const;

  global_property_object global_properties_;
  dynamic_global_property_object dynamic_properties_;
  chain_property_object chain_properties_;
  witness_schedule_object witness_schedule_;

  std::vector<account_object> accounts_;
  std::vector<account_statistics_object> account_statistics_;
  std::map<std::string, std::uint64_t, std::less<>> accounts_by_name_;
  std::vector<asset_object> assets_;
  std::vector<asset_dynamic_data_object> asset_dynamic_data_;
  std::map<std::string, std::uint64_t, std::less<>> assets_by_symbol_;
  std::vector<account_balance_object> balances_;
  std::map<balance_key, std::uint64_t> balance_index_;
  std::map<std::uint64_t, limit_order_object> limit_orders_;
  std::uint64_t next_limit_order_id_ = 0;
  std::set<order_key, order_key_less> order_book_;
  std::set<std::pair<std::uint32_t, std::uint64_t>> orders_by_expiration_;
  std::set<std::pair<std::uint64_t, std::uint64_t>> orders_by_account_;
  std::map<std::uint64_t, balance_object> balance_objects_;  // 1.15.x by instance
  std::vector<witness_object> witnesses_;
  std::vector<committee_member_object> committee_members_;
  std::vector<block_id_type> block_summaries_;
  std::unordered_map<transaction_id_type, std::uint32_t, txid_hash> recent_transactions_;
  std::set<std::pair<std::uint32_t, transaction_id_type>> recent_transactions_by_expiration_;

  std::deque<std::shared_ptr<const produced_block>> blocks_;  // blocks_.back() is the head
  std::size_t blocks_bytes_ = 0;

  bool track_changes_ = false;
  block_changes changes_;
};

template <class T>
void database::modify_singleton(T& object, const std::function<void(T&)>& f) {
  undo_.record([&object, old = object] { object = old; });
  f(object);
  note_changed(object_id_type::of(object.id));
}

}  // namespace bts::chain
