// rpc::http_client against a scripted HTTP server on loopback (plain and TLS).
#include "rpc/http_client.hpp"
#include "rpc/tls.hpp"
#include "support/self_signed.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace bts::rpc {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using task = asio::awaitable<http_client_response>;

// One connection at a time, requests read in full. `reply` maps a request's text to the bytes
// to answer: nullopt hangs until the client goes, and a reply ending the connection closes it.
struct scripted_server {
  struct answer {
    std::optional<std::string> bytes;  // nullopt: no answer, wait for the client to leave
    bool close = false;                // close the connection after the answer
  };
  using script = std::function<answer(const std::string& request)>;

  explicit scripted_server(script s, std::shared_ptr<ssl::context> tls = nullptr)
      : reply(std::move(s)), tls(std::move(tls)) {
    acceptor.open(tcp::v4());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor.listen();
    port = acceptor.local_endpoint().port();
    thread = std::thread([this] { serve(); });
  }
  ~scripted_server() {
    stopping = true;
    boost::system::error_code ec;
    tcp::socket wake(io);
    wake.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    thread.join();
  }

  template <class Stream>
  void session(Stream& stream) {
    std::string buf;
    boost::system::error_code ec;
    for (;;) {
      const std::size_t head = asio::read_until(stream, asio::dynamic_buffer(buf), "\r\n\r\n", ec);
      if (ec) return;
      std::size_t length = 0;
      const auto cl = buf.find("Content-Length: ");
      if (cl != std::string::npos && cl < head) length = std::stoul(buf.substr(cl + 16));
      if (buf.size() < head + length) {
        asio::read(stream, asio::dynamic_buffer(buf),
                   asio::transfer_exactly(head + length - buf.size()), ec);
        if (ec) return;
      }
      const std::string request = buf.substr(0, head + length);
      buf.erase(0, head + length);
      {
        std::lock_guard lock(mutex);
        requests.push_back(request);
      }
      const answer a = reply(request);
      if (!a.bytes) {
        char c;
        asio::read(stream, asio::buffer(&c, 1), ec);  // until the client closes
        return;
      }
      asio::write(stream, asio::buffer(*a.bytes), ec);
      if (ec || a.close) return;
    }
  }

  void serve() {
    for (;;) {
      tcp::socket s(io);
      boost::system::error_code ec;
      acceptor.accept(s, ec);
      if (stopping || ec) return;
      ++accepts;
      if (tls) {
        ssl::stream<tcp::socket> stream(std::move(s), *tls);
        stream.handshake(ssl::stream_base::server, ec);
        if (!ec) session(stream);
      } else {
        session(s);
      }
    }
  }

  std::vector<std::string> seen() {
    std::lock_guard lock(mutex);
    return requests;
  }

  script reply;
  std::shared_ptr<ssl::context> tls;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::uint16_t port = 0;
  std::atomic<bool> stopping{false};
  std::atomic<int> accepts{0};
  std::mutex mutex;
  std::vector<std::string> requests;
  std::thread thread;
};

scripted_server::answer ok_reply(std::string body, bool close = false) {
  return {"HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body,
          close};
}

http_client_options options_for(std::uint16_t port, std::string scheme = "http") {
  http_client_options o;
  o.endpoint = parse_url(scheme + "://127.0.0.1:" + std::to_string(port) + "/");
  return o;
}

// Runs `f(client)` on a fresh io_context to completion.
template <class F>
http_client_response run(http_client_options o, F f) {
  asio::io_context io;
  http_client client(io.get_executor(), std::move(o));
  auto done = asio::co_spawn(io, f(client), asio::use_future);
  io.run();
  return done.get();
}

task get(http_client& c, std::string target = "/") {
  http_client_request r;
  r.target = std::move(target);
  co_return co_await c.request(std::move(r));
}

TEST(HttpClient, SendsTheRequestAndReadsStatusHeadersAndBody) {
  scripted_server srv([](const std::string&) {
    return scripted_server::answer{
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nX-Thing: 7\r\n"
        "Content-Length: 5\r\n\r\nnope\n"};
  });
  http_client_options o = options_for(srv.port);
  o.user_agent = "test-agent/1";
  const http_client_response r = run(o, [](http_client& c) -> task {
    http_client_request req;
    req.method = "POST";
    req.target = "/a/b?x=1";
    req.headers.emplace_back("Authorization", "Bearer t0k");
    req.body = "{\"k\":1}";
    co_return co_await c.request(std::move(req));
  });
  ASSERT_TRUE(r.ok()) << to_string(r.failed) << ": " << r.error.message();
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.reason, "Not Found");
  EXPECT_EQ(r.header("x-thing"), "7");
  EXPECT_EQ(r.header("Missing"), "");
  EXPECT_EQ(r.body, "nope\n");
  EXPECT_TRUE(r.timings.dns_ms && r.timings.tcp_ms && r.timings.request_ms);
  EXPECT_FALSE(r.timings.tls_ms);
  const auto seen = srv.seen();
  ASSERT_EQ(seen.size(), 1u);
  const std::string& q = seen[0];
  EXPECT_EQ(q.rfind("POST /a/b?x=1 HTTP/1.1\r\n", 0), 0u) << q;
  EXPECT_NE(q.find("Host: 127.0.0.1:" + std::to_string(srv.port) + "\r\n"), std::string::npos);
  EXPECT_NE(q.find("User-Agent: test-agent/1\r\n"), std::string::npos);
  EXPECT_NE(q.find("Authorization: Bearer t0k\r\n"), std::string::npos);
  EXPECT_NE(q.find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(q.find("Content-Length: 7\r\n\r\n{\"k\":1}"), std::string::npos);
}

