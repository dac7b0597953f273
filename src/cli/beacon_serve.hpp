// `beacon serve` (= `overseer agent`): a beacon that connects out to an overseer and runs what it
// commands. Defined in overseer_command.cpp; beacon_command.cpp declares it on `beacon serve`.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

#include "cli/command.hpp"

namespace bts::cli {

// Declares the options of `beacon serve` on `sub` and returns its action.
std::function<int(io&)> setup_beacon_serve(CLI::App& sub);

}  // namespace bts::cli
