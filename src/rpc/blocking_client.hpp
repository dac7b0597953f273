// A synchronous facade over rpc::client for CLIs and tests.
//
//   rpc::blocking_client c("ws://127.0.0.1:8090");
//   std::string chain_id = json::value_to<std::string>(
//       c.call("database", "get_chain_id", {}).value());
//
// Owns an io_context and one thread that runs it; the client lives on that thread. Calls
// block the calling thread until the result, the timeout or a disconnect.
//
// Threads: call() and the other members may be used from any number of threads at once,
// except from the internal thread (i.e. not from a notice handler or an on_connect hook: that
// would deadlock). The destructor closes the connection and joins the thread.
#pragma once

#include "rpc/client.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <thread>

namespace bts::rpc {

class blocking_client {
 public:
  // Starts connecting at once. Throws input_error for a bad URL or TLS setting.
  explicit blocking_client(std::string url);
  explicit blocking_client(client_options options, connect_hook hook = {});
  ~blocking_client();
  blocking_client(const blocking_client&) = delete;
  blocking_client& operator=(const blocking_client&) = delete;

  // Never throws for RPC failures; use call_result::value() to get the result or throw.
  call_result call(api_ref api, std::string_view method, json::array params = {},
                   std::optional<std::chrono::milliseconds> timeout = {});

  // True once connected (websocket handshake and hook done), false after `timeout`.
  bool wait_connected(std::chrono::milliseconds timeout);

  // The handler runs on the internal thread.
  void subscribe(std::uint64_t callback_id, notice_handler handler) {
    client_.subscribe(callback_id, std::move(handler));
  }
  void unsubscribe(std::uint64_t callback_id) { client_.unsubscribe(callback_id); }
  std::uint64_t reserve_id() { return client_.reserve_id(); }

  const client_counters& counters() const { return client_.counters(); }
  // The asynchronous client underneath, e.g. for async_call.
  client& async() { return client_; }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  client client_;
  std::thread thread_;
};

}  // namespace bts::rpc
