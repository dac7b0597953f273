// The open-loop sequencer on a manual clock: exact intended times for each profile, lag that
// shows a stalled sender (missed sends stay due, none dropped), live rate changes without a
// burst, and the in-flight window.
#include "load/sequencer.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "support/manual_clock.hpp"

namespace bts::load {
namespace {

using namespace std::chrono_literals;
using time_point = clock::time_point;

sequencer_options window(std::size_t n) {
  sequencer_options o;
  o.max_in_flight = n;
  return o;
}

// Runs the sequencer on the manual clock (each wait jumps to the deadline) and returns the
// intended times of the first `n` sends relative to `start`; each must be granted on time.
std::vector<duration> schedule(rate_profile p, std::size_t n) {
  test::manual_clock clock;
  sequencer seq(clock, std::move(p));
  seq.start();
  const time_point start = clock.now();
  std::vector<duration> out;
  drive(
      seq, clock,
      [&](const sequencer::turn& t) {
        EXPECT_EQ(t.lag(), 0ns);
        EXPECT_EQ(t.index, out.size());
        out.push_back(t.intended - start);
      },
      [&] { return out.size() < n; });
  return out;
}

TEST(Sequencer, ConstantRateIntendedTimes) {
  const auto times = schedule(rate_profile::constant(1000), 2001);
  for (std::size_t k = 0; k < times.size(); ++k) EXPECT_EQ(times[k], k * 1ms) << k;

  const auto thirds = schedule(rate_profile::constant(3), 7);
  const std::vector<duration> expected = {0ns,          333333333ns, 666666667ns, 1s,
                                          1333333333ns, 1666666667ns, 2s};
  EXPECT_EQ(thirds, expected);
}

TEST(Sequencer, RampIntendedTimes) {
  // N(t) = t^2 over the first second, then 2 tx/s.
  const auto times = schedule(rate_profile::ramp(0, 2, 1s), 5);
  const std::vector<duration> expected = {0ns, 1s, 1500ms, 2s, 2500ms};
  EXPECT_EQ(times, expected);
}

TEST(Sequencer, StepsIntendedTimesAndFinish) {
  test::manual_clock clock;
  sequencer seq(clock, rate_profile::steps({{0, 1s}, {10, 1s}, {0, 1s}, {5, 2s}}));
  seq.start();
  const time_point start = clock.now();
  std::vector<duration> times;
  drive(seq, clock, [&](const sequencer::turn& t) { times.push_back(t.intended - start); },
        [] { return true; });  // returns when the profile finishes
  ASSERT_EQ(times.size(), 20u);
  for (int k = 0; k < 10; ++k) EXPECT_EQ(times[k], 1s + k * 100ms) << k;
  for (int k = 10; k < 20; ++k) EXPECT_EQ(times[k], 3s + (k - 10) * 200ms) << k;
  EXPECT_EQ(seq.status(), sequencer::state::finished);
  EXPECT_EQ(seq.next_intended(), time_point::max());
}

TEST(Sequencer, NothingIsDueBeforeItsTime) {
  test::manual_clock clock;
  sequencer seq(clock, rate_profile::constant(100));
  seq.start();
  ASSERT_TRUE(seq.try_next());  // send 0, at the start
  EXPECT_FALSE(seq.try_next());
  EXPECT_EQ(seq.status(), sequencer::state::waiting);
  EXPECT_EQ(seq.next_intended() - clock.now(), 10ms);
  clock.advance(9999us);
  EXPECT_FALSE(seq.try_next());
  clock.advance(1us);
  EXPECT_EQ(seq.status(), sequencer::state::due);
  ASSERT_TRUE(seq.try_next());
}

TEST(Sequencer, StalledSenderFindsMissedSendsStillDueWithTheirLag) {
  test::manual_clock clock;
  sequencer seq(clock, rate_profile::constant(1000));
  seq.start();
  const time_point start = clock.now();
  // On time for sends 0..9.
  for (int k = 0; k < 10; ++k) {
    clock.sleep_until(seq.next_intended());
    auto t = seq.try_next();
    ASSERT_TRUE(t);
    EXPECT_EQ(t->lag(), 0ns);
    seq.release();
  }
  // The sender stalls for 50 ms (a GC pause, a blocked socket...).
  clock.set(start + 60ms);
  std::vector<sequencer::turn> burst;
  while (auto t = seq.try_next()) {
    burst.push_back(*t);
    seq.release();
  }
  // Sends 10..60 were all due by 60 ms: none dropped, each with its own intended time.
  ASSERT_EQ(burst.size(), 51u);
  for (std::size_t i = 0; i < burst.size(); ++i) {
    EXPECT_EQ(burst[i].index, 10 + i);
    EXPECT_EQ(burst[i].intended, start + (10 + static_cast<int>(i)) * 1ms);
    EXPECT_EQ(burst[i].lag(), 60ms - (10 + static_cast<int>(i)) * 1ms);
  }
  EXPECT_EQ(burst.front().lag(), 50ms);
  EXPECT_EQ(burst.back().lag(), 0ns);
  // Then the schedule simply continues.
  EXPECT_EQ(seq.next_intended(), start + 61ms);
  EXPECT_EQ(seq.offered_by(start + 60ms), 61u);
}

TEST(Sequencer, OfferedCountsWhatTheScheduleMadeDue) {
  test::manual_clock clock;
  sequencer seq(clock, rate_profile::constant(1000));
  seq.start();
  const time_point start = clock.now();
  EXPECT_EQ(seq.offered_by(start), 1u);
  EXPECT_EQ(seq.offered_by(start + 999999us), 1000u);
  EXPECT_EQ(seq.offered_by(start + 1s), 1001u);
  EXPECT_EQ(seq.granted(), 0u);  // offered does not depend on what was sent
  EXPECT_EQ(seq.offered_by(start + 2s - 1ns), 2000u);
}

TEST(Sequencer, ChangeRateMidRunWithoutBurst) {
  test::manual_clock clock;
  sequencer seq(clock, rate_profile::constant(100));
  seq.start();
  const time_point start = clock.now();
  std::vector<time_point> sent;
  auto run_until = [&](time_point end) {
    drive(
        seq, clock,
        [&](const sequencer::turn& t) {
          EXPECT_EQ(t.lag(), 0ns);
          sent.push_back(t.intended);
          seq.release();
        },
        [&] { return seq.next_intended() <= end; });
    clock.set(end);
  };
  run_until(start + 505ms);  // sends at 0, 10, ..., 500 ms: 51 sends, half a period accumulated
  ASSERT_EQ(sent.size(), 51u);
  seq.change_rate(1000);
  // The half period carries over at the new rate: 0.5 / 1000 s after the change.
  EXPECT_EQ(seq.next_intended(), start + 505ms + 500us);
  run_until(start + 1505ms);
  ASSERT_EQ(sent.size(), 51u + 1000u);
  for (std::size_t i = 52; i < sent.size(); ++i) EXPECT_EQ(sent[i] - sent[i - 1], 1ms) << i;

  // Pause, then resume: nothing is sent while paused and the resumption starts a fresh period
  // rather than catching up.
  seq.change_rate(0);
  EXPECT_EQ(seq.status(), sequencer::state::paused);
  clock.advance(2s);
  EXPECT_FALSE(seq.try_next());
  const std::size_t before = sent.size();
  const std::uint64_t offered_before = seq.offered_by(clock.now());
  seq.change_rate(10);
  const time_point resumed = clock.now();
  run_until(resumed + 1s);
  ASSERT_EQ(sent.size(), before + 10);
  EXPECT_GT(sent[before], resumed);
  EXPECT_LE(sent[before], resumed + 100ms);
  EXPECT_EQ(seq.offered_by(clock.now()), offered_before + 10);
}

TEST(Sequencer, ChangeRateWhileBehindKeepsTheBacklogDue) {
  test::manual_clock clock;
  sequencer seq(clock, rate_profile::constant(1000));
  seq.start();
  const time_point start = clock.now();
  ASSERT_TRUE(seq.try_next());
  clock.set(start + 10ms);  // sends 1..10 now due and unsent
  seq.change_rate(10);
  int due = 0;
  while (auto t = seq.try_next()) {
    EXPECT_EQ(t->intended, start + t->index * 1ms);
    ++due;
  }
  EXPECT_EQ(due, 10);
  EXPECT_EQ(seq.next_intended(), start + 10ms + 100ms);
}

TEST(Sequencer, InFlightWindowBoundsPacedSends) {
  test::manual_clock clock;
  sequencer seq(clock, rate_profile::constant(1000), window(5));
  seq.start();
  const time_point start = clock.now();
  int granted = 0;
  for (int i = 0; i < 20; ++i) {
    clock.sleep_until(start + i * 1ms);
    while (seq.try_next()) ++granted;
    EXPECT_LE(seq.in_flight(), 5u);
  }
  EXPECT_EQ(granted, 5);
  EXPECT_EQ(seq.status(), sequencer::state::window_full);
  // Two answers arrive at 19 ms: the next two sends go out, late, and say so.
  seq.release(2);
  auto a = seq.try_next();
  auto b = seq.try_next();
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(seq.try_next());
  EXPECT_EQ(a->index, 5u);
  EXPECT_EQ(a->lag(), 14ms);
  EXPECT_EQ(b->lag(), 13ms);
  EXPECT_EQ(seq.in_flight(), 5u);
}

TEST(Sequencer, UnlimitedIsPacedOnlyByTheWindow) {
  test::manual_clock clock;
  EXPECT_THROW(sequencer(clock, rate_profile::unlimited()), std::invalid_argument);
  sequencer seq(clock, rate_profile::unlimited(), window(8));
  seq.start();
  int granted = 0;
  while (auto t = seq.try_next()) {
    EXPECT_EQ(t->lag(), 0ns);
    ++granted;
  }
  EXPECT_EQ(granted, 8);
  EXPECT_EQ(seq.status(), sequencer::state::window_full);
  clock.advance(3ms);
  seq.release(3);
  EXPECT_EQ(seq.status(), sequencer::state::due);
  while (seq.try_next()) ++granted;
  EXPECT_EQ(granted, 11);
  EXPECT_EQ(seq.offered_by(clock.now()), 11u);  // in unlimited mode offered == granted
}

TEST(Sequencer, SwitchesBetweenUnlimitedAndPaced) {
  test::manual_clock clock;
  sequencer seq(clock, rate_profile::constant(100), window(4));
  seq.start();
  const time_point start = clock.now();
  ASSERT_TRUE(seq.try_next());
  seq.release();
  clock.set(start + 5ms);
  seq.change_profile(rate_profile::unlimited());
  int n = 0;
  while (seq.try_next()) ++n;
  EXPECT_EQ(n, 4);
  seq.release(4);
  clock.set(start + 7ms);
  seq.change_rate(1000);
  // The paced schedule restarts at the change.
  auto t = seq.try_next();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->index, 5u);
  EXPECT_EQ(t->intended, start + 7ms);
  EXPECT_EQ(seq.next_intended(), start + 8ms);
}

TEST(Sequencer, ChangeBeforeStartReplacesTheProfile) {
  test::manual_clock clock;
  sequencer seq(clock, rate_profile::constant(1));
  seq.change_rate(1000);
  seq.start();
  ASSERT_TRUE(seq.try_next());
  EXPECT_EQ(seq.next_intended() - clock.now(), 1ms);
  EXPECT_EQ(seq.profile().describe(), "constant 1000 tx/s");
}

}  // namespace
}  // namespace bts::load
