#include "uptime/config.hpp"

#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <tuple>

#include "rpc/url.hpp"
#include "util/error.hpp"

namespace bts::uptime {
namespace {

struct context {
  std::string source;
  std::string at(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    return m.line >= 0 ? source + ":" + std::to_string(m.line + 1) : source;
  }
  [[noreturn]] void fail(const YAML::Node& n, const std::string& field,
                         const std::string& problem) const {
    throw input_error(at(n), field.empty() ? problem : field + ": " + problem);
  }
};

void check_keys(const context& c, const YAML::Node& n, const std::string& field,
                std::initializer_list<const char*> allowed) {
  if (!n.IsMap()) c.fail(n, field, "expected a mapping");
  for (const auto& kv : n) {
    const std::string k = kv.first.as<std::string>();
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return k == a; })) {
      std::string list;
      for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      c.fail(kv.first, field.empty() ? k : field + "." + k,
             "unknown key (expected one of " + list + ")");
    }
  }
}

std::string scalar(const context& c, const YAML::Node& n, const std::string& field) {
  if (!n.IsScalar()) c.fail(n, field, "expected a single value");
  return n.Scalar();
}

milliseconds duration(const context& c, const YAML::Node& n, const std::string& field,
                      double min_ms) {
  const std::string s = scalar(c, n, field);
  const auto ms = parse_duration_ms(s, 0);
  if (!ms)
    c.fail(n, field, "expected a duration such as 500ms, 30s, 5m, 12h or 7d, got \"" + s + "\"");
  if (*ms < min_ms) c.fail(n, field, "must be at least " + format_duration_ms(min_ms));
  return milliseconds(static_cast<std::int64_t>(*ms));
}

int integer(const context& c, const YAML::Node& n, const std::string& field, int lo, int hi) {
  const std::string s = scalar(c, n, field);
  try {
    std::size_t used = 0;
    const long v = std::stol(s, &used);
    if (used == s.size() && v >= lo && v <= hi) return static_cast<int>(v);
  } catch (const std::exception&) {
  }
  c.fail(n, field,
         "expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi) +
             ", got \"" + s + "\"");
}

bool boolean(const context& c, const YAML::Node& n, const std::string& field) {
  const std::string s = scalar(c, n, field);
  if (s == "true" || s == "yes") return true;
  if (s == "false" || s == "no") return false;
  c.fail(n, field, "expected true or false, got \"" + s + "\"");
}

void parse_url_into(const context& c, const YAML::Node& n, const std::string& field,
                    endpoint_config& e, bool jsonrpc) {
  e.url = scalar(c, n, field);
  if (e.url.rfind("tcp://", 0) == 0) {
    const std::string rest = e.url.substr(6);
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0)
      c.fail(n, field, "expected tcp://HOST:PORT, got \"" + e.url + "\"");
    try {
      std::tie(e.host, e.port) = rpc::parse_host_port(rest, field);
      if (e.port == 0) throw std::out_of_range("port");
    } catch (const std::exception&) {
      c.fail(n, field,
             "expected tcp://HOST:PORT with a port from 1 to 65535, got \"" + e.url + "\"");
    }
    e.kind = endpoint_kind::tcp;
    return;
  }
  static const char* schemes[] = {"ws://", "wss://", "http://", "https://"};
  if (std::none_of(std::begin(schemes), std::end(schemes),
                   [&](const char* p) { return e.url.rfind(p, 0) == 0; })) {
    c.fail(n, field,
           "expected a ws://, wss://, http://, https:// or tcp:// URL, got \"" + e.url + "\"");
  }
  try {
    const rpc::url u = rpc::parse_url(e.url);
    e.host = u.host;
    e.port = u.port;
    e.tls = u.tls();
    e.kind = u.websocket() ? endpoint_kind::websocket
                           : (jsonrpc ? endpoint_kind::http_jsonrpc : endpoint_kind::http);
  } catch (const input_error& err) {
    c.fail(n, field, err.problem());
  }
}

