// `bts-infra help` lists every command; `help CMD` describes one; an unknown one is bad input.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "support/cli_run.hpp"

namespace bts::cli {
namespace {

using result = test::cli_result;

TEST(Help, ListsEveryCommand) {
  for (const auto& args : {std::vector<std::string>{"help"}, std::vector<std::string>{}}) {
    const result r = test::run_cli(args);
    EXPECT_EQ(r.code, 0);
    for (const char* c :
         {"key", "tx", "devnet", "beacon", "overseer", "ctl", "run", "report", "uptime"}) {
      EXPECT_NE(r.out.find(std::string("\n  ") + c + " "), std::string::npos) << c << "\n" << r.out;
    }
  }
}

TEST(Help, DescribesOneCommandAndRefusesAnUnknownOne) {
  const result r = test::run_cli({"help", "report"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("Usage: bts-infra report"), std::string::npos) << r.out;
  const result bad = test::run_cli({"help", "nope"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_EQ(bad.out, "");
  EXPECT_NE(bad.err.find("unknown command 'nope'"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace bts::cli
