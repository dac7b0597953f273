// Pacing through the beacon's send loop on a manual clock with a fake sender: intended times,
// the window in unlimited mode, pool misses and the per-second rows they produce.
#include <gtest/gtest.h>

#include <deque>

#include "beacon/fake_tx.hpp"
#include "beacon/send_loop.hpp"
#include "support/manual_clock.hpp"

namespace bts::beacon {
namespace {

using namespace std::chrono_literals;

using test::fake_tx;

struct fake_sender : tx_sender {
  test::manual_clock& clock;
  bool answer_at_once = true;
  std::vector<load::clock::time_point> sent_at;
  std::deque<std::function<void(ack_outcome)>> pending;
  explicit fake_sender(test::manual_clock& c) : clock(c) {}
  void send(prepared_tx&, std::function<void(ack_outcome)> done) override {
    sent_at.push_back(clock.now());
    if (answer_at_once) {
      done({ack_outcome::kind::accepted, ""});
    } else {
      pending.push_back(std::move(done));
    }
  }
};

struct harness {
  test::manual_clock clock;
  load::sequencer seq;
  run_recorder rec;
  fake_sender sender{clock};
  std::uint64_t next = 0;
  bool dry = false;
  send_loop loop;

  harness(load::rate_profile profile, std::size_t window, send_limits limits)
      : seq(clock, std::move(profile), {window}),
        rec(clock.now(),
            [this](stats::second_row& row, load::clock::time_point end) {
              // Seconds are [start, end): a send due exactly at `end` belongs to the next one.
              row.offered = static_cast<std::int64_t>(seq.offered_by(end - 1ns)) - offered_so_far;
              offered_so_far += row.offered;
            }),
        loop(
            clock, seq, rec,
            [this]() -> std::optional<prepared_tx> {
              if (dry) return std::nullopt;
              return fake_tx(next++);
            },
            sender, limits) {}
  std::int64_t offered_so_far = 0;

