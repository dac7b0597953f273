// load::clock and friends are aliases of the one clock interface, util::clock
// (src/util/clock.hpp), kept because the load and beacon code speaks of load::clock,
// load::clock::time_point and load::real_clock(). New code may use either name; they are the
// same types and the same process-wide real clock.
#pragma once

#include "util/clock.hpp"

namespace bts::load {

using clock = util::clock;                // now(), sleep_until(), poll_interval()
using steady_clock = util::steady_clock;  // std::chrono::steady_clock, optionally spinning
using util::real_clock;                   // the process-wide steady_clock without spinning

}  // namespace bts::load
