// configure's ignore_fee_budget: written only when set, read back, checked, and applied to the
// assigned scenario (the beacon then runs even when its accounts cannot pay its fees).
#include <gtest/gtest.h>

#include "control/agent.hpp"
#include "control/protocol.hpp"
#include "util/error.hpp"

namespace bts::control {
namespace {

namespace json = boost::json;

configure_cmd sample() {
  configure_cmd c;
  c.run = "r1";
  c.scenario_name = "s";
  c.scenario_text = "mix: {transfer: 1}\n";
  c.nodes = {"ws://127.0.0.1:1"};
  c.seed = 3;
  return c;
}

TEST(ConfigureIgnoreFeeBudget, RoundTripsOnlyWhenSet) {
  configure_cmd c = sample();
  EXPECT_FALSE(to_json(command{1, c}).contains("ignore_fee_budget"));
  EXPECT_FALSE(
      std::get<configure_cmd>(parse_command(to_json(command{1, c})).body).ignore_fee_budget);
  EXPECT_FALSE(assigned_scenario(c).ignore_fee_budget);
  c.ignore_fee_budget = true;
  const json::object j = to_json(command{1, c});
  EXPECT_EQ(j.at("ignore_fee_budget").as_bool(), true);
  const auto back = std::get<configure_cmd>(parse_command(j).body);
  EXPECT_TRUE(back.ignore_fee_budget);
  EXPECT_TRUE(assigned_scenario(back).ignore_fee_budget);
}

TEST(ConfigureIgnoreFeeBudget, ANonBooleanIsNamed) {
  json::object j = to_json(command{1, sample()});
  j["ignore_fee_budget"] = "yes";
  try {
    parse_command(j);
    FAIL() << "accepted \"yes\"";
  } catch (const input_error& e) {
    EXPECT_EQ(std::string(e.what()), "command.ignore_fee_budget: expected true or false");
  }
}

}  // namespace
}  // namespace bts::control
