#include "overseer/http_api.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <cctype>
#include <memory>

#include "overseer/detail/api_request.hpp"
#include "overseer/pages.hpp"
#include "stats/json_io.hpp"
#include "util/error.hpp"

namespace bts::overseer {

namespace asio = boost::asio;
namespace json = boost::json;
namespace sj = stats::json;
using detail::not_found;

namespace {

bool same_token(const std::string& given, const std::string& expected) {
  // Constant time in the token's length: no early exit on the first differing byte.
  if (given.size() != expected.size() || expected.empty()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < given.size(); ++i) {
    diff |= static_cast<unsigned char>(given[i] ^ expected[i]);
  }
  return diff == 0;
}

std::string bearer(const rpc::http_request_info& r) {
  const std::string h = r.header("Authorization");
  constexpr std::string_view prefix = "Bearer ";
  if (h.size() > prefix.size() &&
      std::equal(prefix.begin(), prefix.end(), h.begin(),
                 [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    return h.substr(prefix.size());
  }
  return {};
}

rpc::http_response json_response(unsigned status, const json::value& v) {
  rpc::http_response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = sj::write(v) + "\n";
  return r;
}

rpc::http_response error_response(unsigned status, const std::string& message) {
  json::object o;
  o["error"] = message;
  return json_response(status, o);
}

rpc::http_response unauthorized(const std::string& message) {
  rpc::http_response res = error_response(401, message);
  res.headers.emplace_back("WWW-Authenticate", "Bearer");
  return res;
}

std::int64_t from_param(const std::map<std::string, std::string>& query) {
  auto f = query.find("from");
  if (f == query.end()) return 0;
  try {
    return std::stoll(f->second);
  } catch (...) {
    throw input_error("from", "expected an integer");
  }
}

}  // namespace

http_api::http_api(overseer& o, detail::core& c, std::size_t workers)
    : o_(o), c_(c), workers_(workers) {}

http_api::~http_api() { stop(); }

void http_api::stop() {
  workers_.stop();
  workers_.join();
}

std::optional<rpc::http_response> http_api::authenticate(const rpc::http_request_info& r) const {
  const std::string path = r.target.substr(0, r.target.find('?'));
  if (r.websocket_upgrade) {
    if (path != control::control_path) return error_response(404, "not found");
    const std::string token = bearer(r);
    if (!same_token(token, c_.opt.beacon_token)) {
      c_.log("refused control connection from " + r.remote + ": " +
             (token.empty() ? "missing token" : "wrong token"));
      return unauthorized("unauthorized");
    }
    return std::nullopt;
  }
  if (r.method != "GET" && r.method != "HEAD") {
    const std::string token = bearer(r);
    if (!same_token(token, c_.opt.admin_token)) {
      c_.log("refused " + r.method + " " + path + " from " + r.remote + ": " +
             (token.empty() ? "missing admin token" : "wrong admin token"));
      return unauthorized("unauthorized: admin token required");
    }
  }
  return std::nullopt;
}

void http_api::serve(rpc::http_request_info req, rpc::http_responder respond) {
  asio::post(workers_, [this, req = std::move(req), respond = std::move(respond)] {
    respond(route(req));
  });
}

rpc::http_response http_api::route(const rpc::http_request_info& req) {
  std::string_view target = req.target;
  std::string_view path = target.substr(0, target.find('?'));
  try {
    const auto query = target.find('?') == std::string_view::npos
                           ? std::map<std::string, std::string>{}
                           : detail::parse_query(target.substr(target.find('?') + 1));
    if (req.method == "GET" || req.method == "HEAD") {
      if (auto r = dashboard_http(o_, path)) return std::move(*r);
      if (auto r = metrics_http(o_, path)) return std::move(*r);
    }
    return route_api(req, path, query);
  } catch (const not_found& e) {
    return error_response(404, e.what());
  } catch (const input_error& e) {
    return error_response(400, e.what());
  } catch (const std::exception& e) {
    // As rpc::server answers a throwing handler.
    return rpc::http_response{
        500, "text/plain", std::string("internal error: ") + e.what() + "\n", {}};
  }
}

// The routes of overseer.hpp, one line each.
rpc::http_response http_api::route_api(const rpc::http_request_info& req, std::string_view path,
                                       const std::map<std::string, std::string>& query) {
  const auto parts = detail::split_path(path);
  if (parts.empty() || parts[0] != "api") return error_response(404, "not found");
  const bool get = req.method == "GET";
  const bool post = req.method == "POST";
  const std::size_t n = parts.size();
  const std::string what = n == 4 ? parts[3] : "";
  if (n == 2 && parts[1] == "beacons" && get) return json_response(200, o_.beacons_json());
  if (n == 2 && parts[1] == "runs" && get) return json_response(200, o_.runs_json());
  if (n == 2 && parts[1] == "runs" && post) {
    return json_response(201, o_.create_run(detail::parse_run_request(req, query)));
  }
  if (n == 3 && parts[1] == "runs" && get) return json_response(200, o_.run_json(parts[2]));
  if (n == 4 && parts[1] == "runs") {
    const std::string& id = parts[2];
    if (get && what == "blocks") return json_response(200, o_.blocks_json(id, from_param(query)));
    if (get && what == "series") {
      auto b = query.find("beacon");
      return json_response(
          200, o_.series_json(id, b == query.end() ? "" : b->second, from_param(query)));
    }
    if (post && what == "start") return start(id, req);
    if (post && what == "stop") return json_response(200, o_.stop_run(id));
    if (post && what == "rate") {
      const json::value v = sj::parse(req.body, "body");
      const json::object& ob = sj::as_object(v, "body");
      return json_response(
          200, o_.change_rate(id, detail::parse_total_rate(sj::get(ob, "rate", ""), "rate")));
    }
  }
  return error_response(404, "not found: " + req.method + " " + std::string(path));
}

// POST /api/runs/ID/start [{"delay_ms": N}]
rpc::http_response http_api::start(const std::string& id, const rpc::http_request_info& req) {
  std::optional<unix_us> at;
  if (!req.body.empty() && req.body.find_first_not_of(" \t\r\n") != std::string::npos) {
    const json::value v = sj::parse(req.body, "body");
    const json::object& ob = sj::as_object(v, "body");
    if (auto d = sj::get_optional_int(ob, "delay_ms", "")) {
      if (*d < 0) throw input_error("delay_ms", "expected a delay >= 0");
      at = c_.now() + *d * 1000;
    }
  }
  return json_response(200, o_.start_run(id, at));
}

}  // namespace bts::overseer
