// authority (bitshares-core graphene/protocol/authority.hpp).
#pragma once

#include "protocol/types.hpp"

namespace bts::protocol {

// Weighted multi-signature authority. The maps are kept in the node's order (key_auths by
// graphene address, account_auths by instance, address_auths by address bytes).
struct authority {
  std::uint32_t weight_threshold = 0;
  flat_map<account_id_type, std::uint16_t> account_auths;
  flat_map<public_key_type, std::uint16_t> key_auths;
  flat_map<address, std::uint16_t> address_auths;
};
BTS_REFLECT(authority, (weight_threshold)(account_auths)(key_auths)(address_auths))

}  // namespace bts::protocol
