// The order book: matching at the maker's price, partial fills, fill_or_kill, cancel, expiry.
#include <gtest/gtest.h>

#include "chain/chain_fixture.hpp"

namespace bts::chain::testing {
namespace {

struct MarketTest : ::testing::Test {
  MarketTest() {
    f.produce_block();
    alice = f.create_account("alice", alice_key.get_public_key());
    f.push(f.signed_tx({chain_fixture::transfer(nathan, alice, 1000000000)}));
    protocol::asset_create_operation op;
    op.issuer = nathan;
    op.symbol = "DEV";
    op.precision = 3;
    op.common_options.core_exchange_rate = {{1, core}, {1, asset_id_type{1}}};
    op.fee = {f.db->parameters().current_fees.calculate_fee(op), core};
    dev = asset_id_type{
        f.push(f.signed_tx({op})).operation_results[0].get_if<object_id_type>()->instance()};
    protocol::asset_issue_operation issue;
    issue.issuer = nathan;
    issue.asset_to_issue = {100000, dev};
    issue.issue_to_account = alice;
    issue.fee = {f.db->parameters().current_fees.calculate_fee(issue), core};
    f.push(f.signed_tx({issue}));
    f.produce_block();
  }

  protocol::limit_order_create_operation order(account_id_type seller, asset sell, asset receive,
                                               bool fill_or_kill = false) {
    protocol::limit_order_create_operation op;
    op.fee = {500000, core};
    op.seller = seller;
    op.amount_to_sell = sell;
    op.min_to_receive = receive;
    op.fill_or_kill = fill_or_kill;
    return op;
  }
  limit_order_id_type place(const protocol::limit_order_create_operation& op,
                            const crypto::private_key& key) {
    const auto r = f.push(f.signed_tx({op}, {key}, 60 + counter++));
    return limit_order_id_type{r.operation_results[0].get_if<object_id_type>()->instance()};
  }

