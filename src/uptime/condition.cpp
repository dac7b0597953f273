#include "uptime/condition.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <utility>

#include "util/error.hpp"

namespace bts::uptime {
namespace {

namespace json = boost::json;

struct named {
  const char* name;
  placeholder p;
};
constexpr named placeholders[] = {
    {"STATUS", placeholder::status},
    {"RESPONSE_TIME", placeholder::response_time},
    {"CONNECTED", placeholder::connected},
    {"CERTIFICATE_EXPIRATION", placeholder::certificate_expiration},
    {"BODY", placeholder::body},
    {"CHAIN_ID", placeholder::chain_id},
    {"HEAD_BLOCK_AGE", placeholder::head_block_age},
    {"HEAD_BLOCK_LAG", placeholder::head_block_lag},
    {"PARTICIPATION", placeholder::participation},
    {"API_SETS", placeholder::api_sets},
    {"LAST_IRREVERSIBLE_LAG", placeholder::last_irreversible_lag},
    {"ES_LAG", placeholder::es_lag},
    {"ES_BLOCK_AGE", placeholder::es_block_age},
    {"ES_OBJECTS_LAG", placeholder::es_objects_lag},
};

class parser {
 public:
  parser(std::string_view text, const std::string& where) : t_(text), where_(where) {}

  condition parse() {
    condition c;
    c.text = std::string(t_);
    skip_ws();
    if (at_end()) fail("expected a condition such as [STATUS] == 200, got nothing");
    c.left = parse_operand();
    skip_ws();
    c.op = parse_op(c.left);
    skip_ws();
    if (at_end()) fail("expected a value after the operator");
    c.right = parse_operand();
    skip_ws();
    if (!at_end()) {
      fail("unexpected \"" + std::string(t_.substr(pos_)) + "\" after the condition");
    }
    if (c.op == comparison::has || c.op == comparison::not_has) {
      if (!(c.left.type == operand::kind::placeholder &&
            (c.left.ph == placeholder::api_sets || c.left.ph == placeholder::body))) {
        fail("`has` expects a list on the left, e.g. [API_SETS] has history");
      }
      if (c.right.type != operand::kind::literal) fail("`has` expects a name on the right");
    }
    return c;
  }

 private:
  [[noreturn]] void fail(const std::string& problem) const {
    throw input_error(where_, "condition \"" + std::string(t_) + "\": " + problem);
  }
  bool at_end() const { return pos_ >= t_.size(); }
  void skip_ws() {
    while (!at_end() && std::isspace(static_cast<unsigned char>(t_[pos_]))) ++pos_;
  }

  placeholder parse_placeholder() {
    // at '['
    const auto close = t_.find(']', pos_);
    if (close == std::string_view::npos) fail("expected ']' closing the placeholder");
    const std::string name(t_.substr(pos_ + 1, close - pos_ - 1));
    for (const auto& n : placeholders) {
      if (name == n.name) {
        pos_ = close + 1;
        return n.p;
      }
    }
    std::string known;
    for (const auto& n : placeholders)
      known += (known.empty() ? "[" : ", [") + std::string(n.name) + "]";
    fail("unknown placeholder [" + name + "] (expected one of " + known + ")");
  }

  void parse_path(operand& o) {
    while (!at_end() && (t_[pos_] == '.' || t_[pos_] == '[')) {
      if (t_[pos_] == '.') {
        ++pos_;
        const std::size_t start = pos_;
        while (!at_end() && (std::isalnum(static_cast<unsigned char>(t_[pos_])) ||
                             t_[pos_] == '_' || t_[pos_] == '-')) {
          ++pos_;
        }
        if (pos_ == start) fail("expected a field name after '.' in the JSON path");
        o.path.emplace_back(t_.substr(start, pos_ - start));
      } else {
        const auto close = t_.find(']', pos_);
        if (close == std::string_view::npos) fail("expected ']' in the JSON path");
        const std::string idx(t_.substr(pos_ + 1, close - pos_ - 1));
        if (idx.empty() || !std::all_of(idx.begin(), idx.end(), [](char ch) {
              return std::isdigit(static_cast<unsigned char>(ch));
            })) {
          fail("expected an array index such as [0] in the JSON path, got [" + idx + "]");
        }
        o.path.push_back("[" + idx + "]");
        pos_ = close + 1;
      }
    }
  }

