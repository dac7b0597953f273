// The API surface over real websocket and HTTP connections: ids, names, shapes, errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "devnet/devnet_fixture.hpp"
#include "protocol/vectors.hpp"

namespace bts::devnet::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

struct ApiTest : ::testing::Test {
  devnet_fixture f;
};

TEST_F(ApiTest, BannerNamesTheEndpointAndChainId) {
  const std::string banner = f.node->banner();
  EXPECT_THAT(banner, StartsWith("devnet listening " + f.url() + " chain_id " +
                                 to_hex(f.node->chain_id())));
  EXPECT_THAT(banner, HasSubstr(" endpoints " + f.url() + " block_interval 1"));
  EXPECT_EQ(f.node->chain_id(), chain::compute_chain_id(chain::builtin_genesis_json()));
}

TEST_F(ApiTest, LoginAndApiIdsAsBitsharesCoreAllocatesThem) {
  EXPECT_EQ(f.call(1, "login", {"", ""}), json::value(true));
  EXPECT_EQ(f.call(1, "database", {}), json::value(0));
  EXPECT_EQ(f.call(1, "network_broadcast", {}), json::value(2));
  EXPECT_EQ(f.call(1, "history", {}), json::value(3));
  EXPECT_EQ(f.call(1, "network_broadcast", {}), json::value(2));  // same id again
  EXPECT_EQ(f.call(0, "get_chain_id", {}).as_string(), to_hex(f.node->chain_id()));
  EXPECT_EQ(f.call("database", "get_chain_id", {}).as_string(), to_hex(f.node->chain_id()));
  EXPECT_EQ(f.call(3, "get_account_history", {"nathan", "1.11.0", 10, "1.11.0"}),
            json::value(json::array()));
  const auto denied = f.try_call(1, "network_node", {});
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code, 10);
  EXPECT_THAT(denied.error().message, HasSubstr("Access denied"));
}

TEST_F(ApiTest, UnknownMethodsAndApisAreErrorsNotDisconnects) {
  const auto r1 = f.try_call("database", "no_such_method", {});
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(r1.error().code, -32601);
  const auto r2 = f.try_call(7, "get_chain_id", {});
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code, 10);
  EXPECT_EQ(r2.error().message, "Execution error: Assert Exception: _local_apis.size() > api_id: ");
  const auto r3 = f.try_call("nonsense", "get_chain_id", {});
  ASSERT_FALSE(r3.ok());
  EXPECT_EQ(r3.error().code, -32601);
  const auto r4 = f.try_call("database", "get_block", {});
  ASSERT_FALSE(r4.ok());
  EXPECT_EQ(r4.error().message,
            "Execution error: Assert Exception: a0 != e || optional_args: too few arguments passed "
            "to method");
  const auto r5 = f.try_call("database", "get_objects", {"not an id"});
  ASSERT_FALSE(r5.ok());
  // The connection survives all of it.
  EXPECT_TRUE(f.try_call("database", "get_chain_id", {}).ok());
  EXPECT_EQ(f.client().counters().snapshot().disconnects, 0u);
}

TEST_F(ApiTest, HttpPostServesTheSameApiAndMetrics) {
  rpc::blocking_client http(f.http_url());
  EXPECT_EQ(http.call("database", "get_chain_id", {}, call_timeout).value().as_string(),
            to_hex(f.node->chain_id()));
  const auto r = http.call("database", "get_account_by_name", {"nathan"}, call_timeout).value();
  EXPECT_EQ(r.at("id").as_string(), "1.2.17");
}

TEST_F(ApiTest, GlobalPropertiesAndObjects) {
  const auto dgp = f.call("database", "get_dynamic_global_properties", {});
  EXPECT_EQ(dgp.at("id").as_string(), "2.1.0");
  EXPECT_EQ(dgp.at("head_block_number").to_number<std::uint64_t>(), 1u);
  EXPECT_EQ(dgp.at("head_block_id").as_string().size(), 40u);
  const auto gp = f.call("database", "get_global_properties", {});
  EXPECT_EQ(gp.at("parameters").at("block_interval").to_number<std::uint64_t>(), 1u);
  EXPECT_EQ(gp.at("parameters").at("maximum_block_size").to_number<std::uint64_t>(), 2000000u);
  const auto objects = f.call(
      "database", "get_objects",
      {json::array{"2.0.0", "2.1.0", "1.2.17", "1.3.0", "2.5.1", "1.7.0", "2.6.17", "2.3.0"}});
  const auto& list = objects.as_array();
  ASSERT_EQ(list.size(), 8u);
  EXPECT_EQ(list[2].at("name").as_string(), "nathan");
  EXPECT_EQ(list[3].at("symbol").as_string(), "BTS");
  EXPECT_EQ(list[3].at("precision").to_number<std::uint64_t>(), 5u);
  EXPECT_EQ(list[4].at("owner").as_string(), "1.2.17");
  EXPECT_EQ(list[4].at("balance").as_string(), "1000000000000000");  // large ints as strings
  EXPECT_TRUE(list[5].is_null());
  EXPECT_EQ(list[6].at("owner").as_string(), "1.2.17");
  EXPECT_EQ(list[7].at("current_supply").as_string(), "1000000000000000");
  const auto props = f.call("database", "get_chain_properties", {});
  EXPECT_EQ(props.at("chain_id").as_string(), to_hex(f.node->chain_id()));
  EXPECT_EQ(f.call("database", "get_config", {}).at("GRAPHENE_SYMBOL").as_string(), "BTS");
}

