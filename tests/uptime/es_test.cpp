// Elasticsearch endpoints: [ES_LAG] from the newest indexed block_data.block_num versus the
// median head of the chain's tracked nodes, against a loopback fake ES (rpc::server's
// authenticate hook sees every request) and fake nodes.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>

#include <fstream>
#include <future>

#include "util/base64.hpp"
#include "uptime/config.hpp"
#include "uptime/probe.hpp"
#include "uptime/status_server.hpp"
#include "uptime/tracker.hpp"
#include "uptime_test_support.hpp"
#include "util/error.hpp"

namespace bts::uptime {
namespace {

using namespace std::chrono_literals;
using namespace testing;

// Answers POST /<index>/_search like Elasticsearch with the operation-history document of the
// newest block (or the objects-* document), or a 500, or text that is not JSON.
struct fake_es {
  enum class mode { ok, fail, garbage, empty };
  std::mutex mu;
  mode how = mode::ok;
  std::int64_t newest_block = 0;
  std::int64_t newest_object_block = 0;
  std::vector<rpc::http_request_info> requests;
  std::unique_ptr<rpc::server> server;

  explicit fake_es(asio::any_io_executor ex) {
    rpc::server_options o;
    o.authenticate = [this](const rpc::http_request_info& r) -> std::optional<rpc::http_response> {
      std::lock_guard lock(mu);
      requests.push_back(r);
      rpc::http_response a;
      a.content_type = "application/json";
      if (r.method != "POST" || r.target.find("/_search") == std::string::npos) {
        a.status = 404;
        a.body = R"({"error":"not a search"})";
        return a;
      }
      switch (how) {
        case mode::fail:
          a.status = 500;
          a.body =
              R"({"error":{"type":"search_phase_execution_exception","reason":"all shards failed"},"status":500})";
          return a;
        case mode::garbage:
          a.body = "<html>gateway\nerror</html>";
          return a;
        case mode::empty:
          a.body = R"({"took":1,"hits":{"total":{"value":0},"hits":[]}})";
          return a;
        case mode::ok:
          break;
      }
      json::object hit;
      if (r.target.find("/objects-") != std::string::npos) {
        hit = {{"_index", "objects-account"},
               {"_source", {{"block_number", newest_object_block}, {"block_time", now_minus(3s)}}},
               {"sort", json::array{newest_object_block}}};
      } else {
        hit = {{"_index", "bitshares-2026-11"},
               {"_source",
                {{"block_data", {{"block_num", newest_block}, {"block_time", now_minus(2s)}}}}},
               {"sort", json::array{newest_block}}};
      }
      a.body = json::serialize(json::object{
          {"took", 1}, {"hits", {{"total", {{"value", 1}}}, {"hits", json::array{hit}}}}});
      return a;
    };
    server = std::make_unique<rpc::server>(ex, std::move(o));
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server->port()); }
  void set(mode m, std::int64_t block) {
    std::lock_guard lock(mu);
    how = m;
    newest_block = block;
  }
  std::vector<rpc::http_request_info> seen() {
    std::lock_guard lock(mu);
    return requests;
  }
};

bool any_contains(const std::vector<std::string>& v, const std::string& s) {
  for (const auto& x : v) {
    if (x.find(s) != std::string::npos) return true;
  }
  return false;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x + " | ";
  return s;
}

void probe_once(io_thread& tio, tracker& t) {
  std::promise<void> done;
  boost::asio::co_spawn(tio.io, t.probe_all_once(), [&](std::exception_ptr) { done.set_value(); });
  ASSERT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
}

struct es_fixture {
  io_thread tio;
  std::shared_ptr<fake_chain> chain = std::make_shared<fake_chain>();
  std::unique_ptr<rpc::server> node;
  fake_es es{tio.io.get_executor()};
  es_fixture() {
    chain->head_block_number = 1000;
    node = std::make_unique<rpc::server>(tio.io.get_executor(), fake_node_options(chain));
  }
  std::string node_url() const { return "ws://127.0.0.1:" + std::to_string(node->port()); }
  // A node in group "chain" and the ES endpoint (first, so it is not probed after the node by
  // accident of order) taking its head from that group.
  std::string config(const std::string& es_extra = "") const {
    return "endpoints:\n"
           "  - name: es\n"
           "    group: explorer\n"
           "    url: " +
           es.url() +
           "\n"
           "    timeout: 2s\n"
           "    interval: 300ms\n"
           "    elasticsearch:\n"
           "      chain_group: chain\n" +
           es_extra +
           "    conditions:\n"
           "      - \"[CONNECTED] == true\"\n"
           "      - \"[ES_LAG] < 100\"\n"
           "      - \"[ES_BLOCK_AGE] < 1m\"\n"
           "  - name: node\n"
           "    group: chain\n"
           "    url: " +
           node_url() +
           "\n"
           "    timeout: 2s\n"
           "    interval: 300ms\n";
  }
};

TEST(Elasticsearch, UpToDateIndexIsUpWithTheLagAndBasicAuthSent) {
  es_fixture fx;
  fx.es.set(fake_es::mode::ok, 998);
  ::setenv("UPTIME_TEST_ES_PASSWORD", "s3cret-pw", 1);
  uptime_config cfg = parse_config(
      fx.config("      username: reader\n      password_env: UPTIME_TEST_ES_PASSWORD\n"),
      "es.yaml");
  ASSERT_EQ(cfg.endpoints[0].kind, endpoint_kind::elasticsearch);
  EXPECT_EQ(cfg.endpoints[0].es.index, "bitshares-*");
  tracker t(fx.tio.io.get_executor(), std::move(cfg), nullptr);
  probe_once(fx.tio, t);
  const auto snap = t.snapshot();
  EXPECT_EQ(snap[1].state, endpoint_state::up) << joined(snap[1].failed);
  ASSERT_EQ(snap[0].state, endpoint_state::up) << joined(snap[0].failed);
  ASSERT_TRUE(snap[0].last && snap[0].last->found.es_lag);
  EXPECT_EQ(*snap[0].last->found.es_lag, 2);
  EXPECT_EQ(snap[0].last->es_block_num, 998);
  ASSERT_TRUE(snap[0].last->found.es_block_age_ms);
  EXPECT_LT(*snap[0].last->found.es_block_age_ms, 60'000);
  EXPECT_TRUE(snap[0].last->phases.tcp_ms.has_value());
  EXPECT_TRUE(snap[0].last->phases.first_call_ms.has_value());

  const auto reqs = fx.es.seen();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target, "/bitshares-*/_search");
  EXPECT_EQ(reqs[0].header("Authorization"),
            "Basic " + base64_encode("reader:s3cret-pw"));
  const json::value q = json::parse(reqs[0].body);
  EXPECT_EQ(q.at("size").as_int64(), 1);
  EXPECT_EQ(q.at("sort").at(0).at("block_data.block_num").at("order").as_string(), "desc");

  // Shown in the JSON API and /metrics; the password nowhere.
  const std::string status = status_json(t);
  const json::value st = json::parse(status);
  const auto& ep = st.at("groups").at(0).at("endpoints").at(0);
  EXPECT_EQ(ep.at("es").at("lag").as_double(), 2);
  EXPECT_EQ(ep.at("es").at("newest_block").as_int64(), 998);
  EXPECT_EQ(ep.at("es").at("chain_head").as_double(), 1000);
  const std::string metrics = metrics_text(t);
  EXPECT_NE(metrics.find("bts_uptime_es_lag_blocks{endpoint=\"es\",group=\"explorer\"} 2"),
            std::string::npos)
      << metrics;
  EXPECT_EQ(status.find("s3cret-pw"), std::string::npos);
  EXPECT_EQ(metrics.find("s3cret-pw"), std::string::npos);
  ::unsetenv("UPTIME_TEST_ES_PASSWORD");
}

TEST(Elasticsearch, IndexFiveHundredBlocksBehindIsDegradedNamingTheCondition) {
  es_fixture fx;
  fx.es.set(fake_es::mode::ok, 500);
  tracker t(fx.tio.io.get_executor(), parse_config(fx.config(), "es.yaml"), nullptr);
  probe_once(fx.tio, t);
  const auto snap = t.snapshot();
  EXPECT_EQ(snap[0].state, endpoint_state::degraded);
  ASSERT_EQ(snap[0].failed.size(), 1u) << joined(snap[0].failed);
  EXPECT_EQ(snap[0].failed[0], "[ES_LAG] (500) < 100");
  // No basic auth configured: no Authorization header.
  EXPECT_EQ(fx.es.seen().at(0).header("Authorization"), "");
}

TEST(Elasticsearch, ServerErrorOrMalformedAnswerIsDownWithAOneLineReason) {
  es_fixture fx;
  tracker t(fx.tio.io.get_executor(), parse_config(fx.config(), "es.yaml"), nullptr);

  fx.es.set(fake_es::mode::fail, 998);
  probe_once(fx.tio, t);
  auto snap = t.snapshot();
  EXPECT_EQ(snap[0].state, endpoint_state::down);
  ASSERT_FALSE(snap[0].failed.empty());
  EXPECT_EQ(snap[0].failed[0],
            "elasticsearch bitshares-*/_search: HTTP 500: search_phase_execution_exception: all "
            "shards failed");

  fx.es.set(fake_es::mode::garbage, 998);
  probe_once(fx.tio, t);
  snap = t.snapshot();
  EXPECT_EQ(snap[0].state, endpoint_state::down);
  ASSERT_FALSE(snap[0].failed.empty());
  EXPECT_NE(snap[0].failed[0].find("elasticsearch bitshares-*/_search: answer is not JSON"),
            std::string::npos)
      << snap[0].failed[0];
  EXPECT_EQ(snap[0].failed[0].find('\n'), std::string::npos) << snap[0].failed[0];

  // Reachable but empty: up as a server, the lag fails with the reason.
  fx.es.set(fake_es::mode::empty, 0);
  probe_once(fx.tio, t);
  snap = t.snapshot();
  EXPECT_EQ(snap[0].state, endpoint_state::degraded);
  EXPECT_TRUE(any_contains(snap[0].failed, "[ES_LAG] (no indexed block in bitshares-*) < 100"))
      << joined(snap[0].failed);
}

TEST(Elasticsearch, NoChainHeadFailsTheLagConditionWithTheReason) {
  es_fixture fx;
  fx.es.set(fake_es::mode::ok, 998);
  // The chain's only node answers on another chain id than the one the ES endpoint names.
  const std::string other(64, 'a');
  const std::string yaml =
      "endpoints:\n  - name: es\n    url: " + fx.es.url() +
      "\n    elasticsearch: {chain_id: " + other +
      "}\n    conditions: [\"[ES_LAG] < 100\"]\n  - name: node\n    url: " + fx.node_url() + "\n";
  tracker t(fx.tio.io.get_executor(), parse_config(yaml, "es.yaml"), nullptr);
  probe_once(fx.tio, t);
  const auto snap = t.snapshot();
  EXPECT_EQ(snap[1].state, endpoint_state::up);
  EXPECT_EQ(snap[0].state, endpoint_state::degraded);
  ASSERT_EQ(snap[0].failed.size(), 1u);
  EXPECT_EQ(
      snap[0].failed[0],
      "[ES_LAG] (no chain head known for chain aaaaaaaaaaaa... (no node of it answered within "
      "two intervals)) < 100");

  // The node stopped: the group's head goes unknown too.
  es_fixture fx2;
  fx2.es.set(fake_es::mode::ok, 998);
  tracker t2(fx2.tio.io.get_executor(), parse_config(fx2.config(), "es.yaml"), nullptr);
  fx2.node.reset();
  probe_once(fx2.tio, t2);
  const auto snap2 = t2.snapshot();
  EXPECT_EQ(snap2[1].state, endpoint_state::down);
  EXPECT_EQ(snap2[0].state, endpoint_state::degraded);
  EXPECT_TRUE(any_contains(snap2[0].failed, "no chain head known for chain group \"chain\""))
      << joined(snap2[0].failed);
}

TEST(Elasticsearch, ObjectsIndexFreshness) {
  es_fixture fx;
  fx.es.set(fake_es::mode::ok, 999);
  fx.es.newest_object_block = 400;
  std::string yaml = fx.config("      objects_index: objects-*\n");
  yaml.replace(yaml.find("      - \"[ES_BLOCK_AGE] < 1m\"\n"), 0,
               "      - \"[ES_OBJECTS_LAG] < 100\"\n");
  tracker t(fx.tio.io.get_executor(), parse_config(yaml, "es.yaml"), nullptr);
  probe_once(fx.tio, t);
  const auto snap = t.snapshot();
  EXPECT_EQ(snap[0].state, endpoint_state::degraded);
  EXPECT_EQ(joined(snap[0].failed), "[ES_OBJECTS_LAG] (600) < 100 | ");
  const auto reqs = fx.es.seen();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].target, "/objects-*/_search");
}

