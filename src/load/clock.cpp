#include "load/clock.hpp"

#include <thread>

namespace bts::load {

clock::time_point steady_clock::now() const {
  return std::chrono::time_point_cast<duration>(std::chrono::steady_clock::now());
}

void steady_clock::sleep_until(time_point t) {
  const time_point wake = t - spin_;
  if (now() < wake) std::this_thread::sleep_until(wake);
  while (now() < t) {
    // Busy-wait the last stretch (or re-sleep after an early wake-up when not spinning).
    if (spin_ == duration::zero()) std::this_thread::sleep_until(t);
  }
}

clock& real_clock() {
  static steady_clock c;
  return c;
}

}  // namespace bts::load
