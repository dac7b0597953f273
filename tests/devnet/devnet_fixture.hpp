// A devnet in this process on ephemeral loopback ports, its wall clock under the test's control,
// and bts-infra's own rpc client talking to it. Blocks are produced on demand (produce_block),
// so tests never wait for a block interval.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "chain/genesis.hpp"
#include "crypto/keys.hpp"
#include "devnet/devnet.hpp"
#include "protocol/json.hpp"
#include "protocol/transaction.hpp"
#include "rpc/blocking_client.hpp"
#include "util/hex.hpp"
#include "util/time.hpp"

namespace bts::devnet::testing {

namespace json = boost::json;
using protocol::account_id_type;
using protocol::asset_id_type;

inline const account_id_type nathan{17};
inline constexpr std::int64_t transfer_fee = 2000000;
inline constexpr auto call_timeout = std::chrono::milliseconds(5000);

struct devnet_fixture {
  explicit devnet_fixture(devnet_options options = {}, bool real_time = false,
                          bool claim_genesis_balance = true)
      : work(boost::asio::make_work_guard(io)),
        dev_key(crypto::private_key::from_wif(chain::dev_private_key_wif)) {
    options.port = 0;
    if (!real_time) {
      now_sec = static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count());
      options.clock = [this] {
        return std::chrono::system_clock::time_point(std::chrono::seconds(now_sec.load()));
      };
    }
    node = std::make_unique<devnet>(io.get_executor(), options);
    if (real_time) node->start();
    for (int i = 0; i < 2; ++i) threads.emplace_back([this] { io.run(); });
    // The genesis allocation waits in balance object 1.15.0, as on witness_node: nathan claims
    // it first (block 1 carries the claim).
    if (claim_genesis_balance) {
      protocol::balance_claim_operation claim;
      claim.deposit_to_account = nathan;
      claim.balance_to_claim.instance = 0;
      claim.balance_owner_key = dev_key.get_public_key();
      claim.total_claimed = {1000000000000000, asset_id_type{0}};
      call("network_broadcast", "broadcast_transaction", {to_json(sign(make_tx({claim})))});
    }
    if (!real_time) {
      produce_block();  // block 1: TaPoS and expiration checks apply from here on
      // Every endpoint but a stalled one holds block 1 (and so the claim) before a test starts.
      for (std::size_t i = 1; i < node->endpoints().size(); ++i) {
        if (options.stalled_nodes.contains(i)) continue;
        EXPECT_TRUE(eventually(
            [&] { return node->net().read(i, [](const auto& db) { return db.head_block_num(); }) >= 1; }));
      }
    }
  }
  ~devnet_fixture() {
    clients.clear();
    node->stop();
    work.reset();
    io.stop();
    for (auto& t : threads) t.join();
  }

  std::string url(std::size_t i = 0) const { return node->endpoints().at(i); }
  std::string http_url(std::size_t i = 0) const {
    return "http://127.0.0.1:" + std::to_string(node->ports().at(i));
  }

  // A connected client to endpoint i (kept until the fixture ends).
  rpc::blocking_client& client(std::size_t i = 0) {
    while (clients.size() <= i) {
      clients.push_back(std::make_unique<rpc::blocking_client>(url(clients.size())));
      EXPECT_TRUE(clients.back()->wait_connected(std::chrono::milliseconds(5000)));
    }
    return *clients[i];
  }
  json::value call(const rpc::api_ref& api, std::string_view method, json::array params = {},
                   std::size_t i = 0) {
    return client(i).call(api, method, std::move(params), call_timeout).value();
  }
  rpc::call_result try_call(const rpc::api_ref& api, std::string_view method,
                            json::array params = {}, std::size_t i = 0) {
    return client(i).call(api, method, std::move(params), call_timeout);
  }

  // Moves the clock to the next slot of endpoint 0 and produces its block.
  std::uint32_t produce_block() {
    now_sec =
        node->net().read(0, [](const auto& db) { return db.get_slot_time(1).sec_since_epoch; });
    const auto num = node->net().produce_due();
    EXPECT_TRUE(num.has_value());
    return num.value_or(0);
  }

  // Polls `condition` (every 5 ms, at most `limit`).
  static bool eventually(const std::function<bool()>& condition,
                         std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (condition()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return condition();
  }

  // A transaction referencing endpoint i's head block, as a client builds it from the API.
  protocol::signed_transaction make_tx(std::vector<protocol::operation> ops,
                                       std::uint32_t expire_in = 60, std::size_t i = 0) {
    const auto dgp = call("database", "get_dynamic_global_properties", {}, i);
    protocol::signed_transaction tx;
    protocol::block_id_type head{};
    from_hex_exact(dgp.at("head_block_id").as_string(), head);
    tx.set_reference_block(head);
    tx.expiration =
        protocol::time_point_sec{parse_time_point_sec(dgp.at("time").as_string()) + expire_in};
    tx.operations = std::move(ops);
    return tx;
  }
  protocol::signed_transaction sign(protocol::signed_transaction tx) const {
    tx.sign(dev_key, node->chain_id());
    return tx;
  }
  static json::value to_json(const protocol::signed_transaction& tx) {
    return protocol::transaction_to_json(tx);
  }

  static protocol::transfer_operation transfer(account_id_type from, account_id_type to,
                                               std::int64_t amount,
                                               std::int64_t fee = transfer_fee) {
    protocol::transfer_operation op;
    op.fee = {fee, asset_id_type{0}};
    op.from = from;
    op.to = to;
    op.amount = {amount, asset_id_type{0}};
    return op;
  }

  std::int64_t balance(account_id_type a, std::size_t i = 0) {
    const auto r =
        call("database", "get_account_balances",
             {json::string("1.2." + std::to_string(a.instance)), json::array{"1.3.0"}}, i);
    return rpc::as_int64(r.at(0).at("amount"));
  }

  // A plain HTTP GET on endpoint i (e.g. /metrics): {status, body}.
  std::pair<unsigned, std::string> http_get(const std::string& target, std::size_t i = 0) const {
    namespace beast = boost::beast;
    boost::asio::io_context ctx;
    boost::asio::ip::tcp::resolver resolver(ctx);
    beast::tcp_stream stream(ctx);
    stream.connect(resolver.resolve("127.0.0.1", std::to_string(node->ports().at(i))));
    beast::http::request<beast::http::empty_body> req{beast::http::verb::get, target, 11};
    req.set(beast::http::field::host, "127.0.0.1");
    beast::http::write(stream, req);
    beast::flat_buffer buffer;
    beast::http::response<beast::http::string_body> res;
    beast::http::read(stream, buffer, res);
    return {res.result_int(), res.body()};
  }

  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work;
  std::atomic<std::int64_t> now_sec{0};
  std::unique_ptr<devnet> node;
  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<rpc::blocking_client>> clients;
  crypto::private_key dev_key;
};

}  // namespace bts::devnet::testing
