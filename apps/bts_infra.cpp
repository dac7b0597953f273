// bts-infra: one program, many subcommands (see `bts-infra help`).
#include <iostream>

#include "cli/command.hpp"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  bts::cli::io streams{std::cin, std::cout, std::cerr};
  return bts::cli::run(argc, argv, streams);
}
