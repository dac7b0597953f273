// `bts-infra run`: a whole fleet on one machine — the overseer in-process with its SQLite store,
// N real beacons (agents) connected to it over loopback, their accounts provisioned on the given
// nodes — running one scenario through the overseer as a distributed run would.
//
//   local_run lr({.scenario_name = "real-user-activity", .scenario_text = text,
//                           .nodes = devnet.endpoints(), .beacons = 3, .out = "results/x",
//                           .registrar_wif = wif});
//   lr.provision();          // accounts for every beacon (registrar key via a 0600 file, deleted)
//   lr.connect_beacons();    // N agents register with the overseer
//   std::string id = lr.create_and_start();
//   local_run_result r = lr.wait(on_progress, stop_requested);
//
// The out directory receives results.sqlite (the store), beacon.token and admin.token (random,
// mode 0600), accounts.txt (mode 0600, from beacon::provision) and run.log (the overseer's and
// the agents' log lines). The scenario's nodes are replaced by `nodes` before the run is
// created, so the overseer assigns beacons to them round robin as it does for any run.
//
// Threads: the overseer has its own threads; the agents run on one io thread owned here.
// Members are called from one thread (the command's); callbacks come on that thread.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "beacon/provision.hpp"

namespace bts::cli {

struct local_run_options {
  std::string scenario_name;       // a preset name or the file name (for messages and the store)
  std::string scenario_text;       // YAML (or JSON)
  std::vector<std::string> nodes;  // ws:// endpoints replacing the scenario's nodes
  std::size_t beacons = 3;
  std::uint32_t accounts_per_beacon = 4;
  std::optional<double> rate;      // total tx/s over all beacons; default the scenario's
  std::string duration;            // overrides the scenario's ("30s")
  std::filesystem::path out;       // created if missing
  std::string host = "127.0.0.1";  // the overseer's (and dashboard's) address
  std::uint16_t port = 0;          // 0: ephemeral
  std::string registrar = "nathan";
  // The registrar's key for provision(), never logged: either a file holding it (passed to
  // beacon::provision as is, so the key is not copied; an operator's --registrar-wif-file), or
  // the key itself, written to a 0600 file in `out` for the provisioning and deleted after.
  // REQUIRES: one of them non-empty for provision().
  std::string registrar_wif_file;
  std::string registrar_wif;
  // Claim the registrar key's genesis balance objects (balance_claim) before provisioning, as
  // `beacon provision --claim-genesis-balance` does (idempotent): a fresh testnet, and the
  // devnet, keep the registrar's funds there.
  bool claim_genesis_balance = false;
  std::chrono::seconds provision_wait{60};
  // Sets the scenario's ignore_fee_budget: beacons whose accounts cannot pay the scenario's fee
  // budget run anyway (else each refuses at its start and the run fails with its numbers).
  bool ignore_fee_budget = false;
  // Called with each line of run.log as well (tests); the file always gets it.
  std::function<void(const std::string&)> log;
};

// One line of progress, from the newest merged second.
struct local_run_progress {
  double elapsed_s = 0;                            // since the run's start
  std::int64_t second = -1;                        // newest merged second (-1: none yet)
  double offered = 0, accepted = 0, included = 0;  // tx in that second
  std::optional<double> inclusion_p99_ms;          // that second's inclusion latency p99
  std::int64_t sent_total = 0, accepted_total = 0, included_total = 0;
  std::string status;  // the run's status ("running", ...)
  bool stopping = false;
};
std::string format_progress(const local_run_progress& p);

struct local_run_result {
  std::string run_id;
  std::string status;           // completed, stopped, failed
  boost::json::object summary;  // summary.json as stored (empty if the run has none)
  bool interrupted = false;     // stop_requested ended it
  // "beacon-1: fee budget: the run needs ~..." for each beacon that failed (its last error).
  std::vector<std::string> errors;
};

class local_run {
 public:
  // Creates the out directory, the tokens and the overseer. Throws input_error for a bad scenario
  // (named by file:line), bad options, or a store that cannot be opened.
  explicit local_run(local_run_options options);
  ~local_run();  // stops the agents and the overseer (the store is complete)
  local_run(const local_run&) = delete;
  local_run& operator=(const local_run&) = delete;

  std::uint16_t port() const;
  std::string dashboard_url() const;  // http://HOST:PORT/
  std::filesystem::path store_path() const;
  std::filesystem::path log_path() const;

  // Provisions accounts_per_beacon accounts per beacon on nodes[0] (idempotent over an existing
  // accounts.txt; claiming the registrar's genesis balances first with claim_genesis_balance),
  // then waits (up to provision_wait) until every other node shows the accounts. Returns what
  // beacon::provision did. Blocking; throws input_error with the node's message.
  beacon::provision_report provision();
  // Starts the agents and waits (up to `timeout`) until every one is connected.
  void connect_beacons(std::chrono::seconds timeout = std::chrono::seconds(20));
  // Creates the run through the overseer, waits until every beacon prepared, starts it.
  std::string create_and_start(std::chrono::seconds timeout = std::chrono::seconds(30));
  // Waits for the run to end, calling on_progress about once a second. When stop_requested()
  // turns true the run is stopped (what was measured is stored); a second request gives up
  // waiting for the beacons to drain.
  local_run_result wait(const std::function<void(const local_run_progress&)>& on_progress,
                        const std::function<int()>& stop_requests);
  // Stops agents and overseer. Idempotent.
  void stop();

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

// Asks every node for its chain id (get_chain_id, each within `timeout`) and returns the one they
// all report (hex). Throws input_error naming "--node URL" for a node that does not answer or
// reports another chain id than nodes[0].
std::string check_nodes_chain_id(const std::vector<std::string>& nodes,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(10));

// The scenario text with its nodes replaced (comments are not kept). Throws input_error naming
// `source` when the text is not a YAML mapping.
std::string replace_scenario_nodes(const std::string& text, const std::vector<std::string>& nodes,
                                   const std::string& source);

}  // namespace bts::cli
