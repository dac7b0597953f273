#include "beacon/number_text.hpp"

#include <cmath>
#include <cstdio>

#include "scenario/scenario.hpp"

namespace bts::beacon {

std::string grouped(double v) {
  const double r = std::round(v * 100) / 100;
  if (r != std::floor(r)) return scenarios::format_rate(r);
  std::string digits = std::to_string(static_cast<long long>(r));
  std::string out;
  const std::size_t lead = digits[0] == '-' ? 1 : 0;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > lead && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string seconds_text(double us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2g s", us / 1e6);
  if (us >= 1e6) std::snprintf(buf, sizeof buf, "%.1f s", us / 1e6);
  return buf;
}

std::string percent_text(double ratio) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2g%%", ratio * 100);
  return buf;
}

}  // namespace bts::beacon
