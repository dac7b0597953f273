#include "rpc/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <strings.h>
#include <atomic>
#include <future>
#include <mutex>
#include <unordered_map>

namespace bts::rpc {

std::string http_request_info::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n.size() == name.size() && strncasecmp(n.data(), name.data(), n.size()) == 0) return v;
  }
  return {};
}

namespace detail {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
constexpr const char* server_name = "bts-infra-rpc/" BTS_INFRA_VERSION;
}  // namespace

// Something stop() can close.
class connection_base {
 public:
  virtual ~connection_base() = default;
  virtual void close() = 0;
};

struct server_state {
  server_state(asio::any_io_executor ex, server_options o)
      : executor(std::move(ex)),
        options(std::move(o)),
        acceptor_strand(asio::make_strand(executor)),
        acceptor(acceptor_strand) {
    if (options.tls) tls = make_server_tls_context(*options.tls);
  }

  asio::any_io_executor executor;
  const server_options options;
  std::shared_ptr<ssl::context> tls;
  server_counters counters;
  asio::strand<asio::any_io_executor> acceptor_strand;
  tcp::acceptor acceptor;
  std::atomic<std::uint64_t> next_id{1};
  std::atomic<std::size_t> ws_sessions{0};

  // Returns false if the server is stopping (the caller closes the connection).
  bool add(std::uint64_t id, std::weak_ptr<connection_base> c) {
    std::lock_guard lock(mu);
    if (stopping) return false;
    connections[id] = std::move(c);
    return true;
  }
  void remove(std::uint64_t id) {
    std::lock_guard lock(mu);
    connections.erase(id);
  }
  void stop() {
    std::vector<std::weak_ptr<connection_base>> open;
    {
      std::lock_guard lock(mu);
      if (stopping) return;
      stopping = true;
      for (auto& [id, c] : connections) open.push_back(c);
    }
    close_acceptor();
    for (auto& weak : open) {
      if (auto c = weak.lock()) c->close();
    }
  }
  // Closes the listening socket on its strand. From a thread that does not run the executor
  // this waits for it (bounded), so that the port is free when ~server returns.
  void close_acceptor() {
    if (acceptor_strand.running_in_this_thread()) {
      error_code ignored;
      acceptor.close(ignored);
      return;
    }
    auto done = std::make_shared<std::promise<void>>();
    std::future<void> closed = done->get_future();
    asio::post(acceptor_strand, [this, done] {
      error_code ignored;
      acceptor.close(ignored);
      done->set_value();
    });
    if (!runs_in_this_thread(executor)) closed.wait_for(std::chrono::seconds(2));
  }

  static bool runs_in_this_thread(const asio::any_io_executor& ex) {
    using io_executor = asio::io_context::executor_type;
    if (const auto* e = ex.target<io_executor>()) return e->running_in_this_thread();
    if (const auto* s = ex.target<asio::strand<io_executor>>()) {
      return s->get_inner_executor().running_in_this_thread();
    }
    if (const auto* s = ex.target<asio::strand<asio::any_io_executor>>()) {
      return runs_in_this_thread(s->get_inner_executor());
    }
    return false;  // unknown executor type: wait (bounded)
  }

  bool is_stopping() {
    std::lock_guard lock(mu);
    return stopping;
  }

 private:
  std::mutex mu;
  bool stopping = false;
  std::unordered_map<std::uint64_t, std::weak_ptr<connection_base>> connections;
};

