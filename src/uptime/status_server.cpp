#include "uptime/status_server.hpp"

#include <boost/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <variant>

#include "web/assets.hpp"

namespace bts::uptime {
namespace {

namespace json = boost::json;

constexpr std::int64_t day_ms = 86'400'000;

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json::value opt(const std::optional<double>& v) {
  if (!v) return nullptr;
  return std::round(*v * 1000.0) / 1000.0;
}

const endpoint_config* find_endpoint(const tracker& t, std::string_view key) {
  for (const auto& e : t.config().endpoints) {
    if (e.key() == key) return &e;
  }
  return nullptr;
}

json::object uptime_of(const tracker& t, const std::string& key, std::int64_t now) {
  json::object u;
  uptime_store* s = t.store();
  static const std::pair<const char*, std::int64_t> windows[] = {
      {"24h", day_ms}, {"7d", 7 * day_ms}, {"30d", 30 * day_ms}};
  for (const auto& [name, len] : windows) {
    if (!s) {
      u[name] = nullptr;
      continue;
    }
    try {
      const state_counts c = s->counts(key, now - len);
      const auto r = c.uptime_ratio();
      u[name] = r ? json::value(std::round(*r * 100000.0) / 1000.0) : json::value(nullptr);
    } catch (const std::exception&) {
      u[name] = nullptr;
    }
  }
  return u;
}

json::object certificate_json(const certificate_info& c, std::int64_t now) {
  json::array sans;
  for (const auto& s : c.sans) sans.emplace_back(s);
  return {{"subject", c.subject},
          {"issuer", c.issuer},
          {"sans", std::move(sans)},
          {"not_after_ms", c.not_after_ms},
          {"expires_in_ms", c.not_after_ms - now},
          {"verified", c.verified},
          {"verify_error", c.verify_error}};
}

json::object endpoint_json(const tracker& t, const endpoint_config& e, const endpoint_status& s,
                           std::int64_t now) {
  json::array failed;
  for (const auto& f : s.failed) failed.emplace_back(f);
  json::object o{{"key", s.key},
                 {"name", e.name},
                 {"group", e.group},
                 {"url", e.url},
                 {"state", std::string(to_string(s.state))},
                 {"failed", std::move(failed)},
                 {"probes", s.probes},
                 {"incident_open", s.incident_open},
                 {"location", e.location}};
  o["uptime"] = uptime_of(t, s.key, now);
  json::array remote;
  for (const auto& [where, view] : s.remote) {
    json::array rf;
    for (const auto& f : view.failed) rf.emplace_back(f);
    remote.push_back(json::object{{"location", where},
                                  {"state", std::string(to_string(view.state))},
                                  {"failed", std::move(rf)},
                                  {"ts_ms", view.ts_ms}});
  }
  o["locations"] = std::move(remote);
  if (s.last) {
    const probe_result& r = *s.last;
    o["checked_ms"] = r.started_ms;
    o["error"] = r.error;
    o["response_ms"] = opt(r.found.response_time_ms);
    o["phases"] = json::object{{"dns_ms", opt(r.phases.dns_ms)},
                               {"tcp_ms", opt(r.phases.tcp_ms)},
                               {"tls_ms", opt(r.phases.tls_ms)},
                               {"ws_upgrade_ms", opt(r.phases.ws_upgrade_ms)},
                               {"first_call_ms", opt(r.phases.first_call_ms)}};
    o["chain_id"] = r.found.chain_id ? json::value(*r.found.chain_id) : json::value(nullptr);
    o["head_block_num"] = r.head_block_num ? json::value(*r.head_block_num) : json::value(nullptr);
    o["head_block_age_ms"] = opt(r.found.head_block_age_ms);
    o["head_block_lag"] = opt(r.found.head_block_lag);
    o["last_irreversible_lag"] = opt(r.found.last_irreversible_lag);
    o["participation"] = opt(r.found.participation);
    if (r.found.api_sets) {
      json::array a;
      for (const auto& x : *r.found.api_sets) a.emplace_back(x);
      o["api_sets"] = std::move(a);
    } else {
      o["api_sets"] = nullptr;
    }
    if (r.found.status) o["status"] = *r.found.status;
    if (e.kind == endpoint_kind::elasticsearch) {
      auto i64 = [](const std::optional<std::int64_t>& v) {
        return v ? json::value(*v) : json::value(nullptr);
      };
      json::object es{{"index", e.es.index},
                      {"newest_block", i64(r.es_block_num)},
                      {"newest_block_time_ms", i64(r.es_block_time_ms)},
                      {"block_age_ms", opt(r.found.es_block_age_ms)},
                      {"chain_head", opt(r.es_chain_head)},
                      {"lag", opt(r.found.es_lag)},
                      {"lag_unknown", r.found.es_lag_missing}};
      if (!e.es.objects_index.empty()) {
        es["objects_index"] = e.es.objects_index;
        es["objects_newest_block"] = i64(r.es_objects_block_num);
        es["objects_lag"] = opt(r.found.es_objects_lag);
      }
      o["es"] = std::move(es);
    }
    o["certificate"] =
        r.certificate ? json::value(certificate_json(*r.certificate, now)) : json::value(nullptr);
  }
  return o;
}

std::string state_color(endpoint_state s) {
  switch (s) {
    case endpoint_state::up:
      return "#2e9d4f";
    case endpoint_state::degraded:
      return "#d9a406";
    case endpoint_state::wrong_network:
      return "#8e44ad";
    case endpoint_state::down:
      return "#c62828";
    default:
      return "#777777";
  }
}

std::string prom_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

rpc::http_response json_response(std::string body, unsigned status = 200) {
  rpc::http_response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  return r;
}

rpc::http_response not_found(std::string_view what) {
  return json_response(json::serialize(json::object{{"error", "not found: " + std::string(what)}}),
                       404);
}

std::string page_html(const tracker& t) {
  const std::string title = web::html_escape(t.config().title);
  return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<title>" +
         title +
         "</title>"
         "<link rel=\"stylesheet\" href=\"/assets/uplot.css\">"
         "<link rel=\"stylesheet\" href=\"/assets/uptime-status.css\">"
         "<link rel=\"icon\" href=\"data:,\">"
         "</head><body>"
         "<header><h1>" +
         title +
         "</h1><div id=\"summary\" class=\"summary\">Loading…</div></header>"
         "<main><section id=\"groups\"></section>"
         "<section><h2>Certificates</h2><table id=\"certificates\" "
         "class=\"table\"></table></section>"
         "<section><h2>Incidents</h2><ul id=\"incidents\" "
         "class=\"incidents\"></ul></section></main>"
         "<footer>bts-infra uptime · <a href=\"/api/v1/status\">JSON API</a> · <a "
         "href=\"/nodes.json\">healthy node list</a> · "
         "<a href=\"/metrics\">metrics</a></footer>"
         "<script src=\"/assets/uplot.js\"></script><script "
         "src=\"/assets/uptime-status.js\"></script>"
         "</body></html>\n";
}

std::string query_param(std::string_view target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view kv = rest.substr(0, amp);
    const auto eq = kv.find('=');
    if (kv.substr(0, eq) == name)
      return eq == std::string_view::npos ? "" : std::string(kv.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    rest = rest.substr(amp + 1);
  }
  return {};
}

}  // namespace

std::string badge_svg(std::string_view label, std::string_view value, std::string_view color) {
  const int lw = 6 * static_cast<int>(label.size()) + 12;
  const int vw = 6 * static_cast<int>(value.size()) + 12;
  const std::string l = web::html_escape(label), v = web::html_escape(value);
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << lw + vw
    << "\" height=\"20\" role=\"img\" aria-label=\"" << l << ": " << v << "\"><title>" << l << ": "
    << v << "</title>"
    << "<rect width=\"" << lw << "\" height=\"20\" fill=\"#555\"/>"
    << "<rect x=\"" << lw << "\" width=\"" << vw << "\" height=\"20\" fill=\"" << color << "\"/>"
    << "<g fill=\"#fff\" font-family=\"Verdana,DejaVu Sans,sans-serif\" font-size=\"11\">"
    << "<text x=\"6\" y=\"14\">" << l << "</text><text x=\"" << lw + 6 << "\" y=\"14\">" << v
    << "</text></g></svg>";
  return o.str();
}

std::string status_json(const tracker& t) {
  const std::int64_t now = unix_ms();
  const auto snap = t.snapshot();
  json::array groups;
  std::map<std::string, std::size_t> group_index;
  std::size_t counts[5] = {0, 0, 0, 0, 0};
  for (std::size_t i = 0; i < snap.size(); ++i) {
    const endpoint_config& e = t.config().endpoints[i];
    ++counts[static_cast<int>(snap[i].state)];
    auto [it, fresh] = group_index.emplace(e.group, groups.size());
    if (fresh) groups.push_back(json::object{{"name", e.group}, {"endpoints", json::array{}}});
    groups[it->second].as_object()["endpoints"].as_array().push_back(
        endpoint_json(t, e, snap[i], now));
  }
  json::array incidents, certificates;
  if (uptime_store* s = t.store()) {
    try {
      for (const auto& inc : s->incidents(50)) {
        const endpoint_config* e = find_endpoint(t, inc.key);
        incidents.push_back(json::object{
            {"id", inc.id},
            {"key", inc.key},
            {"name", e ? e->name : inc.key},
            {"group", e ? e->group : ""},
            {"started_ms", inc.started_ms},
            {"ended_ms", inc.ended_ms ? json::value(*inc.ended_ms) : json::value(nullptr)},
            {"state", std::string(to_string(inc.state))},
            {"reason", inc.reason}});
      }
      for (const auto& c : s->certificates()) {
        certificates.push_back(json::object{{"host", c.host},
                                            {"subject", c.subject},
                                            {"issuer", c.issuer},
                                            {"sans", c.sans},
                                            {"not_after_ms", c.not_after_ms},
                                            {"expires_in_ms", c.not_after_ms - now},
                                            {"checked_ms", c.checked_ms},
                                            {"verified", c.verified},
                                            {"verify_error", c.verify_error}});
      }
    } catch (const std::exception&) {
    }
  }
  json::object o{{"title", t.config().title},
                 {"generated_ms", now},
                 {"summary", json::object{{"up", counts[0]},
                                          {"degraded", counts[1]},
                                          {"wrong_network", counts[2]},
                                          {"down", counts[3]},
                                          {"unknown", counts[4]}}},
                 {"groups", std::move(groups)},
                 {"incidents", std::move(incidents)},
                 {"certificates", std::move(certificates)}};
  return json::serialize(o);
}

std::string nodes_json(const tracker& t) {
  const auto snap = t.snapshot();
  json::array out;
  for (std::size_t i = 0; i < snap.size(); ++i) {
    const endpoint_config& e = t.config().endpoints[i];
    if (e.kind != endpoint_kind::websocket || !e.public_list || snap[i].state != endpoint_state::up)
      continue;
    json::object n{{"url", e.url}, {"location", e.location.empty() ? e.name : e.location}};
    if (!e.region.empty()) n["region"] = e.region;
    if (!e.country.empty()) n["country"] = e.country;
    if (!e.operator_name.empty()) n["operator"] = e.operator_name;
    if (!e.contact.empty()) n["contact"] = e.contact;
    out.push_back(std::move(n));
  }
  return json::serialize(out);
}

std::string metrics_text(const tracker& t) {
  const std::int64_t now = unix_ms();
  const auto snap = t.snapshot();
  std::ostringstream o;
  o << "# HELP bts_uptime_endpoint_up 1 when the endpoint's last probe was up (all conditions "
       "passed).\n"
       "# TYPE bts_uptime_endpoint_up gauge\n";
  std::vector<std::string> labels(snap.size());
  for (std::size_t i = 0; i < snap.size(); ++i) {
    const auto& e = t.config().endpoints[i];
    labels[i] = "endpoint=\"" + prom_escape(e.name) + "\",group=\"" + prom_escape(e.group) + "\"";
    o << "bts_uptime_endpoint_up{" << labels[i] << "} "
      << (snap[i].state == endpoint_state::up ? 1 : 0) << "\n";
  }
  o << "# HELP bts_uptime_endpoint_state The endpoint's last state (1 for the current one).\n"
       "# TYPE bts_uptime_endpoint_state gauge\n";
  for (std::size_t i = 0; i < snap.size(); ++i) {
    for (auto s : {endpoint_state::up, endpoint_state::degraded, endpoint_state::wrong_network,
                   endpoint_state::down}) {
      o << "bts_uptime_endpoint_state{" << labels[i] << ",state=\"" << to_string(s) << "\"} "
        << (snap[i].state == s ? 1 : 0) << "\n";
    }
  }
  o << "# HELP bts_uptime_results_total Probe results since start, by state.\n# TYPE "
       "bts_uptime_results_total counter\n";
  for (std::size_t i = 0; i < snap.size(); ++i) {
    for (int s = 0; s < 4; ++s) {
      o << "bts_uptime_results_total{" << labels[i] << ",state=\""
        << to_string(static_cast<endpoint_state>(s)) << "\"} " << snap[i].by_state[s] << "\n";
    }
  }
  auto gauge = [&](const char* name, const char* help, auto get) {
    o << "# HELP " << name << " " << help << "\n# TYPE " << name << " gauge\n";
    for (std::size_t i = 0; i < snap.size(); ++i) {
      if (!snap[i].last) continue;
      const std::optional<double> v = get(*snap[i].last);
      if (v) o << name << "{" << labels[i] << "} " << num(*v) << "\n";
    }
  };
  gauge("bts_uptime_response_time_seconds", "Time to the first answer of the last probe.",
        [](const probe_result& r) {
          return r.found.response_time_ms ? std::optional<double>(*r.found.response_time_ms / 1000)
                                          : std::nullopt;
        });
  gauge("bts_uptime_certificate_expiry_seconds", "Seconds until the TLS certificate expires.",
        [now](const probe_result& r) {
          return r.certificate ? std::optional<double>((r.certificate->not_after_ms - now) / 1000.0)
                               : std::nullopt;
        });
  gauge("bts_uptime_head_block_age_seconds", "Age of the node's head block.",
        [](const probe_result& r) {
          return r.found.head_block_age_ms
                     ? std::optional<double>(*r.found.head_block_age_ms / 1000)
                     : std::nullopt;
        });
  gauge("bts_uptime_head_block_lag_blocks",
        "Blocks behind the median head of the chain's tracked nodes.",
        [](const probe_result& r) { return r.found.head_block_lag; });
  gauge("bts_uptime_participation_percent", "Witness participation over the last 128 slots.",
        [](const probe_result& r) { return r.found.participation; });
  gauge("bts_uptime_es_lag_blocks",
        "Blocks the Elasticsearch index is behind the chain head (median of its nodes).",
        [](const probe_result& r) { return r.found.es_lag; });
  gauge("bts_uptime_es_block_age_seconds", "Age of the newest block in the Elasticsearch index.",
        [](const probe_result& r) {
          return r.found.es_block_age_ms ? std::optional<double>(*r.found.es_block_age_ms / 1000)
                                         : std::nullopt;
        });
  gauge("bts_uptime_es_objects_lag_blocks",
        "Blocks the Elasticsearch objects-* indices are behind the chain head.",
        [](const probe_result& r) { return r.found.es_objects_lag; });
  o << "# HELP bts_uptime_uptime_ratio Share of up results in the window.\n# TYPE "
       "bts_uptime_uptime_ratio gauge\n";
  if (uptime_store* s = t.store()) {
    for (std::size_t i = 0; i < snap.size(); ++i) {
      for (const auto& [w, len] : {std::pair<const char*, std::int64_t>{"24h", day_ms},
                                   {"7d", 7 * day_ms},
                                   {"30d", 30 * day_ms}}) {
        try {
          if (auto r = s->counts(snap[i].key, now - len).uptime_ratio()) {
            o << "bts_uptime_uptime_ratio{" << labels[i] << ",window=\"" << w << "\"} " << num(*r)
              << "\n";
          }
        } catch (const std::exception&) {
        }
      }
    }
  }
  const auto& c = t.counters();
  o << "# TYPE bts_uptime_webhooks_sent_total counter\nbts_uptime_webhooks_sent_total "
    << c.webhooks_sent.load() << "\n";
  o << "# TYPE bts_uptime_webhooks_failed_total counter\nbts_uptime_webhooks_failed_total "
    << c.webhooks_failed.load() << "\n";
  o << "# TYPE bts_uptime_store_errors_total counter\nbts_uptime_store_errors_total "
    << c.store_errors.load() << "\n";
  return o.str();
}

status_server::status_server(boost::asio::any_io_executor executor, tracker& t, std::string host,
                             std::uint16_t port, std::optional<rpc::tls_server_options> tls,
                             std::string probe_token)
    : tracker_(t) {
  rpc::server_options o;
  o.host = std::move(host);
  o.port = port;
  o.tls = std::move(tls);
  o.http = [this](const rpc::http_request_info& r) { return handle(r); };
  o.authenticate = [token = std::move(probe_token)](
                       const rpc::http_request_info& r) -> std::optional<rpc::http_response> {
    if (!r.websocket_upgrade && r.method != "POST") return std::nullopt;  // pages and API: open
    rpc::http_response refuse;
    if (token.empty()) {
      refuse.status = 405;
      refuse.body = "read-only: GET only\n";
      return refuse;
    }
    const std::string got = r.header("Authorization");
    const std::string want = "Bearer " + token;
    // Constant time in the token's length.
    unsigned diff = got.size() != want.size();
    for (std::size_t i = 0; i < want.size(); ++i)
      diff |= static_cast<unsigned>(want[i] ^ (i < got.size() ? got[i] : 0));
    if (diff == 0) return std::nullopt;
    refuse.status = 401;
    refuse.body = "probe token required\n";
    return refuse;
  };
  o.handler = [this](std::shared_ptr<rpc::session>,
                     rpc::rpc_request r) -> boost::asio::awaitable<rpc::call_result> {
    auto parsed = rpc::parse_call_params(r.params);
    if (auto* err = std::get_if<rpc::rpc_error>(&parsed)) co_return *err;
    const auto& call = std::get<rpc::call_params>(parsed);
    if (call.api.is_id() || call.api.name() != "uptime" || call.method != "report") {
      co_return rpc::rpc_error::server(rpc::error_codes::method_not_found,
                                       "expected uptime.report");
    }
    const json::array& a = call.args;
    if (a.size() != 5 || !a[0].is_string() || !a[1].is_string() || !a[2].is_int64() ||
        !a[3].is_array() || !a[4].is_int64() || a[2].get_int64() < 0 || a[2].get_int64() > 3) {
      co_return rpc::rpc_error::server(rpc::error_codes::invalid_params,
                                       "expected [location, key, state 0..3, [failed...], ts_ms]");
    }
    std::vector<std::string> failed;
    for (const auto& f : a[3].get_array()) {
      if (f.is_string()) failed.emplace_back(f.get_string());
    }
    if (!tracker_.remote_result(std::string(a[0].get_string()), std::string(a[1].get_string()),
                                static_cast<endpoint_state>(a[2].get_int64()), std::move(failed),
                                a[4].get_int64())) {
      co_return rpc::rpc_error::server(rpc::error_codes::invalid_params,
                                       "unknown endpoint " + std::string(a[1].get_string()));
    }
    co_return json::value(true);
  };
  server_ = std::make_unique<rpc::server>(std::move(executor), std::move(o));
}

status_server::~status_server() { stop(); }

std::uint16_t status_server::port() const { return server_->port(); }

void status_server::stop() {
  if (server_) server_->stop();
}

rpc::http_response status_server::handle(const rpc::http_request_info& request) const {
  if (request.method != "GET" && request.method != "HEAD") {
    rpc::http_response r;
    r.status = 405;
    r.body = "read-only: GET only\n";
    return r;
  }
  std::string_view target = request.target;
  const std::string_view path = target.substr(0, target.find('?'));
  if (const web::asset* a = web::asset_for_target(target)) {
    rpc::http_response r;
    r.content_type = std::string(a->content_type);
    r.body = std::string(a->body);
    r.headers.emplace_back("Cache-Control", "public, max-age=3600");
    return r;
  }
  if (path == "/" || path == "/index.html") {
    rpc::http_response r;
    r.content_type = "text/html; charset=utf-8";
    r.body = page_html(tracker_);
    return r;
  }
  if (path == "/api/v1/status") return json_response(status_json(tracker_));
  if (path == "/nodes.json") return json_response(nodes_json(tracker_));
  if (path == "/metrics") {
    rpc::http_response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics_text(tracker_);
    return r;
  }
  constexpr std::string_view endpoints_prefix = "/api/v1/endpoints/";
  if (path.substr(0, endpoints_prefix.size()) == endpoints_prefix) {
    std::string_view rest = path.substr(endpoints_prefix.size());
    const auto slash = rest.find('/');
    const std::string key(rest.substr(0, slash));
    const std::string_view what = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
    const endpoint_config* e = find_endpoint(tracker_, key);
    if (!e) return not_found("endpoint " + key);
    const auto snap = tracker_.snapshot();
    const std::size_t i = static_cast<std::size_t>(e - tracker_.config().endpoints.data());
    if (what.empty())
      return json_response(json::serialize(endpoint_json(tracker_, *e, snap[i], unix_ms())));
    if (what != "history") return not_found(path);
    std::string window = query_param(target, "window");
    if (window.empty()) window = "24h";
    std::int64_t len = 0, bucket = 0;
    if (window == "1h")
      len = 3'600'000, bucket = 0;
    else if (window == "24h")
      len = day_ms, bucket = 300'000;
    else if (window == "7d")
      len = 7 * day_ms, bucket = 3'600'000;
    else if (window == "30d")
      len = 30 * day_ms, bucket = 4 * 3'600'000;
    else
      return json_response(R"({"error":"window: expected 1h, 24h, 7d or 30d"})", 400);
    json::array points;
    if (uptime_store* s = tracker_.store()) {
      const std::int64_t now = unix_ms();
      // Short windows show every probe when probes are frequent enough to need it.
      if (bucket == 0 || e->interval.count() * 2 > bucket)
        bucket = std::max<std::int64_t>(e->interval.count(), 1);
      if (len / bucket > 2000) bucket = len / 2000;
      for (const auto& p : s->history(key, now - len, bucket)) {
        points.push_back(json::array{p.ts_ms, opt(p.response_ms), std::string(to_string(p.worst))});
      }
    }
    return json_response(json::serialize(
        json::object{{"key", key}, {"window", window}, {"points", std::move(points)}}));
  }
  constexpr std::string_view badge_prefix = "/badge/";
  if (path.substr(0, badge_prefix.size()) == badge_prefix &&
      path.size() > badge_prefix.size() + 4 && path.substr(path.size() - 4) == ".svg") {
    std::string_view rest = path.substr(badge_prefix.size(), path.size() - badge_prefix.size() - 4);
    const auto slash = rest.find('/');
    const std::string key(rest.substr(0, slash));
    const endpoint_config* e = find_endpoint(tracker_, key);
    if (!e) return not_found("endpoint " + key);
    const auto snap = tracker_.snapshot();
    const endpoint_status& s =
        snap[static_cast<std::size_t>(e - tracker_.config().endpoints.data())];
    rpc::http_response r;
    r.content_type = "image/svg+xml";
    r.headers.emplace_back("Cache-Control", "no-cache");
    if (slash == std::string_view::npos) {
      r.body = badge_svg(e->name, to_string(s.state), state_color(s.state));
      return r;
    }
    const std::string_view sub = rest.substr(slash + 1);
    if (sub != "uptime/24h" && sub != "uptime/7d" && sub != "uptime/30d") return not_found(path);
    const std::string w(sub.substr(7));
    const json::object u = uptime_of(tracker_, key, unix_ms());
    const json::value& v = u.at(w);
    std::string text = "no data", color = "#777777";
    if (v.is_double()) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.2f%%", v.get_double());
      text = buf;
      color = v.get_double() >= 99.0 ? "#2e9d4f" : v.get_double() >= 95.0 ? "#d9a406" : "#c62828";
    }
    r.body = badge_svg("uptime " + w, text, color);
    return r;
  }
  rpc::http_response r;
  r.status = 404;
  r.body = "not found\n";
  return r;
}

}  // namespace bts::uptime
