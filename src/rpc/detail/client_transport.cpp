#include "rpc/detail/client_transport.hpp"

#include "util/base64.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <openssl/ssl.h>

#include <vector>

namespace bts::rpc::detail {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
constexpr const char* user_agent = "bts-infra-rpc/" BTS_INFRA_VERSION;

using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

std::string describe(const char* step, const error_code& ec) {
  return std::string(step) + ": " + ec.message();
}

template <class Fields>
void add_headers(Fields& fields, const url& u, const client_options& o) {
  fields.set(http::field::user_agent, user_agent);
  if (!u.user.empty() || !u.password.empty()) {
    fields.set(http::field::authorization, "Basic " + base64_encode(u.user + ":" + u.password));
  }
  for (const auto& [name, value] : o.headers) fields.set(name, value);
}

// TCP connect (and TLS handshake) with the connect timeout. Returns an error text or "".
template <class Stream>
asio::awaitable<std::string> open_stream(Stream& stream, const connect_options& o) {
  const url& u = *o.endpoint;
  tcp::resolver resolver(stream.get_executor());
  auto [rec, endpoints] =
      co_await resolver.async_resolve(u.host, std::to_string(u.port), tuple_awaitable);
  if (rec) co_return describe("resolve", rec);
  auto& tcp_layer = beast::get_lowest_layer(stream);
  tcp_layer.expires_after(o.options->connect_timeout);
  auto [cec, ep] = co_await tcp_layer.async_connect(endpoints, tuple_awaitable);
  if (cec) co_return describe("connect", cec);
  tcp_layer.socket().set_option(tcp::no_delay(true));
  if constexpr (std::is_same_v<Stream, tls_stream>) {
    const std::string& name =
        o.options->tls.server_name.empty() ? u.host : o.options->tls.server_name;
    error_code addr_ec;
    asio::ip::make_address(name, addr_ec);
    if (addr_ec && !SSL_set_tlsext_host_name(stream.native_handle(), name.c_str())) {
      co_return std::string("tls: cannot set server name");
    }
    if (o.options->tls.verify != tls_verify::none) {
      stream.set_verify_callback(ssl::host_name_verification(name));
    }
    auto [hec] = co_await stream.async_handshake(ssl::stream_base::client, tuple_awaitable);
    if (hec) co_return describe("tls handshake", hec);
  }
  co_return std::string();
}

// ---- websocket ------------------------------------------------------------------------------

template <class Stream>
class ws_connection final : public ws_transport,
                            public std::enable_shared_from_this<ws_connection<Stream>> {
 public:
  ws_connection(Stream&& stream, const std::shared_ptr<transport_sink>& sink,
                std::shared_ptr<client_counters> counters)
      : ws_(std::move(stream)), sink_(sink), counters_(std::move(counters)) {}

  websocket::stream<Stream>& ws() { return ws_; }

  void start_reading() {
    asio::co_spawn(ws_.get_executor(), read_loop(this->shared_from_this()), asio::detached);
  }

  void send(std::string message) override {
    if (closed_) {
      recycle(std::move(message));
      return;
    }
    queue_.push_back(std::move(message));
    if (!writing_) {
      writing_ = true;
      asio::co_spawn(ws_.get_executor(), write_loop(this->shared_from_this()), asio::detached);
    }
  }

  void close() override { fail("closed by client"); }

 private:
  // One write in flight. Whatever was queued while a write ran goes out next, back to back.
  asio::awaitable<void> write_loop([[maybe_unused]] std::shared_ptr<ws_connection> self) {
    while (!queue_.empty() && !closed_) {
      std::swap(queue_, batch_);
      for (std::string& message : batch_) {
        if (closed_) break;
        auto [ec, n] = co_await ws_.async_write(asio::buffer(message), tuple_awaitable);
        if (ec) {
          fail(describe("write", ec));
          break;
        }
        bump(counters_->bytes_sent, n);
      }
      for (std::string& message : batch_) recycle(std::move(message));
      batch_.clear();
    }
    for (std::string& message : queue_) recycle(std::move(message));  // left by a failure
    queue_.clear();
    writing_ = false;
  }

  asio::awaitable<void> read_loop([[maybe_unused]] std::shared_ptr<ws_connection> self) {
    beast::flat_buffer buffer;
    for (;;) {
      auto [ec, n] = co_await ws_.async_read(buffer, tuple_awaitable);
      if (ec) {
        if (ec == websocket::error::closed) {
          const auto& reason = ws_.reason();
          fail("closed by server (code " + std::to_string(reason.code) +
               (reason.reason.empty()
                    ? std::string()
                    : ", " + std::string(reason.reason.data(), reason.reason.size())) +
               ")");
        } else {
          fail(describe("read", ec));
        }
        co_return;
      }
      if (closed_) co_return;
      bump(counters_->bytes_received, n);
      const auto data = buffer.cdata();
      if (auto sink = sink_.lock()) {
        sink->on_message(std::string_view(static_cast<const char*>(data.data()), data.size()));
      }
      buffer.consume(buffer.size());
      if (buffer.capacity() > 1024 * 1024) buffer.shrink_to_fit();  // after a huge message
    }
  }

  void fail(const std::string& reason) {
    if (closed_) return;
    closed_ = true;
    error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    if (auto sink = sink_.lock()) sink->on_closed(reason);
  }

  void recycle(std::string&& message) {
    if (auto sink = sink_.lock()) sink->recycle(std::move(message));
  }

  websocket::stream<Stream> ws_;
  std::weak_ptr<transport_sink> sink_;
  std::shared_ptr<client_counters> counters_;
  std::vector<std::string> queue_;
  std::vector<std::string> batch_;
  bool writing_ = false;
  bool closed_ = false;
};

template <class Stream>
asio::awaitable<ws_connect_result> connect_ws_over(Stream stream, connect_options o,
                                                   std::shared_ptr<transport_sink> sink) {
  ws_connect_result result;
  result.error = co_await open_stream(stream, o);
  if (!result.error.empty()) co_return result;

  auto conn = std::make_shared<ws_connection<Stream>>(std::move(stream), sink, o.counters);
  auto& ws = conn->ws();
  beast::get_lowest_layer(ws).expires_never();  // the websocket timeouts take over
  websocket::stream_base::timeout timeouts;
  timeouts.handshake_timeout = o.options->connect_timeout;
  if (o.options->idle_timeout.count() > 0) {
    timeouts.idle_timeout = o.options->idle_timeout;
    timeouts.keep_alive_pings = true;
  } else {
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
  }
  ws.set_option(timeouts);
  ws.set_option(websocket::stream_base::decorator(
      [u = *o.endpoint, opts = o.options](websocket::request_type& req) {
        add_headers(req, u, *opts);
      }));
  ws.read_message_max(o.options->max_message_size);
  ws.auto_fragment(false);
  ws.text(true);
  auto [ec] =
      co_await ws.async_handshake(o.endpoint->host_header(), o.endpoint->target, tuple_awaitable);
  if (ec) {
    result.error = describe("websocket handshake", ec);
    co_return result;
  }
  conn->start_reading();
  result.transport = std::move(conn);
  co_return result;
}

// ---- HTTP -----------------------------------------------------------------------------------

template <class Stream>
class http_connection final : public http_transport {
 public:
  http_connection(Stream&& stream, connect_options o) : stream_(std::move(stream)), o_(o) {}