namespace {

asio::awaitable<call_result> invoke_handler(std::shared_ptr<server_state> st,
                                            std::shared_ptr<session> s, rpc_request request) {
  if (!st->options.handler) {
    co_return rpc_error::server(error_codes::method_not_found, "Method not found",
                                json::string(request.method));
  }
  try {
    co_return co_await st->options.handler(std::move(s), std::move(request));
  } catch (const rpc_exception& e) {
    co_return e.error();
  } catch (const std::exception& e) {
    co_return rpc_error::server(error_codes::internal_error, "Internal error",
                                json::string(e.what()));
  }
}

// on_open/on_close must not take a session down half-way; their exceptions are dropped.
void call_session_hook(const session_hook& hook, session& s) {
  if (!hook) return;
  try {
    hook(s);
  } catch (const std::exception&) {
  }
}

template <class Socket>
std::string remote_of(const Socket& socket) {
  error_code ec;
  const tcp::endpoint ep = socket.remote_endpoint(ec);
  if (ec) return "?";
  const std::string addr = ep.address().to_string();
  return (ep.address().is_v6() ? "[" + addr + "]" : addr) + ":" + std::to_string(ep.port());
}

http_request_info make_info(const http::request<http::string_body>& req, std::string remote) {
  http_request_info info;
  info.method = std::string(req.method_string());
  info.target = std::string(req.target());
  for (const auto& field : req) {
    info.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  info.body = req.body();
  info.remote = std::move(remote);
  info.websocket_upgrade = websocket::is_upgrade(req);
  return info;
}

http::response<http::string_body> to_beast(http_response r, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  res.set(http::field::server, server_name);
  res.set(http::field::content_type, r.content_type);
  for (auto& [name, value] : r.headers) res.set(name, value);
  res.body() = std::move(r.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

// The session of one HTTP POST: no notices, nothing to close.
class post_session final : public session {
 public:
  post_session(std::uint64_t id, http_request_info info, asio::any_io_executor ex)
      : session(id, false, std::move(info)), executor_(std::move(ex)) {}
  void notify(std::uint64_t, json::array) override {}
  void close() override {}
  bool closed() const override { return false; }
  asio::any_io_executor get_executor() const override { return executor_; }

 private:
  asio::any_io_executor executor_;
};

// ---- websocket session ----------------------------------------------------------------------

template <class Stream>
class ws_session final : public session,
                         public connection_base,
                         public std::enable_shared_from_this<ws_session<Stream>> {
 public:
  ws_session(std::shared_ptr<server_state> st, std::uint64_t id, http_request_info info,
             Stream&& stream)
      : session(id, true, std::move(info)),
        st_(std::move(st)),
        ws_(std::move(stream)),
        executor_(ws_.get_executor()),
        wake_(executor_) {}

  asio::awaitable<void> run(http::request<http::string_body> upgrade) {
    auto self = this->shared_from_this();
    websocket::stream_base::timeout timeouts;
    timeouts.handshake_timeout = st_->options.http_timeout;
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, server_name); }));
    ws_.read_message_max(st_->options.max_message_size);
    ws_.auto_fragment(false);
    ws_.text(true);
    auto [ec] = co_await ws_.async_accept(upgrade, tuple_awaitable);
    if (ec) {
      closed_ = true;
      st_->remove(id());
      co_return;
    }
    accepted_ = true;
    if (closing_) {  // stop() came during the handshake
      closing_ = false;
      close();
    }
    bump(st_->counters.sessions_opened);
    st_->ws_sessions.fetch_add(1);
    call_session_hook(st_->options.on_open, *this);
    co_await read_loop();
    closed_ = true;
    queue_.clear();
    wake_.cancel();
    st_->ws_sessions.fetch_sub(1);
    bump(st_->counters.sessions_closed);
    call_session_hook(st_->options.on_close, *this);
    st_->remove(id());
  }

  void notify(std::uint64_t callback_id, json::array args) override {
    asio::dispatch(ws_.get_executor(),
                   [self = this->shared_from_this(), callback_id, args = std::move(args)] {
                     if (self->closed_ || self->closing_) return;
                     bump(self->st_->counters.notices);
                     self->enqueue(make_notice(callback_id, args));
                   });
  }

  void close() override {
    asio::dispatch(ws_.get_executor(), [self = this->shared_from_this()] {
      if (self->closed_ || self->closing_) return;
      self->closing_ = true;
      if (!self->accepted_) return;  // run() closes once the handshake is done
      if (!self->writing_) {
        self->writing_ = true;
        asio::co_spawn(self->ws_.get_executor(), self->write_loop(self), asio::detached);
      }
    });
  }

  bool closed() const override { return closed_; }
  asio::any_io_executor get_executor() const override { return executor_; }