// Index patterns go into the request path: letters, digits and - _ . * , + only.
bool valid_index(const std::string& s) {
  if (s.empty() || s.front() == '_' || s.front() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const unsigned char u = static_cast<unsigned char>(ch);
    return std::islower(u) || std::isdigit(u) || ch == '-' || ch == '_' || ch == '.' || ch == '*' ||
           ch == ',' || ch == '+';
  });
}

void parse_elasticsearch(const context& c, const YAML::Node& n, const std::string& f,
                         endpoint_config& e) {
  if (n.IsNull()) {
    // `elasticsearch:` with nothing after it: every default.
  } else {
    check_keys(c, n, f,
               {"index", "objects_index", "chain_id", "chain_group", "username", "password_env",
                "password_file"});
  }
  if (e.kind != endpoint_kind::http)
    c.fail(n, f,
           "needs an http:// or https:// url (the Elasticsearch base URL), not \"" + e.url + "\"");
  e.kind = endpoint_kind::elasticsearch;
  if (n.IsNull()) return;
  auto index = [&](const char* key, std::string& out) {
    if (!n[key]) return;
    out = scalar(c, n[key], f + "." + key);
    if (!valid_index(out))
      c.fail(n[key], f + "." + key,
             "expected an index pattern such as bitshares-* (lower-case letters, digits, - _ . * "
             ", +), got \"" +
                 out + "\"");
  };
  index("index", e.es.index);
  index("objects_index", e.es.objects_index);
  if (n["chain_id"]) {
    e.es.chain_id = scalar(c, n["chain_id"], f + ".chain_id");
    if (e.es.chain_id.size() != 64 ||
        !std::all_of(e.es.chain_id.begin(), e.es.chain_id.end(),
                     [](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)); }))
      c.fail(n["chain_id"], f + ".chain_id",
             "expected 64 hex digits (a chain id), got \"" + e.es.chain_id + "\"");
  }
  if (n["chain_group"]) {
    if (n["chain_id"])
      c.fail(n["chain_group"], f + ".chain_group", "give chain_id or chain_group, not both");
    e.es.chain_group = scalar(c, n["chain_group"], f + ".chain_group");
  }
  if (n["username"]) e.es.username = scalar(c, n["username"], f + ".username");
  if (n["password_env"] && n["password_file"])
    c.fail(n["password_file"], f + ".password_file",
           "give password_env or password_file, not both");
  if (const YAML::Node p = n["password_env"]) {
    const std::string var = scalar(c, p, f + ".password_env");
    const char* v = std::getenv(var.c_str());
    if (!v) c.fail(p, f + ".password_env", "the environment variable " + var + " is not set");
    e.es.password = v;
  }
  if (const YAML::Node p = n["password_file"]) {
    const std::string path = scalar(c, p, f + ".password_file");
    std::ifstream in(path, std::ios::binary);
    if (!in) c.fail(p, f + ".password_file", "cannot read \"" + path + "\"");
    std::getline(in, e.es.password);
    if (!e.es.password.empty() && e.es.password.back() == '\r') e.es.password.pop_back();
  }
  if ((n["password_env"] || n["password_file"]) && e.es.username.empty())
    c.fail(n, f, "a password needs a username (basic auth)");
}

