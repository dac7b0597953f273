// Runs `bts-infra ARGS...` in-process (cli::run) and captures its exit code, stdout and stderr.
//
//   const auto r = bts::test::run_cli({"help", "report"});   // r.code, r.out, r.err
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "cli/command.hpp"

namespace bts::test {

struct cli_result {
  int code;
  std::string out;
  std::string err;
};

inline cli_result run_cli(std::vector<std::string> args, const std::string& stdin_text = "") {
  args.insert(args.begin(), "bts-infra");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  cli::io streams{in, out, err};
  const int code = cli::run(static_cast<int>(argv.size()), argv.data(), streams);
  return {code, out.str(), err.str()};
}

}  // namespace bts::test
