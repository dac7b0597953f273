// Message shapes, number helpers, URLs and backoff: no sockets.
#include "rpc/json_rpc.hpp"
#include "rpc/backoff.hpp"
#include "rpc/url.hpp"
#include "util/error.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace bts::rpc {
namespace {

TEST(Int64Helpers, AcceptNumbersAndNumericStrings) {
  EXPECT_EQ(as_int64(json::value(42)), 42);
  EXPECT_EQ(as_int64(json::value(-7)), -7);
  EXPECT_EQ(as_int64(json::value("9223372036854775807")), INT64_MAX);
  EXPECT_EQ(as_int64(json::value("-9223372036854775808")), INT64_MIN);
  EXPECT_EQ(as_int64(json::value(3.0)), 3);
  EXPECT_EQ(as_uint64(json::value("18446744073709551615")), UINT64_MAX);
  EXPECT_EQ(as_uint64(json::value(std::uint64_t{1} << 63)), std::uint64_t{1} << 63);
  EXPECT_EQ(as_uint64(json::parse("100000000000")), 100000000000u);
}

TEST(Int64Helpers, RejectWithAClearMessage) {
  const auto message = [](auto f) -> std::string {
    try {
      f();
    } catch (const input_error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_EQ(message([] { as_int64(json::value("12a")); }),
            "expected an int64 (number or numeric string), got \"12a\": not a decimal integer");
  EXPECT_EQ(message([] { as_uint64(json::value("-1")); }),
            "expected a uint64 (number or numeric string), got \"-1\": not a decimal integer");
  EXPECT_EQ(message([] { as_uint64(json::value(-1)); }),
            "expected a uint64 (number or numeric string), got -1: out of range");
  EXPECT_EQ(message([] { as_int64(json::value("9223372036854775808")); }),
            "expected an int64 (number or numeric string), got \"9223372036854775808\": out of "
            "range");
  EXPECT_EQ(message([] { as_int64(json::value(UINT64_MAX)); }),
            "expected an int64 (number or numeric string), got 18446744073709551615: out of "
            "range");
  EXPECT_EQ(message([] { as_int64(json::value(1.5)); }),
            "expected an int64 (number or numeric string), got 1.5E0: not an integer");
  EXPECT_EQ(message([] { as_int64(json::value("")); }),
            "expected an int64 (number or numeric string), got \"\": empty string");
  EXPECT_EQ(message([] { as_int64(json::value("+5")); }),
            "expected an int64 (number or numeric string), got \"+5\": not a decimal integer");
  EXPECT_EQ(message([] { as_int64(json::value(" 5")); }),
            "expected an int64 (number or numeric string), got \" 5\": not a decimal integer");
  EXPECT_EQ(message([] { as_int64(json::value(true)); }),
            "expected an int64 (number or numeric string), got true");
  EXPECT_EQ(message([] { as_uint64(json::value(nullptr)); }),
            "expected a uint64 (number or numeric string), got null");
}

TEST(Request, HasBitsharesShape) {
  std::string out;
  append_call_request(out, 7, "database", "get_chain_id", {});
  EXPECT_EQ(out, R"({"id":7,"method":"call","params":["database","get_chain_id",[]]})");
  out.clear();
  append_call_request(out, 8, 2, "broadcast_transaction", json::array{json::object{{"a", 1}}});
  EXPECT_EQ(out, R"({"id":8,"method":"call","params":[2,"broadcast_transaction",[{"a":1}]]})");
  out.clear();
  append_call_request(out, 9, std::string("we\"ird"), "m\n", json::array{"x", 1.5, nullptr});
  EXPECT_EQ(json::parse(out),
            json::parse(R"({"id":9,"method":"call","params":["we\"ird","m\n",["x",1.5,null]]})"));
}

TEST(Incoming, ClassifiesResponsesErrorsAndNotices) {
  auto r = classify_incoming(json::parse(R"({"id":3,"jsonrpc":"2.0","result":"abc"})"));
  ASSERT_EQ(r.type, incoming_message::kind::response);
  EXPECT_EQ(r.id, 3u);
  EXPECT_EQ(r.result.value(), json::value("abc"));

  r = classify_incoming(json::parse(
      R"({"id":4,"error":{"code":3030001,"message":"Execution error: dup","data":{"name":"duplicate_transaction"}}})"));
  ASSERT_EQ(r.type, incoming_message::kind::response);
  ASSERT_FALSE(r.result.ok());
  EXPECT_EQ(r.result.error().kind, error_kind::server);
  EXPECT_EQ(r.result.error().code, 3030001);
  EXPECT_EQ(r.result.error().message, "Execution error: dup");
  EXPECT_EQ(r.result.error().data.at("name"), "duplicate_transaction");

  r = classify_incoming(json::parse(R"({"id":5,"result":null})"));
  ASSERT_EQ(r.type, incoming_message::kind::response);
  EXPECT_TRUE(r.result.ok());
  EXPECT_TRUE(r.result.value().is_null());

  r = classify_incoming(json::parse(R"({"method":"notice","params":[12,["00ab"]]})"));
  ASSERT_EQ(r.type, incoming_message::kind::notice);
  EXPECT_EQ(r.callback_id, 12u);
  EXPECT_EQ(r.notice_args, (json::array{"00ab"}));

  EXPECT_EQ(classify_incoming(json::parse(R"([1,2])")).type, incoming_message::kind::invalid);
  EXPECT_EQ(classify_incoming(json::parse(R"({"id":null,"error":{"code":-32700}})")).type,
            incoming_message::kind::invalid);
  EXPECT_EQ(classify_incoming(json::parse(R"({"method":"notice","params":[1]})")).type,
            incoming_message::kind::invalid);
  EXPECT_EQ(classify_incoming(json::parse(R"({"id":"x","result":1})")).type,
            incoming_message::kind::invalid);
}

TEST(ServerParse, RejectsLikeFc) {
  const auto error_of = [](std::string_view text) {
    parsed_request p = parse_request(text);
    EXPECT_FALSE(p.request);
    return p.error_response.empty() ? json::value() : json::parse(p.error_response);
  };
  json::value e = error_of("{not json");
  EXPECT_EQ(e.at("id"), nullptr);
  EXPECT_EQ(e.at("jsonrpc"), "2.0");
  EXPECT_EQ(e.at("error").at("code"), -32700);
  EXPECT_EQ(e.at("error").at("message"), "Invalid JSON message");
  EXPECT_EQ(e.at("error").at("data").at("name"), "parse_error_exception");

  EXPECT_EQ(error_of("[]").at("error").at("message"), "Batch requests not supported");
  EXPECT_EQ(error_of("17").at("error").at("code"), -32600);
  EXPECT_EQ(error_of(R"({"id":[1],"method":"call"})").at("error").at("message"), "Invalid id");
  EXPECT_EQ(error_of(R"({"id":1,"method":""})").at("error").at("message"),
            "Missing or invalid method");
  EXPECT_EQ(error_of(R"({"id":1,"method":"call","jsonrpc":"1.0"})").at("error").at("message"),
            "Unsupported JSON-RPC version");
  EXPECT_EQ(error_of(R"({"id":1,"method":"call","params":{"a":1}})").at("error").at("code"),
            -32602);
  EXPECT_EQ(error_of(R"({"id":1,"method":"call","params":5})").at("error").at("code"), -32600);
  EXPECT_EQ(error_of(R"({"id":1})").at("error").at("message"), "Missing method or result or error");
  // A response sent to the server is ignored, not answered.
  parsed_request ignored = parse_request(R"({"id":1,"result":2})");
  EXPECT_FALSE(ignored.request);
  EXPECT_TRUE(ignored.error_response.empty());
}

TEST(ServerParse, AcceptsRequestsAndAnswersInFcFieldOrder) {
  parsed_request p =
      parse_request(R"({"id":"a","jsonrpc":"2.0","method":"call","params":[0,"m",[]]})");
  ASSERT_TRUE(p.request);
  EXPECT_TRUE(p.request->has_id);
  EXPECT_TRUE(p.request->jsonrpc);
  EXPECT_EQ(make_response(*p.request, json::value(5)), R"({"id":"a","jsonrpc":"2.0","result":5})");
  EXPECT_EQ(make_response(*p.request, rpc_error::server(10, "assert")),
            R"({"id":"a","jsonrpc":"2.0","error":{"code":10,"message":"assert"}})");

  p = parse_request(R"({"id":null,"method":"get_chain_id"})");  // 1.0: null id = notification
  ASSERT_TRUE(p.request);
  EXPECT_FALSE(p.request->has_id);
  EXPECT_EQ(make_response(*p.request, json::value(1)), "");
  EXPECT_TRUE(p.request->params.empty());

  const auto call = parse_call_params(json::array{"database", "get_objects", json::array{1}});
  ASSERT_EQ(call.index(), 0u);
  EXPECT_EQ(std::get<0>(call).api.name(), "database");
  EXPECT_EQ(std::get<0>(call).method, "get_objects");
  const auto bad = parse_call_params(json::array{"database", "get_objects"});
  ASSERT_EQ(bad.index(), 1u);
  EXPECT_EQ(std::get<1>(bad).code, -32602);
  EXPECT_EQ(make_notice(9, json::array{"x"}), R"({"method":"notice","params":[9,["x"]]})");
}

TEST(Url, ParsesSchemesHostsPortsAndPaths) {
  url u = parse_url("ws://127.0.0.1:8090");
  EXPECT_EQ(u.scheme, "ws");
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 8090);
  EXPECT_EQ(u.target, "/");
  EXPECT_FALSE(u.tls());
  EXPECT_TRUE(u.websocket());

  u = parse_url("WSS://node.example.com/ws?x=1#frag");
  EXPECT_EQ(u.scheme, "wss");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.target, "/ws?x=1");
  EXPECT_EQ(u.host_header(), "node.example.com");
  EXPECT_TRUE(u.tls());