TEST(Elasticsearch, TrackerWaitsForTheChainsNodesBeforeTheFirstProbe) {
  // The ES endpoint is listed first, so without the wait it would be probed before the node.
  es_fixture fx;
  fx.es.set(fake_es::mode::ok, 990);
  tracker t(fx.tio.io.get_executor(), parse_config(fx.config(), "es.yaml"), nullptr);
  std::mutex mu;
  std::vector<endpoint_status> es_results;
  t.on_result = [&](const endpoint_config& e, const endpoint_status& s) {
    std::lock_guard lock(mu);
    if (e.name == "es") es_results.push_back(s);
  };
  boost::asio::post(fx.tio.io, [&] { t.start(); });
  const bool got = wait_for(
      [&] {
        std::lock_guard lock(mu);
        return es_results.size() >= 2;
      },
      5s);
  t.stop();
  std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(got);
  std::lock_guard lock(mu);
  for (const auto& s : es_results) {
    EXPECT_EQ(s.state, endpoint_state::up) << joined(s.failed);
    ASSERT_TRUE(s.last && s.last->found.es_lag);
    EXPECT_EQ(*s.last->found.es_lag, 10);
  }
}

std::string config_error(const std::string& yaml) {
  try {
    parse_config(yaml, "es.yaml");
  } catch (const input_error& e) {
    return e.what();
  }
  return "no error";
}