  chain_fixture f;
  crypto::private_key alice_key = crypto::private_key::from_seed("alice");
  account_id_type alice;
  asset_id_type dev;
  std::uint32_t counter = 0;
};

TEST_F(MarketTest, TakerIsFilledAtTheMakersPrice) {
  const auto nathan_bts = f.balance(nathan);
  // Maker: nathan sells 1 BTS for 1 DEV (100 BTS-satoshi per DEV-satoshi).
  const auto maker = place(order(nathan, {100000, core}, {1000, dev}), f.dev_key);
  EXPECT_EQ(maker.instance, 0u);
  EXPECT_EQ(f.balance(nathan), nathan_bts - 100000 - 500000);
  EXPECT_EQ(f.db->account_statistics(nathan).total_core_in_orders, 100000);

  // Taker: alice sells 0.5 DEV asking only 0.4 BTS; she gets the maker's price, 0.5 BTS.
  const auto alice_bts = f.balance(alice);
  const auto taker = place(order(alice, {500, dev}, {40000, core}), alice_key);
  EXPECT_EQ(f.db->find_limit_order(taker), nullptr);  // filled
  EXPECT_EQ(f.balance(alice), alice_bts + 50000 - 500000);
  EXPECT_EQ(f.balance(alice, dev), 100000 - 500);
  EXPECT_EQ(f.balance(nathan, dev), 500);
  const auto* rest = f.db->find_limit_order(maker);
  ASSERT_NE(rest, nullptr);
  EXPECT_EQ(rest->for_sale, 50000);
  EXPECT_EQ(rest->deferred_fee, 0);  // paid on the first fill
  EXPECT_EQ(f.db->account_statistics(nathan).total_core_in_orders, 50000);

  // Cancelling refunds what is left for sale.
  protocol::limit_order_cancel_operation cancel;
  cancel.fee_paying_account = nathan;
  cancel.order = maker;
  const auto before = f.balance(nathan);
  const auto r = f.push(f.signed_tx({cancel}));
  const auto* refunded = r.operation_results[0].get_if<protocol::asset>();
  ASSERT_NE(refunded, nullptr);
  EXPECT_EQ(refunded->amount, 50000);
  EXPECT_EQ(f.balance(nathan), before + 50000);
  EXPECT_EQ(f.db->find_limit_order(maker), nullptr);
  EXPECT_EQ(f.push_error(f.signed_tx({cancel}, {f.dev_key}, 90)).rpc_message(),
            "Execution error: Order does not exist: Limit order 1.7.0 does not exist");
}

TEST_F(MarketTest, BestPriceFirstAndPartialTakerRests) {
  const auto cheap = place(order(nathan, {100000, core}, {1000, dev}), f.dev_key);   // 100 per DEV
  const auto better = place(order(nathan, {120000, core}, {1000, dev}), f.dev_key);  // 120 per DEV
  const auto book = f.db->limit_orders(core, dev, 10);
  ASSERT_EQ(book.size(), 2u);
  EXPECT_EQ(book[0]->id, better);
  EXPECT_EQ(book[1]->id, cheap);
  // alice sells 1500 DEV-satoshi at >= 110 BTS each: only the 120 order qualifies.
  const auto taker = place(order(alice, {1500, dev}, {165000, core}), alice_key);
  EXPECT_EQ(f.db->find_limit_order(better), nullptr);
  ASSERT_NE(f.db->find_limit_order(cheap), nullptr);
  const auto* rest = f.db->find_limit_order(taker);
  ASSERT_NE(rest, nullptr);
  EXPECT_EQ(rest->for_sale, 500);
  EXPECT_EQ(f.balance(nathan, dev), 1000);
}

TEST_F(MarketTest, FillOrKillThatCannotFillIsRejectedWithoutTrace) {
  place(order(nathan, {100000, core}, {1000, dev}), f.dev_key);
  const auto before = f.balance(alice, dev);
  const auto e =
      f.push_error(f.signed_tx({order(alice, {500, dev}, {60000, core}, true)}, {alice_key}));
  EXPECT_EQ(e.code(), 3050101);
  EXPECT_EQ(e.name(), "limit_order_create_kill_unfilled");
  EXPECT_EQ(
      e.rpc_message().rfind(
          "Execution error: Killing limit order due to unable to fill: Killing limit order {", 0),
      0u)
      << e.rpc_message();
  EXPECT_EQ(f.balance(alice, dev), before);
  EXPECT_EQ(f.db->limit_order_count(), 1u);
}

TEST_F(MarketTest, InsufficientBalanceAndCancelRefundsDeferredFee) {
  const auto e = f.push_error(f.signed_tx({order(alice, {100001, dev}, {1, core})}, {alice_key}));
  EXPECT_EQ(e.code(), 3050106);
  EXPECT_EQ(e.rpc_message(), "Execution error: Insufficient balance: insufficient balance");
  const auto before = f.balance(nathan);
  const auto id = place(order(nathan, {100000, core}, {1000000, dev}), f.dev_key);
  EXPECT_EQ(f.balance(nathan), before - 100000 - 500000);
  protocol::limit_order_cancel_operation cancel;
  cancel.fee_paying_account = nathan;
  cancel.order = id;
  f.push(f.signed_tx({cancel}));
  EXPECT_EQ(f.balance(nathan), before);  // unfilled: the deferred creation fee comes back too
  cancel.fee_paying_account = alice;
  const auto other = place(order(nathan, {100000, core}, {1000000, dev}), f.dev_key);
  cancel.order = other;
  EXPECT_EQ(f.push_error(f.signed_tx({cancel}, {alice_key})).code(), 3050202);
}

TEST_F(MarketTest, ExpiredOrdersAreCancelledByTheBlock) {
  auto op = order(nathan, {100000, core}, {1000000, dev});
  op.expiration = time_point_sec{f.db->head_block_time().sec_since_epoch + 3};
  const auto before = f.balance(nathan);
  const auto id = place(op, f.dev_key);
  f.produce_blocks(5);
  EXPECT_EQ(f.db->find_limit_order(id), nullptr);
  EXPECT_EQ(f.balance(nathan), before);
  op.expiration = time_point_sec{f.db->head_block_time().sec_since_epoch - 1};
  EXPECT_EQ(f.push_error(f.signed_tx({op}, {f.dev_key}, 77)).rpc_message(),
            "Execution error: Assert Exception: op.expiration >= d.head_block_time(): ");
}

TEST_F(MarketTest, TinyRemainderIsCulled) {
  // Maker: nathan sells 3 BTS-satoshi for 2 DEV-satoshi (1.5 BTS each). Taker: alice sells 3
  // DEV-satoshi asking at least 2 BTS-satoshi. The maker is filled whole at its price: alice pays
  // 2 DEV and receives 3 BTS. Her remaining 1 DEV-satoshi would buy 1 * 2/3 = 0 BTS-satoshi at
  // her own price, so bitshares-core's maybe_cull_small_order (db_market.cpp, apply_order)
  // cancels it and refunds it instead of leaving it on the book.
  place(order(nathan, {3, core}, {2, dev}), f.dev_key);
  const auto alice_bts = f.balance(alice);
  const auto alice_dev = f.balance(alice, dev);
  const auto taker = place(order(alice, {3, dev}, {2, core}), alice_key);
  EXPECT_EQ(f.db->find_limit_order(taker), nullptr)
      << "the 1-satoshi remainder was left on the book";
  EXPECT_EQ(f.db->limit_order_count(), 0u);
  EXPECT_EQ(f.balance(alice, dev), alice_dev - 2);  // the remainder came back
  EXPECT_EQ(f.balance(alice), alice_bts - 500000 + 3);
  EXPECT_EQ(f.balance(nathan, dev), 2);
  EXPECT_EQ(f.db->account_statistics(nathan).total_core_in_orders, 0);
}

TEST_F(MarketTest, RemainderThatCanStillBuyRests) {
  // The same trade with 4 DEV for at least 2 BTS: 2 DEV left would buy 2 * 2/4 = 1 BTS-satoshi
  // at the taker's price, so the remainder rests on the book (culling is only for nothing).
  place(order(nathan, {3, core}, {2, dev}), f.dev_key);
  const auto taker = place(order(alice, {4, dev}, {2, core}), alice_key);
  const auto* rest = f.db->find_limit_order(taker);
  ASSERT_NE(rest, nullptr);
  EXPECT_EQ(rest->for_sale, 2);
}

}  // namespace
}  // namespace bts::chain::testing
