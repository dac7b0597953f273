#include "rpc/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <optional>
#include <stdexcept>
#include <tuple>

namespace bts::rpc {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using steady = std::chrono::steady_clock;

namespace {

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

double ms_since(steady::time_point t) {
  return std::chrono::duration<double, std::milli>(steady::now() - t).count();
}

// The earlier of `deadline` and now + `timeout` (0: no timeout).
steady::time_point limit(steady::time_point deadline, std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) return deadline;
  const auto now = steady::now();
  return deadline - now > timeout ? now + timeout : deadline;
}

}  // namespace

const char* to_string(http_phase p) {
  switch (p) {
    case http_phase::none:
      return "";
    case http_phase::resolve:
      return "resolve";
    case http_phase::connect:
      return "connect";
    case http_phase::tls_handshake:
      return "tls handshake";
    case http_phase::write:
      return "write";
    case http_phase::read:
      return "read";
  }
  return "";
}

std::string_view http_client_response::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (beast::iequals(k, name)) return v;
  }
  return {};
}

struct http_client::state : std::enable_shared_from_this<state> {
  state(asio::any_io_executor ex, http_client_options opts)
      : executor(std::move(ex)), o(std::move(opts)), resolver(executor), timer(executor) {}

  asio::any_io_executor executor;
  const http_client_options o;
  tcp::resolver resolver;
  asio::steady_timer timer;
  std::optional<tcp::socket> plain;
  std::optional<ssl::stream<tcp::socket>> tls;
  beast::flat_buffer buffer;
  bool open = false;          // a connection is up and may carry a request
  std::uint64_t armed = 0;    // bumped by arm()/disarm(): a stale expiry does nothing
  bool timed_out = false;     // the armed limit passed during the current operation
  bool cancelled = false;     // close() was called during the current call

  tcp::socket& socket() { return tls ? tls->next_layer() : *plain; }

  void close_socket() {
    error_code ignored;
    if (tls) tls->next_layer().close(ignored);
    if (plain) plain->close(ignored);
  }

  // REQUIRES: no operation in flight on the streams (they are destroyed).
  void reset() {
    close_socket();
    tls.reset();
    plain.reset();
    buffer.clear();
    open = false;
  }

  // Stops the operation in flight (if any) at `until`. False when `until` has passed already.
  bool arm(steady::time_point until) {
    const std::uint64_t generation = ++armed;
    if (until == steady::time_point::max()) {
      timer.cancel();
      return true;
    }
    if (until <= steady::now()) {
      timed_out = true;
      return false;
    }
    timer.expires_at(until);
    timer.async_wait([weak = weak_from_this(), generation](const error_code& ec) {
      if (ec) return;
      const auto s = weak.lock();
      if (!s || s->armed != generation) return;
      s->timed_out = true;
      s->resolver.cancel();
      s->close_socket();
    });
    return true;
  }

  void disarm() {
    ++armed;
    timer.cancel();
  }

  bool stopped() const { return timed_out || cancelled; }

  // Records the failure of `phase` in `r` and drops the connection.
  void fail(http_client_response& r, http_phase phase, error_code ec) {
    disarm();
    r.failed = phase;
    r.timed_out = timed_out;
    r.cancelled = cancelled && !timed_out;
    if (!ec && stopped()) ec = asio::error::operation_aborted;
    r.error = ec;
    reset();
  }

