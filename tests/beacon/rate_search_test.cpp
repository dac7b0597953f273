// The rate search (beacon/rate_searcher.hpp) driven step by step on a manual clock, through a
// real sequencer and send loop with a fake sender whose node accepts up to a capacity: the rate
// rises per step, a step is judged only `settle` after it ended, the first bad step is the break
// point and the rate falls back to the last good one, is held, and the schedule ends; a max
// judged good is held; pool misses and schedule lag mark a beacon-side limit.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <deque>
#include <limits>
#include <vector>

#include "beacon/rate_searcher.hpp"
#include "beacon/fake_tx.hpp"
#include "beacon/send_loop.hpp"
#include "support/manual_clock.hpp"

namespace bts::beacon {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
using time_point = load::clock::time_point;

using test::fake_tx;

struct emitted {
  store::event_kind kind;
  json::object data;
  time_point at;
};

// A node that accepts every transaction while the rate is at most `capacity` (rejecting all of
// them above it) and includes what it accepted `inclusion_delay` after it was due.
struct harness : tx_sender {
  test::manual_clock clock;
  time_point t0 = clock.now();
  scenarios::rate_search rs;
  scenarios::search_thresholds limits;
  std::size_t window = 1000;
  double capacity = std::numeric_limits<double>::infinity();
  std::string rejection = "fc:10";  // the reason of the rejections above capacity
  load::duration inclusion_delay = 500ms;
  load::duration answer_delay{0};  // how long the node takes to answer (the window may fill)
  bool pool_dry = false;           // the signers are behind: every other take finds nothing
  std::uint64_t takes = 0, next = 0;

  std::vector<emitted> events;
  std::vector<double> rate_changes;  // as the hooks saw them
  int schedule_ended = 0;
  std::deque<std::pair<time_point, time_point>> to_include;  // (intended, at)
  struct pending_answer {
    time_point at, intended;
    std::function<void(ack_outcome)> done;
  };
  std::deque<pending_answer> to_answer;

  std::optional<load::sequencer> seq;
  std::optional<run_recorder> rec;
  std::optional<send_loop> loop;
  std::optional<rate_searcher> search;

  harness() {
    rs.start = 100;
    rs.step = 100;
    rs.step_duration = 1s;
    rs.max = 1000;
    rs.hold = 2s;
    rs.settle = 1s;
  }

  double rate() const { return seq->profile().rate_at({}); }

  void send(prepared_tx&, std::function<void(ack_outcome)> done) override {
    // The turn being sent: the loop reports it as loop->sending_intended().
    const time_point intended = loop->sending_intended();
    if (answer_delay > load::duration::zero()) {
      to_answer.push_back({clock.now() + answer_delay, intended, std::move(done)});
      return;
    }
    answer(intended, done);
  }

  void answer(time_point intended, const std::function<void(ack_outcome)>& done) {
    if (rate() > capacity) {
      done({ack_outcome::kind::rejected, rejection});
      return;
    }
    done({ack_outcome::kind::accepted, ""});
    to_include.emplace_back(intended, intended + inclusion_delay);
  }

  void start() {
    seq.emplace(clock, load::rate_profile::constant(rs.start), load::sequencer_options{window});
    seq->start(t0);
    rec.emplace(t0);
    loop.emplace(
        clock, *seq, *rec,
        [this]() -> std::optional<prepared_tx> {
          if (pool_dry && takes++ % 2 == 0) return std::nullopt;
          return fake_tx(next++);
        },
        *this, send_limits{});
    rate_searcher::hooks h;
    h.emit = [this](store::event_kind k, json::object d, time_point at) {
      events.push_back({k, std::move(d), at});
    };
    h.rate_changed = [this](double r) { rate_changes.push_back(r); };
    h.schedule_ended = [this] { ++schedule_ended; };
    search.emplace(rs, limits, window, rs.settle, clock, *seq, std::move(h));
    search->start(t0, rs.start, *loop);
  }

  // What the beacon's send thread does at the current time: the step timer, inclusions that
  // arrived, the sends that are due, the judging tick.
  void turn() {
    const time_point now = clock.now();
    if (auto due = search->next_step_at(); due && *due <= now) search->on_step_due(*due);
    while (!to_answer.empty() && to_answer.front().at <= now) {
      const pending_answer a = std::move(to_answer.front());
      to_answer.pop_front();
      answer(a.intended, a.done);
    }
    while (!to_include.empty() && to_include.front().second <= now) {
      search->on_included(to_include.front().first, to_include.front().second);
      to_include.pop_front();
    }
    if (!loop->stopped()) loop->poll();
    search->judge(now);
  }

