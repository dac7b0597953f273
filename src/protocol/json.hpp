// JSON forms of protocol types, as bitshares-core's fc::variant conversion produces and
// accepts them (bitshares-protocol.md §6.1).
//
//   to_json(value, options)          -> boost::json::value
//   from_json(json, value, options)  throws bts::input_error naming the JSON path, e.g.
//                                    `operations[0][1].amount.amount: expected an integer`
//
// Each type's form is a specialization of `json_codec<T>` with `to(const T&, const
// json_write_options&)` and `from(const boost::json::value&, T&, const json_read_options&)`.
// Reflected structs are objects whose keys follow the reflection order (boost::json keeps
// insertion order); empty optional fields are omitted, as fc does.
//
// Output numbers follow fc's stringify_large_ints_and_doubles: int64 values outside the int32
// range and uint64 values above 0xffffffff are written as decimal strings. Input accepts every
// integer as a JSON number or as a decimal string.
//
// Unknown object keys: fc's from_variant ignores keys a struct does not reflect (only
// extension<T> objects reject them). A signer should not: a misspelt optional field ("mem0")
// would silently vanish from the bytes being signed. So unknown keys are an error by default
// (`operations[0][1].bogus: unknown field`); json_read_options::unknown_fields::ignore gives
// fc's behaviour. Missing non-optional fields are an error (fc would default them), except
// `extensions` and signed_transaction::signatures, whose only sensible default is empty.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "protocol/reflect.hpp"
#include "util/error.hpp"

