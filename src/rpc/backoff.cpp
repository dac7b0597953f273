#include "rpc/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace bts::rpc {

backoff::backoff(backoff_options options, std::uint64_t seed)
    : options_(options), rng_(static_cast<std::minstd_rand::result_type>(seed % 2147483646 + 1)) {}

std::chrono::milliseconds backoff::next() {
  const double initial = static_cast<double>(options_.initial.count());
  const double cap = static_cast<double>(options_.max.count());
  const double grown = initial * std::pow(std::max(1.0, options_.multiplier), attempt_);
  const double base = std::min(cap, grown);
  const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  const double jitter = std::clamp(options_.jitter, 0.0, 1.0);
  if (grown < cap) ++attempt_;  // stop growing once capped (avoids overflow of pow)
  return std::chrono::milliseconds(static_cast<std::int64_t>(base * (1.0 - jitter * u)));
}

}  // namespace bts::rpc