  // Runs until `t` (relative to the start) in 1 ms turns; `stall` skips the sends (not the
  // timers) over a stretch, as a send thread that could not keep up would.
  void run_until(load::duration t, std::pair<load::duration, load::duration> stall = {}) {
    while (clock.now() < t0 + t) {
      clock.advance(1ms);
      const auto since = clock.now() - t0;
      if (since > stall.first && since < stall.second) {
        if (auto due = search->next_step_at(); due && *due <= clock.now())
          search->on_step_due(*due);
        continue;
      }
      turn();
    }
  }

  std::vector<emitted> of(store::event_kind k) const {
    std::vector<emitted> out;
    for (const auto& e : events)
      if (e.kind == k) out.push_back(e);
    return out;
  }
  json::object result() const { return search->result_json(time_point::max(), clock.now()); }
  std::string verdict(std::size_t step) const {
    return std::string(result().at("steps").as_array().at(step).at("verdict").as_string());
  }
};

TEST(rate_searcher, rate_rises_one_step_per_step_duration) {
  harness h;
  h.start();
  h.run_until(999ms);
  EXPECT_EQ(h.rate(), 100);
  EXPECT_TRUE(h.of(store::event_kind::rate_change).empty());
  h.run_until(1s);
  EXPECT_EQ(h.rate(), 200);
  h.run_until(3500ms);
  EXPECT_EQ(h.rate(), 400);
  const auto changes = h.of(store::event_kind::rate_change);
  ASSERT_EQ(changes.size(), 3u);
  for (std::size_t i = 0; i < changes.size(); ++i) {
    EXPECT_EQ(changes[i].data.at("from").to_number<double>(), 100.0 * (i + 1));
    EXPECT_EQ(changes[i].data.at("to").to_number<double>(), 100.0 * (i + 2));
    EXPECT_EQ(changes[i].data.at("step").to_number<std::int64_t>(),
              static_cast<std::int64_t>(i + 2));
    EXPECT_EQ(changes[i].at, h.t0 + std::chrono::seconds(i + 1)) << "on the step boundary";
  }
  EXPECT_EQ(h.rate_changes, (std::vector<double>{200, 300, 400}));
  // Each step's own transactions, by intended time: 100 tx/s for 1 s, then 200, then 300.
  const auto steps = h.result().at("steps").as_array();
  ASSERT_EQ(steps.size(), 4u);
  EXPECT_NEAR(steps[0].at("sent").to_number<double>(), 100, 1);
  EXPECT_NEAR(steps[1].at("sent").to_number<double>(), 200, 1);
  EXPECT_NEAR(steps[2].at("sent").to_number<double>(), 300, 1);
  EXPECT_EQ(steps[0].at("accepted"), steps[0].at("sent"));
  EXPECT_EQ(steps[0].at("included"), steps[0].at("sent"));
}

TEST(rate_searcher, a_step_is_judged_only_settle_after_it_ended) {
  harness h;
  h.rs.settle = 1500ms;
  h.start();
  h.run_until(2499ms);  // step 1 ended at 1 s
  EXPECT_EQ(h.verdict(0), "not judged");
  h.run_until(2500ms);
  EXPECT_EQ(h.verdict(0), "good");
  EXPECT_EQ(h.verdict(1), "not judged");
  EXPECT_EQ(h.search->sustained_rate(), 100);
  h.run_until(3500ms);
  EXPECT_EQ(h.verdict(1), "good");
  EXPECT_EQ(h.search->sustained_rate(), 200);
  EXPECT_EQ(h.result().at("settle_seconds").to_number<double>(), 1.5);
}

TEST(rate_searcher, first_bad_step_is_the_break_point_then_fall_back_hold_and_end) {
  harness h;
  h.capacity = 350;  // 400 tx/s and above are rejected
  h.start();
  h.run_until(4999ms);
  EXPECT_TRUE(h.of(store::event_kind::break_point).empty()) << "step 4 ended at 4 s: judged at 5";
  h.run_until(5s);
  const auto breaks = h.of(store::event_kind::break_point);
  ASSERT_EQ(breaks.size(), 1u);
  const auto& bp = breaks[0].data;
  EXPECT_EQ(breaks[0].at, h.t0 + 5s);
  EXPECT_EQ(bp.at("rate").to_number<double>(), 400);
  EXPECT_EQ(bp.at("step").to_number<std::int64_t>(), 4);
  EXPECT_EQ(bp.at("sustained_rate").to_number<double>(), 300);
  EXPECT_FALSE(bp.at("beacon_bottleneck").as_bool());
  const std::string reason(bp.at("reason").as_string());
  EXPECT_EQ(reason.rfind("error rate ", 0), 0u) << reason;
  EXPECT_NE(reason.find(" above 1% at 400 tx/s ("), std::string::npos) << reason;
  EXPECT_NE(reason.find(" rejected, 0 unanswered of "), std::string::npos) << reason;
  EXPECT_EQ(bp.at("rejected").to_number<std::int64_t>(), 400);

  // The fall back: from the running step's rate (the 5 s step began just before) to 300.
  const auto changes = h.of(store::event_kind::rate_change);
  ASSERT_EQ(changes.size(), 6u);
  EXPECT_EQ(changes.back().data.at("from").to_number<double>(), 600);
  EXPECT_EQ(changes.back().data.at("to").to_number<double>(), 300);
  EXPECT_TRUE(changes.back().data.at("hold").as_bool());
  EXPECT_EQ(h.rate(), 300);
  EXPECT_FALSE(h.search->searching());
  EXPECT_FALSE(h.search->next_step_at());
  ASSERT_TRUE(h.loop->end());
  EXPECT_EQ(*h.loop->end(), h.t0 + 7s) << "held for `hold`";
  EXPECT_EQ(h.schedule_ended, 0);

  // The hold: no more steps, no more judging; then the schedule ends.
  h.run_until(6999ms);
  EXPECT_EQ(h.rate(), 300);
  EXPECT_EQ(h.of(store::event_kind::rate_change).size(), 6u);
  h.run_until(7001ms);
  EXPECT_TRUE(h.loop->stopped());
  const json::object r = h.search->result_json(*h.loop->end(), h.clock.now());
  EXPECT_EQ(r.at("sustained_rate").to_number<double>(), 300);
  EXPECT_EQ(r.at("ended").as_string(), "break point at step 4");
  EXPECT_EQ(r.at("hold_seconds").to_number<double>(), 2.0);
  EXPECT_EQ(r.at("break_point").at("step").to_number<std::int64_t>(), 4);
  const auto& steps = r.at("steps").as_array();
  ASSERT_EQ(steps.size(), 6u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(steps[i].at("verdict").as_string(), "good");
  EXPECT_EQ(steps[3].at("verdict").as_string(), "broke");
  EXPECT_EQ(steps[4].at("verdict").as_string(), "not judged");
  EXPECT_EQ(steps[5].at("verdict").as_string(), "not judged");
  EXPECT_NEAR(steps[5].at("sent").to_number<double>(), 0, 1) << "the hold's sends are no step's";
  EXPECT_EQ(h.search->note().rfind("rate search: sustained 300 tx/s; broke at step 4: error", 0),
            0u)
      << h.search->note();
  EXPECT_TRUE(bp.at("valid").as_bool());
  EXPECT_EQ(bp.at("side").as_string(), "network");
  EXPECT_TRUE(r.at("valid").as_bool());
}

// Rejections of a network-side kind (the node refused under load) are a node limit like any.
TEST(rate_searcher, network_side_rejections_are_a_node_limit) {
  harness h;
  h.capacity = 350;
  h.rejection = "fc:10 pending_queue_full";
  h.start();
  h.run_until(5s);
  const auto breaks = h.of(store::event_kind::break_point);
  ASSERT_EQ(breaks.size(), 1u);
  const auto& bp = breaks[0].data;
  EXPECT_TRUE(bp.at("valid").as_bool());
  EXPECT_EQ(bp.at("sustained_rate").to_number<double>(), 300);
  EXPECT_EQ(h.rate(), 300) << "fell back to the last good rate and holds it";
  EXPECT_EQ(h.schedule_ended, 0);
  EXPECT_EQ(h.search->note().rfind("rate search: sustained 300 tx/s; broke at step 4: error", 0),
            0u)
      << h.search->note();
  const json::object r = h.result();
  EXPECT_EQ(r.at("steps").as_array()[3].at("rejected_by_side").at("network").as_int64(), 400);
}

// The beacons' accounts ran dry at step 4: every rejection is fc:10 insufficient_balance. That
// is no node limit: the search ends not valid, reports no sustained rate, and stops.
TEST(rate_searcher, beacon_side_rejections_end_the_search_not_valid) {
  harness h;
  h.capacity = 350;
  h.rejection = "fc:10 insufficient_balance";
  h.start();
  h.run_until(5s);
  const auto breaks = h.of(store::event_kind::break_point);
  ASSERT_EQ(breaks.size(), 1u);
  const auto& bp = breaks[0].data;
  EXPECT_FALSE(bp.at("valid").as_bool());
  EXPECT_EQ(bp.at("side").as_string(), "beacon");
  EXPECT_TRUE(bp.at("sustained_rate").is_null());
  const std::string expected =
      "not valid: the beacons' accounts ran out of funds (fc:10 insufficient_balance: 400 of 400 "
      "rejections) at step 4, 400 tx/s; no node limit was found";
  EXPECT_EQ(bp.at("reason").as_string(), expected);
  EXPECT_EQ(bp.at("invalid_reason").as_string(), expected);
  EXPECT_EQ(h.search->note(), "rate search: " + expected);
  EXPECT_FALSE(h.search->searching());
  EXPECT_EQ(h.schedule_ended, 1) << "no hold: the schedule stops";
  EXPECT_TRUE(h.loop->stopped());
  const json::object r = h.result();
  EXPECT_FALSE(r.at("valid").as_bool());
  EXPECT_EQ(r.at("side").as_string(), "beacon");
  EXPECT_EQ(r.at("invalid_reason").as_string(), expected);
  EXPECT_TRUE(r.at("sustained_rate").is_null());
  EXPECT_EQ(r.at("ended").as_string(), "not valid at step 4");
  const auto& steps = r.at("steps").as_array();
  EXPECT_EQ(steps[2].at("verdict").as_string(), "good");
  EXPECT_EQ(steps[3].at("verdict").as_string(), "not valid");
  EXPECT_EQ(steps[3].at("rejected_by_reason").at("fc:10 insufficient_balance").as_int64(), 400);
  EXPECT_EQ(steps[3].at("rejected_by_side").at("beacon").as_int64(), 400);
}

// Mostly network-side errors with some beacon-side ones: still a node limit.
TEST(rate_searcher, a_minority_of_beacon_side_rejections_is_still_a_node_limit) {
  harness h;
  h.capacity = 350;
  h.start();
  h.rejection = "fc:10 now <= trx.expiration";
  h.run_until(3400ms);  // step 4 (400 tx/s) began at 3 s: its first 40% is beacon-side...
  h.rejection = "timeout";
  h.run_until(5s);  // ...the rest network-side (a rejection keyed "timeout")
  const auto breaks = h.of(store::event_kind::break_point);
  ASSERT_EQ(breaks.size(), 1u);
  const auto& bp = breaks[0].data;
  const auto steps = h.result().at("steps").as_array();
  EXPECT_NEAR(steps[3].at("rejected_by_side").at("beacon").to_number<double>(), 160, 2);
  EXPECT_NEAR(steps[3].at("rejected_by_side").at("network").to_number<double>(), 240, 2);
  EXPECT_TRUE(bp.at("valid").as_bool()) << "160 of 400 is not a majority";
}

TEST(rate_searcher, a_first_step_that_breaks_ends_the_schedule) {
  harness h;
  h.capacity = 50;
  h.start();
  h.run_until(2s);
  ASSERT_EQ(h.of(store::event_kind::break_point).size(), 1u);
  EXPECT_TRUE(h.of(store::event_kind::break_point)[0].data.at("sustained_rate").is_null());
  EXPECT_EQ(h.schedule_ended, 1);
  EXPECT_TRUE(h.loop->stopped());
  EXPECT_EQ(h.of(store::event_kind::rate_change).size(), 2u)
      << "the steps to 200 and 300 (the 2 s boundary came first); no fall back";
  EXPECT_EQ(h.search->note().rfind("rate search: no step was sustained; broke at step 1", 0), 0u)
      << h.search->note();
}

TEST(rate_searcher, max_judged_good_is_held) {
  harness h;
  h.rs.max = 300;
  h.start();
  h.run_until(3s);  // steps 100, 200, 300; the max step ends at 3 s
  EXPECT_EQ(h.rate(), 300);
  EXPECT_FALSE(h.search->next_step_at()) << "no step after max";
  EXPECT_TRUE(h.search->searching());
  h.run_until(4s);
  EXPECT_FALSE(h.search->searching());
  EXPECT_TRUE(h.of(store::event_kind::break_point).empty());
  EXPECT_EQ(h.of(store::event_kind::rate_change).size(), 2u) << "already at the rate it holds";
  EXPECT_EQ(h.search->sustained_rate(), 300);
  ASSERT_TRUE(h.loop->end());
  EXPECT_EQ(*h.loop->end(), h.t0 + 6s);
  h.run_until(6001ms);
  EXPECT_TRUE(h.loop->stopped());
  const json::object r = h.search->result_json(*h.loop->end(), h.clock.now());
  EXPECT_EQ(r.at("ended").as_string(), "reached max without crossing a threshold");
  EXPECT_EQ(r.at("hold_seconds").to_number<double>(), 2.0);
  EXPECT_TRUE(r.at("break_point").is_null());
}

TEST(rate_searcher, pool_misses_mark_a_beacon_bottleneck) {
  harness h;
  h.start();
  h.run_until(1s);
  h.pool_dry = true;  // during step 2
  h.run_until(2s);
  h.pool_dry = false;
  h.run_until(3s);
  const auto breaks = h.of(store::event_kind::break_point);
  ASSERT_EQ(breaks.size(), 1u);
  const auto& bp = breaks[0].data;
  EXPECT_EQ(bp.at("step").to_number<std::int64_t>(), 2);
  EXPECT_TRUE(bp.at("beacon_bottleneck").as_bool());
  EXPECT_GT(bp.at("pool_misses").to_number<std::int64_t>(), 0);
  const std::string reason(bp.at("reason").as_string());
  EXPECT_EQ(reason.rfind("beacon bottleneck: ", 0), 0u) << reason;
  EXPECT_NE(reason.find("sends found no pre-signed transaction at 200 tx/s"), std::string::npos)
      << reason;
  EXPECT_EQ(h.rate(), 100) << "fell back to step 1";
}

TEST(rate_searcher, schedule_lag_marks_the_send_thread_or_a_full_window) {
  {
    harness h;
    h.limits.max_p99_schedule_lag = 100ms;
    h.start();
    h.run_until(2s, {1200ms, 1600ms});  // the send thread stalls 400 ms in step 2
    h.run_until(3s);
    const auto breaks = h.of(store::event_kind::break_point);
    ASSERT_EQ(breaks.size(), 1u);
    const auto& bp = breaks[0].data;
    EXPECT_EQ(bp.at("step").to_number<std::int64_t>(), 2);
    EXPECT_TRUE(bp.at("beacon_bottleneck").as_bool());
    const std::string reason(bp.at("reason").as_string());
    EXPECT_EQ(reason.rfind("schedule lag p99 0.", 0), 0u) << reason;
    EXPECT_NE(reason.find("(beacon bottleneck: the send thread could not keep up)"),
              std::string::npos)
        << reason;
  }
  {
    harness h;  // a node answering after 1 s: the window of 50 fills, sends go out late
    h.window = 50;
    h.limits.max_p99_schedule_lag = 100ms;
    h.answer_delay = 1s;
    h.start();
    h.run_until(2s);
    const auto breaks = h.of(store::event_kind::break_point);
    ASSERT_EQ(breaks.size(), 1u);
    const auto& bp = breaks[0].data;
    EXPECT_EQ(bp.at("step").to_number<std::int64_t>(), 1);
    EXPECT_FALSE(bp.at("beacon_bottleneck").as_bool());
    const std::string reason(bp.at("reason").as_string());
    EXPECT_NE(reason.find("(the in-flight window of 50 stayed full: the node answered too slowly)"),
              std::string::npos)
        << reason;
  }
}

TEST(rate_searcher, a_rate_command_or_the_run_ending_ends_the_search) {
  {
    harness h;
    h.start();
    h.run_until(1500ms);
    h.search->on_rate_command(h.clock.now());
    EXPECT_FALSE(h.search->searching());
    EXPECT_FALSE(h.search->next_step_at());
    h.run_until(4s);
    EXPECT_EQ(h.of(store::event_kind::rate_change).size(), 1u) << "no step, no fall back";
    EXPECT_FALSE(h.loop->end()) << "nothing held";
    EXPECT_EQ(h.result().at("ended").as_string(), "ended by a rate change command");
    EXPECT_EQ(h.verdict(1), "not judged");
  }
  {
    harness h;
    h.start();
    h.run_until(2500ms);
    h.search->on_drain(true);
    EXPECT_EQ(h.result().at("ended").as_string(), "stopped during step 3");
    EXPECT_EQ(h.search->note(), "rate search: sustained 100 tx/s (stopped during step 3)");
  }
}

TEST(rate_searcher, default_settle_is_three_block_intervals_at_least_a_second) {
  scenarios::rate_search rs;
  EXPECT_EQ(rate_searcher::default_settle(rs, 3), 9s);
  EXPECT_EQ(rate_searcher::default_settle(rs, 0), 3s);
  rs.settle = 250ms;
  EXPECT_EQ(rate_searcher::default_settle(rs, 3), 250ms);
}

}  // namespace
}  // namespace bts::beacon
