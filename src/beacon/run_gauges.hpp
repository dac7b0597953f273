// What a per-second row gets besides its events (run_recorder's fill_gauges): the sends the
// schedule offered in the second, the pool's depth and expired transactions, the broadcast
// connections' disconnects and reconnects, the beacon's and the send thread's CPU, and the
// nodes' load.
//
//   run_gauges g(clock, seq, pool, broadcaster, node_load, sc.count);
//   g.begin_process_cpu();              // before the schedule starts
//   g.start(now);                       // on the send thread, when the schedule starts
//   run_recorder rec(now, [&](row, end) { g.fill(row, end, schedule_end); });
//
// Nothing is offered after the schedule ended (`schedule_end`: duration, count or stop);
// unlimited mode offers what it sends.
//
// Ownership: every reference must outlive the gauges.
// Threads: start() and fill() on the send thread (the thread CPU is that thread's).
#pragma once

#include <cstdint>
#include <optional>

#include "beacon/broadcaster.hpp"
#include "beacon/node_load_sampling.hpp"
#include "beacon/presign_pool.hpp"
#include "load/clock.hpp"
#include "load/sequencer.hpp"
#include "stats/second_series.hpp"

namespace bts::beacon {

class run_gauges {
 public:
  using time_point = load::clock::time_point;

  run_gauges(load::clock& clock, load::sequencer& seq, const presign_pool& pool,
             const broadcaster& connections, const node_load_sampling& node_load,
             std::optional<std::uint64_t> count);

  // The process CPU time the first row's beacon_cpu_percent counts from.
  void begin_process_cpu();
  // The schedule started at `now`: offered sends and the send thread's CPU count from here.
  void start(time_point now);
  // Completes the row of the second ending at `end`.
  void fill(stats::second_row& row, time_point end, time_point schedule_end);

 private:
  void fill_offered(stats::second_row& row, time_point end, time_point schedule_end);
  void fill_cpu(stats::second_row& row);

  load::clock& clock_;
  load::sequencer& seq_;
  const presign_pool& pool_;
  const broadcaster& connections_;
  const node_load_sampling& node_load_;
  std::optional<std::uint64_t> count_;
  time_point offered_at_{}, last_cpu_wall_{};
  std::uint64_t offered_so_far_ = 0, expired_so_far_ = 0, disconnects_so_far_ = 0,
                reconnects_so_far_ = 0;
  double cpu_process_ = 0, cpu_thread_ = 0;
};

}  // namespace bts::beacon
