// Reading get_block answers: the block record (number, time, witness, counts, packed size as
// bitshares-core counts it), transaction ids for inclusion matching, new limit order ids, and
// blocks holding operations this build cannot decode.
#include "beacon/block_reader.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "chain/block.hpp"
#include "protocol/transaction.hpp"
#include "util/hex.hpp"

namespace bts::beacon {
namespace {

namespace json = boost::json;

protocol::signed_transaction sample_tx(std::uint32_t seed, bool order) {
  const auto key = crypto::private_key::from_seed("block-reader-" + std::to_string(seed));
  protocol::signed_transaction tx;
  if (order) {
    protocol::limit_order_create_operation op;
    op.seller.instance = 100 + seed;
    op.amount_to_sell = {1000 + seed, protocol::asset_id_type{0}};
    op.min_to_receive = {500, protocol::asset_id_type{1}};
    tx.operations.push_back(op);
  }
  protocol::transfer_operation t;
  t.from.instance = 100 + seed;
  t.to.instance = 200;
  t.amount = {seed + 1, protocol::asset_id_type{0}};
  t.fee = {20, protocol::asset_id_type{0}};
  tx.operations.push_back(t);
  tx.ref_block_num = 7;
  tx.ref_block_prefix = 12345;
  tx.set_expiration(protocol::time_point_sec{1714564900});
  tx.sign(key, protocol::chain_id_type{});
  return tx;
}

chain::signed_block sample_block() {
  chain::signed_block b;
  b.previous[3] = 41;
  b.timestamp = protocol::time_point_sec{1714564803};
  b.witness.instance = 5;
  for (std::uint32_t i = 0; i < 3; ++i) {
    chain::processed_transaction p;
    static_cast<protocol::signed_transaction&>(p) = sample_tx(i, i == 1);
    if (i == 1) p.operation_results.emplace_back(chain::object_id_type::make(1, 7, 4242));
    p.operation_results.emplace_back(chain::void_result{});
    b.transactions.push_back(std::move(p));
  }
  b.transaction_merkle_root = b.calculate_merkle_root();
  return b;
}

TEST(block_reader, record_matches_the_packed_signed_block) {
  const chain::signed_block b = sample_block();
  const block_contents c = read_block(protocol::to_json(b).as_object(), 42);
  EXPECT_EQ(c.record.block_num, 42);
  EXPECT_EQ(c.record.time_ms, 1714564803000);
  EXPECT_EQ(c.record.witness, "1.6.5");
  EXPECT_EQ(c.record.transactions, 3);
  EXPECT_EQ(c.record.operations, 4);
  EXPECT_EQ(c.record.bytes, static_cast<std::int64_t>(chain::packed_size(b)));
  EXPECT_EQ(c.record.run_transactions, 0);
  EXPECT_FALSE(c.size_estimated);
  EXPECT_EQ(c.undecodable, 0u);
  ASSERT_EQ(c.transactions.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(c.transactions[i].id_known);
    EXPECT_EQ(c.transactions[i].id, b.transactions[i].id()) << i;
  }
  ASSERT_EQ(c.transactions[1].orders_created.size(), 1u);
  EXPECT_EQ(c.transactions[1].orders_created[0].first, 0u);
  EXPECT_EQ(c.transactions[1].orders_created[0].second.instance, 4242u);
  EXPECT_TRUE(c.transactions[0].orders_created.empty());
}

TEST(block_reader, empty_block_is_the_header_and_a_zero_count) {
  chain::signed_block b;
  b.timestamp = protocol::time_point_sec{1714564806};
  b.witness.instance = 200;  // a two-byte varint
  const block_contents c = read_block(protocol::to_json(b).as_object(), 43);
  EXPECT_EQ(c.record.transactions, 0);
  EXPECT_EQ(c.record.bytes, static_cast<std::int64_t>(chain::packed_size(b)));
  EXPECT_FALSE(c.size_estimated);
}

// An operation this build does not know (tag 99) in someone else's transaction: the record is
// still written, the size estimated, and the id taken from transaction_ids when the node sends
// them. A transaction without operation_results is sized from its signed form.
TEST(block_reader, undecodable_transactions_are_estimated_not_fatal) {
  const chain::signed_block b = sample_block();
  json::object o = protocol::to_json(b).as_object();
  auto& txs = o["transactions"].as_array();
  txs[0].as_object()["operations"].as_array()[0].as_array()[0] = 99;
  txs[2].as_object().erase("operation_results");
  json::array ids;
  for (const auto& t : b.transactions) ids.emplace_back(to_hex(t.id()));
  o["transaction_ids"] = ids;
  const block_contents c = read_block(o, 42);
  EXPECT_TRUE(c.size_estimated);
  EXPECT_EQ(c.undecodable, 2u);
  EXPECT_EQ(c.record.transactions, 3);
  EXPECT_EQ(c.record.operations, 4);
  EXPECT_EQ(c.transactions[0].id, b.transactions[0].id());  // from transaction_ids
  EXPECT_EQ(c.transactions[2].id, b.transactions[2].id());  // decoded as a signed transaction
  // The transaction without results is sized exactly (one void result byte per operation).
  const auto exact = static_cast<std::int64_t>(chain::packed_size(b));
  EXPECT_GT(c.record.bytes, exact / 2);
  EXPECT_LT(c.record.bytes, exact * 2);

  o.erase("transaction_ids");
  const block_contents without_ids = read_block(o, 42);
  EXPECT_FALSE(without_ids.transactions[0].id_known);
  EXPECT_TRUE(without_ids.transactions[1].id_known);
}

TEST(block_reader, malformed_answers_give_zeros_not_exceptions) {
  const block_contents c = read_block(
      json::parse(R"({"timestamp":"yesterday","witness":7,"transactions":{}})").as_object(), 9);
  EXPECT_EQ(c.record.block_num, 9);
  EXPECT_EQ(c.record.time_ms, 0);
  EXPECT_EQ(c.record.witness, "");
  EXPECT_EQ(c.record.transactions, 0);
  EXPECT_GT(c.record.bytes, 0);  // the header's size
}

}  // namespace
}  // namespace bts::beacon
