#include "stats/json_io.hpp"

#include <charconv>
#include <cmath>
#include <limits>

#include "util/error.hpp"

namespace bts::stats::json {
namespace {

void write_to(std::string& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      out += "null";
      break;
    case boost::json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      break;
    case boost::json::kind::int64:
      out += std::to_string(v.get_int64());
      break;
    case boost::json::kind::uint64:
      out += std::to_string(v.get_uint64());
      break;
    case boost::json::kind::double_: {
      const double d = v.get_double();
      if (!std::isfinite(d)) {
        out += "null";
        break;
      }
      char buf[64];
      const auto r = std::to_chars(buf, buf + sizeof buf, d);
      out.append(buf, r.ptr);
      break;
    }
    case boost::json::kind::string:
      out += boost::json::serialize(v);
      break;
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write_to(out, e);
      }
      out += ']';
      break;
    }
    case boost::json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& m : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += boost::json::serialize(boost::json::string_view(m.key()));
        out += ':';
        write_to(out, m.value());
      }
      out += '}';
      break;
    }
  }
}

void write_pretty_to(std::string& out, const boost::json::value& v, int depth) {
  const auto newline = [&](int d) {
    out += '\n';
    out.append(static_cast<std::size_t>(d) * 2, ' ');
  };
  if (v.is_object() && !v.get_object().empty()) {
    out += '{';
    bool first = true;
    for (const auto& m : v.get_object()) {
      if (!first) out += ',';
      first = false;
      newline(depth + 1);
      out += boost::json::serialize(boost::json::string_view(m.key()));
      out += ": ";
      write_pretty_to(out, m.value(), depth + 1);
    }
    newline(depth);
    out += '}';
  } else if (v.is_array() && !v.get_array().empty()) {
    out += '[';
    bool first = true;
    for (const auto& e : v.get_array()) {
      if (!first) out += ',';
      first = false;
      newline(depth + 1);
      write_pretty_to(out, e, depth + 1);
    }
    newline(depth);
    out += ']';
  } else {
    write_to(out, v);
  }
}

const boost::json::value* find(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

std::optional<std::int64_t> int_of(const boost::json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) {
    if (v.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(v.get_uint64());
  }
  if (v.is_double()) {
    const double d = v.get_double();
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9.0e18) {
      return static_cast<std::int64_t>(d);
    }
  }
  return std::nullopt;
}

}  // namespace

std::string write(const boost::json::value& v) {
  std::string out;
  write_to(out, v);
  return out;
}

std::string write_pretty(const boost::json::value& v) {
  std::string out;
  write_pretty_to(out, v, 0);
  return out;
}

boost::json::value parse(std::string_view text, const std::string& where) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(boost::json::string_view(text.data(), text.size()), ec);
  if (ec) throw input_error(where, "invalid JSON: " + ec.message());
  return v;
}

std::string member_path(const std::string& where, std::string_view key) {
  if (where.empty()) return std::string(key);
  return where + "." + std::string(key);
}

std::string index_path(const std::string& where, std::size_t index) {
  return where + "[" + std::to_string(index) + "]";
}

const boost::json::object& as_object(const boost::json::value& v, const std::string& where) {
  if (!v.is_object()) throw input_error(where, "expected an object");
  return v.get_object();
}

const boost::json::array& as_array(const boost::json::value& v, const std::string& where) {
  if (!v.is_array()) throw input_error(where, "expected an array");
  return v.get_array();
}

const boost::json::value& get(const boost::json::object& o, std::string_view key,
                              const std::string& where) {
  const auto* v = find(o, key);
  if (v == nullptr) throw input_error(member_path(where, key), "missing");
  return *v;
}

const boost::json::value* find_path(const boost::json::object& o,
                                    std::initializer_list<std::string_view> keys) {
  const boost::json::value* v = nullptr;
  const boost::json::object* cur = &o;
  for (std::string_view k : keys) {
    if (cur == nullptr) return nullptr;
    v = find(*cur, k);
    if (v == nullptr) return nullptr;
    cur = v->if_object();
  }
  return v;
}

std::int64_t get_int(const boost::json::object& o, std::string_view key, const std::string& where) {
  const auto r = int_of(get(o, key, where));
  if (!r) throw input_error(member_path(where, key), "expected an integer");
  return *r;
}

std::optional<std::int64_t> get_optional_int(const boost::json::object& o, std::string_view key,
                                             const std::string& where) {
  const auto* v = find(o, key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  const auto r = int_of(*v);
  if (!r) throw input_error(member_path(where, key), "expected an integer");
  return r;
}

std::int64_t get_count(const boost::json::object& o, std::string_view key, const std::string& where) {
  const std::int64_t r = get_int(o, key, where);
  if (r < 0) throw input_error(member_path(where, key), "expected a count >= 0");
  return r;
}

std::int64_t as_count(const boost::json::value& v, const std::string& where) {
  const auto r = int_of(v);
  if (!r || *r < 0) throw input_error(where, "expected a count >= 0");
  return *r;
}

double get_number(const boost::json::object& o, std::string_view key, const std::string& where) {
  const auto r = get_optional_number(o, key, where);
  if (!r) throw input_error(member_path(where, key), "expected a number");
  return *r;
}

std::optional<double> get_optional_number(const boost::json::object& o, std::string_view key,
                                          const std::string& where) {
  const auto* v = find(o, key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  throw input_error(member_path(where, key), "expected a number");
}

std::string get_string(const boost::json::object& o, std::string_view key, const std::string& where) {
  const auto& v = get(o, key, where);
  if (!v.is_string()) throw input_error(member_path(where, key), "expected a string");
  return std::string(v.get_string());
}

std::optional<std::string> get_optional_string(const boost::json::object& o, std::string_view key,
                                               const std::string& where) {
  const auto* v = find(o, key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_string()) throw input_error(member_path(where, key), "expected a string");
  return std::string(v->get_string());
}

bool get_bool(const boost::json::object& o, std::string_view key, const std::string& where) {
  const auto& v = get(o, key, where);
  if (!v.is_bool()) throw input_error(member_path(where, key), "expected true or false");
  return v.get_bool();
}

double rounded(double v, int decimals) {
  if (!std::isfinite(v)) return v;
  const double scale = std::pow(10.0, decimals);
  return std::round(v * scale) / scale;
}

}  // namespace bts::stats::json
