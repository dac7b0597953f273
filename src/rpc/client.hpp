// A JSON-RPC client for bitshares-core style nodes: ws://, wss://, http://, https://.
//
//   rpc::client c(io.get_executor(), {.url = "wss://node.example/ws"});
//   c.on_connect([](rpc::client& c) -> asio::awaitable<void> {     // after every (re)connect
//     json::array credentials{"", ""};  // GCC 12: no braced lists inside a co_await
//     (co_await c.call(1, "login", std::move(credentials))).value();
//   });
//   c.start();
//   rpc::call_result r = co_await c.call("database", "get_chain_id", {});
//
// Websocket: many calls in flight on one connection, matched by id (answers may come in any
// order); server notices dispatched to subscribers by callback id; per-call timeouts; reconnect
// with jittered, capped exponential backoff. Calls issued while the connection is down wait
// (held) until it is up and the on_connect hook has finished, or until their timeout; calls in
// flight when it drops fail with error_kind::disconnected and are not resent.
// HTTP(S): one request per POST on a keep-alive connection, sent one after another in call
// order; no notices, no on_connect hook.
//
// Ownership: `client` is a handle. Copies share one connection; the connection is closed when
// close() is called or the last handle made by the constructor (or copied from one) goes away.
// Internally the connection lives in an object shared with its coroutines, so completions
// never touch a destroyed client. The executor (io_context) must outlive all handles or be
// stopped first; stopping it abandons pending calls without completing them.
//
// Threads: every member function may be called from any thread. All internal state lives on
// one strand; completions, notice handlers and the on_connect hook run on that strand (or, for
// call(), resume the awaiting coroutine on its own executor). Counters are atomics.
#pragma once

#include "rpc/backoff.hpp"
#include "rpc/counters.hpp"
#include "rpc/json_rpc.hpp"
#include "rpc/tls.hpp"
#include "rpc/url.hpp"
#include "util/clock.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bts::rpc {

namespace asio = boost::asio;

class client;

