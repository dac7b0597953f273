// STUB: replaced by the real `bts-infra tx` implementation.
#include <CLI/CLI.hpp>

#include "cli/command.hpp"

namespace bts::cli {

command make_tx_command() {
  return {"tx", "(not implemented yet)", [](CLI::App&) {
            return [](io& s) -> int {
              s.err << "bts-infra tx: not implemented yet\n";
              return 1;
            };
          }};
}

}  // namespace bts::cli
