// pacing_bench: the open-loop sequencer in real time against its own targets.
//
// A sender that does nothing (so every shortfall is the pacer's) is driven by the sequencer at
// --rate tx/s (default 5,000) for --duration (default 10s) on the steady clock. Limits from the
// beacon issue: achieved rate within 1% of target, schedule lag p99 < 1 ms. The lag is measured
// as the sequencer reports it (grant time - intended time) and recorded in a latency_histogram,
// exactly as the beacon does. Also reports the send thread's CPU use: a pacer that meets its
// targets by spinning a core flat would itself invalidate runs.
//
// The clock sleeps until 50 µs before each deadline and spins the rest (--spin; 0 = sleep only):
// plain sleeps overshoot by the kernel's timer slack (~50 µs and more under load), while the
// spin tail costs a few % of a core at 5,000 tx/s.
//
// Output: key=value lines; exit code 0 unless the arguments are wrong (never gates on time).
// Usage: pacing_bench [--rate N] [--duration 10s] [--spin 50us]
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "load/clock.hpp"
#include "load/rate_profile.hpp"
#include "load/sequencer.hpp"
#include "stats/latency_histogram.hpp"
#include "util/error.hpp"

namespace {

using namespace std::chrono;

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr,
               "pacing_bench: %s (usage: pacing_bench [--rate N] [--duration 10s] [--spin 50us])\n",
               problem.c_str());
  std::exit(2);
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  double rate = 5000;
  nanoseconds length = seconds(10);
  nanoseconds spin = microseconds(50);
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (i + 1 >= argc) usage("missing value for '" + arg + "'");
      if (arg == "--rate") {
        rate = bts::load::parse_rate(argv[++i], "--rate");
        if (rate <= 0) usage("--rate must be > 0");
      } else if (arg == "--duration") {
        length = bts::load::parse_duration(argv[++i], "--duration");
        if (length <= nanoseconds::zero()) usage("--duration must be > 0");
      } else if (arg == "--spin") {
        spin = bts::load::parse_duration(argv[++i], "--spin");
      } else {
        usage("unexpected argument '" + arg + "'");
      }
    }
  } catch (const bts::input_error& e) {
    usage(e.what());
  }

  bts::load::steady_clock clock(spin);
  bts::load::sequencer seq(clock, bts::load::rate_profile::constant(rate));
  bts::stats::latency_histogram lag_us;
  std::uint64_t sent = 0;

  const double cpu_start = thread_cpu_seconds();
  const auto start = clock.now();
  seq.start(start);
  const auto end = start + length;
  bts::load::drive(
      seq, clock,
      [&](const bts::load::sequencer::turn& t) {
        ++sent;  // the no-op send
        lag_us.record(duration_cast<microseconds>(t.lag()).count());
        seq.release();
      },
      [&] { return seq.next_intended() < end; });
  const auto finished = clock.now();
  const double cpu = thread_cpu_seconds() - cpu_start;

  const double seconds_run = duration<double>(length).count();
  const double target_sends = rate * seconds_run;
  const double achieved = static_cast<double>(sent) / seconds_run;
  const std::uint64_t offered = seq.offered_by(end - nanoseconds(1));
  const double wall = duration<double>(finished - start).count();

  std::printf("pacing.target_per_sec=%.0f\n", rate);
  std::printf("pacing.duration_s=%.3f\n", seconds_run);
  std::printf("pacing.spin_us=%lld\n", static_cast<long long>(duration_cast<microseconds>(spin).count()));
  std::printf("pacing.sent=%llu\n", static_cast<unsigned long long>(sent));
  std::printf("pacing.offered=%llu\n", static_cast<unsigned long long>(offered));
  std::printf("pacing.achieved_per_sec=%.1f\n", achieved);
  std::printf("pacing.achieved_ratio=%.4f\n", static_cast<double>(sent) / target_sends);
  std::printf("pacing.achieved_ratio_limit=0.99\n");
  std::printf("pacing.lag_p50_us=%lld\n", static_cast<long long>(lag_us.percentile(50)));
  std::printf("pacing.lag_p99_us=%lld\n", static_cast<long long>(lag_us.percentile(99)));
  std::printf("pacing.lag_p999_us=%lld\n", static_cast<long long>(lag_us.percentile(99.9)));
  std::printf("pacing.lag_max_us=%lld\n", static_cast<long long>(lag_us.max()));
  std::printf("pacing.lag_p99_limit_us=1000\n");
  std::printf("pacing.lag_p99_ratio_vs_limit=%.3f\n",
              static_cast<double>(lag_us.percentile(99)) / 1000.0);
  std::printf("pacing.send_thread_cpu_percent=%.1f\n", 100.0 * cpu / wall);
  const bool ok = static_cast<double>(sent) >= 0.99 * target_sends &&
                  static_cast<double>(sent) <= 1.01 * target_sends && lag_us.percentile(99) < 1000;
  std::printf("pacing.within_limits=%d\n", ok ? 1 : 0);
  return 0;
}
