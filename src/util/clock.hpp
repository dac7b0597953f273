// The one time source of bts-infra: pacing (load::sequencer, the beacon's send loop), call
// timeouts and reconnect backoff (rpc::client) all read an injectable util::clock, so tests
// check schedules and timeouts to the nanosecond without sleeping.
//
//   util::clock& c = util::real_clock();           // production: std::chrono::steady_clock
//   util::manual_clock m;                          // tests: moves only when told to
//   m.advance(std::chrono::seconds(5));            // a timeout "expires" at once
//   m.sleep_until(m.now() + 1ms);                  // returns at once, now() is the target
//
// Two ways to wait on a clock, for two kinds of waiter:
//  - A thread that owns its time (the load sender) calls sleep_until(t): a real clock sleeps, a
//    manual clock jumps forward to t.
//  - An event loop that cannot block (rpc::client's deadline checks) arms a real-time timer for
//    at most poll_interval() and then reads now() again, so advancing a manual clock takes
//    effect within that interval while the real clock (poll_interval() = max) is waited on
//    directly.
//
// load::clock, load::steady_clock, load::real_clock() (src/load/clock.hpp) and
// test::manual_clock (tests/support/manual_clock.hpp) are aliases of the names below.
//
// The names live in bts::util rather than bts (where the rest of util is) so that `clock` and
// `steady_clock` do not hide ::clock() and std::chrono::steady_clock in every bts namespace.
//
// Ownership: callers keep a clock alive for as long as anything holds a reference to it;
// real_clock() lives forever.
// Threads: now() and poll_interval() may be called from any thread; sleep_until() blocks only
// the calling thread; manual_clock's advance(), set() and sleep_until() may be called from any
// thread (its value is atomic), though tests normally drive it from one.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

namespace bts::util {

class clock {
 public:
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<std::chrono::steady_clock, duration>;

  virtual ~clock() = default;
  virtual time_point now() const = 0;
  // Returns once now() >= t (at once if it already is).
  virtual void sleep_until(time_point t) = 0;
  // Longest real-time wait an event loop may take before reading now() again (see the top of
  // this file). duration::max(): the clock follows real time, wait for the deadline itself.
  virtual duration poll_interval() const { return duration::max(); }
};

// std::chrono::steady_clock. `spin` is how long before a deadline sleeping gives way to busy
// waiting: 0 (the default) only sleeps, which costs no CPU and overshoots by the kernel's timer
// slack (tens of µs on Linux); a spin of 50-200 µs gives µs precision at the price of a busy
// core when sends are closer together than the spin.
class steady_clock final : public clock {
 public:
  explicit steady_clock(duration spin = duration::zero()) : spin_(spin) {}

  time_point now() const override {
    return std::chrono::time_point_cast<duration>(std::chrono::steady_clock::now());
  }

  void sleep_until(time_point t) override {
    const time_point wake = t - spin_;
    if (now() < wake) std::this_thread::sleep_until(wake);
    while (now() < t) {
      // Busy-wait the last stretch (or re-sleep after an early wake-up when not spinning).
      if (spin_ == duration::zero()) std::this_thread::sleep_until(t);
    }
  }

 private:
  duration spin_;
};

// The process-wide steady_clock without spinning.
inline clock& real_clock() {
  static steady_clock instance;
  return instance;
}

// A clock that moves only when told to. Starts at an arbitrary fixed point one hour after the
// steady clock's epoch, so that "before the start" is representable. sleep_until(t) jumps the
// clock forward to t (never backwards), so code that "waits" for its next deadline runs at once
// and lands exactly on it; sleeps() counts those calls. `poll` is its poll_interval(): how
// often an event loop waiting on it looks at now() again.
class manual_clock final : public clock {
 public:
  manual_clock() = default;
  explicit manual_clock(duration poll) : poll_(poll) {}

  time_point now() const override { return time_point(duration(ticks_.load())); }
  duration poll_interval() const override { return poll_; }
  void sleep_until(time_point t) override {
    sleeps_.fetch_add(1);
    auto cur = ticks_.load();
    const auto target = t.time_since_epoch().count();
    while (cur < target && !ticks_.compare_exchange_weak(cur, target)) {
    }
  }

  void advance(duration d) { ticks_.fetch_add(d.count()); }
  void set(time_point t) { ticks_.store(t.time_since_epoch().count()); }
  int sleeps() const { return sleeps_.load(); }

 private:
  std::atomic<duration::rep> ticks_{
      std::chrono::duration_cast<duration>(std::chrono::hours(1)).count()};
  std::atomic<int> sleeps_{0};
  duration poll_ = std::chrono::milliseconds(1);
};

}  // namespace bts::util
