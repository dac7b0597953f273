// `bts-infra help` lists every command; `help CMD` describes one; an unknown one is bad input.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "cli/command.hpp"

namespace bts::cli {
namespace {

struct result {
  int code;
  std::string out;
  std::string err;
};

result run_args(std::vector<std::string> args) {
  args.insert(args.begin(), "bts-infra");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  std::istringstream in;
  std::ostringstream out, err;
  io streams{in, out, err};
  const int code = run(static_cast<int>(argv.size()), argv.data(), streams);
  return {code, out.str(), err.str()};
}

TEST(Help, ListsEveryCommand) {
  for (const auto& args : {std::vector<std::string>{"help"}, std::vector<std::string>{}}) {
    const result r = run_args(args);
    EXPECT_EQ(r.code, 0);
    for (const char* c :
         {"key", "tx", "devnet", "beacon", "overseer", "ctl", "run", "report", "uptime"}) {
      EXPECT_NE(r.out.find(std::string("\n  ") + c + " "), std::string::npos) << c << "\n" << r.out;
    }
  }
}

TEST(Help, DescribesOneCommandAndRefusesAnUnknownOne) {
  const result r = run_args({"help", "report"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("Usage: bts-infra report"), std::string::npos) << r.out;
  const result bad = run_args({"help", "nope"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_EQ(bad.out, "");
  EXPECT_NE(bad.err.find("unknown command 'nope'"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace bts::cli
