// Bad input at the command line, as a new user makes it: no path echoes a private key or token
// (accounts files and variables, --wif, BTS_WIF, tokens, a key where a file or URL belongs), a
// run that cannot start leaves no run directory, a scenario error names its location once, the
// rate bound reads the same in a scenario and on the command line, and `beacon serve` checks
// its accounts when it starts.
#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "crypto/keys.hpp"
#include "support/cli_run.hpp"
#include "support/temp_dir.hpp"

namespace bts::cli {
namespace {

namespace fs = std::filesystem;
using test::cli_result;
using test::run_cli;

constexpr const char* nathan_wif = "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3";
const std::string bob_wif = crypto::private_key::from_seed("bob").to_wif();
// Closed on 127.0.0.1: nothing listens on port 1.
constexpr const char* unreachable = "ws://127.0.0.1:1";

// tests/support/temp_dir.hpp, named for this test.
struct temp_dir : test::temp_dir {
  temp_dir() : test::temp_dir("input_errors_test") {}
};

// Sets an environment variable for one scope.
struct scoped_env {
  std::string name;
  scoped_env(std::string n, const std::string& value) : name(std::move(n)) {
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  ~scoped_env() { ::unsetenv(name.c_str()); }
};

// No 20-character piece of any of the keys appears in `text`.
void expect_no_key_material(const std::string& text, const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    for (std::size_t i = 0; i + 20 <= key.size(); ++i) {
      ASSERT_EQ(text.find(key.substr(i, 20)), std::string::npos)
          << "key material (" << key.substr(i, 20) << ") in: " << text;
    }
  }
}

// Exit 2, nothing on stdout, one line on stderr that contains `expected`, no key material.
void expect_bad_input(const cli_result& r, const std::string& expected) {
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_EQ(r.out, "");
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
  expect_no_key_material(r.err, {nathan_wif, bob_wif});
}

cli_result beacon_run_with_accounts(const std::string& accounts_file) {
  return run_cli({"beacon", "run", "--node", unreachable, "--rate", "10", "--duration", "1s",
                  "--accounts", accounts_file, "--quiet"});
}

TEST(Secrets, AccountsFileWithSwappedColumnsNamesTheLineNotTheKey) {
  temp_dir d;
  const std::string f =
      d.file("accounts", std::string(nathan_wif) + " alice\n" + bob_wif + " bob\n");
  expect_bad_input(beacon_run_with_accounts(f),
                   f + ":1: the first column is not an account name (expected \"<account name> "
                       "<WIF key>\"; are the columns swapped?)");
}

TEST(Secrets, AccountsFileWithATruncatedKeyNamesTheAccount) {
  temp_dir d;
  const std::string truncated = std::string(nathan_wif).substr(0, 45);
  const std::string f =
      d.file("accounts", "# beacon accounts\nalice " + truncated + "\nbob " + bob_wif + "\n");
  const cli_result r = beacon_run_with_accounts(f);
  expect_bad_input(r, f + ":2: account alice: not a WIF private key");
  expect_no_key_material(r.err, {truncated});
}

TEST(Secrets, AccountsFileWithAKeyInTheNameColumn) {
  temp_dir d;
  // The key twice (pasted into both columns), and a key with no second column.
  const std::string both = d.file("both", std::string(nathan_wif) + " " + nathan_wif + "\n");
  expect_bad_input(beacon_run_with_accounts(both),
                   both + ":1: the first column is not an account name");
  const std::string alone = d.file("alone", "alice " + bob_wif + "\n" + nathan_wif + "\n");
  expect_bad_input(beacon_run_with_accounts(alone),
                   alone + ":2: expected \"<account name> <WIF key>\"");
}

TEST(Secrets, AccountsFromTheEnvironment) {
  scoped_env env("BTS_TEST_ACCOUNTS", "alice " + bob_wif + ";" + nathan_wif + " bob");
  expect_bad_input(run_cli({"beacon", "run", "--node", unreachable, "--rate", "10", "--duration",
                            "1s", "--accounts-env", "BTS_TEST_ACCOUNTS", "--quiet"}),
                   "$BTS_TEST_ACCOUNTS:2: the first column is not an account name");
  temp_dir d;
  const std::string token = d.file("token", "beacon-token\n");
  expect_bad_input(run_cli({"beacon", "serve", "--overseer", unreachable, "--name", "b1",
                            "--token-file", token, "--accounts-env", "BTS_TEST_ACCOUNTS"}),
                   "$BTS_TEST_ACCOUNTS:2: the first column is not an account name");
}

TEST(Secrets, BadWifFlagsAndVariables) {
  const std::string truncated = std::string(nathan_wif).substr(0, 48);
  const std::string typo = std::string(nathan_wif).substr(0, 50) + "4";
  for (const std::string& bad : {truncated, typo}) {
    const std::string chain_id(64, 'a');
    expect_bad_input(run_cli({"tx", "sign", "--chain-id", chain_id, "--wif", bad}, "{}"),
                     "bts-infra tx sign: --wif #1: ");
    expect_bad_input(run_cli({"key", "--wif", bad}), "bts-infra key: --wif: ");
    expect_bad_input(run_cli({"devnet", "--listen", "127.0.0.1:0", "--witness-key", bad}),
                     "--witness-key");
    {
      scoped_env env("BTS_WIF", std::string(nathan_wif) + "," + bad);
      expect_bad_input(run_cli({"tx", "sign", "--chain-id", chain_id}, "{}"), "BTS_WIF #2: ");
    }
    temp_dir d;
    const std::string registrar = d.file("registrar.wif", bad + "\n");
    expect_bad_input(run_cli({"beacon", "provision", "--node", unreachable, "--registrar", "nathan",
                              "--registrar-wif-file", registrar, "--count", "2", "--accounts-out",
                              (d.path / "accounts").string()}),
                     "--registrar-wif-file " + registrar + ": ");
  }
}

TEST(Secrets, AKeyWhereAFileOrAValueBelongsIsNotEchoed) {
  // A user who pastes the key on the command line: as a file name, a URL, a stray argument.
  expect_bad_input(beacon_run_with_accounts(nathan_wif), "--accounts");
  expect_bad_input(run_cli({"beacon", "run", "--node", nathan_wif, "--accounts", "x"}), "--node");
  const cli_result stray = run_cli({"beacon", "run", nathan_wif});
  expect_bad_input(stray, "<private key>");
  expect_bad_input(run_cli({"help", nathan_wif}), "unknown command");
}

TEST(Secrets, TokensFromTheEnvironmentAreNotEchoed) {
  // A key pasted as the admin token, against an overseer that is not there.
  scoped_env env("BTS_ADMIN_TOKEN", nathan_wif);
  const cli_result r = run_cli({"ctl", "--overseer", "http://127.0.0.1:1", "runs"});
  EXPECT_NE(r.code, 0);
  expect_no_key_material(r.err + r.out, {nathan_wif});
  scoped_env two_lines("BTS_BEACON_TOKEN", std::string(nathan_wif) + "\nsecond line");
  expect_bad_input(
      run_cli({"beacon", "serve", "--overseer", unreachable, "--name", "b1", "--simulate"}),
      "a token is one line");
}

TEST(BeaconRun, AnUnreachableNodeLeavesNoRunDirectory) {
  temp_dir d;
  const std::string accounts =
      d.file("accounts", "alice " + bob_wif + "\nbob " + nathan_wif + "\n");
  const fs::path fresh = d.path / "runs" / "r1";
  const cli_result r =
      run_cli({"beacon", "run", "--node", unreachable, "--rate", "10", "--duration", "1s",
               "--accounts", accounts, "--out", fresh.string(), "--quiet"});
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("127.0.0.1:1"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(fresh)) << r.err;
  EXPECT_FALSE(fs::exists(d.path / "runs")) << "the parent it created is gone too";
  // A directory that was there (empty) stays, and stays empty.
  const fs::path existing = d.path / "mine";
  fs::create_directory(existing);
  const cli_result again =
      run_cli({"beacon", "run", "--node", unreachable, "--rate", "10", "--duration", "1s",
               "--accounts", accounts, "--out", existing.string(), "--quiet"});
  EXPECT_NE(again.code, 0);
  ASSERT_TRUE(fs::is_directory(existing));
  EXPECT_TRUE(fs::is_empty(existing)) << fs::directory_iterator(existing)->path();
}

TEST(BeaconRun, AScenarioErrorNamesItsLocationOnce) {
  temp_dir d;
  const std::string sc =
      d.file("sc.yaml", "name: t\nnodes: [ws://127.0.0.1:1]\nduration: [1, 2]\n");
  const cli_result r = run_cli({"beacon", "run", "--scenario", sc, "--accounts", "none"});
  expect_bad_input(r, sc + ":3:11: duration: expected a value, got a list");
  EXPECT_EQ(r.err.find(sc), r.err.rfind(sc)) << r.err;
}

TEST(BeaconRun, TheRateBoundReadsTheSameInAScenarioAndOnTheCommandLine) {
  temp_dir d;
  const std::string sc =
      d.file("sc.yaml", "nodes: [ws://127.0.0.1:1]\nload: {kind: constant, rate: -5}\n");
  const std::string problem = "expected a rate > 0 in tx/s such as 500, got \"-5\"";
  expect_bad_input(run_cli({"beacon", "run", "--scenario", sc, "--accounts", "none"}),
                   "load.rate: " + problem);
  expect_bad_input(
      run_cli({"beacon", "run", "--node", unreachable, "--rate", "-5", "--accounts", "none"}),
      "bts-infra beacon run: --rate: " + problem);
  expect_bad_input(run_cli({"run", "max-transfer-one-node", "--rate", "-5"}),
                   "bts-infra run: --rate: " + problem);
  const std::string zero = "expected a rate > 0 in tx/s such as 500, got \"0\"";
  expect_bad_input(
      run_cli({"beacon", "run", "--node", unreachable, "--rate", "0", "--accounts", "none"}),
      "--rate: " + zero);
  const std::string sc0 = d.file("sc0.yaml", "nodes: [ws://127.0.0.1:1]\nload: 0\n");
  expect_bad_input(run_cli({"beacon", "run", "--scenario", sc0, "--accounts", "none"}),
                   "load.rate: " + zero);
}

TEST(BeaconServe, OneAccountIsRefusedAtStart) {
  temp_dir d;
  const std::string token = d.file("token", "beacon-token\n");
  const std::string one = d.file("accounts", "alice " + bob_wif + "\n");
  expect_bad_input(run_cli({"beacon", "serve", "--overseer", unreachable, "--name", "b1",
                            "--token-file", token, "--accounts", one}),
                   "bts-infra beacon serve: " + one +
                       ": the beacon needs at least two accounts (transfers go between them), "
                       "found 1");
  expect_bad_input(run_cli({"beacon", "serve", "--overseer", unreachable, "--name", "b1",
                            "--token-file", token}),
                   "bts-infra beacon serve: --accounts: no accounts");
}

}  // namespace
}  // namespace bts::cli
