// `bts-infra tx sign` / `tx decode` through bts::cli::run with string streams.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <cstdio>
#include <unistd.h>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command.hpp"

namespace bts::cli {
namespace {

constexpr const char* nathan_wif = "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3";
constexpr const char* mainnet = "4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8";
constexpr const char* testnet = "39f5e2ede1f8bc1a3a54a7914414e3779e33193f1f5693510e73cb7a87617447";

// Vector derived_limit_order_create_testnet (tests/testdata/bitshares-vectors.json).
constexpr const char* limit_order_json = R"({
  "ref_block_num": 11030, "ref_block_prefix": 1524792027, "expiration": "2018-12-12T10:44:45",
  "operations": [[1, {"fee": {"amount": 578, "asset_id": "1.3.0"}, "seller": "1.2.100",
    "amount_to_sell": {"amount": "5000000000", "asset_id": "1.3.0"},
    "min_to_receive": {"amount": 2500000, "asset_id": "1.3.121"},
    "expiration": "2019-12-12T10:44:15", "fill_or_kill": false, "extensions": []}]],
  "extensions": []
})";
constexpr const char* limit_order_unsigned_hex =
    "162bdb7ae25a9de6105c01014202000000000000006400f2052a0100000000a02526000000000079ff19f25d00"
    "0000";
constexpr const char* limit_order_signature =
    "2032fdd9e54bb08dd9f2f2a9bf8c4a513de3d1378831b81d70cb956d9feac366886f69d50a5d4c97d1a333db4e"
    "92d706b1a79791857adeaf4cd8b540626d58498f";
// bitshares-core's JSON form of the signed transaction: reflection order, int64 beyond int32 as
// a string, extension<options_type> as an object.
const std::string limit_order_signed_json =
    std::string(R"({"ref_block_num":11030,"ref_block_prefix":1524792027,"expiration":"2018-12-12T10:44:45",)"
                R"("operations":[[1,{"fee":{"amount":578,"asset_id":"1.3.0"},"seller":"1.2.100",)"
                R"("amount_to_sell":{"amount":"5000000000","asset_id":"1.3.0"},)"
                R"("min_to_receive":{"amount":2500000,"asset_id":"1.3.121"},)"
                R"("expiration":"2019-12-12T10:44:15","fill_or_kill":false,"extensions":{}}]],)"
                R"("extensions":[],"signatures":[")") +
    limit_order_signature + "\"]}";

// Vector derived_transfer_no_memo_mainnet.
constexpr const char* transfer_json = R"({
  "ref_block_num": 11030, "ref_block_prefix": 1524792027, "expiration": "2018-12-12T10:44:45",
  "operations": [[0, {"fee": {"amount": 86869, "asset_id": "1.3.0"}, "from": "1.2.100",
    "to": "1.2.101", "amount": {"amount": 123456, "asset_id": "1.3.0"}, "extensions": []}]],
  "extensions": []
})";
constexpr const char* transfer_id = "6fe064690d8214251c4f8104a00445cee2202756";

struct result {
  int code;
  std::string out;
  std::string err;
};

result run_tx(std::vector<std::string> args, const std::string& stdin_text = "") {
  args.insert(args.begin(), {"bts-infra", "tx"});
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  std::istringstream in(stdin_text);
  std::ostringstream out;
  std::ostringstream err;
  io streams{in, out, err};
  const int code = run(static_cast<int>(argv.size()), argv.data(), streams);
  return {code, out.str(), err.str()};
}

// A bad-input failure: exit code 2, nothing on stdout, exactly `line` (plus newline) on stderr.
void expect_error_line(const result& r, const std::string& line) {
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, line + "\n");
}

// Replaces one occurrence of `from` in `text`.
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    char name[] = "/tmp/bts_tx_test_XXXXXX";
    const int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    path_ = name;
    std::ofstream(path_) << content;
    ::close(fd);
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(TxSign, PrintsBytesDigestIdAndSignedTransactionForAVector) {
  const result r = run_tx({"sign", "--chain-id", testnet, "--wif", nathan_wif}, limit_order_json);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, std::string(R"({"unsigned_hex":")") + limit_order_unsigned_hex +
                       R"(","digest":"b28463776afd6b508edf3ef3a5f3d9f32673afcd8c19da7c1c5049a985ff7929",)"
                       R"("id":"7b1879b649a1eed2d8081a95a2fda5568c900e7a","signed_transaction":)" +
                       limit_order_signed_json + "}\n");
}

