// JSON forms: bitshares-core's output conventions and one-line, path-naming input errors.
#include <gtest/gtest.h>

#include "protocol/transaction.hpp"
#include "util/hex.hpp"

namespace bts::protocol {
namespace {

constexpr const char* nathan = "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV";

// A valid transfer transaction; tests break one thing at a time.
boost::json::object transfer_tx() {
  return boost::json::parse(R"({
    "ref_block_num": 34294, "ref_block_prefix": 3707022213, "expiration": "2016-04-06T08:29:27",
    "operations": [[0, {"fee": {"amount": 0, "asset_id": "1.3.0"}, "from": "1.2.0", "to": "1.2.1",
      "amount": {"amount": 1000000, "asset_id": "1.3.4"}, "extensions": []}]],
    "extensions": []})")
      .as_object();
}

boost::json::object& op_body(boost::json::object& tx) {
  return tx["operations"].as_array()[0].as_array()[1].as_object();
}

// The one-line error of reading `json` as a transaction.
std::string tx_error(const boost::json::value& json, const json_read_options& options = {}) {
  try {
    transaction_from_json(json, options);
  } catch (const input_error& e) {
    return e.what();
  }
  return "(no error)";
}

template <class T>
std::string error_of(std::string_view json_text) {
  try {
    from_json_as<T>(boost::json::parse(json_text));
  } catch (const input_error& e) {
    return e.what();
  }
  return "(no error)";
}

template <class T>
std::string json_of(const T& value, const json_write_options& options = {}) {
  return boost::json::serialize(to_json(value, options));
}

TEST(Json, LargeIntegersAreStringsLikeFc) {
  EXPECT_EQ(json_of(std::int64_t{2147483647}), "2147483647");
  EXPECT_EQ(json_of(std::int64_t{2147483648}), "\"2147483648\"");
  EXPECT_EQ(json_of(std::int64_t{-2147483648}), "-2147483648");
  EXPECT_EQ(json_of(std::int64_t{-2147483649}), "\"-2147483649\"");
  EXPECT_EQ(json_of(std::uint64_t{0xffffffff}), "4294967295");
  EXPECT_EQ(json_of(std::uint64_t{0x100000000}), "\"4294967296\"");
  EXPECT_EQ(json_of(std::uint32_t{0xffffffff}), "4294967295");
  memo_data memo{};
  memo.nonce = 5862723643998573708u;
  EXPECT_NE(json_of(memo).find(R"("nonce":"5862723643998573708")"), std::string::npos);
}

TEST(Json, IntegersAreReadFromNumbersOrDecimalStrings) {
  EXPECT_EQ(from_json_as<std::int64_t>(boost::json::parse("\"-9223372036854775808\"")),
            std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(from_json_as<std::uint64_t>(boost::json::parse("18446744073709551615")),
            std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(from_json_as<std::uint16_t>(boost::json::parse("\"65535\"")), 65535);
  EXPECT_EQ(error_of<std::uint16_t>("65536"), "65536 is out of range for uint16");
  EXPECT_EQ(error_of<std::uint8_t>("-1"), "-1 is out of range for uint8");
  EXPECT_EQ(error_of<std::int64_t>("\"9223372036854775808\""), "9223372036854775808 is out of range for int64");
  EXPECT_EQ(error_of<std::int64_t>("\"99999999999999999999999\""),
            "99999999999999999999999 is out of range for int64");
  EXPECT_EQ(error_of<std::int64_t>("1.5"), "expected an integer, got 1.5E0 (give large integers as decimal strings)");
  EXPECT_EQ(error_of<std::int64_t>("\" 12\""), "expected an integer, got \" 12\"");
  EXPECT_EQ(error_of<std::int64_t>("true"), "expected an integer, got true");
  EXPECT_EQ(error_of<std::uint32_t>("null"), "expected an integer, got null");
}

TEST(Json, ErrorsNameThePath) {
  auto tx = transfer_tx();
  op_body(tx)["amount"].as_object()["amount"] = "lots";
  EXPECT_EQ(tx_error(tx), "operations[0][1].amount.amount: expected an integer, got \"lots\"");

  tx = transfer_tx();
  op_body(tx)["from"] = "1.3.0";
  EXPECT_EQ(tx_error(tx), "operations[0][1].from: expected an account id (1.2.x)");
  op_body(tx)["from"] = 7;
  EXPECT_EQ(tx_error(tx), "operations[0][1].from: expected an account id (1.2.x)");
  op_body(tx)["from"] = "1.2";
  EXPECT_EQ(tx_error(tx), "operations[0][1].from: expected an account id (1.2.x)");
  op_body(tx)["from"] = "1.2.-1";
  EXPECT_EQ(tx_error(tx), "operations[0][1].from: object id instance in \"1.2.-1\" is not a 64-bit unsigned number");

  tx = transfer_tx();
  op_body(tx)["amount"].as_object()["asset_id"] = "1.2.0";
  EXPECT_EQ(tx_error(tx), "operations[0][1].amount.asset_id: expected an asset id (1.3.x)");

  tx = transfer_tx();
  tx["ref_block_num"] = 70000;
  EXPECT_EQ(tx_error(tx), "ref_block_num: 70000 is out of range for uint16");

  tx = transfer_tx();
  op_body(tx).erase("to");
  EXPECT_EQ(tx_error(tx), "operations[0][1]: missing field \"to\"");

  tx = transfer_tx();
  tx.erase("expiration");
  EXPECT_EQ(tx_error(tx), "missing field \"expiration\"");

  tx = transfer_tx();
  tx["expiration"] = "2016-04-06 08:29:27";
  EXPECT_EQ(tx_error(tx), "expiration: expected a time as YYYY-MM-DDTHH:MM:SS");

  tx = transfer_tx();
  tx["operations"].as_array().push_back(boost::json::array{0});
  EXPECT_EQ(tx_error(tx), "operations[1]: expected an operation as [tag, {fields}], got an array");

  EXPECT_EQ(tx_error(boost::json::array{}), "expected an object, got an array");
}

TEST(Json, UnknownFieldsAreRejectedUnlessAskedToIgnoreThemLikeFc) {
  auto tx = transfer_tx();
  op_body(tx)["bogus"] = 1;
  EXPECT_EQ(tx_error(tx), "operations[0][1].bogus: unknown field");
  json_read_options fc_like;
  fc_like.unknown_fields = json_read_options::unknown_field_policy::ignore;
  EXPECT_EQ(tx_error(tx, fc_like), "(no error)");
  // extension<T> objects reject unknown keys in any case, as bitshares-core does.
  tx = transfer_tx();
  tx["operations"].as_array()[0].as_array()[0] = 3;
  op_body(tx) = boost::json::parse(R"({"fee": {"amount": 0, "asset_id": "1.3.0"},
      "funding_account": "1.2.9", "delta_collateral": {"amount": -5, "asset_id": "1.3.0"},
      "delta_debt": {"amount": 5, "asset_id": "1.3.1"}, "extensions": {"target_ratio": 5}})")
                      .as_object();
  EXPECT_EQ(tx_error(tx, fc_like), "operations[0][1].extensions.target_ratio: unknown field");
}

TEST(Json, OmittableFieldsAndExtensionForms) {
  auto tx = transfer_tx();
  tx.erase("extensions");
  op_body(tx).erase("extensions");
  const signed_transaction a = transaction_from_json(tx);
  EXPECT_EQ(a.pack_unsigned(), transaction_from_json(transfer_tx()).pack_unsigned());
  EXPECT_TRUE(a.signatures.empty());

  // extension<T> accepts {}, [], null and an object of present fields; prints an object.
  tx = transfer_tx();
  tx["operations"].as_array()[0].as_array()[0] = "call_order_update";
  auto& body = op_body(tx);
  body = boost::json::parse(R"({"fee": {"amount": 0, "asset_id": "1.3.0"},
      "funding_account": "1.2.9", "delta_collateral": {"amount": "-5", "asset_id": "1.3.0"},
      "delta_debt": {"amount": 5, "asset_id": "1.3.1"}, "extensions": []})")
             .as_object();
  const auto plain = transaction_from_json(tx).pack_unsigned();
  for (const char* form : {"{}", "null", R"({"target_collateral_ratio": null})"}) {
    body["extensions"] = boost::json::parse(form);
    EXPECT_EQ(transaction_from_json(tx).pack_unsigned(), plain) << form;
  }
  body["extensions"] = boost::json::parse(R"({"target_collateral_ratio": 12345})");
  const signed_transaction with_tcr = transaction_from_json(tx);
  EXPECT_EQ(to_hex(with_tcr.pack_unsigned()).substr(to_hex(plain).size() - 4, 10), "0100393000");
  EXPECT_EQ(boost::json::serialize(transaction_to_json(with_tcr).at("operations").at(0).at(1).at("extensions")),
            R"({"target_collateral_ratio":12345})");
  body["extensions"] = boost::json::parse("[1]");
  EXPECT_EQ(tx_error(tx), "operations[0][1].extensions: expected an object of extensions (or [])");
}

TEST(Json, OutputFollowsReflectionOrderAndOmitsEmptyOptionals) {
  const signed_transaction tx = transaction_from_json(transfer_tx());
  EXPECT_EQ(boost::json::serialize(transaction_to_json(tx)),
            R"({"ref_block_num":34294,"ref_block_prefix":3707022213,"expiration":"2016-04-06T08:29:27",)"
            R"("operations":[[0,{"fee":{"amount":0,"asset_id":"1.3.0"},"from":"1.2.0","to":"1.2.1",)"
            R"("amount":{"amount":1000000,"asset_id":"1.3.4"},"extensions":[]}]],"extensions":[],)"
            R"("signatures":[]})");
}

TEST(Json, OperationsByTagOrNameAndClearErrorsForTheRest) {
  auto tx = transfer_tx();
  const auto bytes = transaction_from_json(tx).pack_unsigned();
  for (const char* name : {"transfer", "transfer_operation"}) {
    tx["operations"].as_array()[0].as_array()[0] = name;
    EXPECT_EQ(transaction_from_json(tx).pack_unsigned(), bytes);
  }
  tx["operations"].as_array()[0].as_array()[0] = 22;
  EXPECT_EQ(tx_error(tx), "operations[0][0]: operation 22 (proposal_create) is not supported yet");
  tx["operations"].as_array()[0].as_array()[0] = "proposal_create";
  EXPECT_EQ(tx_error(tx), "operations[0][0]: operation 22 (proposal_create) is not supported yet");
  tx["operations"].as_array()[0].as_array()[0] = 78;
  EXPECT_EQ(tx_error(tx), "operations[0][0]: unknown operation 78 (bitshares-core knows 0..77)");
  tx["operations"].as_array()[0].as_array()[0] = "warp";
  EXPECT_EQ(tx_error(tx), "operations[0][0]: unknown operation \"warp\"");
  tx["operations"].as_array()[0].as_array()[0] = -1;
  EXPECT_EQ(tx_error(tx), "operations[0][0]: -1 is out of range for uint64");
  EXPECT_EQ(operation_name(77), "limit_order_update");
  EXPECT_EQ(operation_name(38), "override_transfer");
  EXPECT_TRUE(is_virtual_operation(74));
}

TEST(Json, KeysAnyPrefixInConfigurablePrefixOut) {
  const auto key = from_json_as<public_key_type>(
      boost::json::value("TEST6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV"));
  EXPECT_EQ(json_of(key), std::string("\"") + nathan + "\"");
  EXPECT_EQ(json_of(key, {"GPH"}), "\"GPH6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV\"");
  EXPECT_EQ(error_of<public_key_type>("\"BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CW\""),
            "public key checksum mismatch");
  const auto addr = from_json_as<address>(boost::json::value("BTSFAbAx7yuxt725qSZvfwWqkdCwp9ZnUama"));
  EXPECT_EQ(addr.data, crypto::to_address(key));
  EXPECT_EQ(json_of(addr), "\"BTSFAbAx7yuxt725qSZvfwWqkdCwp9ZnUama\"");
}

TEST(Json, AuthoritiesAreSortedAndDuplicatesRejected) {
  const char* unsorted = R"({"weight_threshold": 1,
    "account_auths": [["1.2.9", 1], ["1.2.3", 2]],
    "key_auths": [["BTS8DZinV1rFkdgs2sMMhUrk6wAyq1fTB8eLKQzcYihkgrjiv3tLn", 1],
                  ["BTS6agpGeRkc1zHD9MTbHaK9CKR1Pt8aU4v2GTxF6tRtf3ZC3TnU6", 1]],
    "address_auths": []})";
  const auto auth = from_json_as<authority>(boost::json::parse(unsorted));
  EXPECT_EQ(json_of(auth),
            R"({"weight_threshold":1,"account_auths":[["1.2.3",2],["1.2.9",1]],)"
            R"("key_auths":[["BTS6agpGeRkc1zHD9MTbHaK9CKR1Pt8aU4v2GTxF6tRtf3ZC3TnU6",1],)"
            R"(["BTS8DZinV1rFkdgs2sMMhUrk6wAyq1fTB8eLKQzcYihkgrjiv3tLn",1]],"address_auths":[]})");
  EXPECT_EQ(error_of<authority>(R"({"weight_threshold": 1, "account_auths": [["1.2.9", 1], ["1.2.9", 2]],
                                   "key_auths": [], "address_auths": []})"),
            "account_auths[1]: duplicate entry: equivalent to entry 0 in bitshares-core's ordering");
  EXPECT_EQ(error_of<authority>(R"({"weight_threshold": 1, "account_auths": [["1.2.9"]],
                                   "key_auths": [], "address_auths": []})"),
            "account_auths[0]: expected a [key, value] pair");
  EXPECT_EQ(error_of<authority>(R"({"weight_threshold": 1, "account_auths": [["1.2.9", 65536]],
                                   "key_auths": [], "address_auths": []})"),
            "account_auths[0][1]: 65536 is out of range for uint16");
}

