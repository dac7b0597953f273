// Block production: slots, ids, merkle roots, signatures, LIB, size limits, followers.
#include <gtest/gtest.h>

#include "chain/chain_fixture.hpp"
#include "crypto/hash.hpp"
#include "crypto/signature.hpp"
#include "util/hex.hpp"

namespace bts::chain::testing {
namespace {

TEST(Blocks, SlotsIdsAndSignatures) {
  chain_fixture f({}, /*claim_genesis_balance=*/false);  // an empty block 1
  const auto genesis_time = f.db->head_block_time();
  EXPECT_EQ(f.db->get_slot_time(1).sec_since_epoch, genesis_time.sec_since_epoch + 1);
  const auto b1 = f.produce_block();
  EXPECT_EQ(b1->block.block_num(), 1u);
  EXPECT_EQ(b1->block.timestamp.sec_since_epoch, genesis_time.sec_since_epoch + 1);
  EXPECT_EQ(f.db->head_block_num(), 1u);
  EXPECT_EQ(b1->id, b1->block.id());
  EXPECT_EQ(block_header::num_from_id(b1->id), 1u);
  EXPECT_EQ(b1->block.transaction_merkle_root, checksum_type{});
  ASSERT_TRUE(b1->block.signee().has_value());
  EXPECT_EQ(*b1->block.signee(), f.dev_key.get_public_key());
  // The id is sha224 of the packed signed header with the number in the first 4 bytes.
  const auto packed = protocol::pack_to_bytes(static_cast<const signed_block_header&>(b1->block));
  EXPECT_EQ(packed.size(), 20u + 4 + 1 + 20 + 1 + 65);
  const auto h = crypto::sha224(packed);
  EXPECT_TRUE(std::equal(h.begin() + 4, h.begin() + 20, b1->id.begin() + 4));
  // Block 1 is a maintenance block: the next slot comes maintenance_skip_slots later.
  EXPECT_TRUE(f.db->dynamic_global_properties().dynamic_flags & 1);
  EXPECT_EQ(f.db->get_slot_time(1).sec_since_epoch, genesis_time.sec_since_epoch + 1 + 4);
  const auto b2 = f.produce_block();
  EXPECT_EQ(b2->block.previous, b1->id);
  EXPECT_EQ(block_header::num_from_id(b2->id), 2u);
  // Maintenance skip slots are not missed slots.
  EXPECT_EQ(f.db->dynamic_global_properties().current_aslot, 2u);
  EXPECT_EQ(f.db->fetch_block_by_number(1)->id, b1->id);
  EXPECT_EQ(f.db->fetch_block_by_number(3), nullptr);
}

TEST(Blocks, MissedSlotsShowInRecentSlotsFilled) {
  chain_fixture f;
  f.produce_blocks(3);
  f.produce_block(2);  // two slots skipped
  const auto& d = f.db->dynamic_global_properties();
  EXPECT_EQ(static_cast<std::uint64_t>(d.recent_slots_filled.value & 0xff), 0b11111100u);
  EXPECT_EQ(d.recently_missed_count, 8u);
}

TEST(Blocks, MerkleRootOfTransactions) {
  chain_fixture f;
  f.produce_block();
  for (int i = 0; i < 3; ++i) {
    f.push(f.signed_tx({chain_fixture::transfer(nathan, account_id_type{6}, 100 + i)}));
  }
  const auto b = f.produce_block();
  ASSERT_EQ(b->block.transactions.size(), 3u);
  const auto d0 = crypto::sha256(protocol::pack_to_bytes(b->block.transactions[0]));
  const auto d1 = crypto::sha256(protocol::pack_to_bytes(b->block.transactions[1]));
  const auto d2 = crypto::sha256(protocol::pack_to_bytes(b->block.transactions[2]));
  std::vector<std::uint8_t> pair(d0.begin(), d0.end());
  pair.insert(pair.end(), d1.begin(), d1.end());
  const auto h01 = crypto::sha256(pair);
  pair.assign(h01.begin(), h01.end());
  pair.insert(pair.end(), d2.begin(), d2.end());
  const auto root = crypto::sha256(pair);
  EXPECT_EQ(b->block.transaction_merkle_root, crypto::ripemd160(root));
  // processed_transaction packs its operation results after the signatures.
  const auto& ptx = b->block.transactions[0];
  EXPECT_EQ(protocol::pack_to_bytes(ptx).size(), ptx.pack().size() + 2);  // count + void_result tag
  const auto json = protocol::to_json(b->block);
  std::vector<std::string> keys;
  for (const auto& kv : json.as_object()) keys.emplace_back(kv.key());
  const std::vector<std::string> expected = {
      "previous",   "timestamp",         "witness",     "transaction_merkle_root",
      "extensions", "witness_signature", "transactions"};
  EXPECT_EQ(keys, expected);
  EXPECT_EQ(boost::json::serialize(json.at("transactions").at(0).at("operation_results")),
            "[[0,{}]]");
}

TEST(Blocks, LastIrreversibleBlockTrailsTheHeadByTwoThirdsOfWitnesses) {
  chain_fixture f;
  f.produce_blocks(60);
  const auto& d = f.db->dynamic_global_properties();
  EXPECT_EQ(d.head_block_number, 60u);
  EXPECT_GE(d.last_irreversible_block_num, 50u);
  EXPECT_LE(d.last_irreversible_block_num, 53u);
}

TEST(Blocks, BacklogLargerThanABlockSpillsIntoFollowingBlocks) {
  builtin_genesis_options options;
  options.maximum_block_size = 6000;
  chain_fixture f(options);
  f.produce_block();
  std::vector<transaction_id_type> ids;
  for (int i = 0; i < 200; ++i) {
    auto tx = f.signed_tx({chain_fixture::transfer(nathan, account_id_type{6}, 1 + i)}, {f.dev_key},
                          3600);
    ids.push_back(tx.id());
    f.push(tx);
  }
  std::vector<transaction_id_type> included;
  int blocks = 0;
  while (!f.db->pending().empty() && blocks < 10) {
    const auto b = f.produce_block();
    ++blocks;
    EXPECT_LE(b->packed_size, 6000u);
    EXPECT_EQ(b->packed_size, protocol::pack_to_bytes(b->block).size());
    EXPECT_GT(b->block.transactions.size(), 0u);
    for (const auto& t : b->block.transactions) included.push_back(t.id());
  }
  EXPECT_GE(blocks, 3);
  EXPECT_EQ(included, ids);  // all of them, in arrival order
}

TEST(Blocks, ExpirationIsJudgedAgainstTheHeadBlockTime) {
  chain_fixture producer;
  chain_fixture follower;
  follower.db->push_block(producer.produce_block());
  // Expiring 2 s after the head: the producer's next block, 10 slots later, still takes it,
  // because bitshares-core checks against the previous head block's time.
  producer.push(producer.signed_tx({chain_fixture::transfer(nathan, account_id_type{6}, 5)},
                                   {producer.dev_key}, 2));
  follower.push(follower.signed_tx({chain_fixture::transfer(nathan, account_id_type{6}, 6)},
                                   {follower.dev_key}, 2));
  const auto b = producer.produce_block(10);
  EXPECT_EQ(b->block.transactions.size(), 1u);
  // The follower's own pending transaction has expired by the new head: it is dropped.
  follower.db->push_block(b);
  EXPECT_TRUE(follower.db->pending().empty());
}

TEST(Blocks, FollowerAppliesTheProducersBlocksAndKeepsItsOwnPending) {
  chain_fixture producer;
  chain_fixture follower;
  follower.db->on_applied_block = nullptr;
  for (int i = 0; i < 3; ++i) follower.db->push_block(producer.produce_block());
  // A transaction only the follower knows stays pending there across the producer's blocks.
  const auto tx = follower.signed_tx({chain_fixture::transfer(nathan, account_id_type{6}, 42)});
  follower.push(tx);
  producer.push(producer.signed_tx({chain_fixture::transfer(nathan, account_id_type{7}, 43)}));
  block_changes seen;
  follower.db->on_applied_block = [&](const auto&, const block_changes& c) { seen = c; };
  const auto b = producer.produce_block();
  follower.db->push_block(b);
  EXPECT_EQ(follower.db->head_block_id(), producer.db->head_block_id());
  EXPECT_EQ(follower.balance(account_id_type{7}), 43);
  EXPECT_EQ(follower.db->pending().size(), 1u);
  EXPECT_EQ(follower.balance(account_id_type{6}), 42);  // visible in the follower's pending state
  EXPECT_EQ(producer.balance(account_id_type{6}), 0);
  EXPECT_TRUE(seen.changed.contains(object_id_type::make(2, 1, 0)));
  // Now the producer learns it (as if propagated) and includes it; the follower drops its copy.
  producer.db->push_transaction(producer.db->precompute(tx));
  const auto b2 = producer.produce_block();
  follower.db->push_block(b2);
  EXPECT_TRUE(follower.db->pending().empty());
  EXPECT_EQ(follower.balance(account_id_type{6}), 42);
  // A block that does not link is refused.
  EXPECT_THROW(follower.db->push_block(b2), chain_error);
}

}  // namespace
}  // namespace bts::chain::testing
