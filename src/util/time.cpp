#include "util/time.hpp"

#include <chrono>
#include <cstdio>

#include "util/error.hpp"

namespace bts {
namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  out = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

std::string format_time_point_sec(std::uint32_t seconds) {
  using namespace std::chrono;
  const sys_seconds tp{std::chrono::seconds{seconds}};
  const auto day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss hms{tp - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ld", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), long(hms.hours().count()),
                long(hms.minutes().count()), long(hms.seconds().count()));
  return buf;
}

std::uint32_t parse_time_point_sec(std::string_view text) {
  static const char* const shape = "expected a time as YYYY-MM-DDTHH:MM:SS";
  std::string_view s = text;
  if (!s.empty() && s.back() == 'Z') s.remove_suffix(1);
  if (s.size() > 19 && s[19] == '.') s = s.substr(0, 19);
  int y, mo, d, h, mi, se;
  if (s.size() != 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':' || !digits(s, 0, 4, y) || !digits(s, 5, 2, mo) || !digits(s, 8, 2, d) ||
      !digits(s, 11, 2, h) || !digits(s, 14, 2, mi) || !digits(s, 17, 2, se)) {
    throw input_error(shape);
  }
  using namespace std::chrono;
  const year_month_day ymd{year{y}, month{unsigned(mo)}, day{unsigned(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || se > 59) throw input_error(shape);
  const auto total = sys_days{ymd}.time_since_epoch().count() * 86400LL + h * 3600LL +
                     mi * 60LL + se;
  if (total < 0 || total > 0xffffffffLL) throw input_error("time out of range");
  return static_cast<std::uint32_t>(total);
}

}  // namespace bts
