#include <gtest/gtest.h>

#include "chain/chain_fixture.hpp"
#include "crypto/hash.hpp"
#include "util/hex.hpp"

namespace bts::chain::testing {
namespace {

TEST(Genesis, ChainIdIsSha256OfTheGenesisBytes) {
  const std::string text = builtin_genesis_json();
  const auto id = compute_chain_id(text);
  EXPECT_EQ(id, crypto::sha256(text));
  // Any change to the bytes, even whitespace, is another chain.
  EXPECT_NE(id, compute_chain_id(text + " "));
  builtin_genesis_options slower;
  slower.block_interval = 3;
  EXPECT_NE(id, compute_chain_id(builtin_genesis_json(slower)));
  EXPECT_NE(builtin_genesis_json(slower).find("\"block_interval\": 3,"), std::string::npos);
}

TEST(Genesis, SpecialAccountsThenGenesisAccounts) {
  chain_fixture f;
  const char* special[] = {"committee-account", "witness-account", "relaxed-committee-account",
                           "null-account",      "temp-account",    "proxy-to-self"};
  for (std::uint64_t i = 0; i < 6; ++i) {
    const auto* a = f.db->find_account(account_id_type{i});
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->name, special[i]);
  }
  EXPECT_EQ(f.db->find_account_by_name("init0")->id.instance, 6u);
  EXPECT_EQ(f.db->find_account_by_name("init10")->id.instance, 16u);
  const auto* n = f.db->find_account_by_name("nathan");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->id, nathan);
  EXPECT_TRUE(n->is_lifetime_member());
  EXPECT_EQ(n->registrar, nathan);
  EXPECT_EQ(n->lifetime_referrer_fee_percentage, 8000);
  EXPECT_EQ(crypto::to_string(n->active.key_auths.begin()->first), dev_public_key);
  EXPECT_EQ(crypto::to_string(n->options.memo_key), dev_public_key);
}

TEST(Genesis, CoreAssetAndNathansBalance) {
  chain_fixture f;
  const auto* bts = f.db->find_asset(core);
  ASSERT_NE(bts, nullptr);
  EXPECT_EQ(bts->symbol, "BTS");
  EXPECT_EQ(bts->precision, 5);
  EXPECT_EQ(f.balance(nathan), 1000000000000000);
  EXPECT_EQ(f.db->asset_dynamic_data(core).current_supply, 1000000000000000);
  EXPECT_EQ(f.balance(account_id_type{6}), 0);  // witness accounts hold nothing
  EXPECT_EQ(bts->amount_to_pretty_string(123456789), "1234.56789 BTS");
  EXPECT_EQ(bts->amount_to_pretty_string(2000000), "20 BTS");
  EXPECT_EQ(bts->amount_to_pretty_string(150000), "1.50000 BTS");
}

