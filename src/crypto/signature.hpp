// Compact recoverable ECDSA signatures as fc::ecc produces and bitshares-core checks them.
//
// Format (65 bytes): header || r || s, header = 27 + 4 + recid. A signature is *canonical* in fc's
// sense when r and s are each 32 bytes in DER (bitshares-protocol.md §5.2); nodes reject others.
//
// Thread-safety: every function here may be called concurrently from any thread (they share one
// immutable libsecp256k1 context).
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "crypto/hash.hpp"
#include "crypto/keys.hpp"

namespace bts::crypto {

using compact_signature = std::array<std::uint8_t, 65>;

bool is_canonical(const compact_signature& sig);

// Signs with fc's nonce schedule: attempt n (n = 1, 2, ...) uses RFC6979 output #n over
// (secret, digest), until the signature is canonical. Byte-identical to fc's sign_compact.
// `attempts`, when given, receives the number of nonces tried.
compact_signature sign_compact(const private_key& key, const sha256_digest& digest,
                               int* attempts = nullptr);

// Recovers the signer's key. Returns nullopt when the signature is malformed, or when
// `require_canonical` and it is not canonical (as fc::ecc::public_key(sig, digest) does).
std::optional<public_key> recover(const compact_signature& sig, const sha256_digest& digest,
                                  bool require_canonical = true);

// True when `sig` is canonical and recovers to `key`.
bool verify(const compact_signature& sig, const sha256_digest& digest, const public_key& key);

}  // namespace bts::crypto
