// Access to tests/testdata/bitshares-vectors.json for the protocol tests.
#pragma once

#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace bts::protocol::testing {

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

inline std::vector<const boost::json::object*> vectors_of_kind(std::string_view kind) {
  std::vector<const boost::json::object*> out;
  for (const boost::json::value& v : all_vectors()) {
    const boost::json::object& obj = v.as_object();
    if (obj.at("kind").as_string() == kind) out.push_back(&obj);
  }
  return out;
}

inline const boost::json::object& vector_named(std::string_view name) {
  for (const boost::json::value& v : all_vectors()) {
    if (v.as_object().at("name").as_string() == name) return v.as_object();
  }
  throw std::runtime_error("no vector named " + std::string(name));
}

// The string at `key`, or empty when the key is missing or null.
inline std::string string_or_empty(const boost::json::object& v, std::string_view key) {
  const auto* value = v.if_contains(key);
  if (value == nullptr || !value->is_string()) return {};
  return std::string(value->as_string());
}

}  // namespace bts::protocol::testing
