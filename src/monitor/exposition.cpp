#include "monitor/exposition.hpp"

#include "util/error.hpp"

#include <charconv>
#include <cmath>
#include <limits>

namespace bts::monitor {

namespace {

bool name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }
bool blank(char c) { return c == ' ' || c == '\t'; }

// Quoted for error messages: cut short, quotes and backslashes escaped, control characters
// replaced.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s.substr(0, 40)) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += '?';
    } else {
      out += c;
    }
  }
  if (s.size() > 40) out += "...";
  return out + "\"";
}

// Go's strconv.ParseFloat as the Prometheus parser uses it, minus hex floats and underscores:
// decimal and exponent forms, an optional sign, NaN and Inf/Infinity in any case.
std::optional<double> parse_float(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool negative = false;
  std::string_view body = s;
  if (body.front() == '+' || body.front() == '-') {
    negative = body.front() == '-';
    body.remove_prefix(1);
  }
  const auto iequals = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      char x = a[i];
      if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
      if (x != b[i]) return false;
    }
    return true;
  };
  if (iequals(body, "nan")) return std::numeric_limits<double>::quiet_NaN();
  if (iequals(body, "inf") || iequals(body, "infinity")) {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  if (body.empty() || !(body.front() == '.' || (body.front() >= '0' && body.front() <= '9'))) {
    return std::nullopt;
  }
  double v = 0;
  const auto [end, ec] =
      std::from_chars(body.data(), body.data() + body.size(), v, std::chars_format::general);
  if (end != body.data() + body.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // Go returns ±Inf for overflow and 0 for underflow with an error; Prometheus rejects both.
    return std::nullopt;
  }
  if (ec != std::errc()) return std::nullopt;
  return negative ? -v : v;
}

class line_parser {
 public:
  line_parser(std::string_view line, std::string where) : s_(line), where_(std::move(where)) {}

  [[noreturn]] void fail(const std::string& problem) const { throw input_error(where_, problem); }

  bool at_end() const { return i_ == s_.size(); }
  char peek() const { return s_[i_]; }
  // Returns whether anything was skipped.
  bool skip_blanks() {
    const std::size_t start = i_;
    while (i_ < s_.size() && blank(s_[i_])) ++i_;
    return i_ != start;
  }

