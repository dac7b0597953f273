// Rejection keys and sides (stats/rejection.hpp) on the errors witness_node answers
// (tests/testdata/witness_node_errors.json), and the bounds on their number.
#include "stats/rejection.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <fstream>
#include <sstream>

namespace bts::stats {
namespace {

namespace json = boost::json;

json::value read_vectors() {
  std::ifstream in(std::string(BTS_TESTDATA_DIR) + "/witness_node_errors.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

TEST(RejectionTest, WitnessNodeErrorsGiveTheirKeyAndSide) {
  const json::value v = read_vectors();
  const json::array& errors = v.at("errors").as_array();
  ASSERT_GE(errors.size(), 10u);
  for (const json::value& e : errors) {
    const json::object& err = e.at("error").as_object();
    const std::string key = rejection_key(err.at("code").to_number<std::int64_t>(),
                                          err.at("message").as_string(), err.at("data"));
    EXPECT_EQ(key, e.at("key").as_string()) << e.at("case").as_string();
    EXPECT_EQ(to_string(side_of(key)), e.at("side").as_string()) << e.at("case").as_string();
  }
}

// Without error.data, the key comes from error.message (formatted, so numbers are dropped); for
// asserts it is the same key (a specific exception's name is not in the message: its what() is).
TEST(RejectionTest, MessageOnlyGivesTheSameKeyAsTheData) {
  const json::value v = read_vectors();
  for (const json::value& e : v.at("errors").as_array()) {
    const json::object& err = e.at("error").as_object();
    const std::int64_t code = err.at("code").to_number<std::int64_t>();
    if (code != 10) continue;
    EXPECT_EQ(rejection_key(code, err.at("message").as_string(), nullptr), e.at("key").as_string())
        << e.at("case").as_string();
  }
}

TEST(RejectionTest, NothingToReadGivesTheCodeAlone) {
  EXPECT_EQ(rejection_key(10, "", nullptr), "fc:10");
  EXPECT_EQ(rejection_key(4010001,
                          "Execution error: missing required active authority: Missing "
                          "Active Authority 1.2.17",
                          nullptr),
            "fc:4010001 missing_required_active_authority");
  EXPECT_EQ(side_of("fc:10"), rejection_side::network);
}

TEST(RejectionTest, CategoriesAreNetworkSide) {
  for (const char* k : {"timeout", "disconnected", "protocol", "fc:10 other", "fc:0 busy"}) {
    EXPECT_EQ(side_of(k), rejection_side::network) << k;
  }
  EXPECT_EQ(side_of("fc:10 other_beacon_side"), rejection_side::beacon);
  EXPECT_EQ(side_of("fc:4010002 tx_missing_owner_auth"), rejection_side::beacon);
  EXPECT_EQ(side_of("fc:40100021 something"), rejection_side::network);
}

TEST(RejectionTest, KindsAreCappedAndHoldNoNumbers) {
  const std::string long_expr(200, 'x');
  const std::string key = rejection_key(10, "", json::parse(R"({"name":"assert_exception",
      "stack":[{"format":")" + long_expr + R"(: "}]})"));
  EXPECT_EQ(key, "fc:10 " + std::string(max_kind_length, 'x'));
  const auto k1 =
      rejection_key(0, "Execution error: unspecified: Account 1.2.17 busy 12x", nullptr);
  const auto k2 =
      rejection_key(0, "Execution error: unspecified: Account 1.2.99 busy 13x", nullptr);
  EXPECT_EQ(k1, "fc:0 account_busy");
  EXPECT_EQ(k1, k2);
}

TEST(RejectionTest, DistinctReasonsFoldPastTheCapKeepingCodeAndSide) {
  std::map<std::string, std::int64_t> m;
  for (std::size_t i = 0; i < max_reasons; ++i)
    add_rejection(m, "fc:0 kind_" + std::string(1, char('a' + i)), 1);
  ASSERT_EQ(m.size(), max_reasons);
  add_rejection(m, "fc:0 kind_a", 2);  // a known key is never folded
  EXPECT_EQ(m.at("fc:0 kind_a"), 3);
  add_rejection(m, "fc:10 insufficient_balance", 5);
  add_rejection(m, "fc:10 something_else", 7);
  add_rejection(m, "fc:10 something_more", 1);
  EXPECT_EQ(m.size(), max_reasons + 2);
  EXPECT_EQ(m.at("fc:10 other_beacon_side"), 5);
  EXPECT_EQ(m.at("fc:10 other"), 8);
  const side_totals t = totals_by_side(m);
  EXPECT_EQ(t.beacon, 5);
  EXPECT_EQ(t.network, static_cast<std::int64_t>(max_reasons) + 2 + 8);
  for (int i = 0; i < 100; ++i) add_rejection(m, "fc:" + std::to_string(100 + i) + " x", 1);
  // Folds per code until twice the cap, then one fold for all codes.
  EXPECT_EQ(m.size(), 2 * max_reasons + 1);
  EXPECT_EQ(m.at("fc:* other"), 100 - static_cast<std::int64_t>(max_reasons - 2));
}

TEST(RejectionTest, ReasonsTextListsOneSideMostFrequentFirst) {
  const std::map<std::string, std::int64_t> m{
      {"fc:10 insufficient_balance", 91071}, {"fc:10 now <= trx.expiration", 3}, {"timeout", 50}};
  EXPECT_EQ(reasons_text(m, rejection_side::beacon),
            "fc:10 insufficient_balance: 91,071, fc:10 now <= trx.expiration: 3");
  EXPECT_EQ(reasons_text(m, rejection_side::network), "timeout: 50");
  EXPECT_EQ(reasons_text(m, rejection_side::beacon, 1),
            "fc:10 insufficient_balance: 91,071 and 1 more");
  const json::object s = sides_json(m);
  EXPECT_EQ(s.at("beacon").as_int64(), 91074);
  EXPECT_EQ(s.at("network").as_int64(), 50);
}

}  // namespace
}  // namespace bts::stats