TEST(Json, VoteIds) {
  const auto votes = from_json_as<flat_set<vote_id_type>>(boost::json::parse(R"(["1:22", "0:3", "2:10"])"));
  EXPECT_EQ(json_of(votes), R"(["0:3","2:10","1:22"])");
  EXPECT_EQ(error_of<flat_set<vote_id_type>>(R"(["0:5", "1:5"])"),
            "[1]: duplicate entry: equivalent to entry 0 in bitshares-core's ordering");
  EXPECT_EQ(error_of<vote_id_type>(R"("256:1")"), "vote id type 256 is out of range (0..255)");
  EXPECT_EQ(error_of<vote_id_type>(R"("1:16777216")"), "vote id instance 16777216 is out of range (0..16777215)");
  EXPECT_EQ(error_of<vote_id_type>(R"("1-5")"), "expected a vote id as \"type:instance\" (e.g. \"1:22\"), got \"1-5\"");
}

TEST(Json, StaticVariantsAndBytes) {
  EXPECT_EQ(json_of(special_authority{top_holders_special_authority{{127}, 10}}),
            R"([1,{"asset":"1.3.127","num_top_holders":10}])");
  EXPECT_EQ(json_of(special_authority{}), "[0,{}]");
  EXPECT_EQ(error_of<special_authority>("[2, {}]"), "[0]: 2 is out of range for this static_variant");
  EXPECT_EQ(error_of<special_authority>("[1, {\"asset\": \"1.3.1\"}]"), "[1]: missing field \"num_top_holders\"");
  EXPECT_EQ(error_of<special_authority>("{}"), "expected [tag, value]");
  EXPECT_EQ(error_of<std::vector<std::uint8_t>>("\"abc\""), "hex string has an odd length");
  EXPECT_EQ(error_of<signature_type>("\"00\""),
            "expected 65 bytes of hex (130 characters), got 2 characters");
  EXPECT_EQ(error_of<bool>("0"), "expected true or false, got 0");
  EXPECT_EQ(error_of<std::string>("5"), "expected a string, got 5");
  std::string text;
  EXPECT_THROW(from_json(boost::json::value(boost::json::string("\xc3\x28")), text), input_error);
  from_json(boost::json::value("\xc3\xbc"), text);
  EXPECT_EQ(text, "\xc3\xbc");
}

