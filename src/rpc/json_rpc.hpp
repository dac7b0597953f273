// JSON-RPC messages as bitshares-core / fc put them on the wire, without any BitShares types.
//
// Requests:  {"id":N,"method":"call","params":[<api>,"<method>",[<args>...]]}, <api> being a
//            numeric API id or a string name that the server resolves on its login API.
// Responses: {"id":N,"result":...} or {"id":N,"error":{"code":C,"message":"...","data":...}};
//            an invalid request is answered with "id":null and a JSON-RPC code (-32700 ...).
// Notices:   {"method":"notice","params":[<callback_id>,[<args>...]]}, no id.
//
// Everything here is plain data and functions: no sockets, no threads, no shared state, so any
// thread may call anything on distinct objects.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace bts::rpc {

namespace json = boost::json;

// JSON-RPC 2.0 codes fc uses for faults of the message itself; server errors carry fc exception
// codes instead (10 = assert, 3030001 = duplicate_transaction, ...).
namespace error_codes {
inline constexpr std::int64_t parse_error = -32700;
inline constexpr std::int64_t invalid_request = -32600;
inline constexpr std::int64_t method_not_found = -32601;
inline constexpr std::int64_t invalid_params = -32602;
inline constexpr std::int64_t internal_error = -32603;
}  // namespace error_codes

enum class error_kind {
  server,        // the peer answered with an "error" object; `code` is its error.code
  timeout,       // no answer within the call's timeout
  disconnected,  // the connection dropped (or was never up) before an answer arrived
  protocol,      // the peer sent something that is not a valid answer
};
const char* to_string(error_kind kind);

struct rpc_error {
  error_kind kind = error_kind::server;
  std::int64_t code = 0;  // fc code (or JSON-RPC code) for `server`; 0 for other kinds
  std::string message;
  json::value data;  // error.data as sent (fc: {"code","name","message","stack"}); null if none

  static rpc_error server(std::int64_t code, std::string message, json::value data = nullptr);
  static rpc_error timeout(std::string message = "call timed out");
  static rpc_error disconnected(std::string message = "disconnected");
  static rpc_error protocol(std::string message);

  // One line: "server error 10: <message>", "timeout: call timed out", ...
  std::string to_string() const;
};

// Thrown by call_result::value() on an error, and accepted from server handlers.
class rpc_exception : public std::runtime_error {
 public:
  explicit rpc_exception(rpc_error error);
  const rpc_error& error() const { return error_; }

 private:
  rpc_error error_;
};

// The outcome of one call: the "result" JSON or an rpc_error.
class call_result {
 public:
  call_result() : v_(json::value()) {}
  call_result(json::value result) : v_(std::move(result)) {}  // NOLINT: implicit on purpose
  call_result(rpc_error error) : v_(std::move(error)) {}      // NOLINT: implicit on purpose

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // The result; throws rpc_exception when !ok().
  const json::value& value() const&;
  json::value& value() &;
  json::value value() &&;

  // REQUIRES: !ok()
  const rpc_error& error() const { return std::get<1>(v_); }

 private:
  std::variant<json::value, rpc_error> v_;
};

// The first element of "call" params: a numeric API id or an API name ("database").
class api_ref {
 public:
  api_ref(std::uint64_t id) : v_(id) {}                      // NOLINT
  api_ref(int id) : v_(static_cast<std::uint64_t>(id)) {}    // NOLINT; REQUIRES: id >= 0
  api_ref(const char* name) : v_(std::string(name)) {}       // NOLINT
  api_ref(std::string name) : v_(std::move(name)) {}         // NOLINT
  api_ref(std::string_view name) : v_(std::string(name)) {}  // NOLINT

  bool is_id() const { return v_.index() == 0; }
  std::uint64_t id() const { return std::get<0>(v_); }         // REQUIRES: is_id()
  const std::string& name() const { return std::get<1>(v_); }  // REQUIRES: !is_id()
  json::value to_json() const;

 private:
  std::variant<std::uint64_t, std::string> v_;
};

// fc writes int64 values outside the int32 range and uint64 values above 0xffffffff as strings.
// These accept a JSON integer, an integral double in range, or a string of decimal digits
// (optionally with a leading '-' for as_int64), and throw bts::input_error naming the problem
// ("expected an int64 (number or numeric string), got \"12a\"", "... out of range ...").
std::int64_t as_int64(const json::value& v);
std::uint64_t as_uint64(const json::value& v);

// ---- Client side ----------------------------------------------------------------------------

// Appends {"id":id,"method":"call","params":[api,method,params]} to `out` (no allocation beyond
// growing `out`).
void append_call_request(std::string& out, std::uint64_t id, const api_ref& api,
                         std::string_view method, const json::array& params);

// What a client received, classified.
struct incoming_message {
  enum class kind { response, notice, invalid };
  kind type = kind::invalid;
  std::uint64_t id = 0;           // response: the request id it answers
  call_result result;             // response: result or server error
  std::uint64_t callback_id = 0;  // notice
  json::array notice_args;        // notice: the [<args>...] array
  std::string problem;            // invalid: why
};
incoming_message classify_incoming(json::value&& message);

// ---- Server side ----------------------------------------------------------------------------

// A request that passed fc's checks (see parse_request).
struct rpc_request {
  json::value id;        // as sent (number, string or null); null if absent
  bool has_id = false;   // false: a notification, no response is sent
  bool jsonrpc = false;  // request carried "jsonrpc":"2.0", echoed in the response
  std::string method;    // "call", "notice", or a bare method (fc dispatches those to API 0)
  json::array params;
};

// The three parts of a "call" request's params.
struct call_params {
  api_ref api = std::uint64_t{0};
  std::string method;
  json::array args;
};
// Splits ["api", "method", [args]]: -32602 error if the shape is wrong.
std::variant<call_params, rpc_error> parse_call_params(const json::array& params);

// Parses and checks one message the way fc's websocket_api_connection::on_message does.
// Returns the request, or the complete error response to send back (serialized, "id":null,
// "jsonrpc":"2.0", code -32700 for bad JSON, -32600/-32602 for bad shapes), or nothing when the
// message must be ignored (a response object sent to the server).
struct parsed_request {
  std::optional<rpc_request> request;
  std::string error_response;  // non-empty: send this back
  std::int64_t error_code = 0;
};
parsed_request parse_request(std::string_view text);

// {"id":..,["jsonrpc":"2.0",]"result":..} or {"id":..,["jsonrpc":"2.0",]"error":{..}}; empty
// when the request has no id (fc does not answer notifications).
std::string make_response(const rpc_request& request, const call_result& result);
std::string make_response(const json::value& id, bool jsonrpc, const call_result& result);

// {"method":"notice","params":[callback_id,args]}
std::string make_notice(std::uint64_t callback_id, const json::array& args);

// The JSON object for an error: {"code":..,"message":..[,"data":..]}.
json::object error_to_json(const rpc_error& error);

// Parse options used for every message: depth 256 (fc allows 200), invalid UTF-8 tolerated
// (fc passes bytes through).
const json::parse_options& wire_parse_options();

}  // namespace bts::rpc
