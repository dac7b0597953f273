// The fee budget's arithmetic (beacon/fee_budget.hpp) against bitshares-core's default fee
// schedule, values worked out by hand: transfer fee 20 BTS (2,000,000 units at precision 5),
// price_per_kbyte 10 BTS (1,000,000 units; transfer_operation::calculate_fee charges
// fc::raw::pack_size of the optional memo: 1 presence byte + 33 + 33 + 8 + 1 + 32 = 108 bytes,
// 108 * 1,000,000 / 1024 = 105,468 units), limit_order_create 5 BTS, limit_order_cancel 0.
#include <gtest/gtest.h>

#include <chrono>

#include "beacon/fee_budget.hpp"
#include "scenario/scenario.hpp"
#include "util/error.hpp"

namespace bts::beacon {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t bts = 100'000;  // units per BTS

scenarios::scenario transfers_at(double rate, std::chrono::seconds duration) {
  scenarios::scenario sc;
  sc.mix = {1, 0, 0, 0};
  sc.rate = load::rate_profile::constant(rate);
  sc.duration = duration;
  return sc;
}

TEST(FeeBudget, AmountTextGroupsThousandsAndCutsTrailingZeros) {
  EXPECT_EQ(amount_text(0, 5), "0");
  EXPECT_EQ(amount_text(100'000, 5), "1");
  EXPECT_EQ(amount_text(2'105'468, 5), "21.05468");
  EXPECT_EQ(amount_text(582'140'000'000, 5), "5,821,400");
  EXPECT_EQ(amount_text(123'456'789, 5), "1,234.56789");
  EXPECT_EQ(amount_text(150, 2), "1.5");
  EXPECT_EQ(amount_text(1'234'567, 0), "1,234,567");
  EXPECT_EQ(amount_text(-250'000, 5), "-2.5");
}

TEST(FeeBudget, ConstantRateTimesDurationTimesTransferFee) {
  const auto sc = transfers_at(500, 30s);
  const fee_budget b = compute_fee_budget(sc, {}, {"BTS", 5}, 1'990'000 * bts, 4);
  ASSERT_TRUE(b.transactions);
  EXPECT_EQ(*b.transactions, 15'000u);
  EXPECT_DOUBLE_EQ(b.per_transaction.fee, 2'000'000);
  EXPECT_EQ(b.needed_fees, 300'000 * bts);  // 15,000 x 20 BTS
  EXPECT_EQ(b.needed_amounts, 0);           // transfers stay inside the account set
  EXPECT_TRUE(b.affordable());
  EXPECT_EQ(b.basis, "constant 500 tx/s for 30s");
}

TEST(FeeBudget, RefusalSaysWhatTheRunNeedsAndWhatTheAccountsHold) {
  scenarios::scenario sc = transfers_at(3600, 600s);
  sc.count = 291'070;
  const fee_budget b = compute_fee_budget(sc, {}, {"BTS", 5}, 1'990'000 * bts, 4);
  ASSERT_TRUE(b.transactions);
  EXPECT_EQ(*b.transactions, 291'070u);
  EXPECT_FALSE(b.affordable());
  EXPECT_EQ(b.refusal(),
            "the run needs ~5,821,400 BTS in fees (291,070 transactions × 20 BTS) plus 0 BTS in "
            "amounts; the 4 accounts hold 1,990,000 BTS (short by 3,831,400 BTS); fund them "
            "(beacon provision --for-scenario FILE) or pass --ignore-fee-budget");
  const auto j = b.to_json();
  EXPECT_EQ(j.at("needed_fees").as_int64(), 5'821'400 * bts);
  EXPECT_EQ(j.at("needed_amounts").as_int64(), 0);
  EXPECT_EQ(j.at("held").as_int64(), 1'990'000 * bts);
  EXPECT_EQ(j.at("asset").as_string(), "BTS");
  EXPECT_EQ(j.at("transactions_estimated").to_number<std::uint64_t>(), 291'070u);
  EXPECT_EQ(j.at("affordable").as_bool(), false);
}

TEST(FeeBudget, SearchWorstCaseIsEveryStepToMaxThenSettleAndHold) {
  scenarios::scenario sc;
  sc.mix = {1, 0, 0, 0};
  sc.search = scenarios::rate_search{100, 100, 10s, 300, 30s, 3s};
  // 100 x 10 + 200 x 10 + 300 x 10, then 300 x (3 + 30): 15,900 transactions.
  fee_budget b = compute_fee_budget(sc, {}, {}, 0, 2);
  ASSERT_TRUE(b.transactions);
  EXPECT_EQ(*b.transactions, 15'900u);
  EXPECT_EQ(b.needed_fees, 318'000 * bts);
  EXPECT_NE(b.basis.find("search worst case: 3 steps up to 300 tx/s"), std::string::npos)
      << b.basis;

  // settle 0: three block intervals (here 3 s each: 9 s) of the max rate.
  sc.search->settle = 0s;
  chain_parameters p;
  p.block_interval = 3;
  EXPECT_EQ(*compute_fee_budget(sc, p, {}, 0, 2).transactions, 6000u + 300u * 39u);

  // A duration cuts it: 100 x 10 + 200 x 5.
  sc.duration = 15s;
  b = compute_fee_budget(sc, {}, {}, 0, 2);
  EXPECT_EQ(*b.transactions, 2000u);

  // A step that does not land on max: 100, 250, then max 300.
  sc.duration.reset();
  sc.search = scenarios::rate_search{100, 150, 1s, 300, 0s, 1s};
  EXPECT_EQ(*compute_fee_budget(sc, {}, {}, 0, 2).transactions, 100u + 250u + 300u + 300u);
}

TEST(FeeBudget, MultiOperationTransactionsWithMemos) {
  scenarios::scenario sc;
  sc.mix = {1, 1, 0, 0};  // half plain, half with a memo
  sc.ops.type = scenarios::ops_per_tx::kind::fixed;
  sc.ops.fixed = 3;
  sc.count = 1000;
  const fee_budget b = compute_fee_budget(sc, {}, {}, 0, 2);
  // A memo (108 bytes packed, the optional's presence byte included) costs 105,468 units on
  // top of the 20 BTS fee: (2,000,000 + 2,105,468) / 2 per operation, three per transaction.
  EXPECT_DOUBLE_EQ(b.per_transaction.ops, 3);
  EXPECT_DOUBLE_EQ(b.per_transaction.fee, 3 * 2'052'734.0);
  EXPECT_EQ(b.needed_fees, 6'158'202'000);
  EXPECT_EQ(amount_text(b.needed_fees, 5), "61,582.02");

  sc.ops.type = scenarios::ops_per_tx::kind::uniform;  // 1..5: 3 on average
  sc.ops.min = 1;
  sc.ops.max = 5;
  EXPECT_DOUBLE_EQ(compute_fee_budget(sc, {}, {}, 0, 2).per_transaction.ops, 3);
  sc.ops.type = scenarios::ops_per_tx::kind::weighted;  // 1 x 3, 10 x 1: 13/4
  sc.ops.choices = {{1, 3}, {10, 1}};
  EXPECT_DOUBLE_EQ(compute_fee_budget(sc, {}, {}, 0, 2).per_transaction.ops, 3.25);
}

TEST(FeeBudget, MaxFillHoldsAsManyTransfersAsTheSizeLimitAllows) {
  scenarios::scenario sc;
  sc.mix = {1, 0, 0, 0};
  sc.ops.type = scenarios::ops_per_tx::kind::max;
  sc.count = 10;
  chain_parameters p;
  p.maximum_transaction_size = 2048;
  const fee_budget b = compute_fee_budget(sc, p, {}, 0, 2);
  // A transfer without memo packs to 1 (tag) + 9 (fee) + 1 + 1 (ids) + 9 (amount) + 1 (memo
  // flag) + 1 (extensions) = 23 bytes; the transaction header is 2 + 4 + 4 + 1 + 1 bytes.
  EXPECT_GT(b.per_transaction.ops, 80);
  EXPECT_LT(b.per_transaction.ops, 2048.0 / 23);
  EXPECT_DOUBLE_EQ(b.per_transaction.fee, b.per_transaction.ops * 2'000'000);
}

TEST(FeeBudget, LimitOrdersLockTheirAmountAndCancelsPayAtLeastATransfer) {
  scenarios::scenario sc;
  sc.mix = {0, 0, 1, 1};
  sc.amount = {scenarios::int_distribution::kind::fixed, 100'000, 100'000};
  sc.count = 100;
  const fee_budget b = compute_fee_budget(sc, {}, {}, 0, 2);
  // create 5 BTS; a cancel with no open order is a transfer (20 BTS): the budget counts 20.
  EXPECT_EQ(b.needed_fees, 100 * (500'000 + 2'000'000) / 2);
  EXPECT_EQ(b.needed_amounts, 100 * 100'000 / 2);  // half the operations lock 1 BTS each
  EXPECT_EQ(b.needed(), b.needed_fees + b.needed_amounts);
}

TEST(FeeBudget, FeeScheduleScaleAndParametersApply) {
  chain_parameters p;
  p.fees.set_parameter(0, "fee", 1'000'000);  // transfer 10 BTS
  p.fees.set_scale(20000);                    // doubled
  const fee_budget b = compute_fee_budget(transfers_at(10, 10s), p, {}, 0, 2);
  EXPECT_EQ(b.needed_fees, 100 * 2'000'000);
}

TEST(FeeBudget, UnlimitedWithoutCountIsNotEstimated) {
  scenarios::scenario sc;
  sc.rate = load::rate_profile::unlimited();
  sc.duration = 30s;
  fee_budget b = compute_fee_budget(sc, {}, {}, 5, 2);
  EXPECT_FALSE(b.transactions);
  EXPECT_TRUE(b.affordable());
  EXPECT_TRUE(b.to_json().at("affordable").is_null());
  EXPECT_NE(b.describe().find("unlimited rate without a count: not estimated"), std::string::npos);
  sc.count = 500;
  b = compute_fee_budget(sc, {}, {}, 5, 2);
  ASSERT_TRUE(b.transactions);
  EXPECT_EQ(*b.transactions, 500u);
  EXPECT_EQ(b.basis, "count 500");
  EXPECT_FALSE(b.affordable());
}

TEST(FeeBudget, ScenarioFieldIgnoreFeeBudget) {
  EXPECT_FALSE(scenarios::parse_scenario("name: x\n", "x.yaml").ignore_fee_budget);
  EXPECT_TRUE(scenarios::parse_scenario("ignore_fee_budget: true\n", "x.yaml").ignore_fee_budget);
  try {
    scenarios::parse_scenario("ignore_fee_budget: maybe\n", "x.yaml");
    FAIL() << "accepted maybe";
  } catch (const input_error& e) {
    EXPECT_NE(std::string(e.what()).find("x.yaml:1:"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace bts::beacon
