#include "uptime/detail/fetch.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <ctime>
#include <memory>
#include <variant>

namespace bts::uptime::detail {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
using clock_type = std::chrono::steady_clock;

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

double ms_since(clock_type::time_point t) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t).count();
}

ssl::context& tls_context() {
  // Verification runs (against the system store) but never refuses the handshake: a probe
  // reports an untrusted or expired certificate instead of failing to see it.
  static ssl::context* ctx = [] {
    auto* c = new ssl::context(ssl::context::tls_client);
    boost::system::error_code ec;
    c->set_default_verify_paths(ec);
    c->set_verify_mode(ssl::verify_none);
    return c;
  }();
  return *ctx;
}

std::string name_text(X509_NAME* name) {
  if (!name) return {};
  BIO* bio = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string s(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return s;
}

std::int64_t asn1_ms(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

certificate_info describe(SSL* s) {
  certificate_info info;
  X509* cert = SSL_get1_peer_certificate(s);
  if (!cert) return info;
  info.subject = name_text(X509_get_subject_name(cert));
  info.issuer = name_text(X509_get_issuer_name(cert));
  info.not_before_ms = asn1_ms(X509_get0_notBefore(cert));
  info.not_after_ms = asn1_ms(X509_get0_notAfter(cert));
  if (auto* names = static_cast<GENERAL_NAMES*>(
          X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr))) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
      if (g->type == GEN_DNS) {
        const auto* d = g->d.dNSName;
        info.sans.push_back("DNS:" +
                            std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(d)),
                                        static_cast<std::size_t>(ASN1_STRING_length(d))));
      } else if (g->type == GEN_IPADD) {
        const auto* d = g->d.iPAddress;
        const unsigned char* p = ASN1_STRING_get0_data(d);
        if (ASN1_STRING_length(d) == 4) {
          info.sans.push_back("IP:" + std::to_string(p[0]) + "." + std::to_string(p[1]) + "." +
                              std::to_string(p[2]) + "." + std::to_string(p[3]));
        } else {
          info.sans.push_back("IP:(v6)");
        }
      }
    }
    GENERAL_NAMES_free(names);
  }
  const long v = SSL_get_verify_result(s);
  info.verified = v == X509_V_OK;
  if (!info.verified) info.verify_error = X509_verify_cert_error_string(v);
  X509_free(cert);
  return info;
}

std::string timeout_text(const char* phase) { return std::string(phase) + ": timed out"; }

}  // namespace

asio::awaitable<fetch_result> fetch(fetch_options o) {
  fetch_result r;
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer timer(ex, o.deadline);

  // DNS
  auto t = clock_type::now();
  tcp::resolver resolver(ex);
  auto resolved =
      co_await (resolver.async_resolve(o.host, std::to_string(o.port), tuple_awaitable) ||
                timer.async_wait(tuple_awaitable));
  if (resolved.index() == 1) {
    r.error = timeout_text("dns");
    co_return r;
  }
  auto [rec, endpoints] = std::get<0>(std::move(resolved));
  if (rec) {
    r.error = "dns: " + rec.message();
    co_return r;
  }
  r.dns_ms = ms_since(t);

  // TCP
  t = clock_type::now();
  tcp::socket socket(ex);
  auto connected = co_await (asio::async_connect(socket, endpoints, tuple_awaitable) ||
                             timer.async_wait(tuple_awaitable));
  if (connected.index() == 1) {
    r.error = timeout_text("connect");
    co_return r;
  }
  {
    auto& [cec, ep] = std::get<0>(connected);
    if (cec) {
      r.error = "connect: " + cec.message();
      co_return r;
    }
  }
  r.tcp_ms = ms_since(t);
  r.connected = true;

  std::unique_ptr<ssl::stream<tcp::socket&>> stream;
  if (o.tls) {
    t = clock_type::now();
    stream = std::make_unique<ssl::stream<tcp::socket&>>(socket, tls_context());
    SSL* s = stream->native_handle();
    boost::system::error_code not_ip;
    asio::ip::make_address(o.host, not_ip);
    const bool is_ip = !not_ip;
    if (!is_ip) SSL_set_tlsext_host_name(s, o.host.c_str());
    if (is_ip)
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s), o.host.c_str());
    else
      SSL_set1_host(s, o.host.c_str());
    auto hs = co_await (stream->async_handshake(ssl::stream_base::client, tuple_awaitable) ||
                        timer.async_wait(tuple_awaitable));
    if (hs.index() == 1) {
      r.error = timeout_text("tls handshake");
      co_return r;
    }
    if (auto [hec] = std::get<0>(hs); hec) {
      r.error = "tls handshake: " + hec.message();
      co_return r;
    }
    r.tls_ms = ms_since(t);
    r.certificate = describe(s);
  }

  if (o.request) {
    t = clock_type::now();
    http::request<http::string_body> req{
        o.request->method == "POST" ? http::verb::post : http::verb::get, o.request->target, 11};
    req.set(http::field::host, o.host);
    req.set(http::field::user_agent, "bts-infra-uptime");
    for (const auto& [k, v] : o.request->headers) req.set(k, v);
    if (!o.request->body.empty() || o.request->method == "POST") {
      req.body() = o.request->body;
      if (req[http::field::content_type].empty())
        req.set(http::field::content_type, "application/json");
    }
    req.set(http::field::connection, "close");
    req.prepare_payload();
    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(4 * 1024 * 1024);
    auto exchange = [&]() -> asio::awaitable<boost::system::error_code> {
      boost::system::error_code ec;
      if (stream) {
        std::tie(ec, std::ignore) = co_await http::async_write(*stream, req, tuple_awaitable);
        if (!ec)
          std::tie(ec, std::ignore) =
              co_await http::async_read(*stream, buffer, parser, tuple_awaitable);
      } else {
        std::tie(ec, std::ignore) = co_await http::async_write(socket, req, tuple_awaitable);
        if (!ec)
          std::tie(ec, std::ignore) =
              co_await http::async_read(socket, buffer, parser, tuple_awaitable);
      }
      co_return ec;
    };
    auto done = co_await (exchange() || timer.async_wait(tuple_awaitable));
    if (done.index() == 1) {
      r.error = timeout_text("http request");
      co_return r;
    }
    if (auto ec = std::get<0>(done)) {
      r.error = "http request: " + ec.message();
      co_return r;
    }
    r.request_ms = ms_since(t);
    r.status = parser.get().result_int();
    r.body = std::move(parser.get().body());
  }
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  co_return r;
}

}  // namespace bts::uptime::detail
