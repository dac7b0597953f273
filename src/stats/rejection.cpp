#include "stats/rejection.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>
#include <vector>

namespace bts::stats {

namespace json = boost::json;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string cap(std::string s) {
  if (s.size() > max_kind_length) s.resize(max_kind_length);
  while (!s.empty() && (s.back() == '_' || s.back() == ' ')) s.pop_back();
  return s;
}

// "Insufficient Balance" -> "insufficient_balance"; words holding digits are dropped.
std::string snake_words(std::string_view text) {
  std::string out, word;
  bool digits = false;
  auto flush = [&] {
    if (!word.empty() && !digits) {
      if (!out.empty()) out += '_';
      out += word;
    }
    word.clear();
    digits = false;
  };
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '_') {
      word += static_cast<char>(std::tolower(u));
      digits = digits || std::isdigit(u);
    } else {
      flush();
    }
  }
  flush();
  return cap(std::move(out));
}

// Whitespace collapsed to single spaces.
std::string collapsed(std::string_view text) {
  std::string out;
  for (const char c : trim(text)) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  return cap(std::move(out));
}

// The human part of a format or message: up to its first "${" or ":".
std::string_view human_head(std::string_view text) {
  const std::size_t end = std::min(text.find("${"), text.find(':'));
  return trim(text.substr(0, end));
}

// An FC_ASSERT text "<expression>: <format>": the words of the format, else the expression.
std::string assert_kind(std::string_view text) {
  const std::size_t sep = text.find(": ");
  std::string_view expression = sep == std::string_view::npos ? text : text.substr(0, sep);
  expression = trim(expression);
  if (expression.ends_with(':')) expression.remove_suffix(1);  // "<expression>: " trimmed
  const std::string_view rest = sep == std::string_view::npos ? "" : text.substr(sep + 2);
  if (std::string words = snake_words(human_head(rest)); !words.empty()) return words;
  if (std::string expr = collapsed(expression); !expr.empty()) return expr;
  return {};
}

// A plain (non-assert) text: the words before its first "${" or ":".
std::string message_kind(std::string_view text) { return snake_words(human_head(text)); }

// Names that say nothing more than the code: the kind then comes from the messages.
bool generic_name(std::string_view name) {
  static constexpr std::array<std::string_view, 6> generic = {
      "exception",           "assert_exception", "unspecified_exception",
      "unhandled_exception", "std_exception",    ""};
  return std::find(generic.begin(), generic.end(), name) != generic.end();
}

const json::string* string_at(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v ? v->if_string() : nullptr;
}

std::string kind_of(std::int64_t code, std::string_view message, const json::value& data) {
  const json::object* d = data.if_object();
  std::string_view name;
  if (d) {
    if (const json::string* n = string_at(*d, "name")) name = *n;
  }
  const bool assert_like = code == 10 || name == "assert_exception";
  if (!generic_name(name)) return snake_words(name);
  if (d) {
    if (const json::value* st = d->if_contains("stack"); st && st->is_array()) {
      for (const json::value& e : st->get_array()) {  // the innermost message with a format
        const json::object* eo = e.if_object();
        const json::string* f = eo ? string_at(*eo, "format") : nullptr;
        if (!f || trim(*f).empty()) continue;
        std::string k = assert_like ? assert_kind(*f) : message_kind(*f);
        if (!k.empty()) return k;
        break;
      }
    }
  }
  // No usable data: error.message, "Execution error: <what>: <first message> <more>...".
  std::string_view m = trim(message);
  if (m.starts_with("Execution error:")) m = trim(m.substr(16));
  const std::size_t what_end = m.find(": ");
  if (what_end == std::string_view::npos) return message_kind(m);
  const std::string_view what = m.substr(0, what_end), rest = m.substr(what_end + 2);
  if (!assert_like) {
    std::string k = message_kind(what);
    if (!k.empty() && k != "unspecified" && k != "unknown_exception" && k != "exception") return k;
  }
  return assert_like ? assert_kind(rest) : message_kind(rest);
}

// 91071 -> "91,071".
std::string grouped_count(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

bool contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

}  // namespace

std::string_view to_string(rejection_side side) {
  return side == rejection_side::beacon ? "beacon" : "network";
}

