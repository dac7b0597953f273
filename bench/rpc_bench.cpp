// rpc_bench: how many JSON-RPC calls per second one client core pipelines through one websocket
// connection to a loopback rpc::server that answers at once, against the limit measured in the
// same run: a raw Beast websocket client sending the same request frames to a Beast echo server
// (no JSON, no ids, no bookkeeping), with the same number of messages in flight.
//
//   rpc_bench [--seconds=S] [--window=W] [--rounds=N]
//
// Prints rpc.calls_per_sec, raw_ws.msgs_per_sec (medians over alternating rounds) and
// rpc.ratio_vs_raw_ws. Each side runs with one client thread and one server thread; the
// numbers depend on the machine and its load, the ratio much less.
#include "rpc/client.hpp"
#include "rpc/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using bts::rpc::call_result;

namespace {

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

struct settings {
  std::chrono::milliseconds measure{2000};
  std::chrono::milliseconds warmup{500};
  int window = 1000;
  int rounds = 3;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// An io_context on its own thread.
struct io_thread {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  ~io_thread() {
    work.reset();
    io.stop();
    thread.join();
  }
};

// Counts completions; rate over the measuring window after a warm-up.
double measure_rate(const std::atomic<std::uint64_t>& done, const settings& s) {
  std::this_thread::sleep_for(s.warmup);
  const auto t0 = std::chrono::steady_clock::now();
  const std::uint64_t n0 = done.load();
  std::this_thread::sleep_for(s.measure);
  const std::uint64_t n1 = done.load();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return static_cast<double>(n1 - n0) / secs;
}

// The request frame both sides send.
std::string request_frame() {
  std::string frame;
  bts::rpc::append_call_request(frame, 123456, 0, "get_dynamic_global_properties",
                                json::array{1, "x"});
  return frame;
}

// ---- rpc::client against rpc::server --------------------------------------------------------

double bench_rpc(const settings& s) {
  io_thread server_io;
  io_thread client_io;
  bts::rpc::server_options so;
  so.max_in_flight_per_session = static_cast<std::size_t>(s.window) * 2;
  so.handler = [](std::shared_ptr<bts::rpc::session>,
                  bts::rpc::rpc_request r) -> asio::awaitable<call_result> {
    co_return json::value(std::move(r.params));
  };
  bts::rpc::server server(server_io.io.get_executor(), so);

  bts::rpc::client_options co;
  co.url = "ws://127.0.0.1:" + std::to_string(server.port());
  bts::rpc::client client(client_io.io.get_executor(), co);
  client.start();

  std::atomic<std::uint64_t> done{0}, failed{0};
  std::atomic<bool> running{true};
  // Each completion issues the next call: `window` calls stay in flight.
  struct pump {
    bts::rpc::client* client;
    std::atomic<std::uint64_t>* done;
    std::atomic<std::uint64_t>* failed;
    std::atomic<bool>* running;
    void next() const {
      client->async_call(0, "get_dynamic_global_properties", json::array{1, "x"},
                         [p = *this](call_result r) {
                           p.done->fetch_add(1, std::memory_order_relaxed);
                           if (!r.ok()) p.failed->fetch_add(1, std::memory_order_relaxed);
                           if (p.running->load(std::memory_order_relaxed)) p.next();
                         });
    }
  };
  const pump p{&client, &done, &failed, &running};
  asio::post(client.get_executor(), [p, w = s.window] {
    for (int i = 0; i < w; ++i) p.next();
  });
  const double rate = measure_rate(done, s);
  running = false;
  client.close();
  if (failed.load() > 0) {
    std::fprintf(stderr, "rpc_bench: %llu calls failed (%s)\n",
                 static_cast<unsigned long long>(failed.load()), client.last_error().c_str());
  }
  std::this_thread::sleep_for(50ms);
  return rate;
}

// ---- raw Beast websocket client against a Beast echo server ---------------------------------

asio::awaitable<void> echo_session(websocket::stream<beast::tcp_stream> ws) {
  ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws.auto_fragment(false);
  auto [ec] = co_await ws.async_accept(tuple_awaitable);
  if (ec) co_return;
  beast::flat_buffer buffer;
  for (;;) {
    auto [rec, n] = co_await ws.async_read(buffer, tuple_awaitable);
    if (rec) co_return;
    ws.text(ws.got_text());
    auto [wec, m] = co_await ws.async_write(buffer.data(), tuple_awaitable);
    if (wec) co_return;
    buffer.consume(buffer.size());
  }
}

asio::awaitable<void> echo_accept(tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(tuple_awaitable);
    if (ec) co_return;
    socket.set_option(tcp::no_delay(true));
    asio::co_spawn(acceptor.get_executor(),
                   echo_session(websocket::stream<beast::tcp_stream>(std::move(socket))),
                   asio::detached);
  }
}

struct raw_client {
  websocket::stream<beast::tcp_stream> ws;
  asio::steady_timer wake;
  std::string frame;
  int window;
  int in_flight = 0;
  std::atomic<std::uint64_t> done{0};
  bool running = true;

