#include "rpc/json_rpc.hpp"

#include "util/error.hpp"

#include <charconv>
#include <cmath>
#include <limits>

namespace bts::rpc {

const char* to_string(error_kind kind) {
  switch (kind) {
    case error_kind::server:
      return "server error";
    case error_kind::timeout:
      return "timeout";
    case error_kind::disconnected:
      return "disconnected";
    case error_kind::protocol:
      return "protocol error";
  }
  return "error";
}

rpc_error rpc_error::server(std::int64_t code, std::string message, json::value data) {
  return rpc_error{error_kind::server, code, std::move(message), std::move(data)};
}
rpc_error rpc_error::timeout(std::string message) {
  return rpc_error{error_kind::timeout, 0, std::move(message), nullptr};
}
rpc_error rpc_error::disconnected(std::string message) {
  return rpc_error{error_kind::disconnected, 0, std::move(message), nullptr};
}
rpc_error rpc_error::protocol(std::string message) {
  return rpc_error{error_kind::protocol, 0, std::move(message), nullptr};
}

std::string rpc_error::to_string() const {
  std::string s = rpc::to_string(kind);
  if (kind == error_kind::server) s += " " + std::to_string(code);
  return s + ": " + message;
}

rpc_exception::rpc_exception(rpc_error error)
    : std::runtime_error(error.to_string()), error_(std::move(error)) {}

const json::value& call_result::value() const& {
  if (!ok()) throw rpc_exception(error());
  return std::get<0>(v_);
}
json::value& call_result::value() & {
  if (!ok()) throw rpc_exception(error());
  return std::get<0>(v_);
}
json::value call_result::value() && {
  if (!ok()) throw rpc_exception(error());
  return std::move(std::get<0>(v_));
}

json::value api_ref::to_json() const {
  if (is_id()) return id();
  return json::string(name());
}

// ---- numbers --------------------------------------------------------------------------------

namespace {

std::string describe(const json::value& v) {
  std::string s = json::serialize(v);
  if (s.size() > 64) s = s.substr(0, 61) + "...";
  return s;
}

template <class T>
T integer_from(const json::value& v, const char* type_name) {
  const auto fail = [&](const char* why) -> T {
    throw input_error(std::string("expected ") + type_name + " (number or numeric string), got " +
                      describe(v) + (why[0] ? std::string(": ") + why : std::string()));
  };
  if (v.is_int64()) {
    const std::int64_t x = v.get_int64();
    if constexpr (std::is_unsigned_v<T>) {
      if (x < 0) return fail("out of range");
    }
    return static_cast<T>(x);
  }
  if (v.is_uint64()) {
    const std::uint64_t x = v.get_uint64();
    if (x > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) return fail("out of range");
    return static_cast<T>(x);
  }
  if (v.is_double()) {
    const double d = v.get_double();
    if (!std::isfinite(d) || d != std::trunc(d)) return fail("not an integer");
    // 2^63 and 2^64 are exactly representable; the range is [min, 2^bits) for both types.
    const double upper = std::is_unsigned_v<T> ? 18446744073709551616.0 : 9223372036854775808.0;
    const double lower = std::is_unsigned_v<T> ? 0.0 : -9223372036854775808.0;
    if (d < lower || d >= upper) return fail("out of range");
    return static_cast<T>(d);
  }
  if (v.is_string()) {
    const json::string& s = v.get_string();
    const char* first = s.data();
    const char* last = s.data() + s.size();
    if (first == last) return fail("empty string");
    if (*first == '+') return fail("not a decimal integer");
    // std::from_chars accepts '-' for unsigned types only as a failure, and nothing else odd.
    T x{};
    const auto [end, ec] = std::from_chars(first, last, x);
    if (ec == std::errc::result_out_of_range) return fail("out of range");
    if (ec != std::errc() || end != last) return fail("not a decimal integer");
    return x;
  }
  return fail("");
}

}  // namespace

std::int64_t as_int64(const json::value& v) { return integer_from<std::int64_t>(v, "an int64"); }
std::uint64_t as_uint64(const json::value& v) { return integer_from<std::uint64_t>(v, "a uint64"); }

// ---- client side ----------------------------------------------------------------------------

namespace {

void append_uint(std::string& out, std::uint64_t x) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, x);
  out.append(buf, r.ptr);
}

