#include "uptime/detail/fetch.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "rpc/http_client.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core/string.hpp>

#include <ctime>
#include <memory>

namespace bts::uptime::detail {
namespace {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;

const std::shared_ptr<ssl::context>& tls_context() {
  // Verification runs (against the system store) but never refuses the handshake: a probe
  // reports an untrusted or expired certificate instead of failing to see it (the host name
  // check is recorded too: rpc::tls_name_check::recorded).
  static const auto* ctx = new std::shared_ptr<ssl::context>([] {
    auto c = std::make_shared<ssl::context>(ssl::context::tls_client);
    boost::system::error_code ec;
    c->set_default_verify_paths(ec);
    c->set_verify_mode(ssl::verify_none);
    return c;
  }());
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

// The probe's words for a failed phase: "dns: ...", "http request: timed out".
std::string failure_text(const rpc::http_client_response& r) {
  const char* phase = "";
  switch (r.failed) {
    case rpc::http_phase::none:
      return {};
    case rpc::http_phase::resolve:
      phase = "dns";
      break;
    case rpc::http_phase::connect:
      phase = "connect";
      break;
    case rpc::http_phase::tls_handshake:
      phase = "tls handshake";
      break;
    case rpc::http_phase::write:
    case rpc::http_phase::read:
      phase = "http request";
      break;
  }
  if (r.timed_out) return timeout_text(phase);
  return std::string(phase) + ": " + r.error.message();
}

bool has_header(const rpc::http_headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (boost::beast::iequals(k, name)) return true;
  }
  return false;
}

rpc::http_client_request http_request_of(const http_request& in) {
  rpc::http_client_request req;
  req.method = in.method == "POST" ? "POST" : "GET";
  req.target = in.target;
  req.headers = in.headers;
  if (!in.body.empty() || in.method == "POST") {
    req.body = in.body;
    if (!has_header(req.headers, "Content-Type"))
      req.headers.emplace_back("Content-Type", "application/json");
  }
  return req;
}

}  // namespace

asio::awaitable<fetch_result> fetch(fetch_options o) {
  fetch_result r;
  rpc::http_client_options h;
  h.endpoint.scheme = o.tls ? "https" : "http";
  h.endpoint.host = o.host;
  h.endpoint.port = o.port;
  h.host_header = o.host;
  h.user_agent = "bts-infra-uptime";
  if (o.tls) {
    h.tls = tls_context();
    h.name_check = rpc::tls_name_check::recorded;
  }
  h.body_limit = 4 * 1024 * 1024;
  rpc::http_client client(co_await asio::this_coro::executor, std::move(h));

  const rpc::http_client_response c = co_await client.connect(o.deadline);
  r.dns_ms = c.timings.dns_ms;
  r.tcp_ms = c.timings.tcp_ms;
  r.tls_ms = c.timings.tls_ms;
  r.connected = c.timings.tcp_ms.has_value();
  if (!c.ok()) {
    r.error = failure_text(c);
    co_return r;
  }
  if (SSL* s = client.tls_session()) r.certificate = describe(s);

  if (o.request) {
    rpc::http_client_response res =
        co_await client.request(http_request_of(*o.request), o.deadline);
    if (!res.ok()) {
      r.error = failure_text(res);
      co_return r;
    }
    r.request_ms = res.timings.request_ms;
    r.status = res.status;
    r.body = std::move(res.body);
  }
  co_return r;
}

}  // namespace bts::uptime::detail
