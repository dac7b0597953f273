// ECDH shared secrets and memo encryption as bitshares-core's memo_data::set_message /
// get_message (bitshares-protocol.md §4.5-4.6).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/hash.hpp"
#include "crypto/keys.hpp"

namespace bts::crypto {

// fc::ecc::private_key::get_shared_secret: sha512(x-coordinate of priv * pub).
sha512_digest shared_secret(const private_key& priv, const public_key& pub);

// AES-256-CBC of (sha256(message)[0:4] || message) with key/iv from
// sha512(decimal(nonce) || hex(shared_secret)).
std::vector<std::uint8_t> encrypt_memo(const private_key& priv, const public_key& pub,
                                       std::uint64_t nonce, std::string_view message);

// Inverse of encrypt_memo. Throws bts::input_error("memo checksum mismatch") or
// ("memo ciphertext is not valid AES-256-CBC"). Tolerates legacy ciphertexts without a final
// padding block, as bitshares-core does.
std::string decrypt_memo(const private_key& priv, const public_key& pub, std::uint64_t nonce,
                         std::span<const std::uint8_t> ciphertext);

// Core's default nonce: low 56 bits microseconds since epoch, high 8 bits random.
std::uint64_t make_memo_nonce();

}  // namespace bts::crypto
