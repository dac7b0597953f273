#include "outputs/detail/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/ssl.h>

#include <optional>

namespace bts::outputs::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
constexpr const char* user_agent = "bts-infra/" BTS_INFRA_VERSION;

std::string describe(const char* step, const error_code& ec) {
  if (ec == beast::error::timeout) return std::string(step) + ": timeout";
  return std::string(step) + ": " + ec.message();
}
}  // namespace

struct http_client::state {
  asio::any_io_executor executor;
  http_client_options o;
  std::string base;  // endpoint path without a trailing '/'
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  bool connected = false;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  void reset() {
    if (tls) {
      error_code ec;
      beast::get_lowest_layer(*tls).socket().close(ec);
      tls.reset();
    }
    if (plain) {
      error_code ec;
      plain->socket().close(ec);
      plain.reset();
    }
    buffer.clear();
    connected = false;
  }

  asio::awaitable<std::string> connect() {
    reset();
    const rpc::url& u = o.endpoint;
    if (u.tls()) {
      tls.emplace(executor, *o.tls);
    } else {
      plain.emplace(executor);
    }
    tcp::resolver resolver(executor);
    auto [rec, endpoints] =
        co_await resolver.async_resolve(u.host, std::to_string(u.port), tuple_awaitable);
    if (rec) co_return describe("resolve", rec);
    beast::tcp_stream& low = lowest();
    low.expires_after(o.connect_timeout);
    auto [cec, ep] = co_await low.async_connect(endpoints, tuple_awaitable);
    if (cec) co_return describe("connect", cec);
    low.socket().set_option(tcp::no_delay(true));
    if (tls) {
      const std::string& name = o.server_name.empty() ? u.host : o.server_name;
      error_code addr_ec;
      asio::ip::make_address(name, addr_ec);
      if (addr_ec && !SSL_set_tlsext_host_name(tls->native_handle(), name.c_str())) {
        co_return std::string("tls: cannot set server name");
      }
      if (o.verify) tls->set_verify_callback(ssl::host_name_verification(name));
      auto [hec] = co_await tls->async_handshake(ssl::stream_base::client, tuple_awaitable);
      if (hec) co_return describe("tls handshake", hec);
    }
    connected = true;
    co_return std::string();
  }

  template <class Stream>
  asio::awaitable<http_result> exchange(Stream& stream, http::request<http::string_body>& req) {
    http_result r;
    lowest().expires_after(o.request_timeout);
    auto [wec, wn] = co_await http::async_write(stream, req, tuple_awaitable);
    if (wec) {
      r.error = describe("write", wec);
      co_return r;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    auto [rec, rn] = co_await http::async_read(stream, buffer, parser, tuple_awaitable);
    if (rec) {
      r.error = describe("read", rec);
      co_return r;
    }
    lowest().expires_never();
    auto res = parser.release();
    r.status = res.result_int();
    r.body = std::move(res.body());
    if (!res.keep_alive()) reset();
    co_return r;
  }
};

http_client::http_client(asio::any_io_executor executor, http_client_options o)
    : s_(std::make_unique<state>()) {
  s_->executor = std::move(executor);
  s_->o = std::move(o);
  s_->base = s_->o.endpoint.target;
  const auto q = s_->base.find('?');
  if (q != std::string::npos) s_->base.resize(q);
  while (!s_->base.empty() && s_->base.back() == '/') s_->base.pop_back();
}

http_client::~http_client() { s_->reset(); }

void http_client::close() {
  // Only the socket: a request in flight completes with an error and the coroutine that owns
  // the stream destroys it on its next connect.
  error_code ec;
  if (s_->tls) beast::get_lowest_layer(*s_->tls).socket().close(ec);
  if (s_->plain) s_->plain->socket().close(ec);
  s_->connected = false;
}

asio::awaitable<http_result> http_client::request(std::string method, std::string path,
                                                  std::string body, std::string content_type) {
  state& s = *s_;
  http::request<http::string_body> req{http::string_to_verb(method), s.base + std::string(path),
                                       11};
  req.set(http::field::host, s.o.endpoint.host_header());
  req.set(http::field::user_agent, user_agent);
  req.set(http::field::accept, "application/json");
  if (!s.o.authorization.empty()) req.set(http::field::authorization, s.o.authorization);
  if (!content_type.empty()) req.set(http::field::content_type, content_type);
  req.keep_alive(true);
  req.body() = std::move(body);
  req.prepare_payload();

  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = s.connected;
    if (!s.connected) {
      std::string error = co_await s.connect();
      if (!error.empty()) {
        s.reset();
        co_return http_result{0, {}, error};
      }
    }
    http_result r;
    if (s.tls) {
      r = co_await s.exchange(*s.tls, req);
    } else {
      r = co_await s.exchange(*s.plain, req);
    }
    if (r.status != 0) co_return r;
    s.reset();
    // A reused connection may have been closed by the server while idle: try a fresh one once.
    // A timeout is not retried here (the server got the request and is slow).
    if (!reused || r.error.find("timeout") != std::string::npos) co_return r;
  }
  co_return http_result{0, {}, "connection lost"};
}

}  // namespace bts::outputs::detail
