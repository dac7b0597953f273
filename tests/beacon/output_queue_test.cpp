// The beacon's output thread: jobs run in order off the poster's thread, nothing queued is lost
// at close, a full queue makes the poster wait (counted), and a failing job is reported, not
// fatal.
#include "beacon/output_queue.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <stdexcept>
#include <vector>

namespace bts::beacon {
namespace {

using namespace std::chrono_literals;

TEST(output_queue, runs_jobs_in_order_on_its_own_thread) {
  output_queue q(16);
  std::vector<int> seen;
  std::thread::id ran_on;
  for (int i = 0; i < 1000; ++i) {
    q.post([&, i] {
      seen.push_back(i);
      ran_on = std::this_thread::get_id();
    });
  }
  q.flush();
  ASSERT_EQ(seen.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i)], i);
  EXPECT_NE(ran_on, std::this_thread::get_id());
  q.close();
}

TEST(output_queue, close_runs_everything_still_queued) {
  std::atomic<int> done{0};
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  output_queue q(100000);
  q.post([gate] { gate.wait(); });  // the disk is slow
  for (int i = 0; i < 5000; ++i) q.post([&] { ++done; });
  EXPECT_EQ(done.load(), 0);
  release.set_value();
  q.close();
  EXPECT_EQ(done.load(), 5000);
  q.post([&] { ++done; });  // after close: runs at once, on the caller
  EXPECT_EQ(done.load(), 5001);
}

TEST(output_queue, a_full_queue_makes_the_poster_wait) {
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  output_queue q(2);
  std::atomic<int> done{0};
  q.post([gate] { gate.wait(); });  // taken by the thread at once or soon
  // Fill the two slots, then a third post must wait.
  std::thread poster([&] {
    for (int i = 0; i < 4; ++i) q.post([&] { ++done; });
  });
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (q.full_waits() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  EXPECT_GE(q.full_waits(), 1u);
  EXPECT_EQ(done.load(), 0);
  release.set_value();
  poster.join();
  q.close();
  EXPECT_EQ(done.load(), 4);
  EXPECT_EQ(q.peak_depth(), 2u);
}

TEST(output_queue, the_first_failure_is_rethrown_at_close_and_later_jobs_still_run) {
  output_queue q(8);
  int after = 0;
  q.post([] { throw std::runtime_error("disk full"); });
  q.post([] { throw std::runtime_error("still full"); });
  q.post([&] { ++after; });
  try {
    q.close();
    ADD_FAILURE() << "close() did not rethrow";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "disk full");
  }
  EXPECT_EQ(after, 1);
  EXPECT_EQ(q.failed_jobs(), 2u);
  q.close();  // idempotent, nothing more to report
}

}  // namespace
}  // namespace bts::beacon
