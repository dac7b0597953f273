#include "control/protocol.hpp"

#include <chrono>
#include <cmath>
#include <initializer_list>

#include "stats/json_io.hpp"
#include "util/error.hpp"

namespace bts::control {

namespace json = boost::json;
namespace sj = stats::json;

unix_us now_unix_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

constexpr std::string_view state_names[] = {"idle",    "configured", "prepared",
                                            "running", "finished",   "failed"};

// Rejects members not in `known`: a misspelt optional member must not be silently dropped.
void check_members(const json::object& o, std::initializer_list<std::string_view> known,
                   const std::string& where) {
  for (const auto& kv : o) {
    bool ok = false;
    for (auto k : known) ok = ok || kv.key() == k;
    if (!ok) throw input_error(sj::member_path(where, kv.key()), "unknown member");
  }
}

std::string opt_string(const json::object& o, std::string_view key, const std::string& where) {
  return sj::get_optional_string(o, key, where).value_or("");
}

std::uint64_t get_uint(const json::object& o, std::string_view key, const std::string& where) {
  return static_cast<std::uint64_t>(sj::get_count(o, key, where));
}

std::vector<std::string> get_strings(const json::object& o, std::string_view key,
                                     const std::string& where, bool required) {
  std::vector<std::string> out;
  const json::value* v = o.if_contains(key);
  if (v == nullptr) {
    if (required) throw input_error(sj::member_path(where, key), "missing");
    return out;
  }
  const std::string path = sj::member_path(where, key);
  const json::array& a = sj::as_array(*v, path);
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_string()) throw input_error(sj::index_path(path, i), "expected a string");
    out.emplace_back(a[i].get_string());
  }
  return out;
}

beacon_state get_state(const json::object& o, const std::string& where) {
  const std::string s = sj::get_string(o, "state", where);
  auto st = parse_beacon_state(s);
  if (!st) {
    throw input_error(sj::member_path(where, "state"),
                      "unknown state \"" + s +
                          "\" (expected idle, configured, prepared, running, finished or failed)");
  }
  return *st;
}

std::string get_run(const json::object& o, const std::string& where, bool required) {
  std::string run = required ? sj::get_string(o, "run", where) : opt_string(o, "run", where);
  if (!run.empty()) store::check_run_id(run, sj::member_path(where, "run"));
  if (required && run.empty()) throw input_error(sj::member_path(where, "run"), "empty");
  return run;
}

json::array strings_json(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

}  // namespace

std::string_view name(beacon_state s) { return state_names[static_cast<int>(s)]; }

std::optional<beacon_state> parse_beacon_state(std::string_view text) {
  for (int i = 0; i < 6; ++i) {
    if (state_names[i] == text) return static_cast<beacon_state>(i);
  }
  return std::nullopt;
}

// ---- beacon messages --------------------------------------------------------------------------

std::string_view message_type(const beacon_message& m) {
  static constexpr std::string_view names[] = {"register", "heartbeat", "pong",
                                               "stats",    "event",     "ack"};
  return names[m.index()];
}

json::object to_json(const beacon_message& m) {
  json::object o;
  if (auto* r = std::get_if<register_msg>(&m)) {
    o["protocol"] = r->protocol;
    o["name"] = r->name;
    o["version"] = r->version;
    o["host"] = r->host;
    o["cores"] = r->cores;
    o["commands"] = r->commands;
    o["state"] = name(r->state);
    o["run"] = r->run;
    o["last_second"] = r->last_second;
    o["nodes"] = strings_json(r->nodes);
  } else if (auto* h = std::get_if<heartbeat_msg>(&m)) {
    o["state"] = name(h->state);
    o["run"] = h->run;
    o["last_second"] = h->last_second;
    if (h->rate) o["rate"] = *h->rate;
    if (!h->error.empty()) o["error"] = h->error;
  } else if (auto* p = std::get_if<pong_msg>(&m)) {
    o["command"] = p->command;
    o["t0"] = p->t0;
    o["t1"] = p->t1;
    o["t2"] = p->t2;
  } else if (auto* s = std::get_if<stats_msg>(&m)) {
    o["run"] = s->run;
    json::array rows;
    rows.reserve(s->rows.size());
    for (const auto& r : s->rows) rows.emplace_back(stats::to_json(r));
    o["rows"] = std::move(rows);
    if (!s->blocks.empty()) {
      json::array blocks;
      for (const auto& b : s->blocks) blocks.emplace_back(store::to_json(b));
      o["blocks"] = std::move(blocks);
    }
  } else if (auto* e = std::get_if<event_msg>(&m)) {
    o["run"] = e->run;
    o["time"] = e->time;
    o["kind"] = store::name(e->kind);
    o["data"] = e->data;
  } else if (auto* a = std::get_if<ack_msg>(&m)) {
    o["command"] = a->command;
    o["ok"] = a->ok;
    if (!a->error.empty()) o["error"] = a->error;
  }
  return o;
}