 private:
  asio::awaitable<void> read_loop() {
    beast::flat_buffer buffer;
    for (;;) {
      while (in_flight_ >= st_->options.max_in_flight_per_session && !closed_) {
        wake_.expires_at(asio::steady_timer::time_point::max());
        co_await wake_.async_wait(tuple_awaitable);
      }
      auto [ec, n] = co_await ws_.async_read(buffer, tuple_awaitable);
      if (ec) break;
      bump(st_->counters.bytes_received, n);
      const auto data = buffer.cdata();
      parsed_request p =
          parse_request(std::string_view(static_cast<const char*>(data.data()), data.size()));
      buffer.consume(buffer.size());
      if (buffer.capacity() > 1024 * 1024) buffer.shrink_to_fit();
      if (!p.error_response.empty()) {
        bump(st_->counters.invalid_messages);
        bump(st_->counters.responses);
        bump(st_->counters.error_responses);
        enqueue(std::move(p.error_response));
        continue;
      }
      if (!p.request) continue;
      bump(st_->counters.requests);
      ++in_flight_;
      asio::co_spawn(ws_.get_executor(), handle(this->shared_from_this(), std::move(*p.request)),
                     asio::detached);
    }
    error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

  asio::awaitable<void> handle(std::shared_ptr<ws_session> self, rpc_request request) {
    const json::value id = request.id;
    const bool has_id = request.has_id;
    const bool jsonrpc = request.jsonrpc;
    call_result r = co_await invoke_handler(st_, self, std::move(request));
    --in_flight_;
    wake_.cancel();
    if (!has_id || closed_ || closing_) co_return;
    bump(st_->counters.responses);
    if (!r.ok()) bump(st_->counters.error_responses);
    enqueue(make_response(id, jsonrpc, r));
  }

  void enqueue(std::string message) {
    if (closed_) return;
    queue_.push_back(std::move(message));
    if (!writing_) {
      writing_ = true;
      asio::co_spawn(ws_.get_executor(), write_loop(this->shared_from_this()), asio::detached);
    }
  }

  // One write in flight; what queued up meanwhile follows back to back. A close requested
  // while writing is sent after the current batch.
  asio::awaitable<void> write_loop([[maybe_unused]] std::shared_ptr<ws_session> self) {
    while (!queue_.empty() && !closed_ && !closing_) {
      std::swap(queue_, batch_);
      for (std::string& message : batch_) {
        auto [ec, n] = co_await ws_.async_write(asio::buffer(message), tuple_awaitable);
        if (ec) {
          closed_ = true;
          break;
        }
        bump(st_->counters.bytes_sent, n);
      }
      batch_.clear();
    }
    if (closing_ && !closed_) {
      auto [ec] = co_await ws_.async_close(websocket::close_code::going_away, tuple_awaitable);
      if (ec) {
        error_code ignored;
        beast::get_lowest_layer(ws_).socket().close(ignored);
      }
    }
    writing_ = false;
  }

  std::shared_ptr<server_state> st_;
  websocket::stream<Stream> ws_;
  const asio::any_io_executor executor_;  // the connection's strand
  asio::steady_timer wake_;               // cancelled when a request completes (back-pressure)
  std::vector<std::string> queue_;
  std::vector<std::string> batch_;
  std::size_t in_flight_ = 0;
  bool accepted_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool closed_ = false;
};

// ---- HTTP connection (until it upgrades) ----------------------------------------------------

template <class Stream>
class http_connection final : public connection_base,
                              public std::enable_shared_from_this<http_connection<Stream>> {
 public:
  http_connection(std::shared_ptr<server_state> st, std::uint64_t id, Stream&& stream,
                  std::string remote)
      : st_(std::move(st)), id_(id), stream_(std::move(stream)), remote_(std::move(remote)) {}

  void close() override {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->upgraded_) return;
      error_code ignored;
      beast::get_lowest_layer(self->stream_).socket().close(ignored);
    });
  }

  asio::awaitable<void> run() {
    auto self = this->shared_from_this();
    if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
      beast::get_lowest_layer(stream_).expires_after(st_->options.http_timeout);
      auto [ec] = co_await stream_.async_handshake(ssl::stream_base::server, tuple_awaitable);
      if (ec) {
        st_->remove(id_);
        co_return;
      }
    }
    beast::flat_buffer buffer;
    bool shutdown = true;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(st_->options.max_message_size);
      beast::get_lowest_layer(stream_).expires_after(st_->options.http_timeout);
      auto [ec, n] = co_await http::async_read_header(stream_, buffer, parser, tuple_awaitable);
      if (!ec && beast::iequals(parser.get()[http::field::expect], "100-continue")) {
        // curl sends this for bodies over 1 KiB and would otherwise wait a second.
        http::response<http::empty_body> go_on{http::status::continue_, 11};
        auto [cec, cn] = co_await http::async_write(stream_, go_on, tuple_awaitable);
        ec = cec;
      }
      if (!ec && !parser.is_done()) {
        auto [bec, bn] = co_await http::async_read(stream_, buffer, parser, tuple_awaitable);
        ec = bec;
      }
      if (ec == http::error::body_limit) {
        http_response too_big{413, "text/plain", "message too large\n", {}};
        co_await write(to_beast(std::move(too_big), 11, false));
        break;
      }
      if (ec) {
        shutdown = ec != beast::error::timeout && ec != asio::error::operation_aborted;
        break;
      }
      http::request<http::string_body> req = parser.release();
      http_request_info info = make_info(req, remote_);
      if (st_->options.authenticate) {
        if (std::optional<http_response> refusal = guarded_auth(info)) {
          bump(st_->counters.auth_rejections);
          co_await write(to_beast(std::move(*refusal), req.version(), false));
          break;
        }
      }
      if (info.websocket_upgrade) {
        beast::get_lowest_layer(stream_).expires_never();
        upgraded_ = true;
        auto ws =
            std::make_shared<ws_session<Stream>>(st_, id_, std::move(info), std::move(stream_));
        if (!st_->add(id_, ws)) co_return;  // stopping: dropped
        co_await ws->run(std::move(req));
        co_return;
      }
      bump(st_->counters.http_requests);
      const bool keep_alive = req.keep_alive();
      http::response<http::string_body> res;
      const bool has_http = st_->options.http || st_->options.http_async;
      const bool post_to_http =
          has_http && st_->options.post_to_http && st_->options.post_to_http(info);
      if (req.method() == http::verb::post && !post_to_http) {
        res = co_await handle_post(std::move(info), req.version(), keep_alive);
      } else if (st_->options.http_async) {
        http_response answer = co_await guarded_async_http(std::move(info));
        res = to_beast(std::move(answer), req.version(), keep_alive);
      } else if (st_->options.http) {
        res = to_beast(guarded_http(info), req.version(), keep_alive);
      } else {
        res = to_beast(http_response{404, "text/plain", "not found\n", {}}, req.version(),
                       keep_alive);
      }
      if (!co_await write(std::move(res)) || !keep_alive) break;
    }
    if (shutdown) co_await end();
    st_->remove(id_);
  }

 private:
  asio::awaitable<http::response<http::string_body>> handle_post(http_request_info info,
                                                                 unsigned version,
                                                                 bool keep_alive) {
    bump(st_->counters.bytes_received, info.body.size());
    parsed_request p = parse_request(info.body);
    std::string body;
    std::int64_t code = 0;
    if (!p.error_response.empty()) {
      bump(st_->counters.invalid_messages);
      bump(st_->counters.responses);
      bump(st_->counters.error_responses);
      body = std::move(p.error_response);
      code = p.error_code;
    } else if (p.request) {
      bump(st_->counters.requests);
      const json::value id = p.request->id;
      const bool has_id = p.request->has_id;
      const bool jsonrpc = p.request->jsonrpc;
      auto s = std::make_shared<post_session>(st_->next_id.fetch_add(1), std::move(info),
                                              stream_.get_executor());
      call_session_hook(st_->options.on_open, *s);
      call_result r = co_await invoke_handler(st_, s, std::move(*p.request));
      call_session_hook(st_->options.on_close, *s);
      if (has_id) {
        bump(st_->counters.responses);
        if (!r.ok()) {
          bump(st_->counters.error_responses);
          code = r.error().code;
        }
        body = make_response(id, jsonrpc, r);
      }
    }
    // fc: 500 for -32603, 400 for other JSON-RPC faults (<= -32600), 204 without a reply.
    http_response out;
    out.status = body.empty()                           ? 204
                 : code == error_codes::internal_error  ? 500
                 : code <= error_codes::invalid_request ? 400
                                                        : 200;
    out.content_type = "application/json";
    out.body = std::move(body);
    co_return to_beast(std::move(out), version, keep_alive);
  }

  // User hooks must not take the connection down with an exception: it becomes a 500.
  std::optional<http_response> guarded_auth(const http_request_info& info) {
    try {
      return st_->options.authenticate(info);
    } catch (const std::exception& e) {
      return http_response{500, "text/plain", std::string("authenticate: ") + e.what() + "\n", {}};
    }
  }
  http_response guarded_http(const http_request_info& info) {
    try {
      return st_->options.http(info);
    } catch (const std::exception& e) {
      return http_response{
          500, "text/plain", std::string("internal error: ") + e.what() + "\n", {}};
    }
  }

  // As guarded_http, for http_async: completes on this connection's strand with the
  // first response given. A plain function (no coroutine frame): GCC 12 double-destroys
  // awaitables co_awaited inside try blocks of coroutines like this one.
  asio::awaitable<http_response> guarded_async_http(http_request_info info) {
    auto initiate = [st = st_, info = std::move(info)](auto handler) mutable {
      auto h = std::make_shared<decltype(handler)>(std::move(handler));
      auto once = std::make_shared<std::atomic<bool>>(false);
      http_responder respond = [h, once](http_response r) {
        if (once->exchange(true)) return;
        auto ex = asio::get_associated_executor(*h);
        asio::post(ex, [h, r = std::move(r)]() mutable { (*h)(std::move(r)); });
      };
      try {
        st->options.http_async(std::move(info), respond);
      } catch (const std::exception& e) {
        respond(http_response{
            500, "text/plain", std::string("internal error: ") + e.what() + "\n", {}});
      }
    };
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(http_response)>(
        std::move(initiate), asio::use_awaitable);
  }

  asio::awaitable<bool> write(http::response<http::string_body> res) {
    const std::size_t body_size = res.body().size();
    auto [ec, n] = co_await http::async_write(stream_, res, tuple_awaitable);
    if (ec) co_return false;
    bump(st_->counters.bytes_sent, body_size);
    co_return true;
  }

  asio::awaitable<void> end() {
    error_code ignored;
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    } else {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
      co_await stream_.async_shutdown(tuple_awaitable);
    }
    beast::get_lowest_layer(stream_).socket().close(ignored);
  }

  std::shared_ptr<server_state> st_;
  const std::uint64_t id_;
  Stream stream_;
  const std::string remote_;
  bool upgraded_ = false;
};

