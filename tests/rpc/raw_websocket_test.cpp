// The server seen by a bare Beast websocket client that can send anything, malformed included.
#include "rpc/server.hpp"
#include "rpc_test_support.hpp"
#include "test_server.hpp"

#include <gtest/gtest.h>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <sys/socket.h>
#include <sys/time.h>

namespace bts::rpc::test {
namespace {

namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;

class raw_ws {
 public:
  explicit raw_ws(std::uint16_t port) : ws_(io_) {
    ws_.next_layer().connect({asio::ip::make_address("127.0.0.1"), port});
    timeval tv{10, 0};  // a missing answer fails the read instead of hanging the test
    setsockopt(ws_.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ws_.handshake("127.0.0.1", "/");
    ws_.text(true);
  }
  void send(std::string_view text) { ws_.write(asio::buffer(text)); }
  json::value exchange(std::string_view text) {
    send(text);
    return read();
  }
  json::value read() {
    boost::beast::flat_buffer b;
    ws_.read(b);
    return json::parse(boost::beast::buffers_to_string(b.data()));
  }

 private:
  asio::io_context io_;
  websocket::stream<tcp::socket> ws_;
};

TEST(RawWebsocket, MalformedMessagesGetFcErrorsAndTheConnectionStaysOpen) {
  io_thread server_io;
  test_service service;
  server s(server_io.executor(), service.options());
  raw_ws ws(s.port());

  json::value r = ws.exchange("{not json");
  EXPECT_EQ(r.at("id"), nullptr);
  EXPECT_EQ(r.at("jsonrpc"), "2.0");
  EXPECT_EQ(r.at("error").at("code"), -32700);
  EXPECT_EQ(r.at("error").at("message"), "Invalid JSON message");

  r = ws.exchange("[1,2]");
  EXPECT_EQ(r.at("error").at("code"), -32600);
  EXPECT_EQ(r.at("error").at("message"), "Batch requests not supported");

  r = ws.exchange(R"({"id":5,"method":"call","params":[0,"echo",[1]]})");
  EXPECT_EQ(r, json::parse(R"({"id":5,"result":[1]})"));

  r = ws.exchange(R"({"id":"s","jsonrpc":"2.0","method":"call","params":["database","echo",[]]})");
  EXPECT_EQ(r, json::parse(R"({"id":"s","jsonrpc":"2.0","result":[]})"));

  r = ws.exchange(R"({"id":6,"method":"call","params":[0,"echo"]})");
  EXPECT_EQ(r.at("id"), 6);
  EXPECT_EQ(r.at("error").at("code"), -32602);

  EXPECT_EQ(s.counters().snapshot().invalid_messages, 2u);
  EXPECT_EQ(s.counters().snapshot().requests, 3u);
}

TEST(RawWebsocket, NotificationsGetNoAnswer) {
  io_thread server_io;
  test_service service;
  server s(server_io.executor(), service.options());
  raw_ws ws(s.port());
  ws.send(R"({"method":"call","params":[1,"login",["",""]]})");  // no id: handled, not answered
  const json::value r = ws.exchange(R"({"id":7,"method":"call","params":[0,"echo",[]]})");
  EXPECT_EQ(r.at("id"), 7);
  EXPECT_EQ(service.logins.load(), 1);
}

}  // namespace
}  // namespace bts::rpc::test
