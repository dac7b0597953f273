// One beacon run against real nodes: the parts of this module wired to the rpc client.
//
//   beacon b({.sc = scenario, .name = "b1", .accounts = accounts, .on_second = print});
//   std::signal(SIGINT, ...) -> b.request_stop();
//   beacon_result r = b.run();        // blocks: setup, pre-fill, paced run, drain
//
// run():
//   1. setup over a blocking connection to the first node: chain id, fee schedule and limits
//      (get_global_properties), head (get_dynamic_global_properties), key prefix (get_config),
//      account ids and memo keys (lookup_account_names), the order asset (lookup_asset_symbols).
//      Problems here are bad configuration: bts::input_error ("accounts: bob not found on
//      ws://...: run `bts-infra beacon provision`").
//      Then the fee budget (fee_budget.hpp): what the scenario will spend against what the
//      accounts hold of the core asset (get_account_balances). A run that cannot pay is refused
//      here, before a signer starts: input_error("fee budget", "the run needs ~... BTS in fees
//      ...; the 4 accounts hold ... BTS (short by ...)"), unless sc.ignore_fee_budget (then a
//      note). result.info["fee_budget"] and the start event carry the figures either way.
//   2. signer threads pre-fill the pool; one io_context thread (the send thread) owns the send
//      loop, the recorder and the websocket connections (scenario nodes x connections, pipelined
//      broadcast_transaction[_with_callback]). An inclusion watcher runs on a thread of its own:
//      a separate connection to the first node (set_block_applied_callback, then get_block for
//      every block number, gaps after a reconnect included); it decodes each block
//      (block_reader.hpp: transaction ids computed locally, packed size) and hands the ids and
//      their arrival time to the send thread, which matches them. Every block seen becomes a
//      store::block_record (once per block number).
//   3. when the schedule ends (duration, count, or request_stop) it waits for answers and
//      inclusions up to `drain_timeout`, then closes the last second; with block_watch
//      all_nodes it then waits for late blocks (propagation_watch.hpp, bounded).
// Disconnects are reconnected by the rpc client and counted; rejections are counted by fc code;
// neither stops the run.
//
// Output: on_second and on_block run on the beacon's output thread (output_queue.hpp), in the
// order the rows and blocks were produced, never on the send thread, so a slow disk or SQLite
// commit cannot delay a send. run() returns (or throws) only after every one of them has run:
// a run stopped by Ctrl-C loses nothing it measured.
//
// Live rate: set_rate(r) switches the schedule to a constant r tx/s from the moment the send
// thread gets the command; intended send times continue from there (load/sequencer.hpp: no
// burst to catch up, sends already due stay due). It ends a rate search.
//
// Rate search (scenario.search, docs/scenarios.md): the send thread raises the rate each
// step_duration, judges each step `settle` after it ended from its own transactions (inclusion
// ratio, inclusion p99, error rate; pool misses and schedule lag mark a beacon-side limit),
// and at the first step that crosses a threshold emits a break_point event, falls back to the
// last good rate, holds it for `hold` and ends. result.info["search"] has the steps, the
// sustained rate and the break.
//
// Events (on_event, output thread, in order with the rows): start {rate}, rate_change {from,
// to, step?}, break_point {rate, reason, step, ...}, stop {...}, and with block_watch all_nodes
// a note {propagated, nodes: [...], summary, ...} saying when the run's blocks reached each node
// and which never did (propagation_watch.hpp). With all_nodes, run() returns only after the
// grace for late blocks (at most the scenario's propagation.grace, 30 s by default; a second
// request_stop() ends it).
// Before stop, a note {per_node: [{url, sent, accepted, included}]} (the overseer sums a
// fleet's). Every node's head is sampled once a second (head_sampling.hpp) into the rows'
// node_load; result.node_tx has each node's transactions for the summary's per_node.
//
// Parts (beacon.cpp wires them): run_setup.hpp (the chain facts read at setup), presign_pool.hpp
// (signers), send_loop.hpp (the hot path) over broadcaster.hpp (the connections), rate_searcher.hpp
// (the search), inclusion_tracker.hpp (blocks, matching, order ids), propagation_watch.hpp
// (all_nodes), node_load_sampling.hpp, run_gauges.hpp and run_result.hpp (result.info, notes).
//
// Time: every send time, latency and step boundary comes from beacon_options::clock (default
// load::real_clock()); the send thread's timers wait for those time points on the steady clock,
// so the clock must count steady-clock time (tests of the parts use a manual clock).
//
// Threads: run() blocks its caller; request_stop() may be called from any thread or a signal
// handler (it only stores to an atomic); set_rate() from any thread (not a signal handler).
#pragma once

