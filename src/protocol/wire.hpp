// Binary serialization exactly as fc::raw packs it (bitshares-protocol.md §0).
//
//   pack(writer, value)   appends the bytes of `value`;
//   unpack(reader, value) reads them back, throwing bts::input_error on malformed data.
//
// Each type's encoding is a specialization of `raw<T>` with `write(writer&, const T&)` and
// `read(reader&, T&)`. This header covers fixed-width integers, bool, varints, strings, bytes,
// vectors, optionals, fixed byte arrays and — generically — every BTS_REFLECT'ed struct (its
// fields in order). types.hpp adds ids, keys, sets/maps, static_variant and extension<T>.
//
// Decoding is safe on hostile input: every length is checked against the bytes that remain
// before anything is allocated, nesting depth is bounded, and errors name the field path
// (`operations[0][1].amount.amount: unexpected end of data at byte 40`).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/reflect.hpp"
#include "util/error.hpp"

namespace bts::protocol {

// fc::unsigned_int: an unsigned LEB128 varint of up to 64 bits.
struct unsigned_int {
  std::uint64_t value = 0;
  friend bool operator==(const unsigned_int&, const unsigned_int&) = default;
};

// How many bytes writer::write_varint(v) appends (1 for v < 128, up to 10), for computing a
// packed size without packing.
constexpr std::size_t varint_size(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Appends bytes to a caller-owned buffer (reuse the buffer to avoid allocations).
class writer {
 public:
  explicit writer(std::vector<std::uint8_t>& out) : out_(out) {}

  void put(std::uint8_t byte) { out_.push_back(byte); }
  void write(const std::uint8_t* data, std::size_t size) { out_.insert(out_.end(), data, data + size); }
  void write(std::span<const std::uint8_t> bytes) { write(bytes.data(), bytes.size()); }
  void write_varint(std::uint64_t value) {
    while (value >= 0x80) {
      put(static_cast<std::uint8_t>(value | 0x80));
      value >>= 7;
    }
    put(static_cast<std::uint8_t>(value));
  }

 private:
  std::vector<std::uint8_t>& out_;
};

// Reads from a byte span; never reads past its end.
class reader {
 public:
  // Deepest nesting of structs/containers accepted. The supported operations nest at most
  // ~8 levels; the bound exists for recursive types (proposals) and hostile input.
  static constexpr int max_depth = 64;

  explicit reader(std::span<const std::uint8_t> data) : data_(data) {}

  std::size_t position() const { return pos_; }
  std::size_t remaining() const { return data_.size() - pos_; }
  bool at_end() const { return pos_ == data_.size(); }

  std::uint8_t get() {
    if (pos_ >= data_.size()) throw_end();
    return data_[pos_++];
  }
  // The next `size` bytes. Throws when fewer remain.
  std::span<const std::uint8_t> take(std::size_t size) {
    if (size > remaining()) throw_end();
    const auto out = data_.subspan(pos_, size);
    pos_ += size;
    return out;
  }
  std::uint64_t read_varint();
  // A varint element count or byte length, checked against the bytes left (every element
  // takes at least one byte), so no allocation can exceed the input size.
  std::size_t read_length();

  // RAII nesting guard: `auto guard = r.nest();` in every recursive decoder.
  class depth_guard {
   public:
    explicit depth_guard(reader& r) : r_(r) {
      if (++r_.depth_ > max_depth) {
        --r_.depth_;
        throw input_error("nesting deeper than " + std::to_string(max_depth) + " levels");
      }
    }
    ~depth_guard() { --r_.depth_; }
    depth_guard(const depth_guard&) = delete;
    depth_guard& operator=(const depth_guard&) = delete;

   private:
    reader& r_;
  };
  depth_guard nest() { return depth_guard(*this); }

  [[noreturn]] void throw_end() const;

 private:
  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

template <class T>
struct raw;  // specialized per type

template <class T>
void pack(writer& w, const T& value) {
  raw<T>::write(w, value);
}
template <class T>
void unpack(reader& r, T& value) {
  raw<T>::read(r, value);
}
// Convenience: the bytes of one value.
template <class T>
std::vector<std::uint8_t> pack_to_bytes(const T& value) {
  std::vector<std::uint8_t> out;
  writer w(out);
  pack(w, value);
  return out;
}
// Convenience: decodes exactly one value from `data` (trailing bytes are an error).
template <class T>
T unpack_from_bytes(std::span<const std::uint8_t> data) {
  reader r(data);
  T value{};
  unpack(r, value);
  if (!r.at_end()) {
    throw input_error(std::to_string(r.remaining()) + " trailing bytes after byte " +
                      std::to_string(r.position()));
  }
  return value;
}

// ---- fixed-width little-endian integers -------------------------------------------------------

template <class Int>
struct raw_fixed_int {
  static void write(writer& w, Int value) {
    using U = std::make_unsigned_t<Int>;
    std::array<std::uint8_t, sizeof(Int)> bytes;
    U v = static_cast<U>(value);
    for (std::size_t i = 0; i < sizeof(Int); ++i) {
      bytes[i] = static_cast<std::uint8_t>(v);
      if constexpr (sizeof(Int) > 1) v = static_cast<U>(v >> 8);
    }
    w.write(bytes.data(), bytes.size());
  }
  static void read(reader& r, Int& value) {
    using U = std::make_unsigned_t<Int>;
    const auto bytes = r.take(sizeof(Int));
    U v = 0;
    for (std::size_t i = sizeof(Int); i-- > 0;) {
      if constexpr (sizeof(Int) > 1) v = static_cast<U>(v << 8);
      v = static_cast<U>(v | bytes[i]);
    }
    value = static_cast<Int>(v);
  }
};
template <> struct raw<std::uint8_t> : raw_fixed_int<std::uint8_t> {};
template <> struct raw<std::uint16_t> : raw_fixed_int<std::uint16_t> {};
template <> struct raw<std::uint32_t> : raw_fixed_int<std::uint32_t> {};
template <> struct raw<std::uint64_t> : raw_fixed_int<std::uint64_t> {};
template <> struct raw<std::int16_t> : raw_fixed_int<std::int16_t> {};
template <> struct raw<std::int32_t> : raw_fixed_int<std::int32_t> {};
template <> struct raw<std::int64_t> : raw_fixed_int<std::int64_t> {};

// fc packs bool as one byte and rejects anything but 0 and 1 when unpacking.
template <>
struct raw<bool> {
  static void write(writer& w, bool value) { w.put(value ? 1 : 0); }
  static void read(reader& r, bool& value) {
    const std::size_t at = r.position();
    const std::uint8_t b = r.get();
    if (b > 1) {
      throw input_error("bool must be 0 or 1, got " + std::to_string(b) + " at byte " +
                        std::to_string(at));
    }
    value = b == 1;
  }
};

template <>
struct raw<unsigned_int> {
  static void write(writer& w, const unsigned_int& v) { w.write_varint(v.value); }
  static void read(reader& r, unsigned_int& v) { v.value = r.read_varint(); }
};

// Strings: varint length + raw bytes. Decoding requires valid UTF-8, because the JSON form
// could not show anything else faithfully.
bool is_valid_utf8(std::string_view text);

template <>
struct raw<std::string> {
  static void write(writer& w, const std::string& s) {
    w.write_varint(s.size());
    w.write(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
  }
  static void read(reader& r, std::string& s) {
    const std::size_t at = r.position();
    const auto bytes = r.take(r.read_length());
    s.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (!is_valid_utf8(s)) throw input_error("string at byte " + std::to_string(at) + " is not valid UTF-8");
  }
};

// Byte strings (fc's vector<char>, e.g. memo_data::message): varint length + bytes.
template <>
struct raw<std::vector<std::uint8_t>> {
  static void write(writer& w, const std::vector<std::uint8_t>& b) {
    w.write_varint(b.size());
    w.write(b.data(), b.size());
  }
  static void read(reader& r, std::vector<std::uint8_t>& b) {
    const auto bytes = r.take(r.read_length());
    b.assign(bytes.begin(), bytes.end());
  }
};

// Fixed-size byte arrays (public keys, digests, signatures): raw bytes, no length.
template <std::size_t N>
struct raw<std::array<std::uint8_t, N>> {
  static void write(writer& w, const std::array<std::uint8_t, N>& a) { w.write(a.data(), N); }
  static void read(reader& r, std::array<std::uint8_t, N>& a) {
    const auto bytes = r.take(N);
    std::copy(bytes.begin(), bytes.end(), a.begin());
  }
};

template <class T>
struct raw<std::vector<T>> {
  static void write(writer& w, const std::vector<T>& v) {
    w.write_varint(v.size());
    for (const T& item : v) pack(w, item);
  }
  static void read(reader& r, std::vector<T>& v) {
    auto guard = r.nest();
    const std::size_t n = r.read_length();
    v.clear();
    // Grow as elements actually decode: a hostile count must not buy a huge allocation.
    v.reserve(std::min<std::size_t>(n, 64));
    for (std::size_t i = 0; i < n; ++i) {
      try {
        unpack(r, v.emplace_back());
      } catch (const input_error& e) {
        throw e.within("[" + std::to_string(i) + "]");
      }
    }
  }
};

template <class T>
struct raw<std::optional<T>> {
  static void write(writer& w, const std::optional<T>& v) {
    w.put(v ? 1 : 0);
    if (v) pack(w, *v);
  }
  static void read(reader& r, std::optional<T>& v) {
    bool present = false;
    unpack(r, present);
    if (!present) {
      v.reset();
      return;
    }
    auto guard = r.nest();
    unpack(r, v.emplace());
  }
};

// Reflected structs: their fields in order, nothing else (fc::raw's reflect visitor).
template <reflected T>
struct raw<T> {
  static void write(writer& w, const T& value) {
    for_each_field<T>([&](auto f) { pack(w, value.*decltype(f)::member); });
  }
  static void read(reader& r, T& value) {
    auto guard = r.nest();
    for_each_field<T>([&](auto f) {
      try {
        unpack(r, value.*decltype(f)::member);
      } catch (const input_error& e) {
        throw e.within(std::string(f.name));
      }
    });
  }
};

}  // namespace bts::protocol