  u = parse_url("http://[::1]:8091/rpc");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, 8091);
  EXPECT_EQ(u.host_header(), "[::1]:8091");
  EXPECT_FALSE(u.websocket());

  u = parse_url("https://alice:secret@h?q");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.user, "alice");
  EXPECT_EQ(u.password, "secret");
  EXPECT_EQ(u.target, "/?q");
  EXPECT_EQ(parse_url("http://h").port, 80);
}

TEST(Url, RejectsBadUrlsClearly) {
  const auto message = [](std::string_view text) -> std::string {
    try {
      parse_url(text);
    } catch (const input_error& e) {
      EXPECT_EQ(e.where(), "url");
      return e.problem();
    }
    return "no error";
  };
  EXPECT_EQ(message(""), "empty URL");
  EXPECT_EQ(message("127.0.0.1:8090"),
            "missing scheme (expected ws://, wss://, http:// or https://) in \"127.0.0.1:8090\"");
  EXPECT_EQ(message("ftp://x"),
            "unsupported scheme \"ftp\" (expected ws, wss, http or https) in \"ftp://x\"");
  EXPECT_EQ(message("ws://:80"), "missing host in \"ws://:80\"");
  EXPECT_EQ(message("ws://h:"), "empty port in \"ws://h:\"");
  EXPECT_EQ(message("ws://h:x1"), "port \"x1\" is not a number in \"ws://h:x1\"");
  EXPECT_EQ(message("ws://h:70000"), "port 70000 is out of range 1..65535 in \"ws://h:70000\"");
  EXPECT_EQ(message("ws://h:0"), "port 0 is out of range 1..65535 in \"ws://h:0\"");
  EXPECT_EQ(message("ws://[::1"), "unterminated '[' in IPv6 host in \"ws://[::1\"");
  EXPECT_EQ(message("ws://::1:80"),
            "IPv6 hosts must be written in brackets, e.g. ws://[::1]:8090 in \"ws://::1:80\"");
  EXPECT_EQ(message("ws://h /x"), "whitespace or control character in \"ws://h /x\"");
}

