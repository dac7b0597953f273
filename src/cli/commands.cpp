#include "cli/commands.hpp"

namespace bts::cli {

// Factories, one per src/cli/<name>_command.cpp.
command make_key_command();
command make_tx_command();
command make_devnet_command();
command make_beacon_command();

std::vector<command> all_commands() {
  return {make_key_command(), make_tx_command(), make_devnet_command(), make_beacon_command()};
}

}  // namespace bts::cli
