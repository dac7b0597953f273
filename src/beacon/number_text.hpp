// Numbers as the beacon's texts write them (break-point reasons, notes, the propagation
// summary): "1,600", "2.5 s", "1.2%".
//
// Threads: pure functions.
#pragma once

#include <string>

namespace bts::beacon {

// "1,600" (thousands grouped); a value with a fraction after rounding to two decimals is
// written as scenarios::format_rate writes rates ("2.5").
std::string grouped(double v);

// Microseconds as seconds: "0.25 s" below a second (two significant digits), "1.5 s" from one.
std::string seconds_text(double us);

// A ratio as a percentage, two significant digits: 0.021 -> "2.1%".
std::string percent_text(double ratio);

}  // namespace bts::beacon
