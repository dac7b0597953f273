// verify_authority (bitshares-core protocol/transaction.cpp): whether the keys that signed a
// transaction satisfy the authorities its operations require, and that no signature is left
// unused.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "protocol/authority.hpp"
#include "protocol/operations.hpp"

namespace bts::chain::detail {

struct required_authorities {
  std::vector<protocol::account_id_type> active;  // sorted, distinct
  std::vector<protocol::account_id_type> owner;   // sorted, distinct
  std::vector<protocol::authority> other;          // e.g. balance_claim's owner key
};
required_authorities get_required_authorities(const std::vector<protocol::operation>& ops);

// `get_active`/`get_owner` return the account's authority or throw (unknown account).
// Throws chain_error, checking in bitshares-core's order: 4010006 if the committee account's
// active authority is required, 4010003 "Missing Authority" (other authorities),
// 4010002 "Missing Owner Authority ${id}", 4010001 "Missing Active Authority ${id}",
// 4010004 "Unnecessary signature(s) detected".
void verify_authority(
    const std::vector<protocol::operation>& ops,
    const std::vector<protocol::public_key_type>& signees,
    const std::function<const protocol::authority&(protocol::account_id_type)>& get_active,
    const std::function<const protocol::authority&(protocol::account_id_type)>& get_owner,
    std::uint32_t max_recursion_depth);

// database_api::get_potential_signatures: every key that could contribute to the authorities the
// operations require (active and owner of each account, one level of account authorities).
std::vector<protocol::public_key_type> get_potential_signatures(
    const std::vector<protocol::operation>& ops,
    const std::function<const protocol::authority&(protocol::account_id_type)>& get_active,
    const std::function<const protocol::authority&(protocol::account_id_type)>& get_owner);

// signed_transaction::get_required_signatures: the keys among `available` that must sign (in
// addition to `signees`, the keys that already did), in key order.
std::vector<protocol::public_key_type> get_required_signatures(
    const std::vector<protocol::operation>& ops,
    const std::vector<protocol::public_key_type>& signees,
    const std::vector<protocol::public_key_type>& available,
    const std::function<const protocol::authority&(protocol::account_id_type)>& get_active,
    const std::function<const protocol::authority&(protocol::account_id_type)>& get_owner,
    std::uint32_t max_recursion_depth);

}  // namespace bts::chain::detail
