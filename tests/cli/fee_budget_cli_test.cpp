// The fee budget end to end on a devnet over loopback: `beacon run` with accounts that cannot
// pay the scenario is refused at start with the numbers (exit 2, no run directory);
// --ignore-fee-budget goes on and records the budget; `beacon provision --for-scenario` funds
// enough that the same run is accepted; `bts-infra run` (a fleet) whose beacons cannot pay ends
// failed with each beacon's refusal in its output and in the store.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "devnet/devnet.hpp"
#include "store/results_store.hpp"
#include "support/cli_run.hpp"
#include "support/temp_dir.hpp"

namespace bts::cli {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr const char* nathan_wif = "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3";

// tests/support/temp_dir.hpp, named for this test.
struct temp_dir : test::temp_dir {
  temp_dir() : test::temp_dir("fee_budget_test") {}
};

// A devnet on an ephemeral 127.0.0.1 port, one block a second, run by two threads of its own.
struct test_network {
  boost::asio::io_context io{2};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work =
      boost::asio::make_work_guard(io);
  std::optional<devnet::devnet> chain;
  std::vector<std::thread> threads;

  test_network() {
    devnet::devnet_options o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.nodes = 1;
    o.builtin.block_interval = 1;
    chain.emplace(io.get_executor(), std::move(o));
    chain->start();
    for (int i = 0; i < 2; ++i) threads.emplace_back([this] { io.run(); });
  }
  ~test_network() {
    chain->stop();
    io.stop();
    for (auto& t : threads) t.join();
  }
  std::string url() const { return chain->endpoints().front(); }
};

json::object last_json_line(const std::string& out) {
  std::istringstream in(out);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return json::parse(last).as_object();
}

TEST(FeeBudget, RefusedAtStartThenIgnoredThenFundedForTheScenario) {
  test_network net;
  temp_dir tmp;
  const fs::path key = tmp.path / "registrar.key", accounts = tmp.path / "accounts.txt",
                 scenario = tmp.path / "transfers.yaml";
  std::ofstream(key) << nathan_wif << "\n";
  fs::permissions(key, fs::perms::owner_read | fs::perms::owner_write);
  // 50 tx/s for 2 s: 100 transfers x 20 BTS = 2,000 BTS of fees.
  std::ofstream(scenario) << "mix: {transfer: 1}\nload: {kind: constant, rate: 50}\n"
                             "duration: 2s\nsigner_threads: 1\n";
  // Two accounts of 500 BTS each.
  auto prov =
      test::run_cli({"beacon", "provision", "--node", net.url(), "--registrar", "nathan",
                     "--registrar-wif-file", key.string(), "--claim-genesis-balance", "--count",
                     "2", "--fund", "50000000", "--accounts-out", accounts.string()});
  ASSERT_EQ(prov.code, 0) << prov.err;
  EXPECT_EQ(last_json_line(prov.out).at("fund").as_int64(), 50'000'000);

  const auto run = [&](const fs::path& dir, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"beacon",  "run",       "--scenario", scenario.string(),
                                  "--node",  net.url(),   "--accounts", accounts.string(),
                                  "--quiet", "--run-dir", dir.string(), "--node-load",
                                  "none"};
    args.insert(args.end(), extra.begin(), extra.end());
    return test::run_cli(args);
  };

  // Refused: exit 2, one line with the numbers, nothing written.
  const auto refused = run(tmp.path / "refused");
  EXPECT_EQ(refused.code, 2) << refused.err;
  EXPECT_EQ(refused.out, "");
  EXPECT_NE(refused.err.find("fee budget: the run needs ~2,000 BTS in fees (100 transactions × "
                             "20 BTS) plus 0 BTS in amounts; the 2 accounts hold 1,000 BTS (short "
                             "by 1,000 BTS); fund them (beacon provision --for-scenario FILE) or "
                             "pass --ignore-fee-budget\n"),
            std::string::npos)
      << refused.err;
  EXPECT_FALSE(fs::exists(tmp.path / "refused"));

  // Told to go on: it runs, and the figures are in the summary and the manifest.
  const auto ignored = run(tmp.path / "ignored", {"--ignore-fee-budget"});
  ASSERT_EQ(ignored.code, 0) << ignored.err;
  const json::object s1 = last_json_line(ignored.out);
  const auto& b1 = s1.at("fee_budget").as_object();
  EXPECT_EQ(b1.at("affordable").as_bool(), false);
  EXPECT_EQ(b1.at("needed_fees").as_int64(), 200'000'000);
  EXPECT_EQ(b1.at("held").as_int64(), 100'000'000);
  EXPECT_EQ(b1.at("transactions_estimated").to_number<std::int64_t>(), 100);
  std::ifstream mf(tmp.path / "ignored" / "manifest.json");
  std::stringstream manifest;
  manifest << mf.rdbuf();
  EXPECT_TRUE(json::parse(manifest.str()).as_object().contains("fee_budget")) << manifest.str();
  // The accounts ran dry part way: some transfers were refused by the node.
  EXPECT_GT(s1.at("totals").as_object().at("rejected").to_number<std::int64_t>(), 0)
      << json::serialize(s1);

  // Funded for the scenario: 1,000 BTS per account (50 transactions), raised by three standard
  // deviations of 50 (+42.4%) and 10%: 1,566.69048 BTS each.
  prov = test::run_cli({"beacon", "provision", "--node", net.url(), "--registrar", "nathan",
                        "--registrar-wif-file", key.string(), "--count", "2", "--for-scenario",
                        scenario.string(), "--accounts-out", accounts.string()});
  ASSERT_EQ(prov.code, 0) << prov.err;
  const json::object pr = last_json_line(prov.out);
  EXPECT_NEAR(static_cast<double>(pr.at("fund").as_int64()), 156'669'048, 1);
  EXPECT_EQ(pr.at("funded").to_number<int>(), 2);
  EXPECT_EQ(pr.at("fee_budget").as_object().at("needed_fees").as_int64(), 200'000'000);

  const auto accepted = run(tmp.path / "accepted");
  ASSERT_EQ(accepted.code, 0) << accepted.err;
  const json::object s2 = last_json_line(accepted.out);
  EXPECT_EQ(s2.at("fee_budget").as_object().at("affordable").as_bool(), true);
  EXPECT_EQ(s2.at("fee_budget").as_object().at("held").as_int64(), 2 * pr.at("fund").as_int64());
  EXPECT_EQ(s2.at("totals").as_object().at("rejected").to_number<std::int64_t>(), 0)
      << json::serialize(s2);
}

TEST(FeeBudget, ProvisionForAnUnboundedScenarioIsBadInput) {
  test_network net;
  temp_dir tmp;
  const fs::path key = tmp.path / "registrar.key", scenario = tmp.path / "unlimited.yaml";
  std::ofstream(key) << nathan_wif << "\n";
  std::ofstream(scenario) << "load: {kind: unlimited}\nduration: 10s\n";
  const auto r = test::run_cli({"beacon", "provision", "--node", net.url(), "--registrar", "nathan",
                                "--registrar-wif-file", key.string(), "--claim-genesis-balance",
                                "--count", "2", "--for-scenario", scenario.string(),
                                "--accounts-out", (tmp.path / "a.txt").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--for-scenario " + scenario.string() +
                       ": unlimited rate without a count: not estimated"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace bts::cli
