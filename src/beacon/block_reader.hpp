// What the beacon reads from a node's get_block answer: one block_record for the results
// (store/run_record.hpp) and, for every transaction, its id and the limit orders it created,
// for inclusion matching.
//
//   block_contents b = read_block(get_block_json, 1234);
//   for (const auto& t : b.transactions) recorder.on_included(t.id, at) ...
//   b.record.run_transactions = <ids that were ours>;
//
// Block size (`record.bytes`): the packed signed_block as fc::raw::pack_size counts it, the
// number bitshares-core compares with maximum_block_size: the signed header (previous,
// timestamp, witness, merkle root, extensions, witness_signature), a varint transaction count,
// and each processed_transaction (signed transaction plus operation_results). Each part is
// decoded from the JSON with the protocol library (chain/block.hpp types) and packed again.
// Parts this build cannot decode are estimated instead, and `size_estimated` says so: a
// transaction without (or with unknown) operation_results counts its packed signed size plus one
// byte per operation result (a void_result); one whose operations this build does not support
// counts half the length of its compact JSON (hex signatures and ids are twice their packed
// size, member names and punctuation make up much of the rest).
//
// Threads: pure functions.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "protocol/types.hpp"
#include "store/run_record.hpp"

namespace bts::beacon {

struct block_transaction {
  protocol::transaction_id_type id{};
  bool id_known = true;  // false: undecodable and the node sent no transaction_ids
  // (operation index, order id) for every operation result that is a limit order id (1.7.N).
  std::vector<std::pair<std::uint32_t, protocol::limit_order_id_type>> orders_created;
};

struct block_contents {
  store::block_record record;  // run_transactions and max_block_size left 0 for the caller
  // The block id (lower-case hex) computed from the decoded header as bitshares-core does
  // (get_block's answer carries none); empty when the header does not decode.
  std::string id;
  std::vector<block_transaction> transactions;
  std::uint32_t undecodable = 0;  // transactions whose size was estimated
  bool size_estimated = false;
};

// `block` is get_block's answer for block number `block_num` (the number it was asked for;
// the answer carries no number of its own). Never throws: missing or malformed members give
// zeros, empty strings and estimated sizes.
block_contents read_block(const boost::json::object& block, std::uint32_t block_num);

}  // namespace bts::beacon