  operand parse_operand() {
    operand o;
    if (t_[pos_] == '[') {
      o.type = operand::kind::placeholder;
      o.ph = parse_placeholder();
      if (o.ph == placeholder::body)
        parse_path(o);
      else if (!at_end() && t_[pos_] == '.')
        fail("only [BODY] takes a JSON path");
      return o;
    }
    if (t_.substr(pos_, 4) == "len(") {
      pos_ += 4;
      skip_ws();
      if (at_end() || t_[pos_] != '[')
        fail("expected a placeholder inside len(), e.g. len([API_SETS])");
      o.type = operand::kind::length;
      o.ph = parse_placeholder();
      if (o.ph == placeholder::body) parse_path(o);
      skip_ws();
      if (at_end() || t_[pos_] != ')') fail("expected ')' closing len(");
      ++pos_;
      return o;
    }
    o.type = operand::kind::literal;
    if (t_[pos_] == '"') {
      const auto close = t_.find('"', pos_ + 1);
      if (close == std::string_view::npos) fail("expected a closing '\"'");
      o.text = std::string(t_.substr(pos_ + 1, close - pos_ - 1));
      pos_ = close + 1;
      return o;
    }
    const std::size_t start = pos_;
    while (!at_end() && !std::isspace(static_cast<unsigned char>(t_[pos_]))) ++pos_;
    o.text = std::string(t_.substr(start, pos_ - start));
    if (o.text == "true" || o.text == "false") {
      o.is_bool = true;
      o.number = o.text == "true" ? 1 : 0;
    } else if (auto d = parse_duration_ms(o.text, 0)) {
      o.number = *d;
      o.is_duration = true;
    } else {
      char* end = nullptr;
      const double v = std::strtod(o.text.c_str(), &end);
      if (end && *end == '\0' && !o.text.empty() && std::isfinite(v)) o.number = v;
    }
    return o;
  }

  comparison parse_op(const operand& left) {
    static const std::pair<const char*, comparison> ops[] = {
        {"==", comparison::eq},        {"!=", comparison::ne},  {"<=", comparison::le},
        {">=", comparison::ge},        {"<", comparison::lt},   {">", comparison::gt},
        {"!has", comparison::not_has}, {"has", comparison::has}};
    for (const auto& [text, op] : ops) {
      const std::string_view s(text);
      if (t_.substr(pos_, s.size()) == s) {
        pos_ += s.size();
        return op;
      }
    }
    std::string after =
        left.type == operand::kind::literal ? "\"" + left.text + "\"" : "the placeholder";
    if (left.type != operand::kind::literal) after = placeholder_name(left.ph);
    fail("expected an operator (==, !=, <, <=, >, >=, has, !has) after " + after);
  }

