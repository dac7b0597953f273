// The transaction factory without sockets: valid, unique, correctly fee'd, reproducible
// transactions. (Scenario parsing is tested in tests/scenario/.)
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <set>

#include "beacon/chain_context.hpp"
#include "beacon/factory.hpp"
#include "beacon/presign_pool.hpp"
#include "scenario/scenario.hpp"
#include "support/manual_clock.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"

namespace bts::beacon {
namespace {

using namespace scenarios;

namespace json = boost::json;

constexpr const char* gp_json = R"({"id":"2.0.0","parameters":{"current_fees":{"parameters":[
  [0,{"fee":2000000,"price_per_kbyte":1000000}],[1,{"fee":500000}],[2,{"fee":0}],
  [5,{"basic_fee":500000,"premium_fee":200000000,"price_per_kbyte":100000}],
  [14,{"fee":2000000,"price_per_kbyte":100000}]],"scale":10000},
  "block_interval":3,"maximum_transaction_size":2048,"maximum_time_until_expiration":86400}})";

constexpr const char* dgp_json = R"({"id":"2.1.0","head_block_number":1000,
  "head_block_id":"000003e8aabbccdd00112233445566778899aabb","time":"2024-01-01T00:00:00",
  "last_irreversible_block_num":990})";

std::shared_ptr<std::vector<account>> make_accounts(int n) {
  auto out = std::make_shared<std::vector<account>>();
  for (int i = 0; i < n; ++i) {
    auto key = crypto::private_key::from_seed("beacon-test-" + std::to_string(i));
    out->push_back({"acct" + std::to_string(i), protocol::account_id_type{100u + i}, key,
                    key.get_public_key(), key.get_public_key()});
  }
  return out;
}

struct fixture : ::testing::Test {
  reference_block_cell head;
  open_orders orders;
  id_registry ids;
  factory_config config;

  void SetUp() override {
    head.set(parse_dynamic_global_properties(json::parse(dgp_json)), 0);
    config.parameters = parse_global_properties(json::parse(gp_json));
    config.chain_id = protocol::chain_id_from_hex(std::string(64, 'a'));
    config.accounts = make_accounts(4);
    config.order_asset = protocol::asset_id_type{1};
  }
};

TEST_F(fixture, parses_fee_schedule_and_head) {
  EXPECT_EQ(config.parameters.fees.parameter(0, "fee"), 2000000u);
  EXPECT_EQ(config.parameters.fees.parameter(0, "price_per_kbyte"), 1000000u);
  EXPECT_EQ(config.parameters.fees.parameter(1, "fee"), 500000u);
  EXPECT_EQ(config.parameters.fees.parameter(5, "premium_fee"), 200000000u);
  const head_info h = head.get();
  EXPECT_EQ(h.head_block_number, 1000u);
  EXPECT_EQ(h.head_time, 1704067200u);
}

TEST_F(fixture, transfers_are_valid_signed_and_fee_correct) {
  tx_factory f(config, head, orders, ids);
  for (std::uint64_t k = 0; k < 20; ++k) {
    const prepared_tx t = f.make(k, 0);
    const protocol::signed_transaction tx = protocol::transaction_from_json(json::parse(t.json));
    ASSERT_EQ(tx.operations.size(), 1u);
    const auto* op = tx.operations[0].get_if<protocol::transfer_operation>();
    ASSERT_NE(op, nullptr);
    EXPECT_EQ(op->fee.amount, 2000000);
    EXPECT_NE(op->from, op->to);
    EXPECT_EQ(tx.id(), t.id);
    EXPECT_EQ(tx.ref_block_num, 1000 & 0xffff);
    EXPECT_EQ(tx.expiration.sec_since_epoch, 1704067200u + 120);
    // Signed by the payer.
    const auto keys = tx.get_signature_keys(config.chain_id);
    ASSERT_EQ(keys.size(), 1u);
    bool found = false;
    for (const auto& a : *config.accounts) found |= (a.id == op->from && a.public_key == keys[0]);
    EXPECT_TRUE(found);
    EXPECT_EQ(t.bytes, tx.pack().size());
  }
}

TEST_F(fixture, memo_fee_includes_data_fee) {
  config.mix = {0, 1, 0, 0};
  tx_factory f(config, head, orders, ids);
  const prepared_tx t = f.make(7, 0);
  const auto tx = protocol::transaction_from_json(json::parse(t.json));
  const auto* op = tx.operations[0].get_if<protocol::transfer_operation>();
  ASSERT_TRUE(op && op->memo);
  // optional<memo_data>: the presence byte counts, as in bitshares-core.
  const auto memo_size = protocol::pack_to_bytes(*op->memo).size() + 1;
  EXPECT_EQ(op->fee.amount, 2000000 + static_cast<std::int64_t>(memo_size * 1000000 / 1024));
}

