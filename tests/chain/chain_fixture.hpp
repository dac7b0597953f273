// A chain built from the devnet's genesis, a manual notion of time, and helpers to build, sign
// and push transactions. Block production is driven explicitly (produce_block), never by sleeping.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "chain/chain_error.hpp"
#include "chain/database.hpp"
#include "chain/genesis.hpp"
#include "crypto/keys.hpp"
#include "protocol/operations.hpp"
#include "protocol/transaction.hpp"

namespace bts::chain::testing {

using protocol::account_id_type;
using protocol::asset;
using protocol::asset_id_type;
using protocol::operation;
using protocol::signed_transaction;

inline const account_id_type nathan{17};
inline const asset_id_type core{0};
inline constexpr std::int64_t transfer_fee = 2000000;  // genesis-dev: 20 BTS

// The genesis allocation is a balance object (1.15.0) owned by the dev key's address, as on
// witness_node; unless told otherwise the fixture claims it into nathan with a pending
// balance_claim (the same transaction in every fixture, so a follower drops its copy when the
// producer's block brings it).
struct chain_fixture {
  explicit chain_fixture(builtin_genesis_options options = {}, bool claim_genesis_balance = true)
      : genesis_text(builtin_genesis_json(options)),
        chain_id(compute_chain_id(genesis_text)),
        genesis(parse_genesis(genesis_text)),
        db(std::make_unique<database>(genesis, chain_id)),
        dev_key(crypto::private_key::from_wif(dev_private_key_wif)) {
    if (claim_genesis_balance) push(signed_tx({claim_genesis()}));
  }

  // nathan's claim of the genesis balance 1.15.0 (all 10,000,000,000 BTS).
  protocol::balance_claim_operation claim_genesis() const {
    protocol::balance_claim_operation op;
    op.deposit_to_account = nathan;
    op.balance_to_claim.instance = 0;
    op.balance_owner_key = dev_key.get_public_key();
    op.total_claimed = {1000000000000000, core};
    return op;
  }

  // The next slot's block, by whichever witness is scheduled (all use the dev key).
  std::shared_ptr<const produced_block> produce_block(std::uint32_t skip_slots = 0) {
    return db->generate_block(db->get_slot_time(1 + skip_slots), dev_key);
  }
  void produce_blocks(int n) {
    for (int i = 0; i < n; ++i) produce_block();
  }

  // A transaction referencing the head block, expiring `expire_in` seconds after head time.
  signed_transaction make_tx(std::vector<operation> ops, std::uint32_t expire_in = 60) const {
    signed_transaction tx;
    tx.set_reference_block(db->head_block_id());
    tx.expiration = time_point_sec{db->head_block_time().sec_since_epoch + expire_in};
    tx.operations = std::move(ops);
    return tx;
  }
  signed_transaction signed_tx(std::vector<operation> ops,
                               const std::vector<crypto::private_key>& keys,
                               std::uint32_t expire_in = 60) const {
    auto tx = make_tx(std::move(ops), expire_in);
    for (const auto& k : keys) tx.sign(k, chain_id);
    return tx;
  }
  signed_transaction signed_tx(std::vector<operation> ops) const {
    return signed_tx(std::move(ops), {dev_key});
  }

  processed_transaction push(signed_transaction tx) {
    return db->push_transaction(db->precompute(std::move(tx)));
  }

  // The chain_error `f` throws; fails the test if it throws nothing.
  chain_error error_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const chain_error& e) {
      return e;
    }
    ADD_FAILURE() << "expected a chain_error";
    return chain_error(fc_kind::unspecified, {"(none)", {}, "", ""});
  }
  chain_error push_error(signed_transaction tx) {
    return error_of([&] { push(std::move(tx)); });
  }

  static protocol::transfer_operation transfer(account_id_type from, account_id_type to,
                                               std::int64_t amount, std::int64_t fee = transfer_fee,
                                               asset_id_type what = core) {
    protocol::transfer_operation op;
    op.fee = {fee, core};
    op.from = from;
    op.to = to;
    op.amount = {amount, what};
    return op;
  }

  // Creates `name` registered by nathan with `key` as owner, active and memo key; returns its id.
  account_id_type create_account(const std::string& name, const crypto::public_key& key) {
    protocol::account_create_operation op;
    op.fee = {0, core};
    op.registrar = nathan;
    op.referrer = nathan;
    op.name = name;
    op.owner.weight_threshold = 1;
    op.owner.key_auths.insert({key, 1});
    op.active = op.owner;
    op.options.memo_key = key;
    op.fee.amount = db->parameters().current_fees.calculate_fee(op);
    const auto result = push(signed_tx({op}));
    return account_id_type{result.operation_results.at(0).get_if<object_id_type>()->instance()};
  }

  share_type balance(account_id_type a, asset_id_type what = core) const {
    return db->get_balance(a, what);
  }

  std::string genesis_text;
  chain_id_type chain_id;
  genesis_state genesis;
  std::unique_ptr<database> db;
  crypto::private_key dev_key;
};

}  // namespace bts::chain::testing