TEST(HttpClient, RequestHeadersReplaceTheDefaultHost) {
  scripted_server srv([](const std::string&) { return ok_reply("x"); });
  http_client_options o = options_for(srv.port);
  o.host_header = "probe.example";
  const http_client_response r = run(o, [](http_client& c) { return get(c); });
  ASSERT_TRUE(r.ok());
  EXPECT_NE(srv.seen().at(0).find("Host: probe.example\r\n"), std::string::npos);
  const http_client_response r2 = run(o, [](http_client& c) -> task {
    http_client_request req;
    req.headers.emplace_back("Host", "other.example");
    co_return co_await c.request(std::move(req));
  });
  ASSERT_TRUE(r2.ok());
  EXPECT_NE(srv.seen().at(1).find("Host: other.example\r\n"), std::string::npos);
}

TEST(HttpClient, KeepAliveReusesTheConnection) {
  scripted_server srv([](const std::string&) { return ok_reply("one"); });
  http_client_options o = options_for(srv.port);
  o.keep_alive = true;
  const http_client_response r = run(o, [](http_client& c) -> task {
    http_client_response first = co_await get(c);
    if (!first.ok()) co_return first;
    co_return co_await get(c);
  });
  ASSERT_TRUE(r.ok()) << to_string(r.failed) << ": " << r.error.message();
  EXPECT_EQ(r.body, "one");
  EXPECT_EQ(srv.accepts.load(), 1);
  EXPECT_EQ(srv.seen().size(), 2u);
  EXPECT_EQ(srv.seen()[0].find("Connection:"), std::string::npos);
}

TEST(HttpClient, KeepAliveRetriesOnceWhenTheServerDroppedAnIdleConnection) {
  // The server closes after every answer without saying so: the second request fails on the
  // reused connection and goes out again on a fresh one.
  scripted_server srv([](const std::string&) { return ok_reply("fresh", true); });
  http_client_options o = options_for(srv.port);
  o.keep_alive = true;
  const http_client_response r = run(o, [](http_client& c) -> task {
    http_client_response first = co_await get(c);
    if (!first.ok()) co_return first;
    co_await asio::steady_timer(co_await asio::this_coro::executor, 50ms)
        .async_wait(asio::use_awaitable);
    co_return co_await get(c);
  });
  ASSERT_TRUE(r.ok()) << to_string(r.failed) << ": " << r.error.message();
  EXPECT_EQ(r.body, "fresh");
  EXPECT_EQ(srv.accepts.load(), 2);
}

