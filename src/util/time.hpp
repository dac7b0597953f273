// time_point_sec text form as bitshares-core prints it: "YYYY-MM-DDTHH:MM:SS", UTC, no zone.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bts {

// Seconds since the Unix epoch -> "YYYY-MM-DDTHH:MM:SS".
std::string format_time_point_sec(std::uint32_t seconds);

// "YYYY-MM-DDTHH:MM:SS" (an optional trailing 'Z' or fractional ".xxx" is accepted, as fc does)
// -> seconds. Throws input_error("expected a time as YYYY-MM-DDTHH:MM:SS") or
// ("time out of range") for values outside [1970-01-01T00:00:00, 2106-02-07T06:28:15].
std::uint32_t parse_time_point_sec(std::string_view text);

}  // namespace bts