TEST_F(ApiTest, AccountsBalancesAndFees) {
  const auto accounts =
      f.call("database", "get_accounts", {json::array{"nathan", "1.2.6", "nobody"}});
  EXPECT_EQ(accounts.at(0).at("id").as_string(), "1.2.17");
  EXPECT_EQ(accounts.at(1).at("name").as_string(), "init0");
  EXPECT_TRUE(accounts.at(2).is_null());
  EXPECT_EQ(f.call("database", "lookup_account_names", {json::array{"committee-account"}})
                .at(0)
                .at("id")
                .as_string(),
            "1.2.0");
  const auto full = f.call("database", "get_full_accounts", {json::array{"nathan"}, false});
  ASSERT_EQ(full.as_array().size(), 1u);
  EXPECT_EQ(full.at(0).at(0).as_string(), "nathan");
  const auto& fa = full.at(0).at(1);
  EXPECT_EQ(fa.at("account").at("name").as_string(), "nathan");
  EXPECT_EQ(fa.at("registrar_name").as_string(), "nathan");
  EXPECT_EQ(fa.at("balances").at(0).at("asset_type").as_string(), "1.3.0");
  EXPECT_TRUE(fa.at("limit_orders").as_array().empty());
  EXPECT_EQ(f.balance(nathan), 1000000000000000);
  const auto none = f.try_call("database", "get_account_balances", {"nobody", json::array()});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message,
            "Execution error: Assert Exception: account_ptr: no such account");
  const auto fees = f.call("database", "get_required_fees",
                           {json::array{protocol::to_json(protocol::operation(
                                devnet_fixture::transfer(nathan, account_id_type{6}, 1)))},
                            "1.3.0"});
  EXPECT_EQ(json::serialize(fees), R"([{"amount":2000000,"asset_id":"1.3.0"}])");
  const auto block = f.call("database", "get_block", {1});
  EXPECT_EQ(std::string(block.at("witness").as_string()).substr(0, 4), "1.6.");
  // Block 1 holds the fixture's claim of the genesis balance (balance_claim, operation 37).
  ASSERT_EQ(block.at("transactions").as_array().size(), 1u);
  EXPECT_EQ(block.at("transactions").at(0).at("operations").at(0).at(0).to_number<int>(), 37);
  EXPECT_TRUE(f.call("database", "get_block", {99}).is_null());
  const auto header = f.call("database", "get_block_header", {1});
  EXPECT_FALSE(header.as_object().contains("witness_signature"));
  EXPECT_TRUE(
      f.call("database", "get_block_header", {1, true}).as_object().contains("witness_signature"));
}

