// The byte-moving half of the client: websocket and HTTP connections over TCP or TLS.
// client.cpp holds the call bookkeeping and talks to these through the interfaces below, so
// the heavy Beast templates are compiled once, in client_transport.cpp.
//
// Threads: everything here runs on the client's strand, which is the executor of the stream.
#pragma once

#include "rpc/client.hpp"

#include <boost/system/error_code.hpp>

#include <memory>
#include <string>
#include <string_view>

namespace boost::asio::ssl {
class context;
}

namespace bts::rpc::detail {

using strand_type = asio::strand<asio::any_io_executor>;

// What a websocket transport reports. Called on the strand.
class transport_sink {
 public:
  // One complete text or binary message. `text` is valid during the call only.
  virtual void on_message(std::string_view text) = 0;
  // The connection is gone (error, remote close, or close()); called exactly once.
  virtual void on_closed(const std::string& reason) = 0;
  // A written buffer handed back for reuse.
  virtual void recycle(std::string&& buffer) = 0;

 protected:
  ~transport_sink() = default;
};

class ws_transport {
 public:
  virtual ~ws_transport() = default;
  // Queues one message; at most one write is in flight, queued messages follow back to back.
  virtual void send(std::string message) = 0;
  // Drops the connection at once; on_closed follows (if it has not been reported yet).
  virtual void close() = 0;
};

// `endpoint`, `options` and `tls` belong to the client and must outlive the connect call and,
// for HTTP, the transport (the client owns it).
struct connect_options {
  const url* endpoint;
  const client_options* options;
  boost::asio::ssl::context* tls;  // REQUIRES: non-null when endpoint->tls()
  std::shared_ptr<client_counters> counters;
};

struct ws_connect_result {
  std::string error;  // empty on success
  std::shared_ptr<ws_transport> transport;
};

// Resolves, connects, and performs the TLS and websocket handshakes; on success the transport
// is reading and reports to `sink`. The transport holds the sink weakly (the client owns the
// transport), so an abandoned client is not kept alive by its connection.
asio::awaitable<ws_connect_result> connect_websocket(strand_type strand, connect_options o,
                                                     std::shared_ptr<transport_sink> sink);

struct http_reply {
  std::string error;  // empty when a response arrived
  // The request failed on a reused keep-alive connection before any byte of a response came
  // back: the server most likely closed the idle connection, and did not see the request.
  bool retryable = false;
  unsigned status = 0;
  std::string body;
};

class http_transport {
 public:
  virtual ~http_transport() = default;
  // POSTs `body` to the URL's target and reads the response. The connection is reused while
  // both sides keep it alive.
  virtual asio::awaitable<http_reply> post(std::string body) = 0;
  virtual bool reusable() const = 0;
  // True once a request was sent on this connection.
  virtual bool used() const = 0;
  // Aborts a post in progress (it returns an error) and closes the connection.
  virtual void close() = 0;
};

struct http_connect_result {
  std::string error;
  std::shared_ptr<http_transport> transport;
};

asio::awaitable<http_connect_result> connect_http(strand_type strand, connect_options o);

}  // namespace bts::rpc::detail