struct client_options {
  std::string url;  // ws://, wss://, http://, https://; bad URLs throw input_error at construction
  // Default per-call timeout; zero means none. A call may pass its own.
  std::chrono::milliseconds call_timeout{30'000};
  // Covers TCP connect, TLS and websocket handshakes (real time: Beast's stream timers).
  std::chrono::milliseconds connect_timeout{10'000};
  // Websocket: close the connection when nothing was received for this long, sending pings at
  // half that time to keep a healthy connection busy. Zero disables.
  std::chrono::milliseconds idle_timeout{0};
  bool reconnect = true;  // false: after the first drop or failed connect, calls fail at once
  backoff_options backoff;
  std::uint64_t backoff_seed = 0;  // 0: seeded from the clock; fixed values make tests repeatable
  std::size_t max_message_size = 16 * 1024 * 1024;  // largest message (frame) or body accepted
  tls_client_options tls;
  // Extra headers for the websocket upgrade request / every POST (e.g. Authorization). A
  // "user:password@" in the URL adds HTTP Basic authorization, which bitshares-core uses as
  // login credentials.
  std::vector<std::pair<std::string, std::string>> headers;
  // Time source for call timeouts and backoff; nullptr means util::real_clock(). Tests pass a
  // util::manual_clock (deadlines are re-read every poll_interval()). Not owned;
  // REQUIRES: outlives the client.
  const util::clock* time = nullptr;
  // How often deadlines are checked while calls are pending (timeout precision).
  std::chrono::milliseconds timeout_resolution{10};
};

// Completion of async_call; invoked exactly once, with the result. Completion and notice
// handlers should not throw: an exception is caught and counted (callback_exceptions) so that
// it cannot stop the connection's read loop.
using call_handler = asio::any_completion_handler<void(call_result)>;
// Receives the [args...] of {"method":"notice","params":[callback_id,[args...]]}.
using notice_handler = std::function<void(json::array args)>;
// Runs after every successful (re)connect, before calls held during the outage are sent; calls
// it makes are sent at once. Throwing (e.g. via call_result::value()) fails the connection: it
// is closed, counted as a connect failure, and retried with backoff.
using connect_hook = std::function<asio::awaitable<void>(client&)>;

namespace detail {
class client_impl;
class client_owner;
}  // namespace detail

class client {
 public:
  // Does not connect yet; see start(). Throws input_error for a bad URL or TLS setting.
  client(asio::any_io_executor executor, client_options options);

  client(const client&) = default;
  client(client&&) noexcept = default;
  client& operator=(const client&) = default;
  client& operator=(client&&) noexcept = default;
  ~client();

  // REQUIRES: called before start().
  void on_connect(connect_hook hook);

  // Starts connecting (websocket) or enables sending (HTTP). Idempotent.
  void start();

  // Closes the connection and stops reconnecting. Pending and held calls fail with
  // `disconnected`, later calls too. Idempotent. A connect attempt already under way is not
  // interrupted: it ends (at most connect_timeout later) and is then dropped.
  void close();

  // Sends ["call", [api, method, params]] and waits for the answer, the timeout (the option's
  // default when nullopt; zero means none) or a disconnect. Never throws for RPC failures.
  asio::awaitable<call_result> call(api_ref api, std::string method, json::array params = {},
                                    std::optional<std::chrono::milliseconds> timeout = {});

  // Fire-and-forget path for high rates: `done` runs once with the outcome, on the strand
  // unless it has an associated executor. Requests are serialized into recycled buffers and
  // written back to back by one writer; handlers without an associated allocator get asio's
  // recycling allocator, so a steady stream of calls does little heap work.
  // `done` is any callable taking call_result (or a call_handler).
  template <class Handler>
  requires std::invocable<Handler&, call_result>
  void async_call(api_ref api, std::string_view method, json::array params, Handler&& done,
                  std::optional<std::chrono::milliseconds> timeout = {});

  // As async_call, with the params array given as JSON text ("[...]") that is written into the
  // request as is: for callers that keep what they send already serialized (the beacon's
  // pre-signed transactions), so the send path neither builds nor serializes a json::array.
  // REQUIRES: `params_json` is one JSON array. It is not checked: a malformed one makes the
  // server answer with an error or drop the connection.
  template <class Handler>
  requires std::invocable<Handler&, call_result>
  void async_call_raw(api_ref api, std::string_view method, std::string_view params_json,
                      Handler&& done, std::optional<std::chrono::milliseconds> timeout = {});

  // Notices for `callback_id` go to `handler` (replacing a previous one) until unsubscribe.
  // Subscriptions survive reconnects; re-register them on the server in on_connect.
  void subscribe(std::uint64_t callback_id, notice_handler handler);
  void unsubscribe(std::uint64_t callback_id);

  // A fresh number from the request-id sequence, for use as a callback id (what bitsharesjs
  // does): it never equals the id of a call of this client.
  std::uint64_t reserve_id();

  // True between a completed handshake (and on_connect hook) and the next disconnect.
  bool connected() const;
  // The last connect or connection failure ("connect: Connection refused", "closed by server
  // (code 1001)", "websocket handshake: ..."), empty if none yet.
  std::string last_error() const;
  const client_counters& counters() const;
  const url& endpoint() const;
  // The strand everything runs on.
  asio::strand<asio::any_io_executor> get_executor() const;

 private:
  friend class detail::client_impl;
  explicit client(std::shared_ptr<detail::client_impl> impl);  // a handle that does not own
  void async_call_erased(api_ref api, std::string_view method, json::array params,
                         call_handler done, std::optional<std::chrono::milliseconds> timeout);
  void async_call_raw_erased(api_ref api, std::string_view method, std::string_view params_json,
                             call_handler done, std::optional<std::chrono::milliseconds> timeout);
  // A call_handler for `done`, with asio's recycling allocator unless it has an allocator.
  template <class Handler>
  static call_handler make_handler(Handler&& done);

  std::shared_ptr<detail::client_impl> impl_;
  std::shared_ptr<detail::client_owner> owner_;  // closes impl_ when the last owner goes
};

}  // namespace bts::rpc

// ---- implementation details of the template overload ----------------------------------------

#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/recycling_allocator.hpp>

namespace bts::rpc {

template <class Handler>
call_handler client::make_handler(Handler&& done) {
  using H = std::decay_t<Handler>;
  if constexpr (std::is_same_v<H, call_handler>) {
    return std::forward<Handler>(done);
  } else if constexpr (std::is_same_v<asio::associated_allocator_t<H>, std::allocator<void>>) {
    return call_handler(
        asio::bind_allocator(asio::recycling_allocator<void>(), std::forward<Handler>(done)));
  } else {
    return call_handler(std::forward<Handler>(done));
  }
}

template <class Handler>
requires std::invocable<Handler&, call_result>
void client::async_call(api_ref api, std::string_view method, json::array params, Handler&& done,
                        std::optional<std::chrono::milliseconds> timeout) {
  async_call_erased(std::move(api), method, std::move(params),
                    make_handler(std::forward<Handler>(done)), timeout);
}

template <class Handler>
requires std::invocable<Handler&, call_result>
void client::async_call_raw(api_ref api, std::string_view method, std::string_view params_json,
                            Handler&& done, std::optional<std::chrono::milliseconds> timeout) {
  async_call_raw_erased(std::move(api), method, params_json,
                        make_handler(std::forward<Handler>(done)), timeout);
}

}  // namespace bts::rpc