TEST(Json, ParseReportsLineAndColumn) {
  try {
    parse_json("{\n  \"a\": [1,\n  2,,\n]}", "tx.json");
    FAIL();
  } catch (const input_error& e) {
    EXPECT_EQ(e.where(), "tx.json:3:5");
    EXPECT_EQ(e.problem(), "malformed JSON: syntax error");
  }
  EXPECT_EQ(parse_json(" {\"a\": 1} \n").at("a").as_int64(), 1);
  // Nesting beyond 64 levels is refused by the parser, before any codec sees it.
  EXPECT_THROW(parse_json(std::string(100, '[') + std::string(100, ']')), input_error);
}

TEST(Transaction, TaposSigningAndRecovery) {
  signed_transaction tx = transaction_from_json(transfer_tx());
  block_id_type block;
  from_hex_exact("01f82b16db7ae25a4b9706b36c259438a9d4c8d1", block);
  tx.set_reference_block(block);
  EXPECT_EQ(tx.ref_block_num, 11030);
  EXPECT_EQ(tx.ref_block_prefix, 1524792027u);
  tx.set_expiration(time_point_sec{1544611485});
  EXPECT_EQ(json_of(tx.expiration), "\"2018-12-12T10:44:45\"");

  const chain_id_type chain = chain_id_from_hex("4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8");
  const auto a = crypto::private_key::from_seed("nathan");
  const auto b = crypto::private_key::from_seed("init0");
  tx.sign(a, chain);
  tx.sign(b, chain);
  const auto keys = tx.get_signature_keys(chain);
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(crypto::to_string(keys[0]), nathan);
  EXPECT_EQ(keys[1], b.get_public_key());

  // The same key twice is what bitshares-core calls "Duplicate Signature detected".
  signed_transaction twice = tx;
  twice.signatures = {tx.signatures[0], tx.signatures[0]};
  try {
    twice.get_signature_keys(chain);
    FAIL();
  } catch (const input_error& e) {
    EXPECT_EQ(std::string(e.what()), "signatures[1]: duplicate signature: the key already signed");
  }
  // A signature that is not canonical (s with its top bit set) is refused like the node does.
  signed_transaction bad = tx;
  bad.signatures.resize(1);
  bad.signatures[0][33] |= 0x80;
  EXPECT_THROW(bad.get_signature_keys(chain), input_error);

  EXPECT_EQ(to_hex(chain_id_from_hex(std::string(64, 'A'))), std::string(64, 'a'));
  EXPECT_THROW(chain_id_from_hex("zz"), input_error);
}

}  // namespace
}  // namespace bts::protocol
