// Scenario files: fields, presets, errors that point into the file (file:line:column and the
// field), and the node-load sources the overseer samples itself.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "scenario/scenario.hpp"
#include "util/error.hpp"

namespace bts::scenarios {
namespace {

TEST(scenario, parses_fields_and_presets) {
  const scenario s = parse_scenario(R"(
nodes:
  - url: ws://a:1
    weight: 2
    connections: 3
  - ws://b:2
spread: weighted
accounts: {file: accts.txt}
mix: {transfer: 3, limit_order_create: 1}
ops_per_tx: {uniform: [1, 4]}
amount: {kind: log_uniform, min: 10, max: 1000}
load: {kind: ramp, from: 10, to: 100, over: 10s}
duration: 30s
seed: 42
)",
                                    "t.yaml");
  ASSERT_EQ(s.nodes.size(), 2u);
  EXPECT_EQ(s.nodes[0].connections, 3);
  EXPECT_EQ(s.nodes[0].weight, 2);
  EXPECT_EQ(s.spread, spread_kind::weighted);
  EXPECT_EQ(s.accounts_file, "accts.txt");
  EXPECT_EQ(s.ops.type, ops_per_tx::kind::uniform);
  EXPECT_EQ(s.ops.max, 4u);
  EXPECT_EQ(s.rate.type(), load::rate_profile::kind::ramp);
  EXPECT_EQ(s.order_asset, "BEACON");
  EXPECT_EQ(s.seed, 42u);
  for (const auto& name : preset_names())
    EXPECT_NO_THROW(parse_scenario(preset_text(name), name)) << name;
  EXPECT_GE(preset_names().size(), 2u);
}

TEST(scenario, errors_name_file_line_column_and_expectation) {
  try {
    parse_scenario("seed: 1\nmix:\n  transfer: lots\n", "s.yaml");
    FAIL();
  } catch (const input_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "s.yaml:3:13: mix.transfer: expected a non-negative number, got \"lots\"");
  }
  try {
    parse_scenario("sed: 1\n", "s.yaml");
    FAIL();
  } catch (const input_error& e) {
    EXPECT_NE(std::string(e.what()).find("s.yaml:1:1: sed: unknown field"), std::string::npos)
        << e.what();
  }
  try {
    parse_scenario("load: {kind: constant, rate: fast}\n", "s.yaml");
    FAIL();
  } catch (const input_error& e) {
    EXPECT_NE(std::string(e.what()).find("s.yaml:1:7: load.rate"), std::string::npos) << e.what();
  }
}

// Every error names its location once, whichever layer found the problem (a list where a value
// belongs is found by the YAML reader, a bad duration by the duration parser).
TEST(scenario, an_error_names_its_location_once) {
  const std::pair<const char*, const char*> cases[] = {
      {"seed: 1\nduration: [1, 2]\n", "s.yaml:2:11: duration: expected a value, got a list"},
      {"count: [1]\n", "s.yaml:1:8: count: expected a value, got a list"},
      {"duration: soon\n",
       "s.yaml:1:11: duration: expected a duration such as 30s, 1.5m or 500ms, got \"soon\""},
      {"load: {search: {start: 10, step: [5]}}\n",
       "s.yaml:1:34: load.search.step: expected a value, got a list"},
      {"load: {search: {start: 10, hold: {a: 1}}}\n",
       "s.yaml:1:34: load.search.hold: expected a value, got a mapping"},
      {"load: {kind: constant, rate: -5}\n",
       "s.yaml:1:7: load.rate: expected a rate > 0 in tx/s such as 500, got \"-5\""},
      {"load: -5\n", "s.yaml:1:7: load.rate: expected a rate > 0 in tx/s such as 500, got \"-5\""},
  };
  for (const auto& [text, expected] : cases) {
    try {
      parse_scenario(text, "s.yaml");
      ADD_FAILURE() << "no error for " << text;
    } catch (const input_error& e) {
      EXPECT_EQ(std::string(e.what()), expected) << text;
    }
  }
}

TEST(scenario, node_load_per_node_and_its_errors) {
  const scenario s = parse_scenario(
      "nodes:\n"
      "  - {url: ws://a:8090, node_load: node_exporter:http://a:9100/metrics}\n"
      "  - {url: ws://b:8090, node_load: none}\n"
      "  - ws://c:8090\n",
      "s.yaml");
  ASSERT_EQ(s.nodes.size(), 3u);
  EXPECT_EQ(s.nodes[0].node_load, "node_exporter:http://a:9100/metrics");
  EXPECT_EQ(s.nodes[1].node_load, "none");
  EXPECT_EQ(s.nodes[2].node_load, "");  // the default: the node's own /metrics
  // The older top-level key sets the first node's source.
  EXPECT_EQ(parse_scenario("nodes: ws://a:1\nnode_metrics_url: http://a:1/metrics\n", "s.yaml")
                .nodes[0]
                .node_load,
            "http://a:1/metrics");
  try {
    parse_scenario("nodes:\n  - {url: ws://a:8090, node_load: \"exporter:http://a\"}\n", "s.yaml");
    FAIL();
  } catch (const input_error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("s.yaml:2:", 0), 0u) << what;
    EXPECT_NE(what.find(": nodes[0].node_load: unknown node load source \"exporter:http://a\""), std::string::npos) << what;
  }
}

TEST(scenario, node_load_sources_are_the_explicit_ones_once_per_url) {
  const scenario s = parse_scenario(
      "nodes:\n"
      "  - {url: ws://a:8090, node_load: node_exporter:http://127.0.0.1:9/metrics}\n"
      "  - {url: ws://b:8090, node_load: none}\n"
      "  - ws://c:8090\n"
      "  - {url: ws://a:8090, node_load: proc:1}\n",
      "s.yaml");
  const auto sources = node_load_sources(s, false);
  ASSERT_EQ(sources.size(), 1u);  // b says none, c has the default, a's second entry repeats a
  EXPECT_EQ(sources[0].node, "ws://a:8090");
  EXPECT_EQ(sources[0].load.to_string(), "node_exporter:http://127.0.0.1:9/metrics");
  // Checking takes one reading: nothing listens on port 9 of loopback.
  try {
    node_load_sources(s, true);
    FAIL();
  } catch (const input_error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("nodes[0].node_load: node_exporter:http://127.0.0.1:9/metrics: ", 0), 0u)
        << what;
  }
}

}  // namespace
}  // namespace bts::scenarios