  // Runs the loop, sleeping on the manual clock, until done or it waits for something else.
  send_loop::wait run() {
    for (;;) {
      auto r = loop.poll();
      if (r.what != send_loop::wait::until) return r.what;
      clock.sleep_until(r.at);
    }
  }
};

TEST(send_loop, paces_on_intended_times) {
  // Every manual clock starts at the same point.
  harness h(load::rate_profile::constant(1000), 100, {test::manual_clock().now() + 2s, 0});
  h.seq.start(h.clock.now());
  const auto start = h.clock.now();
  EXPECT_EQ(h.run(), send_loop::wait::done);
  ASSERT_EQ(h.sender.sent_at.size(), 2000u);
  for (std::size_t k = 0; k < h.sender.sent_at.size(); k += 97) {
    EXPECT_EQ(h.sender.sent_at[k] - start, std::chrono::microseconds(1000 * k)) << k;
  }
  h.rec.finish(start + 2s);
  ASSERT_EQ(h.rec.series().rows().size(), 2u);
  const auto& row = h.rec.series().rows()[0];
  EXPECT_EQ(row.sent, 1000);
  EXPECT_EQ(row.accepted, 1000);
  EXPECT_EQ(row.offered, 1000);
  EXPECT_EQ(row[stats::latency_kind::schedule_lag].max, 0);
}

TEST(send_loop, count_limit_and_late_sends_keep_intended_times) {
  harness h(load::rate_profile::constant(100), 100, {std::nullopt, 50});
  h.seq.start(h.clock.now());
  const auto start = h.clock.now();
  // The sender stalls 100 ms before the first send: ten sends are due at once, each recorded
  // with its own lag (no coordinated omission).
  h.clock.advance(100ms);
  EXPECT_EQ(h.run(), send_loop::wait::done);
  EXPECT_EQ(h.sender.sent_at.size(), 50u);
  EXPECT_EQ(h.sender.sent_at[0], start + 100ms);
  EXPECT_EQ(h.sender.sent_at[10], start + 100ms);
  EXPECT_EQ(h.sender.sent_at[11], start + 110ms);
  const auto& lag = h.rec.cumulative()[stats::latency_kind::schedule_lag];
  EXPECT_EQ(lag.count(), 50);
  EXPECT_NEAR(static_cast<double>(lag.max()), 100000, 100);
}

TEST(send_loop, unlimited_mode_respects_the_window) {
  harness h(load::rate_profile::unlimited(), 8, {std::nullopt, 100});
  h.sender.answer_at_once = false;
  h.seq.start(h.clock.now());
  EXPECT_EQ(h.run(), send_loop::wait::answer);
  EXPECT_EQ(h.sender.sent_at.size(), 8u);
  EXPECT_EQ(h.rec.in_flight(), 8u);
  for (int i = 0; i < 3; ++i) {
    h.sender.pending.front()({ack_outcome::kind::rejected, "fc:10"});
    h.sender.pending.pop_front();
  }
  EXPECT_EQ(h.run(), send_loop::wait::answer);
  EXPECT_EQ(h.sender.sent_at.size(), 11u);
  EXPECT_EQ(h.rec.totals().rejected, 3);
  EXPECT_EQ(h.rec.totals().rejected_by_reason.at("fc:10"), 3);
  while (!h.sender.pending.empty()) {
    auto done = std::move(h.sender.pending.front());
    h.sender.pending.pop_front();
    done({ack_outcome::kind::accepted, ""});
    h.run();
  }
  EXPECT_EQ(h.sender.sent_at.size(), 100u);
  EXPECT_EQ(h.rec.totals().accepted, 97);
  EXPECT_EQ(h.loop.poll().what, send_loop::wait::done);
}

TEST(send_loop, empty_pool_is_one_miss_per_turn_and_shows_as_lag) {
  harness h(load::rate_profile::constant(1000), 100, {std::nullopt, 3});
  h.seq.start(h.clock.now());
  const auto start = h.clock.now();
  h.dry = true;
  EXPECT_EQ(h.run(), send_loop::wait::pool);
  EXPECT_EQ(h.run(), send_loop::wait::pool);
  h.clock.advance(5ms);
  h.dry = false;
  EXPECT_EQ(h.run(), send_loop::wait::done);
  EXPECT_EQ(h.loop.pool_misses(), 1u);
  EXPECT_EQ(h.sender.sent_at[0], start + 5ms);
  EXPECT_EQ(h.rec.totals().pool_misses, 0);  // counted in the open second
  h.rec.finish(h.clock.now());
  EXPECT_EQ(h.rec.series().rows()[0].pool_misses, 1);
}

TEST(recorder, inclusion_latencies_and_accounting) {
  test::manual_clock clock;
  const auto start = clock.now();
  run_recorder rec(start);
  const auto a = fake_tx(1), b = fake_tx(2), c = fake_tx(3);
  rec.on_sent(a, start, start + 1ms);
  rec.on_sent(b, start, start + 1ms);
  rec.on_sent(c, start, start + 1ms);
  rec.on_ack(a.id, {ack_outcome::kind::accepted, ""}, start + 3ms);
  rec.on_ack(b.id, {ack_outcome::kind::unanswered, "timeout"}, start + 30ms);
  // Included before its answer arrived: still counted once.
  EXPECT_NE(rec.on_included(c.id, start + 1500ms), nullptr);
  EXPECT_EQ(rec.on_included(c.id, start + 1600ms), nullptr);
  rec.on_ack(c.id, {ack_outcome::kind::accepted, ""}, start + 1700ms);
  EXPECT_NE(rec.on_included(a.id, start + 2001ms), nullptr);
  rec.finish(start + 2500ms);
  const auto& rows = rec.series().rows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].sent, 3);
  EXPECT_EQ(rows[0].accepted, 1);
  EXPECT_EQ(rows[0].timeouts, 1);
  EXPECT_EQ(rows[1].included, 1);
  EXPECT_EQ(rows[1].accepted, 1);
  EXPECT_EQ(rows[2].included, 1);
  EXPECT_EQ(rec.awaiting_inclusion(), 0u);
  const auto& inc = rec.cumulative()[stats::latency_kind::inclusion_corrected];
  EXPECT_EQ(inc.count(), 2);
  EXPECT_NEAR(static_cast<double>(inc.max()), 2001000, 2001);
}

}  // namespace
}  // namespace bts::beacon