  asio::awaitable<http_reply> post(std::string body) override {
    http_reply reply;
    const bool reused = used_;
    used_ = true;
    http::request<http::string_body> req{http::verb::post, o_.endpoint->target, 11};
    req.set(http::field::host, o_.endpoint->host_header());
    req.set(http::field::content_type, "application/json");
    add_headers(req, *o_.endpoint, *o_.options);
    req.keep_alive(true);
    const std::size_t sent = body.size();
    req.body() = std::move(body);
    req.prepare_payload();
    auto [wec, wn] = co_await http::async_write(stream_, req, tuple_awaitable);
    if (wec) {
      reusable_ = false;
      reply.retryable = reused;
      reply.error = describe("http write", wec);
      co_return reply;
    }
    bump(o_.counters->bytes_sent, sent);
    http::response_parser<http::string_body> parser;
    parser.body_limit(o_.options->max_message_size);
    auto [rec, rn] = co_await http::async_read(stream_, buffer_, parser, tuple_awaitable);
    if (rec) {
      reusable_ = false;
      reply.retryable = reused && !parser.got_some();
      reply.error = describe("http read", rec);
      co_return reply;
    }
    auto res = parser.release();
    reusable_ = res.keep_alive();
    reply.status = res.result_int();
    reply.body = std::move(res.body());
    bump(o_.counters->bytes_received, reply.body.size());
    co_return reply;
  }

  bool reusable() const override { return reusable_; }
  bool used() const override { return used_; }

  void close() override {
    reusable_ = false;
    error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
  }

 private:
  Stream stream_;
  connect_options o_;
  beast::flat_buffer buffer_;
  bool reusable_ = true;
  bool used_ = false;
};

template <class Stream>
asio::awaitable<http_connect_result> connect_http_over(Stream stream, connect_options o) {
  http_connect_result result;
  result.error = co_await open_stream(stream, o);
  if (!result.error.empty()) co_return result;
  beast::get_lowest_layer(stream).expires_never();  // call timeouts close the connection
  result.transport = std::make_shared<http_connection<Stream>>(std::move(stream), o);
  co_return result;
}

}  // namespace

asio::awaitable<ws_connect_result> connect_websocket(strand_type strand, connect_options o,
                                                     std::shared_ptr<transport_sink> sink) {
  if (o.endpoint->tls()) {
    co_return co_await connect_ws_over(tls_stream(strand, *o.tls), o, std::move(sink));
  }
  co_return co_await connect_ws_over(plain_stream(strand), o, std::move(sink));
}

asio::awaitable<http_connect_result> connect_http(strand_type strand, connect_options o) {
  if (o.endpoint->tls()) co_return co_await connect_http_over(tls_stream(strand, *o.tls), o);
  co_return co_await connect_http_over(plain_stream(strand), o);
}

}  // namespace bts::rpc::detail
