#include <gtest/gtest.h>

#include "support/manual_clock.hpp"
#include "util/clock.hpp"

#include <thread>
#include <type_traits>

namespace bts::util {
namespace {

using namespace std::chrono_literals;

static_assert(std::is_same_v<test::manual_clock, manual_clock>,
              "tests/support's manual clock is the util one");

TEST(ManualClock, MovesOnlyWhenTold) {
  manual_clock c;
  const auto start = c.now();
  std::this_thread::sleep_for(2ms);
  EXPECT_EQ(c.now(), start);
  c.advance(1500ns);
  EXPECT_EQ(c.now() - start, 1500ns);
  c.set(start + 1h);
  EXPECT_EQ(c.now(), start + 1h);
}

TEST(ManualClock, StartsLateEnoughForEarlierTimesToExist) {
  manual_clock c;
  EXPECT_GT(c.now().time_since_epoch(), 30min);
}

TEST(ManualClock, SleepUntilJumpsForwardNeverBack) {
  manual_clock c;
  const auto start = c.now();
  c.sleep_until(start + 7ms);
  EXPECT_EQ(c.now(), start + 7ms);
  c.sleep_until(start + 1ms);  // already past: returns at once, the clock stays
  EXPECT_EQ(c.now(), start + 7ms);
  EXPECT_EQ(c.sleeps(), 2);
}

TEST(ManualClock, PollIntervalIsWhatItWasGiven) {
  EXPECT_EQ(manual_clock().poll_interval(), 1ms);
  EXPECT_EQ(manual_clock(250us).poll_interval(), 250us);
}

TEST(SteadyClock, FollowsRealTimeAndSleepsUntilTheDeadline) {
  clock& c = real_clock();
  EXPECT_EQ(&c, &real_clock());
  EXPECT_EQ(c.poll_interval(), clock::duration::max());
  const auto t = c.now() + 3ms;
  c.sleep_until(t);
  EXPECT_GE(c.now(), t);
  const auto before = std::chrono::steady_clock::now();
  c.sleep_until(t - 1s);  // in the past: at once
  EXPECT_LT(std::chrono::steady_clock::now() - before, 500ms);
}

TEST(SteadyClock, SpinningReachesTheDeadlineToo) {
  steady_clock c(200us);
  const auto t = c.now() + 2ms;
  c.sleep_until(t);
  EXPECT_GE(c.now(), t);
}

}  // namespace
}  // namespace bts::util