TEST(Api, GenesisBalanceObjectsAndTheirClaim) {
  devnet_fixture f({}, false, /*claim_genesis_balance=*/false);
  const std::string owner = "BTSFAbAx7yuxt725qSZvfwWqkdCwp9ZnUama";  // the dev key's address
  const auto listed = f.call("database", "get_balance_objects", {json::array{owner}});
  EXPECT_EQ(json::serialize(listed),
            R"([{"id":"1.15.0","owner":"BTSFAbAx7yuxt725qSZvfwWqkdCwp9ZnUama",)"
            R"("balance":{"amount":"1000000000000000","asset_id":"1.3.0"},)"
            R"("last_claim_date":"1970-01-01T00:00:00"}])");
  EXPECT_EQ(f.balance(nathan), 0);
  protocol::balance_claim_operation claim;
  claim.deposit_to_account = nathan;
  claim.balance_to_claim.instance = 0;
  claim.balance_owner_key = f.dev_key.get_public_key();
  claim.total_claimed = {1000000000000000, asset_id_type{0}};
  // get_required_fees as witness_node answers: balance_claim is free; an asset_issue without a
  // memo pays the data fee of the absent memo's presence byte (20 BTS + 100000/1024).
  protocol::asset_issue_operation issue;
  issue.issuer = nathan;
  issue.asset_to_issue = {1, asset_id_type{1}};
  issue.issue_to_account = nathan;
  EXPECT_EQ(json::serialize(f.call("database", "get_required_fees",
                                   {json::array{protocol::to_json(protocol::operation(claim)),
                                                protocol::to_json(protocol::operation(issue))},
                                    "1.3.0"})),
            R"([{"amount":0,"asset_id":"1.3.0"},{"amount":2000097,"asset_id":"1.3.0"}])");
  f.call("network_broadcast", "broadcast_transaction",
         {devnet_fixture::to_json(f.sign(f.make_tx({claim})))});
  EXPECT_EQ(f.balance(nathan), 1000000000000000);
  EXPECT_TRUE(f.call("database", "get_balance_objects", {json::array{owner}}).as_array().empty());
  EXPECT_TRUE(f.call("database", "get_objects", {json::array{"1.15.0"}}).at(0).is_null());
}

TEST_F(ApiTest, TransactionHexMatchesTheProtocolBytes) {
  // Bytes from outside this code base: python-bitshares' signed transfer with a memo, its
  // unsigned part checked against bitsharesjs (tests/testdata, vector pyb_transfer), and a
  // limit order whose bytes bitsharesjs produced (derived_limit_order_create_testnet).
  for (const char* name : {"pyb_transfer", "derived_limit_order_create_testnet"}) {
    const json::object& v = protocol::testing::vector_named(name);
    const std::string signed_hex(v.at("expected_hex").as_string());
    const std::string unsigned_hex(v.at("expected_unsigned_hex").as_string());
    ASSERT_GT(signed_hex.size(), unsigned_hex.size()) << name;
    // The signed form ends with the signatures: a count (1) and 65 bytes.
    json::object tx = v.at("tx_json").as_object();
    tx["signatures"] = json::array{json::string(signed_hex.substr(signed_hex.size() - 130))};
    EXPECT_EQ(f.call("database", "get_transaction_hex", {tx}).as_string(), signed_hex) << name;
    EXPECT_EQ(f.call("database", "get_transaction_hex_without_sig", {tx}).as_string(), unsigned_hex)
        << name;
  }

  const auto tx = f.sign(f.make_tx({devnet_fixture::transfer(nathan, account_id_type{6}, 5)}));
  const auto potential =
      f.call("database", "get_potential_signatures", {devnet_fixture::to_json(tx)});
  EXPECT_EQ(json::serialize(potential), "[\"" + std::string(chain::dev_public_key) + "\"]");
  auto unsigned_tx = tx;
  unsigned_tx.signatures.clear();
  const auto required =
      f.call("database", "get_required_signatures",
             {devnet_fixture::to_json(unsigned_tx), json::array{chain::dev_public_key}});
  EXPECT_EQ(json::serialize(required), "[\"" + std::string(chain::dev_public_key) + "\"]");
  EXPECT_EQ(f.call("database", "verify_authority", {devnet_fixture::to_json(tx)}),
            json::value(true));
}

TEST_F(ApiTest, MetricsCountVerdictsByCode) {
  const auto tx = f.make_tx({devnet_fixture::transfer(nathan, account_id_type{6}, 5)});  // unsigned
  const auto r =
      f.try_call("network_broadcast", "broadcast_transaction", {devnet_fixture::to_json(tx)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 4010001);
  f.call("network_broadcast", "broadcast_transaction", {devnet_fixture::to_json(f.sign(tx))});
  const auto [status, text] = f.http_get("/metrics");
  EXPECT_EQ(status, 200u);
  EXPECT_THAT(text, HasSubstr("devnet_transactions_rejected_total{node=\"0\",code=\"4010001\"} 1"));
  // The fixture's genesis balance claim was the first accepted transaction.
  EXPECT_THAT(text, HasSubstr("devnet_transactions_accepted_total{node=\"0\"} 2"));
  EXPECT_THAT(text, HasSubstr("devnet_pending_transactions{node=\"0\"} 1"));
  EXPECT_THAT(text, HasSubstr("process_cpu_seconds_total "));
  EXPECT_THAT(text, HasSubstr("process_resident_memory_bytes "));
  EXPECT_THAT(text, HasSubstr("devnet_block_fill_ratio "));
  EXPECT_EQ(f.http_get("/nothing-here").first, 404u);
}

}  // namespace
}  // namespace bts::devnet::testing
