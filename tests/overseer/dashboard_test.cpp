// The dashboard over a real loopback socket: GET / is the HTML page (text/html, the preset
// names filled in), every /assets/ link in it resolves to the embedded file with its content
// type, and paths that are not the dashboard's still reach the JSON API or a 404. Also the
// API the block-fill chart reads: GET /api/runs/ID/blocks, fed by an agent whose runner
// reports blocks.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include "scenario/scenario.hpp"
#include "control/agent.hpp"
#include "overseer/overseer.hpp"
#include "web/assets.hpp"

namespace bts::overseer {
namespace {

using namespace control;

namespace asio = boost::asio;

struct response {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// One HTTP/1.1 request over a fresh loopback connection, read until the server closes.
response request(std::uint16_t port, const std::string& method, const std::string& target) {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), port});
  const std::string req =
      method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  asio::write(s, asio::buffer(req));
  std::string raw;
  boost::system::error_code ec;
  asio::read(s, asio::dynamic_buffer(raw), ec);
  response r;
  const auto end = raw.find("\r\n\r\n");
  EXPECT_NE(end, std::string::npos) << raw;
  if (end == std::string::npos) return r;
  r.body = raw.substr(end + 4);
  std::string head = raw.substr(0, end);
  r.status = static_cast<unsigned>(std::stoul(head.substr(9, 3)));
  std::size_t at = head.find("\r\n");
  while (at != std::string::npos) {
    const std::size_t next = head.find("\r\n", at + 2);
    const std::string line = head.substr(at + 2, next == std::string::npos ? next : next - at - 2);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    at = next;
  }
  return r;
}

class DashboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("dashboard-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    overseer_options o;
    o.store = dir_ / "results.db";
    o.beacon_token = "beacon-token-dashboard-1";
    o.admin_token = "admin-token-dashboard-2";
    o.log = [](const std::string&) {};
    ov_ = std::make_unique<overseer>(std::move(o));
  }
  void TearDown() override {
    ov_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<overseer> ov_;
};

