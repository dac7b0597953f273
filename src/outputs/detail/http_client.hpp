// A keep-alive HTTP/1.1 client for one Elasticsearch endpoint (http or https, Basic auth),
// one request at a time, over Boost.Beast. Reconnects lazily; a request that fails on a reused
// connection (the server closed it while idle) is tried once more on a fresh one.
//
// Not thread-safe: one owner coroutine at a time, on the executor given at construction.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "rpc/url.hpp"

namespace boost::asio::ssl {
class context;
}

namespace bts::outputs::detail {

struct http_result {
  unsigned status = 0;  // 0: no answer (error says why)
  std::string body;
  std::string error;  // "connect: Connection refused", "timeout", ...
};

struct http_client_options {
  rpc::url endpoint;                               // scheme, host, port; target = base path
  std::string authorization;                       // full header value, or empty
  std::shared_ptr<boost::asio::ssl::context> tls;  // REQUIRES: set for https
  std::string server_name;                         // SNI / verified name; default: host
  bool verify = true;                              // check the certificate's host name
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{15000};
};

class http_client {
 public:
  http_client(boost::asio::any_io_executor executor, http_client_options o);
  ~http_client();

  // Parameters by value: they live in the coroutine frame (GCC 12 mishandles temporaries that
  // span a co_await). `path` is appended to the endpoint's base path ("/_bulk"). Empty
  // content_type: no body.
  boost::asio::awaitable<http_result> request(std::string method, std::string path,
                                              std::string body, std::string content_type);
  void close();

 private:
  struct state;
  std::unique_ptr<state> s_;
};

}  // namespace bts::outputs::detail
