// transaction / signed_transaction (bitshares-core graphene/protocol/transaction.hpp) and what a
// client does with them: TaPoS, digests, ids, signing, key recovery, binary and JSON forms
// (bitshares-protocol.md §1).
//
// Thread-safety: plain values; concurrent const use is safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "crypto/hash.hpp"
#include "crypto/keys.hpp"
#include "protocol/json.hpp"
#include "protocol/operations.hpp"
#include "protocol/types.hpp"

namespace bts::protocol {

struct transaction {
  std::uint16_t ref_block_num = 0;
  std::uint32_t ref_block_prefix = 0;
  time_point_sec expiration;
  std::vector<operation> operations;
  extensions_type extensions;

  // TaPoS from a block id: ref_block_num = low 16 bits of the block number (big-endian id bytes
  // 0..3), ref_block_prefix = little-endian id bytes 4..7.
  void set_reference_block(const block_id_type& block_id);
  void set_expiration(time_point_sec expiration_time) { expiration = expiration_time; }

  // Appends the packed transaction (without signatures) to `out`: the bytes that get signed.
  void pack_unsigned(std::vector<std::uint8_t>& out) const;
  std::vector<std::uint8_t> pack_unsigned() const;

  // sha256(pack_unsigned()).
  digest_type digest() const;
  // The digest signers sign: sha256(chain_id || pack_unsigned()).
  digest_type sig_digest(const chain_id_type& chain_id) const;
  // The transaction id: the first 20 bytes of digest(); signatures do not change it.
  transaction_id_type id() const;
};
BTS_REFLECT(transaction, (ref_block_num)(ref_block_prefix)(expiration)(operations)(extensions))

struct signed_transaction : transaction {
  std::vector<signature_type> signatures;

  // Signs sig_digest(chain_id) with fc's canonical nonce schedule and appends the signature.
  const signature_type& sign(const crypto::private_key& key, const chain_id_type& chain_id);

  // Recovers the key of every signature, in order, as the node does. Throws input_error
  // ("signatures[1]: signature is not canonical or does not recover") or on a duplicate key.
  std::vector<public_key_type> get_signature_keys(const chain_id_type& chain_id) const;

  // Appends the packed signed transaction (unsigned part + signatures) to `out`.
  void pack(std::vector<std::uint8_t>& out) const;
  std::vector<std::uint8_t> pack() const;
};
inline constexpr auto bts_reflect(reflect_tag<signed_transaction>) {
  using T = signed_transaction;
  return std::make_tuple(
      field<&T::ref_block_num>{"ref_block_num"}, field<&T::ref_block_prefix>{"ref_block_prefix"},
      field<&T::expiration>{"expiration"}, field<&T::operations>{"operations"},
      field<&T::extensions>{"extensions"},
      // Unsigned transactions in JSON usually have no "signatures" key at all.
      field<&T::signatures, field_flags::may_be_omitted>{"signatures"});
}

// Decodes a packed transaction, signed or unsigned: after `extensions`, either the data ends
// (unsigned; `has_signatures` receives false) or a signature vector follows and must end it.
// Throws input_error ("unexpected end of data at byte N", "3 trailing bytes after byte N",
// "operations[0][0]: operation 22 (proposal_create) is not supported yet", ...).
signed_transaction unpack_transaction(std::span<const std::uint8_t> data,
                                      bool* has_signatures = nullptr);

// JSON in bitshares-core's form. Input may omit "signatures" (an unsigned transaction).
signed_transaction transaction_from_json(const boost::json::value& json,
                                         const json_read_options& options = {});
boost::json::value transaction_to_json(const signed_transaction& tx,
                                       const json_write_options& options = {});

// 32 bytes of hex -> chain id. Throws input_error("chain id must be 32 bytes of hex (64
// characters), got ...").
chain_id_type chain_id_from_hex(std::string_view hex);

}  // namespace bts::protocol
