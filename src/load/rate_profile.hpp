// How many transactions per second a beacon should offer over time: constant, a linear ramp,
// a list of steps, or unlimited (as fast as the in-flight window allows).
//
// A profile is a function rate(t) of the time since it started. The schedule it implies is
// N(t) = integral of rate over [0, t], the number of sends due by t; send k (k = 0, 1, ...) is
// due at time_of(k), the moment N first exceeds k. So a constant 500 tx/s profile makes send 0
// due at the start and send k at k/500 s, and a profile that starts with a zero-rate step sends
// nothing until that step ends.
//
// Scenario files and flags give profiles as text; rate_profile_spec carries that text and
// rate_profile::parse validates it with errors that name the member ("load.over: ...").
//
// Threads: immutable values once built.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bts::load {

using duration = std::chrono::nanoseconds;

// "30s", "1.5m", "500ms", "2h", "1m30s", "250us"; a bare number is seconds. Throws
// bts::input_error(where, ...) for anything else, negatives, or more than one year.
duration parse_duration(std::string_view text, const std::string& where);
// The shortest of the forms parse_duration reads: "30s", "1.5s", "250ms", "2m", "1h30m".
std::string format_duration(duration d);

// A rate in tx/s: "500", "2.5", "500/s", "500tx/s". Throws bts::input_error for anything else,
// negatives, non-finite values, or more than 10,000,000 tx/s.
double parse_rate(std::string_view text, const std::string& where);

// A rate that must send (a constant profile, `--rate`): as parse_rate, and 0 or a negative
// number is refused with the one wording every flag and file uses for this bound:
// "expected a rate > 0 in tx/s such as 500, got \"-5\"".
double parse_sending_rate(std::string_view text, const std::string& where);

// The text form, as a scenario file's `load:` block gives it (YAML scalars are text).
//   kind: constant   rate: "500"
//   kind: ramp       from: "100"  to: "2000"  over: "60s"   (then holds `to`)
//   kind: steps      steps: [{rate: "100", duration: "30s"}, {rate: "0", duration: "10s"}, ...]
//   kind: unlimited
// Members that the kind does not use must be empty.
struct rate_profile_spec {
  struct step {
    std::string rate;
    std::string duration;
  };
  std::string kind;
  std::string rate;
  std::string from;
  std::string to;
  std::string over;
  std::vector<step> steps;
};

class rate_profile {
 public:
  enum class kind { constant, ramp, steps, unlimited };
  struct step {
    double rate;  // tx/s, >= 0
    duration length;
  };

  // REQUIRES (else std::invalid_argument): rates finite and >= 0; ramp `over` > 0; steps
  // non-empty with positive lengths. constant(0) is a pause (as change_rate(0) uses it).
  static rate_profile constant(double tx_per_s);
  static rate_profile ramp(double from, double to, duration over);
  static rate_profile steps(std::vector<step> steps);
  static rate_profile unlimited();

  // Validates a spec. Stricter than the factories: a constant rate must be > 0, a ramp must
  // send something, steps must send something. Errors name `where` + "." + member, e.g.
  // "load.steps[2].duration: expected a duration such as 30s, 1.5m or 500ms, got \"soon\"".
  static rate_profile parse(const rate_profile_spec& spec, const std::string& where);

  kind type() const { return kind_; }
  bool is_unlimited() const { return kind_ == kind::unlimited; }

  // tx/s at time t since the start (t >= 0). Unlimited: +infinity.
  double rate_at(duration t) const;
  // N(t): sends due by time t since the start. REQUIRES: not unlimited.
  double count_at(duration t) const;
  // The time since the start at which N first exceeds x (x >= 0), rounded to the nearest
  // nanosecond; nullopt when N never does (the profile ended or its rate stays 0).
  // REQUIRES: not unlimited.
  std::optional<duration> time_of(double x) const;
  // The length of a steps profile; nullopt for the others, which go on until stopped.
  std::optional<duration> length() const;

  // One line for logs and manifests: "constant 500 tx/s", "ramp 100 -> 2000 tx/s over 1m",
  // "steps 100 tx/s for 30s, 0 tx/s for 10s", "unlimited".
  std::string describe() const;

 private:
  rate_profile(kind k) : kind_(k) {}
  double time_of_seconds(double x, bool& never) const;

  kind kind_;
  double rate_ = 0;          // constant
  double from_ = 0, to_ = 0;  // ramp
  double over_s_ = 0;
  std::vector<step> steps_;
};

}  // namespace bts::load
