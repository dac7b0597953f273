// The overseer's GET /metrics over loopback: fleet gauges (connected/lost beacons, clock
// offsets), and the federated bts_infra_run_* families equal to the merged series, monotonic
// from scrape to scrape, histograms cumulative with +Inf = _count.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "control/agent.hpp"
#include "overseer/api_client.hpp"
#include "overseer/overseer.hpp"
#include "support/eventually.hpp"

namespace bts::overseer {
namespace {

using namespace control;

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* beacon_token = "beacon-secret-token-1234";
constexpr const char* admin_token = "admin-secret-token-5678";

using ::bts::test::eventually;

// "name{labels}" -> value, for every sample line.
std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto sp = line.rfind(' ');
    const std::string v = line.substr(sp + 1);
    out[line.substr(0, sp)] = v == "+Inf" ? INFINITY : std::stod(v);
  }
  return out;
}

class OverseerMetrics : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("overseer-metrics-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    overseer_options o;
    o.store = dir_ / "results.db";
    o.beacon_token = beacon_token;
    o.admin_token = admin_token;
    o.ping_interval = 100ms;
    o.log = [](const std::string&) {};
    configure(o);
    ov_ = std::make_unique<overseer>(std::move(o));
    thread_ = std::thread([this] { io_.run(); });
  }
  virtual void configure(overseer_options&) {}
  void TearDown() override {
    agents_.clear();
    ov_.reset();
    work_.reset();
    io_.stop();
    thread_.join();
    std::filesystem::remove_all(dir_);
  }
  void add_agent(const std::string& name, runner_factory make_runner = {}) {
    agent_options o;
    o.overseer = "ws://127.0.0.1:" + std::to_string(ov_->port());
    o.name = name;
    o.token = beacon_token;
    o.make_runner = make_runner ? std::move(make_runner) : simulated_runner({100ms, 20});
    o.heartbeat_interval = 100ms;
    o.log = [](const std::string&) {};
    agents_.push_back(std::make_unique<agent>(io_.get_executor(), std::move(o)));
    agents_.back()->start();
  }
  // Creates a run of `name` on one node at `rate` tx/s for `seconds`, waits until every beacon
  // prepared it and starts it; returns its id.
  std::string start_run(const std::string& name, int rate, int seconds) {
    run_request rq;
    rq.scenario_name = name;
    rq.scenario_text = "name: " + name +
                       "\nnodes:\n  - url: ws://127.0.0.1:1\nload: {kind: constant, rate: " +
                       std::to_string(rate) + "}\nduration: " + std::to_string(seconds) + "s\n";
    const std::string id(ov_->create_run(rq).at("id").as_string());
    EXPECT_TRUE(eventually([&] {
      for (const auto& b : ov_->beacons_json())
        if (b.at("state").as_string() != "prepared") return false;
      return true;
    }));
    ov_->start_run(id, now_unix_us() + 100'000);
    return id;
  }
  // Waits until the run completed and its rows are stored.
  void wait_completed(const std::string& id) {
    ASSERT_TRUE(eventually(
        [&] { return std::string(ov_->run_json(id).at("status").as_string()) == "completed"; }));
    ov_->flush();
  }
  std::map<std::string, double> scrape() {
    auto r = api_request("http://127.0.0.1:" + std::to_string(ov_->port()), "GET", "/metrics", {},
                         {}, {}, 5s);
    EXPECT_EQ(r.status, 200u);
    return samples(r.body);
  }

  std::filesystem::path dir_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  std::thread thread_;
  std::unique_ptr<overseer> ov_;
  std::vector<std::unique_ptr<agent>> agents_;
};