TEST_F(DashboardTest, PageIsHtmlWithPresets) {
  const response r = request(ov_->port(), "GET", "/");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.headers.at("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(r.headers.at("cache-control"), "no-cache");
  EXPECT_NE(r.headers.at("content-security-policy").find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(r.body.rfind("<!doctype html>", 0), 0u);
  EXPECT_EQ(r.body.find("@PRESETS_JSON@"), std::string::npos);
  // The preset list the page offers is the binary's, as JSON in a data block.
  const std::string open = "<script id=\"presets\" type=\"application/json\">";
  const auto a = r.body.find(open);
  ASSERT_NE(a, std::string::npos);
  const auto b = r.body.find("</script>", a);
  const boost::json::value presets =
      boost::json::parse(r.body.substr(a + open.size(), b - a - open.size()));
  boost::json::array want;
  for (const auto& n : scenarios::preset_names()) want.emplace_back(n);
  EXPECT_EQ(presets, boost::json::value(want));
  EXPECT_FALSE(want.empty());
  // No resource from elsewhere: every src/href is local.
  const std::regex link(R"re((?:src|href)="([^"]*)")re");
  for (auto it = std::sregex_iterator(r.body.begin(), r.body.end(), link);
       it != std::sregex_iterator(); ++it) {
    const std::string url = (*it)[1];
    EXPECT_TRUE(url.rfind("/", 0) == 0 || url.rfind("data:", 0) == 0) << url;
    EXPECT_EQ(url.find("//"), std::string::npos) << url;
  }
  EXPECT_EQ(request(ov_->port(), "GET", "/index.html").body, r.body);
}

TEST_F(DashboardTest, AssetLinksResolve) {
  const response page = request(ov_->port(), "GET", "/");
  const std::regex link(R"re((?:src|href)="/assets/([^"?]+)")re");
  std::set<std::string> names;
  for (auto it = std::sregex_iterator(page.body.begin(), page.body.end(), link);
       it != std::sregex_iterator(); ++it) {
    names.insert((*it)[1]);
  }
  EXPECT_EQ(names, (std::set<std::string>{"uplot.js", "uplot.css", "dashboard-page.js",
                                          "dashboard-page.css"}));
  for (const auto& n : names) {
    const response r = request(ov_->port(), "GET", "/assets/" + n);
    ASSERT_EQ(r.status, 200u) << n;
    const web::asset* a = web::find_asset(n);
    ASSERT_NE(a, nullptr) << n;
    EXPECT_EQ(r.body, a->body) << n;
    EXPECT_EQ(r.headers.at("content-type"), a->content_type) << n;
    const bool js = n.ends_with(".js");
    EXPECT_EQ(r.headers.at("content-type").rfind(js ? "text/javascript" : "text/css", 0), 0u) << n;
    EXPECT_EQ(r.headers.at("x-content-type-options"), "nosniff");
  }
  // A query string (cache busting) still finds the file.
  EXPECT_EQ(request(ov_->port(), "GET", "/assets/dashboard-page.js?v=2").status, 200u);
}

TEST_F(DashboardTest, OtherPathsAreNotTheDashboards) {
  EXPECT_EQ(request(ov_->port(), "GET", "/assets/no-such-file.js").status, 404u);
  EXPECT_EQ(request(ov_->port(), "GET", "/assets/").status, 404u);
  const response nope = request(ov_->port(), "GET", "/nope");
  EXPECT_EQ(nope.status, 404u);
  EXPECT_EQ(nope.headers.at("content-type"), "application/json");
  const response beacons = request(ov_->port(), "GET", "/api/beacons");
  EXPECT_EQ(beacons.status, 200u);
  EXPECT_EQ(boost::json::parse(beacons.body), boost::json::value(boost::json::array{}));
  // Changing state still needs the admin token: the page adds nothing unauthenticated.
  EXPECT_EQ(request(ov_->port(), "POST", "/api/runs").status, 401u);
}

// A runner that reports two blocks and one second, then ends.
class blocks_runner final : public load_runner {
 public:
  explicit blocks_runner(asio::any_io_executor ex) : ex_(std::move(ex)) {}
  void start(runner_callbacks cb) override {
    asio::post(ex_, [cb] {
      for (std::int64_t n : {100, 101}) {
        store::block_record b;
        b.block_num = n;
        b.time_ms = 1'700'000'000'000 + (n - 100) * 3000;
        b.witness = "1.6.1";
        b.transactions = 10 * (n - 99);
        b.operations = b.transactions;
        b.bytes = 500'000 * (n - 99);
        b.run_transactions = b.transactions;
        b.max_block_size = 2'000'000;
        cb.on_block(b);
      }
      stats::second_row row;
      row.second = 0;
      row.offered = row.sent = row.accepted = row.included = 30;
      cb.on_second(row);
      cb.on_done("");
    });
  }
  void stop() override {}
  bool set_rate(double) override { return false; }
  std::optional<double> rate() const override { return std::nullopt; }

 private:
  asio::any_io_executor ex_;
};

TEST_F(DashboardTest, BlocksOfARun) {
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::thread t([&io] { io.run(); });
  {
    agent_options ao;
    ao.overseer = "ws://127.0.0.1:" + std::to_string(ov_->port());
    ao.name = "blocky";
    ao.token = "beacon-token-dashboard-1";
    ao.heartbeat_interval = std::chrono::milliseconds(100);
    ao.log = [](const std::string&) {};
    ao.make_runner = [](const configure_cmd&, asio::any_io_executor ex) {
      return std::unique_ptr<load_runner>(new blocks_runner(ex));
    };
    agent a(io.get_executor(), std::move(ao));
    a.start();
    auto wait = [](auto pred) {
      for (int i = 0; i < 500 && !pred(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      return pred();
    };
    ASSERT_TRUE(wait([&] { return ov_->beacons_json().size() == 1; }));
    run_request rq;
    rq.scenario_text =
        "name: blocks\nnodes:\n  - url: ws://127.0.0.1:1\nload: {kind: constant, rate: 30}\n"
        "duration: 1s\n";
    const std::string id(ov_->create_run(rq).at("id").as_string());
    EXPECT_EQ(boost::json::parse(request(ov_->port(), "GET", "/api/runs/" + id + "/blocks").body),
              boost::json::value(boost::json::array{}));
    ov_->start_run(id, 0);
    ASSERT_TRUE(wait([&] { return ov_->blocks_json(id, 0).size() == 2; }));

    const response all = request(ov_->port(), "GET", "/api/runs/" + id + "/blocks");
    ASSERT_EQ(all.status, 200u);
    EXPECT_EQ(all.headers.at("content-type"), "application/json");
    const boost::json::array blocks = boost::json::parse(all.body).as_array();
    ASSERT_EQ(blocks.size(), 2u);
    EXPECT_EQ(blocks[0].at("block_num").as_int64(), 100);
    EXPECT_EQ(blocks[1].at("bytes").as_int64(), 1'000'000);
    EXPECT_EQ(blocks[1].at("max_block_size").as_int64(), 2'000'000);
    const boost::json::array later =
        boost::json::parse(request(ov_->port(), "GET", "/api/runs/" + id + "/blocks?from=101").body)
            .as_array();
    ASSERT_EQ(later.size(), 1u);
    EXPECT_EQ(later[0].at("block_num").as_int64(), 101);
    const response bad = request(ov_->port(), "GET", "/api/runs/" + id + "/blocks?from=x");
    EXPECT_EQ(bad.status, 400u);
    EXPECT_NE(bad.body.find("from: expected an integer"), std::string::npos) << bad.body;
    EXPECT_EQ(request(ov_->port(), "GET", "/api/runs/nope/blocks").status, 404u);
    a.close();
  }
  work.reset();
  io.stop();
  t.join();
}

}  // namespace
}  // namespace bts::overseer
