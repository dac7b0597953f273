#include "overseer/api_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <exception>
#include <memory>
#include <stdexcept>

#include "rpc/url.hpp"

namespace bts::overseer {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// Async operations throughout: beast::tcp_stream's expires_after applies to async operations
// only (a synchronous read would wait forever for an overseer that never answers).
template <class Stream>
asio::awaitable<api_response> exchange(Stream& stream, http::request<http::string_body>& req,
                                       std::chrono::milliseconds timeout) {
  beast::get_lowest_layer(stream).expires_after(timeout);
  co_await http::async_write(stream, req, asio::use_awaitable);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256 * 1024 * 1024);
  co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
  api_response r;
  r.status = parser.get().result_int();
  r.body = parser.get().body();
  co_return r;
}

}  // namespace

api_response api_request(const std::string& base, const std::string& method,
                         const std::string& target, const std::string& body,
                         const std::string& token, const rpc::tls_client_options& tls,
                         std::chrono::milliseconds timeout) {
  rpc::url u = rpc::parse_url(base);
  const bool secure = u.tls();
  if (u.scheme == "ws") u.scheme = "http";
  if (u.scheme == "wss") u.scheme = "https";
  http::request<http::string_body> req;
  req.method(http::string_to_verb(method));
  req.target(target);
  req.version(11);
  req.set(http::field::host, u.host_header());
  req.set(http::field::user_agent, "bts-infra ctl");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  req.keep_alive(false);

  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  try {
    auto endpoints = resolver.resolve(u.host, std::to_string(u.port));
    std::shared_ptr<asio::ssl::context> ctx;
    if (secure) ctx = rpc::make_client_tls_context(tls);
    api_response result;
    std::exception_ptr failure;
    bool done = false;
    auto run = [&]() -> asio::awaitable<void> {
      if (!secure) {
        beast::tcp_stream stream(io);
        stream.expires_after(timeout);
        co_await stream.async_connect(endpoints, asio::use_awaitable);
        result = co_await exchange(stream, req, timeout);
        co_return;
      }
      beast::ssl_stream<beast::tcp_stream> stream(io, *ctx);
      const std::string sni = tls.server_name.empty() ? u.host : tls.server_name;
      SSL_set_tlsext_host_name(stream.native_handle(), sni.c_str());
      if (tls.verify != rpc::tls_verify::none)
        stream.set_verify_callback(asio::ssl::host_name_verification(sni));
      beast::get_lowest_layer(stream).expires_after(timeout);
      co_await beast::get_lowest_layer(stream).async_connect(endpoints, asio::use_awaitable);
      co_await stream.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
      result = co_await exchange(stream, req, timeout);
    };
    asio::co_spawn(io, run(), [&](std::exception_ptr e) {
      failure = e;
      done = true;
    });
    io.run_for(timeout * 3);  // each phase is bounded by `timeout`; this is a backstop
    if (!done) throw std::runtime_error(u.to_string() + ": no answer within the timeout");
    if (failure) std::rethrow_exception(failure);
    return result;
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error(u.to_string() + ": " + e.code().message());
  }
}

}  // namespace bts::overseer
