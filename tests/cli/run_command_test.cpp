// `bts-infra run`: the whole fleet on one machine (in-process devnet, overseer, two real beacons)
// over loopback, then the stored run read back from the SQLite store; and `run --node` against
// existing nodes (devnets started here, on 127.0.0.1) through a registrar.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/command.hpp"
#include "cli/local_run.hpp"
#include "devnet/devnet.hpp"
#include "scenario/scenario.hpp"
#include "store/results_store.hpp"
#include "support/cli_run.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"

namespace bts::cli {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr const char* nathan_wif = "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3";

using result = test::cli_result;
using test::run_cli;

// tests/support/temp_dir.hpp, named for this test.
struct temp_dir : test::temp_dir {
  temp_dir() : test::temp_dir("run_command_test") {}
};

std::string read_all(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

std::int64_t total(const json::object& summary, const char* key) {
  return summary.at("totals").as_object().at(key).to_number<std::int64_t>();
}

// An existing network for `run --node`: a devnet on ephemeral 127.0.0.1 ports, producing blocks,
// run by two threads of its own (the command under test does not know it is a devnet).
struct test_network {
  boost::asio::io_context io{2};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work =
      boost::asio::make_work_guard(io);
  std::optional<devnet::devnet> chain;
  std::vector<std::thread> threads;

  explicit test_network(std::size_t endpoints, unsigned block_interval = 1) {
    devnet::devnet_options o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.nodes = endpoints;
    o.builtin.block_interval = static_cast<std::uint8_t>(block_interval);
    chain.emplace(io.get_executor(), std::move(o));
    chain->start();
    for (int i = 0; i < 2; ++i) threads.emplace_back([this] { io.run(); });
  }
  ~test_network() {
    chain->stop();
    io.stop();
    for (auto& t : threads) t.join();
  }
  std::vector<std::string> endpoints() const { return chain->endpoints(); }
  std::string chain_id() const { return to_hex(chain->chain_id()); }
};

// The registrar's key in an owner-only file, as an operator keeps it.
fs::path write_key_file(const fs::path& dir, const std::string& text = nathan_wif) {
  const fs::path p = dir / "registrar.key";
  std::ofstream(p) << "# nathan's active key\n" << text << "\n";
  fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write);
  return p;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

void expect_one_line_error(const result& r, const std::string& text) {
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find(text), std::string::npos) << r.err;
  // The node check announces itself on a line of its own before it fails; the error is one line.
  const std::size_t last = r.err.rfind('\n', r.err.size() - 2);
  const std::string error_line = r.err.substr(last == std::string::npos ? 0 : last + 1);
  EXPECT_NE(error_line.find(text), std::string::npos) << r.err;
  EXPECT_EQ(std::count(error_line.begin(), error_line.end(), '\n'), 1) << r.err;
}

TEST(RunCommand, TwoBeaconsTwoEndpointsStoreTheRun) {
  temp_dir tmp;
  const fs::path out = tmp.path / "out";
  const result r = run_cli({"run", "real-user-activity", "--beacons", "2", "--nodes", "2", "--rate",
                            "20", "--duration", "8s", "--out", out.string()});
  ASSERT_EQ(r.code, 0) << r.out << r.err << read_all(out / "run.log");

  // The run in the store: both beacons' per-second rows and the merged seconds.
  store::results_store db(out / "results.sqlite", store::results_store::mode::read_only);
  const auto runs = db.list_runs();
  ASSERT_EQ(runs.size(), 1u);
  const std::string id = runs.front().id;
  EXPECT_EQ(runs.front().status, store::run_status::completed);
  EXPECT_NE(r.out.find("run id     " + id), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("store      " + (out / "results.sqlite").string()), std::string::npos);
  EXPECT_NE(r.out.find("dashboard  http://127.0.0.1:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bts-infra report --store " + (out / "results.sqlite").string() + " " + id),
            std::string::npos)
      << r.out;
  std::size_t progress = 0;
  for (std::size_t at = 0; (at = r.err.find("run: t=", at)) != std::string::npos; ++at) ++progress;
  EXPECT_GE(progress, 5u) << "a progress line per second\n" << r.err;
  EXPECT_NE(r.err.find(": offered "), std::string::npos) << r.err;

  const store::run_record rec = db.load_run(id);
  ASSERT_EQ(rec.beacons.size(), 2u);
  std::set<std::string> nodes;
  for (const auto& b : rec.beacons) {
    for (const auto& n : b.info.at("nodes").as_array()) nodes.insert(std::string(n.as_string()));
  }
  EXPECT_EQ(nodes.size(), 2u) << "each beacon on its own devnet endpoint";
  ASSERT_EQ(rec.by_beacon.size(), 2u);
  for (const auto& [name, series] : rec.by_beacon) {
    EXPECT_GE(series.rows().size(), 8u) << name;
    std::int64_t sent = 0;
    for (const auto& row : series.rows()) sent += row.sent;
    EXPECT_GE(sent, 60) << name << " sent about half of 20 tx/s for 8 s";
  }
  ASSERT_GE(rec.merged.rows().size(), 8u);
  for (const auto& row : rec.merged.rows()) EXPECT_EQ(row.beacons, 2) << "second " << row.second;

  // The summary adds up, and most accepted transactions were included.
  ASSERT_TRUE(rec.summary.has_value());
  const json::object& s = *rec.summary;
  const std::int64_t sent = total(s, "sent"), accepted = total(s, "accepted");
  EXPECT_GE(sent, 130) << "about 20 tx/s for 8 s";
  EXPECT_EQ(sent, accepted + total(s, "rejected") + total(s, "unanswered"));
  EXPECT_GT(accepted, 0);
  EXPECT_GE(total(s, "included") * 10, accepted * 9) << json::serialize(s);
  // Per node: each endpoint's head sampled (neither fell behind), and its transactions summed
  // from the beacons' end-of-run notes.
  ASSERT_TRUE(s.contains("per_node")) << json::serialize(s);
  ASSERT_EQ(s.at("per_node").as_array().size(), 2u) << json::serialize(s.at("per_node"));
  std::int64_t node_sent = 0;
  for (const auto& n : s.at("per_node").as_array()) {
    EXPECT_TRUE(nodes.count(std::string(n.at("url").as_string()))) << n;
    EXPECT_EQ(n.at("seconds_behind").as_int64(), 0) << n;
    EXPECT_LE(n.at("peak_head_lag_blocks").as_int64(), 1) << n;
    node_sent += n.at("sent").as_int64();
  }
  EXPECT_EQ(node_sent, sent);

  // Secrets: tokens and accounts are owner-only files; the registrar key file is gone and the key
  // was never printed or logged.
  EXPECT_EQ(mode_of(out / "beacon.token"), 0600u);
  EXPECT_EQ(mode_of(out / "admin.token"), 0600u);
  EXPECT_EQ(mode_of(out / "accounts.txt"), 0600u);
  EXPECT_FALSE(fs::exists(out / "registrar.wif"));
  const std::string log = read_all(out / "run.log");
  for (const std::string* text : {&r.out, &r.err, &log}) {
    EXPECT_EQ(text->find(nathan_wif), std::string::npos);
    EXPECT_EQ(text->find(read_all(out / "admin.token").substr(0, 64)), std::string::npos);
  }

  // The printed report command works on the stored run.
  const result rep = run_cli({"report", "--store", (out / "results.sqlite").string(), id, "--out",
                              (out / "report").string(), "--format", "html"});
  ASSERT_EQ(rep.code, 0) << rep.err;
  EXPECT_TRUE(fs::exists(out / "report" / "report.html"));
}

// Ctrl-C during the run: the run is stopped through the overseer, what was measured is stored
// with a summary, and the exit code says it was interrupted.
TEST(RunCommand, InterruptStopsTheRunAndKeepsWhatWasMeasured) {
  temp_dir tmp;
  const fs::path out = tmp.path / "out";
  const auto t0 = std::chrono::steady_clock::now();
  std::atomic<bool> done{false};
  std::thread interrupter([&] {
    // Once the run started (its log says so) and ran a few seconds, SIGINT this process; the
    // command's handler is installed long before (it only counts requests).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!done && std::chrono::steady_clock::now() < deadline) {
      if (read_all(out / "run.log").find("\"status\":\"running\"") != std::string::npos) {
        std::this_thread::sleep_for(std::chrono::seconds(4));
        if (!done) ::kill(::getpid(), SIGINT);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  const result r = run_cli({"run", "real-user-activity", "--beacons", "2", "--nodes", "2", "--rate",
                            "20", "--duration", "5m", "--out", out.string()});
  done = true;
  interrupter.join();
  EXPECT_EQ(r.code, 130) << r.out << r.err;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(60));

  store::results_store db(out / "results.sqlite", store::results_store::mode::read_only);
  const auto runs = db.list_runs();
  ASSERT_EQ(runs.size(), 1u) << r.err;
  EXPECT_EQ(runs.front().status, store::run_status::stopped);
  const store::run_record rec = db.load_run(runs.front().id);
  EXPECT_GE(rec.merged.rows().size(), 2u);
  EXPECT_LT(rec.merged.rows().size(), 30u);
  ASSERT_TRUE(rec.summary.has_value());
  const json::object& s = *rec.summary;
  EXPECT_GT(total(s, "sent"), 0);
  EXPECT_EQ(total(s, "sent"), total(s, "accepted") + total(s, "rejected") + total(s, "unanswered"));
  EXPECT_NE(r.out.find("run id     " + runs.front().id), std::string::npos) << r.out;
}

// The scenario's nodes become the devnet's endpoints; every other field is kept, per-node settings
// are carried over cyclically, a node_load pointing at the scenario's host is dropped.
TEST(RunCommand, ScenarioNodesAreReplaced) {
  const std::string yaml =
      "# a comment\nname: mine\nnodes:\n  - url: ws://10.0.0.1:8090\n    connections: 2\n"
      "    node_load: none\n  - ws://10.0.0.2:8090\nmix: {transfer: 3, limit_order_create: 1}\n"
      "ops_per_tx:\n  weighted: {1: 90, 2: 10}\nload: {kind: constant, rate: 7}\n"
      "duration: 12s\nseed: 5\n";
  const std::vector<std::string> nodes = {"ws://127.0.0.1:1", "ws://127.0.0.1:2",
                                          "ws://127.0.0.1:3"};
  const std::string text = replace_scenario_nodes(yaml, nodes, "mine.yaml");
  const scenarios::scenario sc = scenarios::parse_scenario(text, "mine.yaml");
  const scenarios::scenario before = scenarios::parse_scenario(yaml, "mine.yaml");
  ASSERT_EQ(sc.nodes.size(), 3u) << text;
  EXPECT_EQ(sc.nodes[0].url, nodes[0]);
  EXPECT_EQ(sc.nodes[0].connections, 2);
  EXPECT_EQ(sc.nodes[0].node_load, "") << "the scenario's node_load is not the devnet's";
  EXPECT_EQ(sc.nodes[1].url, nodes[1]);
  EXPECT_EQ(sc.nodes[1].connections, 1);
  EXPECT_EQ(sc.nodes[2].url, nodes[2]);
  EXPECT_EQ(sc.nodes[2].connections, 2);
  EXPECT_EQ(sc.name, "mine");
  EXPECT_EQ(sc.mix.transfer, before.mix.transfer);
  EXPECT_EQ(sc.mix.limit_order_create, before.mix.limit_order_create);
  EXPECT_EQ(sc.ops.choices, before.ops.choices);
  EXPECT_EQ(sc.rate.rate_at({}), 7);
  EXPECT_EQ(sc.duration, before.duration);
  EXPECT_EQ(sc.seed, 5u);

  // JSON is YAML too; a scenario without nodes gets them.
  const scenarios::scenario js = scenarios::parse_scenario(
      replace_scenario_nodes("{\"name\": \"j\", \"seed\": 3}", nodes, "j.json"), "j.json");
  EXPECT_EQ(js.nodes.size(), 3u);
  EXPECT_EQ(js.seed, 3u);

  try {
    replace_scenario_nodes("- a\n- b\n", nodes, "list.yaml");
    ADD_FAILURE() << "a list is not a scenario";
  } catch (const input_error& e) {
    EXPECT_EQ(std::string(e.what()), "list.yaml: expected a mapping of scenario fields");
  }
}

TEST(RunCommand, BadInputIsOneLine) {
  temp_dir tmp;
  const result unknown = run_cli({"run", "no-such-preset", "--out", (tmp.path / "o").string()});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("unknown preset \"no-such-preset\"; known: "), std::string::npos)
      << unknown.err;
  EXPECT_NE(unknown.err.find("real-user-activity"), std::string::npos) << unknown.err;
  EXPECT_EQ(std::count(unknown.err.begin(), unknown.err.end(), '\n'), 1) << unknown.err;
  EXPECT_FALSE(fs::exists(tmp.path / "o")) << "nothing started for bad input";

  const fs::path bad = tmp.path / "bad.yaml";
  std::ofstream(bad) << "name: bad\nnodes:\n  - ws://127.0.0.1:8090\nmix:\n  transfer: lots\n";
  const result yaml = run_cli({"run", bad.string(), "--out", (tmp.path / "o").string()});
  EXPECT_EQ(yaml.code, 2);
  EXPECT_NE(yaml.err.find(bad.string() + ":5:"), std::string::npos) << yaml.err;
  EXPECT_NE(yaml.err.find("mix.transfer"), std::string::npos) << yaml.err;
  EXPECT_EQ(std::count(yaml.err.begin(), yaml.err.end(), '\n'), 1) << yaml.err;

  const result missing = run_cli({"run", (tmp.path / "none.yaml").string()});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("none.yaml: cannot read the scenario file"), std::string::npos)
      << missing.err;

  const result rate = run_cli({"run", "real-user-activity", "--rate", "fast"});
  EXPECT_EQ(rate.code, 2);
  EXPECT_NE(rate.err.find("--rate"), std::string::npos) << rate.err;

  const result beacons =
      run_cli({"run", "real-user-activity", "--beacons", "0", "--out", (tmp.path / "o").string()});
  EXPECT_EQ(beacons.code, 2);
  EXPECT_NE(beacons.err.find("--beacons"), std::string::npos) << beacons.err;
}

// `run --node`: flag combinations that cannot work are one-line errors (exit 2) before anything is
// contacted, started or written.
TEST(RunCommand, NodeFlagsAreCheckedFirst) {
  temp_dir tmp;
  const std::string out = (tmp.path / "o").string();
  const std::string key = write_key_file(tmp.path).string();
  const std::string rua = "real-user-activity";

  expect_one_line_error(
      run_cli({"run", rua, "--node", "127.0.0.1:8090", "--registrar-wif-file", key, "--out", out}),
      "bts-infra run: --node: expected a ws://, wss://, http:// or https:// URL, got "
      "\"127.0.0.1:8090\"");
  expect_one_line_error(run_cli({"run", rua, "--node", "ws://127.0.0.1:8090,ftp://127.0.0.1:1",
                                 "--registrar-wif-file", key, "--out", out}),
                        "--node: expected a ws://, wss://, http:// or https:// URL, got "
                        "\"ftp://127.0.0.1:1\"");
  expect_one_line_error(run_cli({"run", rua, "--node", "ws://127.0.0.1:8090", "--nodes", "2",
                                 "--registrar-wif-file", key, "--out", out}),
                        "bts-infra run: --nodes: cannot be combined with --node");
  expect_one_line_error(run_cli({"run", rua, "--node", "wss://127.0.0.1:8090", "--out", out}),
                        "bts-infra run: --registrar-wif-file: required with --node");
  expect_one_line_error(run_cli({"run", rua, "--registrar-wif-file", key, "--out", out}),
                        "bts-infra run: --registrar-wif-file: only with --node");
  expect_one_line_error(run_cli({"run", rua, "--registrar", "alice", "--out", out}),
                        "bts-infra run: --registrar: only with --node");
  expect_one_line_error(
      run_cli({"run", rua, "--node", "http://127.0.0.1:8090", "--registrar-wif-file",
               (tmp.path / "missing.key").string(), "--out", out}),
      "--registrar-wif-file " + (tmp.path / "missing.key").string() + ": cannot read the file");
  const fs::path not_a_key = tmp.path / "not-a-key";
  std::ofstream(not_a_key) << "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD4\n";
  const result bad_key = run_cli({"run", rua, "--node", "https://127.0.0.1:8090",
                                  "--registrar-wif-file", not_a_key.string(), "--out", out});
  expect_one_line_error(bad_key,
                        "--registrar-wif-file " + not_a_key.string() + ": WIF checksum mismatch");
  EXPECT_EQ(bad_key.err.find("5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD"),
            std::string::npos)
      << "the key file's content is not echoed";

  // A node that does not answer is named; nothing was started.
  const auto t0 = std::chrono::steady_clock::now();
  expect_one_line_error(run_cli({"run", rua, "--node", "ws://127.0.0.1:1", "--registrar-wif-file",
                                 key, "--out", out}),
                        "bts-infra run: --node ws://127.0.0.1:1: get_chain_id: ");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(15));
  EXPECT_FALSE(fs::exists(out)) << "nothing started for bad input";
}

