// The maximum-throughput rate search (scenario `load.search`, docs/scenarios.md): a decorator
// over the beacon's schedule that raises the sequencer's rate each step_duration, tallies
// every step's own transactions (by intended send time) as the send loop reports them, judges
// each step `settle` after it ended, and at the first step that crosses a threshold emits a
// break_point event, falls back to the last good rate, holds it for `hold` and ends the
// schedule. Pool misses and schedule lag mark a beacon-side limit (`beacon_bottleneck`).
//
//   rate_searcher s(*sc.search, sc.thresholds, sc.max_in_flight, settle, clock, seq, hooks);
//   s.start(clock.now(), loop);                   // the first step, at the sequencer's rate
//   at s.next_step_at():   s.on_step_due(at);     // a timer: the next rate
//   periodically:          s.judge(clock.now());  // steps whose settle time has passed
//   on inclusion:          s.on_included(record.intended, at);
//   info["search"] = s.result_json(schedule_end, ended_at);
//
// Time comes only from the injected clock and the times passed in, so a test drives a search
// step by step on a manual clock (tests/beacon/rate_search_test.cpp).
//
// Events (through hooks.emit, in order): rate_change {from, to, step} per step,
// break_point {rate, reason, step, beacon_bottleneck, sustained_rate, valid, side, figures...},
// and rate_change {from, to, hold: true} for the fall back.
//
// A step whose error rate crosses its threshold mostly on beacon-side rejections (the beacons'
// accounts ran dry, pre-signed transactions expired, bad fees...: stats::side_of) says nothing
// about the nodes: the search ends there, not valid (break_point valid: false, side "beacon",
// no sustained rate, reason and note "not valid: the beacons' ..."), and the schedule stops.
//
// Not to be confused with scenarios::rate_search, the search's settings.
//
// Ownership: the clock and the sequencer must outlive the searcher; so must the send loop
// passed to start(), which the searcher observes (send_loop::set_observer) from then on.
// Threads: not thread-safe; the send thread owns it, as it owns the loop and the sequencer.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "beacon/send_loop.hpp"
#include "load/clock.hpp"
#include "load/sequencer.hpp"
#include "scenario/scenario.hpp"
#include "stats/latency_histogram.hpp"
#include "store/run_record.hpp"

namespace bts::beacon {

class rate_searcher final : public send_observer {
 public:
  using time_point = load::clock::time_point;

  struct hooks {
    // An event for the run's event stream, happening at `at`.
    std::function<void(store::event_kind, boost::json::object, time_point at)> emit;
    // The searcher changed the sequencer's rate to `rate` (the next send time moved).
    std::function<void(double rate)> rate_changed;
    // The searcher stopped the send loop (a break with no good step to hold): drain.
    std::function<void()> schedule_ended;
  };

  // `settle` > 0 (see default_settle). REQUIRES: search.step_duration > 0.
  rate_searcher(const scenarios::rate_search& search, const scenarios::search_thresholds& limits,
                std::size_t max_in_flight, load::duration settle, load::clock& clock,
                load::sequencer& seq, hooks h);

  // The settle time: `search.settle`, or when unset three block intervals (at least 1 s).
  static load::duration default_settle(const scenarios::rate_search& search,
                                       std::uint32_t block_interval_seconds);

  // The first step begins at `now` at the sequencer's rate `rate`; observes `loop` from now on.
  // REQUIRES: called once, before any other call but skip().
  void start(time_point now, double rate, send_loop& loop);
  // The search never starts (a rate command came before the schedule): `why` is its end.
  void skip(std::string why) { ended_ = std::move(why); }

  // While searching: when the running step ends (its due time; nullopt after the max step's).
  std::optional<time_point> next_step_at() const { return searching_ ? next_due_ : std::nullopt; }
  // The running step's due end came (`due` = next_step_at()): the next step's rate from
  // max(due, now), unless the max step was running (it is then judged like the others).
  void on_step_due(time_point due);
  // Judges, oldest first, every ended step whose settle time has passed by `now`.
  void judge(time_point now);

  // A live rate command took over the schedule: the search ends, holding nothing.
  void on_rate_command(time_point now);
  // The schedule ended otherwise (duration, count, stop request): the search ends.
  void on_drain(bool interrupted);

  // One of the run's transactions, due at `intended`, was seen included at `at`.
  void on_included(time_point intended, time_point at);

  // send_observer: the loop's sends and answers, tallied to the step they were paced in.
  void on_sent(time_point intended, time_point actual) override;
  void on_answer(time_point intended, const ack_outcome& outcome) override;
  void on_window_full() override;

  bool searching() const { return searching_; }
  // The highest rate judged good so far.
  std::optional<double> sustained_rate() const { return last_good_; }

  // info["search"]: profile, settle, sustained rate, break point, how it ended, the hold (from
  // the fall back to `schedule_end`, at most `ended_at`) and every step's figures.
  boost::json::object result_json(time_point schedule_end, time_point ended_at) const;
  // "rate search: sustained 300 tx/s; broke at step 3: ..." for the run's notes.
  std::string note() const;

 private:
  static constexpr std::size_t no_step = static_cast<std::size_t>(-1);

  // One step's own transactions (by intended send time) and what became of them.
  struct step_tally {
    double rate = 0;
    time_point begin{}, end = time_point::max();
    std::uint64_t sent = 0, accepted = 0, rejected = 0, unanswered = 0, included = 0;
    std::uint64_t pool_misses_at_begin = 0, pool_misses = 0, window_full = 0;
    stats::latency_histogram inclusion, lag;  // inclusion_corrected and schedule lag, µs
    // Rejections by reason (stats/rejection.hpp) and how many of the errors (rejections and
    // unanswered) were beacon-side.
    std::map<std::string, std::int64_t> rejected_by_reason;
    std::uint64_t beacon_side_errors = 0;
    bool judged = false, good = false;
    bool invalid = false;  // broke on beacon-side rejections: no node limit was measured
    std::string reason;
  };

  std::size_t step_of(time_point intended) const;
  void judge_step(step_tally& t);
  std::string lag_reason(const step_tally& t, double lag_us, const std::string& at);
  // The step's errors were mostly the beacons' own (stats::side_of): what they say.
  static std::string beacon_side_reason(const step_tally& t);
  void step_figures(const step_tally& t, boost::json::object& o) const;
  void break_at(std::size_t i, time_point now);
  // Closes the running step at `now` and stops searching.
  void close_search(time_point now, std::string why);
  // close_search, then holds `hold_rate` for `hold`, or with none stops the schedule.
  void end_search(time_point now, std::optional<double> hold_rate, std::string why);

  const scenarios::rate_search& search_;
  const scenarios::search_thresholds& limits_;
  std::size_t max_in_flight_;
  load::duration settle_;
  load::clock& clock_;
  load::sequencer& seq_;
  hooks hooks_;
  send_loop* loop_ = nullptr;
  std::vector<step_tally> steps_;
  std::optional<time_point> next_due_;
  bool searching_ = false, beacon_side_ = false, invalid_ = false;
  std::optional<double> last_good_;
  boost::json::object break_;
  std::string ended_;
  time_point hold_from_{};
};

}  // namespace bts::beacon