  // SNI and the host name check; false when OpenSSL refuses the name.
  bool prepare_tls() {
    SSL* h = tls->native_handle();
    const std::string& name = o.server_name.empty() ? o.endpoint.host : o.server_name;
    error_code not_ip;
    asio::ip::make_address(name, not_ip);
    const bool is_ip = !not_ip;
    if (!is_ip && !SSL_set_tlsext_host_name(h, name.c_str())) return false;
    switch (o.name_check) {
      case tls_name_check::none:
        break;
      case tls_name_check::required: {
        error_code ec;
        tls->set_verify_callback(ssl::host_name_verification(name), ec);
        if (ec) return false;
        break;
      }
      case tls_name_check::recorded:
        if (is_ip) {
          X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(h), name.c_str());
        } else {
          SSL_set1_host(h, name.c_str());
        }
        break;
    }
    return true;
  }

  // Resolve, TCP connect, TLS handshake, each timed into r.timings. False (and `r` failed) on
  // failure.
  asio::awaitable<bool> open_connection(http_client_response& r, steady::time_point deadline) {
    reset();
    if (!arm(limit(deadline, o.connect_timeout))) {
      fail(r, http_phase::resolve, {});
      co_return false;
    }
    auto t = steady::now();
    auto [rec, endpoints] = co_await resolver.async_resolve(
        o.endpoint.host, std::to_string(o.endpoint.port), tuple_awaitable);
    if (rec || stopped()) {
      fail(r, http_phase::resolve, rec);
      co_return false;
    }
    r.timings.dns_ms = ms_since(t);

    if (o.endpoint.tls()) {
      tls.emplace(executor, *o.tls);
    } else {
      plain.emplace(executor);
    }
    t = steady::now();
    auto [cec, ep] = co_await asio::async_connect(socket(), endpoints, tuple_awaitable);
    if (cec || stopped()) {
      fail(r, http_phase::connect, cec);
      co_return false;
    }
    r.timings.tcp_ms = ms_since(t);
    error_code ignored;
    socket().set_option(tcp::no_delay(true), ignored);

    if (tls) {
      t = steady::now();
      if (!prepare_tls()) {
        fail(r, http_phase::tls_handshake, asio::error::invalid_argument);
        co_return false;
      }
      auto [hec] = co_await tls->async_handshake(ssl::stream_base::client, tuple_awaitable);
      if (hec || stopped()) {
        fail(r, http_phase::tls_handshake, hec);
        co_return false;
      }
      r.timings.tls_ms = ms_since(t);
    }
    disarm();
    open = true;
    co_return true;
  }

  // Writes `req` and reads the reply into `r` (or its failure).
  template <class Stream>
  asio::awaitable<void> transfer(Stream& stream, http::request<http::string_body>& req,
                                 http_client_response& r) {
    auto [wec, wn] = co_await http::async_write(stream, req, tuple_awaitable);
    if (wec || stopped()) {
      fail(r, http_phase::write, wec);
      co_return;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(o.body_limit);
    parser.header_limit(static_cast<std::uint32_t>(o.header_limit));
    auto [rdec, rn] = co_await http::async_read(stream, buffer, parser, tuple_awaitable);
    if (rdec || stopped()) {
      fail(r, http_phase::read, rdec);
      co_return;
    }
    disarm();
    auto res = parser.release();
    r.status = res.result_int();
    r.reason = std::string(res.reason());
    for (const auto& field : res) {
      r.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    r.body = std::move(res.body());
    if (!o.keep_alive || !res.keep_alive()) reset();
  }

  asio::awaitable<void> exchange(http::request<http::string_body>& req,
                                 steady::time_point deadline, http_client_response& r) {
    if (!arm(limit(deadline, o.request_timeout))) {
      fail(r, http_phase::write, {});
      co_return;
    }
    const auto t = steady::now();
    // Not a conditional expression with co_await in both arms: GCC 12 mishandles it.
    if (tls) {
      co_await transfer(*tls, req, r);
    } else {
      co_await transfer(*plain, req, r);
    }
    if (r.ok()) r.timings.request_ms = ms_since(t);
  }

  http::request<http::string_body> message(http_client_request& req) const {
    http::request<http::string_body> m;
    m.version(11);
    m.method_string(req.method);
    m.target(req.target);
    m.set(http::field::host, o.host_header.empty() ? o.endpoint.host_header() : o.host_header);
    if (!o.user_agent.empty()) m.set(http::field::user_agent, o.user_agent);
    for (const auto& [k, v] : req.headers) m.set(k, v);
    if (o.keep_alive) {
      m.keep_alive(true);
    } else {
      m.set(http::field::connection, "close");
    }
    m.body() = std::move(req.body);
    m.prepare_payload();
    return m;
  }
};

http_client::http_client(asio::any_io_executor executor, http_client_options options) {
  if (options.endpoint.tls() && !options.tls) {
    throw std::invalid_argument("http_client: " + options.endpoint.to_string() +
                                " needs a TLS context");
  }
  s_ = std::make_shared<state>(std::move(executor), std::move(options));
}

http_client::~http_client() { close(); }

void http_client::close() {
  state& s = *s_;
  s.cancelled = true;
  s.open = false;
  s.resolver.cancel();
  s.close_socket();  // only the socket: the coroutine in flight destroys the streams
}

ssl_st* http_client::tls_session() const {
  return s_->open && s_->tls ? s_->tls->native_handle() : nullptr;
}

asio::awaitable<http_client_response> http_client::connect(time_point deadline) {
  const auto self = s_;  // the call keeps the state alive even if the client goes
  self->cancelled = false;
  self->timed_out = false;
  http_client_response r;
  co_await self->open_connection(r, deadline);
  co_return r;
}

asio::awaitable<http_client_response> http_client::request(http_client_request req,
                                                          time_point deadline) {
  const auto self = s_;
  state& s = *self;
  s.cancelled = false;
  s.timed_out = false;
  http::request<http::string_body> m = s.message(req);
  for (int attempt = 0;; ++attempt) {
    http_client_response r;
    const bool reused = s.open;
    if (!s.open) {
      const bool up = co_await s.open_connection(r, deadline);
      if (!up) co_return r;
    }
    co_await s.exchange(m, deadline, r);
    // A reused keep-alive connection may have been closed by the server while idle: one more
    // try on a fresh one. Not after a timeout (the server got the request and is slow).
    if (r.ok() || !s.o.keep_alive || !reused || r.timed_out || r.cancelled || attempt > 0) {
      co_return r;
    }
  }
}

}  // namespace bts::rpc
