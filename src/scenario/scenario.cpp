#include "scenario/scenario.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <thread>

#include "monitor/node_load.hpp"
#include "util/error.hpp"

namespace bts::scenarios {

namespace detail {
// Generated at configure time from scenarios/*.yaml (src/beacon/CMakeLists.txt).
extern const std::vector<std::pair<std::string, std::string>>& compiled_presets();
}  // namespace detail

namespace {

// Errors point into the file: "source:line:column: path: problem".
struct context {
  const std::string& source;
  [[noreturn]] void fail(const YAML::Node& node, const std::string& path,
                         const std::string& problem) const {
    std::string where = source;
    const YAML::Mark m = node.Mark();
    if (m.line >= 0) where += ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
    throw input_error(where, path.empty() ? problem : path + ": " + problem);
  }
};

std::string describe(const YAML::Node& n) {
  if (n.IsScalar()) return "\"" + n.Scalar() + "\"";
  if (n.IsSequence()) return "a list";
  if (n.IsMap()) return "a mapping";
  return "nothing";
}

std::string scalar(const context& c, const YAML::Node& n, const std::string& path) {
  if (!n.IsScalar()) c.fail(n, path, "expected a value, got " + describe(n));
  return n.Scalar();
}

double number(const context& c, const YAML::Node& n, const std::string& path, double min = 0) {
  const std::string s = scalar(c, n, path);
  try {
    std::size_t used = 0;
    const double v = std::stod(s, &used);
    if (used == s.size() && std::isfinite(v) && v >= min) return v;
  } catch (const std::exception&) {
  }
  c.fail(n, path,
         (min == 0 ? std::string("expected a non-negative number")
                   : "expected a number >= " + std::to_string(min)) +
             ", got " + describe(n));
}

std::int64_t integer(const context& c, const YAML::Node& n, const std::string& path,
                     std::int64_t min, std::int64_t max) {
  const std::string s = scalar(c, n, path);
  try {
    std::size_t used = 0;
    const long long v = std::stoll(s, &used);
    if (used == s.size() && v >= min && v <= max) return v;
  } catch (const std::exception&) {
  }
  c.fail(n, path,
         "expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " +
             describe(n));
}

void check_keys(const context& c, const YAML::Node& map, const std::string& path,
                std::initializer_list<std::string_view> known) {
  if (!map.IsMap()) c.fail(map, path, "expected a mapping, got " + describe(map));
  for (const auto& kv : map) {
    const std::string key = kv.first.Scalar();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string list;
      for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      c.fail(kv.first, path.empty() ? key : path + "." + key,
             "unknown field (known: " + list + ")");
    }
  }
}

// A node_load spec: "none", or a monitor::load_source spec (checked here, read at run time).
void check_node_load(const context& c, const YAML::Node& n, const std::string& path,
                     const std::string& spec) {
  if (spec == "none") return;
  try {
    monitor::parse_load_source(spec, path);
  } catch (const input_error& e) {
    c.fail(n, path, e.problem());
  }
}

void parse_nodes(const context& c, const YAML::Node& n, scenario& s) {
  s.nodes.clear();
  if (n.IsScalar()) {
    s.nodes.push_back({n.Scalar()});
    return;
  }
  if (!n.IsSequence() || n.size() == 0)
    c.fail(n, "nodes", "expected a URL or a non-empty list of nodes");
  for (std::size_t i = 0; i < n.size(); ++i) {
    const std::string path = "nodes[" + std::to_string(i) + "]";
    const YAML::Node item = n[i];
    node_endpoint e;
    if (item.IsScalar()) {
      e.url = item.Scalar();
    } else {
      check_keys(c, item, path, {"url", "weight", "connections", "node_load"});
      if (!item["url"]) c.fail(item, path, "missing url");
      e.url = scalar(c, item["url"], path + ".url");
      if (item["weight"]) e.weight = number(c, item["weight"], path + ".weight");
      if (item["connections"])
        e.connections =
            static_cast<int>(integer(c, item["connections"], path + ".connections", 1, 64));
      if (item["node_load"]) {
        e.node_load = scalar(c, item["node_load"], path + ".node_load");
        check_node_load(c, item["node_load"], path + ".node_load", e.node_load);
      }
    }
    if (e.url.rfind("ws://", 0) != 0 && e.url.rfind("wss://", 0) != 0) {
      c.fail(item, path, "expected a ws:// or wss:// URL, got \"" + e.url + "\"");
    }
    s.nodes.push_back(std::move(e));
  }
}

void parse_ops(const context& c, const YAML::Node& n, ops_per_tx& o) {
  const std::string path = "ops_per_tx";
  if (n.IsScalar() && n.Scalar() == "max") {
    o.type = ops_per_tx::kind::max;
    return;
  }
  if (n.IsScalar()) {
    o.type = ops_per_tx::kind::fixed;
    o.fixed = static_cast<std::uint32_t>(integer(c, n, path, 1, 10000));
    return;
  }
  check_keys(c, n, path, {"fixed", "uniform", "weighted"});
  if (n.size() != 1) c.fail(n, path, "expected exactly one of fixed, uniform or weighted");
  if (n["fixed"]) {
    o.type = ops_per_tx::kind::fixed;
    o.fixed = static_cast<std::uint32_t>(integer(c, n["fixed"], path + ".fixed", 1, 10000));
  } else if (const YAML::Node u = n["uniform"]) {
    o.type = ops_per_tx::kind::uniform;
    if (!u.IsSequence() || u.size() != 2) c.fail(u, path + ".uniform", "expected [min, max]");
    o.min = static_cast<std::uint32_t>(integer(c, u[0], path + ".uniform[0]", 1, 10000));
    o.max = static_cast<std::uint32_t>(integer(c, u[1], path + ".uniform[1]", o.min, 10000));
  } else {
    const YAML::Node w = n["weighted"];
    o.type = ops_per_tx::kind::weighted;
    if (!w.IsMap() || w.size() == 0)
      c.fail(w, path + ".weighted", "expected a mapping of count: weight");
    o.choices.clear();
    double total = 0;
    for (const auto& kv : w) {
      const auto count = integer(c, kv.first, path + ".weighted", 1, 10000);
      const double weight = number(c, kv.second, path + ".weighted." + kv.first.Scalar());
      total += weight;
      o.choices.emplace_back(static_cast<std::uint32_t>(count), weight);
    }
    if (total <= 0) c.fail(w, path + ".weighted", "expected at least one positive weight");
  }
}

void parse_amount(const context& c, const YAML::Node& n, int_distribution& d) {
  const std::string path = "amount";
  if (n.IsScalar()) {
    d.type = int_distribution::kind::fixed;
    d.min = d.max = integer(c, n, path, 1, 1'000'000'000'000'000);
    return;
  }
  check_keys(c, n, path, {"kind", "min", "max", "value"});
  const std::string kind = n["kind"] ? scalar(c, n["kind"], path + ".kind") : "uniform";
  if (kind == "fixed") {
    d.type = int_distribution::kind::fixed;
    if (!n["value"]) c.fail(n, path, "kind fixed needs value");
    d.min = d.max = integer(c, n["value"], path + ".value", 1, 1'000'000'000'000'000);
    return;
  }
  if (kind == "uniform")
    d.type = int_distribution::kind::uniform;
  else if (kind == "log_uniform")
    d.type = int_distribution::kind::log_uniform;
  else
    c.fail(n["kind"], path + ".kind",
           "expected fixed, uniform or log_uniform, got \"" + kind + "\"");
  if (!n["min"] || !n["max"]) c.fail(n, path, "kind " + kind + " needs min and max");
  d.min = integer(c, n["min"], path + ".min", 1, 1'000'000'000'000'000);
  d.max = integer(c, n["max"], path + ".max", d.min, 1'000'000'000'000'000);
}

std::chrono::nanoseconds duration_field(const context& c, const YAML::Node& n,
                                        const std::string& path) {
  const std::string text = scalar(c, n, path);  // outside the try: it fails with its location
  try {
    return load::parse_duration(text, path);
  } catch (const input_error& e) {
    c.fail(n, "", e.what());
  }
}

double rate_field(const context& c, const YAML::Node& n, const std::string& path) {
  const std::string text = scalar(c, n, path);
  try {
    return load::parse_rate(text, path);
  } catch (const input_error& e) {
    c.fail(n, "", e.what());
  }
}

void parse_search(const context& c, const YAML::Node& n, scenario& s) {
  const std::string path = "load.search";
  check_keys(c, n, path, {"start", "step", "step_duration", "max", "hold", "settle"});
  rate_search r;
  if (n["start"]) r.start = rate_field(c, n["start"], path + ".start");
  if (n["step"]) r.step = rate_field(c, n["step"], path + ".step");
  if (n["step_duration"])
    r.step_duration = duration_field(c, n["step_duration"], path + ".step_duration");
  if (n["max"]) r.max = rate_field(c, n["max"], path + ".max");
  if (n["hold"]) r.hold = duration_field(c, n["hold"], path + ".hold");
  if (n["settle"]) r.settle = duration_field(c, n["settle"], path + ".settle");
  if (!(r.start > 0)) c.fail(n["start"] ? n["start"] : n, path + ".start", "expected a rate > 0");
  if (!(r.step > 0)) c.fail(n["step"] ? n["step"] : n, path + ".step", "expected a rate > 0");
  if (r.step_duration < std::chrono::milliseconds(100))
    c.fail(n["step_duration"] ? n["step_duration"] : n, path + ".step_duration",
           "expected at least 100ms");
  if (r.max < r.start) c.fail(n["max"] ? n["max"] : n, path + ".max", "expected a rate >= start");
  if ((r.max - r.start) / r.step > 10000)
    c.fail(n, path, "more than 10,000 steps from start to max: raise step");
  s.search = r;
  s.rate = load::rate_profile::constant(r.start);
  s.rate_text = describe(r);
}

void parse_thresholds(const context& c, const YAML::Node& n, search_thresholds& t) {
  const std::string path = "thresholds";
  check_keys(c, n, path,
             {"min_inclusion_ratio", "max_p99_inclusion", "max_error_rate", "max_p99_schedule_lag",
              "max_pool_miss_ratio"});
  const auto ratio = [&](const char* key, double& out) {
    if (!n[key]) return;
    out = number(c, n[key], path + "." + key);
    if (out > 1)
      c.fail(n[key], path + "." + key, "expected a ratio in [0, 1], got " + describe(n[key]));
  };
  ratio("min_inclusion_ratio", t.min_inclusion_ratio);
  ratio("max_error_rate", t.max_error_rate);
  ratio("max_pool_miss_ratio", t.max_pool_miss_ratio);
  if (n["max_p99_inclusion"])
    t.max_p99_inclusion = duration_field(c, n["max_p99_inclusion"], path + ".max_p99_inclusion");
  if (n["max_p99_schedule_lag"])
    t.max_p99_schedule_lag =
        duration_field(c, n["max_p99_schedule_lag"], path + ".max_p99_schedule_lag");
}

void parse_load(const context& c, const YAML::Node& n, scenario& s) {
  const std::string path = "load";
  load::rate_profile_spec spec;
  if (n.IsMap() && n["search"]) {
    check_keys(c, n, path, {"search"});
    parse_search(c, n["search"], s);
    return;
  }
  s.search.reset();
  if (n.IsScalar()) {
    // Shorthand: a bare rate or "unlimited".
    if (n.Scalar() == "unlimited")
      spec.kind = "unlimited";
    else {
      spec.kind = "constant";
      spec.rate = n.Scalar();
    }
  } else {
    check_keys(c, n, path, {"kind", "rate", "from", "to", "over", "steps", "search"});
    if (!n["kind"]) c.fail(n, path, "missing kind (constant, ramp, steps or unlimited) or search");
    spec.kind = scalar(c, n["kind"], path + ".kind");
    if (n["rate"]) spec.rate = scalar(c, n["rate"], path + ".rate");
    if (n["from"]) spec.from = scalar(c, n["from"], path + ".from");
    if (n["to"]) spec.to = scalar(c, n["to"], path + ".to");
    if (n["over"]) spec.over = scalar(c, n["over"], path + ".over");
    if (const YAML::Node st = n["steps"]) {
      if (!st.IsSequence()) c.fail(st, path + ".steps", "expected a list of {rate, duration}");
      for (std::size_t i = 0; i < st.size(); ++i) {
        const std::string p = path + ".steps[" + std::to_string(i) + "]";
        check_keys(c, st[i], p, {"rate", "duration"});
        load::rate_profile_spec::step step;
        if (st[i]["rate"]) step.rate = scalar(c, st[i]["rate"], p + ".rate");
        if (st[i]["duration"]) step.duration = scalar(c, st[i]["duration"], p + ".duration");
        spec.steps.push_back(step);
      }
    }
  }
  try {
    s.rate = load::rate_profile::parse(spec, path);
  } catch (const input_error& e) {
    c.fail(n, "", e.what());
  }
  s.rate_text = s.rate.describe();
}

}  // namespace

std::uint64_t parse_count(std::string_view text, const std::string& where) {
  std::string t(text);
  std::uint64_t mult = 1;
  if (!t.empty() && (t.back() == 'k' || t.back() == 'K'))
    mult = 1000, t.pop_back();
  else if (!t.empty() && t.back() == 'M')
    mult = 1'000'000, t.pop_back();
  try {
    std::size_t used = 0;
    const unsigned long long v = std::stoull(t, &used);
    if (used == t.size() && !t.empty() && t[0] != '-' && v > 0 && v <= 1'000'000'000'000ull)
      return v * mult;
  } catch (const std::exception&) {
  }
  throw input_error(where, "expected a positive count such as 1000, 50k or 2M, got \"" +
                               std::string(text) + "\"");
}

scenario parse_scenario(std::string_view yaml_text, const std::string& source) {
  const context c{source};
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    std::string where = source;
    if (e.mark.line >= 0)
      where += ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1);
    throw input_error(where, "not valid YAML: " + e.msg);
  }
  scenario s;
  if (root.IsNull()) return s;
  check_keys(c, root, "",
             {"name",          "nodes",         "spread",           "accounts",
              "mix",           "ops_per_tx",    "amount",           "price",
              "order_asset",   "load",          "duration",         "count",
              "max_in_flight", "presign_depth", "signer_threads",   "expiration_seconds",
              "seed",          "broadcast",     "node_metrics_url", "thresholds",
              "block_watch",   "outputs",       "ignore_fee_budget", "propagation"});
  // `outputs:` is read by the commands (outputs::parse_outputs_yaml), not by the beacon.
  if (root["name"]) s.name = scalar(c, root["name"], "name");
  if (root["nodes"]) parse_nodes(c, root["nodes"], s);
  if (root["spread"]) {
    const std::string v = scalar(c, root["spread"], "spread");
    if (v == "round_robin")
      s.spread = spread_kind::round_robin;
    else if (v == "weighted")
      s.spread = spread_kind::weighted;
    else
      c.fail(root["spread"], "spread", "expected round_robin or weighted, got \"" + v + "\"");
  }
  if (const YAML::Node a = root["accounts"]) {
    if (a.IsScalar()) {
      s.accounts_file = a.Scalar();
    } else {
      check_keys(c, a, "accounts", {"file", "env"});
      if (a["file"]) s.accounts_file = scalar(c, a["file"], "accounts.file");
      if (a["env"]) s.accounts_env = scalar(c, a["env"], "accounts.env");
      if (!s.accounts_file.empty() && !s.accounts_env.empty())
        c.fail(a, "accounts", "give file or env, not both");
    }
  }
  if (const YAML::Node m = root["mix"]) {
    check_keys(c, m, "mix",
               {"transfer", "transfer_with_memo", "limit_order_create", "limit_order_cancel"});
    s.mix = operation_mix{0, 0, 0, 0};
    if (m["transfer"]) s.mix.transfer = number(c, m["transfer"], "mix.transfer");
    if (m["transfer_with_memo"])
      s.mix.transfer_with_memo = number(c, m["transfer_with_memo"], "mix.transfer_with_memo");
    if (m["limit_order_create"])
      s.mix.limit_order_create = number(c, m["limit_order_create"], "mix.limit_order_create");
    if (m["limit_order_cancel"])
      s.mix.limit_order_cancel = number(c, m["limit_order_cancel"], "mix.limit_order_cancel");
    if (s.mix.total() <= 0) c.fail(m, "mix", "expected at least one positive weight");
  }
  if (root["ops_per_tx"]) parse_ops(c, root["ops_per_tx"], s.ops);
  if (root["amount"]) parse_amount(c, root["amount"], s.amount);
  if (const YAML::Node p = root["price"]) {
    check_keys(c, p, "price", {"min", "max"});
    if (p["min"]) s.price.min = number(c, p["min"], "price.min");
    if (p["max"]) s.price.max = number(c, p["max"], "price.max");
    if (!(s.price.min > 0) || s.price.max < s.price.min)
      c.fail(p, "price", "expected 0 < min <= max");
  }
  if (root["order_asset"]) s.order_asset = scalar(c, root["order_asset"], "order_asset");
  if (root["load"]) parse_load(c, root["load"], s);
  if (root["thresholds"]) parse_thresholds(c, root["thresholds"], s.thresholds);
  if (root["block_watch"]) {
    const std::string v = scalar(c, root["block_watch"], "block_watch");
    if (v == "first_node")
      s.watch = block_watch::first_node;
    else if (v == "all_nodes")
      s.watch = block_watch::all_nodes;
    else
      c.fail(root["block_watch"], "block_watch",
             "expected first_node or all_nodes, got \"" + v + "\"");
  }
  if (const YAML::Node p = root["propagation"]) {
    check_keys(c, p, "propagation", {"grace", "p2p_max_message_size"});
    if (p["grace"]) {
      const auto g = duration_field(c, p["grace"], "propagation.grace");
      if (g > std::chrono::minutes(10))
        c.fail(p["grace"], "propagation.grace", "expected at most 10m");
      s.propagation.grace = std::chrono::duration_cast<std::chrono::milliseconds>(g);
    }
    if (p["p2p_max_message_size"])
      s.propagation.p2p_max_message_size =
          integer(c, p["p2p_max_message_size"], "propagation.p2p_max_message_size", 1, 1 << 30);
  }
  if (root["duration"]) {
    const std::string text = scalar(c, root["duration"], "duration");
    try {
      s.duration = load::parse_duration(text, "duration");
    } catch (const input_error& e) {
      c.fail(root["duration"], "", e.what());
    }
  }
  if (root["count"]) {
    const std::string text = scalar(c, root["count"], "count");
    try {
      s.count = parse_count(text, "count");
    } catch (const input_error& e) {
      c.fail(root["count"], "", e.what());
    }
  }
  if (root["max_in_flight"])
    s.max_in_flight = integer(c, root["max_in_flight"], "max_in_flight", 1, 1'000'000);
  if (root["presign_depth"])
    s.presign_depth = integer(c, root["presign_depth"], "presign_depth", 0, 10'000'000);
  if (root["signer_threads"])
    s.signer_threads = integer(c, root["signer_threads"], "signer_threads", 0, 256);
  if (root["expiration_seconds"]) {
    s.expiration_seconds = integer(c, root["expiration_seconds"], "expiration_seconds", 10, 86400);
  }
  if (root["seed"]) s.seed = integer(c, root["seed"], "seed", 0, INT64_MAX);
  if (root["ignore_fee_budget"]) {
    const std::string v = scalar(c, root["ignore_fee_budget"], "ignore_fee_budget");
    if (v == "true")
      s.ignore_fee_budget = true;
    else if (v == "false")
      s.ignore_fee_budget = false;
    else
      c.fail(root["ignore_fee_budget"], "ignore_fee_budget", "expected true or false");
  }
  if (root["broadcast"]) {
    const std::string v = scalar(c, root["broadcast"], "broadcast");
    if (v == "broadcast_transaction")
      s.broadcast_with_callback = false;
    else if (v == "broadcast_transaction_with_callback")
      s.broadcast_with_callback = true;
    else
      c.fail(root["broadcast"], "broadcast",
             "expected broadcast_transaction or broadcast_transaction_with_callback");
  }
  if (root["node_metrics_url"]) {
    // The older spelling of the first node's node_load: a Prometheus /metrics URL.
    s.node_metrics_url = scalar(c, root["node_metrics_url"], "node_metrics_url");
    check_node_load(c, root["node_metrics_url"], "node_metrics_url", s.node_metrics_url);
    if (!s.nodes.empty() && s.nodes.front().node_load.empty())
      s.nodes.front().node_load = s.node_metrics_url;
  }
  if (s.mix.limit_order_create > 0 && s.order_asset.empty()) s.order_asset = "BEACON";
  return s;
}

std::string format_rate(double r) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", r);
  return buf;
}

std::string describe(const rate_search& r) {
  return "search from " + format_rate(r.start) + " tx/s by " + format_rate(r.step) + " every " +
         load::format_duration(r.step_duration) + " up to " + format_rate(r.max) + ", hold " +
         load::format_duration(r.hold);
}

std::vector<std::string> preset_names() {
  std::vector<std::string> out;
  for (const auto& [name, text] : detail::compiled_presets()) out.push_back(name);
  return out;
}

std::string preset_text(std::string_view name) {
  std::string known;
  for (const auto& [n, text] : detail::compiled_presets()) {
    if (n == name) return text;
    known += (known.empty() ? "" : ", ") + n;
  }
  throw input_error("--preset", "unknown preset \"" + std::string(name) + "\"; known: " + known);
}

std::size_t default_presign_depth(const load::rate_profile& rate, std::size_t max_in_flight,
                                  std::optional<std::uint64_t> count) {
  // Refill lead time: how long the signers may fall behind (a GC-like stall, a burst) before
  // the send path runs dry. Two seconds of the peak rate, within [256, 200000].
  constexpr double lead_seconds = 2.0;
  double peak = 0;
  if (rate.is_unlimited()) {
    peak = std::max<double>(static_cast<double>(max_in_flight) * 20, 10'000);
  } else {
    for (int s = 0; s <= 3600; s += 1) peak = std::max(peak, rate.rate_at(std::chrono::seconds(s)));
  }
  double depth = std::clamp(peak * lead_seconds, 256.0, 200'000.0);
  if (count) {
    const double n = static_cast<double>(*count);
    if (rate.is_unlimited()) depth = std::max(depth, n);
    depth = std::min({depth, std::max(256.0, n), 200'000.0});
  }
  return static_cast<std::size_t>(depth);
}

std::vector<monitor::named_source> node_load_sources(const scenario& sc, bool check) {
  std::vector<monitor::named_source> out;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < sc.nodes.size(); ++i) {
    const auto& n = sc.nodes[i];
    if (n.node_load.empty() || n.node_load == "none" || !seen.insert(n.url).second) continue;
    const std::string where = "nodes[" + std::to_string(i) + "].node_load";
    monitor::load_source src = monitor::parse_load_source(n.node_load, where);
    if (check) {
      try {
        monitor::check_load_source(src);
      } catch (const input_error& e) {
        throw input_error(where, src.to_string() + ": " + e.problem());
      }
    }
    out.push_back({n.url, std::move(src)});
  }
  return out;
}

}  // namespace bts::scenarios
