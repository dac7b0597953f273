// A load::clock that moves only when told to, for pacing tests without sleeping.
//
// sleep_until(t) jumps the clock forward to t (never backwards), so code that "waits" for its
// next deadline runs instantly and lands exactly on it; sleeps() counts those calls.
// Threads: now(), advance(), set() and sleep_until() may be called from any thread (the value is
// atomic), though tests normally drive it from one.
#pragma once

#include <atomic>
#include <chrono>

#include "load/clock.hpp"

namespace bts::test {

class manual_clock final : public load::clock {
 public:
  // Starts at an arbitrary fixed point one hour after the steady clock's epoch, so that
  // "before the start" is representable.
  manual_clock() = default;

  time_point now() const override { return time_point(duration(ticks_.load())); }
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
};

}  // namespace bts::test
