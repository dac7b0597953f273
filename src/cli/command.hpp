// The `bts-infra` command line: git/k6-style subcommands on one program.
//
// Each subcommand lives in its own file and registers itself with `register_commands`; a command
// parses flags with CLI11, wires modules together and returns an exit code. Bad input anywhere
// below a command is reported by throwing bts::input_error; `run` turns it into one line on
// stderr ("bts-infra <command>: <where>: <problem>") and exit code 2. Nothing is written to stdout
// before a command has its whole result, so a failing command never leaves partial output.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>

namespace CLI {
class App;
}

namespace bts::cli {

// Streams a command writes to; tests pass string streams.
struct io {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
};

// A subcommand: `setup` declares its flags on `app` and returns the action that runs after
// parsing succeeded. The action returns the process exit code.
struct command {
  std::string name;
  std::string summary;
  std::function<std::function<int(io&)>(CLI::App& app)> setup;
};

// Runs the program as `argv` asks. Returns the exit code (0 ok, 2 bad input, 1 failure).
int run(int argc, const char* const* argv, io& streams);

}  // namespace bts::cli
