#include "report/detail/format.hpp"

#include <cmath>
#include <cstdio>
#include <iterator>

#include "stats/json_io.hpp"

namespace bts::report::detail {

std::string thousands(std::int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

std::string number(double v, int decimals) {
  if (!std::isfinite(v)) return "\u2014";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, stats::json::rounded(v, decimals));
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  // Thousands separators for the integer part.
  const auto dot = s.find('.');
  std::string int_part = s.substr(0, dot);
  const std::string frac = dot == std::string::npos ? "" : s.substr(dot);
  const bool neg = !int_part.empty() && int_part[0] == '-';
  if (neg) int_part.erase(0, 1);
  std::string grouped;
  for (std::size_t i = 0; i < int_part.size(); ++i) {
    if (i > 0 && (int_part.size() - i) % 3 == 0) grouped += ',';
    grouped += int_part[i];
  }
  return (neg ? "-" : "") + grouped + frac;
}

std::string percent(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f%%", v);
  return buf;
}

std::string latency(std::int64_t us) {
  char buf[64];
  if (us < 1000) {
    std::snprintf(buf, sizeof buf, "%lld \u00b5s", static_cast<long long>(us));
  } else if (us < 1'000'000) {
    const double ms = static_cast<double>(us) / 1000.0;
    std::snprintf(buf, sizeof buf, ms < 10 ? "%.2f ms" : ms < 100 ? "%.1f ms" : "%.0f ms", ms);
  } else {
    const double s = static_cast<double>(us) / 1e6;
    std::snprintf(buf, sizeof buf, s < 10 ? "%.2f s" : s < 100 ? "%.1f s" : "%.0f s", s);
  }
  return buf;
}

std::string cell(const boost::json::value& v) {
  if (v.is_int64()) return thousands(v.as_int64());
  if (v.is_uint64()) return thousands(static_cast<std::int64_t>(v.as_uint64()));
  if (v.is_double()) return number(v.as_double(), 2);
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_bool()) return v.as_bool() ? "yes" : "no";
  if (v.is_null()) return "\u2014";
  return boost::json::serialize(v);
}

std::string latency_cell(const boost::json::value& v) {
  if (v.is_int64()) return latency(v.as_int64());
  if (v.is_uint64()) return latency(static_cast<std::int64_t>(v.as_uint64()));
  if (v.is_double()) return latency(static_cast<std::int64_t>(std::llround(v.as_double())));
  return "\u2014";
}

std::string ratio_cell(const boost::json::value& v) {
  if (v.is_int64()) return percent(100.0 * static_cast<double>(v.as_int64()));
  if (v.is_double()) return percent(100.0 * v.as_double());
  return "\u2014";
}

std::string bytes(double v) {
  if (!std::isfinite(v)) return "\u2014";
  static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  std::size_t u = 0;
  double x = v < 0 ? -v : v;
  while (u + 1 < std::size(units) && x >= 1024 * 0.9995) {  // 1023.9 KiB rounds to 1 MiB
    x /= 1024;
    ++u;
  }
  const int decimals = u == 0 || x >= 100 ? 0 : x >= 10 ? 1 : 2;
  return number(v < 0 ? -x : x, decimals) + " " + units[u];
}

std::string bytes_cell(const boost::json::value& v) {
  if (!(v.is_int64() || v.is_uint64() || v.is_double())) return "\u2014";
  return bytes(v.to_number<double>());
}

std::string byte_rate_cell(const boost::json::value& v) {
  const std::string b = bytes_cell(v);
  return b == "\u2014" ? b : b + "/s";
}

}  // namespace bts::report::detail
