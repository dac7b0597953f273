// bitshares-core's verdicts through network_broadcast_api, with its error codes and messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>

#include "devnet/devnet_fixture.hpp"
#include "stats/rejection.hpp"

namespace bts::devnet::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

struct ValidationTest : ::testing::Test {
  rpc::call_result broadcast(const protocol::signed_transaction& tx, std::size_t node = 0) {
    return f.try_call("network_broadcast", "broadcast_transaction", {devnet_fixture::to_json(tx)},
                      node);
  }
  void expect_rejected(const protocol::signed_transaction& tx, std::int64_t code,
                       const std::string& prefix) {
    const auto r = broadcast(tx);
    ASSERT_FALSE(r.ok()) << "accepted: " << json::serialize(devnet_fixture::to_json(tx));
    EXPECT_EQ(r.error().code, code) << r.error().message;
    EXPECT_THAT(r.error().message, StartsWith(prefix));
    EXPECT_TRUE(r.error().data.is_object());
    keys.push_back(stats::rejection_key(r.error().code, r.error().message, r.error().data));
  }
  std::vector<std::string> keys;  // each rejection's reason (stats/rejection.hpp), in order
  devnet_fixture f;
  const account_id_type init0{6};
};

TEST_F(ValidationTest, ValidTransferIsAcceptedAndIncluded) {
  const auto tx = f.sign(f.make_tx({devnet_fixture::transfer(nathan, init0, 123456)}));
  const auto r = broadcast(tx);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(r.value().is_null());
  EXPECT_EQ(f.balance(init0), 123456);  // pending state
  const auto num = f.produce_block();
  const auto block = f.call("database", "get_block", {num});
  ASSERT_EQ(block.at("transactions").as_array().size(), 1u);
  const auto& included = block.at("transactions").at(0);
  EXPECT_EQ(included.at("signatures").at(0).as_string(), to_hex(tx.signatures[0]));
  EXPECT_EQ(json::serialize(included.at("operation_results")), "[[0,{}]]");
  EXPECT_EQ(f.balance(init0), 123456);
}

