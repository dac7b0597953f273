#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "uptime/condition.hpp"
#include "util/error.hpp"

namespace bts::uptime {
namespace {

namespace json = boost::json;

bool check(const char* text, const facts& f) {
  return evaluate(parse_condition(text, "t.yaml:1"), f).passed;
}

TEST(Condition, GatusPlaceholders) {
  facts f;
  f.connected = true;
  f.status = 200;
  f.response_time_ms = 120;
  f.certificate_expiration_ms = 10.0 * 86'400'000;  // 10 days
  EXPECT_TRUE(check("[STATUS] == 200", f));
  EXPECT_FALSE(check("[STATUS] != 200", f));
  EXPECT_TRUE(check("[RESPONSE_TIME] < 500", f));
  EXPECT_FALSE(check("[RESPONSE_TIME] < 100", f));
  EXPECT_TRUE(check("[RESPONSE_TIME] <= 1s", f));
  EXPECT_TRUE(check("[CONNECTED] == true", f));
  EXPECT_FALSE(check("[CERTIFICATE_EXPIRATION] > 336h", f));
  EXPECT_TRUE(check("[CERTIFICATE_EXPIRATION] > 48h", f));
  EXPECT_TRUE(check("[CERTIFICATE_EXPIRATION] >= 7d", f));
}

TEST(Condition, BodyJsonPaths) {
  facts f;
  f.body =
      json::parse(R"({"data":[{"id":1,"name":"a"}],"result":{"head_block_number":42,"ok":true}})");
  EXPECT_TRUE(check("[BODY].data[0].id == 1", f));
  EXPECT_TRUE(check("[BODY].data[0].name == a", f));
  EXPECT_TRUE(check("[BODY].result.head_block_number > 40", f));
  EXPECT_TRUE(check("[BODY].result.ok == true", f));
  EXPECT_TRUE(check("len([BODY].data) == 1", f));
  const auto e = evaluate(parse_condition("[BODY].data[3].id == 1", "x"), f);
  EXPECT_FALSE(e.passed);
  EXPECT_EQ(e.description, "[BODY].data[3].id (missing) == 1");
}

TEST(Condition, BitSharesPlaceholders) {
  facts f;
  f.connected = true;
  f.chain_id = "4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8";
  f.head_block_age_ms = 95'000;
  f.head_block_lag = 2;
  f.participation = 87.5;
  f.api_sets = std::vector<std::string>{"database", "network_broadcast", "history"};
  f.last_irreversible_lag = 15;
  EXPECT_TRUE(
      check("[CHAIN_ID] == 4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8", f));
  EXPECT_FALSE(
      check("[CHAIN_ID] == 39f5e2ede1f8bc1a3a54a7914414e3779e33193f1f5693510e73cb7a87617447", f));
  EXPECT_FALSE(check("[HEAD_BLOCK_AGE] < 30s", f));
  EXPECT_TRUE(check("[HEAD_BLOCK_AGE] < 2m", f));
  EXPECT_TRUE(check("[HEAD_BLOCK_LAG] <= 3", f));
  EXPECT_FALSE(check("[PARTICIPATION] >= 90", f));
  EXPECT_TRUE(check("[API_SETS] has history", f));
  EXPECT_FALSE(check("[API_SETS] has orders", f));
  EXPECT_TRUE(check("[API_SETS] !has orders", f));
  f.api_sets = std::vector<std::string>{"database_api", "history_api"};  // bitshares-core's names
  EXPECT_TRUE(check("[API_SETS] has history", f));
  EXPECT_TRUE(check("[API_SETS] has history_api", f));
  EXPECT_FALSE(check("[API_SETS] has orders", f));
  f.api_sets = std::vector<std::string>{"database", "network_broadcast", "history"};
  EXPECT_TRUE(check("len([API_SETS]) >= 3", f));
  EXPECT_TRUE(check("[LAST_IRREVERSIBLE_LAG] < 50", f));
  const auto e = evaluate(parse_condition("[HEAD_BLOCK_AGE] < 30s", "x"), f);
  EXPECT_EQ(e.description, "[HEAD_BLOCK_AGE] (1m 35s) < 30s");
}

TEST(Condition, MissingValuesFail) {
  facts f;  // nothing connected
  EXPECT_FALSE(check("[CHAIN_ID] == abc", f));
  EXPECT_FALSE(check("[CHAIN_ID] != abc", f));  // missing never passes
  EXPECT_FALSE(check("[CONNECTED] == true", f));
  EXPECT_TRUE(check("[CONNECTED] == false", f));
  EXPECT_EQ(evaluate(parse_condition("[HEAD_BLOCK_LAG] < 3", "x"), f).description,
            "[HEAD_BLOCK_LAG] (missing) < 3");
}

void expect_error(const char* text, const char* fragment) {
  try {
    parse_condition(text, "uptime.yaml:12");
    ADD_FAILURE() << "accepted " << text;
  } catch (const input_error& e) {
    EXPECT_EQ(e.where(), "uptime.yaml:12");
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

TEST(Condition, ParseErrorsNameTheExpectedForm) {
  expect_error("[STATUS] = 200",
               "expected an operator (==, !=, <, <=, >, >=, has, !has) after [STATUS]");
  expect_error("[STATUS]", "expected an operator");
  expect_error("[STAUS] == 200", "unknown placeholder [STAUS]");
  expect_error("[STATUS] ==", "expected a value after the operator");
  expect_error("", "expected a condition such as [STATUS] == 200");
  expect_error("[STATUS] == 200 300", "unexpected \"300\"");
  expect_error("[CHAIN_ID].x == 1", "only [BODY] takes a JSON path");
  expect_error("[BODY].a[x] == 1", "expected an array index such as [0]");
  expect_error("[STATUS] has x", "`has` expects a list on the left");
  expect_error("len([API_SETS] > 1", "expected ')' closing len(");
}

TEST(Condition, Durations) {
  EXPECT_EQ(parse_duration_ms("500ms").value(), 500);
  EXPECT_EQ(parse_duration_ms("30s").value(), 30'000);
  EXPECT_EQ(parse_duration_ms("336h").value(), 336.0 * 3'600'000);
  EXPECT_EQ(parse_duration_ms("14d").value(), 14.0 * 86'400'000);
  EXPECT_EQ(parse_duration_ms("250").value(), 250);
  EXPECT_FALSE(parse_duration_ms("30x"));
  EXPECT_FALSE(parse_duration_ms("s"));
  EXPECT_EQ(format_duration_ms(350), "350ms");
  EXPECT_EQ(format_duration_ms(1500), "1.5s");
  EXPECT_EQ(format_duration_ms(95'000), "1m 35s");
  EXPECT_EQ(format_duration_ms(26.5 * 3'600'000), "26h 30m");
  EXPECT_EQ(format_duration_ms(15.25 * 86'400'000), "15d 6h");
}

}  // namespace
}  // namespace bts::uptime