// Appends `v` serialized; reuses one serializer per thread to avoid its setup cost.
void append_json(std::string& out, const json::value& v) {
  thread_local json::serializer sr;
  sr.reset(&v);
  while (!sr.done()) {
    const std::size_t old = out.size();
    const std::size_t room = std::max<std::size_t>(256, out.capacity() - old);
    out.resize(old + room);
    const std::string_view part = sr.read(out.data() + old, room);
    out.resize(old + part.size());
  }
}
void append_json(std::string& out, const json::array& a) {
  thread_local json::serializer sr;
  sr.reset(&a);
  while (!sr.done()) {
    const std::size_t old = out.size();
    const std::size_t room = std::max<std::size_t>(256, out.capacity() - old);
    out.resize(old + room);
    const std::string_view part = sr.read(out.data() + old, room);
    out.resize(old + part.size());
  }
}
void append_json_string(std::string& out, std::string_view s) {
  thread_local json::serializer sr;
  sr.reset(s);
  while (!sr.done()) {
    const std::size_t old = out.size();
    const std::size_t room = std::max<std::size_t>(s.size() + 8, out.capacity() - old);
    out.resize(old + room);
    const std::string_view part = sr.read(out.data() + old, room);
    out.resize(old + part.size());
  }
}

}  // namespace

void append_call_request(std::string& out, std::uint64_t id, const api_ref& api,
                         std::string_view method, const json::array& params) {
  out.append(R"({"id":)");
  append_uint(out, id);
  out.append(R"(,"method":"call","params":[)");
  if (api.is_id()) {
    append_uint(out, api.id());
  } else {
    append_json_string(out, api.name());
  }
  out.push_back(',');
  append_json_string(out, method);
  out.push_back(',');
  append_json(out, params);
  out.append("]}");
}

namespace {

rpc_error error_from_json(const json::value& e) {
  if (!e.is_object()) return rpc_error::server(0, json::serialize(e));
  const json::object& o = e.get_object();
  std::int64_t code = 0;
  if (const json::value* c = o.if_contains("code")) {
    try {
      code = as_int64(*c);
    } catch (const input_error&) {
      code = 0;
    }
  }
  std::string message;
  if (const json::value* m = o.if_contains("message")) {
    message = m->is_string() ? std::string(m->get_string()) : json::serialize(*m);
  }
  json::value data = nullptr;
  if (const json::value* d = o.if_contains("data")) data = *d;
  return rpc_error::server(code, std::move(message), std::move(data));
}

}  // namespace

incoming_message classify_incoming(json::value&& message) {
  incoming_message m;
  json::object* o = message.if_object();
  if (!o) {
    m.problem = "message is not a JSON object";
    return m;
  }
  if (const json::value* method = o->if_contains("method")) {
    const json::value* params = o->if_contains("params");
    if (!method->is_string() || method->get_string() != "notice") {
      m.problem = "unexpected request from server: " + describe(*method);
      return m;
    }
    if (!params || !params->is_array() || params->get_array().size() != 2 ||
        !params->get_array()[1].is_array()) {
      m.problem = "notice params are not [callback_id, [args...]]";
      return m;
    }
    try {
      m.callback_id = as_uint64(params->get_array()[0]);
    } catch (const input_error& e) {
      m.problem = std::string("notice callback id: ") + e.what();
      return m;
    }
    m.notice_args = std::move(o->at("params").get_array()[1].get_array());
    m.type = incoming_message::kind::notice;
    return m;
  }
  json::value* result = o->if_contains("result");
  json::value* error = o->if_contains("error");
  const json::value* id = o->if_contains("id");
  if (!result && !error) {
    m.problem = "message has neither method, result nor error";
    return m;
  }
  if (!id || id->is_null()) {
    m.problem = "response without id" + (error ? ": " + describe(*error) : std::string());
    return m;
  }
  try {
    m.id = as_uint64(*id);
  } catch (const input_error&) {
    m.problem = "response id is not one of ours: " + describe(*id);
    return m;
  }
  m.type = incoming_message::kind::response;
  if (error && !error->is_null()) {
    m.result = error_from_json(*error);
  } else {
    m.result = result ? std::move(*result) : json::value();
  }
  return m;
}

// ---- server side ----------------------------------------------------------------------------

std::variant<call_params, rpc_error> parse_call_params(const json::array& params) {
  if (params.size() != 3 || !params[2].is_array() || !params[1].is_string()) {
    return rpc_error::server(error_codes::invalid_params,
                             "call params must be [api, \"method\", [args...]]");
  }
  call_params c;
  if (params[0].is_string()) {
    c.api = std::string(params[0].get_string());
  } else {
    try {
      c.api = as_uint64(params[0]);
    } catch (const input_error& e) {
      return rpc_error::server(error_codes::invalid_params, std::string("api: ") + e.what());
    }
  }
  c.method = std::string(params[1].get_string());
  c.args = params[2].get_array();
  return c;
}

