#include "uptime/probe.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>

#include <chrono>

#include "rpc/client.hpp"
#include "util/base64.hpp"
#include "rpc/url.hpp"
#include "util/time.hpp"

namespace bts::uptime {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace asio::experimental::awaitable_operators;
using clock_type = std::chrono::steady_clock;

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double ms_between(clock_type::time_point a, clock_type::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

std::chrono::milliseconds remaining(clock_type::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
  return std::max(left, std::chrono::milliseconds(1));
}

void apply_fetch(probe_result& r, const detail::fetch_result& f, const endpoint_config& e) {
  r.phases.dns_ms = f.dns_ms;
  r.phases.tcp_ms = f.tcp_ms;
  r.phases.tls_ms = f.tls_ms;
  r.certificate = f.certificate;
  if (f.certificate && f.certificate->not_after_ms) {
    r.found.certificate_expiration_ms =
        static_cast<double>(f.certificate->not_after_ms - unix_ms());
  }
  if (!f.error.empty()) r.error = f.error;
  (void)e;
}

asio::awaitable<void> probe_rpc(const endpoint_config& e, probe_result& r,
                                clock_type::time_point start, clock_type::time_point deadline) {
  auto ex = co_await asio::this_coro::executor;
  rpc::client_options o;
  o.url = e.url;
  o.reconnect = false;
  o.connect_timeout = remaining(deadline);
  o.call_timeout = remaining(deadline);
  o.tls.verify = rpc::tls_verify::none;  // the certificate was examined in the first step
  o.timeout_resolution = std::chrono::milliseconds(20);
  rpc::client c(ex, o);
  std::optional<clock_type::time_point> upgraded;
  const auto client_start = clock_type::now();
  const bool websocket = e.kind == endpoint_kind::websocket;
  if (websocket) {
    c.on_connect([&upgraded](rpc::client&) -> asio::awaitable<void> {
      upgraded = clock_type::now();
      co_return;
    });
  }
  c.start();
  json::array credentials{"", ""};
  rpc::call_result login = co_await c.call(1, "login", std::move(credentials), remaining(deadline));
  const auto answered = clock_type::now();
  if (!login.ok()) {
    const std::string why = c.last_error().empty() ? login.error().to_string() : c.last_error();
    r.error = "login: " + why;
    r.found.connected = false;
    c.close();
    co_return;
  }
  r.found.connected = true;
  if (websocket && upgraded) {
    const double connect_ms = ms_between(client_start, *upgraded);
    r.phases.ws_upgrade_ms =
        std::max(0.0, connect_ms - r.phases.tcp_ms.value_or(0) - r.phases.tls_ms.value_or(0) -
                          r.phases.dns_ms.value_or(0));
    r.phases.first_call_ms = ms_between(*upgraded, answered);
  } else {
    r.phases.first_call_ms = ms_between(client_start, answered);
  }
  r.found.response_time_ms = ms_between(start, answered);

  const auto t = remaining(deadline);
  auto [chain, dgp, apis] = co_await (c.call("database", "get_chain_id", {}, t) &&
                                      c.call("database", "get_dynamic_global_properties", {}, t) &&
                                      c.call(1, "get_available_api_sets", {}, t));
  if (chain.ok() && chain.value().is_string())
    r.found.chain_id = std::string(chain.value().get_string());
  else if (r.error.empty())
    r.error =
        "get_chain_id: " + (chain.ok() ? std::string("not a string") : chain.error().to_string());
  if (dgp.ok() && dgp.value().is_object()) {
    const auto& d = dgp.value().get_object();
    try {
      if (const auto* n = d.if_contains("head_block_number")) r.head_block_num = rpc::as_int64(*n);
      if (const auto* n = d.if_contains("last_irreversible_block_num"))
        r.last_irreversible_block_num = rpc::as_int64(*n);
      if (const auto* tm = d.if_contains("time"); tm && tm->is_string()) {
        r.head_block_time_ms =
            static_cast<std::int64_t>(parse_time_point_sec(tm->get_string())) * 1000;
        r.found.head_block_age_ms = static_cast<double>(unix_ms() - *r.head_block_time_ms);
      }
      if (const auto* s = d.if_contains("recent_slots_filled"))
        r.found.participation = participation_percent(*s);
    } catch (const std::exception& ex) {
      if (r.error.empty()) r.error = std::string("get_dynamic_global_properties: ") + ex.what();
    }
    if (r.head_block_num && r.last_irreversible_block_num) {
      r.found.last_irreversible_lag =
          static_cast<double>(*r.head_block_num - *r.last_irreversible_block_num);
    }
  } else if (r.error.empty()) {
    r.error = "get_dynamic_global_properties: " +
              (dgp.ok() ? std::string("not an object") : dgp.error().to_string());
  }
  if (apis.ok() && apis.value().is_array()) {
    std::vector<std::string> sets;
    for (const auto& a : apis.value().get_array()) {
      if (a.is_string()) sets.emplace_back(a.get_string());
    }
    r.found.api_sets = std::move(sets);
  }
  if (e.call_method) {
    boost::system::error_code ec;
    json::value params = json::parse(e.call_params, ec);
    rpc::call_result extra = co_await c.call(*e.call_api, *e.call_method,
                                             params.is_array() ? params.get_array() : json::array{},
                                             remaining(deadline));
    if (extra.ok())
      r.found.body = json::object{{"result", extra.value()}};
    else {
      r.found.body = json::object{{"error", json::value(extra.error().to_string())}};
      if (r.error.empty()) r.error = *e.call_method + ": " + extra.error().to_string();
    }
  }
  c.close();
}

// One line of at most 160 characters of an HTTP body, for error messages.
std::string one_line(const std::string& body) {
  std::string s;
  for (char ch : body) {
    if (s.size() >= 160) {
      s += "...";
      break;
    }
    s += (ch == '\n' || ch == '\r' || ch == '\t') ? ' ' : ch;
  }
  return s;
}

// Elasticsearch errors: {"error":{"type":..,"reason":..},"status":N}; else the body's first line.
std::string es_error_text(const std::string& body) {
  boost::system::error_code ec;
  const json::value v = json::parse(body, ec);
  if (!ec && v.is_object()) {
    if (const auto* e = v.get_object().if_contains("error")) {
      if (e->is_object()) {
        std::string t;
        if (const auto* ty = e->get_object().if_contains("type"); ty && ty->is_string())
          t = std::string(ty->get_string());
        if (const auto* re = e->get_object().if_contains("reason"); re && re->is_string())
          t += (t.empty() ? "" : ": ") + std::string(re->get_string());
        if (!t.empty()) return one_line(t);
      } else if (e->is_string()) {
        return one_line(std::string(e->get_string()));
      }
    }
  }
  return one_line(body);
}

asio::awaitable<void> probe_es(const endpoint_config& e, probe_result& r,
                               const detail::fetch_result& first, detail::fetch_options fo,
                               clock_type::time_point start) {
  auto check = [&](const detail::fetch_result& f, const std::string& index,
                   const std::string& field,
                   const std::string& time_field) -> std::optional<es_newest> {
    if (!f.error.empty()) {
      r.error = f.error;
      return std::nullopt;
    }
    if (!f.status) return std::nullopt;
    if (*f.status < 200 || *f.status >= 300) {
      r.error = "elasticsearch " + index + "/_search: HTTP " + std::to_string(*f.status) +
                (f.body.empty() ? "" : ": " + es_error_text(f.body));
      return std::nullopt;
    }
    try {
      return parse_es_newest(f.body, field, time_field);
    } catch (const std::exception& ex) {
      r.error = "elasticsearch " + index + "/_search: " + ex.what();
      return std::nullopt;
    }
  };
  if (first.status) {
    r.found.status = *first.status;
    r.found.response_time_ms = ms_between(start, clock_type::now());
    r.phases.first_call_ms = first.request_ms;
    boost::system::error_code ec;
    json::value body = json::parse(first.body, ec);
    r.found.body = ec ? json::value(first.body) : std::move(body);
  }
  const auto newest = check(first, e.es.index, "block_data.block_num", "block_data.block_time");
  if (!newest) co_return;
  r.found.connected = true;
  r.es_block_num = newest->block;
  r.es_block_time_ms = newest->time_ms;
  if (newest->time_ms) r.found.es_block_age_ms = static_cast<double>(unix_ms() - *newest->time_ms);
  if (!newest->block) r.found.es_lag_missing = "no indexed block in " + e.es.index;
  if (e.es.objects_index.empty()) co_return;
  fo.request->target = rpc::parse_url(e.url).target;
  if (fo.request->target.empty() || fo.request->target.back() != '/') fo.request->target += '/';
  fo.request->target += e.es.objects_index + "/_search";
  fo.request->body = es_newest_query("block_number", "block_time");
  const detail::fetch_result f = co_await detail::fetch(fo);
  const auto objects = check(f, e.es.objects_index, "block_number", "block_time");
  if (!objects) {
    r.found.connected = false;
    co_return;
  }
  r.es_objects_block_num = objects->block;
  if (!objects->block)
    r.found.es_objects_lag_missing = "no indexed object in " + e.es.objects_index;
}

}  // namespace

std::string es_newest_query(const std::string& field, const std::string& time_field) {
  json::object order{{"order", "desc"}, {"unmapped_type", "long"}};
  json::object sort;
  sort[field] = std::move(order);
  return json::serialize(json::object{{"size", 1},
                                      {"sort", json::array{std::move(sort)}},
                                      {"_source", json::array{field, time_field}}});
}

es_newest parse_es_newest(const std::string& body, const std::string& field,
                          const std::string& time_field) {
  boost::system::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec) throw std::runtime_error("answer is not JSON (" + ec.message() + "): " + one_line(body));
  const json::value* hits = v.is_object() ? v.get_object().if_contains("hits") : nullptr;
  const json::value* list =
      hits && hits->is_object() ? hits->get_object().if_contains("hits") : nullptr;
  if (!list || !list->is_array())
    throw std::runtime_error("answer has no hits.hits array: " + one_line(body));
  es_newest out;
  if (list->get_array().empty()) return out;
  const json::value& hit = list->get_array()[0];
  auto path = [](const json::value* at, const std::string& dotted) -> const json::value* {
    std::size_t from = 0;
    while (at && from <= dotted.size()) {
      const std::size_t dot = std::min(dotted.find('.', from), dotted.size());
      if (!at->is_object()) return nullptr;
      at = at->get_object().if_contains(dotted.substr(from, dot - from));
      from = dot + 1;
    }
    return at;
  };
  const json::value* src = hit.is_object() ? hit.get_object().if_contains("_source") : nullptr;
  const json::value* num = path(src, field);
  // Without _source (or the field in it), the sort value is the number.
  if (!num && hit.is_object()) {
    if (const auto* s = hit.get_object().if_contains("sort");
        s && s->is_array() && !s->get_array().empty())
      num = &s->get_array()[0];
  }
  if (!num) throw std::runtime_error("newest hit has no " + field + ": " + one_line(body));
  try {
    out.block = rpc::as_int64(*num);
  } catch (const std::exception&) {
    throw std::runtime_error(field + " is not a number: " + json::serialize(*num));
  }
  if (const json::value* t = path(src, time_field); t && t->is_string()) {
    try {
      std::string text(t->get_string());
      if (text.size() > 19) text.resize(19);  // "2026-11-24T21:00:00.000Z" -> seconds
      out.time_ms = static_cast<std::int64_t>(parse_time_point_sec(text)) * 1000;
    } catch (const std::exception&) {
    }
  } else if (t && t->is_number()) {
    out.time_ms = static_cast<std::int64_t>(t->to_number<double>());
  }
  return out;
}

