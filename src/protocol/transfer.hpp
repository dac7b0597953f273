// Transfers (bitshares-core graphene/protocol/transfer.hpp).
//
// Every operation struct has the same shape: `tag` (its position in the operation
// static_variant, bitshares-protocol.md §2.1), the fields in FC_REFLECT order, then BTS_REFLECT.
#pragma once

#include <optional>

#include "protocol/asset.hpp"
#include "protocol/memo.hpp"
#include "protocol/types.hpp"

namespace bts::protocol {

struct transfer_operation {
  static constexpr std::uint16_t tag = 0;
  asset fee;
  account_id_type from;
  account_id_type to;
  asset amount;
  std::optional<memo_data> memo;
  extensions_type extensions;
};
BTS_REFLECT(transfer_operation, (fee)(from)(to)(amount)(memo)(extensions))

// The issuer moves its asset between two other accounts (asset must allow override_authority).
struct override_transfer_operation {
  static constexpr std::uint16_t tag = 38;
  asset fee;
  account_id_type issuer;
  account_id_type from;
  account_id_type to;
  asset amount;
  std::optional<memo_data> memo;
  extensions_type extensions;
};
BTS_REFLECT(override_transfer_operation, (fee)(issuer)(from)(to)(amount)(memo)(extensions))

}  // namespace bts::protocol
