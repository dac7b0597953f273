// `beacon run` reads outputs from the scenario's `outputs:` list as well as from --out; a wrong
// entry is one line naming the file, line and member before anything connects.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "support/cli_run.hpp"

namespace bts::cli {
namespace {

using result = test::cli_result;

result run_beacon(std::vector<std::string> args) {
  args.insert(args.begin(), {"beacon", "run"});
  return test::run_cli(std::move(args));
}

std::string write_scenario(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("bts-outputs-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream(path) << text;
  return path.string();
}

TEST(BeaconOutputs, ScenarioOutputsErrorsNameFileLineAndMember) {
  const std::string f = write_scenario("bad.yaml",
                                       "name: x\n"
                                       "outputs:\n"
                                       "  - elasticsearch: http://127.0.0.1:9\n"
                                       "    index: weekly\n");
  const result r = run_beacon({"--scenario", f, "--accounts", "/nonexistent"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_NE(r.err.find(f + ":4:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("index"), std::string::npos) << r.err;
  std::filesystem::remove(f);
}

TEST(BeaconOutputs, ScenarioPrometheusTwiceWithTheFlagIsRefused) {
  const std::string f = write_scenario("prom.yaml", "name: x\noutputs: [prometheus]\n");
  const result r =
      run_beacon({"--scenario", f, "--out", "prometheus", "--accounts", "/nonexistent"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("prometheus given twice"), std::string::npos) << r.err;
  std::filesystem::remove(f);
}

}  // namespace
}  // namespace bts::cli