TEST_F(OverseerMetrics, FleetAndFederatedRunMetricsMatchTheMergedSeries) {
  add_agent("alpha");
  add_agent("beta");
  ASSERT_TRUE(eventually([&] {
    auto m = scrape();
    return m["bts_infra_overseer_beacons{connection=\"connected\"}"] == 2 &&
           m.count("bts_infra_overseer_beacon_clock_offset_seconds{beacon=\"alpha\"}") &&
           m.count("bts_infra_overseer_beacon_clock_offset_seconds{beacon=\"beta\"}");
  }));
  auto m = scrape();
  EXPECT_EQ(m.at("bts_infra_overseer_up"), 1);
  EXPECT_EQ(m.at("bts_infra_overseer_beacon_connected{beacon=\"alpha\"}"), 1);
  EXPECT_LT(std::abs(m.at("bts_infra_overseer_beacon_clock_offset_seconds{beacon=\"alpha\"}")),
            0.5);  // same host: the same clock

  const std::string id = start_run("metrics-test", 40, 30);
  const std::string run = "{run=\"" + id + "\"}";
  ASSERT_TRUE(eventually([&] { return scrape()["bts_infra_run_merged_seconds" + run] >= 4; }));

  // Counters rise monotonically from scrape to scrape; histograms stay cumulative.
  double prev_sent = -1, prev_count = -1;
  for (int i = 0; i < 5; ++i) {
    ov_->flush();
    m = scrape();
    const double sent = m.at("bts_infra_run_tx_sent_total" + run);
    const double count = m.at("bts_infra_run_inclusion_latency_seconds_count" + run);
    EXPECT_GE(sent, prev_sent);
    EXPECT_GE(count, prev_count);
    EXPECT_EQ(
        m.at("bts_infra_run_inclusion_latency_seconds_bucket{run=\"" + id + "\",le=\"+Inf\"}"),
        count);
    double prev_bucket = 0;
    for (const auto& [k, v] : m) {
      if (k.rfind("bts_infra_run_inclusion_latency_seconds_bucket{run=\"" + id, 0) == 0) {
        EXPECT_LE(v, count) << k;
        prev_bucket = std::max(prev_bucket, v);
      }
    }
    EXPECT_EQ(m.at("bts_infra_run_running" + run), 1);
    EXPECT_EQ(m.at("bts_infra_run_beacons" + run), 2);
    prev_sent = sent;
    prev_count = count;
    std::this_thread::sleep_for(250ms);
  }
  EXPECT_GT(prev_sent, 0);

  // Equal to the merged series as the API serves it (scraped at the same merged second).
  ov_->stop_run(id);
  ASSERT_TRUE(eventually(
      [&] { return std::string(ov_->run_json(id).at("status").as_string()) != "running"; }));
  ov_->flush();
  m = scrape();
  double sent = 0, included = 0;
  for (const auto& r : ov_->series_json(id, "", 0)) {
    sent += static_cast<double>(r.at("sent").as_int64());
    included += static_cast<double>(r.at("included").as_int64());
  }
  EXPECT_EQ(m.at("bts_infra_run_tx_sent_total" + run), sent);
  EXPECT_EQ(m.at("bts_infra_run_tx_included_total" + run), included);
  EXPECT_EQ(m.at("bts_infra_run_inclusion_latency_seconds_count" + run), included);
  EXPECT_EQ(m.at("bts_infra_run_running" + run), 0);  // ended, still shown for a while
  EXPECT_EQ(m.at("bts_infra_overseer_runs{status=\"running\"}"), 0);

  // A lost beacon shows.
  agents_[1]->close();
  ASSERT_TRUE(
      eventually([&] { return scrape()["bts_infra_overseer_beacons{connection=\"lost\"}"] == 1; }));
  EXPECT_EQ(scrape().at("bts_infra_overseer_beacon_connected{beacon=\"beta\"}"), 0);
}

// A simulated beacon whose rows carry `loads` as their node_load (as a beacon measuring nodes
// through node_exporter would send them).
class node_load_runner final : public load_runner {
 public:
  node_load_runner(std::unique_ptr<load_runner> inner,
                   std::map<std::string, stats::node_load_row> loads)
      : inner_(std::move(inner)), loads_(std::move(loads)) {}
  void prepare() override { inner_->prepare(); }
  void start(runner_callbacks cb) override {
    cb.on_second = [next = std::move(cb.on_second), loads = loads_](stats::second_row row) {
      row.node_load = loads;
      next(std::move(row));
    };
    inner_->start(std::move(cb));
  }
  void stop() override { inner_->stop(); }
  bool set_rate(double r) override { return inner_->set_rate(r); }
  std::optional<double> rate() const override { return inner_->rate(); }

 private:
  std::unique_ptr<load_runner> inner_;
  std::map<std::string, stats::node_load_row> loads_;
};

runner_factory with_node_load(std::map<std::string, stats::node_load_row> loads) {
  return [loads](const configure_cmd& cfg, boost::asio::any_io_executor ex) {
    return std::unique_ptr<load_runner>(
        new node_load_runner(simulated_runner({100ms, 20})(cfg, ex), loads));
  };
}

