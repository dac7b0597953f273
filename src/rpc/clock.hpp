// The time source for call timeouts and reconnect backoff.
//
// Production code uses steady(); tests pass a manual_clock and advance it, so timeouts and
// backoff are tested without waiting for them. Waiters re-read now() at least every
// poll_interval() of real time, so advancing a manual clock takes effect within that interval.
//
// Thread safety: now() and poll_interval() may be called from any thread; manual_clock::advance
// and set too (the value is atomic).
#pragma once

#include <atomic>
#include <chrono>

namespace bts::rpc {

class clock {
 public:
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;

  virtual ~clock() = default;
  virtual time_point now() const = 0;
  // Longest real-time sleep a waiter may take before looking at now() again.
  virtual duration poll_interval() const { return duration::max(); }

  // The process-wide std::chrono::steady_clock. Lives forever.
  static clock& steady();
};

// A clock that moves only when told to. Starts at an arbitrary fixed point.
class manual_clock final : public clock {
 public:
  explicit manual_clock(duration poll = std::chrono::milliseconds(1)) : poll_(poll) {}
  time_point now() const override { return time_point(duration(ticks_.load())); }
  duration poll_interval() const override { return poll_; }

  void advance(duration d) { ticks_.fetch_add(d.count()); }
  void set(time_point t) { ticks_.store(t.time_since_epoch().count()); }

 private:
  std::atomic<duration::rep> ticks_{
      std::chrono::duration_cast<duration>(std::chrono::hours(1)).count()};
  duration poll_;
};

}  // namespace bts::rpc
