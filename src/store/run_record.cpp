#include "store/run_record.hpp"

#include <array>
#include <chrono>
#include <cstdio>

#include "stats/json_io.hpp"
#include "util/error.hpp"
#include "util/time.hpp"

namespace bts::store {
namespace {

constexpr std::array<std::string_view, 5> status_names = {"created", "running", "completed",
                                                          "stopped", "failed"};
constexpr std::array<std::string_view, 8> event_names = {
    "start", "stop", "rate_change", "error", "break_point", "beacon_joined", "beacon_lost", "note"};

bool name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

void check_name(std::string_view text, std::size_t max, const std::string& where,
                std::string_view what) {
  bool ok = !text.empty() && text.size() <= max && text.front() != '.' && text.front() != '-';
  for (char c : text) ok = ok && name_char(c);
  if (!ok) {
    throw input_error(where, "invalid " + std::string(what) + " \"" + std::string(text) +
                                 "\": expected 1 to " + std::to_string(max) +
                                 " characters from A-Z a-z 0-9 . _ -, not starting with . or -");
  }
}

}  // namespace

unix_ms now_unix_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string format_unix_ms(unix_ms t) {
  const unix_ms s = t >= 0 ? t / 1000 : (t - 999) / 1000;
  const unix_ms ms = t - s * 1000;
  char buf[8];
  std::snprintf(buf, sizeof buf, ".%03lldZ", static_cast<long long>(ms));
  return format_time_point_sec(static_cast<std::uint32_t>(s)) + buf;
}

unix_ms parse_unix_ms(std::string_view text, const std::string& where) {
  std::string_view s = text;
  if (!s.empty() && s.back() == 'Z') s.remove_suffix(1);
  unix_ms ms = 0;
  if (s.size() > 19 && s[19] == '.') {
    const std::string_view frac = s.substr(20);
    bool ok = frac.size() == 3;
    for (char c : frac) ok = ok && c >= '0' && c <= '9';
    if (!ok)
      throw input_error(
          where, "expected a time as YYYY-MM-DDTHH:MM:SS.mmmZ, got \"" + std::string(text) + "\"");
    ms = (frac[0] - '0') * 100 + (frac[1] - '0') * 10 + (frac[2] - '0');
    s = s.substr(0, 19);
  }
  try {
    return static_cast<unix_ms>(parse_time_point_sec(s)) * 1000 + ms;
  } catch (const input_error&) {
    throw input_error(
        where, "expected a time as YYYY-MM-DDTHH:MM:SS.mmmZ, got \"" + std::string(text) + "\"");
  }
}

std::string_view name(run_status s) { return status_names[static_cast<std::size_t>(s)]; }

std::optional<run_status> parse_run_status(std::string_view text) {
  for (std::size_t i = 0; i < status_names.size(); ++i) {
    if (status_names[i] == text) return static_cast<run_status>(i);
  }
  return std::nullopt;
}

std::string_view name(event_kind k) { return event_names[static_cast<std::size_t>(k)]; }

std::optional<event_kind> parse_event_kind(std::string_view text) {
  for (std::size_t i = 0; i < event_names.size(); ++i) {
    if (event_names[i] == text) return static_cast<event_kind>(i);
  }
  return std::nullopt;
}

void check_run_id(std::string_view id, const std::string& where) {
  check_name(id, 128, where, "run id");
}

void check_beacon_name(std::string_view name, const std::string& where) {
  check_name(name, 64, where, "beacon name");
}

void check_manifest(const boost::json::object& manifest) {
  for (auto key : reserved_manifest_keys) {
    if (manifest.contains(key)) {
      throw input_error("manifest." + std::string(key), "reserved (manifest.json uses this name)");
    }
  }
}

encoded_histograms encode(const stats::latency_set& set) {
  encoded_histograms out;
  for (auto k : stats::all_latency_kinds) out[static_cast<std::size_t>(k)] = set[k].encode();
  return out;
}

stats::latency_set decode(const encoded_histograms& h) {
  stats::latency_set set;
  for (auto k : stats::all_latency_kinds) {
    const std::string& text = h[static_cast<std::size_t>(k)];
    if (text.empty()) continue;
    try {
      set[k].merge_encoded(text);
    } catch (const input_error& e) {
      throw e.within(std::string(stats::name(k)));
    }
  }
  return set;
}

boost::json::object to_json(const event& e) {
  boost::json::object o;
  o["time"] = format_unix_ms(e.time);
  o["kind"] = name(e.kind);
  o["beacon"] = e.beacon;
  o["data"] = e.data;
  return o;
}

event event_from_json(const boost::json::value& v, const std::string& where) {
  namespace json = stats::json;
  const auto& o = json::as_object(v, where);
  event e;
  e.time = parse_unix_ms(json::get_string(o, "time", where), json::member_path(where, "time"));
  const std::string kind = json::get_string(o, "kind", where);
  const auto k = parse_event_kind(kind);
  if (!k) {
    throw input_error(json::member_path(where, "kind"),
                      "unknown event kind \"" + kind +
                          "\" (expected start, stop, rate_change, error, break_point, "
                          "beacon_joined, beacon_lost or note)");
  }
  e.kind = *k;
  e.beacon = json::get_string(o, "beacon", where);
  if (!e.beacon.empty()) check_beacon_name(e.beacon, json::member_path(where, "beacon"));
  e.data = json::as_object(json::get(o, "data", where), json::member_path(where, "data"));
  return e;
}

boost::json::object to_json(const beacon_info& b) {
  boost::json::object o;
  o["name"] = b.name;
  o["info"] = b.info;
  return o;
}

beacon_info beacon_from_json(const boost::json::value& v, const std::string& where) {
  namespace json = stats::json;
  const auto& o = json::as_object(v, where);
  beacon_info b;
  b.name = json::get_string(o, "name", where);
  check_beacon_name(b.name, json::member_path(where, "name"));
  b.info = json::as_object(json::get(o, "info", where), json::member_path(where, "info"));
  return b;
}

boost::json::object to_json(const block_record& b) {
  boost::json::object o;
  o["block_num"] = b.block_num;
  o["time_ms"] = b.time_ms;
  o["witness"] = b.witness;
  o["transactions"] = b.transactions;
  o["operations"] = b.operations;
  o["bytes"] = b.bytes;
  o["run_transactions"] = b.run_transactions;
  o["max_block_size"] = b.max_block_size;
  return o;
}

block_record block_from_json(const boost::json::value& v, const std::string& where) {
  namespace json = stats::json;
  const auto& o = json::as_object(v, where);
  block_record b;
  b.block_num = json::get_count(o, "block_num", where);
  b.time_ms = json::get_int(o, "time_ms", where);
  b.witness = json::get_string(o, "witness", where);
  b.transactions = json::get_count(o, "transactions", where);
  b.operations = json::get_count(o, "operations", where);
  b.bytes = json::get_count(o, "bytes", where);
  b.run_transactions = json::get_count(o, "run_transactions", where);
  b.max_block_size = json::get_count(o, "max_block_size", where);
  return b;
}

std::map<std::string, stats::node_tx_counts> node_tx_of(const std::vector<event>& events) {
  std::map<std::string, stats::node_tx_counts> out;
  for (const event& e : events) {
    if (e.kind != event_kind::note) continue;
    const boost::json::value* nodes = e.data.if_contains("per_node");
    if (nodes == nullptr || !nodes->is_array()) continue;
    for (const boost::json::value& v : nodes->get_array()) {
      const boost::json::object* o = v.if_object();
      if (o == nullptr) continue;
      const boost::json::value* url = o->if_contains("url");
      if (url == nullptr || !url->is_string()) continue;
      const auto count = [o](const char* key) -> std::int64_t {
        const boost::json::value* n = o->if_contains(key);
        return n != nullptr && n->is_int64() && n->as_int64() >= 0 ? n->as_int64() : 0;
      };
      stats::node_tx_counts& c = out[std::string(url->get_string())];
      c.sent += count("sent");
      c.accepted += count("accepted");
      c.included += count("included");
    }
  }
  return out;
}

}  // namespace bts::store