endpoint_config parse_endpoint(const context& c, const YAML::Node& n, std::size_t index,
                               milliseconds interval, milliseconds timeout) {
  const std::string f = "endpoints[" + std::to_string(index) + "]";
  check_keys(c, n, f,
             {"name", "group", "url", "interval", "timeout", "conditions", "location", "region",
              "country", "operator", "contact", "jsonrpc", "call", "public", "elasticsearch"});
  endpoint_config e;
  e.line = n.Mark().line + 1;
  e.interval = interval;
  e.timeout = timeout;
  if (!n["name"]) c.fail(n, f, "expected a name");
  e.name = scalar(c, n["name"], f + ".name");
  if (e.name.empty()) c.fail(n["name"], f + ".name", "must not be empty");
  if (n["group"]) e.group = scalar(c, n["group"], f + ".group");
  const bool jsonrpc = n["jsonrpc"] ? boolean(c, n["jsonrpc"], f + ".jsonrpc") : false;
  if (!n["url"]) c.fail(n, f, "expected a url (ws://, wss://, http://, https:// or tcp://)");
  parse_url_into(c, n["url"], f + ".url", e, jsonrpc);
  if (n["interval"]) e.interval = duration(c, n["interval"], f + ".interval", 100);
  if (n["timeout"]) e.timeout = duration(c, n["timeout"], f + ".timeout", 50);
  if (n["location"]) e.location = scalar(c, n["location"], f + ".location");
  if (n["region"]) e.region = scalar(c, n["region"], f + ".region");
  if (n["country"]) e.country = scalar(c, n["country"], f + ".country");
  if (n["operator"]) e.operator_name = scalar(c, n["operator"], f + ".operator");
  if (n["contact"]) e.contact = scalar(c, n["contact"], f + ".contact");
  if (n["public"]) e.public_list = boolean(c, n["public"], f + ".public");
  if (const YAML::Node es = n["elasticsearch"]) parse_elasticsearch(c, es, f + ".elasticsearch", e);
  if (const YAML::Node call = n["call"]) {
    check_keys(c, call, f + ".call", {"api", "method", "params"});
    if (e.kind == endpoint_kind::http || e.kind == endpoint_kind::tcp ||
        e.kind == endpoint_kind::elasticsearch) {
      c.fail(call, f + ".call", "needs a ws://, wss:// or jsonrpc http(s):// endpoint");
    }
    if (!call["method"]) c.fail(call, f + ".call", "expected a method");
    e.call_api = call["api"] ? scalar(c, call["api"], f + ".call.api") : std::string("database");
    e.call_method = scalar(c, call["method"], f + ".call.method");
    if (const YAML::Node p = call["params"]) {
      // YAML flow sequences are JSON-compatible; re-emit as JSON.
      YAML::Emitter out;
      out << YAML::Flow << YAML::DoubleQuoted << p;
      boost::system::error_code ec;
      const auto v = boost::json::parse(out.c_str(), ec);
      if (ec || !v.is_array())
        c.fail(p, f + ".call.params", "expected a JSON array such as [[\"2.1.0\"]]");
      e.call_params = boost::json::serialize(v);
    }
  }
  if (const YAML::Node conds = n["conditions"]) {
    if (!conds.IsSequence()) c.fail(conds, f + ".conditions", "expected a list of conditions");
    for (std::size_t i = 0; i < conds.size(); ++i) {
      const std::string where = c.at(conds[i]);
      const std::string text = scalar(c, conds[i], f + ".conditions[" + std::to_string(i) + "]");
      condition cond = parse_condition(text, where);
      const bool chain =
          cond.uses(placeholder::chain_id) || cond.uses(placeholder::head_block_age) ||
          cond.uses(placeholder::head_block_lag) || cond.uses(placeholder::participation) ||
          cond.uses(placeholder::api_sets) || cond.uses(placeholder::last_irreversible_lag);
      const bool es = cond.uses(placeholder::es_lag) || cond.uses(placeholder::es_block_age) ||
                      cond.uses(placeholder::es_objects_lag);
      if (es && e.kind != endpoint_kind::elasticsearch) {
        throw input_error(where, "condition \"" + text +
                                     "\": [ES_*] placeholders need an endpoint with an "
                                     "`elasticsearch:` section");
      }
      if (cond.uses(placeholder::es_objects_lag) && e.es.objects_index.empty()) {
        throw input_error(where, "condition \"" + text +
                                     "\": [ES_OBJECTS_LAG] needs elasticsearch.objects_index "
                                     "(e.g. objects-*)");
      }
      if (chain && (e.kind == endpoint_kind::http || e.kind == endpoint_kind::tcp ||
                    e.kind == endpoint_kind::elasticsearch)) {
        throw input_error(where, "condition \"" + text +
                                     "\": BitShares placeholders need a ws://, wss:// or `jsonrpc: "
                                     "true` http(s):// endpoint");
      }
      if (cond.uses(placeholder::certificate_expiration) && !e.tls) {
        throw input_error(where,
                          "condition \"" + text +
                              "\": [CERTIFICATE_EXPIRATION] needs a wss:// or https:// endpoint");
      }
      if (cond.uses(placeholder::status) && e.kind != endpoint_kind::http &&
          e.kind != endpoint_kind::elasticsearch) {
        throw input_error(where, "condition \"" + text +
                                     "\": [STATUS] needs a plain http:// or https:// endpoint "
                                     "(or an elasticsearch one)");
      }
      e.conditions.push_back(std::move(cond));
    }
  }
  if (e.conditions.empty()) e.conditions = default_conditions(e.kind);
  return e;
}

}  // namespace