void expect_error(const std::string& yaml, const std::string& expected) {
  const std::string got = config_error(yaml);
  EXPECT_NE(got.find(expected), std::string::npos) << "got: " << got << "\nexpected: " << expected;
}

TEST(Elasticsearch, ConfigErrorsNameFileLineAndWhatWasExpected) {
  const std::string node = "  - name: node\n    group: chain\n    url: ws://127.0.0.1:1\n";
  expect_error("endpoints:\n" + node +
                   "  - name: es\n    group: chain\n    url: ws://127.0.0.1:2\n"
                   "    elasticsearch: {}\n",
               "es.yaml:8: endpoints[1].elasticsearch: needs an http:// or https:// url");
  expect_error("endpoints:\n" + node + "    conditions: [\"[ES_LAG] < 100\"]\n",
               "es.yaml:5: condition \"[ES_LAG] < 100\": [ES_*] placeholders need an "
               "endpoint with an `elasticsearch:` section");
  expect_error(
      "endpoints:\n  - name: es\n    group: explorer\n"
      "    url: http://127.0.0.1:9200\n    elasticsearch:\n"
      "      index: bitshares-*\n",
      "es.yaml:2: endpoints[0].elasticsearch: no ws://, wss:// or jsonrpc endpoint "
      "in group \"explorer\" gives the chain head");
  expect_error("endpoints:\n" + node +
                   "  - name: es\n    group: chain\n    url: http://127.0.0.1:9200\n"
                   "    elasticsearch:\n      username: u\n"
                   "      password_env: UPTIME_TEST_SURELY_UNSET\n",
               "es.yaml:10: endpoints[1].elasticsearch.password_env: the environment "
               "variable UPTIME_TEST_SURELY_UNSET is not set");
  expect_error("endpoints:\n" + node +
                   "  - name: es\n    group: chain\n    url: http://127.0.0.1:9200\n"
                   "    elasticsearch:\n      chain_id: 1234\n",
               "es.yaml:9: endpoints[1].elasticsearch.chain_id: expected 64 hex digits");
  expect_error("endpoints:\n" + node +
                   "  - name: es\n    group: chain\n    url: http://127.0.0.1:9200\n"
                   "    elasticsearch:\n      indx: bitshares-*\n",
               "es.yaml:9: endpoints[1].elasticsearch.indx: unknown key");
  expect_error("endpoints:\n" + node +
                   "  - name: es\n    group: chain\n    url: http://127.0.0.1:9200\n"
                   "    elasticsearch:\n      index: \"bitshares-*/_delete\"\n",
               "es.yaml:9: endpoints[1].elasticsearch.index: expected an index pattern");
  expect_error("endpoints:\n" + node +
                   "  - name: es\n    group: chain\n    url: http://127.0.0.1:9200\n"
                   "    elasticsearch: {}\n    conditions: [\"[ES_OBJECTS_LAG] < 5\"]\n",
               "[ES_OBJECTS_LAG] needs elasticsearch.objects_index");
  // Defaults: the endpoint's own group's nodes, [CONNECTED] and [ES_LAG] < 100.
  const uptime_config ok = parse_config("endpoints:\n" + node +
                                            "  - name: es\n    group: chain\n"
                                            "    url: https://es.example/\n    elasticsearch:\n",
                                        "es.yaml");
  const endpoint_config& e = ok.endpoints[1];
  EXPECT_EQ(e.kind, endpoint_kind::elasticsearch);
  EXPECT_TRUE(e.tls);
  EXPECT_EQ(e.es.chain_group, "chain");
  ASSERT_EQ(e.conditions.size(), 2u);
  EXPECT_EQ(e.conditions[1].text, "[ES_LAG] < 100");
}

