#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "crypto/keys.hpp"

namespace bts::cli {
namespace {

constexpr const char* nathan_wif = "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3";
constexpr const char* nathan_pub = "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV";
constexpr const char* nathan_address = "BTSFAbAx7yuxt725qSZvfwWqkdCwp9ZnUama";
constexpr const char* brain_key =
    "COLORER BICORN KASBEKE FAERIE LOCHIA GOMUTI SOVKHOZ Y GERMAL AUNTIE PERFUMY TIME FEATURE "
    "GANGAN CELEMIN MATZO";

struct result {
  int code;
  std::string out;
  std::string err;
};

result run_key(std::vector<std::string> args, const std::string& stdin_text = "") {
  args.insert(args.begin(), {"bts-infra", "key"});
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  std::istringstream in(stdin_text);
  std::ostringstream out;
  std::ostringstream err;
  io streams{in, out, err};
  const int code = run(static_cast<int>(argv.size()), argv.data(), streams);
  return {code, out.str(), err.str()};
}

// Parses stdout as exactly one JSON object followed by one newline.
boost::json::object json_line(const result& r) {
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_FALSE(r.out.empty());
  EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << r.out;
  return boost::json::parse(r.out).as_object();
}

// A bad-input failure: exit code 2, nothing on stdout, exactly one line on stderr.
void expect_usage_error(const result& r, const std::string& contains) {
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_NE(r.err.find(contains), std::string::npos) << r.err;
}

TEST(KeyCommand, WifPrintsPublicKeyAndAddress) {
  const result r = run_key({"--wif", nathan_wif});
  EXPECT_EQ(r.out, std::string("{\"public_key\":\"") + nathan_pub + "\",\"address\":\"" +
                       nathan_address + "\"}\n");
  const boost::json::object obj = json_line(r);
  EXPECT_EQ(obj.size(), 2u);
  EXPECT_EQ(obj.at("public_key").as_string(), nathan_pub);
  EXPECT_EQ(obj.at("address").as_string(), nathan_address);
}

TEST(KeyCommand, WifWithPrefix) {
  const boost::json::object obj = json_line(run_key({"--wif", nathan_wif, "--prefix", "TEST"}));
  EXPECT_EQ(obj.at("public_key").as_string(),
            "TEST6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV");
  EXPECT_EQ(obj.at("address").as_string(), "TESTFAbAx7yuxt725qSZvfwWqkdCwp9ZnUama");
}

TEST(KeyCommand, WifFromStdin) {
  for (const std::string& input : {std::string(nathan_wif) + "\n", std::string(nathan_wif),
                                   "  " + std::string(nathan_wif) + " \r\nignored second line\n"}) {
    const boost::json::object obj = json_line(run_key({"--wif", "-"}, input));
    EXPECT_EQ(obj.at("public_key").as_string(), nathan_pub);
  }
  const boost::json::object eq = json_line(run_key({"--wif=-"}, nathan_wif));
  EXPECT_EQ(eq.at("address").as_string(), nathan_address);
}

TEST(KeyCommand, WifFromEmptyStdin) {
  expect_usage_error(run_key({"--wif", "-"}, ""), "--wif: expected the secret on the first line");
}

TEST(KeyCommand, BadWif) {
  const result r = run_key({"--wif", "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD4"});
  expect_usage_error(r, "");
  EXPECT_EQ(r.err, "bts-infra key: --wif: WIF checksum mismatch\n");
  expect_usage_error(run_key({"--wif", nathan_pub}), "bts-infra key: --wif: not a WIF private key");
  expect_usage_error(
      run_key({"--wif", "-"}, "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD4\n"),
      "bts-infra key: --wif: WIF checksum mismatch");
}

TEST(KeyCommand, BrainKeyDefaultSequenceIsZero) {
  const boost::json::object obj = json_line(run_key({"--brain-key", brain_key}));
  EXPECT_EQ(obj.size(), 2u);
  EXPECT_EQ(obj.at("wif").as_string(), "5JfwDztjHYDDdKnCpjY6cwUQfM4hbtYmSJLjGd9KTpk9J4H2jDZ");
  const auto key = crypto::private_key::from_wif(obj.at("wif").as_string());
  EXPECT_EQ(obj.at("public_key").as_string(), crypto::to_string(key.get_public_key()));
  // Key order is part of the output contract.
  EXPECT_EQ(run_key({"--brain-key", brain_key}).out.rfind("{\"wif\":", 0), 0u);
}

TEST(KeyCommand, BrainKeyWithSequenceAndPrefix) {
  const boost::json::object obj =
      json_line(run_key({"--brain-key", brain_key, "--sequence", "1", "--prefix", "GPH"}));
  EXPECT_EQ(obj.at("wif").as_string(), "5Hsbn6kXio4bb7eW5bX7kTp2sdkmbzP8kGWoau46Cf7en7T1RRE");
  EXPECT_EQ(obj.at("public_key").as_string(),
            "GPH6Lduu3V4hoDBeasWrdG45tAGeKG4b7XZFqF4GiryqTNZmWDdW7");
}

TEST(KeyCommand, BrainKeyFromStdinIsNormalised) {
  std::string messy = "  ";
  for (char c : std::string(brain_key))
    messy += c == ' ' ? std::string("\t  ") : std::string(1, static_cast<char>(std::tolower(c)));
  const boost::json::object obj =
      json_line(run_key({"--brain-key", "-", "--sequence", "10"}, messy + "\n"));
  EXPECT_EQ(obj.at("wif").as_string(), "5KDGhQUqQmwcGQ9tegimSyyT4vmH8h2fMzoNe1MT9bEGvRvR6kD");
  expect_usage_error(run_key({"--brain-key", "-"}, "   \n"), "--brain-key: brain key is empty");
}

TEST(KeyCommand, Generate) {
  const boost::json::object a = json_line(run_key({"--generate"}));
  const boost::json::object b = json_line(run_key({"--generate", "--prefix", "TEST"}));
  EXPECT_EQ(a.size(), 2u);
  EXPECT_NE(a.at("wif"), b.at("wif"));
  for (const boost::json::object* obj : {&a, &b}) {
    const auto key = crypto::private_key::from_wif(obj->at("wif").as_string());
    const std::string pub(obj->at("public_key").as_string());
    EXPECT_EQ(crypto::public_key_from_string(pub), key.get_public_key());
  }
  EXPECT_TRUE(a.at("public_key").as_string().starts_with("BTS"));
  EXPECT_TRUE(b.at("public_key").as_string().starts_with("TEST"));
}

TEST(KeyCommand, ExactlyOneMode) {
  expect_usage_error(run_key({}), "use exactly one of --wif, --brain-key or --generate");
  expect_usage_error(run_key({"--wif", nathan_wif, "--generate"}), "use exactly one of");
  expect_usage_error(run_key({"--wif", nathan_wif, "--brain-key", brain_key}),
                     "use exactly one of");
  expect_usage_error(run_key({"--brain-key", brain_key, "--generate"}), "use exactly one of");
}

TEST(KeyCommand, FlagErrors) {
  expect_usage_error(run_key({"--wif", nathan_wif, "--sequence", "2"}),
                     "--sequence: only applies to --brain-key");
  expect_usage_error(run_key({"--brain-key", brain_key, "--sequence", "-1"}), "--sequence");
  expect_usage_error(run_key({"--brain-key", brain_key, "--sequence", "x"}), "--sequence");
  expect_usage_error(run_key({"--generate", "--prefix", "B7S"}), "--prefix: must be letters only");
  expect_usage_error(run_key({"--generate", "--prefix", ""}), "--prefix: must be letters only");
  expect_usage_error(run_key({"--wif"}), "--wif");
  expect_usage_error(run_key({"--bogus"}), "bogus");
}

TEST(KeyCommand, HelpDocumentsStdin) {
  const result r = run_key({"--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--wif"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("stdin"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--brain-key"), std::string::npos);
  EXPECT_NE(r.out.find("--generate"), std::string::npos);
}

}  // namespace
}  // namespace bts::cli