#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "beacon/chain_context.hpp"
#include "beacon/fee_budget.hpp"
#include "load/clock.hpp"
#include "scenario/scenario.hpp"
#include "stats/run_summary.hpp"
#include "stats/second_series.hpp"
#include "store/run_record.hpp"

namespace bts::beacon {

struct run_setup;  // run_setup.hpp

struct beacon_options {
  scenarios::scenario sc;
  std::string name = "beacon";
  std::vector<account_entry> accounts;
  // After every closed second: that second's row and the run totals so far (output thread).
  std::function<void(const stats::second_row& row, const stats::second_row& totals)> on_second;
  // After every block seen, once per block number (output thread). An exception thrown by
  // on_second or on_block (a full disk) is rethrown by run() once the run has ended.
  std::function<void(const store::block_record& block)> on_block;
  // Run events (see above), with store::now_unix_ms()-based times (output thread).
  std::function<void(const store::event& e)> on_event;
  // Jobs the output thread may have waiting before the send thread waits for it.
  std::size_t output_queue_capacity = 4096;
  std::chrono::milliseconds call_timeout{10'000};
  // How long to wait for answers and inclusions after the last send (Ctrl-C: a third of it).
  std::chrono::milliseconds drain_timeout{15'000};
  std::chrono::milliseconds connect_timeout{10'000};
  // Pacing and measurement time (see "Time" above); nullptr also means load::real_clock().
  // Not owned; REQUIRES: outlives run().
  load::clock* clock = &load::real_clock();
};

struct beacon_result {
  stats::second_series series;
  stats::latency_set cumulative;
  std::vector<store::block_record> blocks;  // in the order seen
  double duration_seconds = 0;              // first send schedule slot to the end of the drain
  bool interrupted = false;                 // request_stop() ended the schedule early
  // Chain id, parameters, node info, factory/pool/connectivity counters: for manifest.json.
  boost::json::object info;
  std::vector<std::string> notes;  // e.g. "12 pool misses: signers could not keep up"
  // Per node URL: the transactions sent to it, accepted by it and of those, included
  // (summary_options::node_tx).
  std::map<std::string, stats::node_tx_counts> node_tx;
};

class beacon {
 public:
  explicit beacon(beacon_options options);
  ~beacon();
  beacon(const beacon&) = delete;
  beacon& operator=(const beacon&) = delete;

  // Step 1 of run() on its own: reads the chain facts and checks the fee budget, so a caller
  // can refuse a run before it creates anything (a run directory). Throws input_error as run()
  // does, ("fee budget", ...) for a run the accounts cannot pay. run() uses what it read.
  // REQUIRES: called at most once, before run().
  fee_budget prepare();

  // REQUIRES: called once.
  beacon_result run();

  // Ends the schedule; a second call also cuts the drain short. Async-signal-safe.
  void request_stop() { stop_requests_.fetch_add(1, std::memory_order_relaxed); }

  // Constant `tx_per_s` (> 0, finite; else std::invalid_argument) from the next schedule slot
  // on. Before the schedule starts it replaces the starting rate; after the run, no effect.
  void set_rate(double tx_per_s);

  // Set by run() while its send thread takes commands (posts f to that thread).
  struct control;

 private:
  beacon_options options_;
  std::atomic<int> stop_requests_{0};
  std::shared_ptr<control> control_;
  std::unique_ptr<run_setup> setup_;  // prepare() to run()
  fee_budget budget_;
};

}  // namespace bts::beacon
