// memo_data (bitshares-core graphene/protocol/memo.hpp). Encryption lives in crypto/memo.hpp.
#pragma once

#include "protocol/types.hpp"

namespace bts::protocol {

// An encrypted memo: AES ciphertext of (checksum || text) under the from/to ECDH secret.
// Unencrypted memos use null keys and message = 4 zero bytes + text.
struct memo_data {
  public_key_type from;
  public_key_type to;
  std::uint64_t nonce = 0;  // JSON: a decimal string when above 0xffffffff, as fc writes it
  std::vector<std::uint8_t> message;
};
BTS_REFLECT(memo_data, (from)(to)(nonce)(message))

}  // namespace bts::protocol
