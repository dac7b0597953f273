#include <gtest/gtest.h>

#include "uptime/config.hpp"
#include "util/error.hpp"

namespace bts::uptime {
namespace {

TEST(Config, ParsesEndpointsDefaultsAndAlerts) {
  const char* yaml = R"(title: Test nodes
storage: {path: /tmp/x.sqlite, retention: 2d}
defaults: {interval: 5s, timeout: 2s}
alerts:
  webhook: {url: "http://127.0.0.1:9/hook", token_env: HOOK_TOKEN}
  failure_threshold: 2
  success_threshold: 1
  cooldown: 1m
endpoints:
  - name: node-1
    group: devnet
    url: ws://127.0.0.1:8090
    location: Local
    conditions:
      - "[CONNECTED] == true"
      - "[HEAD_BLOCK_AGE] < 30s"
      - "[API_SETS] has history"
  - name: stats
    url: https://example.org/stats
    interval: 1m
  - name: p2p
    url: tcp://127.0.0.1:1776
)";
  const uptime_config c = parse_config(yaml, "u.yaml");
  EXPECT_EQ(c.title, "Test nodes");
  EXPECT_EQ(c.storage_path, "/tmp/x.sqlite");
  EXPECT_EQ(c.retention.count(), 2 * 86'400'000);
  EXPECT_EQ(c.alerts.failure_threshold, 2);
  EXPECT_EQ(c.alerts.cooldown.count(), 60'000);
  EXPECT_EQ(c.alerts.token_env, "HOOK_TOKEN");
  ASSERT_EQ(c.endpoints.size(), 3u);
  EXPECT_EQ(c.endpoints[0].kind, endpoint_kind::websocket);
  EXPECT_EQ(c.endpoints[0].interval.count(), 5000);
  EXPECT_EQ(c.endpoints[0].conditions.size(), 3u);
  EXPECT_EQ(c.endpoints[0].key(), "devnet_node-1");
  EXPECT_EQ(c.endpoints[0].line, 10);
  EXPECT_EQ(c.endpoints[1].kind, endpoint_kind::http);
  EXPECT_TRUE(c.endpoints[1].tls);
  EXPECT_EQ(c.endpoints[1].group, "default");
  EXPECT_EQ(c.endpoints[1].interval.count(), 60'000);
  ASSERT_EQ(c.endpoints[1].conditions.size(), 1u);
  EXPECT_EQ(c.endpoints[1].conditions[0].text, "[STATUS] == 200");
  EXPECT_EQ(c.endpoints[2].kind, endpoint_kind::tcp);
  EXPECT_EQ(c.endpoints[2].port, 1776);
}

std::string error_of(const std::string& yaml) {
  try {
    parse_config(yaml, "u.yaml");
  } catch (const input_error& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(Config, ErrorsNameFileLineAndWhatWasExpected) {
  EXPECT_EQ(error_of("endpoints:\n  - name: a\n    url: ws://h:1\n    conditions:\n      - "
                     "\"[STATUS] = 200\"\n"),
            "u.yaml:5: condition \"[STATUS] = 200\": expected an operator (==, !=, <, <=, >, >=, "
            "has, !has) after "
            "[STATUS]");
  EXPECT_EQ(error_of("endpoints:\n  - name: a\n    url: ftp://h\n"),
            "u.yaml:3: endpoints[0].url: expected a ws://, wss://, http://, https:// or tcp:// "
            "URL, got \"ftp://h\"");
  EXPECT_EQ(error_of("endpoints:\n  - name: a\n    url: ws://h:1\n    interval: soon\n"),
            "u.yaml:4: endpoints[0].interval: expected a duration such as 500ms, 30s, 5m, 12h or "
            "7d, got \"soon\"");
  EXPECT_EQ(error_of("endpoints:\n  - name: a\n    url: ws://h:1\n    colour: red\n"),
            "u.yaml:4: endpoints[0].colour: unknown key (expected one of name, group, url, "
            "interval, timeout, "
            "conditions, location, region, country, operator, contact, jsonrpc, call, public, "
            "elasticsearch)");
  EXPECT_EQ(
      error_of("endpoints:\n  - name: a\n    url: ws://h:1\n  - name: a\n    url: ws://h:2\n"),
      "u.yaml:4: endpoints[1].name: duplicate endpoint \"a\" in group \"default\"");
  EXPECT_EQ(error_of("endpoints: []\n"),
            "u.yaml:1: endpoints: expected a non-empty list of endpoints");
  EXPECT_EQ(error_of("endpoints:\n  - name: a\n    url: http://h/\n    conditions: "
                     "[\"[HEAD_BLOCK_AGE] < 3s\"]\n"),
            "u.yaml:4: condition \"[HEAD_BLOCK_AGE] < 3s\": BitShares placeholders need a ws://, "
            "wss:// or "
            "`jsonrpc: true` http(s):// endpoint");
  EXPECT_EQ(error_of("endpoints:\n  - name: a\n    url: ws://h:1\n    conditions: "
                     "[\"[CERTIFICATE_EXPIRATION] > 1d\"]\n"),
            "u.yaml:4: condition \"[CERTIFICATE_EXPIRATION] > 1d\": [CERTIFICATE_EXPIRATION] needs "
            "a wss:// or "
            "https:// endpoint");
  EXPECT_NE(error_of("endpoints: [\n").find("u.yaml:"), std::string::npos);
  EXPECT_NE(error_of("endpoints: [\n").find("not valid YAML"), std::string::npos);
  EXPECT_EQ(error_of("probes: {quorum: 2}\nendpoints:\n  - name: a\n    url: ws://h:1\n"),
            "u.yaml:1: probes: a quorum above 1 needs remote probes: set token_env");
  EXPECT_EQ(error_of("endpoints:\n  - name: a\n    url: tcp://h\n"),
            "u.yaml:3: endpoints[0].url: expected tcp://HOST:PORT, got \"tcp://h\"");
}

TEST(Config, ExampleFileParses) {
  const uptime_config c = load_config(std::string(BTS_SOURCE_DIR) + "/examples/uptime.yaml");
  EXPECT_GE(c.endpoints.size(), 3u);
}

}  // namespace
}  // namespace bts::uptime
