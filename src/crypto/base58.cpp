#include "crypto/base58.hpp"

#include <array>
#include <string>

#include "crypto/detail/base58.hpp"
#include "util/error.hpp"

namespace bts::crypto {
namespace {

constexpr char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

constexpr std::array<std::int8_t, 256> make_index() {
  std::array<std::int8_t, 256> index{};
  for (auto& v : index) v = -1;
  for (int i = 0; i < 58; ++i)
    index[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  return index;
}
constexpr std::array<std::int8_t, 256> digit_of = make_index();

}  // namespace

std::string base58_encode(std::span<const std::uint8_t> data) {
  std::size_t zeros = 0;
  while (zeros < data.size() && data[zeros] == 0) ++zeros;
  // log(256)/log(58) < 1.38: enough base-58 digits for the rest of the input.
  std::vector<std::uint8_t> digits((data.size() - zeros) * 138 / 100 + 1, 0);
  std::size_t used = 0;  // digits in use, counted from the back
  for (std::size_t i = zeros; i < data.size(); ++i) {
    unsigned carry = data[i];
    std::size_t j = 0;
    for (auto it = digits.rbegin(); (carry != 0 || j < used) && it != digits.rend(); ++it, ++j) {
      carry += 256u * *it;
      *it = static_cast<std::uint8_t>(carry % 58);
      carry /= 58;
    }
    used = j;
  }
  std::string out(zeros, '1');
  auto it = digits.begin() + static_cast<std::ptrdiff_t>(digits.size() - used);
  while (it != digits.end() && *it == 0) ++it;
  out.reserve(zeros + static_cast<std::size_t>(digits.end() - it));
  for (; it != digits.end(); ++it) out.push_back(alphabet[*it]);
  return out;
}

namespace detail {

bool base58_decode(std::string_view text, std::vector<std::uint8_t>& out, std::size_t& bad_offset) {
  std::size_t zeros = 0;
  while (zeros < text.size() && text[zeros] == '1') ++zeros;
  // log(58)/log(256) < 0.733
  std::vector<std::uint8_t> bytes((text.size() - zeros) * 733 / 1000 + 1, 0);
  std::size_t used = 0;
  for (std::size_t i = zeros; i < text.size(); ++i) {
    const int digit = digit_of[static_cast<unsigned char>(text[i])];
    if (digit < 0) {
      bad_offset = i;
      return false;
    }
    unsigned carry = static_cast<unsigned>(digit);
    std::size_t j = 0;
    for (auto it = bytes.rbegin(); (carry != 0 || j < used) && it != bytes.rend(); ++it, ++j) {
      carry += 58u * *it;
      *it = static_cast<std::uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    used = j;
  }
  auto it = bytes.end() - static_cast<std::ptrdiff_t>(used);
  while (it != bytes.end() && *it == 0) ++it;
  out.assign(zeros, 0);
  out.insert(out.end(), it, bytes.end());
  return true;
}

std::string bad_base58_message(std::string_view text, std::size_t offset) {
  const unsigned char c = static_cast<unsigned char>(text[offset]);
  std::string shown;
  if (c >= 0x20 && c < 0x7f) {
    shown = std::string(1, static_cast<char>(c));
  } else {
    static constexpr char hex[] = "0123456789abcdef";
    shown = std::string("\\x") + hex[c >> 4] + hex[c & 15];
  }
  return "invalid base58 character '" + shown + "' at offset " + std::to_string(offset);
}

}  // namespace detail

std::vector<std::uint8_t> base58_decode(std::string_view text) {
  std::vector<std::uint8_t> out;
  std::size_t bad = 0;
  if (!detail::base58_decode(text, out, bad)) {
    throw input_error(detail::bad_base58_message(text, bad));
  }
  return out;
}

}  // namespace bts::crypto
