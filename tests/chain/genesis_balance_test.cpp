// Genesis balance objects and balance_claim (balance_evaluator.cpp), and the fee rules that the
// beacon and the devnet share (fee_schedule_calc.cpp, asset_ops.cpp), as witness_node has them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "chain/chain_fixture.hpp"

namespace bts::chain::testing {
namespace {

using ::testing::HasSubstr;

constexpr std::int64_t genesis_amount = 1000000000000000;

TEST(GenesisBalance, IsABalanceObjectOwnedByTheKeysAddressUntilClaimed) {
  chain_fixture f({}, /*claim_genesis_balance=*/false);
  EXPECT_EQ(f.balance(nathan), 0);
  const protocol::address owner{crypto::to_address(f.dev_key.get_public_key())};
  const auto owned = f.db->balance_objects_of(owner);
  ASSERT_EQ(owned.size(), 1u);
  EXPECT_EQ(owned[0]->id.instance, 0u);
  EXPECT_EQ(owned[0]->balance.amount, genesis_amount);
  EXPECT_EQ(f.db->asset_dynamic_data(core).current_supply, genesis_amount);
  // get_objects shape, as witness_node returns it.
  const auto json = f.db->object_to_json(object_id_type::make(1, 15, 0));
  ASSERT_TRUE(json.has_value());
  EXPECT_EQ(boost::json::serialize(*json),
            R"({"id":"1.15.0","owner":"BTSFAbAx7yuxt725qSZvfwWqkdCwp9ZnUama",)"
            R"("balance":{"amount":"1000000000000000","asset_id":"1.3.0"},)"
            R"("last_claim_date":"1970-01-01T00:00:00"})");

  f.push(f.signed_tx({f.claim_genesis()}));
  EXPECT_EQ(f.balance(nathan), genesis_amount);
  EXPECT_TRUE(f.db->balance_objects_of(owner).empty());
  EXPECT_FALSE(f.db->object_to_json(object_id_type::make(1, 15, 0)).has_value());
  // Claimed once: a second claim finds no object.
  const auto again = f.push_error(f.signed_tx({f.claim_genesis()}, {f.dev_key}, 61));
  EXPECT_EQ(again.code(), 10);
  EXPECT_THAT(again.rpc_message(), HasSubstr("Unable to find Object"));
}

TEST(GenesisBalance, ClaimChecksOwnerAmountFeeAndSignature) {
  chain_fixture f({}, false);
  const auto other = crypto::private_key::from_seed("not the owner");

  auto wrong_owner = f.claim_genesis();
  wrong_owner.balance_owner_key = other.get_public_key();
  const auto e1 = f.push_error(f.signed_tx({wrong_owner}, {other}));
  EXPECT_EQ(e1.code(), 3053703);  // balance_claim_owner_mismatch
  EXPECT_THAT(e1.rpc_message(), HasSubstr("Balance owner key was specified as"));

  auto partial = f.claim_genesis();
  partial.total_claimed.amount -= 1;
  EXPECT_THAT(f.push_error(f.signed_tx({partial})).rpc_message(),
              HasSubstr("op.total_claimed == balance->balance"));

  auto with_fee = f.claim_genesis();
  with_fee.fee.amount = 1;
  EXPECT_THAT(f.push_error(f.signed_tx({with_fee})).rpc_message(), HasSubstr("fee == asset()"));

  // The required authority is the owner key itself: another key's signature does not do.
  const auto e2 = f.push_error(f.signed_tx({f.claim_genesis()}, {other}));
  EXPECT_EQ(e2.code(), 4010003);  // tx_missing_other_auth
  EXPECT_THAT(e2.rpc_message(), HasSubstr("Missing Authority"));
  EXPECT_EQ(f.balance(nathan), 0);
  EXPECT_EQ(f.db->parameters().current_fees.calculate_fee(f.claim_genesis()), 0);
}

TEST(Fees, AssetIssueWithoutMemoPaysTheDataFeeOfTheAbsentMemosPresenceByte) {
  chain_fixture f;
  protocol::asset_issue_operation issue;
  issue.issuer = nathan;
  issue.asset_to_issue = {1, asset_id_type{1}};
  issue.issue_to_account = nathan;
  // genesis-dev: fee 20 BTS, price_per_kbyte 1 BTS; pack_size(optional memo) = 1 byte.
  EXPECT_EQ(f.db->parameters().current_fees.calculate_fee(issue), 2000000 + 100000 / 1024);
  issue.memo.emplace();
  issue.memo->message.assign(100, 0);
  // 1 + 33 + 33 + 8 + 1 + 100 = 176 bytes of memo.
  EXPECT_EQ(f.db->parameters().current_fees.calculate_fee(issue), 2000000 + 176 * 100000 / 1024);
}

TEST(Fees, SubAssetsCostAccountTransfersFeeOnceTicketCreateIsScheduled) {
  fee_schedule fees = fee_schedule::from_json(boost::json::parse(
      R"({"parameters":[[9,{"fee":123}],[10,{"symbol3":5,"symbol4":4,"long_symbol":3,)"
      R"("price_per_kbyte":0}]],"scale":10000})"));
  protocol::asset_create_operation op;
  op.symbol = "PARENT.SUB";
  EXPECT_EQ(fees.calculate_fee(op), 3);  // no ticket_create (57) in the schedule yet
  fees.set_parameter(57, "fee", 1);
  EXPECT_EQ(fees.calculate_fee(op), 123);
  op.symbol = "ABC";
  EXPECT_EQ(fees.calculate_fee(op), 5);
}

}  // namespace
}  // namespace bts::chain::testing
