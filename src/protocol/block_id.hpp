// What a block id says without its block: the block's number and the TaPoS prefix of a
// transaction that references it (bitshares-core block_header::num_from_id and
// transaction::set_reference_block). A block id is the block header's sha224 with its first four
// bytes replaced by the block number, big-endian.
//
// Usage: const std::uint32_t num = protocol::block_num_from_id(id);
//
// Threads: pure functions.
#pragma once

#include <cstdint>

#include "protocol/types.hpp"

namespace bts::protocol {

// Bytes 0..3, big-endian.
constexpr std::uint32_t block_num_from_id(const block_id_type& id) {
  return std::uint32_t{id[0]} << 24 | std::uint32_t{id[1]} << 16 | std::uint32_t{id[2]} << 8 |
         std::uint32_t{id[3]};
}

// Bytes 4..7, little-endian (block_id._hash[1] in bitshares-core): a transaction's
// ref_block_prefix, checked against the block summary its ref_block_num names.
constexpr std::uint32_t ref_block_prefix_from_id(const block_id_type& id) {
  return std::uint32_t{id[4]} | std::uint32_t{id[5]} << 8 | std::uint32_t{id[6]} << 16 |
         std::uint32_t{id[7]} << 24;
}

}  // namespace bts::protocol
