// A generic JSON-RPC server speaking bitshares-core's dialect (see json_rpc.hpp).
//
// One port serves:
//   - websocket upgrades: a session per connection; requests are handled concurrently and
//     answered as they complete (out of order); the server may push notices;
//   - HTTP POST: the body is one JSON-RPC request, the response body its answer (status 200,
//     400 for JSON-RPC faults <= -32600, 500 for -32603, 204 for notifications, as fc does);
//     each POST gets a fresh session, as fc gives each HTTP request a fresh API connection;
//   - any other HTTP request: the pluggable `http` handler (for /metrics, web pages), or 404.
// Optional TLS (then every connection is TLS: https:// and wss://). An `authenticate` hook sees
// every HTTP request, upgrades included, and may refuse it (e.g. 401).
// Malformed messages get fc-shaped errors (-32700 ... with "id":null) and the connection stays
// open.
//
//   rpc::server s(io.get_executor(), {.port = 0,
//       .handler = [](std::shared_ptr<rpc::session> s, rpc::rpc_request r)
//           -> asio::awaitable<rpc::call_result> { co_return json::value("pong"); }});
//   std::uint16_t port = s.port();
//
// Ownership: the server owns the listening socket; sessions own their connections and keep
// the state shared with the server (options, handlers, counters) alive, so handlers stay valid
// until the last session is gone even after ~server. The executor must outlive both.
//
// Threads: the executor may be run by any number of threads. Each connection has its own
// strand: a session's handler invocations, on_open/on_close and writes happen on it, so
// session::state() needs no lock there. server members and session::notify/close may be
// called from any thread.
#pragma once

#include "rpc/counters.hpp"
#include "rpc/json_rpc.hpp"
#include "rpc/tls.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/strand.hpp>

#include <any>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bts::rpc {

namespace asio = boost::asio;

// An HTTP request as handlers and the authenticate hook see it.
struct http_request_info {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote;  // "ip:port" of the peer
  bool websocket_upgrade = false;

  // First header with this name (case-insensitive), empty if absent.
  std::string header(std::string_view name) const;
};

struct http_response {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// One client connection (websocket) or one HTTP POST.
class session {
 public:
  virtual ~session() = default;

  std::uint64_t id() const { return id_; }
  bool websocket() const { return websocket_; }
  // The request that opened the session (the upgrade, or the POST), e.g. for credentials.
  const http_request_info& request() const { return request_; }

  // Sends {"method":"notice","params":[callback_id, args]}. Thread-safe; a no-op on HTTP
  // sessions and after the session closed.
  virtual void notify(std::uint64_t callback_id, json::array args) = 0;
  // Closes the connection (websocket close frame). Thread-safe, idempotent.
  virtual void close() = 0;
  virtual bool closed() const = 0;

  // Per-session state for handlers (e.g. API ids allocated by a login API).
  // REQUIRES: called on the session's strand (inside a handler, on_open or on_close).
  std::any& state() { return state_; }

  // The session's strand.
  virtual asio::any_io_executor get_executor() const = 0;

 protected:
  session(std::uint64_t id, bool websocket, http_request_info request)
      : id_(id), websocket_(websocket), request_(std::move(request)) {}

 private:
  const std::uint64_t id_;
  const bool websocket_;
  const http_request_info request_;
  std::any state_;
};

// Answers one request: a result, or an error (rpc_error::server(code, message, data)).
// Throwing rpc_exception sends its error; any other exception becomes -32603 "Internal error".
// Runs on the session's strand; it may suspend (e.g. until a block is produced) while other
// requests of the same session are served.
using rpc_handler =
    std::function<asio::awaitable<call_result>(std::shared_ptr<session>, rpc_request)>;
// Serves non-POST HTTP requests. Runs on the connection's strand; must not block for long.
using http_handler = std::function<http_response(const http_request_info&)>;
// The same, answered later: the handler is called on the connection's
// strand, must return at once, and calls `respond` once, from any thread, when the answer is
// ready (e.g. after a worker thread did slow work). Other connections are served meanwhile;
// this one reads its next request once the answer is written. A handler that throws before
// responding gets a 500, as `http` does; calls of `respond` after the first are ignored.
using http_responder = std::function<void(http_response)>;
using async_http_handler = std::function<void(http_request_info, http_responder respond)>;
// Returns nullopt to let the request through, or the response to refuse it with (the
// connection is closed after it).
using auth_hook = std::function<std::optional<http_response>(const http_request_info&)>;
using session_hook = std::function<void(session&)>;

struct server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;                           // 0: an ephemeral port, see server::port()
  std::size_t max_message_size = 16 * 1024 * 1024;  // websocket message or HTTP body
  // Requests of one websocket session being handled at once; beyond it the session stops
  // reading until one completes (back-pressure, like fc's limit of 100 pending messages).
  std::size_t max_in_flight_per_session = 1000;
  // Idle limit between HTTP requests on a keep-alive connection, and for TLS/ws handshakes.
  std::chrono::milliseconds http_timeout{30'000};
  std::optional<tls_server_options> tls;
  rpc_handler handler;  // nullptr: every request gets -32601
  http_handler http;    // nullptr: 404 for non-POST requests
  async_http_handler http_async;  // if set, used instead of `http`
  // POSTs for which this returns true go to `http` instead of JSON-RPC (e.g. a JSON API under
  // /api/ next to JSON-RPC on /). nullptr: every POST is JSON-RPC.
  std::function<bool(const http_request_info&)> post_to_http;
  auth_hook authenticate;
  session_hook on_open;  // after a websocket session (or a POST's session) opens
  // After it closed. Handlers still suspended for the session may complete later; their
  // answers are dropped.
  session_hook on_close;
};

namespace detail {
struct server_state;
}

class server {
 public:
  // Binds and listens at once, so port() is valid on return. Throws boost::system::system_error
  // if the address cannot be bound, input_error for bad TLS settings.
  server(asio::any_io_executor executor, server_options options);
  ~server();  // stop()
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  std::uint16_t port() const { return port_; }

  // Stops accepting and closes every connection (websocket close frame; HTTP connections
  // dropped). Idempotent, thread-safe. Called from a thread that does not run the executor
  // (io_context or a strand of one), it returns once the listening socket is closed, so the
  // port can be bound again at once; it does not wait for connections to finish closing.
  void stop();

  const server_counters& counters() const;
  std::size_t session_count() const;  // open websocket sessions

 private:
  std::shared_ptr<detail::server_state> state_;
  std::uint16_t port_ = 0;
};

}  // namespace bts::rpc
