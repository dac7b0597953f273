// Rate profiles: durations and rates as text, the schedule each profile implies (exact intended
// times), and validation errors that name the member.
#include "load/rate_profile.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "util/error.hpp"

namespace bts::load {
namespace {

using namespace std::chrono_literals;

std::string error_of(auto&& f) {
  try {
    f();
  } catch (const input_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Duration, ParsesUnitsAndCompounds) {
  EXPECT_EQ(parse_duration("30s", "d"), 30s);
  EXPECT_EQ(parse_duration("30", "d"), 30s);
  EXPECT_EQ(parse_duration("1.5m", "d"), 90s);
  EXPECT_EQ(parse_duration("500ms", "d"), 500ms);
  EXPECT_EQ(parse_duration("250us", "d"), 250us);
  EXPECT_EQ(parse_duration("2h", "d"), 2h);
  EXPECT_EQ(parse_duration("1m30s", "d"), 90s);
  EXPECT_EQ(parse_duration("1h0m5s", "d"), 3605s);
  EXPECT_EQ(parse_duration("0s", "d"), 0s);
}

TEST(Duration, RefusesOtherText) {
  EXPECT_EQ(error_of([] { parse_duration("soon", "load.over"); }),
            "load.over: expected a duration such as 30s, 1.5m or 500ms, got \"soon\"");
  for (const char* bad : {"", "-5s", "5 s", "5sec", "s", "1.2.3s", "30s ", "5d"}) {
    EXPECT_NE(error_of([&] { parse_duration(bad, "d"); }), "no error") << bad;
  }
  EXPECT_EQ(error_of([] { parse_duration("9000h", "d"); }),
            "d: expected a duration such as 30s, 1.5m or 500ms, got \"9000h\" (longer than a year)");
}

TEST(Duration, FormatsShortestForm) {
  EXPECT_EQ(format_duration(30s), "30s");
  EXPECT_EQ(format_duration(90s), "1m30s");
  EXPECT_EQ(format_duration(2h + 5min), "2h5m");
  EXPECT_EQ(format_duration(1500ms), "1.5s");
  EXPECT_EQ(format_duration(250ms), "250ms");
  EXPECT_EQ(format_duration(1250us), "1.25ms");
  EXPECT_EQ(format_duration(17ns), "17ns");
  EXPECT_EQ(format_duration(0s), "0s");
  for (duration d : {duration(30s), duration(90s), duration(1500ms), duration(250us)}) {
    EXPECT_EQ(parse_duration(format_duration(d), "d"), d);
  }
}

TEST(Rate, ParsesPlainAndSuffixedNumbers) {
  EXPECT_EQ(parse_rate("500", "r"), 500);
  EXPECT_EQ(parse_rate("2.5", "r"), 2.5);
  EXPECT_EQ(parse_rate("500/s", "r"), 500);
  EXPECT_EQ(parse_rate("500tx/s", "r"), 500);
  EXPECT_EQ(parse_rate("0", "r"), 0);
  EXPECT_EQ(error_of([] { parse_rate("fast", "load.rate"); }),
            "load.rate: expected a rate in tx/s such as 500, got \"fast\"");
  EXPECT_EQ(error_of([] { parse_rate("20000000", "r"); }),
            "r: rate \"20000000\" is above the limit of 10000000 tx/s");
  for (const char* bad : {"", "-1", "inf", "nan", "1e3", "5 /s"}) {
    EXPECT_NE(error_of([&] { parse_rate(bad, "r"); }), "no error") << bad;
  }
}

TEST(RateProfile, ConstantIsExactToTheNanosecond) {
  const auto p = rate_profile::constant(1000);
  EXPECT_EQ(p.time_of(0), 0ns);
  EXPECT_EQ(p.time_of(1), 1ms);
  EXPECT_EQ(p.time_of(3600000), 3600s);
  EXPECT_EQ(p.count_at(1s), 1000);
  EXPECT_EQ(p.rate_at(5s), 1000);
  EXPECT_EQ(p.length(), std::nullopt);

  const auto third = rate_profile::constant(3);
  EXPECT_EQ(third.time_of(1), 333333333ns);
  EXPECT_EQ(third.time_of(2), 666666667ns);
  EXPECT_EQ(third.time_of(3), 1s);
  EXPECT_EQ(third.time_of(3000000), 1000000s);

  EXPECT_EQ(rate_profile::constant(0).time_of(0), std::nullopt);  // a pause
}

TEST(RateProfile, RampIsQuadraticThenHolds) {
  // N(t) = t^2 for t <= 1 s, then 2 tx/s.
  const auto p = rate_profile::ramp(0, 2, 1s);
  EXPECT_EQ(p.time_of(0), 0ns);
  EXPECT_EQ(p.time_of(0.25), 500ms);
  EXPECT_EQ(p.time_of(1), 1s);
  EXPECT_EQ(p.time_of(2), 1500ms);
  EXPECT_EQ(p.time_of(3), 2s);
  EXPECT_DOUBLE_EQ(p.rate_at(500ms), 1);
  EXPECT_DOUBLE_EQ(p.rate_at(10s), 2);
  EXPECT_DOUBLE_EQ(p.count_at(500ms), 0.25);

  // 100 -> 300 tx/s over 2 s: N(t) = 100 t + 50 t^2, 400 sends by t = 2 s.
  const auto q = rate_profile::ramp(100, 300, 2s);
  for (int k : {1, 10, 150, 399}) {
    const double t = (-100 + std::sqrt(100.0 * 100 + 200.0 * k)) / 100;
    EXPECT_NEAR(static_cast<double>(q.time_of(k)->count()), t * 1e9, 1.0) << k;
  }
  EXPECT_EQ(q.time_of(400), 2s);
  EXPECT_EQ(q.time_of(700), 3s);

  // Ramping down to 0 ends the sends once the ramp is over.
  const auto down = rate_profile::ramp(10, 0, 2s);  // 10 sends in all
  EXPECT_EQ(down.time_of(9.99).has_value(), true);
  EXPECT_EQ(down.time_of(10), std::nullopt);
}

TEST(RateProfile, StepsIncludingPauses) {
  const auto p = rate_profile::steps({{0, 1s}, {10, 1s}, {0, 1s}, {5, 2s}});
  EXPECT_EQ(p.length(), 5s);
  EXPECT_EQ(p.time_of(0), 1s);  // nothing during the leading pause
  EXPECT_EQ(p.time_of(1), 1100ms);
  EXPECT_EQ(p.time_of(9), 1900ms);
  EXPECT_EQ(p.time_of(10), 3s);  // the pause in the middle
  EXPECT_EQ(p.time_of(19), 4800ms);
  EXPECT_EQ(p.time_of(20), std::nullopt);  // the profile has ended
  EXPECT_DOUBLE_EQ(p.count_at(2500ms), 10);
  EXPECT_DOUBLE_EQ(p.count_at(100s), 20);
  EXPECT_DOUBLE_EQ(p.rate_at(3500ms), 5);
  EXPECT_DOUBLE_EQ(p.rate_at(6s), 0);
}

TEST(RateProfile, Describe) {
  EXPECT_EQ(rate_profile::constant(500).describe(), "constant 500 tx/s");
  EXPECT_EQ(rate_profile::ramp(100, 2000, 60s).describe(), "ramp 100 -> 2000 tx/s over 1m");
  EXPECT_EQ(rate_profile::steps({{100, 30s}, {0.5, 10s}}).describe(),
            "steps 100 tx/s for 30s, 0.5 tx/s for 10s");
  EXPECT_EQ(rate_profile::unlimited().describe(), "unlimited");
}

TEST(RateProfile, FactoriesRefuseNonsense) {
  EXPECT_THROW(rate_profile::constant(-1), std::invalid_argument);
  EXPECT_THROW(rate_profile::constant(NAN), std::invalid_argument);
  EXPECT_THROW(rate_profile::ramp(1, 2, 0s), std::invalid_argument);
  EXPECT_THROW(rate_profile::steps({}), std::invalid_argument);
  EXPECT_THROW(rate_profile::steps({{5, 0s}}), std::invalid_argument);
  EXPECT_THROW(rate_profile::unlimited().time_of(1), std::logic_error);
}

// A spec of `kind` with members set as "member=value" pairs.
rate_profile_spec spec(std::string kind, std::initializer_list<std::pair<std::string, std::string>> set = {},
                       std::vector<rate_profile_spec::step> steps = {}) {
  rate_profile_spec s;
  s.kind = std::move(kind);
  for (const auto& [member, value] : set) {
    if (member == "rate") s.rate = value;
    if (member == "from") s.from = value;
    if (member == "to") s.to = value;
    if (member == "over") s.over = value;
  }
  s.steps = std::move(steps);
  return s;
}

TEST(RateProfileSpec, ParsesEveryKind) {
  EXPECT_EQ(rate_profile::parse(spec("constant", {{"rate", "500"}}), "load").describe(),
            "constant 500 tx/s");
  EXPECT_EQ(rate_profile::parse(spec("ramp", {{"from", "100"}, {"to", "2000"}, {"over", "60s"}}),
                                "load")
                .describe(),
            "ramp 100 -> 2000 tx/s over 1m");
  EXPECT_EQ(rate_profile::parse(spec("steps", {}, {{"100", "30s"}, {"0", "10s"}}), "load").describe(),
            "steps 100 tx/s for 30s, 0 tx/s for 10s");
  EXPECT_TRUE(rate_profile::parse(spec("unlimited"), "load").is_unlimited());
}

TEST(Rate, ASendingRateIsAboveZeroInOneWording) {
  EXPECT_EQ(parse_sending_rate("500/s", "--rate"), 500);
  for (const char* bad : {"0", "-5", "-0", "-2.5/s"}) {
    EXPECT_EQ(error_of([&] { parse_sending_rate(bad, "--rate"); }),
              std::string("--rate: expected a rate > 0 in tx/s such as 500, got \"") + bad + "\"");
  }
  EXPECT_EQ(error_of([] { parse_sending_rate("fast", "--rate"); }),
            "--rate: expected a rate in tx/s such as 500, got \"fast\"");
  EXPECT_EQ(error_of([] { parse_rate("-5", "load.steps[0].rate"); }),
            "load.steps[0].rate: expected a rate >= 0 in tx/s, got \"-5\"");
}

TEST(RateProfileSpec, ErrorsNameTheMember) {
  const auto err = [](const rate_profile_spec& s) {
    return error_of([&] { rate_profile::parse(s, "scenario.yaml: load"); });
  };
  EXPECT_EQ(err(spec("fast")),
            "scenario.yaml: load.kind: expected one of constant, ramp, steps, unlimited, got \"fast\"");
  EXPECT_EQ(err(spec("constant")), "scenario.yaml: load.rate: missing (tx/s)");
  EXPECT_EQ(err(spec("constant", {{"rate", "0"}})),
            "scenario.yaml: load.rate: expected a rate > 0 in tx/s such as 500, got \"0\"");
  EXPECT_EQ(err(spec("constant", {{"rate", "-5"}})),
            "scenario.yaml: load.rate: expected a rate > 0 in tx/s such as 500, got \"-5\"");
  EXPECT_EQ(err(spec("constant", {{"rate", "5"}, {"over", "10s"}})),
            "scenario.yaml: load.over: not used when kind is constant");
  EXPECT_EQ(err(spec("ramp", {{"from", "1"}, {"to", "2"}})),
            "scenario.yaml: load.over: missing (a duration)");
  EXPECT_EQ(err(spec("ramp", {{"from", "0"}, {"to", "0"}, {"over", "5s"}})),
            "scenario.yaml: load: a ramp from 0 to 0 tx/s sends nothing");
  EXPECT_EQ(err(spec("ramp", {{"from", "1"}, {"to", "2"}, {"over", "0s"}})),
            "scenario.yaml: load.over: must be > 0");
  EXPECT_EQ(err(spec("steps")), "scenario.yaml: load.steps: missing (a list of rate and duration)");
  EXPECT_EQ(err(spec("steps", {}, {{"10", "5s"}, {"20", "later"}})),
            "scenario.yaml: load.steps[1].duration: expected a duration such as 30s, 1.5m or 500ms, "
            "got \"later\"");
  EXPECT_EQ(err(spec("steps", {}, {{"10", ""}})),
            "scenario.yaml: load.steps[0].duration: missing (a duration)");
  EXPECT_EQ(err(spec("steps", {}, {{"0", "5s"}})),
            "scenario.yaml: load.steps: every step has rate 0; the profile sends nothing");
  EXPECT_EQ(err(spec("unlimited", {{"rate", "5"}})),
            "scenario.yaml: load.rate: not used when kind is unlimited");
}

}  // namespace
}  // namespace bts::load
