// Transaction verdicts, codes and messages as bitshares-core's _apply_transaction gives them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "chain/chain_fixture.hpp"
#include "util/hex.hpp"

namespace bts::chain::testing {
namespace {

using ::testing::HasSubstr;

struct TransactionTest : ::testing::Test {
  TransactionTest() { f.produce_block(); }  // head > 0: TaPoS and expiration are checked
  chain_fixture f;
  account_id_type alice() {
    if (!alice_) alice_ = f.create_account("alice", alice_key.get_public_key());
    return *alice_;
  }
  crypto::private_key alice_key = crypto::private_key::from_seed("alice");
  std::optional<account_id_type> alice_;
};

TEST_F(TransactionTest, ValidTransferIsAppliedToThePendingStateAndIncluded) {
  const auto to = alice();
  const auto before = f.balance(nathan);
  const auto& stats = f.db->account_statistics(nathan);
  const auto fees_before = stats.pending_fees + stats.pending_vested_fees;
  const auto processed = f.push(f.signed_tx({chain_fixture::transfer(nathan, to, 100000)}));
  ASSERT_EQ(processed.operation_results.size(), 1u);
  EXPECT_EQ(processed.operation_results[0].which(), 0u);  // void_result
  EXPECT_EQ(f.balance(to), 100000);
  EXPECT_EQ(f.balance(nathan), before - 100000 - transfer_fee);
  EXPECT_EQ(f.db->pending().size(), 2u);  // account_create + transfer
  const auto block = f.produce_block();
  ASSERT_EQ(block->block.transactions.size(), 2u);
  EXPECT_TRUE(f.db->pending().empty());
  EXPECT_EQ(f.balance(to), 100000);
  EXPECT_EQ(stats.pending_fees + stats.pending_vested_fees - fees_before, transfer_fee);
}

TEST_F(TransactionTest, MissingSignatureIsMissingActiveAuthority) {
  const auto e = f.push_error(f.make_tx({chain_fixture::transfer(nathan, alice(), 1)}));
  EXPECT_EQ(e.code(), 4010001);
  EXPECT_EQ(e.name(), "tx_missing_active_auth");
  EXPECT_EQ(e.rpc_message(),
            "Execution error: missing required active authority: Missing Active Authority 1.2.17");
}

TEST_F(TransactionTest, SignatureByAnotherKeyIsMissingActiveAuthority) {
  const auto e =
      f.push_error(f.signed_tx({chain_fixture::transfer(nathan, alice(), 1)}, {alice_key}));
  EXPECT_EQ(e.code(), 4010001);
}

TEST_F(TransactionTest, CorruptedSignatureIsRejected) {
  auto tx = f.signed_tx({chain_fixture::transfer(nathan, alice(), 1)});
  tx.signatures[0][40] ^= 0x01;  // still canonical, recovers to some other key
  const auto e = f.push_error(tx);
  EXPECT_EQ(e.code(), 4010001);
}

TEST_F(TransactionTest, NonCanonicalSignatureIsRejected) {
  auto tx = f.signed_tx({chain_fixture::transfer(nathan, alice(), 1)});
  tx.signatures[0][1] |= 0x80;
  const auto e = f.push_error(tx);
  EXPECT_EQ(e.code(), 10);
  EXPECT_EQ(e.rpc_message(),
            "Execution error: Assert Exception: is_canonical( c ): signature is not canonical");
}

TEST_F(TransactionTest, DuplicateAndUnnecessarySignatures) {
  auto dup = f.signed_tx({chain_fixture::transfer(nathan, alice(), 1)});
  dup.signatures.push_back(dup.signatures[0]);
  const auto e1 = f.push_error(dup);
  EXPECT_EQ(e1.code(), 4010005);
  EXPECT_EQ(e1.rpc_message(),
            "Execution error: duplicate signature included: Duplicate Signature detected");

  const auto e2 = f.push_error(
      f.signed_tx({chain_fixture::transfer(nathan, alice(), 1)}, {f.dev_key, alice_key}));
  EXPECT_EQ(e2.code(), 4010004);
  EXPECT_EQ(e2.rpc_message(),
            "Execution error: irrelevant signature included: Unnecessary signature(s) detected");
}

TEST_F(TransactionTest, ExpirationWindowIsCheckedAgainstHeadBlockTime) {
  auto expired = f.make_tx({chain_fixture::transfer(nathan, alice(), 1)});
  expired.expiration = time_point_sec{f.db->head_block_time().sec_since_epoch - 1};
  expired.sign(f.dev_key, f.chain_id);
  const auto e1 = f.push_error(expired);
  EXPECT_EQ(e1.code(), 10);
  EXPECT_EQ(e1.rpc_message(), "Execution error: Assert Exception: now <= trx.expiration: ");

  const auto too_far =
      f.signed_tx({chain_fixture::transfer(nathan, alice(), 1)}, {f.dev_key}, 86401);
  const auto e2 = f.push_error(too_far);
  EXPECT_EQ(e2.code(), 10);
  EXPECT_EQ(e2.rpc_message(),
            "Execution error: Assert Exception: trx.expiration <= now + "
            "chain_parameters.maximum_time_until_expiration: ");
  // Exactly at the limit is fine.
  EXPECT_NO_THROW(
      f.push(f.signed_tx({chain_fixture::transfer(nathan, alice(), 1)}, {f.dev_key}, 86400)));
  // Expiring at head block time is fine too.
  EXPECT_NO_THROW(
      f.push(f.signed_tx({chain_fixture::transfer(nathan, alice(), 2)}, {f.dev_key}, 0)));
}

TEST_F(TransactionTest, TaposMustReferenceARecentBlockOfThisChain) {
  auto tx = f.make_tx({chain_fixture::transfer(nathan, alice(), 1)});
  tx.ref_block_prefix ^= 1;
  tx.sign(f.dev_key, f.chain_id);
  const auto e = f.push_error(tx);
  EXPECT_EQ(e.code(), 10);
  EXPECT_EQ(e.rpc_message(),
            "Execution error: Assert Exception: trx.ref_block_prefix == "
            "tapos_block_summary.block_id._hash[1].value(): ");
  // A block 20 blocks back is still a valid reference.
  const block_id_type old = f.db->head_block_id();
  f.produce_blocks(20);
  auto tx2 = f.make_tx({chain_fixture::transfer(nathan, alice(), 1)});
  tx2.set_reference_block(old);
  tx2.sign(f.dev_key, f.chain_id);
  EXPECT_NO_THROW(f.push(tx2));
}

TEST_F(TransactionTest, DuplicateTransactionIsRejectedWhilePendingAndAfterInclusion) {
  const auto tx = f.signed_tx({chain_fixture::transfer(nathan, alice(), 7)});
  f.push(tx);
  const auto e = f.push_error(tx);
  EXPECT_EQ(e.code(), 3030001);
  EXPECT_EQ(e.rpc_message(), "Execution error: duplicate transaction: Transaction '" +
                                 to_hex(tx.id()) + "' is already in the database");
  f.produce_block();
  EXPECT_EQ(f.push_error(tx).code(), 3030001);
  EXPECT_TRUE(f.db->is_known_transaction(tx.id()));
}

TEST_F(TransactionTest, InsufficientBalance) {
  const auto a = alice();
  f.push(f.signed_tx({chain_fixture::transfer(nathan, a, 3000000)}));
  // alice has 30 BTS: sending 20 BTS with a 20 BTS fee passes the transfer check but not the fee.
  const auto e1 =
      f.push_error(f.signed_tx({chain_fixture::transfer(a, nathan, 2000000)}, {alice_key}));
  EXPECT_EQ(e1.code(), 10);
  EXPECT_EQ(e1.rpc_message(),
            "Execution error: Assert Exception: abo->get_balance() >= -delta: Insufficient "
            "Balance: alice's "
            "balance of 10 BTS is less than required 20 BTS");
  const auto e2 =
      f.push_error(f.signed_tx({chain_fixture::transfer(a, nathan, 5000000)}, {alice_key}));
  EXPECT_EQ(e2.code(), 10);
  EXPECT_EQ(e2.rpc_message(),
            "Execution error: Assert Exception: insufficient_balance: Insufficient Balance: 30 "
            "BTS, unable to "
            "transfer '50 BTS' from account 'alice' to 'nathan' Unable to transfer 50 BTS from "
            "alice to nathan");
}

TEST_F(TransactionTest, PendingStateMakesADoubleSpendFail) {
  const auto a = alice();
  f.push(f.signed_tx({chain_fixture::transfer(nathan, a, 5000000)}));
  f.push(f.signed_tx({chain_fixture::transfer(a, nathan, 2000000)}, {alice_key}));  // 30 BTS left
  const auto e =
      f.push_error(f.signed_tx({chain_fixture::transfer(a, nathan, 2000001)}, {alice_key}));
  EXPECT_EQ(e.code(), 10);
  EXPECT_THAT(e.rpc_message(), HasSubstr("Insufficient Balance: 10 BTS, unable to transfer"));
}

TEST_F(TransactionTest, FeeBelowTheScheduleIsInsufficientFee) {
  const auto e =
      f.push_error(f.signed_tx({chain_fixture::transfer(nathan, alice(), 1, transfer_fee - 1)}));
  EXPECT_EQ(e.code(), 4010007);
  EXPECT_EQ(e.rpc_message(), "Execution error: insufficient fee: Insufficient Fee Paid");
  // A memo costs price_per_kbyte per KiB of the packed optional<memo_data>.
  auto op = chain_fixture::transfer(nathan, alice(), 1);
  op.memo.emplace();
  op.memo->message.assign(100, 0);
  // 1 (present) + 33 + 33 + 8 + 1 + 100 = 176 bytes -> 176 * 1000000 / 1024 = 171875
  EXPECT_EQ(f.db->parameters().current_fees.calculate_fee(op), transfer_fee + 171875);
  op.fee.amount = transfer_fee + 171874;
  EXPECT_EQ(f.push_error(f.signed_tx({op})).code(), 4010007);
  op.fee.amount = transfer_fee + 171875;
  EXPECT_NO_THROW(f.push(f.signed_tx({op})));
}

TEST_F(TransactionTest, TransactionLargerThanMaximumTransactionSize) {
  std::vector<operation> ops;
  for (int i = 0; i < 100; ++i) ops.push_back(chain_fixture::transfer(nathan, alice(), 1 + i));
  const auto tx = f.signed_tx(ops);
  ASSERT_GT(tx.pack().size(), 2048u);
  const auto e = f.push_error(tx);
  EXPECT_EQ(e.code(), 10);
  EXPECT_EQ(e.rpc_message(),
            "Execution error: Assert Exception: head_block_time() <= HARDFORK_CORE_1573_TIME || "
            "trx.get_packed_size() <= chain_parameters.maximum_transaction_size: Transaction "
            "exceeds maximum "
            "transaction size.");
}

TEST_F(TransactionTest, ValidateErrorsComeFirst) {
  const auto e1 = f.push_error(f.signed_tx({}));
  EXPECT_EQ(e1.rpc_message(),
            "Execution error: Assert Exception: operations.size() > 0: A transaction must have at "
            "least one operation");
  const auto e2 = f.push_error(f.make_tx({chain_fixture::transfer(nathan, nathan, 1)}));
  EXPECT_EQ(e2.rpc_message(), "Execution error: Assert Exception: from != to: ");
  const auto e3 = f.push_error(f.signed_tx({chain_fixture::transfer(nathan, alice(), 0)}));
  EXPECT_EQ(e3.rpc_message(), "Execution error: Assert Exception: amount.amount > 0: ");
}

TEST_F(TransactionTest, UnknownAccountIsUnableToFindObject) {
  const auto e =
      f.push_error(f.signed_tx({chain_fixture::transfer(nathan, account_id_type{999}, 1)}));
  EXPECT_EQ(e.code(), 10);
  EXPECT_EQ(e.rpc_message(),
            "Execution error: Assert Exception: maybe_found != nullptr: Unable to find Object "
            "1.2.999");
}

TEST_F(TransactionTest, MultiSignatureThresholds) {
  // carol: 2-of-3 keys.
  const auto k1 = crypto::private_key::from_seed("k1");
  const auto k2 = crypto::private_key::from_seed("k2");
  const auto k3 = crypto::private_key::from_seed("k3");
  protocol::account_create_operation op;
  op.registrar = op.referrer = nathan;
  op.name = "carol";
  op.owner.weight_threshold = 2;
  for (const auto* k : {&k1, &k2, &k3}) op.owner.key_auths.insert({k->get_public_key(), 1});
  op.active = op.owner;
  op.options.memo_key = k1.get_public_key();
  op.fee = {f.db->parameters().current_fees.calculate_fee(op), core};
  const auto result = f.push(f.signed_tx({op}));
  const account_id_type carol{result.operation_results[0].get_if<object_id_type>()->instance()};
  f.push(f.signed_tx({chain_fixture::transfer(nathan, carol, 100000000)}));

  const auto spend = [&](std::int64_t amount) {
    return chain_fixture::transfer(carol, nathan, amount);
  };
  EXPECT_EQ(f.push_error(f.signed_tx({spend(1)}, {k1})).code(), 4010001);
  EXPECT_NO_THROW(f.push(f.signed_tx({spend(2)}, {k1, k3})));
  EXPECT_EQ(f.push_error(f.signed_tx({spend(3)}, {k1, k2, k3})).code(), 4010004);
  // An account authority one level deep: dave's active is "carol".
  protocol::account_create_operation dop = op;
  dop.name = "dave";
  dop.owner = {};
  dop.owner.weight_threshold = 1;
  dop.owner.account_auths.insert({carol, 1});
  dop.active = dop.owner;
  dop.fee = {f.db->parameters().current_fees.calculate_fee(dop), core};
  const auto dres = f.push(f.signed_tx({dop}));
  const account_id_type dave{dres.operation_results[0].get_if<object_id_type>()->instance()};
  f.push(f.signed_tx({chain_fixture::transfer(nathan, dave, 100000000)}));
  EXPECT_NO_THROW(f.push(f.signed_tx({chain_fixture::transfer(dave, nathan, 5)}, {k2, k3})));
  EXPECT_EQ(f.push_error(f.signed_tx({chain_fixture::transfer(dave, nathan, 6)}, {k2})).code(),
            4010001);
}

TEST_F(TransactionTest, AccountCreateRules) {
  const auto a = alice();
  const auto key = alice_key.get_public_key();
  protocol::account_create_operation op;
  op.registrar = op.referrer = a;  // alice is not a lifetime member
  op.name = "bob1";
  op.owner.weight_threshold = 1;
  op.owner.key_auths.insert({key, 1});
  op.active = op.owner;
  op.options.memo_key = key;
  op.fee = {f.db->parameters().current_fees.calculate_fee(op), core};
  f.push(f.signed_tx({chain_fixture::transfer(nathan, a, 100000000)}));
  const auto e1 = f.push_error(f.signed_tx({op}, {alice_key}));
  EXPECT_EQ(e1.rpc_message(),
            "Execution error: Assert Exception: fee_paying_account->is_lifetime_member(): Only "
            "Lifetime members "
            "may register an account.");

  op.registrar = op.referrer = nathan;
  op.name = "Bad_Name";
  EXPECT_EQ(f.push_error(f.signed_tx({op})).rpc_message(),
            "Execution error: Assert Exception: is_valid_name( name ): ");
  op.name = "alice";
  op.fee.amount = f.db->parameters().current_fees.calculate_fee(op);
  EXPECT_EQ(f.push_error(f.signed_tx({op}, {f.dev_key}, 62)).rpc_message(),
            "Execution error: Assert Exception: current_account_itr == "
            "acnt_indx.indices().get<by_name>().end(): "
            "Account 'alice' already exists.");
  // Premium names (no digit, dash or dot, with a vowel) cost premium_fee.
  op.name = "premiumname";
  EXPECT_GT(f.db->parameters().current_fees.calculate_fee(op), 200000000);
  op.name = "cheap-name";
  EXPECT_LT(f.db->parameters().current_fees.calculate_fee(op), 1000000);

  // account_upgrade
  protocol::account_upgrade_operation up;
  up.account_to_upgrade = a;
  up.upgrade_to_lifetime_member = true;
  up.fee = {1000000000, core};
  f.push(f.signed_tx({chain_fixture::transfer(nathan, a, 1000000000)}));
  f.push(f.signed_tx({up}, {alice_key}));
  EXPECT_TRUE(f.db->find_account(a)->is_lifetime_member());
  EXPECT_EQ(f.push_error(f.signed_tx({up}, {alice_key}, 61)).rpc_message(),
            "Execution error: Assert Exception: !account->is_lifetime_member():  Unable to upgrade "
            "account 'alice'");
}

TEST_F(TransactionTest, UserIssuedAssetCreateIssueAndTransfer) {
  protocol::asset_create_operation op;
  op.issuer = nathan;
  op.symbol = "DEVCOIN";
  op.precision = 3;
  op.common_options.core_exchange_rate = {{1, core}, {1, asset_id_type{1}}};
  op.fee = {f.db->parameters().current_fees.calculate_fee(op), core};
  EXPECT_EQ(op.fee.amount, 500000000 + 0);  // long symbol, a few bytes at 10 per KiB
  const auto result = f.push(f.signed_tx({op}));
  const asset_id_type dev{result.operation_results[0].get_if<object_id_type>()->instance()};
  EXPECT_EQ(dev.instance, 1u);
  const auto* a = f.db->find_asset(dev);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->options.core_exchange_rate.quote.asset_id, dev);
  EXPECT_EQ(f.db->asset_dynamic_data(dev).fee_pool, 250000000);
  EXPECT_EQ(f.push_error(f.signed_tx({op}, {f.dev_key}, 61)).rpc_message(),
            "Execution error: Assert Exception: asset_symbol_itr == asset_indx.end(): ");