TEST_F(fixture, identical_content_gets_distinct_ids) {
  // A fixed amount between two accounts: every transaction draws the same operation, so only the
  // collision retry keeps ids apart.
  config.accounts = make_accounts(2);
  config.amount = {int_distribution::kind::fixed, 5, 5};
  tx_factory f(config, head, orders, ids);
  std::set<protocol::transaction_id_type> seen;
  for (std::uint64_t k = 0; k < 200; ++k) EXPECT_TRUE(seen.insert(f.make(k, 0).id).second);
  EXPECT_GT(ids.collisions(), 0u);
}

TEST_F(fixture, reproducible_from_seed_and_name) {
  config.mix = {1, 0, 1, 0};
  config.ops = {ops_per_tx::kind::uniform, 1, 1, 5, {}};
  id_registry ids2;
  tx_factory a(config, head, orders, ids);
  tx_factory b(config, head, orders, ids2);
  for (std::uint64_t k = 0; k < 10; ++k) EXPECT_EQ(a.make(k, 0).id, b.make(k, 0).id);
  config.beacon_name = "other";
  id_registry ids3;
  tx_factory c(config, head, orders, ids3);
  EXPECT_NE(a.make(100, 0).id, c.make(100, 0).id);
}

TEST_F(fixture, orders_and_cancels_of_own_orders) {
  config.mix = {0, 0, 0, 1};
  tx_factory f(config, head, orders, ids);
  // No open order: a transfer instead, counted.
  auto t = f.make(0, 0);
  EXPECT_NE(protocol::transaction_from_json(json::parse(t.json))
                .operations[0]
                .get_if<protocol::transfer_operation>(),
            nullptr);
  EXPECT_EQ(f.counters().cancel_fallbacks, 1u);
  orders.add(2, protocol::limit_order_id_type{77});
  t = f.make(1, 0);
  const auto tx = protocol::transaction_from_json(json::parse(t.json));
  const auto* cancel = tx.operations[0].get_if<protocol::limit_order_cancel_operation>();
  ASSERT_NE(cancel, nullptr);
  EXPECT_EQ(cancel->order.instance, 77u);
  EXPECT_EQ(cancel->fee_paying_account, (*config.accounts)[2].id);
  EXPECT_EQ(orders.size(), 0u);

  config.mix = {0, 0, 1, 0};
  tx_factory g(config, head, orders, ids);
  t = g.make(2, 0);
  const auto tx2 = protocol::transaction_from_json(json::parse(t.json));
  const auto* create = tx2.operations[0].get_if<protocol::limit_order_create_operation>();
  ASSERT_NE(create, nullptr);
  EXPECT_EQ(create->fee.amount, 500000);
  EXPECT_EQ(create->min_to_receive.asset_id.instance, 1u);
  ASSERT_EQ(t.order_creates.size(), 1u);
}

TEST_F(fixture, many_ops_are_cut_to_the_size_limit) {
  config.ops = {ops_per_tx::kind::fixed, 200, 1, 1, {}};
  tx_factory f(config, head, orders, ids);
  const auto t = f.make(0, 0);
  // The limit is on the bytes without signatures, as witness_node checks it; t.bytes (what the
  // block carries) includes them.
  const auto tx = protocol::transaction_from_json(boost::json::parse(t.json));
  EXPECT_LE(tx.pack_unsigned().size(), 2048u);
  EXPECT_GT(tx.pack_unsigned().size(), 2048u - 250);
  EXPECT_EQ(tx.pack().size(), t.bytes);
  EXPECT_GT(t.ops, 10u);
  EXPECT_LT(t.ops, 200u);
}

TEST_F(fixture, pool_fills_and_discards_expired) {
  test::manual_clock clock;
  head.set(head.get(), clock.now().time_since_epoch().count());
  tx_factory f(config, head, orders, ids);
  presign_pool pool(f, {.depth = 50, .threads = 2, .min_remaining_seconds = 15, .limit = 0}, clock);
  pool.start();
  pool.wait_filled(50);
  EXPECT_EQ(pool.depth(), 50u);
  auto t = pool.try_pop(1704067200u);
  ASSERT_TRUE(t.has_value());
  // 120 s expiration: at head + 110 s fewer than 15 s remain, everything is discarded.
  pool.stop();
  const auto before = pool.depth();
  EXPECT_FALSE(pool.try_pop(1704067200u + 110).has_value());
  EXPECT_EQ(pool.expired(), before);
}

TEST(accounts, parse_and_never_echo_keys) {
  const auto key = crypto::private_key::from_seed("x");
  const auto list = parse_accounts(
      "# comment\nalice " + key.to_wif() + "\n\nbob " + key.to_wif() + "\n", "a.txt");
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1].name, "bob");
  try {
    parse_accounts("alice 5Kxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", "a.txt");
    FAIL();
  } catch (const input_error& e) {
    EXPECT_EQ(std::string(e.what()).find("5Kxxx"), std::string::npos);
    EXPECT_EQ(e.where(), "a.txt:1");
  }
  EXPECT_EQ(parse_accounts(format_accounts(list), "f").size(), 2u);
}

}  // namespace
}  // namespace bts::beacon
