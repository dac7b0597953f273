#include "protocol/json.hpp"

#include <charconv>

#include "protocol/wire.hpp"
#include "util/hex.hpp"

namespace bts::protocol {
namespace {

// Messages quote at most this much of a bad value.
constexpr std::size_t max_quoted = 40;

std::string quoted(std::string_view text) {
  if (text.size() > max_quoted) return "\"" + std::string(text.substr(0, max_quoted)) + "...\"";
  return "\"" + std::string(text) + "\"";
}

std::string clipped(std::string_view text) {
  if (text.size() > max_quoted) return std::string(text.substr(0, max_quoted)) + "...";
  return std::string(text);
}

// A decimal integer in a string: optional '-', then digits only (fc writes large ints so).
struct parsed_decimal {
  bool negative = false;
  bool overflow = false;  // magnitude beyond uint64
  std::uint64_t magnitude = 0;
};

bool parse_decimal(std::string_view text, parsed_decimal& out) {
  out = {};
  if (!text.empty() && text.front() == '-') {
    out.negative = true;
    text.remove_prefix(1);
  }
  if (text.empty()) return false;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
    if (out.magnitude > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
      out.overflow = true;
    } else {
      out.magnitude = out.magnitude * 10 + digit;
    }
  }
  return true;
}

[[noreturn]] void throw_out_of_range(const std::string& shown, std::string_view type_name) {
  throw input_error(shown + " is out of range for " + std::string(type_name));
}

// Reads any JSON integer (number or decimal string) as sign + magnitude.
parsed_decimal read_integer(const boost::json::value& json, std::string& shown) {
  parsed_decimal d;
  switch (json.kind()) {
    case boost::json::kind::int64: {
      const std::int64_t v = json.get_int64();
      shown = std::to_string(v);
      d.negative = v < 0;
      d.magnitude = v < 0 ? std::uint64_t(0) - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
      return d;
    }
    case boost::json::kind::uint64:
      shown = std::to_string(json.get_uint64());
      d.magnitude = json.get_uint64();
      return d;
    case boost::json::kind::string: {
      const auto& text = json.get_string();
      if (!parse_decimal(text, d)) throw input_error("expected an integer, got " + quoted(text));
      shown = clipped(text);
      return d;
    }
    case boost::json::kind::double_:
      // Larger than any 64-bit integer, or not an integer at all.
      throw input_error("expected an integer, got " + boost::json::serialize(json) +
                        " (give large integers as decimal strings)");
    default:
      throw input_error("expected an integer, got " + describe_json(json));
  }
}

}  // namespace

boost::json::value parse_json(std::string_view text, std::string_view source) {
  boost::json::parse_options opts;
  opts.max_depth = 64;
  boost::json::stream_parser parser({}, opts);
  boost::system::error_code ec;
  std::size_t consumed = parser.write_some(text.data(), text.size(), ec);
  if (!ec && consumed < text.size()) {
    // write_some stops after one complete document: only whitespace may follow.
    const auto rest = text.substr(consumed);
    const auto extra = rest.find_first_not_of(" \t\r\n");
    if (extra != std::string_view::npos) {
      consumed += extra;
      ec = boost::json::make_error_code(boost::json::error::extra_data);
    }
  }
  if (!ec) {
    parser.finish(ec);
    if (ec) consumed = text.size();
  }
  if (ec) {
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < consumed && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    throw input_error(std::string(source) + ":" + std::to_string(line) + ":" + std::to_string(column),
                      "malformed JSON: " + ec.message());
  }
  return parser.release();
}

std::string describe_json(const boost::json::value& json) {
  switch (json.kind()) {
    case boost::json::kind::null: return "null";
    case boost::json::kind::bool_: return json.get_bool() ? "true" : "false";
    case boost::json::kind::object: return "an object";
    case boost::json::kind::array: return "an array";
    case boost::json::kind::string: return quoted(json.get_string());
    default: return clipped(boost::json::serialize(json));
  }
}

const boost::json::string& expect_string(const boost::json::value& json) {
  if (const auto* s = json.if_string()) return *s;
  throw input_error("expected a string, got " + describe_json(json));
}

const boost::json::array& expect_array(const boost::json::value& json) {
  if (const auto* a = json.if_array()) return *a;
  throw input_error("expected an array, got " + describe_json(json));
}

const boost::json::object& expect_object(const boost::json::value& json) {
  if (const auto* o = json.if_object()) return *o;
  throw input_error("expected an object, got " + describe_json(json));
}

std::int64_t read_json_signed(const boost::json::value& json, std::int64_t min, std::int64_t max,
                              std::string_view type_name) {
  std::string shown;
  const parsed_decimal d = read_integer(json, shown);
  if (d.overflow) throw_out_of_range(shown, type_name);
  if (d.negative) {
    if (d.magnitude > std::uint64_t(0) - static_cast<std::uint64_t>(min)) throw_out_of_range(shown, type_name);
    return static_cast<std::int64_t>(std::uint64_t(0) - d.magnitude);
  }
  if (d.magnitude > static_cast<std::uint64_t>(max)) throw_out_of_range(shown, type_name);
  return static_cast<std::int64_t>(d.magnitude);
}

std::uint64_t read_json_unsigned(const boost::json::value& json, std::uint64_t max,
                                 std::string_view type_name) {
  std::string shown;
  const parsed_decimal d = read_integer(json, shown);
  if (d.overflow || (d.negative && d.magnitude != 0) || d.magnitude > max) {
    throw_out_of_range(shown, type_name);
  }
  return d.magnitude;
}

void json_codec<std::string>::from(const boost::json::value& json, std::string& value,
                                   const json_read_options&) {
  const auto& text = expect_string(json);
  if (!is_valid_utf8(text)) throw input_error("string is not valid UTF-8");
  value = std::string(text);
}

void json_codec<bool>::from(const boost::json::value& json, bool& value, const json_read_options&) {
  if (const auto* b = json.if_bool()) {
    value = *b;
    return;
  }
  throw input_error("expected true or false, got " + describe_json(json));
}

boost::json::value json_write_hex(const std::uint8_t* data, std::size_t size) {
  return boost::json::string(to_hex(std::span(data, size)));
}

void json_read_fixed_hex(const boost::json::value& json, std::uint8_t* out, std::size_t size) {
  from_hex_exact(expect_string(json), std::span(out, size));
}

boost::json::value json_codec<std::vector<std::uint8_t>>::to(const std::vector<std::uint8_t>& value,
                                                            const json_write_options&) {
  return boost::json::string(to_hex(value));
}

void json_codec<std::vector<std::uint8_t>>::from(const boost::json::value& json,
                                                 std::vector<std::uint8_t>& value,
                                                 const json_read_options&) {
  value = from_hex(expect_string(json));
}

}  // namespace bts::protocol