TEST(Elasticsearch, ExampleFilesCommentedEndpointParsesUncommented) {
  std::ifstream in(std::string(BTS_SOURCE_DIR) + "/examples/uptime.yaml");
  ASSERT_TRUE(in);
  std::string yaml, line;
  bool in_block = false;
  while (std::getline(in, line)) {
    if (line.rfind("  # - name: explorer ES", 0) == 0) in_block = true;
    if (in_block && line.rfind("  # ", 0) == 0) line = "  " + line.substr(4);
    yaml += line + "\n";
  }
  ASSERT_TRUE(in_block);
  ::setenv("ES_PASSWORD", "example", 1);
  const uptime_config c = parse_config(yaml, "uptime.yaml");
  ::unsetenv("ES_PASSWORD");
  const endpoint_config& e = c.endpoints.back();
  EXPECT_EQ(e.kind, endpoint_kind::elasticsearch);
  EXPECT_EQ(e.es.chain_group, "Local devnet");
  EXPECT_EQ(e.es.objects_index, "objects-*");
  EXPECT_EQ(e.conditions.size(), 4u);
}

TEST(Elasticsearch, ParsesTheNewestHit) {
  const auto n = parse_es_newest(
      R"({"hits":{"hits":[{"_source":{"block_data":{"block_num":77,"block_time":"2026-11-24T21:00:00"}}}]}})",
      "block_data.block_num", "block_data.block_time");
  EXPECT_EQ(n.block, 77);
  EXPECT_EQ(n.time_ms, 1795554000000LL);
  // No _source: the sort value.
  EXPECT_EQ(
      parse_es_newest(R"({"hits":{"hits":[{"sort":[88]}]}})", "block_number", "block_time").block,
      88);
  EXPECT_FALSE(parse_es_newest(R"({"hits":{"hits":[]}})", "block_number", "block_time").block);
  EXPECT_THROW(parse_es_newest(R"({"took":1})", "block_number", "block_time"), std::runtime_error);
  EXPECT_THROW(parse_es_newest("nope", "block_number", "block_time"), std::runtime_error);
}

}  // namespace
}  // namespace bts::uptime
