// STUB: replaced by the real `bts-infra key` implementation.
#include <CLI/CLI.hpp>

#include "cli/command.hpp"

namespace bts::cli {

command make_key_command() {
  return {"key", "(not implemented yet)", [](CLI::App&) {
            return [](io& s) -> int {
              s.err << "bts-infra key: not implemented yet\n";
              return 1;
            };
          }};
}

}  // namespace bts::cli
