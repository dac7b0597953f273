// The manual clock for tests: an alias of util::manual_clock (src/util/clock.hpp), the one
// clock that moves only when told to, usable wherever a util::clock (= load::clock) is taken:
// pacing tests (sleep_until jumps to the target), rpc timeout tests (advance, poll_interval).
#pragma once

#include "util/clock.hpp"

namespace bts::test {

using manual_clock = util::manual_clock;

}  // namespace bts::test