TEST(HttpClient, RefusedConnectionNamesThePhase) {
  std::uint16_t port = 0;
  {
    asio::io_context io;
    tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  const http_client_response r = run(options_for(port), [](http_client& c) { return get(c); });
  EXPECT_EQ(r.failed, http_phase::connect);
  EXPECT_EQ(r.error.message(), "Connection refused");
  EXPECT_FALSE(r.timed_out);
  EXPECT_TRUE(r.timings.dns_ms);
  EXPECT_FALSE(r.timings.tcp_ms);
}

TEST(HttpClient, RequestTimeoutEndsASilentServer) {
  scripted_server srv([](const std::string&) { return scripted_server::answer{}; });
  http_client_options o = options_for(srv.port);
  o.request_timeout = 100ms;
  const auto start = std::chrono::steady_clock::now();
  const http_client_response r = run(o, [](http_client& c) { return get(c); });
  EXPECT_EQ(r.failed, http_phase::read);
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.cancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(HttpClient, APassedDeadlineFailsBeforeResolving) {
  scripted_server srv([](const std::string&) { return ok_reply("x"); });
  const auto past = [](http_client& c) -> task {
    http_client_request req;
    co_return co_await c.request(std::move(req), std::chrono::steady_clock::now() - 1ms);
  };
  const http_client_response r = run(options_for(srv.port), past);
  EXPECT_EQ(r.failed, http_phase::resolve);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(srv.accepts.load(), 0);
}

TEST(HttpClient, CloseCancelsTheRequestInFlight) {
  scripted_server srv([](const std::string&) { return scripted_server::answer{}; });
  asio::io_context io;
  http_client client(io.get_executor(), options_for(srv.port));
  auto done = asio::co_spawn(io, get(client), asio::use_future);
  asio::steady_timer later(io, 100ms);
  later.async_wait([&](const boost::system::error_code&) { client.close(); });
  io.run();
  const http_client_response r = done.get();
  EXPECT_EQ(r.failed, http_phase::read);
  EXPECT_TRUE(r.cancelled);
  EXPECT_FALSE(r.timed_out);
}

TEST(HttpClient, ABodyOverTheLimitFailsTheRead) {
  scripted_server srv([](const std::string&) { return ok_reply(std::string(4096, 'x')); });
  http_client_options o = options_for(srv.port);
  o.body_limit = 1000;
  const http_client_response r = run(o, [](http_client& c) { return get(c); });
  EXPECT_EQ(r.failed, http_phase::read);
  EXPECT_EQ(r.error, boost::beast::http::error::body_limit);
}

class HttpClientTls : public ::testing::Test {
 protected:
  void SetUp() override {
    cert = test::make_self_signed_certificate();
    tls_server_options so;
    so.cert_chain_pem = cert.cert_pem;
    so.private_key_pem = cert.key_pem;
    srv = std::make_unique<scripted_server>(
        [](const std::string&) { return ok_reply("secret"); }, make_server_tls_context(so));
  }

  // A client context that trusts the test certificate, refusing (verify_peer) or not.
  std::shared_ptr<ssl::context> trusting(bool refuse) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    ctx->add_certificate_authority(asio::buffer(cert.cert_pem));
    ctx->set_verify_mode(refuse ? ssl::verify_peer : ssl::verify_none);
    return ctx;
  }

  test::self_signed cert;
  std::unique_ptr<scripted_server> srv;
};

TEST_F(HttpClientTls, RequestsOverTlsWithTheNameChecked) {
  http_client_options o = options_for(srv->port, "https");
  o.tls = trusting(true);
  o.server_name = "localhost";
  const http_client_response r = run(o, [](http_client& c) { return get(c); });
  ASSERT_TRUE(r.ok()) << to_string(r.failed) << ": " << r.error.message();
  EXPECT_EQ(r.body, "secret");
  EXPECT_TRUE(r.timings.tls_ms);
}

TEST_F(HttpClientTls, ARequiredNameMismatchFailsTheHandshake) {
  http_client_options o = options_for(srv->port, "https");
  o.tls = trusting(true);
  o.server_name = "other.example";
  o.name_check = tls_name_check::required;
  const http_client_response r = run(o, [](http_client& c) { return get(c); });
  EXPECT_EQ(r.failed, http_phase::tls_handshake);
  EXPECT_TRUE(r.timings.tcp_ms);
  EXPECT_EQ(srv->seen().size(), 0u);
}

TEST_F(HttpClientTls, ARecordedNameCheckLeavesTheVerdictInTheSession) {
  http_client_options o = options_for(srv->port, "https");
  o.tls = trusting(false);
  o.name_check = tls_name_check::recorded;
  for (const auto& [name, expected] :
       {std::pair<std::string, long>{"localhost", X509_V_OK},
        std::pair<std::string, long>{"other.example", X509_V_ERR_HOSTNAME_MISMATCH}}) {
    o.server_name = name;
    long verdict = -1;
    bool has_certificate = false;
    const http_client_response r = run(o, [&](http_client& c) -> task {
      http_client_response up = co_await c.connect();
      if (!up.ok()) co_return up;
      SSL* s = c.tls_session();
      if (s) {
        verdict = SSL_get_verify_result(s);
        X509* peer = SSL_get1_peer_certificate(s);
        has_certificate = peer != nullptr;
        X509_free(peer);
      }
      co_return co_await get(c);
    });
    ASSERT_TRUE(r.ok()) << name << ": " << to_string(r.failed) << ": " << r.error.message();
    EXPECT_EQ(r.body, "secret");
    EXPECT_EQ(verdict, expected) << name;
    EXPECT_TRUE(has_certificate);
  }
}

TEST(HttpClientOptions, HttpsWithoutATlsContextIsRefusedAtConstruction) {
  asio::io_context io;
  http_client_options o;
  o.endpoint = parse_url("https://127.0.0.1:1/");
  EXPECT_THROW(http_client(io.get_executor(), o), std::invalid_argument);
}

TEST(HttpPhase, Names) {
  EXPECT_STREQ(to_string(http_phase::resolve), "resolve");
  EXPECT_STREQ(to_string(http_phase::connect), "connect");
  EXPECT_STREQ(to_string(http_phase::tls_handshake), "tls handshake");
  EXPECT_STREQ(to_string(http_phase::write), "write");
  EXPECT_STREQ(to_string(http_phase::read), "read");
}

}  // namespace
}  // namespace bts::rpc