beacon_message parse_beacon_message(std::string_view type, const json::array& args) {
  const std::string where(type);
  static constexpr std::string_view known =
      "expected register, heartbeat, pong, stats, event or ack";
  if (type != "register" && type != "heartbeat" && type != "pong" && type != "stats" &&
      type != "event" && type != "ack") {
    throw input_error("type",
                      "unknown message type \"" + where + "\" (" + std::string(known) + ")");
  }
  if (args.size() != 1) {
    throw input_error(where, "expected one body object in the call's arguments, got " +
                                 std::to_string(args.size()) + " arguments");
  }
  const json::object& o = sj::as_object(args[0], where);
  if (type == "register") {
    check_members(o,
                  {"protocol", "name", "version", "host", "cores", "commands", "state", "run",
                   "last_second", "nodes"},
                  where);
    register_msg r;
    r.protocol = static_cast<int>(sj::get_count(o, "protocol", where));
    if (r.protocol != protocol_version) {
      throw input_error(sj::member_path(where, "protocol"),
                        "unsupported protocol version " + std::to_string(r.protocol) +
                            " (this overseer speaks " + std::to_string(protocol_version) + ")");
    }
    r.name = sj::get_string(o, "name", where);
    store::check_beacon_name(r.name, sj::member_path(where, "name"));
    r.version = sj::get_string(o, "version", where);
    r.host = opt_string(o, "host", where);
    r.cores = sj::get_count(o, "cores", where);
    r.commands = get_uint(o, "commands", where);
    r.state = get_state(o, where);
    r.run = get_run(o, where, false);
    r.last_second = sj::get_optional_int(o, "last_second", where).value_or(-1);
    r.nodes = get_strings(o, "nodes", where, false);
    return r;
  }
  if (type == "heartbeat") {
    check_members(o, {"state", "run", "last_second", "rate", "error"}, where);
    heartbeat_msg h;
    h.state = get_state(o, where);
    h.run = get_run(o, where, false);
    h.last_second = sj::get_optional_int(o, "last_second", where).value_or(-1);
    h.rate = sj::get_optional_number(o, "rate", where);
    h.error = opt_string(o, "error", where);
    return h;
  }
  if (type == "pong") {
    check_members(o, {"command", "t0", "t1", "t2"}, where);
    pong_msg p;
    p.command = get_uint(o, "command", where);
    p.t0 = sj::get_int(o, "t0", where);
    p.t1 = sj::get_int(o, "t1", where);
    p.t2 = sj::get_int(o, "t2", where);
    return p;
  }
  if (type == "stats") {
    check_members(o, {"run", "rows", "blocks"}, where);
    stats_msg s;
    s.run = get_run(o, where, true);
    const std::string rows_path = sj::member_path(where, "rows");
    const json::array& rows = sj::as_array(sj::get(o, "rows", where), rows_path);
    s.rows.reserve(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const std::string p = sj::index_path(rows_path, i);
      s.rows.push_back(stats::row_from_json(rows[i], p));
      if (s.rows.size() > 1 && s.rows.back().second <= s.rows[s.rows.size() - 2].second) {
        throw input_error(sj::member_path(p, "second"), "rows must be in increasing second");
      }
    }
    if (const json::value* b = o.if_contains("blocks")) {
      const std::string blocks_path = sj::member_path(where, "blocks");
      const json::array& blocks = sj::as_array(*b, blocks_path);
      for (std::size_t i = 0; i < blocks.size(); ++i) {
        s.blocks.push_back(store::block_from_json(blocks[i], sj::index_path(blocks_path, i)));
      }
    }
    return s;
  }
  if (type == "event") {
    check_members(o, {"run", "time", "kind", "data"}, where);
    event_msg e;
    e.run = get_run(o, where, true);
    e.time = sj::get_int(o, "time", where);
    const std::string k = sj::get_string(o, "kind", where);
    auto kind = store::parse_event_kind(k);
    if (!kind)
      throw input_error(sj::member_path(where, "kind"), "unknown event kind \"" + k + "\"");
    e.kind = *kind;
    if (const json::value* d = o.if_contains("data")) {
      e.data = sj::as_object(*d, sj::member_path(where, "data"));
    }
    return e;
  }
  check_members(o, {"command", "ok", "error"}, where);
  ack_msg a;
  a.command = get_uint(o, "command", where);
  a.ok = sj::get_bool(o, "ok", where);
  a.error = opt_string(o, "error", where);
  return a;
}

// ---- commands -----------------------------------------------------------------------------

std::string_view command_type(const command& c) {
  static constexpr std::string_view names[] = {"ping",  "configure", "prepare",
                                               "start", "stop",      "change_rate"};
  return names[c.body.index()];
}

