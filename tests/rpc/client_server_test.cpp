// Client and server on real loopback sockets (127.0.0.1, ephemeral ports).
#include "rpc/blocking_client.hpp"
#include "rpc/client.hpp"
#include "rpc/server.hpp"
#include "rpc_test_support.hpp"
#include "test_server.hpp"
#include "util/error.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace bts::rpc::test {
namespace {

client_options ws_options(std::uint16_t port) {
  client_options o;
  o.url = ws_url(port);
  o.call_timeout = std::chrono::milliseconds(15'000);
  o.backoff.initial = std::chrono::milliseconds(20);
  o.backoff.max = std::chrono::milliseconds(200);
  o.backoff_seed = 7;
  return o;
}

class ClientServer : public ::testing::Test {
 protected:
  io_thread server_io;
  io_thread client_io;
  test_service service;
};

TEST_F(ClientServer, AnswersAreMatchedByIdWhenTheServerAnswersInReverse) {
  server s(server_io.executor(), service.options());
  client c(client_io.executor(), ws_options(s.port()));
  c.start();
  constexpr int n = 10;
  std::mutex mu;
  std::vector<int> order;
  std::promise<void> all;
  for (int i = 0; i < n; ++i) {
    c.async_call(0, "reverse", json::array{n, i}, [&, i](call_result r) {
      std::lock_guard lock(mu);
      EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
      if (r.ok()) {
        EXPECT_EQ(r.value(), (json::array{n, i}));
      }
      order.push_back(i);
      if (order.size() == n) all.set_value();
    });
  }
  ASSERT_EQ(all.get_future().wait_for(max_wait), std::future_status::ready);
  std::vector<int> expected;
  for (int i = n - 1; i >= 0; --i) expected.push_back(i);
  EXPECT_EQ(order, expected);
}

TEST_F(ClientServer, ThousandPipelinedCalls) {
  server s(server_io.executor(), service.options());
  client c(client_io.executor(), ws_options(s.port()));
  c.start();
  constexpr int n = 1000;
  std::atomic<int> ok{0}, done{0};
  std::promise<void> all;
  for (int i = 0; i < n; ++i) {
    c.async_call("database", "echo", json::array{i, "x"}, [&, i](call_result r) {
      if (r.ok() && r.value() == json::array{i, "x"}) ++ok;
      if (++done == n) all.set_value();
    });
  }
  ASSERT_EQ(all.get_future().wait_for(max_wait), std::future_status::ready);
  EXPECT_EQ(ok.load(), n);
  EXPECT_EQ(s.counters().snapshot().requests, static_cast<std::uint64_t>(n));

  // The coroutine API, on another executor than the client's.
  const json::value v = run_on(server_io.executor(), [&]() -> asio::awaitable<json::value> {
    call_result r = co_await c.call("database", "get_chain_id", {});
    co_return r.value();
  }());
  EXPECT_EQ(v, test_chain_id);
}

// Pre-serialized params reach the server exactly as the array they spell, from the client's
// strand and from another thread, over websocket and HTTP, pipelined with ordinary calls.
TEST_F(ClientServer, RawParamsTextIsSentAsIs) {
  server s(server_io.executor(), service.options());
  for (const std::string& url : {ws_url(s.port()), http_url(s.port())}) {
    client_options o = ws_options(s.port());
    o.url = url;
    client c(client_io.executor(), o);
    c.start();
    constexpr int n = 200;
    std::atomic<int> ok{0}, done{0};
    std::promise<void> all;
    for (int i = 0; i < n; ++i) {
      std::string text = R"([{"ref_block_num":)" + std::to_string(i) +
                         R"(,"signatures":["1f00"]},"x y",)" + std::to_string(i) + "]";
      const json::value expected = json::parse(text);
      auto check = [&, expected](call_result r) {
        if (r.ok() && r.value() == expected) ++ok;
        if (++done == 2 * n) all.set_value();
      };
      c.async_call_raw(2, "echo", text, check);  // from this thread: the text is copied
      text.assign(text.size(), ' ');             // so changing it afterwards is harmless
      c.async_call("database", "echo", expected.as_array(), check);
    }
    ASSERT_EQ(all.get_future().wait_for(max_wait), std::future_status::ready) << url;
    EXPECT_EQ(ok.load(), 2 * n) << url;

    // On the client's strand (the beacon's send path): no copy, same bytes.
    std::promise<json::value> got;
    asio::post(c.get_executor(), [&] {
      c.async_call_raw("database", "echo", "[[],{},\"\\u00e9\"]", [&](call_result r) {
        got.set_value(r.ok() ? r.value() : json::value("error: " + r.error().to_string()));
      });
    });
    auto f = got.get_future();
    ASSERT_EQ(f.wait_for(max_wait), std::future_status::ready) << url;
    EXPECT_EQ(f.get(), json::parse("[[],{},\"\\u00e9\"]")) << url;
    c.close();
  }
}

TEST_F(ClientServer, NoticesAreDispatchedByCallbackId) {
  server s(server_io.executor(), service.options());
  client c(client_io.executor(), ws_options(s.port()));
  c.start();
  const std::uint64_t cb = c.reserve_id();
  std::mutex mu;
  std::vector<json::array> got;
  c.subscribe(cb, [&](json::array args) {
    std::lock_guard lock(mu);
    got.push_back(std::move(args));
  });
  const call_result r = call_sync(c, 0, "subscribe", json::array{cb});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_TRUE(eventually([&] { return c.counters().unhandled_notices.load() == 1; }));
  std::lock_guard lock(mu);
  ASSERT_EQ(got.size(), 3u);  // sent before the response, on the same connection
  for (int k = 0; k < 3; ++k) EXPECT_EQ(got[k], (json::array{"tick", k}));
  EXPECT_EQ(c.counters().notices.load(), 3u);
  EXPECT_EQ(s.counters().snapshot().notices, 4u);
}

TEST_F(ClientServer, ThrowingCallbacksAreCountedAndDoNotStopTheConnection) {
  server s(server_io.executor(), service.options());
  client c(client_io.executor(), ws_options(s.port()));
  c.start();
  const std::uint64_t cb = c.reserve_id();
  c.subscribe(cb, [](json::array) { throw std::runtime_error("bad subscriber"); });
  ASSERT_TRUE(call_sync(c, 0, "subscribe", json::array{cb}).ok());
  std::promise<void> thrown;
  c.async_call(0, "echo", {}, [&](call_result) {
    thrown.set_value();
    throw std::runtime_error("bad callback");
  });
  ASSERT_EQ(thrown.get_future().wait_for(max_wait), std::future_status::ready);
  EXPECT_TRUE(call_sync(c, 0, "echo", json::array{1}).ok());
  EXPECT_EQ(c.counters().callback_exceptions.load(), 4u);  // three notices, one completion
  EXPECT_EQ(c.counters().disconnects.load(), 0u);
}

TEST_F(ClientServer, PerCallTimeoutFiresOnTheInjectedClock) {
  server s(server_io.executor(), service.options());
  util::manual_clock time;
  client_options o = ws_options(s.port());
  o.time = &time;
  o.call_timeout = std::chrono::milliseconds(5'000);
  client c(client_io.executor(), o);
  c.start();
  std::promise<call_result> p;
  auto f = p.get_future();
  c.async_call(0, "hang", {}, [&](call_result r) { p.set_value(std::move(r)); });
  ASSERT_TRUE(eventually([&] { return service.hanging.load() == 1; }));
  EXPECT_EQ(f.wait_for(50ms), std::future_status::timeout);  // real time passes, clock does not
  time.advance(std::chrono::milliseconds(4'000));
  EXPECT_EQ(f.wait_for(30ms), std::future_status::timeout);
  time.advance(std::chrono::milliseconds(1'001));
  ASSERT_EQ(f.wait_for(max_wait), std::future_status::ready);
  const call_result r = f.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, error_kind::timeout);

  // A per-call timeout overrides the default; the connection is still usable.
  std::promise<call_result> p2;
  auto f2 = p2.get_future();
  c.async_call(
      0, "hang", {}, [&](call_result r) { p2.set_value(std::move(r)); },
      std::chrono::milliseconds(100));
  ASSERT_TRUE(eventually([&] { return service.hanging.load() == 2; }));
  time.advance(std::chrono::milliseconds(101));
  ASSERT_EQ(f2.wait_for(max_wait), std::future_status::ready);
  EXPECT_EQ(f2.get().error().kind, error_kind::timeout);
  EXPECT_TRUE(call_sync(c, 0, "echo", json::array{1}).ok());
  EXPECT_EQ(c.counters().timeouts.load(), 2u);
}

TEST_F(ClientServer, ServerKilledMidCallThenClientReconnectsWithBackoff) {
  auto first = std::make_unique<server>(server_io.executor(), service.options());
  const std::uint16_t port = first->port();
  client c(client_io.executor(), ws_options(port));
  std::atomic<int> hooks{0};
  c.on_connect([&](client& self) -> asio::awaitable<void> {
    // (built outside the co_await: GCC 12 rejects initializer lists inside one)
    json::array credentials{json::string(), json::string()};
    (co_await self.call(1, "login", std::move(credentials))).value();
    ++hooks;
  });
  c.start();

  std::promise<call_result> p;
  auto f = p.get_future();
  c.async_call(0, "hang", {}, [&](call_result r) { p.set_value(std::move(r)); });
  ASSERT_TRUE(eventually([&] { return service.hanging.load() == 1; }));
  EXPECT_EQ(hooks.load(), 1);

  first->stop();
  first.reset();
  ASSERT_EQ(f.wait_for(max_wait), std::future_status::ready);
  const call_result r = f.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, error_kind::disconnected);
  ASSERT_TRUE(eventually([&] { return !c.connected(); }));

  // While the server is away, a call waits (held) instead of failing.
  std::promise<call_result> held;
  auto held_f = held.get_future();
  c.async_call(0, "echo", json::array{"held"},
               [&](call_result r) { held.set_value(std::move(r)); });
  ASSERT_TRUE(eventually([&] { return c.counters().connect_failures.load() >= 2; }));
  EXPECT_EQ(held_f.wait_for(0ms), std::future_status::timeout);

  server second(server_io.executor(), service.options(port));  // same port
  ASSERT_EQ(held_f.wait_for(max_wait), std::future_status::ready);
  const call_result after = held_f.get();
  ASSERT_TRUE(after.ok()) << after.error().to_string();
  EXPECT_EQ(after.value(), (json::array{"held"}));
  EXPECT_EQ(hooks.load(), 2);  // on_connect ran again, before the held call went out
  EXPECT_EQ(service.logins.load(), 2);

  const client_stats st = c.counters().snapshot();
  EXPECT_EQ(st.disconnects, 1u);
  EXPECT_EQ(st.connects, 2u);
  EXPECT_EQ(st.reconnects, 1u);
  EXPECT_EQ(st.connect_attempts, st.connects + st.connect_failures);
  EXPECT_EQ(st.disconnected, 1u);
}

TEST_F(ClientServer, EightMebibyteMessagesRoundTrip) {
  server s(server_io.executor(), service.options());
  client c(client_io.executor(), ws_options(s.port()));
  c.start();
  std::string big(8 * 1024 * 1024, 'a');
  for (std::size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + i % 26);
  const call_result r = call_sync(c, 0, "echo", json::array{json::string(big)});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r.value().as_array().size(), 1u);
  EXPECT_TRUE(r.value().as_array()[0].as_string() == big);
  EXPECT_GT(c.counters().bytes_received.load(), big.size());
  EXPECT_GT(c.counters().bytes_sent.load(), big.size());
}

TEST_F(ClientServer, MessagesOverTheLimitDropTheConnection) {
  server_options so = service.options();
  so.max_message_size = 64 * 1024;
  server s(server_io.executor(), so);
  client_options o = ws_options(s.port());
  o.reconnect = false;
  client c(client_io.executor(), o);
  c.start();
  const call_result r = call_sync(c, 0, "echo", json::array{std::string(100 * 1024, 'x')});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, error_kind::disconnected);
}

TEST_F(ClientServer, ServerErrorsPassThroughWithCode) {
  server s(server_io.executor(), service.options());
  client c(client_io.executor(), ws_options(s.port()));
  c.start();
  call_result r = call_sync(c, 0, "fail");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, error_kind::server);
  EXPECT_EQ(r.error().code, 3030001);
  EXPECT_EQ(r.error().message,
            "Execution error: duplicate_transaction: Transaction is already in the database");
  EXPECT_EQ(r.error().data.at("name"), "duplicate_transaction");
  EXPECT_THROW(r.value(), rpc_exception);

  r = call_sync(c, 0, "no_such_method");
  EXPECT_EQ(r.error().code, -32601);
  r = call_sync(c, 0, "throw");
  EXPECT_EQ(r.error().code, -32603);
  EXPECT_EQ(r.error().message, "Internal error");
  EXPECT_EQ(r.error().data, "boom");

  const auto codes = c.counters().errors_by_code();
  EXPECT_EQ(codes.at(3030001), 1u);
  EXPECT_EQ(codes.at(-32601), 1u);
  EXPECT_EQ(codes.at(-32603), 1u);
}

TEST_F(ClientServer, ServerWithoutHandlerAnswersMethodNotFound) {
  server s(server_io.executor(), server_options{});
  client c(client_io.executor(), ws_options(s.port()));
  c.start();
  const call_result r = call_sync(c, "database", "get_chain_id");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, -32601);
}

TEST_F(ClientServer, HttpPostJsonRpcOnTheSamePort) {
  server_options so = service.options();
  so.http = [](const http_request_info& req) {
    if (req.target == "/metrics") return http_response{200, "text/plain", "rpc_up 1\n", {}};
    if (req.target == "/boom") throw std::runtime_error("boom");
    return http_response{404, "text/plain", "no\n", {}};
  };
  server s(server_io.executor(), so);

  client_options o = ws_options(s.port());
  o.url = http_url(s.port());
  client c(client_io.executor(), o);
  c.start();
  call_result r = call_sync(c, "database", "get_chain_id");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r.value(), test_chain_id);
  for (int i = 0; i < 20; ++i) {  // one keep-alive connection
    r = call_sync(c, 0, "echo", json::array{i});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value(), json::array{i});
  }
  EXPECT_EQ(c.counters().connects.load(), 1u);
  r = call_sync(c, 0, "fail");
  EXPECT_EQ(r.error().code, 3030001);

  // What fc does with HTTP: 200 with a result or an application error, 400 for JSON-RPC
  // faults, 204 for notifications; GET goes to the HTTP handler.
  raw_http_response h =
      raw_http(s.port(), http_post(R"({"id":1,"method":"call","params":[0,"echo",[5]]})"));
  EXPECT_EQ(h.status, 200u);
  EXPECT_EQ(json::parse(h.body), json::parse(R"({"id":1,"result":[5]})"));
  h = raw_http(s.port(), http_post("{oops"));
  EXPECT_EQ(h.status, 400u);
  EXPECT_EQ(json::parse(h.body).at("error").at("code"), -32700);
  EXPECT_EQ(json::parse(h.body).at("id"), nullptr);
  h = raw_http(s.port(), http_post(R"({"method":"call","params":[0,"echo",[]]})"));
  EXPECT_EQ(h.status, 204u);
  h = raw_http(s.port(), http_post(R"({"id":2,"method":"call","params":[0,"throw",[]]})"));
  EXPECT_EQ(h.status, 500u);
  h = raw_http(s.port(), "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(h.status, 200u);
  EXPECT_EQ(h.body, "rpc_up 1\n");
  h = raw_http(s.port(), "GET /boom HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(h.status, 500u);
  // curl's "Expect: 100-continue" for larger bodies gets its interim answer.
  h = raw_http(s.port(), http_post(R"({"id":3,"method":"call","params":[0,"echo",[]]})",
                                   "Expect: 100-continue\r\n"));
  EXPECT_EQ(h.status, 100u);
  EXPECT_NE(h.body.find("HTTP/1.1 200"), std::string::npos) << h.body;
  EXPECT_NE(h.body.find(R"({"id":3,"result":[]})"), std::string::npos) << h.body;
}

// http_async: the answer comes later, from another thread; meanwhile other connections are
// served; a second respond is ignored; a handler that throws before responding gives a 500.
TEST_F(ClientServer, AsyncHttpHandlerAnswersLaterWhileOthersAreServed) {
  server_options so = service.options();
  std::mutex mu;
  std::vector<std::thread> workers;
  std::atomic<bool> slow_answered{false};
  so.http_async = [&](http_request_info req, http_responder respond) {
    if (req.target == "/boom") throw std::runtime_error("boom");
    std::lock_guard lock(mu);
    workers.emplace_back([&slow_answered, respond, target = req.target] {
      if (target == "/slow") std::this_thread::sleep_for(std::chrono::milliseconds(600));
      slow_answered = slow_answered || target == "/slow";
      respond(http_response{200, "text/plain", "answer " + target + "\n", {}});
      respond(http_response{500, "text/plain", "second\n", {}});  // ignored
    });
  };
  server s(server_io.executor(), so);
  raw_http_response slow;
  std::thread slow_client([&] {
    slow = raw_http(s.port(), "GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // While /slow is being worked on: a websocket call and another HTTP request are answered.
  client c(client_io.executor(), ws_options(s.port()));
  c.start();
  const call_result r = call_sync(c, "database", "get_chain_id");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const raw_http_response quick =
      raw_http(s.port(), "GET /quick HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(quick.status, 200u);
  EXPECT_EQ(quick.body, "answer /quick\n");
  EXPECT_FALSE(slow_answered.load()) << "the slow answer should still be pending";
  slow_client.join();
  EXPECT_EQ(slow.status, 200u);
  EXPECT_EQ(slow.body, "answer /slow\n");
  const raw_http_response boom =
      raw_http(s.port(), "GET /boom HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(boom.status, 500u);
  std::lock_guard lock(mu);
  for (auto& w : workers) w.join();
}

TEST_F(ClientServer, HttpClientReconnectsWhenTheServerDropsKeepAlive) {
  auto first = std::make_unique<server>(server_io.executor(), service.options());
  const std::uint16_t port = first->port();
  client_options o = ws_options(port);
  o.url = http_url(port);
  client c(client_io.executor(), o);
  c.start();
  ASSERT_TRUE(call_sync(c, 0, "echo", json::array{1}).ok());
  first->stop();
  first.reset();
  server second(server_io.executor(), service.options(port));
  const call_result r = call_sync(c, 0, "echo", json::array{2});  // stale connection: resent
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(c.counters().connects.load(), 2u);
}

TEST_F(ClientServer, AuthHookRejectsBadTokens) {
  server_options so = service.options();
  so.authenticate = [](const http_request_info& req) -> std::optional<http_response> {
    if (req.header("authorization") == "Bearer good") return std::nullopt;
    return http_response{401, "text/plain", "bad token\n", {{"WWW-Authenticate", "Bearer"}}};
  };
  server s(server_io.executor(), so);

  client_options bad = ws_options(s.port());
  bad.reconnect = false;
  bad.headers = {{"Authorization", "Bearer bad"}};
  client c_bad(client_io.executor(), bad);
  c_bad.start();
  const call_result r = call_sync(c_bad, 0, "echo", json::array{1});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, error_kind::disconnected);
  EXPECT_EQ(c_bad.counters().connect_failures.load(), 1u);
  EXPECT_NE(c_bad.last_error().find("websocket handshake"), std::string::npos)
      << c_bad.last_error();

  client_options good = ws_options(s.port());
  good.headers = {{"Authorization", "Bearer good"}};
  client c_good(client_io.executor(), good);
  c_good.start();
  EXPECT_TRUE(call_sync(c_good, 0, "echo", json::array{1}).ok());

  const raw_http_response h =
      raw_http(s.port(),
               "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "Authorization: Bearer nope\r\n\r\n");
  EXPECT_EQ(h.status, 401u);
  EXPECT_EQ(h.body, "bad token\n");
  EXPECT_EQ(s.counters().snapshot().auth_rejections, 2u);
}

TEST_F(ClientServer, CountersAddUp) {
  auto first = std::make_unique<server>(server_io.executor(), service.options());
  util::manual_clock time;
  client_options o = ws_options(first->port());
  o.time = &time;
  o.reconnect = false;
  client c(client_io.executor(), o);
  c.start();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(call_sync(c, 0, "echo", json::array{i}).ok());
  for (int i = 0; i < 3; ++i) ASSERT_FALSE(call_sync(c, 0, "fail").ok());
  std::promise<call_result> timed_out;
  auto timed_out_f = timed_out.get_future();
  c.async_call(
      0, "hang", {}, [&](call_result r) { timed_out.set_value(std::move(r)); },
      std::chrono::milliseconds(10));
  ASSERT_TRUE(eventually([&] { return service.hanging.load() == 1; }));
  time.advance(std::chrono::milliseconds(11));
  ASSERT_EQ(timed_out_f.wait_for(max_wait), std::future_status::ready);
  std::promise<call_result> dropped;
  auto dropped_f = dropped.get_future();
  c.async_call(0, "hang", {}, [&](call_result r) { dropped.set_value(std::move(r)); });
  ASSERT_TRUE(eventually([&] { return service.hanging.load() == 2; }));
  first.reset();  // stops the server
  ASSERT_EQ(dropped_f.wait_for(max_wait), std::future_status::ready);
  EXPECT_EQ(dropped_f.get().error().kind, error_kind::disconnected);
  EXPECT_EQ(call_sync(c, 0, "echo").error().kind, error_kind::disconnected);  // no reconnect

  const client_stats st = c.counters().snapshot();
  EXPECT_EQ(st.calls, 11u);
  EXPECT_EQ(st.succeeded, 5u);
  EXPECT_EQ(st.server_errors, 3u);
  EXPECT_EQ(st.timeouts, 1u);
  EXPECT_EQ(st.disconnected, 2u);
  EXPECT_EQ(st.calls,
            st.succeeded + st.server_errors + st.timeouts + st.disconnected + st.protocol_errors);
  EXPECT_EQ(st.errors_by_code.at(3030001), 3u);
  EXPECT_EQ(st.connect_attempts, 1u);
  EXPECT_EQ(st.connects, 1u);
  EXPECT_EQ(st.disconnects, 1u);
  EXPECT_EQ(st.reconnects, 0u);
  EXPECT_GT(st.bytes_sent, 0u);
  EXPECT_GT(st.bytes_received, 0u);
}

TEST_F(ClientServer, CloseFailsPendingCallsAndLaterOnes) {
  server s(server_io.executor(), service.options());
  client c(client_io.executor(), ws_options(s.port()));
  c.start();
  std::promise<call_result> p;
  auto f = p.get_future();
  c.async_call(0, "hang", {}, [&](call_result r) { p.set_value(std::move(r)); });
  ASSERT_TRUE(eventually([&] { return service.hanging.load() == 1; }));
  c.close();
  ASSERT_EQ(f.wait_for(max_wait), std::future_status::ready);
  EXPECT_EQ(f.get().error().kind, error_kind::disconnected);
  EXPECT_EQ(call_sync(c, 0, "echo").error().kind, error_kind::disconnected);
  EXPECT_TRUE(eventually([&] { return s.session_count() == 0; }));
}

TEST_F(ClientServer, FailingHookCountsAsConnectFailure) {
  server s(server_io.executor(), service.options());
  client_options o = ws_options(s.port());
  o.reconnect = false;
  client c(client_io.executor(), o);
  c.on_connect([](client& self) -> asio::awaitable<void> {
    (co_await self.call(0, "fail", {})).value();  // throws rpc_exception
  });
  c.start();
  const call_result r = call_sync(c, 0, "echo");
  EXPECT_EQ(r.error().kind, error_kind::disconnected);
  EXPECT_EQ(c.counters().connect_failures.load(), 1u);
  EXPECT_EQ(c.counters().connects.load(), 0u);
  EXPECT_NE(c.last_error().find("on_connect hook failed"), std::string::npos);
}

TEST_F(ClientServer, BlockingFacade) {
  server s(server_io.executor(), service.options());
  blocking_client c(ws_url(s.port()));
  const call_result r = c.call("database", "get_chain_id", {});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r.value(), test_chain_id);
  EXPECT_TRUE(c.wait_connected(std::chrono::milliseconds(1000)));
  EXPECT_EQ(c.call(0, "fail").error().code, 3030001);
}

TEST_F(ClientServer, BlockingFacadeToNothingFailsFast) {
  std::uint16_t port;
  {
    server s(server_io.executor(), service.options());
    port = s.port();
  }
  client_options o;
  o.url = ws_url(port);
  o.reconnect = false;
  blocking_client c(o);
  const call_result r = c.call(0, "echo");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, error_kind::disconnected);
  EXPECT_NE(r.error().message.find("connect"), std::string::npos) << r.error().message;
}

TEST_F(ClientServer, BadUrlIsAnInputError) {
  client_options o;
  o.url = "tcp://127.0.0.1:1";
  EXPECT_THROW(client(client_io.executor(), o), input_error);
}

}  // namespace
}  // namespace bts::rpc::test
