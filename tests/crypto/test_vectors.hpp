// Access to tests/testdata/bitshares-vectors.json for the crypto tests.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "util/hex.hpp"

namespace bts::crypto::testing {

// The whole vector file, parsed once.
inline const boost::json::array& all_vectors() {
  static const boost::json::array vectors = [] {
    const std::string path = std::string(BTS_TESTDATA_DIR) + "/bitshares-vectors.json";
    std::ifstream file(path);
    if (!file) throw std::runtime_error("cannot open " + path);
    std::stringstream text;
    text << file.rdbuf();
    return boost::json::parse(text.str()).as_array();
  }();
  return vectors;
}

// Every vector whose "kind" is exactly `kind`.
inline std::vector<const boost::json::object*> vectors_of_kind(std::string_view kind) {
  std::vector<const boost::json::object*> out;
  for (const boost::json::value& v : all_vectors()) {
    const boost::json::object& obj = v.as_object();
    if (obj.at("kind").as_string() == kind) out.push_back(&obj);
  }
  return out;
}

inline bool has(const boost::json::object& v, std::string_view key) {
  const boost::json::value* p = v.if_contains(key);
  return p != nullptr && !p->is_null();
}

inline std::string str(const boost::json::object& v, std::string_view key) {
  return std::string(v.at(key).as_string());
}

inline std::vector<std::uint8_t> bytes(const boost::json::object& v, std::string_view key) {
  return from_hex(v.at(key).as_string());
}

template <std::size_t N>
std::array<std::uint8_t, N> fixed(const boost::json::object& v, std::string_view key) {
  std::array<std::uint8_t, N> out{};
  from_hex_exact(v.at(key).as_string(), out);
  return out;
}

}  // namespace bts::crypto::testing
