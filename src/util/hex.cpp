#include "util/hex.hpp"

#include "util/error.hpp"

namespace bts {
namespace {

int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void decode_into(std::string_view hex, std::uint8_t* out) {
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]);
    const int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      throw input_error("not hex at offset " + std::to_string(hi < 0 ? i : i + 1));
    }
    out[i / 2] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
}

}  // namespace

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 0x0f];
  }
  return out;
}

std::vector<std::uint8_t> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) throw input_error("hex string has an odd length");
  std::vector<std::uint8_t> out(hex.size() / 2);
  decode_into(hex, out.data());
  return out;
}

void from_hex_exact(std::string_view hex, std::span<std::uint8_t> out) {
  if (hex.size() != out.size() * 2) {
    throw input_error("expected " + std::to_string(out.size()) + " bytes of hex (" +
                      std::to_string(out.size() * 2) + " characters), got " +
                      std::to_string(hex.size()) + " characters");
  }
  decode_into(hex, out.data());
}

}  // namespace bts