std::string rejection_key(std::int64_t code, std::string_view message, const json::value& data) {
  std::string key = "fc:" + std::to_string(code);
  const std::string kind = kind_of(code, message, data);
  if (!kind.empty()) key += ' ' + kind;
  return key;
}

rejection_parts split_rejection(std::string_view key) {
  const std::size_t sp = key.find(' ');
  if (sp == std::string_view::npos) return {key, {}};
  return {key.substr(0, sp), key.substr(sp + 1)};
}

rejection_side side_of(std::string_view key) {
  const auto [code, kind] = split_rejection(key);
  // The codes of the transaction's own make-up: duplicate (3030001), missing or irrelevant
  // authority and signatures, committee approval, insufficient fee (4010001..4010007).
  if (code == "fc:3030001") return rejection_side::beacon;
  if (code.starts_with("fc:401000") && code.size() == 10) return rejection_side::beacon;
  if (kind.empty() || kind == "other") return rejection_side::network;
  if (kind == "other_beacon_side") return rejection_side::beacon;
  // Funds, expiration of pre-signed transactions, fees, signatures, TaPoS, objects (accounts,
  // assets) the beacon's setup names that do not exist.
  static constexpr std::array<std::string_view, 15> beacon_words = {"insufficient_balance",
                                                                    "insufficient balance",
                                                                    "expiration",
                                                                    "duplicate",
                                                                    "fee",
                                                                    "authority",
                                                                    "missing",
                                                                    "signature",
                                                                    "is_canonical",
                                                                    "irrelevant_sig",
                                                                    "ref_block",
                                                                    "tapos",
                                                                    "unable_to_find_object",
                                                                    "get_balance",
                                                                    "transaction_size"};
  for (const std::string_view w : beacon_words) {
    if (contains(kind, w)) return rejection_side::beacon;
  }
  return rejection_side::network;
}

void add_rejection(std::map<std::string, std::int64_t>& by_reason, const std::string& key,
                   std::int64_t n) {
  if (by_reason.size() < max_reasons || by_reason.contains(key)) {
    by_reason[key] += n;
    return;
  }
  const bool beacon = side_of(key) == rejection_side::beacon;
  std::string fold(split_rejection(key).code);
  fold += beacon ? " other_beacon_side" : " other";
  // The folds are bounded too: past twice the cap, one per side whatever the code.
  if (!by_reason.contains(fold) && by_reason.size() >= 2 * max_reasons) {
    fold = beacon ? "fc:* other_beacon_side" : "fc:* other";
  }
  by_reason[fold] += n;
}

side_totals totals_by_side(const std::map<std::string, std::int64_t>& by_reason) {
  side_totals t;
  for (const auto& [key, n] : by_reason) {
    (side_of(key) == rejection_side::beacon ? t.beacon : t.network) += n;
  }
  return t;
}

json::object sides_json(const std::map<std::string, std::int64_t>& by_reason) {
  const side_totals t = totals_by_side(by_reason);
  return {{"beacon", t.beacon}, {"network", t.network}};
}

json::array rejections_json(const std::map<std::string, std::int64_t>& by_reason) {
  std::vector<std::pair<std::int64_t, std::string_view>> top;
  for (const auto& [key, n] : by_reason) top.emplace_back(n, key);
  std::stable_sort(top.begin(), top.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  json::array out;
  for (const auto& [n, key] : top) {
    const rejection_parts parts = split_rejection(key);
    out.push_back(json::object{{"reason", key},
                               {"code", parts.code},
                               {"kind", parts.kind},
                               {"side", to_string(side_of(key))},
                               {"count", n}});
  }
  return out;
}

std::string reasons_text(const std::map<std::string, std::int64_t>& by_reason, rejection_side side,
                         std::size_t limit) {
  std::vector<std::pair<std::int64_t, std::string_view>> of_side;
  for (const auto& [key, n] : by_reason) {
    if (n > 0 && side_of(key) == side) of_side.emplace_back(n, key);
  }
  std::stable_sort(of_side.begin(), of_side.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::string out;
  for (std::size_t i = 0; i < of_side.size() && i < limit; ++i) {
    if (i > 0) out += ", ";
    out += std::string(of_side[i].second) + ": " + grouped_count(of_side[i].first);
  }
  if (of_side.size() > limit) out += " and " + std::to_string(of_side.size() - limit) + " more";
  return out;
}

}  // namespace bts::stats
