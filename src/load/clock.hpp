// The time source for pacing: production code uses the steady clock, tests a manual clock
// (tests/support/manual_clock.hpp) that moves only when told to, so schedules are checked to the
// nanosecond without sleeping.
//
// Ownership: callers keep the clock alive for as long as anything holds a reference to it;
// real_clock() lives forever.
// Threads: now() may be called from any thread. sleep_until() blocks only the calling thread.
#pragma once

#include <chrono>

namespace bts::load {

class clock {
 public:
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<std::chrono::steady_clock, duration>;

  virtual ~clock() = default;
  virtual time_point now() const = 0;
  // Returns once now() >= t (at once if it already is). A real clock sleeps, then busy-waits
  // the last stretch if so configured; a manual clock jumps forward to t.
  virtual void sleep_until(time_point t) = 0;
};

// std::chrono::steady_clock. `spin` is how long before a deadline sleeping gives way to busy
// waiting: 0 (the default) only sleeps, which costs no CPU and overshoots by the kernel's timer
// slack (tens of µs on Linux); a spin of 50-200 µs gives µs precision at the price of a busy
// core when sends are closer together than the spin.
class steady_clock final : public clock {
 public:
  explicit steady_clock(duration spin = duration::zero()) : spin_(spin) {}
  time_point now() const override;
  void sleep_until(time_point t) override;

 private:
  duration spin_;
};

// A process-wide steady_clock without spinning.
clock& real_clock();

}  // namespace bts::load
