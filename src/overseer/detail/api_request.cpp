#include "overseer/detail/api_request.hpp"

#include <cmath>

#include "scenario/scenario.hpp"
#include "stats/json_io.hpp"
#include "util/error.hpp"

namespace bts::overseer::detail {

namespace json = boost::json;
namespace sj = stats::json;

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(const std::string& value) {
  std::string decoded;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '%' && i + 2 < value.size() + 1 && i + 2 <= value.size() - 1 &&
        hex(value[i + 1]) >= 0 && hex(value[i + 2]) >= 0) {
      decoded.push_back(static_cast<char>(hex(value[i + 1]) * 16 + hex(value[i + 2])));
      i += 2;
    } else if (value[i] == '+') {
      decoded.push_back(' ');
    } else {
      decoded.push_back(value[i]);
    }
  }
  return decoded;
}

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

// {"scenario": ..., ...}: the fields of a JSON body. Returns the preset named, if any.
std::string read_wrapper(const json::object& o, run_request& r) {
  for (const auto& kv : o) {
    const std::string k(kv.key());
    if (k != "scenario" && k != "preset" && k != "name" && k != "beacons" && k != "rate" &&
        k != "duration" && k != "scenario_name" && k != "ignore_fee_budget") {
      throw input_error(k,
                        "unknown field (expected scenario, preset, name, beacons, rate, "
                        "duration, ignore_fee_budget)");
    }
  }
  r.scenario_text = sj::get_optional_string(o, "scenario", "").value_or("");
  std::string preset = sj::get_optional_string(o, "preset", "").value_or("");
  r.name = sj::get_optional_string(o, "name", "").value_or("");
  r.scenario_name = sj::get_optional_string(o, "scenario_name", "").value_or("");
  r.duration = sj::get_optional_string(o, "duration", "").value_or("");
  if (const auto* ig = o.if_contains("ignore_fee_budget")) {
    if (!ig->is_bool()) throw input_error("ignore_fee_budget", "expected true or false");
    r.ignore_fee_budget = ig->get_bool();
  }
  if (auto* b = o.if_contains("beacons")) {
    const json::array& a = sj::as_array(*b, "beacons");
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!a[i].is_string()) throw input_error(sj::index_path("beacons", i), "expected a string");
      r.beacons.emplace_back(a[i].get_string());
    }
  }
  if (auto* rate = o.if_contains("rate"); rate && !rate->is_null()) {
    r.rate = parse_total_rate(*rate, "rate");
  }
  return preset;
}

// The scenario as the body, the other fields in the query. Returns the preset named, if any.
std::string read_query(std::string_view body, const std::map<std::string, std::string>& query,
                       run_request& r) {
  r.scenario_text = std::string(body);
  auto get = [&](const char* k) {
    auto it = query.find(k);
    return it == query.end() ? std::string() : it->second;
  };
  r.name = get("name");
  r.scenario_name = get("scenario_name");
  r.duration = get("duration");
  if (const std::string ig = get("ignore_fee_budget"); !ig.empty()) {
    if (ig != "true" && ig != "false")
      throw input_error("ignore_fee_budget", "expected true or false, got \"" + ig + "\"");
    r.ignore_fee_budget = ig == "true";
  }
  std::string bs = get("beacons");
  for (std::size_t i = 0; !bs.empty();) {
    auto c = bs.find(',', i);
    r.beacons.push_back(bs.substr(i, c - i));
    if (c == std::string::npos) break;
    i = c + 1;
  }
  if (!get("rate").empty()) r.rate = parse_total_rate(json::value(get("rate")), "rate");
  return get("preset");
}

}  // namespace

std::map<std::string, std::string> parse_query(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    auto eq = part.find('=');
    std::string key(part.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : std::string(part.substr(eq + 1));
    out[key] = percent_decode(value);
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

std::vector<std::string> split_path(std::string_view p) {
  std::vector<std::string> out;
  while (!p.empty()) {
    if (p.front() == '/') {
      p.remove_prefix(1);
      continue;
    }
    auto slash = p.find('/');
    out.emplace_back(p.substr(0, slash));
    if (slash == std::string_view::npos) break;
    p.remove_prefix(slash);
  }
  return out;
}

double parse_total_rate(const json::value& v, const std::string& where) {
  double rate = 0;
  if (v.is_string())
    rate = load::parse_rate(v.get_string(), where);
  else if (v.is_number())
    rate = v.to_number<double>();
  else
    throw input_error(where, "expected a rate (number of tx/s)");
  if (!(rate > 0) || !std::isfinite(rate)) throw input_error(where, "expected a rate > 0");
  return rate;
}

run_request parse_run_request(const rpc::http_request_info& req,
                              const std::map<std::string, std::string>& query) {
  run_request r;
  std::string preset;
  const std::string_view body = req.body;
  const bool json_body = !body.empty() && !blank(body) &&
                         body[body.find_first_not_of(" \t\r\n")] == '{';
  bool wrapper = false;
  json::object o;
  if (json_body) {
    json::value v = sj::parse(body, "body");
    if (v.is_object() && (v.as_object().contains("scenario") || v.as_object().contains("preset"))) {
      wrapper = true;
      o = v.as_object();
    }
  }
  preset = wrapper ? read_wrapper(o, r) : read_query(body, query, r);
  if (!preset.empty()) {
    if (!r.scenario_text.empty() && !blank(r.scenario_text)) {
      throw input_error("preset", "give a scenario or a preset, not both");
    }
    try {
      r.scenario_text = scenarios::preset_text(preset);
    } catch (const input_error& e) {
      throw input_error("preset", e.problem());
    }
    if (r.scenario_name.empty()) r.scenario_name = preset;
  }
  if (blank(r.scenario_text)) {
    throw input_error("scenario", "missing: send a scenario (YAML or JSON) or a preset");
  }
  if (r.scenario_name.empty()) r.scenario_name = "scenario";
  return r;
}

}  // namespace bts::overseer::detail