const json::parse_options& wire_parse_options() {
  static const json::parse_options options = [] {
    json::parse_options o;
    o.max_depth = 256;
    o.allow_invalid_utf8 = true;
    return o;
  }();
  return options;
}

json::object error_to_json(const rpc_error& error) {
  json::object o;
  o["code"] = error.code;
  o["message"] = error.message;
  if (!error.data.is_null()) o["data"] = error.data;
  return o;
}

namespace {

std::string bad_request(std::int64_t code, std::string message, json::value data = nullptr) {
  // fc: response(variant(), {code, message, data}, "2.0") -> fields (id)(jsonrpc)(error)
  json::object r;
  r["id"] = nullptr;
  r["jsonrpc"] = "2.0";
  r["error"] = error_to_json(rpc_error::server(code, std::move(message), std::move(data)));
  return json::serialize(r);
}

parsed_request reject(std::int64_t code, std::string message, json::value data = nullptr) {
  parsed_request p;
  p.error_code = code;
  p.error_response = bad_request(code, std::move(message), std::move(data));
  return p;
}

}  // namespace

parsed_request parse_request(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, {}, wire_parse_options());
  if (ec) {
    // fc puts its parse_error_exception (code 4) in data.
    json::object data;
    data["code"] = 4;
    data["name"] = "parse_error_exception";
    data["message"] = ec.message();
    data["stack"] = json::array();
    return reject(error_codes::parse_error, "Invalid JSON message", std::move(data));
  }
  if (v.is_array()) return reject(error_codes::invalid_request, "Batch requests not supported");
  if (!v.is_object()) return reject(error_codes::invalid_request, "Invalid JSON request");
  json::object& o = v.get_object();

  const json::value* id = o.if_contains("id");
  if (id && !id->is_string() && !id->is_number() && !id->is_null()) {
    return reject(error_codes::invalid_request, "Invalid id");
  }
  const json::value* method = o.if_contains("method");
  if (method && (!method->is_string() || method->get_string().empty())) {
    return reject(error_codes::invalid_request, "Missing or invalid method");
  }
  const json::value* jsonrpc = o.if_contains("jsonrpc");
  if (jsonrpc && (!jsonrpc->is_string() || jsonrpc->get_string() != "2.0")) {
    return reject(error_codes::invalid_request, "Unsupported JSON-RPC version");
  }
  if (method) {
    json::value* params = o.if_contains("params");
    if (params && params->is_object()) {
      return reject(error_codes::invalid_params, "Named parameters not supported");
    }
    if (params && !params->is_array()) {
      return reject(error_codes::invalid_request, "Invalid parameters");
    }
    rpc_request r;
    if (id) r.id = *id;
    r.jsonrpc = jsonrpc != nullptr;
    // JSON-RPC 2.0 allows a null id; in 1.0 a null id means "no id".
    r.has_id = id && (r.jsonrpc || !id->is_null());
    r.method = std::string(method->get_string());
    if (params) r.params = std::move(params->get_array());
    parsed_request p;
    p.request = std::move(r);
    return p;
  }
  if (o.contains("result") || o.contains("error")) {
    if (!id || (id->is_null() && !jsonrpc)) {
      return reject(error_codes::invalid_request, "Missing or invalid id");
    }
    return {};  // a response to a server->client call; we make none, so ignore it
  }
  return reject(error_codes::invalid_request, "Missing method or result or error");
}

std::string make_response(const json::value& id, bool jsonrpc, const call_result& result) {
  // Field order as fc reflects its response: (id)(jsonrpc)(result)(error). Serialized piecewise
  // so a large result is not copied into a temporary object first.
  std::string out = R"({"id":)";
  append_json(out, id);
  if (jsonrpc) out.append(R"(,"jsonrpc":"2.0")");
  if (result.ok()) {
    out.append(R"(,"result":)");
    append_json(out, result.value());
  } else {
    out.append(R"(,"error":)");
    append_json(out, json::value(error_to_json(result.error())));
  }
  out.push_back('}');
  return out;
}

std::string make_response(const rpc_request& request, const call_result& result) {
  if (!request.has_id) return {};
  return make_response(request.id, request.jsonrpc, result);
}

std::string make_notice(std::uint64_t callback_id, const json::array& args) {
  std::string out = R"({"method":"notice","params":[)";
  append_uint(out, callback_id);
  out.push_back(',');
  append_json(out, args);
  out.append("]}");
  return out;
}

}  // namespace bts::rpc