  std::string_view t_;
  const std::string& where_;
  std::size_t pos_ = 0;
};

// A resolved operand.
struct value {
  bool missing = false;
  std::optional<double> number;
  std::string text;
  std::vector<std::string> list;
  bool is_list = false;
  bool duration = false;
};

std::string number_text(double v) {
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

value from_json(const json::value* v) {
  value out;
  if (!v) {
    out.missing = true;
    return out;
  }
  switch (v->kind()) {
    case json::kind::int64:
      out.number = static_cast<double>(v->get_int64());
      break;
    case json::kind::uint64:
      out.number = static_cast<double>(v->get_uint64());
      break;
    case json::kind::double_:
      out.number = v->get_double();
      break;
    case json::kind::bool_:
      out.number = v->get_bool() ? 1 : 0;
      out.text = v->get_bool() ? "true" : "false";
      return out;
    case json::kind::string: {
      out.text = std::string(v->get_string());
      char* end = nullptr;
      const double d = std::strtod(out.text.c_str(), &end);
      if (!out.text.empty() && end && *end == '\0') out.number = d;
      return out;
    }
    case json::kind::array:
      out.is_list = true;
      for (const auto& e : v->get_array()) {
        out.list.push_back(e.is_string() ? std::string(e.get_string()) : json::serialize(e));
      }
      out.text = json::serialize(*v);
      return out;
    case json::kind::null:
      out.text = "null";
      return out;
    default:
      out.text = json::serialize(*v);
      return out;
  }
  out.text = number_text(*out.number);
  return out;
}

const json::value* walk(const json::value& root, const std::vector<std::string>& path) {
  const json::value* v = &root;
  for (const auto& step : path) {
    if (step.front() == '[') {
      const std::size_t i = std::stoul(step.substr(1, step.size() - 2));
      if (!v->is_array() || i >= v->get_array().size()) return nullptr;
      v = &v->get_array()[i];
    } else {
      if (!v->is_object()) return nullptr;
      v = v->get_object().if_contains(step);
      if (!v) return nullptr;
    }
  }
  return v;
}

value resolve_placeholder(const operand& o, const facts& f) {
  value out;
  auto num = [&](const std::optional<double>& x, bool duration) {
    if (!x)
      out.missing = true;
    else {
      out.number = *x;
      out.duration = duration;
      out.text = duration ? format_duration_ms(*x) : number_text(*x);
    }
  };
  switch (o.ph) {
    case placeholder::status:
      if (f.status)
        num(static_cast<double>(*f.status), false);
      else
        out.missing = true;
      break;
    case placeholder::response_time:
      num(f.response_time_ms, true);
      break;
    case placeholder::connected:
      out.number = f.connected ? 1 : 0;
      out.text = f.connected ? "true" : "false";
      break;
    case placeholder::certificate_expiration:
      num(f.certificate_expiration_ms, true);
      break;
    case placeholder::body:
      if (!f.body)
        out.missing = true;
      else
        out = from_json(walk(*f.body, o.path));
      break;
    case placeholder::chain_id:
      if (!f.chain_id)
        out.missing = true;
      else
        out.text = *f.chain_id;
      break;
    case placeholder::head_block_age:
      num(f.head_block_age_ms, true);
      break;
    case placeholder::head_block_lag:
      num(f.head_block_lag, false);
      break;
    case placeholder::participation:
      num(f.participation, false);
      break;
    case placeholder::api_sets:
      if (!f.api_sets)
        out.missing = true;
      else {
        out.is_list = true;
        out.list = *f.api_sets;
        for (const auto& s : out.list) out.text += (out.text.empty() ? "" : ",") + s;
      }
      break;
    case placeholder::last_irreversible_lag:
      num(f.last_irreversible_lag, false);
      break;
    case placeholder::es_lag:
      num(f.es_lag, false);
      if (out.missing) out.text = f.es_lag_missing;
      break;
    case placeholder::es_block_age:
      num(f.es_block_age_ms, true);
      break;
    case placeholder::es_objects_lag:
      num(f.es_objects_lag, false);
      if (out.missing) out.text = f.es_objects_lag_missing;
      break;
  }
  return out;
}

value resolve(const operand& o, const facts& f) {
  if (o.type == operand::kind::literal) {
    value v;
    v.number = o.number;
    v.text = o.text;
    v.duration = o.is_duration;
    return v;
  }
  value v = resolve_placeholder(o, f);
  if (o.type == operand::kind::length) {
    value len;
    if (v.missing)
      len.missing = true;
    else {
      len.number = static_cast<double>(v.is_list ? v.list.size() : v.text.size());
      len.text = number_text(*len.number);
    }
    return len;
  }
  return v;
}

const char* op_text(comparison op) {
  switch (op) {
    case comparison::eq:
      return "==";
    case comparison::ne:
      return "!=";
    case comparison::lt:
      return "<";
    case comparison::le:
      return "<=";
    case comparison::gt:
      return ">";
    case comparison::ge:
      return ">=";
    case comparison::has:
      return "has";
    case comparison::not_has:
      return "!has";
  }
  return "?";
}

std::string operand_text(const operand& o) {
  if (o.type == operand::kind::literal) return o.text;
  std::string s = placeholder_name(o.ph);
  for (const auto& p : o.path) s += p.front() == '[' ? p : "." + p;
  return o.type == operand::kind::length ? "len(" + s + ")" : s;
}

}  // namespace

const char* placeholder_name(placeholder p) {
  for (const auto& n : placeholders) {
    if (n.p == p) {
      static thread_local std::string s;
      s = std::string("[") + n.name + "]";
      return s.c_str();
    }
  }
  return "[?]";
}

bool condition::uses(placeholder p) const {
  return (left.type != operand::kind::literal && left.ph == p) ||
         (right.type != operand::kind::literal && right.ph == p);
}

condition parse_condition(std::string_view text, const std::string& where) {
  return parser(text, where).parse();
}

evaluation evaluate(const condition& c, const facts& f) {
  const value l = resolve(c.left, f);
  const value r = resolve(c.right, f);
  evaluation e;
  auto side = [](const operand& o, const value& v) {
    std::string s = operand_text(o);
    if (o.type != operand::kind::literal)
      s += " (" + (v.missing ? (v.text.empty() ? std::string("missing") : v.text) : v.text) + ")";
    return s;
  };
  e.description = side(c.left, l) + " " + op_text(c.op) + " " + side(c.right, r);
  if (l.missing || r.missing) return e;
  if (c.op == comparison::has || c.op == comparison::not_has) {
    // bitshares-core names API sets "history_api", ...: `has history` matches either form.
    const std::string with_suffix = r.text + "_api";
    const bool found =
        l.is_list
            ? std::any_of(l.list.begin(), l.list.end(),
                          [&](const std::string& x) { return x == r.text || x == with_suffix; })
            : l.text.find(r.text) != std::string::npos;
    e.passed = (c.op == comparison::has) == found;
    return e;
  }
  if (l.number && r.number) {
    const double a = *l.number, b = *r.number;
    switch (c.op) {
      case comparison::eq:
        e.passed = a == b;
        break;
      case comparison::ne:
        e.passed = a != b;
        break;
      case comparison::lt:
        e.passed = a < b;
        break;
      case comparison::le:
        e.passed = a <= b;
        break;
      case comparison::gt:
        e.passed = a > b;
        break;
      case comparison::ge:
        e.passed = a >= b;
        break;
      default:
        break;
    }
    return e;
  }
  const int cmp = l.text.compare(r.text);
  switch (c.op) {
    case comparison::eq:
      e.passed = cmp == 0;
      break;
    case comparison::ne:
      e.passed = cmp != 0;
      break;
    case comparison::lt:
      e.passed = cmp < 0;
      break;
    case comparison::le:
      e.passed = cmp <= 0;
      break;
    case comparison::gt:
      e.passed = cmp > 0;
      break;
    case comparison::ge:
      e.passed = cmp >= 0;
      break;
    default:
      break;
  }
  return e;
}

std::optional<double> parse_duration_ms(std::string_view text, double bare_unit_ms) {
  if (text.empty()) return std::nullopt;
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
    ++i;
  if (i == 0) return std::nullopt;
  const std::string digits(text.substr(0, i));
  char* end = nullptr;
  const double v = std::strtod(digits.c_str(), &end);
  if (!end || *end != '\0') return std::nullopt;
  const std::string_view unit = text.substr(i);
  double scale = 0;
  if (unit.empty())
    scale = bare_unit_ms;
  else if (unit == "ms")
    scale = 1;
  else if (unit == "s")
    scale = 1000;
  else if (unit == "m")
    scale = 60'000;
  else if (unit == "h")
    scale = 3'600'000;
  else if (unit == "d")
    scale = 86'400'000;
  if (scale == 0) return std::nullopt;
  return v * scale;
}

std::string format_duration_ms(double ms) {
  char buf[64];
  const double a = std::fabs(ms);
  const char* sign = ms < 0 ? "-" : "";
  const auto whole = static_cast<long long>(a / 1000.0);  // seconds
  if (a < 1000)
    std::snprintf(buf, sizeof buf, "%.0fms", ms);
  else if (a < 60'000)
    std::snprintf(buf, sizeof buf, "%.1fs", ms / 1000);
  else if (a < 3'600'000)
    std::snprintf(buf, sizeof buf, "%s%lldm %llds", sign, whole / 60, whole % 60);
  else if (a < 172'800'000)
    std::snprintf(buf, sizeof buf, "%s%lldh %lldm", sign, whole / 3600, whole % 3600 / 60);
  else
    std::snprintf(buf, sizeof buf, "%s%lldd %lldh", sign, whole / 86400, whole % 86400 / 3600);
  return buf;
}

}  // namespace bts::uptime
