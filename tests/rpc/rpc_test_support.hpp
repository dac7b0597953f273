// Helpers for the rpc tests: an io_context on its own thread, bounded waits, a raw HTTP
// exchange over a plain socket, and a self-signed certificate made with OpenSSL.
#pragma once

#include "rpc/client.hpp"
#include "rpc/server.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>

namespace bts::rpc::test {

using namespace std::chrono_literals;

// Bound for anything a test waits on; a hang fails the test instead of the suite timing out.
inline constexpr auto max_wait = std::chrono::seconds(20);

// An io_context run by one thread until destruction.
class io_thread {
 public:
  io_thread() : work_(io_.get_executor()), thread_([this] { io_.run(); }) {}
  ~io_thread() {
    work_.reset();
    io_.stop();
    thread_.join();
  }
  asio::any_io_executor executor() { return io_.get_executor(); }
  asio::io_context& context() { return io_; }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

// Runs a coroutine on `ex` and waits (bounded) for its value.
template <class T>
T run_on(asio::any_io_executor ex, asio::awaitable<T> task,
         std::chrono::milliseconds limit = max_wait) {
  std::future<T> f = asio::co_spawn(ex, std::move(task), asio::use_future);
  if (f.wait_for(limit) != std::future_status::ready) {
    ADD_FAILURE() << "coroutine did not finish within " << limit.count() << " ms";
    throw std::runtime_error("timeout waiting for coroutine");
  }
  return f.get();
}

// Waits (bounded, polling) until `pred` holds.
inline bool eventually(const std::function<bool()>& pred,
                       std::chrono::milliseconds limit = max_wait) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// A call through async_call, waited for on the calling thread.
inline call_result call_sync(client& c, api_ref api, std::string method, json::array params = {},
                             std::optional<std::chrono::milliseconds> timeout = {}) {
  std::promise<call_result> p;
  auto f = p.get_future();
  c.async_call(
      std::move(api), method, std::move(params), [&p](call_result r) { p.set_value(std::move(r)); },
      timeout);
  if (f.wait_for(max_wait) != std::future_status::ready) {
    ADD_FAILURE() << "call " << method << " did not complete";
    throw std::runtime_error("timeout waiting for call");
  }
  return f.get();
}

struct raw_http_response {
  unsigned status = 0;
  std::string headers;
  std::string body;
};

// Sends `request` verbatim on a new plain TCP connection and reads until the server closes.
// REQUIRES: the request asks for "Connection: close".
inline raw_http_response raw_http(std::uint16_t port, const std::string& request) {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  asio::write(socket, asio::buffer(request));
  std::string data;
  boost::system::error_code ec;
  asio::read(socket, asio::dynamic_buffer(data), ec);
  raw_http_response r;
  const auto head_end = data.find("\r\n\r\n");
  if (data.size() < 12 || head_end == std::string::npos) return r;
  r.status = static_cast<unsigned>(std::stoi(data.substr(9, 3)));
  r.headers = data.substr(0, head_end);
  r.body = data.substr(head_end + 4);
  return r;
}

inline std::string http_post(const std::string& body, const std::string& extra_headers = "") {
  return "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
         "Connection: close\r\n" +
         extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace bts::rpc::test
