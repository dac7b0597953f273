// The overseer's API never holds up its beacons: while POST /api/runs waits seconds for the
// scenario's node_load sources (a node_exporter on loopback that answers slowly), a connected
// beacon's heartbeats are answered and a running beacon's stats rows are stored and
// acknowledged (issue 17).
#include "overseer/overseer.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "control/agent.hpp"
#include "overseer/api_client.hpp"
#include "rpc/blocking_client.hpp"
#include "support/loopback_listener.hpp"
#include "support/eventually.hpp"

namespace bts::overseer {
namespace {

using namespace control;
using namespace std::chrono_literals;
namespace json = boost::json;
using steady = std::chrono::steady_clock;

constexpr const char* beacon_token = "beacon-secret-token-1234";
constexpr const char* admin_token = "admin-secret-token-5678";

// A node_exporter on loopback that answers each request `delay` after reading it, one
// connection at a time (Connection: close).
class slow_exporter {
 public:
  explicit slow_exporter(std::chrono::milliseconds delay) : delay_(delay) {
    fd_ = test::listen_on_loopback(port_);
    thread_ = std::thread([this] { serve(); });
  }
  ~slow_exporter() {
    stop_ = true;
    thread_.join();
    close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/metrics"; }
  int requests() const { return requests_.load(); }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        pollfd q{c, POLLIN, 0};
        if (poll(&q, 1, 1000) <= 0) break;
        const ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, static_cast<std::size_t>(n));
      }
      ++requests_;
      for (auto until = steady::now() + delay_; !stop_ && steady::now() < until;) {
        std::this_thread::sleep_for(10ms);
      }
      const std::string body =
          "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 100\n"
          "node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 10\n"
          "node_memory_MemTotal_bytes 8e+09\n"
          "node_memory_MemAvailable_bytes 4e+09\n";
      const std::string res = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
      (void)!write(c, res.data(), res.size());
      close(c);
    }
  }

  std::chrono::milliseconds delay_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

class OverseerSlowApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("overseer-slow-api-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    overseer_options o;
    o.store = dir_ / "results.db";
    o.beacon_token = beacon_token;
    o.admin_token = admin_token;
    o.ping_interval = 100ms;
    o.log = [](const std::string&) {};
    ov_ = std::make_unique<overseer>(std::move(o));
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

  agent& add_agent(const std::string& name) {
    agent_options o;
    o.overseer = "ws://127.0.0.1:" + std::to_string(ov_->port());
    o.name = name;
    o.token = beacon_token;
    o.make_runner = simulated_runner({50ms, 20});
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
  bool in_state(const std::string& name, const char* state) {
    auto b = beacon_json(name);
    return !b.empty() && b.at("connection").as_string() == "connected" &&
           b.at("state").as_string() == state;
  }

  std::filesystem::path dir_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  std::thread agent_thread_;
  std::unique_ptr<overseer> ov_;
  std::vector<std::unique_ptr<agent>> agents_;
};

TEST_F(OverseerSlowApiTest, BeaconsAreServedWhileARunCreationWaitsForNodeLoadSources) {
  using ::bts::test::eventually;
  // Two nodes read through the slow exporter: the creation checks each once, 1.5 s apiece (under the check's 2 s timeout).
  slow_exporter exporter(1500ms);
  agent& alpha = add_agent("alpha");
  add_agent("beta");
  ASSERT_TRUE(eventually([&] { return in_state("alpha", "idle") && in_state("beta", "idle"); },
                         10s));

  // alpha runs (400 seconds of 50 ms: 20 s at most) and streams stats throughout.
  run_request rq;
  rq.scenario_text = "nodes:\n  - url: ws://127.0.0.1:1\nload: {kind: constant, rate: 20}\n"
                     "duration: 400s\n";
  rq.beacons = {"alpha"};
  const std::string running(ov_->create_run(rq).at("id").as_string());
  ASSERT_TRUE(eventually([&] { return in_state("alpha", "prepared"); }, 10s));
  ov_->start_run(running, now_unix_us() + 50'000);
  ASSERT_TRUE(eventually([&] { return alpha.get_status().acked_second >= 3; }, 10s));

  // A raw control connection, to time heartbeats ourselves.
  rpc::client_options co;
  co.url = "ws://127.0.0.1:" + std::to_string(ov_->port()) + "/control";
  co.headers.emplace_back("Authorization", std::string("Bearer ") + beacon_token);
  rpc::blocking_client watcher(co);
  ASSERT_TRUE(watcher.wait_connected(5s));
  auto msg = [](const std::string& text) { return json::array{json::parse(text)}; };
  ASSERT_TRUE(watcher
                  .call("control", "register",
                        msg(R"({"protocol":1,"name":"watcher","version":"1","host":"h",)"
                            R"("cores":1,"commands":1,"state":"idle"})"),
                        5s)
                  .ok());

  // POST /api/runs for beta, held open by the exporter for 3 s.
  json::object create;
  create["scenario"] = "nodes:\n  - {url: ws://127.0.0.1:1, node_load: 'node_exporter:" +
                       exporter.url() + "'}\n  - {url: ws://127.0.0.1:2, node_load: " +
                       "'node_exporter:" + exporter.url() + "'}\nduration: 2s\n";
  create["beacons"] = json::array{"beta"};
  std::atomic<bool> answered{false};
  api_response created;
  const auto posted = steady::now();
  std::thread post([&] {
    created = api_request("http://127.0.0.1:" + std::to_string(ov_->port()), "POST", "/api/runs",
                          json::serialize(create), admin_token, {}, 15s);
    answered = true;
  });
  ASSERT_TRUE(eventually([&] { return exporter.requests() >= 1; }, 5s)) << "no node check";

  // For 1.8 s of the hold: heartbeats answered at once, alpha's rows stored and acknowledged.
  const std::int64_t acked_before = alpha.get_status().acked_second;
  const std::size_t stored_before = ov_->series_json(running, "alpha", 0).size();
  std::chrono::milliseconds slowest_heartbeat{0};
  std::int64_t longest_silence_ms = 0;
  for (const auto until = steady::now() + 1800ms; steady::now() < until;) {
    const auto sent = steady::now();
    auto r = watcher.call("control", "heartbeat", msg(R"({"state":"idle"})"), 5s);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    slowest_heartbeat = std::max(slowest_heartbeat,
                                 std::chrono::duration_cast<std::chrono::milliseconds>(
                                     steady::now() - sent));
    longest_silence_ms =
        std::max(longest_silence_ms, beacon_json("beta").at("last_seen_ms_ago").as_int64());
    std::this_thread::sleep_for(100ms);
  }
  const bool still_pending = !answered;
  const std::int64_t acked_after = alpha.get_status().acked_second;
  const std::size_t stored_after = ov_->series_json(running, "alpha", 0).size();
  post.join();

  EXPECT_TRUE(still_pending) << "the POST was answered within 1.8 s: it held nothing up";
  EXPECT_LT(slowest_heartbeat, 500ms) << "a heartbeat waited for the run creation";
  EXPECT_LT(longest_silence_ms, 1000) << "beta's heartbeats waited for the run creation";
  // 1.8 s of 50 ms seconds is 36 rows; allow for a loaded machine.
  EXPECT_GE(acked_after - acked_before, 10) << "alpha's stats waited for the run creation";
  EXPECT_GE(stored_after, stored_before + 10);
  EXPECT_GE(static_cast<std::int64_t>(stored_after), acked_before + 1);

  // And the creation itself went through, after the two slow checks.
  EXPECT_EQ(created.status, 201u) << created.body;
  EXPECT_GE(steady::now() - posted, 2900ms);
  EXPECT_GE(exporter.requests(), 2);
  const json::value body = json::parse(created.body);
  EXPECT_EQ(body.at("beacons").as_array().at(0).at("beacon").as_string(), "beta");
  EXPECT_TRUE(eventually([&] { return in_state("beta", "prepared"); }, 10s));
}

}  // namespace
}  // namespace bts::overseer