  std::string_view metric_name(const char* what) {
    const std::size_t start = i_;
    if (at_end() || !name_start(peek())) fail("expected " + std::string(what) + rest_hint());
    while (i_ < s_.size() && name_char(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }

  std::string_view label_name() {
    const std::size_t start = i_;
    if (at_end() || !name_start(peek()) || peek() == ':')
      fail("expected a label name" + rest_hint());
    while (i_ < s_.size() && name_char(s_[i_]) && s_[i_] != ':') ++i_;
    return s_.substr(start, i_ - start);
  }

  std::string label_value(std::string_view label) {
    if (at_end() || peek() != '"') {
      fail("expected '\"' to open the value of label " + quote(label) + rest_hint());
    }
    ++i_;
    std::string out;
    while (true) {
      if (at_end()) fail("unterminated value of label " + quote(label));
      const char c = s_[i_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_end()) fail("unterminated value of label " + quote(label));
      const char e = s_[i_++];
      if (e == '\\') {
        out += '\\';
      } else if (e == '"') {
        out += '"';
      } else if (e == 'n') {
        out += '\n';
      } else {
        fail("invalid escape \"\\" + std::string(1, e) + "\" in the value of label " +
             quote(label) + " (expected \\\\, \\\" or \\n)");
      }
    }
  }

  // The next blank-separated token (may be empty at the end).
  std::string_view token() {
    const std::size_t start = i_;
    while (i_ < s_.size() && !blank(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }

  void expect(char c, const std::string& context) {
    if (at_end() || peek() != c) {
      fail("expected '" + std::string(1, c) + "' " + context + rest_hint());
    }
    ++i_;
  }

  std::string_view rest() const { return s_.substr(i_); }

  std::string rest_hint() const {
    if (at_end()) return " (end of line)";
    return " at " + quote(s_.substr(i_));
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
  std::string where_;
};

std::string unescape_help(std::string_view text, const line_parser& p) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    if (i + 1 == text.size()) p.fail("HELP text ends with a lone '\\'");
    const char e = text[++i];
    if (e == '\\') {
      out += '\\';
    } else if (e == 'n') {
      out += '\n';
    } else {
      p.fail("invalid escape \"\\" + std::string(1, e) + "\" in HELP text (expected \\\\ or \\n)");
    }
  }
  return out;
}

bool known_type(std::string_view t) {
  return t == "counter" || t == "gauge" || t == "histogram" || t == "summary" || t == "untyped";
}

}  // namespace

const std::string* metric_sample::label(std::string_view n) const {
  for (const auto& [k, v] : labels) {
    if (k == n) return &v;
  }
  return nullptr;
}

std::vector<const metric_sample*> exposition::find(std::string_view name) const {
  std::vector<const metric_sample*> out;
  const auto it = by_name_.find(std::string(name));
  if (it == by_name_.end()) return out;
  out.reserve(it->second.size());
  for (std::size_t i : it->second) out.push_back(&samples_[i]);
  return out;
}

std::optional<double> exposition::value(std::string_view name,
                                        std::initializer_list<label_match> match) const {
  const auto it = by_name_.find(std::string(name));
  if (it == by_name_.end()) return std::nullopt;
  for (std::size_t i : it->second) {
    const metric_sample& s = samples_[i];
    bool all = true;
    for (const label_match& m : match) {
      const std::string* v = s.label(m.name);
      if (v == nullptr || *v != m.value) {
        all = false;
        break;
      }
    }
    if (all) return s.value;
  }
  return std::nullopt;
}

bool exposition::has(std::string_view name) const { return by_name_.contains(std::string(name)); }

std::string exposition::type(std::string_view name) const {
  const auto it = type_help_.find(std::string(name));
  return it == type_help_.end() ? std::string() : it->second.first;
}

std::string exposition::help(std::string_view name) const {
  const auto it = type_help_.find(std::string(name));
  return it == type_help_.end() ? std::string() : it->second.second;
}

exposition parse_exposition(std::string_view text, const std::string& source,
                            std::size_t max_bytes) {
  if (text.size() > max_bytes) {
    throw input_error(source, "exposition of " + std::to_string(text.size()) +
                                  " bytes is larger than the limit of " +
                                  std::to_string(max_bytes));
  }
  exposition out;
  std::unordered_map<std::string, std::pair<bool, bool>> seen_type_help;  // per metric name
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    line_parser p(line, source + " line " + std::to_string(line_no));
    p.skip_blanks();
    if (p.at_end()) continue;

    if (p.peek() == '#') {
      p.expect('#', "");
      p.skip_blanks();
      const std::string_view keyword = p.token();
      if (keyword != "HELP" && keyword != "TYPE") continue;  // a comment
      p.skip_blanks();
      const std::string name(
          p.metric_name(std::string("a metric name after # ").append(keyword).c_str()));
      auto& [has_type, has_help] = seen_type_help[name];
      auto& [type, help] = out.type_help_[name];
      if (keyword == "TYPE") {
        if (p.at_end() || !blank(p.peek())) p.fail("expected a type after # TYPE " + name);
        p.skip_blanks();
        const std::string_view t = p.token();
        p.skip_blanks();
        if (!known_type(t) || !p.at_end()) {
          p.fail("unknown type " + quote(std::string(t) + std::string(p.rest())) + " for " + name +
                 " (expected counter, gauge, histogram, summary or untyped)");
        }
        if (has_type) p.fail("second TYPE line for " + name);
        if (out.by_name_.contains(name)) p.fail("TYPE line for " + name + " after its samples");
        has_type = true;
        type = std::string(t);
      } else {
        if (has_help) p.fail("second HELP line for " + name);
        has_help = true;
        if (!p.at_end()) {
          if (!blank(p.peek())) p.fail("expected a blank after # HELP " + name + p.rest_hint());
          p.skip_blanks();
          help = unescape_help(p.rest(), p);
        }
      }
      continue;
    }

    metric_sample s;
    s.name = std::string(p.metric_name("a metric name or '#'"));
    bool separated = p.skip_blanks();
    if (!p.at_end() && p.peek() == '{') {
      p.expect('{', "");
      while (true) {
        p.skip_blanks();
        if (!p.at_end() && p.peek() == '}') break;
        const std::string label(p.label_name());
        p.skip_blanks();
        p.expect('=', "after label name " + quote(label));
        p.skip_blanks();
        std::string value = p.label_value(label);
        if (s.label(label) != nullptr) p.fail("label " + quote(label) + " appears twice");
        s.labels.emplace_back(label, std::move(value));
        p.skip_blanks();
        if (!p.at_end() && p.peek() == ',') {
          p.expect(',', "");
          continue;
        }
        if (p.at_end() || p.peek() != '}') {
          p.fail("expected ',' or '}' after the value of label " + quote(label) + p.rest_hint());
        }
      }
      p.expect('}', "");
      p.skip_blanks();
      separated = true;  // as Prometheus: `m{a="1"}1` is a value after the label set
    }
    if (p.at_end()) p.fail("expected a value after " + s.name + " (end of line)");
    if (!separated) p.fail("expected a blank and a value after " + s.name + p.rest_hint());
    const std::string_view value_text = p.token();
    const auto v = parse_float(value_text);
    if (!v) p.fail("invalid value " + quote(value_text) + " for " + s.name);
    s.value = *v;
    p.skip_blanks();
    if (!p.at_end()) {
      const std::string_view ts = p.token();
      std::int64_t t = 0;
      const auto [tend, tec] = std::from_chars(ts.data(), ts.data() + ts.size(), t);
      if (tec != std::errc() || tend != ts.data() + ts.size()) {
        p.fail("invalid timestamp " + quote(ts) + " (expected integer milliseconds)");
      }
      s.timestamp_ms = t;
      p.skip_blanks();
      if (!p.at_end()) p.fail("unexpected text after the timestamp" + p.rest_hint());
    }
    out.by_name_[s.name].push_back(out.samples_.size());
    out.samples_.push_back(std::move(s));
  }
  return out;
}

}  // namespace bts::monitor
