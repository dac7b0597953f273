// The real beacon as the control agent's load (control::load_runner): `bts-infra beacon serve`.
//
//   control::agent a(ex, {.overseer = url, .name = "b1", .token = t,
//                         .make_runner = beacon::beacon_runner(accounts)});
//
// Each configure command becomes a beacon::beacon with these accounts running the scenario the
// command describes (control::assigned_scenario: the assigned nodes, rate, duration and seed).
// Live rate changes go to beacon::set_rate: a constant rate from the beacon's next schedule slot,
// no catch-up burst; it ends a rate search. The beacon's events (rate changes, break point) are
// forwarded to the overseer.
//
// Threads: the runner's beacon runs on a thread of its own; callbacks come from it.
#pragma once

#include <vector>

#include "beacon/chain_context.hpp"
#include "control/agent.hpp"

namespace bts::beacon {

control::runner_factory beacon_runner(std::vector<account_entry> accounts);

}  // namespace bts::beacon
