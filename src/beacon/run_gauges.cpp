#include "beacon/run_gauges.hpp"

#include <time.h>

#include <algorithm>
#include <cmath>

namespace bts::beacon {

using namespace std::chrono_literals;

namespace {

double cpu_seconds(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

run_gauges::run_gauges(load::clock& clock, load::sequencer& seq, const presign_pool& pool,
                       const broadcaster& connections, const node_load_sampling& node_load,
                       std::optional<std::uint64_t> count)
    : clock_(clock),
      seq_(seq),
      pool_(pool),
      connections_(connections),
      node_load_(node_load),
      count_(count) {}

void run_gauges::begin_process_cpu() { cpu_process_ = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID); }

void run_gauges::start(time_point now) {
  offered_at_ = now;
  last_cpu_wall_ = now;
  cpu_thread_ = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
}

void run_gauges::fill(stats::second_row& row, time_point end, time_point schedule_end) {
  fill_offered(row, end, schedule_end);
  row.pool_depth = static_cast<std::int64_t>(pool_.depth());
  const auto expired = pool_.expired();
  row.expired += static_cast<std::int64_t>(expired - expired_so_far_);
  expired_so_far_ = expired;
  const broadcaster::totals t = connections_.counters();
  row.disconnects += static_cast<std::int64_t>(t.disconnects - disconnects_so_far_);
  row.reconnects += static_cast<std::int64_t>(t.reconnects - reconnects_so_far_);
  disconnects_so_far_ = t.disconnects;
  reconnects_so_far_ = t.reconnects;
  fill_cpu(row);
  node_load_.fill(row);
}

void run_gauges::fill_offered(stats::second_row& row, time_point end, time_point schedule_end) {
  const auto at = std::min(end - 1ns, schedule_end - 1ns);
  auto offered = seq_.started() ? std::max<std::uint64_t>(
                                      offered_so_far_, seq_.offered_by(std::max(at, offered_at_)))
                                : 0;
  offered_at_ = std::max(at, offered_at_);
  if (count_) offered = std::min<std::uint64_t>(offered, *count_);
  row.offered = static_cast<std::int64_t>(offered - offered_so_far_);
  offered_so_far_ = offered;
  if (seq_.profile().is_unlimited()) row.offered = row.sent;
}

void run_gauges::fill_cpu(stats::second_row& row) {
  const double wall = std::chrono::duration<double>(clock_.now() - last_cpu_wall_).count();
  if (wall <= 0.2) return;
  const double proc = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID),
               thread = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
  row.beacon_cpu_percent = std::round(1000 * (proc - cpu_process_) / wall) / 10;
  row.send_cpu_percent = std::round(1000 * (thread - cpu_thread_) / wall) / 10;
  cpu_process_ = proc;
  cpu_thread_ = thread;
  last_cpu_wall_ = clock_.now();
}

}  // namespace bts::beacon
