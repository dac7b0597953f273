#include "protocol/types.hpp"

#include <string>

#include "util/time.hpp"

namespace bts::protocol {

boost::json::value json_codec<time_point_sec>::to(const time_point_sec& t, const json_write_options&) {
  return boost::json::string(format_time_point_sec(t.sec_since_epoch));
}

void json_codec<time_point_sec>::from(const boost::json::value& json, time_point_sec& t,
                                      const json_read_options&) {
  t.sec_since_epoch = parse_time_point_sec(expect_string(json));
}

std::string_view object_id_kind(std::uint8_t space, std::uint8_t type) {
  if (space == 1) {
    switch (type) {
      case 2: return "an account id";
      case 3: return "an asset id";
      case 7: return "a limit order id";
      case 15: return "a balance id";
    }
  }
  return "an object id";
}

namespace {

// Decimal digits only, as fc::to_uint64 reads them (no sign, no spaces); false on overflow.
bool parse_u64(std::string_view text, std::uint64_t& out) {
  if (text.empty() || text.size() > 20) return false;
  std::uint64_t v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
    if (v > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return false;
    v = v * 10 + digit;
  }
  out = v;
  return true;
}

}  // namespace

std::uint64_t parse_object_id(std::string_view text, std::uint8_t space, std::uint8_t type) {
  const auto expected = [&] {
    return input_error("expected " + std::string(object_id_kind(space, type)) + " (" +
                       std::to_string(space) + "." + std::to_string(type) + ".x)");
  };
  const auto first = text.find('.');
  if (first == std::string_view::npos) throw expected();
  const auto second = text.find('.', first + 1);
  if (second == std::string_view::npos) throw expected();
  std::uint64_t s = 0, t = 0, instance = 0;
  if (!parse_u64(text.substr(0, first), s) || !parse_u64(text.substr(first + 1, second - first - 1), t) ||
      s != space || t != type) {
    throw expected();
  }
  if (!parse_u64(text.substr(second + 1), instance)) {
    throw input_error("object id instance in \"" + std::string(text.substr(0, 40)) +
                      "\" is not a 64-bit unsigned number");
  }
  return instance;
}

boost::json::value json_codec<crypto::public_key>::to(const crypto::public_key& k,
                                                      const json_write_options& options) {
  return boost::json::string(crypto::to_string(k, options.key_prefix));
}

void json_codec<crypto::public_key>::from(const boost::json::value& json, crypto::public_key& k,
                                          const json_read_options&) {
  k = crypto::public_key_from_string(expect_string(json));
}

boost::json::value json_codec<address>::to(const address& a, const json_write_options& options) {
  return boost::json::string(crypto::address_to_string(a.data, options.key_prefix));
}

void json_codec<address>::from(const boost::json::value& json, address& a, const json_read_options&) {
  a.data = crypto::address_from_string(expect_string(json));
}

boost::json::value json_codec<vote_id_type>::to(const vote_id_type& v, const json_write_options&) {
  return boost::json::string(std::to_string(v.type()) + ":" + std::to_string(v.instance()));
}

void json_codec<vote_id_type>::from(const boost::json::value& json, vote_id_type& v,
                                    const json_read_options&) {
  const std::string_view text = expect_string(json);
  const auto colon = text.find(':');
  std::uint64_t type = 0, instance = 0;
  if (colon == std::string_view::npos || !parse_u64(text.substr(0, colon), type) ||
      !parse_u64(text.substr(colon + 1), instance)) {
    throw input_error("expected a vote id as \"type:instance\" (e.g. \"1:22\"), got \"" +
                      std::string(text.substr(0, 40)) + "\"");
  }
  // bitshares-core would silently truncate; both must fit their bits.
  if (type > 0xff) throw input_error("vote id type " + std::to_string(type) + " is out of range (0..255)");
  if (instance > 0xffffff) {
    throw input_error("vote id instance " + std::to_string(instance) + " is out of range (0..16777215)");
  }
  v = vote_id_type::make(static_cast<std::uint8_t>(type), static_cast<std::uint32_t>(instance));
}

void throw_duplicate_entry(std::size_t index, std::size_t first_index) {
  throw input_error("[" + std::to_string(index) + "]",
                    "duplicate entry: equivalent to entry " + std::to_string(first_index) +
                        " in bitshares-core's ordering");
}

}  // namespace bts::protocol