TEST(Backoff, GrowsExponentiallyWithJitterAndCap) {
  backoff_options o;
  o.initial = std::chrono::milliseconds(100);
  o.max = std::chrono::milliseconds(1000);
  o.multiplier = 2.0;
  o.jitter = 0.5;
  backoff b(o, 42);
  const long expected_base[] = {100, 200, 400, 800, 1000, 1000, 1000};
  for (long base : expected_base) {
    const long d = b.next().count();
    EXPECT_LE(d, base);
    EXPECT_GE(d, base / 2);
  }
  b.reset();
  EXPECT_LE(b.next().count(), 100);

  o.jitter = 0.0;
  backoff exact(o, 1);
  EXPECT_EQ(exact.next().count(), 100);
  EXPECT_EQ(exact.next().count(), 200);
  for (int i = 0; i < 100; ++i) exact.next();  // no overflow once capped
  EXPECT_EQ(exact.next().count(), 1000);
}

TEST(Backoff, JitterSpreadsDelays) {
  // With the base held at its cap (1000 ms) and jitter 0.5, each delay lies in [500, 1000] ms
  // and the draws cover that range evenly: every 50 ms bucket gets some, none gets most.
  backoff_options o;
  o.initial = std::chrono::milliseconds(1000);
  o.max = std::chrono::milliseconds(1000);
  o.jitter = 0.5;
  backoff b(o, 7);
  constexpr int draws = 4000;
  int buckets[10] = {};
  long lo = 1'000'000, hi = 0;
  for (int i = 0; i < draws; ++i) {
    const long d = b.next().count();
    ASSERT_GE(d, 500);
    ASSERT_LE(d, 1000);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
    ++buckets[std::min(9L, (d - 500) / 50)];
  }
  EXPECT_LT(lo, 510);
  EXPECT_GT(hi, 990);
  for (int n : buckets) {
    EXPECT_GT(n, draws / 10 / 2) << "a tenth of the range got less than half its share";
    EXPECT_LT(n, draws / 10 * 2) << "a tenth of the range got more than twice its share";
  }
  // Two clients (different seeds) that lose the same node do not come back in step.
  backoff a(o, 1), c(o, 2);
  int same = 0;
  for (int i = 0; i < 100; ++i) same += a.next() == c.next();
  EXPECT_LT(same, 20);
}

}  // namespace
}  // namespace bts::rpc
