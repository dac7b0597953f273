// Polls a condition in tests that wait for something asynchronous, bounded in time.
//
//   ASSERT_TRUE(bts::test::eventually([&] { return connected("alpha"); }));
#pragma once

#include <chrono>
#include <thread>

namespace bts::test {

// Calls `pred` every 20 ms until it returns true or `limit` passed; returns its last answer.
template <class P>
bool eventually(P pred, std::chrono::milliseconds limit = std::chrono::seconds(15)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

}  // namespace bts::test
