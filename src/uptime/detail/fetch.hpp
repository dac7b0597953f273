// The low half of a probe: resolve, TCP connect, TLS handshake (keeping the peer certificate)
// and optionally one HTTP request, each phase timed, over rpc::http_client (connect() for the
// first three, then request() on the same connection; tls_session() for the certificate). Also
// sends alert webhooks. Errors name the phase in the probe's words: "dns: ...", "connect: ...",
// "tls handshake: ...", "http request: ...", or "<phase>: timed out" when the deadline passed.
//
// Threads: a coroutine on the caller's executor; no shared state besides one immutable TLS
// context.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bts::uptime::detail {

struct certificate_info {
  std::string subject;  // RFC 2253 form
  std::string issuer;
  std::vector<std::string> sans;   // DNS:..., IP:...
  std::int64_t not_before_ms = 0;  // unix milliseconds
  std::int64_t not_after_ms = 0;
  bool verified = false;     // chain to the system CA store and host name
  std::string verify_error;  // OpenSSL's reason when not verified
};

struct http_request {
  std::string method = "GET";
  std::string target = "/";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct fetch_options {
  std::string host;
  std::uint16_t port = 0;
  bool tls = false;
  std::optional<http_request> request;
  std::chrono::steady_clock::time_point deadline;
};

struct fetch_result {
  std::string error;  // empty: every phase asked for succeeded
  bool connected = false;
  std::optional<double> dns_ms, tcp_ms, tls_ms, request_ms;
  std::optional<certificate_info> certificate;
  std::optional<unsigned> status;
  std::string body;
};

boost::asio::awaitable<fetch_result> fetch(fetch_options o);

}  // namespace bts::uptime::detail
