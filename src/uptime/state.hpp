// The verdict of one probe, from the conditions that failed:
//   down           the probe could not connect, or a [CONNECTED] / [STATUS] condition failed;
//   wrong_network  a [CHAIN_ID] condition failed (the node answers, on another chain);
//   degraded       any other condition failed (stale head, lag, participation, slow, expiring
//                  certificate, missing API);
//   up             every condition passed.
#pragma once

#include <string_view>

namespace bts::uptime {

enum class endpoint_state { up = 0, degraded = 1, wrong_network = 2, down = 3, unknown = 4 };

constexpr std::string_view to_string(endpoint_state s) {
  switch (s) {
    case endpoint_state::up:
      return "up";
    case endpoint_state::degraded:
      return "degraded";
    case endpoint_state::wrong_network:
      return "wrong network";
    case endpoint_state::down:
      return "down";
    case endpoint_state::unknown:
      return "unknown";
  }
  return "unknown";
}

}  // namespace bts::uptime
