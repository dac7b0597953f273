#include "load/rate_profile.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "util/error.hpp"

namespace bts::load {
namespace {

constexpr double max_rate = 10'000'000;
constexpr double ns_per_s = 1e9;
constexpr double year_s = 366.0 * 24 * 3600;

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

// Parses a plain decimal number (digits, optional fraction) at the front of `text`.
std::optional<double> take_number(std::string_view& text) {
  std::size_t n = 0;
  while (n < text.size() && ((text[n] >= '0' && text[n] <= '9') || text[n] == '.')) ++n;
  if (n == 0) return std::nullopt;
  double v = 0;
  const auto r = std::from_chars(text.data(), text.data() + n, v);
  if (r.ec != std::errc() || r.ptr != text.data() + n) return std::nullopt;
  text.remove_prefix(n);
  return v;
}

std::string trim_number(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

std::string rate_text(double r) { return trim_number(r, 3) + " tx/s"; }

duration to_duration(double seconds) {
  return duration(static_cast<duration::rep>(std::llround(seconds * ns_per_s)));
}

double seconds_of(duration d) { return static_cast<double>(d.count()) / ns_per_s; }

void check_rate(double r, const char* what) {
  if (!std::isfinite(r) || r < 0) throw std::invalid_argument(std::string(what) + " must be >= 0");
}

// Members a kind does not use must be empty.
void require_unused(const rate_profile_spec& spec, const std::string& where, std::string_view kind,
                    bool rate, bool ramp, bool steps) {
  auto refuse = [&](std::string_view member) {
    throw input_error(where + "." + std::string(member),
                      "not used when kind is " + std::string(kind));
  };
  if (!rate && !spec.rate.empty()) refuse("rate");
  if (!ramp && !spec.from.empty()) refuse("from");
  if (!ramp && !spec.to.empty()) refuse("to");
  if (!ramp && !spec.over.empty()) refuse("over");
  if (!steps && !spec.steps.empty()) refuse("steps");
}

std::string require(const std::string& value, const std::string& where, std::string_view member,
                    std::string_view what) {
  if (value.empty()) {
    throw input_error(where + "." + std::string(member), "missing (" + std::string(what) + ")");
  }
  return value;
}

}  // namespace

duration parse_duration(std::string_view text, const std::string& where) {
  const auto bad = [&](const std::string& why = "") -> input_error {
    return input_error(where, "expected a duration such as 30s, 1.5m or 500ms, got " +
                                  quoted(text) + why);
  };
  std::string_view rest = text;
  double total_s = 0;
  bool any = false;
  while (!rest.empty()) {
    const auto number = take_number(rest);
    if (!number) throw bad();
    double unit_s;
    if (rest.empty() && !any) {
      unit_s = 1;  // a bare number is seconds
    } else if (rest.starts_with("ns")) {
      unit_s = 1e-9, rest.remove_prefix(2);
    } else if (rest.starts_with("us")) {
      unit_s = 1e-6, rest.remove_prefix(2);
    } else if (rest.starts_with("ms")) {
      unit_s = 1e-3, rest.remove_prefix(2);
    } else if (rest.starts_with("s")) {
      unit_s = 1, rest.remove_prefix(1);
    } else if (rest.starts_with("m")) {
      unit_s = 60, rest.remove_prefix(1);
    } else if (rest.starts_with("h")) {
      unit_s = 3600, rest.remove_prefix(1);
    } else {
      throw bad();
    }
    total_s += *number * unit_s;
    any = true;
  }
  if (!any) throw bad();
  if (total_s > year_s) throw bad(" (longer than a year)");
  return to_duration(total_s);
}

std::string format_duration(duration d) {
  using namespace std::chrono;
  const auto ns = d.count();
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  const auto a = ns < 0 ? -ns : ns;
  constexpr std::int64_t s = 1'000'000'000;
  if (a % s == 0 && a >= 60 * s) {
    const std::int64_t total = a / s;
    std::string out = sign;
    if (total / 3600) out += std::to_string(total / 3600) + "h";
    if (total % 3600 / 60) out += std::to_string(total % 3600 / 60) + "m";
    if (total % 60) out += std::to_string(total % 60) + "s";
    return out;
  }
  if (a >= s) return sign + trim_number(static_cast<double>(a) / 1e9, 3) + "s";
  if (a >= 1'000'000) return sign + trim_number(static_cast<double>(a) / 1e6, 3) + "ms";
  if (a >= 1'000) return sign + trim_number(static_cast<double>(a) / 1e3, 3) + "us";
  return sign + std::to_string(a) + "ns";
}

double parse_rate(std::string_view text, const std::string& where) {
  std::string_view rest = text;
  if (rest.starts_with('-')) rest.remove_prefix(1);
  const auto number = take_number(rest);
  if (rest == "/s" || rest == "tx/s" || rest == " tx/s") rest = {};
  if (!number || !rest.empty()) {
    throw input_error(where, "expected a rate in tx/s such as 500, got " + quoted(text));
  }
  if (text.starts_with('-')) {
    throw input_error(where, "expected a rate >= 0 in tx/s, got " + quoted(text));
  }
  if (*number > max_rate) {
    throw input_error(where, "rate " + quoted(text) + " is above the limit of 10000000 tx/s");
  }
  return *number;
}

double parse_sending_rate(std::string_view text, const std::string& where) {
  const auto zero_or_less = [&] {
    return input_error(where, "expected a rate > 0 in tx/s such as 500, got " + quoted(text));
  };
  double r = 0;
  try {
    r = parse_rate(text, where);
  } catch (const input_error&) {
    std::string_view rest = text;
    if (rest.starts_with('-')) rest.remove_prefix(1);
    if (take_number(rest)) throw zero_or_less();  // a negative number
    throw;
  }
  if (!(r > 0)) throw zero_or_less();
  return r;
}

rate_profile rate_profile::constant(double tx_per_s) {
  check_rate(tx_per_s, "rate");
  rate_profile p(kind::constant);
  p.rate_ = tx_per_s;
  return p;
}

rate_profile rate_profile::ramp(double from, double to, duration over) {
  check_rate(from, "ramp from");
  check_rate(to, "ramp to");
  if (over <= duration::zero()) throw std::invalid_argument("ramp length must be > 0");
  rate_profile p(kind::ramp);
  p.from_ = from;
  p.to_ = to;
  p.over_s_ = seconds_of(over);
  return p;
}

rate_profile rate_profile::steps(std::vector<step> steps) {
  if (steps.empty()) throw std::invalid_argument("steps must not be empty");
  for (const auto& s : steps) {
    check_rate(s.rate, "step rate");
    if (s.length <= duration::zero()) throw std::invalid_argument("step length must be > 0");
  }
  rate_profile p(kind::steps);
  p.steps_ = std::move(steps);
  return p;
}

rate_profile rate_profile::unlimited() { return rate_profile(kind::unlimited); }

rate_profile rate_profile::parse(const rate_profile_spec& spec, const std::string& where) {
  const auto rate_member = [&](const std::string& text, const std::string& member) {
    return parse_rate(text, where + "." + member);
  };
  if (spec.kind == "constant") {
    require_unused(spec, where, "constant", true, false, false);
    const double r = parse_sending_rate(require(spec.rate, where, "rate", "tx/s"), where + ".rate");
    return constant(r);
  }
  if (spec.kind == "ramp") {
    require_unused(spec, where, "ramp", false, true, false);
    const double from = rate_member(require(spec.from, where, "from", "tx/s"), "from");
    const double to = rate_member(require(spec.to, where, "to", "tx/s"), "to");
    const duration over = parse_duration(require(spec.over, where, "over", "a duration"), where + ".over");
    if (over <= duration::zero()) throw input_error(where + ".over", "must be > 0");
    if (from == 0 && to == 0) throw input_error(where, "a ramp from 0 to 0 tx/s sends nothing");
    return ramp(from, to, over);
  }
  if (spec.kind == "steps") {
    require_unused(spec, where, "steps", false, false, true);
    if (spec.steps.empty()) throw input_error(where + ".steps", "missing (a list of rate and duration)");
    std::vector<step> steps;
    bool sends = false;
    for (std::size_t i = 0; i < spec.steps.size(); ++i) {
      const std::string at = where + ".steps[" + std::to_string(i) + "]";
      const double r = parse_rate(require(spec.steps[i].rate, at, "rate", "tx/s"), at + ".rate");
      const duration d =
          parse_duration(require(spec.steps[i].duration, at, "duration", "a duration"), at + ".duration");
      if (d <= duration::zero()) throw input_error(at + ".duration", "must be > 0");
      sends = sends || r > 0;
      steps.push_back({r, d});
    }
    if (!sends) throw input_error(where + ".steps", "every step has rate 0; the profile sends nothing");
    return rate_profile::steps(std::move(steps));
  }
  if (spec.kind == "unlimited") {
    require_unused(spec, where, "unlimited", false, false, false);
    return unlimited();
  }
  throw input_error(where + ".kind", "expected one of constant, ramp, steps, unlimited, got " +
                                         quoted(spec.kind));
}

double rate_profile::rate_at(duration t) const {
  const double s = seconds_of(t);
  switch (kind_) {
    case kind::constant:
      return rate_;
    case kind::ramp:
      return s >= over_s_ ? to_ : from_ + (to_ - from_) * s / over_s_;
    case kind::steps: {
      duration start{0};
      for (const auto& st : steps_) {
        if (t < start + st.length) return st.rate;
        start += st.length;
      }
      return 0;
    }
    case kind::unlimited:
      break;
  }
  return std::numeric_limits<double>::infinity();
}

double rate_profile::count_at(duration t) const {
  const double s = std::max(0.0, seconds_of(t));
  switch (kind_) {
    case kind::constant:
      return rate_ * s;
    case kind::ramp: {
      const double r = std::min(s, over_s_);
      double n = from_ * r + (to_ - from_) * r * r / (2 * over_s_);
      if (s > over_s_) n += to_ * (s - over_s_);
      return n;
    }
    case kind::steps: {
      double n = 0, start = 0;
      for (const auto& st : steps_) {
        const double len = seconds_of(st.length);
        if (s < start + len) return n + st.rate * (s - start);
        n += st.rate * len;
        start += len;
      }
      return n;
    }
    case kind::unlimited:
      break;
  }
  throw std::logic_error("count_at on an unlimited profile");
}

double rate_profile::time_of_seconds(double x, bool& never) const {
  never = false;
  switch (kind_) {
    case kind::constant:
      if (rate_ == 0) break;
      return x / rate_;
    case kind::ramp: {
      const double end = (from_ + to_) / 2 * over_s_;
      if (x < end) {
        if (x <= 0) return 0;
        // Solve from*t + c*t^2 = x with c = (to - from) / (2 over), in the form that stays
        // accurate when c is tiny or from is 0.
        const double c = (to_ - from_) / (2 * over_s_);
        const double disc = std::max(0.0, from_ * from_ + 4 * c * x);
        return std::min(over_s_, 2 * x / (from_ + std::sqrt(disc)));
      }
      if (to_ == 0) break;
      return over_s_ + (x - end) / to_;
    }
    case kind::steps: {
      double n = 0, start = 0;
      for (const auto& st : steps_) {
        const double len = seconds_of(st.length);
        const double end = n + st.rate * len;
        if (st.rate > 0 && x < end) return start + std::max(0.0, x - n) / st.rate;
        n = end;
        start += len;
      }
      break;
    }
    case kind::unlimited:
      throw std::logic_error("time_of on an unlimited profile");
  }
  never = true;
  return 0;
}

std::optional<duration> rate_profile::time_of(double x) const {
  bool never = false;
  if (kind_ == kind::constant && rate_ > 0) {
    // Exact for rates that divide 1e9: k * 1e9 / rate rather than k * (1e9 / rate).
    return duration(static_cast<duration::rep>(std::llround(x * ns_per_s / rate_)));
  }
  const double s = time_of_seconds(x, never);
  if (never) return std::nullopt;
  return to_duration(s);
}

std::optional<duration> rate_profile::length() const {
  if (kind_ != kind::steps) return std::nullopt;
  duration total{0};
  for (const auto& s : steps_) total += s.length;
  return total;
}

std::string rate_profile::describe() const {
  switch (kind_) {
    case kind::constant:
      return "constant " + rate_text(rate_);
    case kind::ramp:
      return "ramp " + trim_number(from_, 3) + " -> " + rate_text(to_) + " over " +
             format_duration(to_duration(over_s_));
    case kind::steps: {
      std::string out = "steps ";
      for (std::size_t i = 0; i < steps_.size(); ++i) {
        if (i) out += ", ";
        out += rate_text(steps_[i].rate) + " for " + format_duration(steps_[i].length);
      }
      return out;
    }
    case kind::unlimited:
      break;
  }
  return "unlimited";
}

}  // namespace bts::load