TEST(TxSign, ReadsAFileAndKeysFromAFileAndTheEnvironment) {
  const TempFile tx(transfer_json);
  const TempFile keys(std::string("# signer\n\n") + nathan_wif + "\n");
  const result from_file = run_tx({"sign", "--chain-id", mainnet, "--wif-file", keys.path(), tx.path()});
  ASSERT_EQ(from_file.code, 0) << from_file.err;
  const auto json = boost::json::parse(from_file.out);
  EXPECT_EQ(json.at("id").as_string(), transfer_id);
  EXPECT_EQ(json.at("signed_transaction").at("signatures").as_array().size(), 1u);

  ::setenv("BTS_WIF", (std::string(" ") + nathan_wif + " ,").c_str(), 1);
  const result from_env = run_tx({"sign", "--chain-id", mainnet, "-"}, transfer_json);
  ::unsetenv("BTS_WIF");
  EXPECT_EQ(from_env.code, 0) << from_env.err;
  EXPECT_EQ(from_env.out, from_file.out);
}

TEST(TxSign, HelpDocumentsTheKeySources) {
  const result r = run_tx({"sign", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--wif-file"), std::string::npos);
  EXPECT_NE(r.out.find("BTS_WIF"), std::string::npos);
}

TEST(TxDecode, PrintsTheJsonOfSignedAndUnsignedBytes) {
  const result signed_form =
      run_tx({"decode", std::string(limit_order_unsigned_hex) + "01" + limit_order_signature});
  EXPECT_EQ(signed_form.code, 0) << signed_form.err;
  EXPECT_EQ(signed_form.out, limit_order_signed_json + "\n");

  const result unsigned_form = run_tx({"decode", limit_order_unsigned_hex});
  EXPECT_EQ(unsigned_form.code, 0) << unsigned_form.err;
  EXPECT_EQ(unsigned_form.out,
            replaced(limit_order_signed_json, std::string("\"") + limit_order_signature + "\"", "") + "\n");

  const result from_stdin = run_tx({"decode", "-"}, std::string(limit_order_unsigned_hex) + "\n");
  EXPECT_EQ(from_stdin.out, unsigned_form.out);
}

TEST(TxDecode, KeyPrefixIsConfigurable) {
  const std::string hex =
      "f68585abf4dce7c804570100000000000000000000000140420f0000000000040102c0ded2bc1f1305fb0faac5e6"
      "c03ee3a1924234985427b6167ca569d13df435cf02c0ded2bc1f1305fb0faac5e6c03ee3a1924234985427b616"
      "7ca569d13df435cf8c94d19817945c5120fa5b6e83079a878e499e2e52a76a7739e9de40986a8e3bd8a68ce316"
      "cee50b210000";
  const result r = run_tx({"decode", "--prefix", "TEST", hex});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find(R"("from":"TEST6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV")"),
            std::string::npos);
  EXPECT_NE(r.out.find(R"("nonce":"5862723643998573708")"), std::string::npos);
}

// ---- bad input: exit 2, one stderr line, no stdout ---------------------------------------------

TEST(TxSignErrors, MalformedJsonReportsLineAndColumn) {
  expect_error_line(run_tx({"sign", "--chain-id", mainnet, "--wif", nathan_wif},
                           "{\n  \"ref_block_num\": 1,\n  oops\n}"),
                    "bts-infra tx sign: stdin:3:3: malformed JSON: syntax error");
  expect_error_line(run_tx({"sign", "--chain-id", mainnet, "--wif", nathan_wif}, "{} {}"),
                    "bts-infra tx sign: stdin:1:4: malformed JSON: extra data");
  expect_error_line(run_tx({"sign", "--chain-id", mainnet, "--wif", nathan_wif}, "{\"a\": "),
                    "bts-infra tx sign: stdin:1:7: malformed JSON: incomplete JSON");
}

TEST(TxSignErrors, UnsupportedAndUnknownOperations) {
  const std::string proposal = replaced(transfer_json, "[[0, {", "[[22, {");
  expect_error_line(run_tx({"sign", "--chain-id", mainnet, "--wif", nathan_wif}, proposal),
                    "bts-infra tx sign: operations[0][0]: operation 22 (proposal_create) is not "
                    "supported yet");
  const std::string unknown = replaced(transfer_json, "[[0, {", "[[\"teleport\", {");
  expect_error_line(run_tx({"sign", "--chain-id", mainnet, "--wif", nathan_wif}, unknown),
                    "bts-infra tx sign: operations[0][0]: unknown operation \"teleport\"");
  const std::string by_name = replaced(transfer_json, "[[0, {", "[[\"transfer\", {");
  EXPECT_EQ(run_tx({"sign", "--chain-id", mainnet, "--wif", nathan_wif}, by_name).out,
            run_tx({"sign", "--chain-id", mainnet, "--wif", nathan_wif}, transfer_json).out);
}

TEST(TxSignErrors, WrongTypesAndRanges) {
  const auto sign = [](const std::string& json) {
    return run_tx({"sign", "--chain-id", mainnet, "--wif", nathan_wif}, json);
  };
  expect_error_line(sign(replaced(transfer_json, "\"amount\": 123456", "\"amount\": \"lots\"")),
                    "bts-infra tx sign: operations[0][1].amount.amount: expected an integer, got "
                    "\"lots\"");
  expect_error_line(sign(replaced(transfer_json, "\"from\": \"1.2.100\"", "\"from\": \"1.3.0\"")),
                    "bts-infra tx sign: operations[0][1].from: expected an account id (1.2.x)");
  expect_error_line(sign(replaced(transfer_json, "\"ref_block_num\": 11030", "\"ref_block_num\": 70000")),
                    "bts-infra tx sign: ref_block_num: 70000 is out of range for uint16");
  expect_error_line(sign(replaced(transfer_json, "\"to\": \"1.2.101\",", "")),
                    "bts-infra tx sign: operations[0][1]: missing field \"to\"");
  expect_error_line(sign(replaced(transfer_json, "\"to\": \"1.2.101\",", "\"to\": \"1.2.101\", \"bogus\": 1,")),
                    "bts-infra tx sign: operations[0][1].bogus: unknown field");
}

TEST(TxSignErrors, BadKeysAndChainIds) {
  // A public key with a broken checksum (last character changed).
  const std::string memo = replaced(
      transfer_json, "\"extensions\": []}]]",
      "\"memo\": {\"from\": \"BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CW\", "
      "\"to\": \"BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV\", \"nonce\": 1, "
      "\"message\": \"\"}, \"extensions\": []}]]");
  expect_error_line(run_tx({"sign", "--chain-id", mainnet, "--wif", nathan_wif}, memo),
                    "bts-infra tx sign: operations[0][1].memo.from: public key checksum mismatch");

  const std::string bad_wif = "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD4";
  const result wif = run_tx({"sign", "--chain-id", mainnet, "--wif", bad_wif}, transfer_json);
  EXPECT_EQ(wif.code, 2);
  EXPECT_EQ(wif.out, "");
  EXPECT_EQ(wif.err.rfind("bts-infra tx sign: --wif #1: ", 0), 0u) << wif.err;
  EXPECT_EQ(wif.err.find(bad_wif), std::string::npos) << "the key must never be echoed";

  expect_error_line(run_tx({"sign", "--chain-id", "4018d784", "--wif", nathan_wif}, transfer_json),
                    "bts-infra tx sign: --chain-id: chain id must be 32 bytes of hex: expected 32 "
                    "bytes of hex (64 characters), got 8 characters");
  expect_error_line(run_tx({"sign", "--chain-id", mainnet}, transfer_json),
                    "bts-infra tx sign: no signing key: give --wif, --wif-file or the environment "
                    "variable BTS_WIF");
  expect_error_line(run_tx({"sign", "--chain-id", mainnet, "--wif", nathan_wif, "--wif", nathan_wif},
                           transfer_json),
                    "bts-infra tx sign: --wif #2: the same key as --wif #1 (bitshares-core rejects "
                    "duplicate signatures)");
  const result missing = run_tx({"sign", "--chain-id", mainnet, "--wif", nathan_wif, "/nonexistent/tx.json"});
  expect_error_line(missing, "bts-infra tx sign: /nonexistent/tx.json: cannot open: No such file or directory");
}

TEST(TxDecodeErrors, TruncatedTrailingAndUnsupportedBytes) {
  expect_error_line(run_tx({"decode", "f68585abf4dce7c80457010000"}),
                    "bts-infra tx decode: operations[0][1].fee.amount: unexpected end of data at "
                    "byte 12");
  expect_error_line(run_tx({"decode", "f68585abf4dce7c8045700000000"}),
                    "bts-infra tx decode: 1 trailing bytes after the transaction at byte 13");
  expect_error_line(run_tx({"decode", "f68585abf4dce7c804570116"}),
                    "bts-infra tx decode: operations[0][0]: operation 22 (proposal_create) is not "
                    "supported yet (tag at byte 11)");
  expect_error_line(run_tx({"decode", "f68585abf4dce7c80457zz"}),
                    "bts-infra tx decode: HEX: not hex at offset 20");
}

}  // namespace
}  // namespace bts::cli
