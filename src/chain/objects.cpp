#include "chain/objects.hpp"

#include <cstdlib>

#include "util/error.hpp"

namespace bts::chain {

std::string asset_object::amount_to_string(share_type amount) const {
  std::int64_t scaled_precision = 1;
  for (std::uint8_t i = 0; i < precision; ++i) scaled_precision *= 10;
  std::string result = std::to_string(amount / scaled_precision);
  const std::int64_t decimals = std::llabs(amount % scaled_precision);
  if (decimals != 0) {
    if (amount < 0 && result == "0") result = "-0";
    result += "." + std::to_string(scaled_precision + decimals).erase(0, 1);
  }
  return result;
}

std::string asset_object::amount_to_pretty_string(share_type amount) const {
  return amount_to_string(amount) + " " + symbol;
}

}  // namespace bts::chain

namespace bts::protocol {

boost::json::value json_codec<chain::uint128_value>::to(const chain::uint128_value& v,
                                                        const json_write_options&) {
  unsigned __int128 x = v.value;
  if (x == 0) return boost::json::string("0");
  std::string digits;
  while (x != 0) {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(x % 10)));
    x /= 10;
  }
  return boost::json::string(digits);
}

void json_codec<chain::uint128_value>::from(const boost::json::value& json, chain::uint128_value& v,
                                            const json_read_options&) {
  if (json.is_uint64() || json.is_int64()) {
    v.value = json.to_number<std::uint64_t>();
    return;
  }
  const auto& text = expect_string(json);
  unsigned __int128 x = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') throw input_error("expected a 128-bit unsigned decimal number");
    x = x * 10 + static_cast<unsigned>(c - '0');
  }
  v.value = x;
}

}  // namespace bts::protocol
