// The Elasticsearch endpoint as the bulk output talks to it: rpc::http_client (keep-alive,
// http or https) plus what every request to that endpoint shares: the base path of the URL,
// Basic auth, "Accept: application/json", and one line of text for a failure. A request that
// fails on a reused connection (the server closed it while idle) is tried once more on a fresh
// one (rpc::http_client's keep-alive rule).
//
//   detail::es_client c(executor, {.endpoint = url, .authorization = "Basic ..."});
//   detail::http_result r = co_await c.request("POST", "/_bulk", body, "application/x-ndjson");
//   if (r.status == 0) say(r.error);  // "connect: Connection refused", "read: timeout"
//
// Not thread-safe: one owner coroutine at a time, on the executor given at construction.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "rpc/url.hpp"

namespace boost::asio::ssl {
class context;
}

namespace bts::rpc {
class http_client;
}

namespace bts::outputs::detail {

struct http_result {
  unsigned status = 0;  // 0: no answer (error says why)
  std::string body;
  std::string error;  // "connect: Connection refused", "read: timeout", ...
};

struct es_client_options {
  rpc::url endpoint;                               // scheme, host, port; target = base path
  std::string authorization;                       // full header value, or empty
  std::shared_ptr<boost::asio::ssl::context> tls;  // REQUIRES: set for https
  std::string server_name;                         // SNI / verified name; default: host
  bool verify = true;                              // check the certificate's host name
  std::chrono::milliseconds connect_timeout{5000};  // resolve, connect and TLS handshake
  std::chrono::milliseconds request_timeout{15000};
};

class es_client {
 public:
  es_client(boost::asio::any_io_executor executor, es_client_options o);
  ~es_client();

  // Parameters by value: they live in the coroutine frame (GCC 12 mishandles temporaries that
  // span a co_await). `path` is appended to the endpoint's base path ("/_bulk"). Empty
  // content_type: no body.
  boost::asio::awaitable<http_result> request(std::string method, std::string path,
                                              std::string body, std::string content_type);
  // Closes the connection; a request in flight completes with an error.
  void close();

 private:
  std::string base_;  // endpoint path without a query or a trailing '/'
  std::string authorization_;
  std::unique_ptr<rpc::http_client> http_;
};

}  // namespace bts::outputs::detail