template <class Stream>
asio::awaitable<void> serve(std::shared_ptr<server_state> st, std::uint64_t id, Stream stream,
                            std::string remote) {
  auto conn =
      std::make_shared<http_connection<Stream>>(st, id, std::move(stream), std::move(remote));
  if (!st->add(id, conn)) co_return;
  co_await conn->run();
}

asio::awaitable<void> accept_loop(std::shared_ptr<server_state> st) {
  for (;;) {
    auto [ec, socket] =
        co_await st->acceptor.async_accept(asio::make_strand(st->executor), tuple_awaitable);
    if (ec) {
      if (ec == asio::error::operation_aborted || st->is_stopping()) co_return;
      // Out of descriptors and the like: breathe, then go on accepting.
      asio::steady_timer pause(st->acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(tuple_awaitable);
      continue;
    }
    bump(st->counters.connections);
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    std::string remote = remote_of(socket);
    const std::uint64_t id = st->next_id.fetch_add(1);
    auto executor = socket.get_executor();
    beast::tcp_stream tcp(std::move(socket));
    if (st->tls) {
      asio::co_spawn(executor,
                     serve(st, id, beast::ssl_stream<beast::tcp_stream>(std::move(tcp), *st->tls),
                           std::move(remote)),
                     asio::detached);
    } else {
      asio::co_spawn(executor, serve(st, id, std::move(tcp), std::move(remote)), asio::detached);
    }
  }
}

}  // namespace
}  // namespace detail

server::server(asio::any_io_executor executor, server_options options)
    : state_(std::make_shared<detail::server_state>(std::move(executor), std::move(options))) {
  using detail::tcp;
  auto& acceptor = state_->acceptor;
  const tcp::endpoint ep(asio::ip::make_address(state_->options.host), state_->options.port);
  acceptor.open(ep.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(ep);
  acceptor.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor.local_endpoint().port();
  asio::co_spawn(acceptor.get_executor(), detail::accept_loop(state_), asio::detached);
}

server::~server() { stop(); }

void server::stop() { state_->stop(); }

const server_counters& server::counters() const { return state_->counters; }

std::size_t server::session_count() const { return state_->ws_sessions.load(); }

}  // namespace bts::rpc