  raw_client(asio::any_io_executor ex, int w)
      : ws(ex), wake(ex), frame(request_frame()), window(w) {}

  asio::awaitable<void> writer() {
    while (running) {
      if (in_flight >= window) {
        wake.expires_at(asio::steady_timer::time_point::max());
        co_await wake.async_wait(tuple_awaitable);
        continue;
      }
      ++in_flight;
      auto [ec, n] = co_await ws.async_write(asio::buffer(frame), tuple_awaitable);
      if (ec) co_return;
    }
  }
  asio::awaitable<void> reader() {
    beast::flat_buffer buffer;
    while (running) {
      auto [ec, n] = co_await ws.async_read(buffer, tuple_awaitable);
      if (ec) co_return;
      buffer.consume(buffer.size());
      --in_flight;
      done.fetch_add(1, std::memory_order_relaxed);
      wake.cancel();
    }
  }
};

double bench_raw(const settings& s) {
  io_thread server_io;
  io_thread client_io;
  tcp::acceptor acceptor(server_io.io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = acceptor.local_endpoint().port();
  asio::co_spawn(server_io.io, echo_accept(acceptor), asio::detached);

  raw_client c(client_io.io.get_executor(), s.window);
  auto& tcp_layer = beast::get_lowest_layer(c.ws);
  tcp_layer.connect({asio::ip::make_address("127.0.0.1"), port});
  tcp_layer.socket().set_option(tcp::no_delay(true));
  c.ws.auto_fragment(false);
  c.ws.text(true);
  c.ws.handshake("127.0.0.1", "/");
  asio::post(client_io.io, [&c] {
    asio::co_spawn(c.ws.get_executor(), c.writer(), asio::detached);
    asio::co_spawn(c.ws.get_executor(), c.reader(), asio::detached);
  });
  const double rate = measure_rate(c.done, s);
  asio::post(client_io.io, [&c] {
    c.running = false;
    beast::error_code ignored;
    beast::get_lowest_layer(c.ws).socket().close(ignored);
    c.wake.cancel();
  });
  asio::post(server_io.io, [&acceptor] { acceptor.close(); });
  std::this_thread::sleep_for(50ms);
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--seconds=", 0) == 0) {
      s.measure = std::chrono::milliseconds(static_cast<long>(std::stod(arg.substr(10)) * 1000));
    } else if (arg.rfind("--rounds=", 0) == 0) {
      s.rounds = std::max(1, std::stoi(arg.substr(9)));
    } else if (arg.rfind("--window=", 0) == 0) {
      s.window = std::stoi(arg.substr(9));
    } else {
      std::fprintf(stderr, "usage: rpc_bench [--seconds=S] [--window=W] [--rounds=N]\n");
      return 2;
    }
  }
  // Alternate the two sides and keep the median of each, so load from other processes on
  // the machine hits both alike.
  std::vector<double> raws, rpcs;
  for (int round = 0; round < s.rounds; ++round) {
    raws.push_back(bench_raw(s));
    rpcs.push_back(bench_rpc(s));
  }
  const double raw = median(raws);
  const double rpc = median(rpcs);
  std::printf("rpc.window=%d\n", s.window);
  std::printf("rpc.rounds=%d\n", s.rounds);
  std::printf("rpc.calls_per_sec=%.0f\n", rpc);
  std::printf("raw_ws.msgs_per_sec=%.0f\n", raw);
  std::printf("rpc.ratio_vs_raw_ws=%.3f\n", raw > 0 ? rpc / raw : 0.0);
  return 0;
}
