// The beacon's hot path: take the next due turn from the sequencer, take the oldest pre-signed
// transaction, hand it to the sender, record it. Nothing here signs, serializes a protocol
// struct or touches a socket; the sender (the rpc broadcaster, or a fake in tests) does the wire.
//
//   send_loop loop(clock, seq, rec, source, sender, {.end = start + 30s});
//   for (;;) {
//     auto r = loop.poll();                       // sends everything due now
//     if (r.what == send_loop::wait::until) sleep/timer until r.at;
//     if (r.what == send_loop::wait::answer) wait for the sender to complete a send
//                                            (set_wake: the loop says when one did);
//     if (r.what == send_loop::wait::pool) retry shortly (the signers are behind);
//     if (r.what == send_loop::wait::done) break;
//   }
//
// Pacing is open loop (load/sequencer.hpp): a send whose turn came while the pool was empty or
// the window full goes out late with its original intended time, so the lag is measured. A turn
// that finds the pool empty counts one pool miss (a beacon bottleneck) however long it waits.
//
// An observer (set_observer; the rate search, rate_searcher.hpp) sees every send with its
// intended time, every answer, and every poll that found the window full; without one the loop
// does no more than a null check per send for it.
//
// Threads: one thread (the event loop) owns the loop, the sequencer and the recorder. The
// sender's completion must run on that thread too, as do the observer's and wake's calls.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "beacon/factory.hpp"
#include "beacon/recorder.hpp"
#include "load/clock.hpp"
#include "load/sequencer.hpp"

namespace bts::beacon {

// The wire side. send() must call `done` exactly once, on the loop's thread, possibly before
// returning. It may move tx.json out (the recorder has already taken what it keeps).
class tx_sender {
 public:
  virtual ~tx_sender() = default;
  virtual void send(prepared_tx& tx, std::function<void(ack_outcome)> done) = 0;
};

// Sees the loop's sends (set_observer). Called on the loop's thread, during poll() or a send's
// completion; must not call back into the loop's poll().
class send_observer {
 public:
  virtual ~send_observer() = default;
  // A turn due at `intended` went to the sender at `actual`.
  virtual void on_sent(load::clock::time_point intended, load::clock::time_point actual) = 0;
  // The answer to the send whose turn was due at `intended`.
  virtual void on_answer(load::clock::time_point intended, const ack_outcome& outcome) = 0;
  // poll() returned wait::answer: a send was due and the in-flight window was full.
  virtual void on_window_full() = 0;
};

// Pops the oldest valid pre-signed transaction, nullopt when none is ready.
using tx_source = std::function<std::optional<prepared_tx>()>;

struct send_limits {
  // No turn whose intended time is at or after `end` is granted; nullopt: no time limit.
  std::optional<load::clock::time_point> end;
  // At most this many sends; 0: no limit.
  std::uint64_t count = 0;
};

class send_loop {
 public:
  using time_point = load::clock::time_point;
  enum class wait { until, answer, pool, done };
  struct poll_result {
    wait what;
    time_point at{};  // for wait::until
  };

  // REQUIRES: seq started; every reference outlives the loop.
  send_loop(load::clock& clock, load::sequencer& seq, run_recorder& rec, tx_source source,
            tx_sender& sender, send_limits limits);

  // Sends every turn due at clock.now() and says what to wait for next.
  poll_result poll();

  // No further turns (Ctrl-C, a stop command). Sends already made still get their answers.
  void stop() { stopped_ = true; }
  // Moves the schedule's end (a rate search ending its hold); nullopt: no time limit.
  void set_end(std::optional<time_point> end) { limits_.end = end; }
  std::optional<time_point> end() const { return limits_.end; }
  bool stopped() const { return stopped_; }

  std::uint64_t sent() const { return sent_; }
  // During tx_sender::send: the intended time of the transaction being sent.
  time_point sending_intended() const { return sending_intended_; }
  std::uint64_t pool_misses() const { return pool_misses_; }

  // nullptr (the default): none. REQUIRES: `o` outlives the loop or is replaced first.
  void set_observer(send_observer* o) { observer_ = o; }
  // After poll() returned wait::answer, the next answer calls `wake` (once, after the answer
  // was recorded and its window slot freed), so the caller knows when to poll again.
  void set_wake(std::function<void()> wake) { wake_ = std::move(wake); }

 private:
  bool schedule_done();

  load::clock& clock_;
  load::sequencer& seq_;
  run_recorder& rec_;
  tx_source source_;
  tx_sender& sender_;
  send_limits limits_;
  std::optional<load::sequencer::turn> held_;  // granted, waiting for a pre-signed transaction
  bool held_missed_ = false;
  bool stopped_ = false;
  std::uint64_t sent_ = 0;
  std::uint64_t pool_misses_ = 0;
  time_point sending_intended_{};
  send_observer* observer_ = nullptr;
  std::function<void()> wake_;
  bool wake_on_answer_ = false;
};

}  // namespace bts::beacon
