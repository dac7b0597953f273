// Genesis balances (bitshares-core graphene/protocol/balance.hpp).
//
// A genesis `initial_balances` entry becomes a balance object (1.15.x) owned by an *address*, not
// an account; its owner claims it into an account with balance_claim. The fee is always 0 and the
// required authority is the owner key itself (authority(1, balance_owner_key, 1)), not an
// account's: the transaction is signed by that key.
#pragma once

#include "protocol/asset.hpp"
#include "protocol/types.hpp"

namespace bts::protocol {

using balance_id_type = object_id<1, 15>;

struct balance_claim_operation {
  static constexpr std::uint16_t tag = 37;
  asset fee;
  account_id_type deposit_to_account;
  balance_id_type balance_to_claim;
  public_key_type balance_owner_key;
  asset total_claimed;
};
BTS_REFLECT(balance_claim_operation,
            (fee)(deposit_to_account)(balance_to_claim)(balance_owner_key)(total_claimed))

}  // namespace bts::protocol