  protocol::asset_issue_operation issue;
  issue.issuer = nathan;
  issue.asset_to_issue = {5000, dev};
  issue.issue_to_account = alice();
  issue.fee = {f.db->parameters().current_fees.calculate_fee(issue), core};
  f.push(f.signed_tx({issue}));
  EXPECT_EQ(f.balance(alice(), dev), 5000);
  EXPECT_EQ(f.db->asset_dynamic_data(dev).current_supply, 5000);
  issue.issuer = alice();
  EXPECT_EQ(f.push_error(f.signed_tx({issue}, {alice_key})).rpc_message(),
            "Execution error: Assert Exception: o.issuer == a.issuer: ");
  f.push(f.signed_tx({chain_fixture::transfer(nathan, alice(), 10000000)}));
  f.push(f.signed_tx({chain_fixture::transfer(alice(), nathan, 1200, transfer_fee, dev)},
                     {alice_key}));
  EXPECT_EQ(f.balance(nathan, dev), 1200);
  EXPECT_EQ(f.db->to_pretty_string({1200, dev}), "1.200 DEVCOIN");
}

TEST_F(TransactionTest, ValidateTransactionLeavesNoTrace) {
  const auto ptx = f.db->precompute(f.signed_tx({chain_fixture::transfer(nathan, alice(), 5)}));
  const auto before = f.balance(alice());
  f.db->validate_transaction(*ptx);
  EXPECT_EQ(f.balance(alice()), before);
  EXPECT_FALSE(f.db->is_known_transaction(ptx->id));
}

}  // namespace
}  // namespace bts::chain::testing
