// A bounded queue of pre-signed transactions, filled by a pool of signer threads, so that the
// send path never signs (the 2016-17 stress test found signing to be the load generator's
// bottleneck).
//
//   presign_pool pool(factory, {.depth = 10000, .threads = 3}, clock);
//   pool.start();                         // signer threads fill the queue up to `depth`
//   if (auto tx = pool.try_pop(head)) ... // send thread: the oldest transaction still valid
//   pool.stop();                          // joins the signers (also in the destructor)
//
// Sizing: depth = rate x refill lead time (scenario.hpp, default_presign_depth); a send that
// finds the queue empty is a pool miss, reported as a beacon bottleneck. Transactions whose
// expiration is closer than `min_remaining_seconds` to the estimated head time are discarded
// unsent and counted (`expired`): they would be rejected, or expire before inclusion.
//
// Threads: start/stop from the owner; try_pop from one consumer thread; signer threads are
// internal. Counters may be read from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "beacon/factory.hpp"
#include "load/clock.hpp"

namespace bts::beacon {

struct presign_options {
  std::size_t depth = 1024;  // REQUIRES: > 0
  unsigned threads = 1;      // REQUIRES: > 0
  std::uint32_t min_remaining_seconds = 15;
  // Stop producing after this many transactions (a --count run); 0 = no limit.
  std::uint64_t limit = 0;
};

class presign_pool {
 public:
  // REQUIRES: factory and clock outlive the pool.
  presign_pool(const tx_factory& factory, presign_options options, load::clock& clock);
  ~presign_pool();
  presign_pool(const presign_pool&) = delete;
  presign_pool& operator=(const presign_pool&) = delete;

  void start();
  void stop();

  // The oldest transaction with at least min_remaining_seconds left before its expiration
  // (relative to `head_time`, seconds since the epoch); expired ones are dropped and counted.
  // nullopt when the queue is empty.
  std::optional<prepared_tx> try_pop(std::uint32_t head_time);

  // Blocks until the queue holds min(n, depth) transactions (or the limit was reached), at most
  // `timeout`. True when filled. For start-up.
  bool wait_filled(std::size_t n, std::chrono::milliseconds timeout = std::chrono::hours(24));

  std::size_t depth() const;
  std::uint64_t produced() const { return produced_.load(std::memory_order_relaxed); }
  std::uint64_t expired() const { return expired_.load(std::memory_order_relaxed); }
  std::uint64_t sign_errors() const { return sign_errors_.load(std::memory_order_relaxed); }

 private:
  void run_signer();

  const tx_factory& factory_;
  presign_options options_;
  load::clock& clock_;
  mutable std::mutex mu_;
  std::condition_variable not_full_, filled_;
  std::deque<prepared_tx> queue_;
  std::size_t signing_ = 0;  // slots reserved by signers at work (guarded by mu_)
  bool stopping_ = false;
  std::atomic<std::uint64_t> next_k_{0};
  std::atomic<std::uint64_t> produced_{0}, expired_{0}, sign_errors_{0};
  std::vector<std::thread> threads_;
};

}  // namespace bts::beacon
