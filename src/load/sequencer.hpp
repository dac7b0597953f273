// Open-loop pacing (wrk2 / Nighthawk style): the sequencer says *when each transaction should
// go out*, from the rate profile alone, however late the sender is. A sender that stalls finds
// the missed sends still due, with their original intended times, so the latency it records
// from those times (the "corrected" latencies) shows the stall instead of hiding it: no
// coordinated omission.
//
// Usage, on the send thread:
//   sequencer seq(clock, rate_profile::constant(5000));  // or with sequencer_options for a window
//   seq.start();
//   for (;;) {
//     if (auto t = seq.try_next()) { send(t->index); lag.record(t->lag()); continue; }
//     switch (seq.status()) {  // why nothing is due
//       case sequencer::state::waiting:     clock.sleep_until(seq.next_intended()); break;
//       case sequencer::state::window_full: wait for an answer, then seq.release(); break;
//       case sequencer::state::paused:      wait for a command (change_rate); break;
//       case sequencer::state::finished:    return;
//       case sequencer::state::due:         break;
//     }
//   }
// drive() below is that loop for a sender that answers synchronously.
//
// Unlimited mode has no schedule: a turn is granted whenever the in-flight window has room, and
// its intended time is the moment it was granted (so its lag is 0).
//
// Live rate changes (the overseer's change-rate command) take effect at the moment of the call
// and continue the schedule from where it is: the fraction of a send already accumulated
// carries over, so the change itself never causes a burst. Sends that were already due stay
// due.
//
// Threads: not thread-safe; one thread (the sender's) owns the sequencer. Commands from other
// threads (change_rate, release) must be posted to that thread.
// The clock must outlive the sequencer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "load/clock.hpp"
#include "load/rate_profile.hpp"

namespace bts::load {

struct sequencer_options {
  // Most sends that may await an answer at once; 0 = no bound. REQUIRED > 0 for unlimited
  // profiles (else std::invalid_argument). In paced mode a full window makes sends late (the
  // lag shows it) rather than dropping them.
  std::size_t max_in_flight = 0;
};

class sequencer {
 public:
  using time_point = clock::time_point;

  using options = sequencer_options;

  // One granted send.
  struct turn {
    std::uint64_t index;   // 0, 1, 2, ... over the whole run
    time_point intended;   // when the schedule wanted it sent
    time_point granted;    // clock.now() when try_next granted it
    duration lag() const { return granted - intended; }
  };

  enum class state {
    due,          // try_next() would grant a turn now
    waiting,      // the next send is due at next_intended()
    window_full,  // a send is due but max_in_flight sends await answers
    paused,       // rate 0 until a change
    finished,     // a finite profile (steps) has no more sends
  };

  sequencer(clock& c, rate_profile profile, options o = {});

  // Anchors the schedule: send 0 is due at `at` (default now()). REQUIRES: not started yet.
  void start();
  void start(time_point at);
  bool started() const { return started_; }

  // The next turn when one is due and the window has room; it takes a window slot. Otherwise
  // nullopt, and status() says why. REQUIRES: started().
  std::optional<turn> try_next();

  // Why try_next would or would not grant a turn at now(). REQUIRES: started().
  state status();
  // Intended time of the next send; time_point::max() when none is scheduled (paused,
  // finished) and now() in unlimited mode. REQUIRES: started().
  time_point next_intended();

  // Frees `n` window slots (answers or timeouts arrived). REQUIRES: n <= in_flight().
  void release(std::size_t n = 1);
  std::size_t in_flight() const { return in_flight_; }
  std::uint64_t granted() const { return next_index_; }

  // Replaces the profile from now() on, continuing the schedule without a burst (see above).
  // change_rate(r) is change_profile(rate_profile::constant(r)); r = 0 pauses.
  // Before start(), simply replaces the profile. Unlimited needs max_in_flight > 0.
  void change_profile(rate_profile p);
  void change_rate(double tx_per_s);
  const rate_profile& profile() const { return segments_.back().profile; }

  // How many sends the schedule had made due at or before `t` (k6's "offered" iterations):
  // the beacon takes differences at second boundaries. In unlimited spans a send counts once
  // granted. REQUIRES: started(); t not earlier than in the previous call.
  std::uint64_t offered_by(time_point t);

 private:
  // A stretch of the schedule under one profile: from `start` on, send k is due at
  // start + profile.time_of(k - first_count).
  struct segment {
    time_point start;
    double first_count;
    rate_profile profile;
  };

  // Intended time of send k, searching from segment `hint` forward; nullopt if never.
  std::optional<time_point> intended_time(std::uint64_t k, std::size_t& hint) const;
  // Count of sends due by `t` (N(t)) under the last segment.
  double count_at(time_point t) const;

  clock& clock_;
  options options_;
  bool started_ = false;
  std::vector<segment> segments_;  // back() is the current profile
  std::uint64_t next_index_ = 0;
  std::size_t next_hint_ = 0;
  std::optional<std::optional<time_point>> next_cache_;  // cached intended_time(next_index_)
  std::size_t in_flight_ = 0;
  std::uint64_t offered_index_ = 0;
  std::size_t offered_hint_ = 0;
};

// Runs `seq` in real time on the calling thread until `keep_going()` returns false or the
// profile finishes: sleeps until each turn is due and calls send(turn). `send` must release
// its window slot itself (sequencer::release) when a window is set; while the window is full,
// or the schedule is paused, drive() naps 100 µs at a time. For benches and simple tools; the
// beacon drives its sequencer from its event loop instead.
template <class Send, class KeepGoing>
void drive(sequencer& seq, clock& c, Send&& send, KeepGoing&& keep_going) {
  while (keep_going()) {
    if (auto t = seq.try_next()) {
      send(*t);
      continue;
    }
    switch (seq.status()) {
      case sequencer::state::due:
        break;
      case sequencer::state::waiting:
        c.sleep_until(seq.next_intended());
        break;
      case sequencer::state::window_full:
      case sequencer::state::paused:
        c.sleep_until(c.now() + std::chrono::microseconds(100));
        break;
      case sequencer::state::finished:
        return;
    }
  }
}

}  // namespace bts::load
