// The overseer: one control plane for a fleet of beacons, and the writer of their runs.
//
//   overseer::overseer o({.port = 8700, .store = "results.db", .beacon_token = t,
//                         .admin_token = a});
//   // beacons connect to ws://127.0.0.1:8700/control; the JSON API is under /api/
//
// One port serves (src/rpc/server.hpp):
//   - the control websocket (docs/control-protocol.md) at /control, beacon token required;
//   - the JSON API: GET /api/beacons, GET /api/runs, GET /api/runs/ID,
//     GET /api/runs/ID/series[?beacon=NAME&from=N], GET /api/runs/ID/blocks[?from=BLOCK_NUM];
//     with the admin token (Authorization:
//     Bearer): POST /api/runs, POST /api/runs/ID/start, /stop, /rate.
// A refused connection (missing or wrong token) gets HTTP 401 and one log line naming the peer
// address, never the token.
//
// Runs: a run is created from a scenario (scenarios::scenario YAML), assigning the chosen beacons
// to the scenario's nodes round robin and splitting a constant rate evenly. Beacons stream one
// row per second; each row is stored per beacon (once per (run, beacon, second)) before it is
// acknowledged, and second N of the merged series is written once every beacon expected in
// it has reported N (or is lost for longer than `lost_hold`). Merging is exact: counters summed,
// histograms merged (stats::second_merger); the merged cumulative histograms are stored with
// every merged second. A run ends when all its beacons finished (or stayed lost past
// lost_hold); its summary is computed from the merged series and histograms.
//
// Restart safety: everything needed to continue a run is in the store. A new overseer on the
// same store resumes every run still marked created/running: beacons reconnect, re-register
// into their run and resend the rows that were not acknowledged; rows stored before are
// ignored, seconds not yet merged are merged from the stored per-beacon rows.
//
// Threads: the overseer owns one network thread (the rpc server and timers), one store thread
// (the only writer of the store) and two API worker threads (http_api.hpp). Nothing slow runs
// on the network thread or under the lock beacon traffic takes (detail/core.hpp): an HTTP
// request is answered from a worker, and create_run checks the node_load sources and waits for
// the store without that lock, so heartbeats and stats never wait for a run creation. Public
// members may be called from any thread; create_run, flush and the store snapshots block the
// caller (never call them from the network thread).
//
// Inside (src/overseer/): control_session.hpp (one beacon's control messages), run_merger.hpp
// (merged series, run ends, restore), plan_run.hpp (a run's beacons, nodes, rates and manifest,
// a pure function), http_api.hpp (the HTTP adapter over the members below), detail/core.hpp
// (the shared state and its locks).
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/protocol.hpp"

namespace bts::overseer::detail {
struct scrape_state;
}
#include "rpc/tls.hpp"
#include "store/results_store.hpp"

namespace bts::overseer {

using control::unix_us;

struct overseer_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: ephemeral, see port()
  std::filesystem::path store;
  std::string beacon_token;  // REQUIRES: non-empty
  std::string admin_token;   // REQUIRES: non-empty
  std::optional<rpc::tls_server_options> tls;
  // Clock offset measurement (ping) interval.
  std::chrono::milliseconds ping_interval{2000};
  // A connected beacon silent for this long is disconnected and shown lost.
  std::chrono::milliseconds silence_limit{10'000};
  // How long merged seconds wait for a lost beacon before they are written without it.
  std::chrono::milliseconds lost_hold{30'000};
  // Delay between POST /api/runs/ID/start and the start time sent to beacons (default).
  std::chrono::milliseconds start_delay{1000};
  // One line per notable event (connections, refusals, runs). Default: stderr.
  std::function<void(const std::string&)> log;
  // Outputs (e.g. Elasticsearch, see overseer_command.cpp): called on the store thread once the
  // data is committed, in commit order; they must not block for long. on_rows gets a beacon's
  // rows (as received; a resent row comes again) or merged rows (beacon ""); on_run a run's
  // manifest when it is created (with its beacons), started and ended (beacons empty).
  std::function<void(const std::string& run, const std::vector<store::second_record>& rows)>
      on_rows;
  std::function<void(const std::string& run, const store::event& e)> on_event;
  std::function<void(const store::run_info& info, const std::vector<store::beacon_info>& beacons)>
      on_run;
  // The overseer's clock; default now_unix_us(). Tests inject one.
  std::function<unix_us()> now;
};

// A run as the API creates it.
struct run_request {
  std::string name;                  // a title; default the scenario's name
  std::string scenario_name;         // a preset name or a file name
  std::string scenario_text;         // YAML (or JSON) scenario, docs/scenarios.md
  std::vector<std::string> beacons;  // names; empty: every connected idle beacon
  std::optional<double> rate;        // total constant rate, split over the beacons
  std::string duration;              // overrides the scenario's
  bool ignore_fee_budget = false;    // beacons run even when their accounts cannot pay the fees
};

class overseer {
 public:
  // Opens the store, resumes unfinished runs, binds and starts serving. Throws input_error for
  // bad options (tokens, TLS files, a store that is not one), system_error if the port is taken.
  explicit overseer(overseer_options options);
  ~overseer();  // stop()
  overseer(const overseer&) = delete;
  overseer& operator=(const overseer&) = delete;

  std::uint16_t port() const;
  // Stops serving, closes connections, finishes pending store writes. Idempotent.
  void stop();

  // The operations behind the API. Throw input_error naming the field for bad requests.
  boost::json::object create_run(const run_request& request);
  boost::json::object start_run(const std::string& run, std::optional<unix_us> at = {});
  boost::json::object stop_run(const std::string& run);
  boost::json::object change_rate(const std::string& run, double total_rate);

  // Snapshots (what GET /api/... returns).
  boost::json::array beacons_json() const;
  boost::json::object run_json(const std::string& run) const;
  boost::json::array runs_json() const;
  // Merged rows (beacon empty) or one beacon's, from second `from`, without histograms.
  boost::json::array series_json(const std::string& run, const std::string& beacon,
                                 std::int64_t from) const;
  // Blocks seen during the run (store::block_record JSON, docs/formats.md), block_num >= from.
  boost::json::array blocks_json(const std::string& run, std::int64_t from) const;

  // The merged run's cumulative latency histograms as stored with its last merged second:
  // {"merged_up_to": N, "histograms": {"schedule_lag": "HISTF...", ...}} (kinds without
  // samples are absent). For /metrics.
  boost::json::object cumulative_json(const std::string& run) const;

  // Waits until every store write queued so far is committed (tests).
  void flush();

  // State kept by the /metrics scrape between scrapes (detail/scrape_state.hpp).
  detail::scrape_state& scrape_state() const;

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace bts::overseer
