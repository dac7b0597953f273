// Differences tests/realnode/differential.js found between the devnet and witness_node, each
// pinned to bitshares-core's behaviour (7.0.2 sources: db_block.cpp, asset_evaluator.cpp,
// account_evaluator.cpp, exceptions.cpp, asset_ops.cpp, account.cpp, asset.cpp, index.hpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "chain/chain_fixture.hpp"

namespace bts::chain::testing {
namespace {

using ::testing::HasSubstr;

struct DifferentialTest : ::testing::Test {
  DifferentialTest() { f.produce_block(); }  // head > 0: TaPoS, expiration and size are checked
  chain_fixture f;

  protocol::asset_create_operation asset_create(const std::string& symbol) const {
    protocol::asset_create_operation op;
    op.issuer = nathan;
    op.symbol = symbol;
    op.precision = 2;
    op.common_options.core_exchange_rate = {{1, core}, {1, asset_id_type{1}}};
    op.fee = {f.db->parameters().current_fees.calculate_fee(op), core};
    return op;
  }
  asset_id_type create_asset(const protocol::asset_create_operation& op, std::uint32_t exp = 60) {
    const auto r = f.push(f.signed_tx({op}, {f.dev_key}, exp));
    return asset_id_type{r.operation_results.at(0).get_if<object_id_type>()->instance()};
  }
  std::string message_of(const operation& op, std::uint32_t exp = 60) {
    return f.push_error(f.signed_tx({op}, {f.dev_key}, exp)).rpc_message();
  }
  template <class Op>
  Op with_fee(Op op) const {
    op.fee.amount = f.db->parameters().current_fees.calculate_fee(op);
    return op;
  }
  protocol::account_create_operation account_create(const std::string& name) const {
    const auto key = f.dev_key.get_public_key();
    protocol::account_create_operation op;
    op.registrar = op.referrer = nathan;
    op.name = name;
    op.owner.weight_threshold = 1;
    op.owner.key_auths.insert({key, 1});
    op.active = op.owner;
    op.options.memo_key = key;
    op.fee = {f.db->parameters().current_fees.calculate_fee(op), core};
    return op;
  }
};

// A transfer whose memo makes the unsigned transaction exactly `size` bytes.
signed_transaction sized_transfer(const chain_fixture& f, std::size_t size) {
  auto op = chain_fixture::transfer(nathan, account_id_type{6}, 1);
  op.memo.emplace();
  op.memo->from = op.memo->to = f.dev_key.get_public_key();
  std::size_t bytes = 16;
  for (int i = 0; i < 6; ++i) {
    op.memo->message.assign(bytes, 0xab);
    const std::size_t now = f.make_tx({op}).pack_unsigned().size();
    if (now == size) break;
    bytes += size - now;
  }
  op.fee.amount = f.db->parameters().current_fees.calculate_fee(op);
  auto tx = f.make_tx({op});
  tx.sign(f.dev_key, f.chain_id);
  EXPECT_EQ(tx.pack_unsigned().size(), size);
  return tx;
}

// _apply_transaction checks precomputable_transaction::get_packed_size(), the size without the
// signatures, against maximum_transaction_size.
TEST_F(DifferentialTest, MaximumTransactionSizeIsCheckedWithoutSignatures) {
  const std::size_t max = f.db->parameters().maximum_transaction_size;
  const auto at = sized_transfer(f, max);
  EXPECT_GT(at.pack().size(), max);  // signed, it is larger
  EXPECT_NO_THROW(f.push(at));
  const auto e = f.push_error(sized_transfer(f, max + 1));
  EXPECT_THAT(e.rpc_message(), HasSubstr("Transaction exceeds maximum transaction size."));
}

// asset_create_evaluator::pay_fee keeps the larger half as the fee paid; the new asset's fee
// pool gets core_fee_paid - 1 when the fee is odd (HARDFORK_CORE_429): the smaller half.
TEST_F(DifferentialTest, OddAssetCreateFeeGivesThePoolTheSmallerHalf) {
  auto op = asset_create("ODDFEE");
  op.fee.amount += op.fee.amount % 2 == 0 ? 1 : 0;
  const auto id = create_asset(op);
  EXPECT_EQ(f.db->asset_dynamic_data(id).fee_pool, op.fee.amount / 2);
}

// convert_fee runs before pay_fee halves the fee: a fee paid in a user-issued asset takes the
// whole converted amount out of that asset's fee pool.
TEST_F(DifferentialTest, AssetCreatePaidInAUserIssuedAssetTakesTheWholeFeeFromItsPool) {
  const auto dev = create_asset(asset_create("DEVCOIN"));
  protocol::asset_fund_fee_pool_operation fund;
  fund.from_account = nathan;
  fund.asset_id = dev;
  fund.amount = 2000000000;
  fund.fee = {f.db->parameters().current_fees.calculate_fee(fund), core};
  protocol::asset_issue_operation issue;
  issue.issuer = nathan;
  issue.asset_to_issue = {1000000000, dev};
  issue.issue_to_account = nathan;
  issue.fee = {f.db->parameters().current_fees.calculate_fee(issue), core};
  f.push(f.signed_tx({fund, issue}));
  const auto pool_before = f.db->asset_dynamic_data(dev).fee_pool;

  auto op = asset_create("PAIDINDEV");
  op.fee = {op.fee.amount + 1, dev};  // 1 DEV satoshi = 1 core satoshi; odd
  const auto id = create_asset(op, 61);
  EXPECT_EQ(f.db->asset_dynamic_data(dev).fee_pool, pool_before - op.fee.amount);
  EXPECT_EQ(f.db->asset_dynamic_data(id).fee_pool, op.fee.amount / 2);
}

// The format is "Unable to find Object ${id}" (graphene/db/index.hpp).
TEST_F(DifferentialTest, UnableToFindObjectNamesTheObject) {
  auto t = chain_fixture::transfer(nathan, account_id_type{6}, 1);
  t.amount.asset_id = asset_id_type{999};
  EXPECT_EQ(message_of(t),
            "Execution error: Assert Exception: maybe_found != nullptr: Unable to find Object "
            "1.3.999");
}

TEST_F(DifferentialTest, SubAssetMessages) {
  EXPECT_EQ(message_of(asset_create("NOPE.SUB")),
            "Execution error: Assert Exception: asset_prefix_itr != asset_indx.end(): Asset "
            "NOPE.SUB may only be created by issuer of asset NOPE, but asset NOPE has not been "
            "created");
  create_asset(asset_create("PARENT"));
  auto alien = asset_create("PARENT.SUB");
  alien.issuer = account_id_type{6};  // init0, same development key
  EXPECT_EQ(f.push_error(f.signed_tx({chain_fixture::transfer(nathan, alien.issuer, 600000000),
                                      alien}))
                .rpc_message(),
            "Execution error: Assert Exception: asset_prefix_itr->issuer == op.issuer: Asset "
            "PARENT.SUB may only be created by issuer of PARENT, init0");
}

// asset_options::validate and asset_create_operation::validate, texts and order.
TEST_F(DifferentialTest, AssetOptionsValidation) {
  auto op = asset_create("GSFLAG");
  op.common_options.issuer_permissions = op.common_options.flags = 0x20;
  EXPECT_EQ(message_of(op),
            "Execution error: Assert Exception: 0 == (flags & global_settle): Can not set "
            "global_settle flag, it is for issuer permission only");
  op = asset_create("WLAUTH");
  op.common_options.whitelist_authorities.insert(nathan);
  EXPECT_EQ(message_of(op), "Execution error: Assert Exception: 0 != (flags & white_list): ");
  op = asset_create("ZEROCER");
  op.common_options.core_exchange_rate.base.amount = 0;
  EXPECT_EQ(message_of(op),
            "Execution error: Assert Exception: base.amount.value > 0: Base amount should be "
            "positive");
  // disable_collateral_bidding is in NON_UIA_ONLY_ISSUER_PERMISSION_MASK.
  op = asset_create("BIDPERM");
  op.common_options.issuer_permissions = 0x8000;
  EXPECT_EQ(message_of(op), "Execution error: Assert Exception: bitasset_opts.valid(): ");
}

// asset_options::validate_flags, run by asset_create_evaluator::do_evaluate.
TEST_F(DifferentialTest, AssetFlagsValidation) {
  auto op = asset_create("MCRFLAG");
  op.common_options.flags = 0x800;
  EXPECT_EQ(message_of(op),
            "Execution error: Assert Exception: 0 == (flags & disable_mcr_update): Can not set "
            "disable_mcr_update flag, it is for issuer permission only");
  op = asset_create("DFSFLAG");
  op.common_options.flags = 0x10;  // disable_force_settle: bitassets only
  EXPECT_EQ(message_of(op),
            "Execution error: Assert Exception: 0 == (flags & "
            "(uint16_t)(~UIA_ASSET_ISSUER_PERMISSION_MASK)): Can not set a flag for bitassets "
            "only to UIA");
}

TEST_F(DifferentialTest, IssueWithDisableNewSupplyAndReserveBeyondSupply) {
  auto op = asset_create("NOSUPPLY");
  op.common_options.issuer_permissions = op.common_options.flags = 0x400;
  const auto id = create_asset(op);
  protocol::asset_issue_operation issue;
  issue.issuer = nathan;
  issue.asset_to_issue = {10, id};
  issue.issue_to_account = nathan;
  issue.fee = {f.db->parameters().current_fees.calculate_fee(issue), core};
  EXPECT_EQ(message_of(issue),
            "Execution error: Assert Exception: a.can_create_new_supply(): Can not create new "
            "supply");
  protocol::asset_reserve_operation reserve;
  reserve.payer = nathan;
  reserve.amount_to_reserve = {10, id};
  reserve.fee = {f.db->parameters().current_fees.calculate_fee(reserve), core};
  EXPECT_EQ(message_of(reserve),
            "Execution error: Assert Exception: asset_dyn_data->current_supply >= "
            "o.amount_to_reserve.amount: Can not reserve an amount that is more than the current "
            "supply");
}

TEST_F(DifferentialTest, LimitOrderCancelOfAMissingOrder) {
  protocol::limit_order_cancel_operation cancel;
  cancel.fee_paying_account = nathan;
  cancel.order.instance = 12345;
  const auto e = f.push_error(f.signed_tx({cancel}));
  EXPECT_EQ(e.code(), 3050201);
  EXPECT_EQ(e.rpc_message(),
            "Execution error: Order does not exist: Limit order 1.7.12345 does not exist");
}

TEST_F(DifferentialTest, AccountCreateAuthorityAndVoteChecks) {
  auto op = account_create("impossible1");
  op.active.weight_threshold = 2;
  EXPECT_EQ(message_of(with_fee(op)),
            "Execution error: Assert Exception: !active.is_impossible(): cannot create an account "
            "with an impossible active authority threshold");
  // The voting account is checked by verify_account_votes, after the registrar checks.
  op = account_create("proxy1");
  op.options.voting_account = account_id_type{999};
  EXPECT_EQ(message_of(with_fee(op)),
            "Execution error: Assert Exception: db.find(options.voting_account): Invalid proxy "
            "account specified.");
  op.registrar = f.create_account("basic1", f.dev_key.get_public_key());  // not a member
  EXPECT_THAT(message_of(with_fee(op), 61), HasSubstr("Only Lifetime members may register an account."));
  // Votes must name existing witnesses / committee members (witnesses get the first vote ids).
  op = account_create("voter1");
  op.options.num_committee = 1;
  op.options.votes.insert(protocol::vote_id_type::make(0, 30));
  EXPECT_EQ(message_of(with_fee(op)),
            "Execution error: Assert Exception: id < max_vote_id: Can not vote for 0:30 which "
            "does not exist.");
}

TEST_F(DifferentialTest, AccountUpdateOfAccountZero) {
  protocol::account_update_operation op;
  op.account = account_id_type{0};
  op.new_options.emplace();
  op.fee = {f.db->parameters().current_fees.calculate_fee(op), core};
  EXPECT_EQ(message_of(op), "Execution error: Assert Exception: account != account_id_type(): ");
}

}  // namespace
}  // namespace bts::chain::testing