std::string endpoint_config::key() const {
  std::string k;
  auto add = [&k](const std::string& s) {
    for (char ch : s) {
      const unsigned char u = static_cast<unsigned char>(ch);
      if (std::isalnum(u))
        k += static_cast<char>(std::tolower(u));
      else if (ch == '_' || ch == '-' || ch == '.')
        k += ch;
      else
        k += '-';
    }
  };
  add(group);
  k += '_';
  add(name);
  return k;
}

std::vector<condition> default_conditions(endpoint_kind kind) {
  switch (kind) {
    case endpoint_kind::http:
      return {parse_condition("[STATUS] == 200", "default")};
    case endpoint_kind::elasticsearch:
      return {parse_condition("[CONNECTED] == true", "default"),
              parse_condition("[ES_LAG] < 100", "default")};
    default:
      return {parse_condition("[CONNECTED] == true", "default")};
  }
}

uptime_config parse_config(const std::string& yaml_text, const std::string& source) {
  const context c{source};
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    std::string where = source;
    if (e.mark.line >= 0) where += ":" + std::to_string(e.mark.line + 1);
    throw input_error(where, "not valid YAML: " + e.msg);
  }
  uptime_config cfg;
  cfg.source = source;
  if (!root.IsMap()) throw input_error(source, "expected a mapping with an `endpoints` list");
  check_keys(c, root, "", {"title", "storage", "defaults", "alerts", "probes", "endpoints"});
  if (const YAML::Node p = root["probes"]) {
    check_keys(c, p, "probes", {"location", "token_env", "quorum"});
    if (p["location"]) cfg.probes.location = scalar(c, p["location"], "probes.location");
    if (p["token_env"]) cfg.probes.token_env = scalar(c, p["token_env"], "probes.token_env");
    if (p["quorum"]) cfg.probes.quorum = integer(c, p["quorum"], "probes.quorum", 1, 100);
    if (cfg.probes.quorum > 1 && cfg.probes.token_env.empty()) {
      c.fail(p, "probes", "a quorum above 1 needs remote probes: set token_env");
    }
  }
  if (root["title"]) cfg.title = scalar(c, root["title"], "title");
  if (const YAML::Node s = root["storage"]) {
    check_keys(c, s, "storage", {"path", "retention"});
    if (s["path"]) cfg.storage_path = scalar(c, s["path"], "storage.path");
    if (s["retention"]) cfg.retention = duration(c, s["retention"], "storage.retention", 60'000);
  }
  milliseconds interval{30'000}, timeout{10'000};
  if (const YAML::Node d = root["defaults"]) {
    check_keys(c, d, "defaults", {"interval", "timeout"});
    if (d["interval"]) interval = duration(c, d["interval"], "defaults.interval", 100);
    if (d["timeout"]) timeout = duration(c, d["timeout"], "defaults.timeout", 50);
  }
  if (const YAML::Node a = root["alerts"]) {
    check_keys(c, a, "alerts", {"webhook", "failure_threshold", "success_threshold", "cooldown"});
    if (const YAML::Node w = a["webhook"]) {
      check_keys(c, w, "alerts.webhook", {"url", "headers", "token_env"});
      if (!w["url"]) c.fail(w, "alerts.webhook", "expected a url");
      cfg.alerts.webhook_url = scalar(c, w["url"], "alerts.webhook.url");
      try {
        const rpc::url u = rpc::parse_url(cfg.alerts.webhook_url);
        if (u.websocket()) throw input_error("url", "a webhook is http:// or https://");
      } catch (const input_error& e) {
        c.fail(w["url"], "alerts.webhook.url", e.problem());
      }
      if (const YAML::Node h = w["headers"]) {
        if (!h.IsMap()) c.fail(h, "alerts.webhook.headers", "expected a mapping of header: value");
        for (const auto& kv : h)
          cfg.alerts.headers.emplace_back(kv.first.as<std::string>(),
                                          scalar(c, kv.second, "alerts.webhook.headers"));
      }
      if (w["token_env"])
        cfg.alerts.token_env = scalar(c, w["token_env"], "alerts.webhook.token_env");
    }
    if (a["failure_threshold"])
      cfg.alerts.failure_threshold =
          integer(c, a["failure_threshold"], "alerts.failure_threshold", 1, 1000);
    if (a["success_threshold"])
      cfg.alerts.success_threshold =
          integer(c, a["success_threshold"], "alerts.success_threshold", 1, 1000);
    if (a["cooldown"]) cfg.alerts.cooldown = duration(c, a["cooldown"], "alerts.cooldown", 0);
  }
  const YAML::Node eps = root["endpoints"];
  if (!eps || !eps.IsSequence() || eps.size() == 0) {
    c.fail(eps ? eps : root, "endpoints", "expected a non-empty list of endpoints");
  }
  std::set<std::string> keys;
  for (std::size_t i = 0; i < eps.size(); ++i) {
    endpoint_config e = parse_endpoint(c, eps[i], i, interval, timeout);
    if (!keys.insert(e.key()).second) {
      c.fail(eps[i], "endpoints[" + std::to_string(i) + "].name",
             "duplicate endpoint \"" + e.name + "\" in group \"" + e.group + "\"");
    }
    cfg.endpoints.push_back(std::move(e));
  }
  // An Elasticsearch endpoint without chain_id takes the chain head from a group's nodes: the
  // group must have some.
  for (std::size_t i = 0; i < cfg.endpoints.size(); ++i) {
    endpoint_config& e = cfg.endpoints[i];
    if (e.kind != endpoint_kind::elasticsearch || !e.es.chain_id.empty()) continue;
    if (e.es.chain_group.empty()) e.es.chain_group = e.group;
    const bool has_nodes =
        std::any_of(cfg.endpoints.begin(), cfg.endpoints.end(), [&](const auto& o) {
          return o.group == e.es.chain_group &&
                 (o.kind == endpoint_kind::websocket || o.kind == endpoint_kind::http_jsonrpc);
        });
    if (!has_nodes) {
      const YAML::Node n = eps[i]["elasticsearch"];
      c.fail(n && n["chain_group"] ? n["chain_group"] : eps[i],
             "endpoints[" + std::to_string(i) + "].elasticsearch",
             "no ws://, wss:// or jsonrpc endpoint in group \"" + e.es.chain_group +
                 "\" gives the chain head: set chain_group to a group of nodes, or chain_id");
    }
  }
  return cfg;
}

uptime_config load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(path, "cannot read the file");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_config(text, path);
}

}  // namespace bts::uptime