// Two nodes on different chains (devnets with different block intervals have different genesis,
// so different chain ids): the node that differs is named, before anything starts.
TEST(RunCommand, NodesOnDifferentChainsAreRefused) {
  temp_dir tmp;
  const std::string out = (tmp.path / "o").string();
  test_network a(1, 1), b(1, 2);
  ASSERT_NE(a.chain_id(), b.chain_id());
  const std::string na = a.endpoints().front(), nb = b.endpoints().front();
  const result r =
      run_cli({"run", "real-user-activity", "--node", na, "--node", nb, "--registrar-wif-file",
               write_key_file(tmp.path).string(), "--out", out});
  expect_one_line_error(r, "bts-infra run: --node " + nb + ": chain id " + b.chain_id() +
                               " differs from " + a.chain_id() + " of " + na);
  EXPECT_FALSE(fs::exists(out)) << "nothing started";
}

// The testnet operator's first command, against a fresh network whose registrar's funds are still
// its genesis balance: without --claim-genesis-balance provisioning says what to do; with it the
// whole run (overseer, store, dashboard, two beacons on the network's two nodes, report command)
// completes and its transactions are included.
TEST(RunCommand, AgainstExistingNodesThroughARegistrar) {
  temp_dir tmp;
  test_network net(2);
  const std::vector<std::string> eps = net.endpoints();
  ASSERT_EQ(eps.size(), 2u);
  const std::string key = write_key_file(tmp.path).string();

  const result unclaimed =
      run_cli({"run", "real-user-activity", "--node", joined(eps), "--registrar", "nathan",
               "--registrar-wif-file", key, "--beacons", "2", "--duration", "5s", "--rate", "20",
               "--out", (tmp.path / "first").string()});
  expect_one_line_error(unclaimed, "pass --claim-genesis-balance to claim them first");

  // The second node given as an HTTP URL: checked over HTTP, its beacon uses the same port over
  // websocket.
  const std::string http1 = "http://" + eps[1].substr(std::string("ws://").size());
  const fs::path out = tmp.path / "out";
  const result r =
      run_cli({"run", "real-user-activity", "--node", eps[0], "--node", http1, "--registrar",
               "nathan", "--registrar-wif-file", key, "--claim-genesis-balance", "--beacons", "2",
               "--duration", "5s", "--rate", "20", "--out", out.string()});
  ASSERT_EQ(r.code, 0) << r.out << r.err << read_all(out / "run.log");

  // The start lines name the nodes and their chain, not a devnet; none was started here.
  EXPECT_NE(r.err.find("run: checking 2 nodes: " + eps[0] + ", " + http1), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("run: nodes " + eps[0] + ", " + eps[1] + " chain_id " + net.chain_id()),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("devnet"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("claimed 1 genesis balance(s)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("beacons over 2 nodes of chain " + net.chain_id().substr(0, 8)),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(out / "devnet"));
  EXPECT_NE(r.out.find("nodes      " + joined(eps) + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("chain id   " + net.chain_id() + "\n"), std::string::npos) << r.out;
  std::size_t progress = 0;
  for (std::size_t at = 0; (at = r.err.find("run: t=", at)) != std::string::npos; ++at) ++progress;
  EXPECT_GE(progress, 3u) << r.err;

  store::results_store db(out / "results.sqlite", store::results_store::mode::read_only);
  const auto runs = db.list_runs();
  ASSERT_EQ(runs.size(), 1u);
  const std::string id = runs.front().id;
  EXPECT_EQ(runs.front().status, store::run_status::completed);
  EXPECT_NE(r.out.find("run id     " + id), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dashboard  http://127.0.0.1:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bts-infra report --store " + (out / "results.sqlite").string() + " " + id),
            std::string::npos)
      << r.out;

  const store::run_record rec = db.load_run(id);
  ASSERT_EQ(rec.beacons.size(), 2u);
  std::set<std::string> used;
  for (const auto& b : rec.beacons) {
    for (const auto& n : b.info.at("nodes").as_array()) used.insert(std::string(n.as_string()));
  }
  EXPECT_EQ(used, std::set<std::string>(eps.begin(), eps.end())) << "one beacon per given node";
  ASSERT_TRUE(rec.summary.has_value());
  const json::object& s = *rec.summary;
  const std::int64_t sent = total(s, "sent"), accepted = total(s, "accepted");
  EXPECT_GE(sent, 70) << "about 20 tx/s for 5 s";
  EXPECT_EQ(sent, accepted + total(s, "rejected") + total(s, "unanswered"));
  EXPECT_EQ(total(s, "rejected"), 0) << json::serialize(s);
  EXPECT_GT(accepted, 0);
  EXPECT_EQ(total(s, "included"), accepted) << "everything accepted was included\n"
                                            << json::serialize(s);

  // The key stays in the operator's file: not copied into the out directory, not printed, not
  // logged.
  EXPECT_FALSE(fs::exists(out / "registrar.wif"));
  const std::string log = read_all(out / "run.log");
  for (const std::string* text : {&r.out, &r.err, &log, &unclaimed.err})
    EXPECT_EQ(text->find(nathan_wif), std::string::npos);
  for (const auto& e : fs::recursive_directory_iterator(out)) {
    if (e.is_regular_file() && e.path().filename() != "results.sqlite") {
      EXPECT_EQ(read_all(e.path()).find(nathan_wif), std::string::npos) << e.path();
    }
  }

  // The printed report command works on the stored run.
  const result rep = run_cli({"report", "--store", (out / "results.sqlite").string(), id, "--out",
                              (out / "report").string(), "--format", "html"});
  ASSERT_EQ(rep.code, 0) << rep.err;
  EXPECT_TRUE(fs::exists(out / "report" / "report.html"));
}

}  // namespace
}  // namespace bts::cli
