// Reading and writing the JSON that statistics, summaries and run directories are made of.
//
// write() is compact, keeps object members in insertion order and prints doubles in their
// shortest round-trip form ("12.5", not boost::json's "1.25E1"), so files are stable for golden
// tests and readable by people. Non-finite doubles are written as null.
//
// The readers throw bts::input_error naming the JSON path ("series.jsonl:3.latency_us.p99") and
// what was expected. Unknown members are ignored everywhere (newer writers may add fields);
// missing or mistyped known members are errors unless the accessor says "optional".
//
// Threads: free functions, no shared state.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace bts::stats::json {

std::string write(const boost::json::value& v);
// The same, indented by two spaces per level with one member or element per line (empty
// objects and arrays stay "{}" and "[]"); no trailing newline.
std::string write_pretty(const boost::json::value& v);

// Parses one JSON text; `where` names it in errors (a file, or file:line).
boost::json::value parse(std::string_view text, const std::string& where);

// `where` + "." + key, or `where` + "[i]".
std::string member_path(const std::string& where, std::string_view key);
std::string index_path(const std::string& where, std::size_t index);

const boost::json::object& as_object(const boost::json::value& v, const std::string& where);
const boost::json::array& as_array(const boost::json::value& v, const std::string& where);

// Integer members: JSON integers (or doubles with an integral value) in range.
std::int64_t get_int(const boost::json::object& o, std::string_view key, const std::string& where);
std::optional<std::int64_t> get_optional_int(const boost::json::object& o, std::string_view key,
                                             const std::string& where);
// As get_int, and also REQUIRES >= 0 of the value (else input_error "expected a count >= 0").
std::int64_t get_count(const boost::json::object& o, std::string_view key, const std::string& where);

// A value that must be an integer >= 0; `where` is its own path.
std::int64_t as_count(const boost::json::value& v, const std::string& where);

// Any JSON number; null or absent gives nullopt for the optional form.
double get_number(const boost::json::object& o, std::string_view key, const std::string& where);
std::optional<double> get_optional_number(const boost::json::object& o, std::string_view key,
                                          const std::string& where);

std::string get_string(const boost::json::object& o, std::string_view key, const std::string& where);
std::optional<std::string> get_optional_string(const boost::json::object& o, std::string_view key,
                                               const std::string& where);

bool get_bool(const boost::json::object& o, std::string_view key, const std::string& where);

// The member at o[keys[0]][keys[1]]..., or nullptr when one is absent or a value on the way is
// not an object. For reading documents whose shape is not checked (a stored summary).
const boost::json::value* find_path(const boost::json::object& o,
                                    std::initializer_list<std::string_view> keys);

// The member itself; throws when absent.
const boost::json::value& get(const boost::json::object& o, std::string_view key,
                              const std::string& where);

// A double for output: rounded to `decimals` places, so that 12.499999 prints as 12.5.
double rounded(double v, int decimals);

}  // namespace bts::stats::json