TEST_F(ValidationTest, RejectionsCarryBitsharesCoreCodes) {
  const auto op = [&](std::int64_t amount, std::int64_t fee = transfer_fee) {
    return devnet_fixture::transfer(nathan, init0, amount, fee);
  };
  // missing signature
  expect_rejected(
      f.make_tx({op(1)}), 4010001,
      "Execution error: missing required active authority: Missing Active Authority 1.2.17");
  // bad signature: signed by another key, and a signature over other bytes
  auto other = f.make_tx({op(2)});
  other.sign(crypto::private_key::from_seed("someone else"), f.node->chain_id());
  expect_rejected(other, 4010001, "Execution error: missing required active authority");
  auto tampered = f.sign(f.make_tx({op(3)}));
  tampered.operations[0].get_if<protocol::transfer_operation>()->amount.amount = 4;
  expect_rejected(tampered, 4010001, "Execution error: missing required active authority");
  // signed for another chain
  auto wrong_chain = f.make_tx({op(5)});
  wrong_chain.sign(f.dev_key, protocol::chain_id_from_hex(std::string(64, 'a')));
  expect_rejected(wrong_chain, 4010001, "Execution error: missing required active authority");
  // duplicate / unnecessary signatures
  auto twice = f.sign(f.make_tx({op(6)}));
  twice.signatures.push_back(twice.signatures[0]);
  expect_rejected(twice, 4010005,
                  "Execution error: duplicate signature included: Duplicate Signature detected");
  auto extra = f.sign(f.make_tx({op(7)}));
  extra.sign(crypto::private_key::from_seed("extra"), f.node->chain_id());
  expect_rejected(
      extra, 4010004,
      "Execution error: irrelevant signature included: Unnecessary signature(s) detected");
  // expired, and expiring too far ahead
  auto expired = f.make_tx({op(8)});
  expired.expiration.sec_since_epoch -= 61;
  expect_rejected(f.sign(expired), 10,
                  "Execution error: Assert Exception: now <= trx.expiration: ");
  expect_rejected(f.sign(f.make_tx({op(9)}, 86401)), 10,
                  "Execution error: Assert Exception: trx.expiration <= now + "
                  "chain_parameters.maximum_time_until_expiration: ");
  // bad TaPoS
  auto tapos = f.make_tx({op(10)});
  tapos.ref_block_prefix += 1;
  expect_rejected(f.sign(tapos), 10,
                  "Execution error: Assert Exception: trx.ref_block_prefix == "
                  "tapos_block_summary.block_id._hash[1].value(): ");
  // insufficient balance
  expect_rejected(f.sign(f.make_tx({devnet_fixture::transfer(init0, nathan, 1)})), 10,
                  "Execution error: Assert Exception: insufficient_balance: Insufficient Balance: "
                  "0 BTS, unable to "
                  "transfer '0.00001 BTS' from account 'init0' to 'nathan'");
  // fee too low
  expect_rejected(f.sign(f.make_tx({op(11, transfer_fee - 1)})), 4010007,
                  "Execution error: insufficient fee: Insufficient Fee Paid");
  // transaction too large (maximum_transaction_size 2048)
  std::vector<protocol::operation> many;
  for (int i = 0; i < 100; ++i) many.push_back(op(100 + i));
  expect_rejected(
      f.sign(f.make_tx(many)), 10,
      "Execution error: Assert Exception: head_block_time() <= HARDFORK_CORE_1573_TIME || "
      "trx.get_packed_size() <= chain_parameters.maximum_transaction_size: Transaction exceeds "
      "maximum transaction size.");
  EXPECT_EQ(f.balance(init0), 0);
  // The reasons the beacon counts them under: the same keys as witness_node's errors give
  // (tests/testdata/witness_node_errors.json), every one the beacons' own doing.
  const std::vector<std::string> expected = {
      "fc:4010001 tx_missing_active_auth",
      "fc:4010001 tx_missing_active_auth",
      "fc:4010001 tx_missing_active_auth",
      "fc:4010001 tx_missing_active_auth",
      "fc:4010005 tx_duplicate_sig",
      "fc:4010004 tx_irrelevant_sig",
      "fc:10 now <= trx.expiration",
      "fc:10 trx.expiration <= now + chain_parameters.maximum_time_until_expiration",
      "fc:10 trx.ref_block_prefix == tapos_block_summary.block_id._hash[1].value()",
      "fc:10 insufficient_balance",
      "fc:4010007 insufficient_fee",
      "fc:10 transaction_exceeds_maximum_transaction_size"};
  EXPECT_EQ(keys, expected);
  for (const auto& k : keys) EXPECT_EQ(stats::side_of(k), stats::rejection_side::beacon) << k;
}

TEST_F(ValidationTest, DuplicateWhilePendingAndAfterInclusion) {
  const auto tx = f.sign(f.make_tx({devnet_fixture::transfer(nathan, init0, 77)}));
  ASSERT_TRUE(broadcast(tx).ok());
  const std::string expected = "Execution error: duplicate transaction: Transaction '" +
                               to_hex(tx.id()) + "' is already in the database";
  expect_rejected(tx, 3030001, expected);
  f.produce_block();
  expect_rejected(tx, 3030001, expected);
}

TEST_F(ValidationTest, SecondSpendOfTheSameFundsIsRejectedByThePendingState) {
  const crypto::private_key alice_key = crypto::private_key::from_seed("alice-key");
  protocol::account_create_operation create;
  create.registrar = create.referrer = nathan;
  create.name = "alice-1";
  create.owner.weight_threshold = 1;
  create.owner.key_auths.insert({alice_key.get_public_key(), 1});
  create.active = create.owner;
  create.options.memo_key = alice_key.get_public_key();
  const auto fee = f.call("database", "get_required_fees",
                          {json::array{protocol::to_json(protocol::operation(create))}, "BTS"});
  create.fee.amount = rpc::as_int64(fee.at(0).at("amount"));
  ASSERT_TRUE(broadcast(f.sign(f.make_tx({create}))).ok());
  ASSERT_EQ(f.call("database", "get_account_by_name", {"alice-1"}).at("id").as_string(), "1.2.18");
  const account_id_type alice{18};
  ASSERT_TRUE(
      broadcast(f.sign(f.make_tx({devnet_fixture::transfer(nathan, alice, 5000000)}))).ok());
  auto spend = [&](std::int64_t amount) {
    auto tx = f.make_tx({devnet_fixture::transfer(alice, nathan, amount)},
                        60 + static_cast<std::uint32_t>(amount % 7));
    tx.sign(alice_key, f.node->chain_id());
    return tx;
  };
  ASSERT_TRUE(broadcast(spend(2000000)).ok());  // 30 BTS left of 50
  expect_rejected(
      spend(2000001), 10,
      "Execution error: Assert Exception: insufficient_balance: Insufficient Balance: 10 BTS");
}

