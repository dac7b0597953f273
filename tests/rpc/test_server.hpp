// A small JSON-RPC service for the tests, on top of rpc::server. "call" methods (any api):
//   echo [args...]        -> the args array
//   hang                  -> never answers
//   reverse N             -> held until N "reverse" calls arrived on the session, then all are
//                            answered, the last first
//   subscribe [cb]        -> three notices to cb ("tick", k), one to cb+1000000, then null
//   fail                  -> error 3030001 with fc-like data
//   throw                 -> the handler throws std::runtime_error("boom")
//   login                 -> true (counted)
//   get_chain_id          -> a fixed hex string
// Anything else: error -32601 like fc's method_not_found.
#pragma once

#include "rpc/server.hpp"
#include "rpc_test_support.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <memory>
#include <vector>

namespace bts::rpc::test {

inline constexpr const char* test_chain_id =
    "4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8";

struct test_service {
  std::atomic<int> logins{0};
  std::atomic<int> hanging{0};

  // Per-session state of the "reverse" method.
  struct reverse_state {
    std::vector<std::shared_ptr<asio::steady_timer>> waiting;
  };

  rpc_handler handler() {
    return [this](std::shared_ptr<session> s, rpc_request r) -> asio::awaitable<call_result> {
      if (r.method != "call") {
        co_return rpc_error::server(error_codes::method_not_found, "Method not found",
                                    json::string(r.method));
      }
      auto parsed = parse_call_params(r.params);
      if (parsed.index() == 1) co_return std::get<1>(parsed);
      call_params& c = std::get<0>(parsed);
      if (c.method == "echo") co_return json::value(c.args);
      if (c.method == "get_chain_id") co_return json::value(test_chain_id);
      if (c.method == "login") {
        ++logins;
        co_return json::value(true);
      }
      if (c.method == "hang") {
        ++hanging;
        asio::steady_timer forever(s->get_executor(), asio::steady_timer::time_point::max());
        co_await forever.async_wait(asio::as_tuple(asio::use_awaitable));
        co_return json::value("woke");
      }
      if (c.method == "reverse") {
        const std::size_t n = static_cast<std::size_t>(as_uint64(c.args.at(0)));
        if (!s->state().has_value()) s->state() = std::make_shared<reverse_state>();
        auto st = std::any_cast<std::shared_ptr<reverse_state>>(s->state());
        if (st->waiting.size() + 1 < n) {
          auto t = std::make_shared<asio::steady_timer>(s->get_executor(),
                                                        asio::steady_timer::time_point::max());
          st->waiting.push_back(t);
          co_await t->async_wait(asio::as_tuple(asio::use_awaitable));
          co_return json::value(c.args);
        }
        auto waiting = std::move(st->waiting);
        st->waiting.clear();
        for (auto it = waiting.rbegin(); it != waiting.rend(); ++it) (*it)->cancel();
        co_return json::value(c.args);  // answered first: the others resume after this
      }
      if (c.method == "subscribe") {
        const std::uint64_t cb = as_uint64(c.args.at(0));
        for (int k = 0; k < 3; ++k) s->notify(cb, json::array{"tick", k});
        s->notify(cb + 1000000, json::array{"nobody"});
        co_return json::value(nullptr);
      }
      if (c.method == "fail") {
        co_return rpc_error::server(
            3030001,
            "Execution error: duplicate_transaction: Transaction is already in the database",
            json::object{
                {"code", 3030001}, {"name", "duplicate_transaction"}, {"stack", json::array()}});
      }
      if (c.method == "throw") throw std::runtime_error("boom");
      co_return rpc_error::server(error_codes::method_not_found, "Method not found",
                                  json::string(c.method));
    };
  }

  server_options options(std::uint16_t port = 0) {
    server_options o;
    o.port = port;
    o.handler = handler();
    return o;
  }
};

inline std::string ws_url(std::uint16_t port) { return "ws://127.0.0.1:" + std::to_string(port); }
inline std::string http_url(std::uint16_t port) {
  return "http://127.0.0.1:" + std::to_string(port);
}

}  // namespace bts::rpc::test