TEST(Genesis, GlobalPropertiesJsonKeepsReflectionOrder) {
  chain_fixture f;
  const auto gpo = *f.db->object_to_json(object_id_type::make(2, 0, 0));
  const auto& params = gpo.at("parameters").as_object();
  std::vector<std::string> keys;
  for (const auto& kv : params) keys.emplace_back(kv.key());
  ASSERT_GE(keys.size(), 4u);
  EXPECT_EQ(keys[0], "current_fees");
  EXPECT_EQ(keys[1], "block_interval");
  EXPECT_EQ(keys.back(), "extensions");
  EXPECT_EQ(params.at("block_interval").as_uint64(), 1u);
  EXPECT_EQ(params.at("maximum_transaction_size").as_uint64(), 2048u);
  EXPECT_EQ(params.at("maximum_block_size").as_uint64(), 2000000u);
  EXPECT_EQ(params.at("maximum_time_until_expiration").as_uint64(), 86400u);
  const auto& fees = params.at("current_fees").as_object();
  EXPECT_EQ(fees.at("scale").as_uint64(), 10000u);
  const auto& transfer = fees.at("parameters").as_array().at(0).as_array();
  EXPECT_EQ(boost::json::serialize(transfer), R"([0,{"fee":2000000,"price_per_kbyte":1000000}])");
  const auto& asset_create = fees.at("parameters").as_array().at(10).as_array();
  EXPECT_EQ(
      boost::json::serialize(asset_create),
      R"([10,{"symbol3":"50000000000","symbol4":"30000000000","long_symbol":500000000,"price_per_kbyte":10}])");
  EXPECT_EQ(gpo.at("active_witnesses").as_array().size(), 11u);
  EXPECT_EQ(gpo.at("active_witnesses").as_array().at(0).as_string(), "1.6.1");

  const auto dgpo = *f.db->object_to_json(object_id_type::make(2, 1, 0));
  std::vector<std::string> dkeys;
  for (const auto& kv : dgpo.as_object()) dkeys.emplace_back(kv.key());
  const std::vector<std::string> expected = {"id",
                                             "head_block_number",
                                             "head_block_id",
                                             "time",
                                             "current_witness",
                                             "next_maintenance_time",
                                             "last_vote_tally_time",
                                             "last_budget_time",
                                             "witness_budget",
                                             "total_pob",
                                             "total_inactive",
                                             "accounts_registered_this_interval",
                                             "recently_missed_count",
                                             "current_aslot",
                                             "recent_slots_filled",
                                             "dynamic_flags",
                                             "last_irreversible_block_num"};
  EXPECT_EQ(dkeys, expected);
  EXPECT_EQ(dgpo.at("id").as_string(), "2.1.0");
  EXPECT_EQ(dgpo.at("recent_slots_filled").as_string(), "340282366920938463463374607431768211455");
  EXPECT_EQ(dgpo.at("head_block_id").as_string(), "0000000000000000000000000000000000000000");
}

TEST(Genesis, AccountJsonShape) {
  chain_fixture f;
  const auto json = *f.db->object_to_json(object_id_type::make(1, 2, 17));
  const auto& a = json.as_object();
  EXPECT_EQ(a.at("id").as_string(), "1.2.17");
  EXPECT_EQ(a.at("name").as_string(), "nathan");
  EXPECT_EQ(a.at("membership_expiration_date").as_string(), "2106-02-07T06:28:15");
  EXPECT_EQ(a.at("statistics").as_string(), "2.6.17");
  EXPECT_EQ(
      boost::json::serialize(a.at("active")),
      R"({"weight_threshold":1,"account_auths":[],"key_auths":[["BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",1]],"address_auths":[]})");
  EXPECT_EQ(boost::json::serialize(a.at("owner_special_authority")), "[0,{}]");
  EXPECT_FALSE(a.contains("cashback_vb"));  // empty optionals are omitted, as fc does
}

TEST(Genesis, ParseRejectsWhatTheDevnetCannotRun) {
  std::string text = builtin_genesis_json();
  const auto at = text.find("\"initial_witness_candidates\": [");
  ASSERT_NE(at, std::string::npos);
  std::string no_witness =
      text.substr(0, at) + "\"initial_witness_candidates\": [], \"x\": [" +
      text.substr(at + std::string("\"initial_witness_candidates\": [").size());
  try {
    parse_genesis(no_witness);
    FAIL() << "expected input_error";
  } catch (const input_error& e) {
    EXPECT_NE(std::string(e.what()).find("initial_witness_candidates"), std::string::npos)
        << e.what();
  }
  try {
    parse_genesis("[1,2]");
    FAIL() << "expected input_error";
  } catch (const input_error&) {
  }
  // fc leaves missing fields at their defaults.
  const auto minimal = parse_genesis(R"({"initial_timestamp":"2025-01-01T00:00:00",
      "initial_accounts":[{"name":"alice","owner_key":"BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
                           "active_key":"BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV","is_lifetime_member":true}],
      "initial_witness_candidates":[{"owner_name":"alice","block_signing_key":"BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV"}],
      "initial_active_witnesses":1})");
  EXPECT_EQ(minimal.initial_parameters.block_interval, 5);
  EXPECT_EQ(minimal.initial_parameters.maximum_transaction_size, 2048u);
  database db(minimal, compute_chain_id("x"));
  EXPECT_EQ(db.find_account_by_name("alice")->id.instance, 6u);
}

}  // namespace
}  // namespace bts::chain::testing