TEST_F(ValidationTest, SynchronousBroadcastReturnsTheInclusion) {
  const auto tx = f.sign(f.make_tx({devnet_fixture::transfer(nathan, init0, 1000)}));
  std::optional<rpc::call_result> result;
  std::mutex mu;
  std::thread caller([&] {
    auto r = f.client().call("network_broadcast", "broadcast_transaction_synchronous",
                             {devnet_fixture::to_json(tx)}, std::chrono::milliseconds(10000));
    std::lock_guard lock(mu);
    result = std::move(r);
  });
  ASSERT_TRUE(
      devnet_fixture::eventually([&] { return f.node->net().metrics().nodes[0].pending == 1; }));
  const auto num = f.produce_block();
  caller.join();
  ASSERT_TRUE(result && result->ok()) << (result ? result->error().to_string() : "no result");
  const auto& v = result->value();
  EXPECT_EQ(v.at("id").as_string(), to_hex(tx.id()));
  EXPECT_EQ(v.at("block_num").to_number<std::uint64_t>(), num);
  EXPECT_EQ(v.at("trx_num").to_number<std::uint64_t>(), 0u);
  EXPECT_EQ(v.at("trx").at("operation_results").as_array().size(), 1u);
}

TEST_F(ValidationTest, CallbacksFire) {
  auto& c = f.client();
  std::mutex mu;
  std::vector<json::array> applied, included, changed;
  const std::uint64_t block_cb = c.reserve_id();
  const std::uint64_t trx_cb = c.reserve_id();
  const std::uint64_t sub_cb = c.reserve_id();
  c.subscribe(block_cb, [&](json::array a) {
    std::lock_guard l(mu);
    applied.push_back(std::move(a));
  });
  c.subscribe(trx_cb, [&](json::array a) {
    std::lock_guard l(mu);
    included.push_back(std::move(a));
  });
  c.subscribe(sub_cb, [&](json::array a) {
    std::lock_guard l(mu);
    changed.push_back(std::move(a));
  });
  f.call("database", "set_block_applied_callback", {block_cb});
  f.call("database", "set_subscribe_callback", {sub_cb, false});
  f.call("database", "get_objects", {json::array{"2.1.0"}});  // subscribes (auto subscription)
  const auto tx = f.sign(f.make_tx({devnet_fixture::transfer(nathan, init0, 2000)}));
  EXPECT_TRUE(f.call("network_broadcast", "broadcast_transaction_with_callback",
                     {trx_cb, devnet_fixture::to_json(tx)})
                  .is_null());
  const auto num = f.produce_block();
  const auto block_id =
      f.call("database", "get_dynamic_global_properties", {}).at("head_block_id").as_string();
  ASSERT_TRUE(devnet_fixture::eventually([&] {
    std::lock_guard l(mu);
    return !applied.empty() && !included.empty() && !changed.empty();
  }));
  std::lock_guard l(mu);
  EXPECT_EQ(applied.back().at(0).as_string(), block_id);
  const auto& inc = included.front().at(0);
  EXPECT_EQ(inc.at("id").as_string(), to_hex(tx.id()));
  EXPECT_EQ(inc.at("block_num").to_number<std::uint64_t>(), num);
  EXPECT_EQ(inc.at("trx_num").to_number<std::uint64_t>(), 0u);
  bool saw_dgp = false;
  for (const auto& n : changed) {
    for (const auto& obj : n.at(0).as_array()) {
      if (obj.is_object() && obj.at("id").as_string() == "2.1.0") saw_dgp = true;
    }
  }
  EXPECT_TRUE(saw_dgp);
}

