#include "protocol/wire.hpp"

#include <string>

namespace bts::protocol {

void reader::throw_end() const {
  throw input_error("unexpected end of data at byte " + std::to_string(pos_));
}

std::uint64_t reader::read_varint() {
  // fc::raw::unpack(unsigned_int): LEB128, at most 64 bits. Non-minimal encodings (`80 00`) are
  // accepted, as fc accepts them; re-packing produces the minimal form.
  const std::size_t start = pos_;
  std::uint64_t value = 0;
  for (unsigned shift = 0;; shift += 7) {
    if (pos_ >= data_.size()) throw_end();
    const std::uint8_t byte = data_[pos_++];
    if (shift == 63 && (byte & 0x7f) > 1) {
      throw input_error("varint at byte " + std::to_string(start) + " overflows 64 bits");
    }
    value |= std::uint64_t(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return value;
    if (shift == 63) {
      throw input_error("varint at byte " + std::to_string(start) + " overflows 64 bits");
    }
  }
}

std::size_t reader::read_length() {
  const std::size_t start = pos_;
  const std::uint64_t n = read_varint();
  if (n > remaining()) {
    throw input_error("length " + std::to_string(n) + " at byte " + std::to_string(start) +
                      " exceeds the " + std::to_string(remaining()) + " bytes that remain");
  }
  return static_cast<std::size_t>(n);
}

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    const auto c = static_cast<std::uint8_t>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<std::uint8_t>(text[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = cp << 6 | (cc & 0x3f);
    }
    // Overlong forms, surrogates and values beyond U+10FFFF are invalid.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += len;
  }
  return true;
}

}  // namespace bts::protocol
