// A small HTTP/1.1 client for one endpoint (http or https), one request at a time, over
// Boost.Beast: the Elasticsearch output's bulk requests (keep-alive), the node load sampler's
// metrics reads and the uptime probes (a fresh connection each time). JSON-RPC over HTTP has its
// own transport in rpc::client.
//
//   rpc::http_client_options o;
//   o.endpoint = rpc::parse_url("https://es.example:9200");
//   o.tls = rpc::make_client_tls_context({});
//   o.connect_timeout = std::chrono::seconds(5);
//   rpc::http_client c(co_await asio::this_coro::executor, std::move(o));
//   rpc::http_client_request req;
//   req.target = "/_cluster/health";
//   req.headers.emplace_back("Authorization", "Basic ...");
//   rpc::http_client_response r = co_await c.request(std::move(req));
//   if (!r.ok()) log(std::string(to_string(r.failed)) + ": " + r.error.message());
//   else if (r.status == 200) use(r.body);
//
// A failure is reported, never thrown: which phase failed (resolve, connect, TLS handshake,
// write, read), the error code, and whether the deadline passed or close() stopped it, so each
// caller keeps its own wording. Any HTTP status is a success of the exchange.
//
// The request and reply types are http_client_request / http_client_response: rpc::server has
// its own http_response (what a handler answers).
//
// Timeouts are real time (sockets and Asio timers, not util::clock): connect_timeout bounds
// resolve + TCP connect + TLS handshake of one connection, request_timeout the write and read of
// one request, and a call's `deadline` bounds the whole call.
//
// Keep-alive (options.keep_alive): the connection is made lazily and reused; a request that
// fails on a reused connection in write or read (the server closed it while idle) is tried once
// more on a fresh one, unless it timed out (the server got it and is slow). Without keep-alive
// every request() sends "Connection: close" and the connection is closed after the reply.
//
// TLS: the caller's context decides the chain verification (rpc::make_client_tls_context, or a
// context of its own); options.name_check decides what is done with the host name. After a TLS
// connect, tls_session() gives the OpenSSL session, e.g. to read the peer certificate and the
// verification result (the uptime probe does).
//
// Ownership: the client owns its connection. The executor must outlive the client. Destroying
// the client, or close(), fails an operation in flight with `cancelled`.
// Threads: not thread-safe. Every member function, and the coroutines request() and connect()
// return, run on the executor given at construction (use a strand when several threads run
// it); one request or connect at a time.
#pragma once

#include "rpc/url.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace boost::asio::ssl {
class context;
}
struct ssl_st;

namespace bts::rpc {

using http_headers = std::vector<std::pair<std::string, std::string>>;

struct http_client_request {
  std::string method = "GET";  // any method name ("GET", "POST", "PUT", ...)
  std::string target = "/";    // path and query
  // Applied after the client's Host and User-Agent (so they may replace them) and before
  // "Connection: close" (which wins without keep-alive).
  http_headers headers;
  // Sent with a Content-Length when non-empty, or always for POST, PUT and OPTIONS.
  std::string body;
};

// Where an exchange failed; none: the reply was read (whatever its status).
enum class http_phase { none, resolve, connect, tls_handshake, write, read };

// "resolve", "connect", "tls handshake", "write", "read" ("" for none).
const char* to_string(http_phase p);

// Milliseconds each phase took, for the phases this call went through and completed.
struct http_timings {
  std::optional<double> dns_ms, tcp_ms, tls_ms, request_ms;  // request: write + read
};

struct http_client_response {
  http_phase failed = http_phase::none;
  boost::system::error_code error;  // why `failed` failed (operation_aborted on a timeout)
  bool timed_out = false;           // a timeout or the deadline ended `failed`
  bool cancelled = false;           // close() (or the destructor) ended `failed`

  unsigned status = 0;  // REQUIRES for these four: ok()
  std::string reason;
  http_headers headers;
  std::string body;

  http_timings timings;

  bool ok() const { return failed == http_phase::none; }
  // The first header named `name` (case-insensitive), "" if there is none.
  std::string_view header(std::string_view name) const;
};

// What to do with the host name (server_name, default the endpoint's host) on TLS.
enum class tls_name_check {
  none,      // nothing beyond SNI
  required,  // the certificate must match it, or the handshake fails
  recorded,  // OpenSSL checks it as part of verification: with a context that verifies, a
             // mismatch fails the handshake; with verify_none the handshake goes on and the
             // result is in SSL_get_verify_result(tls_session())
};

struct http_client_options {
  url endpoint;             // scheme (http or https), host and port; the target is unused
  std::string host_header;  // the Host header; empty: endpoint.host_header()
  std::string user_agent = "bts-infra/" BTS_INFRA_VERSION;  // empty: none sent

  std::shared_ptr<boost::asio::ssl::context> tls;  // REQUIRES: set when endpoint.tls()
  std::string server_name;  // sent as SNI (unless an IP literal) and checked; default: host
  tls_name_check name_check = tls_name_check::required;

  bool keep_alive = false;
  std::chrono::milliseconds connect_timeout{0};  // resolve + connect + TLS; 0: none
  std::chrono::milliseconds request_timeout{0};  // write + read of one request; 0: none
  std::size_t body_limit = 8 * 1024 * 1024;      // larger replies fail in read (body_limit)
  std::size_t header_limit = 8 * 1024;
};

class http_client {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  http_client(boost::asio::any_io_executor executor, http_client_options options);
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  // Sends one request (connecting first when there is no open connection) and reads the reply.
  // Taken by value: it lives in the coroutine frame (GCC 12 mishandles temporaries that span a
  // co_await).
  // REQUIRES: no other request() or connect() in flight.
  boost::asio::awaitable<http_client_response> request(
      http_client_request req, time_point deadline = time_point::max());

  // Opens a connection (resolve, TCP, TLS) without sending anything, replacing an open one;
  // for probes of TCP and TLS alone. request() afterwards uses it.
  // REQUIRES: no other request() or connect() in flight.
  boost::asio::awaitable<http_client_response> connect(time_point deadline = time_point::max());

  // The TLS session of the open connection (an OpenSSL SSL*), or nullptr when none is open or
  // it is plain TCP. Valid until the connection closes.
  ssl_st* tls_session() const;

  // Closes the connection; an operation in flight completes with `cancelled`. Idempotent.
  void close();

 private:
  struct state;
  std::shared_ptr<state> s_;  // shared with the deadline timer's handler
};

}  // namespace bts::rpc
