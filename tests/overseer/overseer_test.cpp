// The overseer and beacon agents over real loopback sockets: authentication, registration,
// statistics stored and merged, clock offsets, lost and resumed beacons, an overseer restarted
// mid-run, malformed control messages and the JSON API.
#include "overseer/overseer.hpp"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

#include "control/agent.hpp"
#include "overseer/api_client.hpp"
#include "rpc/blocking_client.hpp"
#include "store/results_store.hpp"
#include "support/eventually.hpp"
#include "support/node_exporter.hpp"
#include "tcp_proxy.hpp"

namespace bts::overseer {
namespace {

using namespace control;

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* beacon_token = "beacon-secret-token-1234";
constexpr const char* admin_token = "admin-secret-token-5678";

// Polls `pred` every 20 ms for up to `limit` (10 s here).
template <class P>
bool eventually(P pred, std::chrono::milliseconds limit = 10s) {
  return ::bts::test::eventually(pred, limit);
}

std::string scenario(int seconds, int rate = 20) {
  return "name: fleet-test\n"
         "nodes:\n"
         "  - url: ws://127.0.0.1:1\n"
         "  - url: ws://127.0.0.1:2\n"
         "load: {kind: constant, rate: " +
         std::to_string(rate) + "}\nduration: " + std::to_string(seconds) + "s\n";
}

class OverseerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("overseer-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    agent_thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    agents_.clear();
    ov_.reset();
    work_.reset();
    io_.stop();
    agent_thread_.join();
    std::filesystem::remove_all(dir_);
  }

  overseer_options options(std::uint16_t port = 0) {
    overseer_options o;
    o.port = port;
    o.store = dir_ / "results.db";
    o.beacon_token = beacon_token;
    o.admin_token = admin_token;
    o.ping_interval = 100ms;
    o.log = [this](const std::string& l) {
      std::lock_guard lock(log_mu_);
      log_.push_back(l);
    };
    return o;
  }
  void start_overseer(std::uint16_t port = 0) { ov_ = std::make_unique<overseer>(options(port)); }

  std::string url() const { return "ws://127.0.0.1:" + std::to_string(ov_->port()); }
  std::string http() const { return "http://127.0.0.1:" + std::to_string(ov_->port()); }

  agent& add_agent(const std::string& name, std::chrono::milliseconds second_length = 50ms,
                   std::function<unix_us()> now = {}, std::string target = {}) {
    agent_options o;
    o.overseer = target.empty() ? url() : target;
    o.name = name;
    o.token = beacon_token;
    o.make_runner = simulated_runner({second_length, 20});
    o.now = std::move(now);
    o.heartbeat_interval = 100ms;
    o.log = [](const std::string&) {};
    agents_.push_back(std::make_unique<agent>(io_.get_executor(), std::move(o)));
    agents_.back()->start();
    return *agents_.back();
  }

  json::object beacon_json(const std::string& name) {
    for (const auto& b : ov_->beacons_json()) {
      if (b.as_object().at("name").as_string() == name) return b.as_object();
    }
    return {};
  }
  bool connected(const std::string& name) {
    auto b = beacon_json(name);
    return !b.empty() && b.at("connection").as_string() == "connected";
  }
  std::string run_status(const std::string& id) {
    return std::string(ov_->run_json(id).at("status").as_string());
  }
  std::vector<std::string> logs() {
    std::lock_guard lock(log_mu_);
    return log_;
  }
  bool logged(const std::string& needle) {
    for (const auto& l : logs()) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }

  std::filesystem::path dir_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  std::thread agent_thread_;
  std::unique_ptr<overseer> ov_;
  std::vector<std::unique_ptr<agent>> agents_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(OverseerTest, WrongOrMissingTokenIsRefusedAndLoggedWithPeerAddress) {
  start_overseer();
  for (const char* token : {"", "not-the-token"}) {
    rpc::client_options co;
    co.url = url() + "/control";
    co.reconnect = false;
    if (*token) co.headers.emplace_back("Authorization", std::string("Bearer ") + token);
    rpc::blocking_client c(co);
    EXPECT_FALSE(c.wait_connected(2s));
    EXPECT_NE(c.async().last_error().find("websocket handshake"), std::string::npos)
        << c.async().last_error();
  }
  EXPECT_TRUE(eventually([&] { return logged("missing token") && logged("wrong token"); }));
  for (const auto& l : logs()) {
    if (l.find("refused control connection from 127.0.0.1:") != std::string::npos) continue;
    EXPECT_EQ(l.find("refused control"), std::string::npos) << l;
  }
  EXPECT_TRUE(logged("refused control connection from 127.0.0.1:"));
  for (const auto& l : logs()) {
    EXPECT_EQ(l.find("not-the-token"), std::string::npos) << l;
    EXPECT_EQ(l.find(beacon_token), std::string::npos) << l;
  }
  EXPECT_TRUE(ov_->beacons_json().empty());
}

TEST_F(OverseerTest, MalformedControlMessagesGetErrorsNamingThePathAndKeepTheConnection) {
  start_overseer();
  rpc::client_options co;
  co.url = url() + "/control";
  co.headers.emplace_back("Authorization", std::string("Bearer ") + beacon_token);
  rpc::blocking_client c(co);
  ASSERT_TRUE(c.wait_connected(5s));
  auto body = [](const std::string& text) {
    json::array a;
    a.push_back(json::parse(text));
    return a;
  };
  auto r = c.call("control", "heartbeat", body(R"({"state":"idle"})"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "heartbeat: register first");
  r = c.call(
      "control", "register",
      body(
          R"({"protocol":1,"name":"b1","version":"1","host":"h","cores":"x","commands":1,"state":"idle"})"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "register.cores: expected an integer");
  r = c.call("control", "launch", body("{}"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("type: unknown message type \"launch\"", 0), 0u);
  r = c.call("database", "get_chain_id", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "api: expected \"control\"");
  // Still connected: a good register goes through.
  r = c.call(
      "control", "register",
      body(
          R"({"protocol":1,"name":"b1","version":"1","host":"h","cores":2,"commands":1,"state":"idle"})"));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_TRUE(connected("b1"));
  r = c.call("control", "stats", body(R"({"run":"nope","rows":[]})"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "stats.run: beacon b1 is not part of run \"nope\"");
}

TEST_F(OverseerTest, RunIsStoredPerBeaconAndMergedExactly) {
  start_overseer();
  add_agent("alpha");
  add_agent("beta");
  ASSERT_TRUE(eventually([&] { return connected("alpha") && connected("beta"); }));
  run_request rq;
  rq.scenario_name = "fleet-test";
  rq.scenario_text = scenario(10);
  json::object created = ov_->create_run(rq);
  const std::string id(created.at("id").as_string());
  // Round robin over the two nodes, 20 tx/s split.
  const auto& assign = created.at("beacons").as_array();
  ASSERT_EQ(assign.size(), 2u);
  EXPECT_EQ(assign[0].at("nodes").as_array()[0].as_string(), "ws://127.0.0.1:1");
  EXPECT_EQ(assign[1].at("nodes").as_array()[0].as_string(), "ws://127.0.0.1:2");
  EXPECT_EQ(assign[0].at("rate").as_double(), 10);
  ASSERT_TRUE(
      eventually([&] { return beacon_json("alpha").at("state").as_string() == "prepared"; }));
  ov_->start_run(id, now_unix_us() + 100'000);
  ASSERT_TRUE(eventually([&] { return run_status(id) == "completed"; })) << run_status(id);
  ov_->flush();

  store::results_store db(dir_ / "results.db", store::results_store::mode::read_only);
  store::run_record rec = db.load_run(id);
  ASSERT_EQ(rec.merged.rows().size(), 10u);
  ASSERT_EQ(rec.by_beacon.at("alpha").rows().size(), 10u);
  ASSERT_EQ(rec.by_beacon.at("beta").rows().size(), 10u);
  std::int64_t merged_count = 0;
  for (std::int64_t s = 0; s < 10; ++s) {
    const auto& m = rec.merged.rows()[s];
    EXPECT_EQ(m.second, s);
    EXPECT_EQ(m.beacons, 2);
    EXPECT_EQ(m.sent,
              rec.by_beacon.at("alpha").rows()[s].sent + rec.by_beacon.at("beta").rows()[s].sent);
    EXPECT_EQ(m.sent, 20);
    // Exact merge: the merged histogram holds every latency of both beacons.
    const auto& k = stats::latency_kind::ack_uncorrected;
    EXPECT_EQ(m[k].count, rec.by_beacon.at("alpha").rows()[s][k].count +
                              rec.by_beacon.at("beta").rows()[s][k].count);
    merged_count += m[k].count;
  }
  stats::latency_set cumulative = store::decode(rec.cumulative.at(""));
  EXPECT_EQ(cumulative[stats::latency_kind::ack_uncorrected].count(), merged_count);
  ASSERT_TRUE(rec.summary.has_value());
  EXPECT_EQ(rec.summary->at("totals").at("sent").as_int64(), 200);
  EXPECT_EQ(rec.info.status, store::run_status::completed);
  EXPECT_EQ(rec.beacons.size(), 2u);
}

TEST_F(OverseerTest, ClockOffsetOfASkewedBeaconIsMeasured) {
  start_overseer();
  add_agent("skewed", 50ms, [] { return now_unix_us() + 5'000'000; });
  add_agent("exact");
  ASSERT_TRUE(eventually([&] {
    auto a = beacon_json("skewed"), b = beacon_json("exact");
    return !a.empty() && !b.empty() && a.at("clock_offset_us").is_int64() &&
           b.at("clock_offset_us").is_int64();
  }));
  const std::int64_t skewed = beacon_json("skewed").at("clock_offset_us").as_int64();
  const std::int64_t exact = beacon_json("exact").at("clock_offset_us").as_int64();
  EXPECT_NEAR(static_cast<double>(skewed), 5'000'000.0, 50'000.0);
  EXPECT_NEAR(static_cast<double>(exact), 0.0, 50'000.0);
  EXPECT_GE(beacon_json("skewed").at("clock_delay_us").as_int64(), 0);
}

TEST_F(OverseerTest, LostBeaconResumesIntoTheSameRun) {
  start_overseer();
  test::tcp_proxy proxy(ov_->port());
  agent& a = add_agent("roamer", 50ms, {}, "ws://127.0.0.1:" + std::to_string(proxy.port()));
  add_agent("steady");
  ASSERT_TRUE(eventually([&] { return connected("roamer") && connected("steady"); }));
  run_request rq;
  rq.scenario_text = scenario(40);
  const std::string id(ov_->create_run(rq).at("id").as_string());
  ASSERT_TRUE(
      eventually([&] { return beacon_json("roamer").at("state").as_string() == "prepared"; }));
  ov_->start_run(id, now_unix_us() + 50'000);
  ASSERT_TRUE(eventually([&] { return a.get_status().acked_second >= 8; }));
  proxy.set_refusing(true);
  proxy.drop_all();
  ASSERT_TRUE(eventually([&] { return !connected("roamer"); }));
  EXPECT_EQ(ov_->run_json(id).at("status").as_string(), "running");
  // The beacon keeps producing rows while cut off.
  ASSERT_TRUE(eventually([&] { return a.get_status().unacked >= 5; }));
  proxy.set_refusing(false);
  ASSERT_TRUE(eventually([&] { return run_status(id) == "completed"; }, 20s)) << run_status(id);
  EXPECT_GE(a.get_status().registrations, 2u);
  EXPECT_TRUE(eventually([&] { return a.get_status().unacked == 0; }));
  ov_->flush();
  store::results_store db(dir_ / "results.db", store::results_store::mode::read_only);
  store::run_record rec = db.load_run(id);
  ASSERT_EQ(rec.by_beacon.at("roamer").rows().size(), 40u);
  ASSERT_EQ(rec.merged.rows().size(), 40u);
  for (const auto& row : rec.merged.rows()) EXPECT_EQ(row.beacons, 2) << "second " << row.second;
  bool lost = false, resumed = false;
  for (const auto& e : rec.events) {
    if (e.beacon == "roamer" && e.kind == store::event_kind::beacon_lost) lost = true;
    if (e.beacon == "roamer" && e.kind == store::event_kind::beacon_joined &&
        e.data.contains("resumed")) {
      resumed = true;
    }
  }
  EXPECT_TRUE(lost);
  EXPECT_TRUE(resumed);
  EXPECT_TRUE(logged("beacon roamer resumed run " + id));
}

TEST_F(OverseerTest, OverseerRestartedMidRunLosesNoStoredSecond) {
  start_overseer();
  const std::uint16_t port = ov_->port();
  agent& a = add_agent("alpha", 50ms);
  agent& b = add_agent("beta", 50ms);
  ASSERT_TRUE(eventually([&] { return connected("alpha") && connected("beta"); }));
  run_request rq;
  rq.scenario_text = scenario(60);
  const std::string id(ov_->create_run(rq).at("id").as_string());
  ASSERT_TRUE(
      eventually([&] { return beacon_json("beta").at("state").as_string() == "prepared"; }));
  ov_->start_run(id, now_unix_us() + 50'000);
  ASSERT_TRUE(eventually([&] { return a.get_status().acked_second >= 12; }));
  ov_.reset();  // the overseer goes away mid-run
  std::this_thread::sleep_for(400ms);
  EXPECT_GT(a.get_status().unacked, 0u);
  start_overseer(port);  // same store, same port
  ASSERT_TRUE(eventually([&] { return run_status(id) == "completed"; }, 30s)) << run_status(id);
  EXPECT_GE(b.get_status().registrations, 2u);
  ov_->flush();
  store::results_store db(dir_ / "results.db", store::results_store::mode::read_only);
  store::run_record rec = db.load_run(id);
  EXPECT_EQ(rec.by_beacon.at("alpha").rows().size(), 60u);
  EXPECT_EQ(rec.by_beacon.at("beta").rows().size(), 60u);
  ASSERT_EQ(rec.merged.rows().size(), 60u);
  for (std::int64_t s = 0; s < 60; ++s) {
    EXPECT_EQ(rec.merged.rows()[s].second, s);
    EXPECT_EQ(rec.merged.rows()[s].beacons, 2) << "second " << s;
    EXPECT_EQ(rec.merged.rows()[s].sent, 20) << "second " << s;
  }
  EXPECT_TRUE(logged("resuming run " + id));
  ASSERT_TRUE(rec.summary.has_value());
  EXPECT_EQ(rec.summary->at("totals").at("sent").as_int64(), 1200);
}

TEST_F(OverseerTest, HttpApiRequiresTheAdminTokenToChangeState) {
  start_overseer();
  add_agent("solo", 50ms);
  ASSERT_TRUE(eventually([&] { return connected("solo"); }));
  auto r = api_request(http(), "GET", "/api/beacons");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(json::parse(r.body).as_array().size(), 1u);
  json::object create;
  create["scenario"] = scenario(5);
  const std::string body = json::serialize(create);
  EXPECT_EQ(api_request(http(), "POST", "/api/runs", body).status, 401u);
  EXPECT_EQ(api_request(http(), "POST", "/api/runs", body, "wrong-admin").status, 401u);
  EXPECT_EQ(api_request(http(), "POST", "/api/runs", body, beacon_token).status, 401u);
  EXPECT_TRUE(logged("refused POST /api/runs from 127.0.0.1:"));
  for (const auto& l : logs()) EXPECT_EQ(l.find("wrong-admin"), std::string::npos) << l;
  // The admin token may not open the control websocket either.
  {
    rpc::client_options co;
    co.url = url() + "/control";
    co.reconnect = false;
    co.headers.emplace_back("Authorization", std::string("Bearer ") + admin_token);
    rpc::blocking_client c(co);
    EXPECT_FALSE(c.wait_connected(2s));
  }

  // Bad requests: 400 naming the field.
  auto err = [&](const std::string& target, const std::string& b) {
    auto res = api_request(http(), "POST", target, b, admin_token);
    EXPECT_EQ(res.status, 400u) << res.body;
    return std::string(json::parse(res.body).at("error").as_string());
  };
  EXPECT_EQ(err("/api/runs", R"({"preset":"nope"})").rfind("preset: unknown preset", 0), 0u);
  EXPECT_EQ(err("/api/runs", R"({"scenario":"nodes: []","rate":"fast"})").rfind("rate:", 0), 0u);
  EXPECT_EQ(
      err("/api/runs", R"({"scenario":"nodes: []","colour":1})").rfind("colour: unknown field", 0),
      0u);
  EXPECT_EQ(err("/api/runs", R"({"scenario":"nodes: []"})").rfind("scenario:1:8: nodes:", 0), 0u);
  EXPECT_EQ(err("/api/runs", R"({"scenario":"name: x\n"})"),
            "scenario.nodes: a fleet run needs at least one node");
  EXPECT_EQ(
      err("/api/runs", R"({"scenario":"load: {kind: constant, rate: x}\n"})").rfind("scenario:", 0),
      0u);
  json::object ghost = create;
  ghost["beacons"] = json::array{"ghost"};
  EXPECT_EQ(err("/api/runs", json::serialize(ghost)),
            "beacons[0]: beacon \"ghost\" is not connected");
  EXPECT_EQ(api_request(http(), "POST", "/api/runs/nope/start", "", admin_token).status, 404u);

  // The whole flow through the API.
  r = api_request(http(), "POST", "/api/runs", body, admin_token);
  ASSERT_EQ(r.status, 201u) << r.body;
  const std::string id(json::parse(r.body).at("id").as_string());
  ASSERT_TRUE(
      eventually([&] { return beacon_json("solo").at("state").as_string() == "prepared"; }));
  r = api_request(http(), "POST", "/api/runs/" + id + "/start", R"({"delay_ms":50})", admin_token);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(api_request(http(), "POST", "/api/runs/" + id + "/start", "", admin_token).status,
            400u);
  r = api_request(http(), "POST", "/api/runs/" + id + "/rate", R"({"rate":40})", admin_token);
  ASSERT_EQ(r.status, 200u) << r.body;
  ASSERT_TRUE(eventually([&] {
    auto b = beacon_json("solo");
    return b.at("rate").is_number() && b.at("rate").to_number<double>() == 40;
  }));
  ASSERT_TRUE(eventually([&] { return run_status(id) == "completed"; }));
  r = api_request(http(), "GET", "/api/runs/" + id + "/series");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(json::parse(r.body).as_array().size(), 5u);
  r = api_request(http(), "GET", "/api/runs/" + id + "/series?beacon=solo&from=3");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(json::parse(r.body).as_array().size(), 2u);
  r = api_request(http(), "GET", "/api/runs");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(json::parse(r.body).as_array()[0].at("id").as_string(), id);
  r = api_request(http(), "GET", "/api/runs/" + id);
  ASSERT_EQ(r.status, 200u);
  EXPECT_TRUE(json::parse(r.body).as_object().contains("summary"));
}

// A scenario node's node_load is read by the overseer itself (a real node_exporter on loopback):
// merged seconds carry that node's CPU, cores and memory; a node without a source has none; a
// source that cannot be read is one clear error when the run is created.
TEST_F(OverseerTest, OverseerReadsTheScenariosNodeLoadIntoMergedSeconds) {
  BTS_REQUIRE_NODE_EXPORTER();
  ::bts::test::node_exporter_process exporter;
  ASSERT_EQ(exporter.wait_ready(), "");
  start_overseer();
  add_agent("alpha", 1000ms);
  add_agent("beta", 1000ms);
  ASSERT_TRUE(eventually([&] { return connected("alpha") && connected("beta"); }));
  auto with_load = [](const std::string& spec) {
    return "name: fleet-test\n"
           "nodes:\n"
           "  - {url: ws://127.0.0.1:1, node_load: '" + spec + "'}\n"
           "  - url: ws://127.0.0.1:2\n"
           "load: {kind: constant, rate: 20}\nduration: 4s\n";
  };
  run_request rq;
  rq.scenario_name = "fleet-test";
  const std::string refused = "http://127.0.0.1:" + std::to_string(::bts::test::unused_loopback_port()) + "/metrics";
  rq.scenario_text = with_load("node_exporter:" + refused);
  try {
    ov_->create_run(rq);
    FAIL() << "a run with an unreadable node_load source was created";
  } catch (const input_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "nodes[0].node_load: node_exporter:" + refused + ": connect: Connection refused");
  }

  rq.scenario_text = with_load("node_exporter:" + exporter.url());
  json::object created = ov_->create_run(rq);
  const std::string id(created.at("id").as_string());
  ASSERT_TRUE(eventually([&] { return beacon_json("beta").at("state").as_string() == "prepared"; }));
  ov_->start_run(id, now_unix_us() + 100'000);
  ASSERT_TRUE(eventually([&] { return run_status(id) == "completed"; }, 20s)) << run_status(id);
  ov_->flush();

  store::results_store db(dir_ / "results.db", store::results_store::mode::read_only);
  store::run_record rec = db.load_run(id);
  const auto& manifest_load = rec.info.manifest.at("node_load").as_array();
  ASSERT_EQ(manifest_load.size(), 1u);
  EXPECT_EQ(manifest_load[0].at("node").as_string(), "ws://127.0.0.1:1");
  EXPECT_EQ(manifest_load[0].at("read_by").as_string(), "overseer");
  ASSERT_EQ(rec.merged.rows().size(), 4u);
  int with_memory = 0, with_cpu = 0;
  for (const auto& row : rec.merged.rows()) {
    EXPECT_EQ(row.node_load.count("ws://127.0.0.1:2"), 0u) << "no source for the second node";
    auto it = row.node_load.find("ws://127.0.0.1:1");
    if (it == row.node_load.end()) continue;
    EXPECT_EQ(it->second.cpu_cores, double(sysconf(_SC_NPROCESSORS_ONLN)));
    if (it->second.memory_bytes) {
      ++with_memory;
      EXPECT_GT(*it->second.memory_bytes, 1e7);
    }
    if (it->second.cpu_percent) {
      ++with_cpu;
      EXPECT_EQ(row.node_cpu_percent, it->second.cpu_percent);
    }
  }
  EXPECT_GE(with_memory, 3) << "merged seconds with the node's memory";
  EXPECT_GE(with_cpu, 2) << "merged seconds with the node's CPU";
  // The per-beacon rows (simulated beacons measure no node) have none: it is the overseer's.
  for (const auto& row : rec.by_beacon.at("alpha").rows()) EXPECT_TRUE(row.node_load.empty());
}

}  // namespace
}  // namespace bts::overseer
