// Exponential reconnect backoff with jitter and a cap.
//
// The n-th delay (n = 0, 1, ...) is  min(max, initial * multiplier^n) * (1 - jitter * u),
// u uniform in [0, 1): jitter only shortens a delay, so `max` is a hard cap and `initial *
// (1 - jitter)` a floor. reset() after a successful connection starts over at n = 0.
//
// Not thread-safe: one owner (the client's strand).
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace bts::rpc {

struct backoff_options {
  std::chrono::milliseconds initial{100};
  std::chrono::milliseconds max{10'000};
  double multiplier = 2.0;  // REQUIRES: >= 1
  double jitter = 0.5;      // REQUIRES: 0 <= jitter <= 1
};

class backoff {
 public:
  backoff(backoff_options options, std::uint64_t seed);

  std::chrono::milliseconds next();
  void reset() { attempt_ = 0; }
  unsigned attempt() const { return attempt_; }

 private:
  backoff_options options_;
  std::minstd_rand rng_;
  unsigned attempt_ = 0;
};

}  // namespace bts::rpc
