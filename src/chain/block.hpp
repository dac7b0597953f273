// Blocks and processed transactions as bitshares-core defines them (graphene/protocol/block.hpp,
// transaction.hpp processed_transaction, base.hpp operation_result).
//
//   block_header digest   = sha256(pack(block_header))                 (what the witness signs)
//   block id              = sha224(pack(signed_block_header))[0:20], bytes 0..3 = block number
//                           big-endian
//   merkle root           = pairwise sha256(a || b) over sha256(pack(processed_transaction))
//                           (operation_results included), an odd last digest carried up as is,
//                           then ripemd160 of the final 32 bytes; all zeros for an empty block.
//
// These types could move into the protocol module later; they live here because only the chain
// produces them.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/keys.hpp"
#include "protocol/asset.hpp"
#include "protocol/transaction.hpp"
#include "protocol/types.hpp"

namespace bts::chain {

using protocol::account_id_type;
using protocol::asset_id_type;
using protocol::block_id_type;
using protocol::chain_id_type;
using protocol::digest_type;
using protocol::limit_order_id_type;
using protocol::public_key_type;
using protocol::share_type;
using protocol::signature_type;
using protocol::time_point_sec;
using protocol::transaction_id_type;
using checksum_type = std::array<std::uint8_t, 20>;
using witness_id_type = protocol::object_id<1, 6>;

// graphene::db::object_id_type: any object's id, packed as uint64 space<<56 | type<<48 | instance,
// printed as "space.type.instance".
struct object_id_type {
  std::uint64_t number = 0;

  static constexpr object_id_type make(std::uint8_t space, std::uint8_t type,
                                       std::uint64_t instance) {
    return {std::uint64_t(space) << 56 | std::uint64_t(type) << 48 |
            (instance & 0xffffffffffffULL)};
  }
  template <std::uint8_t S, std::uint8_t T>
  static constexpr object_id_type of(protocol::object_id<S, T> id) {
    return make(S, T, id.instance);
  }
  std::uint8_t space() const { return static_cast<std::uint8_t>(number >> 56); }
  std::uint8_t type() const { return static_cast<std::uint8_t>(number >> 48); }
  std::uint64_t instance() const { return number & 0xffffffffffffULL; }
  std::string to_string() const;
  // "1.2.17" -> id; nullopt when the text is not three dot-separated numbers in range.
  static std::optional<object_id_type> parse(std::string_view text);

  friend auto operator<=>(const object_id_type&, const object_id_type&) = default;
};

struct void_result {};
BTS_REFLECT_EMPTY(void_result)

// static_variant<void_result, object_id_type, asset, ...>: the first three alternatives are the
// only ones the implemented operations return.
using operation_result = protocol::static_variant<void_result, object_id_type, protocol::asset>;

// A transaction as applied: the signed transaction plus one result per operation.
struct processed_transaction : protocol::signed_transaction {
  std::vector<operation_result> operation_results;

  // sha256(pack(*this)): the leaf of the block's merkle tree.
  digest_type merkle_digest() const;
};

struct block_header {
  block_id_type previous{};
  time_point_sec timestamp;
  witness_id_type witness;
  checksum_type transaction_merkle_root{};
  protocol::extensions_type extensions;

  static std::uint32_t num_from_id(const block_id_type& id);
  std::uint32_t block_num() const { return num_from_id(previous) + 1; }
  // sha256(pack(block_header)): what the witness signs.
  digest_type digest() const;
};

struct signed_block_header : block_header {
  signature_type witness_signature{};

  // sha224(pack(*this)) truncated to 20 bytes, bytes 0..3 = block_num() big-endian.
  block_id_type id() const;
  void sign(const crypto::private_key& signer);
  // The key that signed the header, if the signature is canonical and recovers.
  std::optional<public_key_type> signee() const;
};

struct signed_block : signed_block_header {
  std::vector<processed_transaction> transactions;

  checksum_type calculate_merkle_root() const;
};

// Serialized sizes (fc::raw::pack_size).
std::size_t packed_size(const processed_transaction& trx);
std::size_t packed_size(const signed_block& block);
// pack_size(signed_block) with no transactions plus the few bytes a transaction count can take:
// the space bitshares-core reserves for the header when it fills a block.
std::size_t max_block_header_size(witness_id_type witness);

}  // namespace bts::chain

namespace bts::protocol {

template <>
struct raw<chain::object_id_type> {
  static void write(writer& w, const chain::object_id_type& id) { pack(w, id.number); }
  static void read(reader& r, chain::object_id_type& id) { unpack(r, id.number); }
};
template <>
struct json_codec<chain::object_id_type> {
  static boost::json::value to(const chain::object_id_type& id, const json_write_options&) {
    return boost::json::string(id.to_string());
  }
  static void from(const boost::json::value& json, chain::object_id_type& id,
                   const json_read_options&);
};

}  // namespace bts::protocol

namespace bts::chain {

inline constexpr auto bts_reflect(protocol::reflect_tag<processed_transaction>) {
  using T = processed_transaction;
  using protocol::field;
  return std::make_tuple(field<&T::ref_block_num>{"ref_block_num"},
                         field<&T::ref_block_prefix>{"ref_block_prefix"},
                         field<&T::expiration>{"expiration"}, field<&T::operations>{"operations"},
                         field<&T::extensions>{"extensions"}, field<&T::signatures>{"signatures"},
                         field<&T::operation_results>{"operation_results"});
}
BTS_REFLECT(block_header, (previous)(timestamp)(witness)(transaction_merkle_root)(extensions))
inline constexpr auto bts_reflect(protocol::reflect_tag<signed_block_header>) {
  using T = signed_block_header;
  using protocol::field;
  return std::make_tuple(
      field<&T::previous>{"previous"}, field<&T::timestamp>{"timestamp"},
      field<&T::witness>{"witness"}, field<&T::transaction_merkle_root>{"transaction_merkle_root"},
      field<&T::extensions>{"extensions"}, field<&T::witness_signature>{"witness_signature"});
}
inline constexpr auto bts_reflect(protocol::reflect_tag<signed_block>) {
  using T = signed_block;
  using protocol::field;
  return std::make_tuple(
      field<&T::previous>{"previous"}, field<&T::timestamp>{"timestamp"},
      field<&T::witness>{"witness"}, field<&T::transaction_merkle_root>{"transaction_merkle_root"},
      field<&T::extensions>{"extensions"}, field<&T::witness_signature>{"witness_signature"},
      field<&T::transactions>{"transactions"});
}

}  // namespace bts::chain