TEST_F(ValidationTest, LimitOrdersMatchAtTheMakersPrice) {
  protocol::asset_create_operation create;
  create.issuer = nathan;
  create.symbol = "DEVCOIN";
  create.precision = 3;
  create.common_options.core_exchange_rate = {{1, asset_id_type{0}}, {1, asset_id_type{1}}};
  create.fee = {500000000, asset_id_type{0}};
  ASSERT_TRUE(broadcast(f.sign(f.make_tx({create}))).ok());
  const asset_id_type dev{1};
  protocol::asset_issue_operation issue;
  issue.issuer = nathan;
  issue.asset_to_issue = {100000, dev};
  issue.issue_to_account = init0;
  issue.fee = {2000097, asset_id_type{0}};  // 20 BTS + the absent memo's byte at 1 BTS/KiB
  ASSERT_TRUE(
      broadcast(f.sign(f.make_tx({issue, devnet_fixture::transfer(nathan, init0, 100000000)})))
          .ok());
  const auto order = [](account_id_type seller, protocol::asset sell, protocol::asset receive) {
    protocol::limit_order_create_operation op;
    op.fee = {500000, asset_id_type{0}};
    op.seller = seller;
    op.amount_to_sell = sell;
    op.min_to_receive = receive;
    return op;
  };
  // nathan offers 1 BTS for 1 DEVCOIN; init0 sells 0.5 DEVCOIN asking 0.4 BTS and gets 0.5.
  ASSERT_TRUE(
      broadcast(f.sign(f.make_tx({order(nathan, {100000, asset_id_type{0}}, {1000, dev})}))).ok());
  const auto before = f.balance(init0);
  ASSERT_TRUE(
      broadcast(f.sign(f.make_tx({order(init0, {500, dev}, {40000, asset_id_type{0}})}))).ok());
  EXPECT_EQ(f.balance(init0), before + 50000 - 500000);
  const auto book = f.call("database", "get_limit_orders", {"BTS", "DEVCOIN", 10});
  ASSERT_EQ(book.as_array().size(), 1u);
  EXPECT_EQ(book.at(0).at("seller").as_string(), "1.2.17");
  EXPECT_EQ(rpc::as_int64(book.at(0).at("for_sale")), 50000);
  f.produce_block();
  EXPECT_EQ(f.call("database", "get_limit_orders", {"1.3.0", "1.3.1", 10}).as_array().size(), 1u);
  const auto fill_or_kill = [&] {
    auto op = order(init0, {500, dev}, {90000, asset_id_type{0}});
    op.fill_or_kill = true;
    return op;
  }();
  expect_rejected(f.sign(f.make_tx({fill_or_kill})), 3050101,
                  "Execution error: Killing limit order due to unable to fill");
}

TEST(ValidationBacklog, ABacklogLargerThanABlockSpillsIntoFollowingBlocks) {
  devnet_options options;
  options.builtin.maximum_block_size = 8000;
  devnet_fixture f(options);
  const auto max_size =
      f.call("database", "get_global_properties", {}).at("parameters").at("maximum_block_size");
  EXPECT_EQ(max_size.to_number<std::uint64_t>(), 8000u);
  std::vector<std::string> ids;
  for (int i = 0; i < 250; ++i) {
    const auto tx =
        f.sign(f.make_tx({devnet_fixture::transfer(nathan, account_id_type{6}, 1 + i)}, 3600));
    ids.push_back(to_hex(tx.id()));
    ASSERT_TRUE(
        f.try_call("network_broadcast", "broadcast_transaction", {devnet_fixture::to_json(tx)})
            .ok());
  }
  std::vector<std::string> included;
  int blocks = 0;
  while (included.size() < ids.size() && blocks < 20) {
    const auto num = f.produce_block();
    ++blocks;
    const auto block = f.call("database", "get_block", {num});
    const auto& txs = block.at("transactions").as_array();
    EXPECT_GT(txs.size(), 0u);
    for (const auto& t : txs) {
      const auto parsed = protocol::transaction_from_json(
          t, {protocol::json_read_options::unknown_field_policy::ignore});
      included.push_back(to_hex(parsed.id()));
    }
    const auto m = f.node->net().metrics();
    EXPECT_LE(m.last_block_bytes, 8000u);
  }
  EXPECT_GE(blocks, 3);
  EXPECT_EQ(included, ids);
  EXPECT_EQ(f.node->net().metrics().nodes[0].pending, 0u);
}

}  // namespace
}  // namespace bts::devnet::testing
