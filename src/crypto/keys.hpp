// secp256k1 keys in BitShares' encodings: WIF private keys, prefixed public key strings,
// graphene addresses, brain keys.
//
// Text forms (bitshares-protocol.md §4):
//   WIF      = base58(0x80 || secret || sha256(sha256(0x80 || secret))[0:4])
//   pub key  = PREFIX + base58(pub33 || ripemd160(pub33)[0:4])
//   address  = PREFIX + base58(addr20 || ripemd160(addr20)[0:4]), addr20 = ripemd160(sha512(pub33))
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/hash.hpp"

namespace bts::crypto {

inline constexpr std::string_view default_prefix = "BTS";

// A compressed secp256k1 point (33 bytes, 0x02/0x03 prefix), or all zeros for the "null key"
// (BTS1111111111111111111111111111111114T1Anm) that unencrypted memos use.
struct public_key {
  std::array<std::uint8_t, 33> data{};

  bool is_null() const;
  friend bool operator==(const public_key&, const public_key&) = default;
};

// The graphene address of a key: ripemd160(sha512(pub33)). Orders key_auths.
using address = ripemd160_digest;
address to_address(const public_key& key);

// Ordering of public_key_type in bitshares-core (flat_map/flat_set): by address bytes.
bool address_less(const public_key& a, const public_key& b);

std::string to_string(const public_key& key, std::string_view prefix = default_prefix);
// Accepts any prefix of letters when `expected_prefix` is empty, else exactly that one.
// Throws bts::input_error naming the problem: wrong prefix, bad base58, wrong length,
// "public key checksum mismatch", or not a point on the curve.
public_key public_key_from_string(std::string_view text, std::string_view expected_prefix = {});

std::string address_to_string(const address& addr, std::string_view prefix = default_prefix);
address address_from_string(std::string_view text, std::string_view expected_prefix = {});

// A private key. The secret is wiped on destruction. Copyable (keys move between threads of a
// signer pool); never printed by any code in bts-infra except `to_wif` on explicit request.
class private_key {
 public:
  // Throws bts::input_error if the secret is 0 or >= the curve order.
  static private_key from_secret(const std::array<std::uint8_t, 32>& secret);
  // Throws bts::input_error("WIF checksum mismatch" / "not a WIF key" ...).
  static private_key from_wif(std::string_view wif);
  // secret = sha256(seed), e.g. from_seed("nathan").
  static private_key from_seed(std::string_view seed);
  // cli_wallet: secret = sha256(sha512(normalize(brain_key) + " " + decimal(sequence))).
  static private_key from_brain_key(std::string_view brain_key, std::uint32_t sequence);
  // Fresh key from the OS's secure random source (getrandom).
  static private_key generate();

  private_key(const private_key&) = default;
  private_key& operator=(const private_key&) = default;
  ~private_key();

  const std::array<std::uint8_t, 32>& secret() const { return secret_; }
  std::string to_wif() const;
  public_key get_public_key() const;

 private:
  private_key() = default;
  std::array<std::uint8_t, 32> secret_{};
};

// cli_wallet's normalize_brain_key: whitespace runs -> one space, trimmed, a-z upper-cased.
std::string normalize_brain_key(std::string_view brain_key);

}  // namespace bts::crypto