std::optional<double> participation_percent(const json::value& v) {
  unsigned __int128 x = 0;
  if (v.is_string()) {
    const auto s = v.get_string();
    if (s.empty()) return std::nullopt;
    for (char ch : s) {
      if (ch < '0' || ch > '9') return std::nullopt;
      x = x * 10 + static_cast<unsigned>(ch - '0');
    }
  } else if (v.is_uint64()) {
    x = v.get_uint64();
  } else if (v.is_int64() && v.get_int64() >= 0) {
    x = static_cast<std::uint64_t>(v.get_int64());
  } else {
    return std::nullopt;
  }
  const int bits = __builtin_popcountll(static_cast<std::uint64_t>(x)) +
                   __builtin_popcountll(static_cast<std::uint64_t>(x >> 64));
  return bits * 100.0 / 128.0;
}

asio::awaitable<probe_result> probe(const endpoint_config& e) {
  probe_result r;
  r.started_ms = unix_ms();
  const auto start = clock_type::now();
  const auto deadline = start + e.timeout;
  detail::fetch_options fo;
  fo.host = e.host;
  fo.port = e.port;
  fo.tls = e.tls;
  fo.deadline = deadline;
  if (e.kind == endpoint_kind::http) {
    detail::http_request req;
    try {
      req.target = rpc::parse_url(e.url).target;
    } catch (const std::exception&) {
    }
    fo.request = req;
  } else if (e.kind == endpoint_kind::elasticsearch) {
    detail::http_request req;
    req.method = "POST";
    req.target = rpc::parse_url(e.url).target;
    if (req.target.empty() || req.target.back() != '/') req.target += '/';
    req.target += e.es.index + "/_search";
    req.body = es_newest_query("block_data.block_num", "block_data.block_time");
    if (!e.es.username.empty()) {
      req.headers.emplace_back(
          "Authorization",
          "Basic " + base64_encode(e.es.username + ":" + e.es.password));
    }
    fo.request = req;
  }
  const detail::fetch_result f = co_await detail::fetch(fo);
  apply_fetch(r, f, e);
  switch (e.kind) {
    case endpoint_kind::tcp:
      r.found.connected = f.connected;
      if (f.tcp_ms) r.found.response_time_ms = ms_between(start, clock_type::now());
      break;
    case endpoint_kind::http:
      r.found.connected = f.connected && f.error.empty();
      if (f.status) {
        r.found.status = *f.status;
        r.found.response_time_ms = ms_between(start, clock_type::now());
        r.phases.first_call_ms = f.request_ms;
        boost::system::error_code ec;
        json::value body = json::parse(f.body, ec);
        r.found.body = ec ? json::value(f.body) : std::move(body);
      }
      break;
    case endpoint_kind::elasticsearch:
      co_await probe_es(e, r, f, fo, start);
      break;
    case endpoint_kind::websocket:
    case endpoint_kind::http_jsonrpc:
      if (f.error.empty()) co_await probe_rpc(e, r, start, deadline);
      break;
  }
  co_return r;
}

}  // namespace bts::uptime