json::object to_json(const command& c) {
  json::object o;
  o["id"] = c.id;
  o["type"] = command_type(c);
  if (auto* p = std::get_if<ping_cmd>(&c.body)) {
    o["t0"] = p->t0;
  } else if (auto* cf = std::get_if<configure_cmd>(&c.body)) {
    o["run"] = cf->run;
    o["scenario_name"] = cf->scenario_name;
    o["scenario_text"] = cf->scenario_text;
    o["nodes"] = strings_json(cf->nodes);
    o["rate_share"] = cf->rate_share;
    o["seed"] = cf->seed;
    if (cf->rate) o["rate"] = *cf->rate;
    if (!cf->duration.empty()) o["duration"] = cf->duration;
    if (cf->ignore_fee_budget) o["ignore_fee_budget"] = true;
  } else if (auto* pr = std::get_if<prepare_cmd>(&c.body)) {
    o["run"] = pr->run;
  } else if (auto* s = std::get_if<start_cmd>(&c.body)) {
    o["run"] = s->run;
    o["at"] = s->at;
    o["clock_offset_us"] = s->clock_offset_us;
  } else if (auto* st = std::get_if<stop_cmd>(&c.body)) {
    o["run"] = st->run;
  } else if (auto* r = std::get_if<change_rate_cmd>(&c.body)) {
    o["run"] = r->run;
    o["rate"] = r->rate;
  }
  return o;
}

command parse_command(const json::value& v) {
  const std::string where = "command";
  const json::object& o = sj::as_object(v, where);
  command c;
  c.id = get_uint(o, "id", where);
  const std::string type = sj::get_string(o, "type", where);
  if (type == "ping") {
    check_members(o, {"id", "type", "t0"}, where);
    c.body = ping_cmd{sj::get_int(o, "t0", where)};
  } else if (type == "configure") {
    check_members(o,
                  {"id", "type", "run", "scenario_name", "scenario_text", "nodes", "rate_share",
                   "seed", "rate", "duration", "ignore_fee_budget"},
                  where);
    configure_cmd cf;
    cf.run = get_run(o, where, true);
    cf.scenario_name = sj::get_string(o, "scenario_name", where);
    cf.scenario_text = sj::get_string(o, "scenario_text", where);
    cf.nodes = get_strings(o, "nodes", where, true);
    cf.rate_share = sj::get_number(o, "rate_share", where);
    if (!(cf.rate_share > 0 && cf.rate_share <= 1)) {
      throw input_error(sj::member_path(where, "rate_share"), "expected a number in (0, 1]");
    }
    cf.seed = get_uint(o, "seed", where);
    cf.rate = sj::get_optional_number(o, "rate", where);
    if (cf.rate && !(*cf.rate > 0 && std::isfinite(*cf.rate))) {
      throw input_error(sj::member_path(where, "rate"), "expected a rate > 0");
    }
    cf.duration = opt_string(o, "duration", where);
    if (const auto* ig = o.if_contains("ignore_fee_budget")) {
      if (!ig->is_bool())
        throw input_error(sj::member_path(where, "ignore_fee_budget"), "expected true or false");
      cf.ignore_fee_budget = ig->get_bool();
    }
    c.body = std::move(cf);
  } else if (type == "prepare") {
    check_members(o, {"id", "type", "run"}, where);
    c.body = prepare_cmd{get_run(o, where, true)};
  } else if (type == "start") {
    check_members(o, {"id", "type", "run", "at", "clock_offset_us"}, where);
    start_cmd s;
    s.run = get_run(o, where, true);
    s.at = sj::get_int(o, "at", where);
    s.clock_offset_us = sj::get_optional_int(o, "clock_offset_us", where).value_or(0);
    c.body = std::move(s);
  } else if (type == "stop") {
    check_members(o, {"id", "type", "run"}, where);
    c.body = stop_cmd{get_run(o, where, true)};
  } else if (type == "change_rate") {
    check_members(o, {"id", "type", "run", "rate"}, where);
    change_rate_cmd r;
    r.run = get_run(o, where, true);
    r.rate = sj::get_number(o, "rate", where);
    if (!(r.rate > 0) || !std::isfinite(r.rate)) {
      throw input_error(sj::member_path(where, "rate"), "expected a rate > 0");
    }
    c.body = std::move(r);
  } else {
    throw input_error(sj::member_path(where, "type"),
                      "unknown command \"" + type +
                          "\" (expected ping, configure, prepare, start, stop or change_rate)");
  }
  return c;
}

clock_sample measure_clock(unix_us t0, unix_us t1, unix_us t2, unix_us t3) {
  clock_sample s;
  // Halves rounded toward negative infinity consistently; microsecond precision is plenty.
  s.offset_us = ((t1 - t0) + (t2 - t3)) / 2;
  s.delay_us = (t3 - t0) - (t2 - t1);
  return s;
}

}  // namespace bts::control
