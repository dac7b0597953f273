// The overseer's shared state: the fleet of beacons and the runs, and the few primitives every
// room of the overseer uses on them (sending a command, posting an event, the clock, the log).
// Private to src/overseer/: control_session (one beacon's messages), run_merger (merging and
// ending runs), the operations in overseer.cpp and http_api (their HTTP adapter) all work on one
// `core`, owned by overseer::impl.
//
//   std::lock_guard lock(c.mu);
//   detail::beacon_entry& b = c.beacons.at("alpha");
//   c.send(b, control::command{0, control::stop_cmd{run}});
//
// Locks (the reason the overseer has several):
//   - `mu` guards the fleet (beacons, runs, next_command, last_ping). Every control message, the
//     tick and the API operations take it, and only for in-memory work: it is never held across
//     a store call, a node_load check or any other I/O, so a beacon's heartbeats and stats wait
//     microseconds at most, whatever the API is doing.
//   - `create_mu` serializes run creations (a few seconds each: node_load checks, a store
//     commit), so two creations never choose the same idle beacon. Beacon traffic never takes it.
//     Order: create_mu before mu.
//
// Threads: `io` is run by the overseer's one network thread; `store` has its own thread. Members
// may be used from any thread under the locks above.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "control/protocol.hpp"
#include "monitor/node_load_watch.hpp"
#include "overseer/detail/store_worker.hpp"
#include "overseer/overseer.hpp"
#include "rpc/server.hpp"
#include "stats/second_series.hpp"
#include "store/results_store.hpp"

namespace bts::overseer::detail {

// A run or resource a request names does not exist: HTTP 404.
class not_found : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline store::unix_ms to_ms(unix_us t) { return t / 1000; }

struct clock_state {
  std::deque<control::clock_sample> samples;  // the last 8
  std::optional<control::clock_sample> best;  // the one with the smallest delay among them (NTP)
  void add(control::clock_sample s) {
    samples.push_back(s);
    if (samples.size() > 8) samples.pop_front();
    best = *std::min_element(samples.begin(), samples.end(),
                             [](const auto& a, const auto& b) { return a.delay_us < b.delay_us; });
  }
};

// A beacon the overseer knows: connected now, or lost (session null).
struct beacon_entry {
  control::register_msg reg;
  std::shared_ptr<rpc::session> session;  // null while lost
  std::string remote;
  unix_us connected_at = 0;
  unix_us last_seen = 0;
  unix_us lost_since = 0;
  int connections = 0;
  int losses = 0;
  control::beacon_state state = control::beacon_state::idle;
  std::string run;
  std::int64_t last_second = -1;
  std::optional<double> rate;
  std::string error;
  clock_state clock;
  std::map<std::uint64_t, std::pair<std::string, unix_us>> pending;  // id -> (type, sent)
  std::string last_command_error;
};

// One beacon's part in a run.
struct run_beacon {
  control::configure_cmd cfg;
  std::int64_t reported = -1;  // highest second stored
  std::int64_t final_second = -1;
  bool finished = false;
  bool failed = false;
};

struct run_state {
  store::run_info info;
  std::map<std::string, run_beacon> beacons;
  std::optional<double> total_rate;  // constant rates only
  bool unlimited = false;
  std::map<std::int64_t, std::map<std::string, stats::second_row>> pending;
  std::int64_t merged_upto = -1;
  std::string waiting_on;  // the beacon merged_upto + 1 waited for, last time try_merge looked
  std::unique_ptr<stats::latency_set> cumulative = std::make_unique<stats::latency_set>();
  // The scenario's node_load sources, while not finished.
  std::unique_ptr<monitor::node_load_watch> nodes;
  bool started = false;
  bool stop_requested = false;
  bool finished = false;
};

struct core {
  overseer_options opt;
  boost::asio::io_context io;
  std::unique_ptr<store_worker> store;
  std::filesystem::path store_path;

  mutable std::mutex mu;  // the fleet: everything below (see the file comment)
  std::map<std::string, beacon_entry> beacons;
  std::map<std::string, run_state> runs;
  std::uint64_t next_command = 1;
  unix_us last_ping = 0;

  std::mutex create_mu;  // serializes run creation; never taken by beacon traffic

  unix_us now() const { return opt.now ? opt.now() : control::now_unix_us(); }
  void log(const std::string& line) const {
    if (opt.log)
      opt.log(line);
    else
      std::cerr << "overseer: " << line << "\n";
  }

  // Sends a command (a websocket notice); a lost beacon's command is dropped (returns 0).
  // REQUIRES: mu held.
  std::uint64_t send(beacon_entry& b, control::command c) {
    c.id = next_command++;
    if (!b.session) return 0;
    b.pending[c.id] = {std::string(control::command_type(c)), now()};
    boost::json::array args;
    args.emplace_back(control::to_json(c));
    b.session->notify(b.reg.commands, std::move(args));
    return c.id;
  }

  // Queues an event for the store (and then the on_event hook). Any thread, any lock.
  void add_event(const std::string& run, store::event_kind kind, const std::string& beacon,
                 boost::json::object data, unix_us at = 0) {
    store::event e;
    e.time = to_ms(at ? at : now());
    e.kind = kind;
    e.beacon = beacon;
    e.data = std::move(data);
    store->post(
        [w = store.get(), run, e = std::move(e), cb = opt.on_event](store::results_store& db) {
          db.add_event(run, e);
          if (cb) w->once_committed([cb, run, e] { cb(run, e); });
        });
  }
};

}  // namespace bts::overseer::detail