// Two beacons measuring the same node (and one each of their own): the run level has one
// gauge per node with the node's URL in `node` after `run`, each member the maximum over the
// beacons (the merged row's), a null member absent.
TEST_F(OverseerMetrics, RunLevelNodeLoadPerNode) {
  const std::string shared = "ws://10.0.0.5:8090";
  stats::node_load_row a_shared, b_shared, a_own;
  a_shared.cpu_percent = 150;
  a_shared.memory_bytes = 2e9;
  b_shared.cpu_percent = 90;
  b_shared.memory_bytes = 3e9;
  b_shared.net_rx_bytes_per_s = 125000;
  a_own.cpu_percent = 12.5;
  add_agent("alpha", with_node_load({{shared, a_shared}, {"ws://a\"x:1", a_own}}));
  add_agent("beta", with_node_load({{shared, b_shared}}));
  ASSERT_TRUE(eventually(
      [&] { return scrape()["bts_infra_overseer_beacons{connection=\"connected\"}"] == 2; }));
  const std::string id = start_run("node-load-metrics", 20, 3);
  wait_completed(id);
  auto r = api_request("http://127.0.0.1:" + std::to_string(ov_->port()), "GET", "/metrics", {}, {},
                       {}, 5s);
  ASSERT_EQ(r.status, 200u);
  const std::string node = "{run=\"" + id + "\",node=\"" + shared + "\"}";
  const std::string own = "{run=\"" + id + "\",node=\"ws://a\\\"x:1\"}";
  EXPECT_NE(r.body.find("\nbts_infra_run_node_load_cpu_ratio" + node + " 1.5\n"), std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("\nbts_infra_run_node_load_cpu_ratio" + own + " 0.125\n"),
            std::string::npos);
  EXPECT_NE(r.body.find("\nbts_infra_run_node_load_memory_bytes" + node + " 3000000000\n"),
            std::string::npos);
  EXPECT_NE(r.body.find("\nbts_infra_run_node_load_network_receive_bytes_per_second" + node +
                        " 125000\n"),
            std::string::npos);
  EXPECT_EQ(r.body.find("bts_infra_run_node_load_memory_bytes" + own), std::string::npos);
  EXPECT_EQ(r.body.find("node_load_disk"), std::string::npos);  // never measured
  EXPECT_EQ(r.body.find("bts_infra_run_node_load_cpu_cores"), std::string::npos);
}

// The output hooks (overseer serve --out elasticsearch ships what they deliver): every beacon's
// rows and every merged row once committed, the run's events, and its manifest when created
// (with beacons), started and ended.
class OverseerOutputs : public OverseerMetrics {
 protected:
  void configure(overseer_options& o) override {
    o.on_rows = [this](const std::string& run, const std::vector<store::second_record>& rows) {
      std::lock_guard lock(mu_);
      for (const auto& r : rows) rows_[r.beacon].insert(r.row.second);
      runs_seen_.insert(run);
    };
    o.on_event = [this](const std::string&, const store::event& e) {
      std::lock_guard lock(mu_);
      events_.push_back(std::string(store::name(e.kind)));
    };
    o.on_run = [this](const store::run_info& i, const std::vector<store::beacon_info>& b) {
      std::lock_guard lock(mu_);
      manifests_.push_back(std::string(store::name(i.status)) + ":" + std::to_string(b.size()));
    };
  }
  std::mutex mu_;
  std::map<std::string, std::set<std::int64_t>> rows_;
  std::set<std::string> runs_seen_;
  std::vector<std::string> events_, manifests_;
};

TEST_F(OverseerOutputs, HooksSeeRowsEventsAndManifests) {
  add_agent("alpha");
  add_agent("beta");
  ASSERT_TRUE(eventually([&] { return ov_->beacons_json().size() == 2; }));
  const std::string id = start_run("outputs-test", 20, 3);
  wait_completed(id);
  std::lock_guard lock(mu_);
  EXPECT_EQ(runs_seen_, std::set<std::string>{id});
  EXPECT_EQ(rows_["alpha"], (std::set<std::int64_t>{0, 1, 2}));
  EXPECT_EQ(rows_["beta"], (std::set<std::int64_t>{0, 1, 2}));
  EXPECT_EQ(rows_[""], (std::set<std::int64_t>{0, 1, 2}));  // merged
  ASSERT_GE(manifests_.size(), 3u);
  EXPECT_EQ(manifests_[0], "created:2");
  EXPECT_EQ(manifests_[1], "running:0");
  EXPECT_EQ(manifests_.back(), "completed:0");
  EXPECT_NE(std::find(events_.begin(), events_.end(), "start"), events_.end());
}

TEST_F(OverseerMetrics, OtherPathsAreNotMetrics) {
  auto r = api_request("http://127.0.0.1:" + std::to_string(ov_->port()), "GET", "/metricsx", {},
                       {}, {}, 5s);
  EXPECT_EQ(r.status, 404u);
}

}  // namespace
}  // namespace bts::overseer
