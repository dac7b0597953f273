// The list of subcommands, one factory per file in src/cli/.
#pragma once

#include <vector>

#include "cli/command.hpp"

namespace bts::cli {

std::vector<command> all_commands();

}  // namespace bts::cli