namespace bts::protocol {

struct json_write_options {
  // Prefix of public keys and addresses in the output ("BTS" mainnet, "TEST" testnet).
  std::string_view key_prefix = "BTS";
};

struct json_read_options {
  enum class unknown_field_policy { reject, ignore };
  unknown_field_policy unknown_fields = unknown_field_policy::reject;
};

template <class T>
struct json_codec;  // specialized per type

template <class T>
boost::json::value to_json(const T& value, const json_write_options& options = {}) {
  return json_codec<T>::to(value, options);
}
template <class T>
void from_json(const boost::json::value& json, T& value, const json_read_options& options = {}) {
  json_codec<T>::from(json, value, options);
}
template <class T>
T from_json_as(const boost::json::value& json, const json_read_options& options = {}) {
  T value{};
  from_json(json, value, options);
  return value;
}

// Parses one JSON document. Throws input_error("<source>:<line>:<column>", "malformed JSON:
// ...") on syntax errors, trailing content or nesting deeper than 64.
boost::json::value parse_json(std::string_view text, std::string_view source = "input");

// ---- helpers shared by the codecs ------------------------------------------------------------

// Short description of a JSON value for messages: `"abc"`, `12`, `an object`, ...
std::string describe_json(const boost::json::value& json);

const boost::json::string& expect_string(const boost::json::value& json);
const boost::json::array& expect_array(const boost::json::value& json);
const boost::json::object& expect_object(const boost::json::value& json);

// Reads an integer given as a JSON number or a decimal string, range-checked against
// [min, max]; `type_name` appears in the message ("70000 is out of range for uint16").
std::int64_t read_json_signed(const boost::json::value& json, std::int64_t min, std::int64_t max,
                              std::string_view type_name);
std::uint64_t read_json_unsigned(const boost::json::value& json, std::uint64_t max,
                                 std::string_view type_name);

template <class Int>
constexpr std::string_view int_type_name() {
  if constexpr (std::is_same_v<Int, std::uint8_t>) return "uint8";
  else if constexpr (std::is_same_v<Int, std::uint16_t>) return "uint16";
  else if constexpr (std::is_same_v<Int, std::uint32_t>) return "uint32";
  else if constexpr (std::is_same_v<Int, std::uint64_t>) return "uint64";
  else if constexpr (std::is_same_v<Int, std::int16_t>) return "int16";
  else if constexpr (std::is_same_v<Int, std::int32_t>) return "int32";
  else return "int64";
}

template <class Int>
struct json_int_codec {
  static boost::json::value to(Int value, const json_write_options&) {
    // fc::json stringify_large_ints_and_doubles.
    if constexpr (std::is_signed_v<Int>) {
      if (value > std::numeric_limits<std::int32_t>::max() ||
          value < std::numeric_limits<std::int32_t>::min()) {
        return boost::json::string(std::to_string(value));
      }
      return static_cast<std::int64_t>(value);
    } else {
      if (value > 0xffffffffu) return boost::json::string(std::to_string(value));
      return static_cast<std::uint64_t>(value);
    }
  }
  static void from(const boost::json::value& json, Int& value, const json_read_options&) {
    if constexpr (std::is_signed_v<Int>) {
      value = static_cast<Int>(read_json_signed(json, std::numeric_limits<Int>::min(),
                                                std::numeric_limits<Int>::max(),
                                                int_type_name<Int>()));
    } else {
      value = static_cast<Int>(
          read_json_unsigned(json, std::numeric_limits<Int>::max(), int_type_name<Int>()));
    }
  }
};
template <> struct json_codec<std::uint8_t> : json_int_codec<std::uint8_t> {};
template <> struct json_codec<std::uint16_t> : json_int_codec<std::uint16_t> {};
template <> struct json_codec<std::uint32_t> : json_int_codec<std::uint32_t> {};
template <> struct json_codec<std::uint64_t> : json_int_codec<std::uint64_t> {};
template <> struct json_codec<std::int16_t> : json_int_codec<std::int16_t> {};
template <> struct json_codec<std::int32_t> : json_int_codec<std::int32_t> {};
template <> struct json_codec<std::int64_t> : json_int_codec<std::int64_t> {};

template <>
struct json_codec<bool> {
  static boost::json::value to(bool value, const json_write_options&) { return value; }
  static void from(const boost::json::value& json, bool& value, const json_read_options&);
};

template <>
struct json_codec<std::string> {
  static boost::json::value to(const std::string& value, const json_write_options&) {
    return boost::json::string(value);
  }
  // (Text from parse_json is valid UTF-8 already; values built in code are checked here so
  // both decoders accept the same strings.)
  static void from(const boost::json::value& json, std::string& value, const json_read_options&);
};

// Byte strings: lower-case hex, as fc writes vector<char>.
template <>
struct json_codec<std::vector<std::uint8_t>> {
  static boost::json::value to(const std::vector<std::uint8_t>& value, const json_write_options&);
  static void from(const boost::json::value& json, std::vector<std::uint8_t>& value,
                   const json_read_options&);
};

// Fixed-size byte arrays (signatures, chain ids, block ids): hex of exactly N bytes.
void json_read_fixed_hex(const boost::json::value& json, std::uint8_t* out, std::size_t size);
boost::json::value json_write_hex(const std::uint8_t* data, std::size_t size);

template <std::size_t N>
struct json_codec<std::array<std::uint8_t, N>> {
  static boost::json::value to(const std::array<std::uint8_t, N>& value, const json_write_options&) {
    return json_write_hex(value.data(), N);
  }
  static void from(const boost::json::value& json, std::array<std::uint8_t, N>& value,
                   const json_read_options&) {
    json_read_fixed_hex(json, value.data(), N);
  }
};

template <class T>
struct json_codec<std::vector<T>> {
  static boost::json::value to(const std::vector<T>& value, const json_write_options& options) {
    boost::json::array out;
    out.reserve(value.size());
    for (const T& item : value) out.push_back(to_json(item, options));
    return out;
  }
  static void from(const boost::json::value& json, std::vector<T>& value,
                   const json_read_options& options) {
    const auto& array = expect_array(json);
    value.clear();
    value.reserve(array.size());
    for (std::size_t i = 0; i < array.size(); ++i) {
      try {
        from_json(array[i], value.emplace_back(), options);
      } catch (const input_error& e) {
        throw e.within("[" + std::to_string(i) + "]");
      }
    }
  }
};

// A standalone optional is `null` or the value; as a struct field an empty optional is
// omitted instead (see the reflected codec).
template <class T>
struct json_codec<std::optional<T>> {
  static boost::json::value to(const std::optional<T>& value, const json_write_options& options) {
    if (!value) return nullptr;
    return to_json(*value, options);
  }
  static void from(const boost::json::value& json, std::optional<T>& value,
                   const json_read_options& options) {
    if (json.is_null()) {
      value.reset();
      return;
    }
    from_json(json, value.emplace(), options);
  }
};

template <class T>
inline constexpr bool is_optional_v = false;
template <class T>
inline constexpr bool is_optional_v<std::optional<T>> = true;

// Types whose codec declares `static constexpr bool default_when_missing = true` (extensions)
// may be left out of a JSON object.
template <class T>
constexpr bool default_when_missing() {
  if constexpr (requires { json_codec<T>::default_when_missing; }) {
    return json_codec<T>::default_when_missing;
  } else {
    return false;
  }
}

template <reflected T>
struct json_codec<T> {
  static boost::json::value to(const T& value, const json_write_options& options) {
    boost::json::object out;
    out.reserve(field_count<T>);
    for_each_field<T>([&](auto f) {
      const auto& member = value.*decltype(f)::member;
      if constexpr (is_optional_v<std::remove_cvref_t<decltype(member)>>) {
        if (!member) return;
        out.emplace(f.name, to_json(*member, options));
      } else {
        out.emplace(f.name, to_json(member, options));
      }
    });
    return out;
  }

  static void from(const boost::json::value& json, T& value, const json_read_options& options) {
    const auto& object = expect_object(json);
    if (options.unknown_fields == json_read_options::unknown_field_policy::reject &&
        object.size() > 0) {
      for (const auto& entry : object) {
        if (!has_field<T>(entry.key())) throw input_error(std::string(entry.key()), "unknown field");
      }
    }
    for_each_field<T>([&](auto f) {
      using F = decltype(f);
      using M = field_type_t<F, T>;
      auto& member = value.*F::member;
      const auto it = object.find(f.name);
      if (it == object.end()) {
        if constexpr (is_optional_v<M> || F::may_be_omitted || default_when_missing<M>()) {
          member = M{};
          return;
        } else {
          throw input_error("missing field \"" + std::string(f.name) + "\"");
        }
      }
      try {
        from_json(it->value(), member, options);
      } catch (const input_error& e) {
        throw e.within(std::string(f.name));
      }
    });
  }
};

}  // namespace bts::protocol
