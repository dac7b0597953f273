// The beacon side of the control protocol: `bts-infra beacon serve`.
//
//   control::agent a(io.get_executor(), {.overseer = "wss://overseer:8700", .name = "b1",
//                                         .token = token, .make_runner = beacon::beacon_runner(...)});
//   a.start();   // connects out, registers, heartbeats, obeys commands, streams statistics
//
// The agent connects *out* to the overseer (so beacons behind NAT work), registers, answers
// pings (clock offset), sends a heartbeat every `heartbeat_interval`, and streams one stats row
// per second of a run. Rows are kept until the overseer acknowledges them as stored: after a
// reconnect (the overseer restarted, or the network dropped) the agent registers again with its
// run and last second, then resends what was not acknowledged, so no second is lost.
// The load itself is a `load_runner`: a real beacon (beacon/agent_runner.hpp) or a simulated one for
// tests, benchmarks and demos.
//
// Threads: the agent runs on the given executor (any number of threads); its state is guarded
// by a mutex, so every public member may be called from any thread. Runner callbacks may come
// from any thread. The executor must outlive the agent or be stopped first.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/protocol.hpp"
#include "rpc/tls.hpp"
#include "scenario/scenario.hpp"

namespace bts::control {

// What a runner reports. Callbacks may be invoked from any thread; on_done exactly once.
struct runner_callbacks {
  std::function<void(stats::second_row)> on_second;
  std::function<void(store::block_record)> on_block;
  // Run events (start, rate_change, break_point, stop, ...): forwarded as `event` messages.
  std::function<void(store::event)> on_event;
  std::function<void(std::string error)> on_done;  // empty: ended normally
};

// One run's load. Created by configure; start() must not block.
class load_runner {
 public:
  virtual ~load_runner() = default;  // stops and waits for the run's threads
  // Checks what can be checked before the start. Throws input_error.
  virtual void prepare() {}
  virtual void start(runner_callbacks callbacks) = 0;
  virtual void stop() = 0;
  // Live rate change (tx/s); false when the runner cannot change its rate while running.
  virtual bool set_rate(double tx_per_s) = 0;
  virtual std::optional<double> rate() const = 0;
};

// Makes the runner for a configure command; throws input_error for a bad scenario.
using runner_factory = std::function<std::unique_ptr<load_runner>(
    const configure_cmd& cfg, boost::asio::any_io_executor executor)>;

// A simulated beacon: a row every `second_length` with `rate` sends, all accepted and
// included, latencies drawn around `latency_ms` (seeded). The run lasts the scenario's (or
// configure's) duration in rows, or until stopped.
struct simulated_load_options {
  std::chrono::milliseconds second_length{1000};
  double latency_ms = 20;
};
runner_factory simulated_runner(simulated_load_options options = {});

// The scenario a configure command describes: its text (scenarios::parse_scenario) with the
// overseer's assignment on top: the assigned nodes (node_load "none" for a node the overseer
// samples itself), the rate or the beacon's share of it, the duration, the seed and
// ignore_fee_budget (when the command sets it). Throws
// input_error for a bad scenario.
scenarios::scenario assigned_scenario(const configure_cmd& cfg);

// The real beacon is beacon::beacon_runner (beacon/agent_runner.hpp).

struct agent_options {
  std::string overseer;  // ws:// or wss:// URL; the path defaults to /control
  std::string name;      // the beacon's name
  std::string token;     // sent as Authorization: Bearer; never logged
  rpc::tls_client_options tls;
  std::string host;        // default: gethostname()
  std::string version;     // default: BTS_INFRA_VERSION
  std::int64_t cores = 0;  // default: hardware threads
  runner_factory make_runner;
  std::function<unix_us()> now;  // the beacon's clock; default now_unix_us()
  std::chrono::milliseconds heartbeat_interval{1000};
  std::size_t max_rows_per_message = 30;
  std::function<void(const std::string&)> log;  // default: stderr
  // Seen by tests and benchmarks when a command arrives (on the client's strand).
  std::function<void(const command&)> on_command;
};

class agent {
 public:
  // Throws input_error for a bad URL or name.
  agent(boost::asio::any_io_executor executor, agent_options options);
  ~agent();  // close()
  agent(const agent&) = delete;
  agent& operator=(const agent&) = delete;

  void start();
  // Stops the runner, closes the connection. Idempotent.
  void close();

  struct status {
    bool connected = false;
    beacon_state state = beacon_state::idle;
    std::string run;
    std::int64_t last_second = -1;   // last row produced
    std::int64_t acked_second = -1;  // last row the overseer acknowledged as stored
    std::size_t unacked = 0;         // rows waiting for an acknowledgement
    unsigned registrations = 0;      // successful registers (1 + reconnects)
    std::string error;
  };
  status get_status() const;

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace bts::control
