// The tracker against real endpoints on loopback: `bts-infra devnet` processes (one with another
// chain id), a fake node with a stale head, a TLS node whose certificate expires tomorrow, and a
// webhook receiver.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include <filesystem>
#include <future>

#include "rpc/blocking_client.hpp"
#include "uptime/status_server.hpp"
#include "uptime/store.hpp"
#include "uptime/tracker.hpp"
#include "uptime_test_support.hpp"

namespace bts::uptime {
namespace {

using namespace testing;
using namespace std::chrono_literals;

std::filesystem::path temp_db(const std::string& name) {
  auto p = std::filesystem::temp_directory_path() /
           ("bts-uptime-" + name + "-" + std::to_string(getpid()) + ".sqlite");
  std::filesystem::remove(p);
  std::filesystem::remove(p.string() + "-wal");
  std::filesystem::remove(p.string() + "-shm");
  return p;
}

const endpoint_status& status_of(const std::vector<endpoint_status>& snap, const std::string& key) {
  for (const auto& s : snap) {
    if (s.key == key) return s;
  }
  throw std::runtime_error("no endpoint " + key);
}

bool any_contains(const std::vector<std::string>& v, const std::string& fragment) {
  for (const auto& s : v) {
    if (s.find(fragment) != std::string::npos) return true;
  }
  return false;
}

TEST(Tracker, DevnetNodesWrongNetworkStaleHeadExpiringCertificateDowntimeAndWebhook) {
  devnet_process a({"--nodes", "3", "--listen", "127.0.0.1:0"});
  auto b = std::make_unique<devnet_process>(std::vector<std::string>{"--listen", "127.0.0.1:0"});
  devnet_process other({"--listen", "127.0.0.1:0", "--block-interval", "2"});
  ASSERT_EQ(a.endpoints().size(), 3u);
  ASSERT_EQ(a.chain_id(), b->chain_id());
  ASSERT_NE(a.chain_id(), other.chain_id());

  io_thread fakes;
  auto stale = std::make_shared<fake_chain>();
  stale->chain_id = a.chain_id();
  stale->head_age = 120s;
  rpc::server stale_node(fakes.io.get_executor(), fake_node_options(stale));
  auto tls_chain = std::make_shared<fake_chain>();
  tls_chain->chain_id = a.chain_id();
  const test_certificate cert = make_certificate(1);
  rpc::server_options tls_options = fake_node_options(tls_chain);
  tls_options.tls = rpc::tls_server_options{"", "", cert.cert_pem, cert.key_pem};
  rpc::server tls_node(fakes.io.get_executor(), std::move(tls_options));
  webhook_receiver hook(fakes.io.get_executor());

  const std::string chain_conditions =
      "    conditions:\n      - \"[CONNECTED] == true\"\n      - \"[CHAIN_ID] == " + a.chain_id() +
      "\"\n      - \"[HEAD_BLOCK_AGE] < 10s\"\n      - \"[HEAD_BLOCK_LAG] <= 5\"\n"
      "      - \"[API_SETS] has database\"\n";
  std::string yaml = "alerts:\n  webhook: {url: \"" + hook.url() +
                     "\"}\n  failure_threshold: 2\n  success_threshold: 1\n  cooldown: 0s\n"
                     "defaults: {interval: 400ms, timeout: 1s}\nendpoints:\n";
  auto add = [&](const std::string& name, const std::string& group, const std::string& url,
                 const std::string& conds) {
    yaml += "  - name: " + name + "\n    group: " + group + "\n    url: \"" + url + "\"\n" + conds;
  };
  for (int i = 0; i < 3; ++i)
    add("a" + std::to_string(i), "devnet", a.endpoints()[i], chain_conditions);
  add("b", "devnet", b->endpoints()[0], chain_conditions);
  add("other", "other-chain", other.endpoints()[0], chain_conditions);
  add("stale", "fakes", "ws://127.0.0.1:" + std::to_string(stale_node.port()), chain_conditions);
  add("tls", "fakes", "wss://127.0.0.1:" + std::to_string(tls_node.port()),
      "    conditions:\n      - \"[CONNECTED] == true\"\n      - \"[CERTIFICATE_EXPIRATION] > "
      "336h\"\n");
  const uptime_config cfg = parse_config(yaml, "test.yaml");
  const auto db_path = temp_db("tracker");
  uptime_store store(db_path);
  io_thread tio;
  tracker t(tio.io.get_executor(), cfg, &store);
  status_server server(tio.io.get_executor(), t, "127.0.0.1", 0);
  t.start();

  ASSERT_TRUE(wait_for(
      [&] {
        for (const auto& s : t.snapshot()) {
          if (s.probes < 2) return false;
        }
        return true;
      },
      15s));
  auto snap = t.snapshot();
  for (const char* k : {"devnet_a0", "devnet_a1", "devnet_a2", "devnet_b"}) {
    const auto& s = status_of(snap, k);
    EXPECT_EQ(s.state, endpoint_state::up)
        << k << ": " << (s.failed.empty() ? "" : s.failed.front());
    ASSERT_TRUE(s.last);
    EXPECT_TRUE(s.last->phases.dns_ms && s.last->phases.tcp_ms && s.last->phases.ws_upgrade_ms &&
                s.last->phases.first_call_ms);
    EXPECT_FALSE(s.last->phases.tls_ms);
    EXPECT_EQ(s.last->found.chain_id, a.chain_id());
    EXPECT_TRUE(s.last->head_block_num);
    EXPECT_TRUE(s.last->found.participation);
  }
  const auto& wrong = status_of(snap, "other-chain_other");
  EXPECT_EQ(wrong.state, endpoint_state::wrong_network);
  EXPECT_TRUE(
      any_contains(wrong.failed, "[CHAIN_ID] (" + other.chain_id() + ") == " + a.chain_id()));
  const auto& st = status_of(snap, "fakes_stale");
  EXPECT_EQ(st.state, endpoint_state::degraded);
  EXPECT_TRUE(any_contains(st.failed, "[HEAD_BLOCK_AGE] ("))
      << (st.failed.empty() ? "" : st.failed.front());
  EXPECT_EQ(st.failed.size(), 1u);
  const auto& tls = status_of(snap, "fakes_tls");
  EXPECT_EQ(tls.state, endpoint_state::degraded);
  EXPECT_TRUE(any_contains(tls.failed, "[CERTIFICATE_EXPIRATION] ("));
  ASSERT_TRUE(tls.last && tls.last->certificate);
  EXPECT_NE(tls.last->certificate->subject.find("CN=uptime-test"), std::string::npos);
  EXPECT_NE(tls.last->certificate->issuer.find("CN=uptime-test"), std::string::npos);
  EXPECT_TRUE(any_contains(tls.last->certificate->sans, "IP:127.0.0.1"));
  EXPECT_TRUE(any_contains(tls.last->certificate->sans, "DNS:localhost"));
  EXPECT_FALSE(tls.last->certificate->verified);  // self-signed
  EXPECT_TRUE(tls.last->phases.tls_ms);
  const double left_h = *tls.last->found.certificate_expiration_ms / 3'600'000.0;
  EXPECT_GT(left_h, 23.0);
  EXPECT_LE(left_h, 24.0);

  // Stop b: down within two intervals, an incident, a webhook, and its uptime drops.
  const auto before = status_of(t.snapshot(), "devnet_b").probes;
  const std::string b_port = b->port(0);
  const auto killed = std::chrono::steady_clock::now();
  b->stop();
  ASSERT_TRUE(wait_for(
      [&] { return status_of(t.snapshot(), "devnet_b").state == endpoint_state::down; }, 5s));
  const auto took = std::chrono::steady_clock::now() - killed;
  EXPECT_LE(took, 2 * 400ms + 300ms) << "scheduling slack of 300 ms included";
  EXPECT_GT(status_of(t.snapshot(), "devnet_b").probes, before);
  ASSERT_TRUE(wait_for(
      [&] {
        for (const auto& v : hook.received()) {
          if (v.at("event") == "triggered" && v.at("key") == "devnet_b") return true;
        }
        return false;
      },
      5s));
  ASSERT_TRUE(wait_for([&] { return status_of(t.snapshot(), "devnet_b").by_state[3] >= 4; }, 5s));
  {
    uptime_store reader(db_path);
    const state_counts c = reader.counts("devnet_b", 0);
    EXPECT_GE(c.down, 4);
    EXPECT_GT(c.up, 0);
    ASSERT_TRUE(c.uptime_ratio());
    EXPECT_LT(*c.uptime_ratio(), 1.0);
    EXPECT_DOUBLE_EQ(*c.uptime_ratio(), static_cast<double>(c.up) / static_cast<double>(c.total));
    const state_counts a0 = reader.counts("devnet_a0", 0);
    EXPECT_EQ(a0.up, a0.total);
    const auto incidents = reader.incidents(10);
    ASSERT_FALSE(incidents.empty());
    EXPECT_EQ(incidents.front().key, "devnet_b");
    EXPECT_FALSE(incidents.front().ended_ms);
  }
  for (const auto& v : hook.received()) {
    if (v.at("key") != "devnet_b") continue;
    EXPECT_EQ(v.at("state"), "down");
    EXPECT_FALSE(v.at("failed_conditions").as_array().empty());
    EXPECT_EQ(v.at("url"), json::value(cfg.endpoints[3].url));
  }

  // The status page's data, over the real HTTP server.
  auto get = [&](const std::string& target) {
    std::promise<rpc::http_response> p;
    boost::asio::post(tio.io, [&] {
      rpc::http_request_info r;
      r.method = "GET";
      r.target = target;
      p.set_value(server.handle(r));
    });
    return p.get_future().get();
  };
  const json::value status = json::parse(get("/api/v1/status").body);
  EXPECT_EQ(status.at("groups").as_array().size(), 3u);
  EXPECT_EQ(status.at("groups").at(0).at("name"), "devnet");
  EXPECT_EQ(status.at("summary").at("wrong_network"), 1);
  EXPECT_GE(status.at("certificates").as_array().size(), 1u);
  const json::value nodes = json::parse(get("/nodes.json").body);
  ASSERT_EQ(nodes.as_array().size(), 3u);  // a0..a2; b is down, the others are not up
  EXPECT_EQ(nodes.at(0).at("url"), json::value(a.endpoints()[0]));
  EXPECT_TRUE(nodes.at(0).as_object().contains("location"));
  EXPECT_NE(get("/badge/devnet_a0.svg").body.find(">up<"), std::string::npos);
  EXPECT_NE(get("/badge/devnet_b/uptime/24h.svg").body.find("%"), std::string::npos);
  EXPECT_EQ(get("/badge/nope.svg").status, 404u);
  const std::string metrics = get("/metrics").body;
  EXPECT_NE(metrics.find("bts_uptime_endpoint_up{endpoint=\"a0\",group=\"devnet\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics.find("bts_uptime_endpoint_up{endpoint=\"b\",group=\"devnet\"} 0"),
            std::string::npos);
  EXPECT_NE(metrics.find("bts_uptime_certificate_expiry_seconds{endpoint=\"tls\""),
            std::string::npos);
  const json::value hist = json::parse(get("/api/v1/endpoints/devnet_b/history?window=1h").body);
  EXPECT_GE(hist.at("points").as_array().size(), 2u);
  EXPECT_EQ(get("/api/v1/endpoints/devnet_b/history?window=2y").status, 400u);
  EXPECT_NE(get("/").body.find("/assets/uptime-status.js"), std::string::npos);
  EXPECT_EQ(get("/assets/uptime-status.js").status, 200u);

  // Bring b back on its port: resolved.
  b = std::make_unique<devnet_process>(std::vector<std::string>{"--listen", "127.0.0.1:" + b_port});
  ASSERT_TRUE(wait_for(
      [&] {
        for (const auto& v : hook.received()) {
          if (v.at("event") == "resolved" && v.at("key") == "devnet_b") return true;
        }
        return false;
      },
      8s));
  EXPECT_EQ(t.counters().webhooks_failed.load(), 0u);
  t.stop();
  server.stop();
  std::this_thread::sleep_for(100ms);
  tio.io.stop();  // nothing may run on the tracker once it is destroyed
}

TEST(Tracker, FlappingNodeSendsOneTriggerAndOneResolvePerCooldown) {
  io_thread fakes;
  auto chain = std::make_shared<fake_chain>();
  // Probe n is stale unless n % 3 == 2: stale, stale, fresh, stale, stale, fresh, ...
  chain->on_dgp = [](fake_chain& c) { c.head_age = (c.dgp_calls % 3 == 0) ? 1s : 120s; };
  rpc::server node(fakes.io.get_executor(), fake_node_options(chain));
  const std::string yaml =
      "alerts: {failure_threshold: 2, success_threshold: 1, cooldown: 1m}\n"
      "endpoints:\n  - name: flappy\n    url: ws://127.0.0.1:" +
      std::to_string(node.port()) +
      "\n    interval: 150ms\n    timeout: 1s\n    conditions: [\"[HEAD_BLOCK_AGE] < 10s\"]\n";
  io_thread tio;
  tracker t(tio.io.get_executor(), parse_config(yaml, "flap.yaml"), nullptr);
  std::mutex mu;
  std::vector<std::string> alerts;
  t.on_alert = [&](const alert_event& a) {
    std::lock_guard lock(mu);
    alerts.push_back(a.kind);
  };
  t.start();
  ASSERT_TRUE(wait_for([&] { return t.snapshot()[0].probes >= 13; }, 10s));
  t.stop();
  std::this_thread::sleep_for(200ms);
  tio.io.stop();
  std::lock_guard lock(mu);
  EXPECT_EQ(alerts, (std::vector<std::string>{"triggered", "resolved"}));
  EXPECT_GE(t.snapshot()[0].suppressed_triggers, 2u);
  EXPECT_GE(t.snapshot()[0].by_state[1], 8u);
}

TEST(Tracker, UnreachableEndpointIsDownWithTheReason) {
  // A port nobody listens on: bind one, close it.
  io_thread tio;
  std::uint16_t port = 0;
  {
    rpc::server probe_port(tio.io.get_executor(), {});
    port = probe_port.port();
  }
  const std::string yaml =
      "endpoints:\n  - name: gone\n    url: ws://127.0.0.1:" + std::to_string(port) +
      "\n    timeout: 1s\n  - name: tcp\n    url: tcp://127.0.0.1:" + std::to_string(port) + "\n";
  tracker t(tio.io.get_executor(), parse_config(yaml, "gone.yaml"), nullptr);
  std::promise<void> done;
  boost::asio::co_spawn(tio.io, t.probe_all_once(), [&](std::exception_ptr) { done.set_value(); });
  ASSERT_EQ(done.get_future().wait_for(5s), std::future_status::ready);
  const auto snap = t.snapshot();
  EXPECT_EQ(snap[0].state, endpoint_state::down);
  ASSERT_FALSE(snap[0].failed.empty());
  EXPECT_NE(snap[0].failed.front().find("connect: Connection refused"), std::string::npos)
      << snap[0].failed.front();
  EXPECT_EQ(snap[1].state, endpoint_state::down);
  EXPECT_TRUE(any_contains(snap[1].failed, "[CONNECTED] (false) == true"));
}

TEST(Tracker, DownNeedsAQuorumOfProbeLocations) {
  io_thread tio;
  std::uint16_t port = 0;
  {
    rpc::server closed(tio.io.get_executor(), {});
    port = closed.port();
  }
  setenv("UPTIME_TEST_PROBE_TOKEN", "s3cret-token", 1);
  const std::string yaml =
      "probes: {location: here, token_env: UPTIME_TEST_PROBE_TOKEN, quorum: 2}\n"
      "endpoints:\n  - name: gone\n    url: ws://127.0.0.1:" +
      std::to_string(port) + "\n    interval: 200ms\n    timeout: 500ms\n";
  tracker t(tio.io.get_executor(), parse_config(yaml, "quorum.yaml"), nullptr);
  status_server server(tio.io.get_executor(), t, "127.0.0.1", 0, {}, "s3cret-token");
  t.start();
  ASSERT_TRUE(wait_for([&] { return t.snapshot()[0].probes >= 2; }, 5s));
  // Only this location sees it down: not enough for "down".
  EXPECT_EQ(t.snapshot()[0].state, endpoint_state::degraded);
  EXPECT_TRUE(any_contains(t.snapshot()[0].failed, "down from 1 of 1 locations (quorum 2)"));

  const std::string url = "ws://127.0.0.1:" + std::to_string(server.port());
  {
    rpc::client_options o;
    o.url = url;
    o.reconnect = false;
    rpc::blocking_client anonymous(o);
    EXPECT_FALSE(anonymous.wait_connected(1s));  // refused with 401 without the token
  }
  rpc::client_options o;
  o.url = url;
  o.headers.emplace_back("Authorization", "Bearer s3cret-token");
  rpc::blocking_client remote(o);
  ASSERT_TRUE(remote.wait_connected(2s));
  const auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  json::array unknown{"far", "default_nope", 3, json::array{}, now_ms()};
  EXPECT_FALSE(remote.call("uptime", "report", unknown).ok());
  json::array bad{"far", "default_gone", 7, json::array{}, now_ms()};
  EXPECT_FALSE(remote.call("uptime", "report", bad).ok());
  // A second location agrees: down.
  ASSERT_TRUE(wait_for(
      [&] {
        json::array report{"far", "default_gone", 3, json::array{"connect: Connection refused"},
                           now_ms()};
        EXPECT_TRUE(remote.call("uptime", "report", report).ok());
        return t.snapshot()[0].state == endpoint_state::down;
      },
      5s));
  EXPECT_EQ(t.snapshot()[0].remote.at("far").state, endpoint_state::down);
  t.stop();
  server.stop();
  std::this_thread::sleep_for(100ms);
  tio.io.stop();
}

TEST(Probe, ParticipationFromRecentSlotsFilled) {
  EXPECT_DOUBLE_EQ(*participation_percent(json::value("340282366920938463463374607431768211455")),
                   100.0);
  EXPECT_DOUBLE_EQ(*participation_percent(json::value("18446744073709551615")), 50.0);
  EXPECT_DOUBLE_EQ(*participation_percent(json::value(std::uint64_t{7})), 300.0 / 128.0);
  EXPECT_FALSE(participation_percent(json::value("x1")));
  EXPECT_FALSE(participation_percent(json::value(nullptr)));
}

}  // namespace
}  // namespace bts::uptime
