// Number formatting shared by the Markdown and HTML renderers (and the model's sentences), so
// both show the same text for the same number.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <string>

namespace bts::report::detail {

// 1234567 -> "1,234,567".
std::string thousands(std::int64_t v);
// Shortest form with at most `decimals` places: 12.5, 30, 0.9286.
std::string number(double v, int decimals);
// 45.678 -> "45.7%".
std::string percent(double v);
// Microseconds for people: "85 µs", "2.37 ms", "1.54 s".
std::string latency(std::int64_t us);
// A JSON value for a table cell: integers with separators, doubles via number(v, 2), strings
// as they are, null as an em dash.
std::string cell(const boost::json::value& v);
// A latency cell: µs value via latency(), null as an em dash.
std::string latency_cell(const boost::json::value& v);
// A 0..1 ratio cell as a percentage, null as an em dash.
std::string ratio_cell(const boost::json::value& v);
// Bytes for people, binary units with three significant digits at most: "512 B", "1.5 KiB",
// "24.3 MiB", "1.87 GiB".
std::string bytes(double v);
// A bytes cell via bytes(), null as an em dash; a rate cell adds "/s".
std::string bytes_cell(const boost::json::value& v);
std::string byte_rate_cell(const boost::json::value& v);

}  // namespace bts::report::detail
