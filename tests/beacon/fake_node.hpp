// A small in-process node for beacon tests, built on rpc::server: enough of bitshares-core's API
// for a beacon (login/network_broadcast ids, chain id, global properties, head, accounts, asset,
// set_block_applied_callback, get_block, broadcast_transaction) and a block every
// `block_interval` containing every transaction accepted since the last one, in bitshares-core's
// get_block form (chain::signed_block JSON, operation_results included).
//
// With operation_results = false the blocks carry none, as witness_node's do, and the open
// orders are listed by get_full_accounts.
//
// Broadcasts are decoded with bts_protocol (so malformed JSON is rejected as a node would) and
// rejected with fc code 10 when expired; `reject_every` rejects every Nth with code 4010007 to
// exercise the rejection path. No balances, no signature checks: the devnet does those.
//
// Threads: owns an io_context and one thread; members may be called from the test thread.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "chain/block.hpp"
#include "crypto/keys.hpp"
#include "protocol/transaction.hpp"
#include "rpc/server.hpp"
#include "util/hex.hpp"
#include "util/time.hpp"

namespace bts::test {

class fake_node {
 public:
  struct account_def {
    std::string name;
    std::uint64_t id;
    crypto::public_key key;
  };

  explicit fake_node(std::vector<account_def> accounts,
                     std::chrono::milliseconds block_interval = std::chrono::milliseconds(200),
                     std::uint16_t port = 0)
      : accounts_(std::move(accounts)), interval_(block_interval) {
    head_time_ = static_cast<std::uint32_t>(std::time(nullptr));
    start_server(port);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~fake_node() {
    stop_server();
    work_.reset();
    io_.stop();
    thread_.join();
  }

  std::uint16_t port() const { return port_; }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_); }

  // Kills every connection and the listening socket (a crashed node), then listens again on the
  // same port (a restarted one) when restart() is called.
  void stop_server() {
    std::unique_ptr<rpc::server> s;
    {
      std::lock_guard lock(mu_);
      s = std::move(server_);
      subscribers_.clear();
    }
    // Not under mu_: stop() waits for the io thread, whose handlers take mu_.
    if (s) s->stop();
    boost::asio::post(io_, [this] { block_timer_.cancel(); });
  }
  void restart() { start_server(port_); }

  std::atomic<std::uint64_t> accepted{0}, rejected{0}, included{0};
  std::atomic<std::uint64_t> reject_every{0};
  // false: blocks carry `"operation_results": []`, as witness_node's get_block does; the ids of
  // new orders are then only in get_full_accounts' limit_orders.
  std::atomic<bool> operation_results{true};
  // limit_order_cancels of an open order (included in a block).
  std::atomic<std::uint64_t> cancels{0};
  // Acceptance degrades above this many tx/s (0: no limit): a token bucket refilled at this rate
  // holding a tenth of a second of it; a broadcast finding it empty is rejected (fc code
  // 3090000, "node overloaded"), as a node out of capacity would be.
  std::atomic<double> capacity{0};
  // Core units each account holds (get_account_balances), for the beacon's fee budget.
  std::atomic<std::int64_t> balance{1'000'000'000'000'000};

  // chain::packed_size of the block produced at `num`, if there was one.
  std::optional<std::size_t> block_size(std::uint32_t num) {
    std::lock_guard lock(mu_);
    const auto it = block_sizes_.find(num);
    if (it == block_sizes_.end()) return std::nullopt;
    return it->second;
  }

 private:
  using json_value = boost::json::value;

  void start_server(std::uint16_t port) {
    rpc::server_options so;
    so.port = port;
    so.handler = [this](std::shared_ptr<rpc::session> s,
                        rpc::rpc_request r) -> boost::asio::awaitable<rpc::call_result> {
      co_return handle(std::move(s), std::move(r));
    };
    auto server = std::make_unique<rpc::server>(io_.get_executor(), so);
    std::lock_guard lock(mu_);
    port_ = server->port();
    server_ = std::move(server);
    boost::asio::post(io_, [this] { schedule_block(); });
  }

  void schedule_block() {
    block_timer_.expires_after(interval_);
    block_timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      produce();
      schedule_block();
    });
  }

  void produce() {
    std::vector<std::pair<std::weak_ptr<rpc::session>, std::uint64_t>> subs;
    std::string id_hex;
    {
      std::lock_guard lock(mu_);
      ++head_;
      head_time_ =
          std::max<std::uint32_t>(head_time_, static_cast<std::uint32_t>(std::time(nullptr)));
      protocol::block_id_type id{};
      id[0] = static_cast<std::uint8_t>(head_ >> 24);
      id[1] = static_cast<std::uint8_t>(head_ >> 16);
      id[2] = static_cast<std::uint8_t>(head_ >> 8);
      id[3] = static_cast<std::uint8_t>(head_);
      id[4] = 0x5a;
      head_id_ = id;
      // A block as bitshares-core's get_block returns it: processed transactions with
      // operation_results (a new limit order id for each limit_order_create, else void).
      chain::signed_block block;
      block.previous = previous_id_;
      block.timestamp = protocol::time_point_sec{head_time_};
      block.witness.instance = 1 + head_ % 3;
      for (const auto& t : pending_) {
        chain::processed_transaction ptx;
        static_cast<protocol::signed_transaction&>(ptx) = protocol::transaction_from_json(t);
        for (const auto& op : ptx.operations) {
          if (const auto* c = op.get_if<protocol::limit_order_create_operation>()) {
            open_orders_[next_order_] = c->seller.instance;
            ptx.operation_results.emplace_back(chain::object_id_type::make(1, 7, next_order_++));
          } else {
            if (const auto* x = op.get_if<protocol::limit_order_cancel_operation>())
              cancels += open_orders_.erase(x->order.instance);
            ptx.operation_results.emplace_back(chain::void_result{});
          }
        }
        if (!operation_results) ptx.operation_results.clear();
        block.transactions.push_back(std::move(ptx));
      }
      block.transaction_merkle_root = block.calculate_merkle_root();
      pending_ = boost::json::array();
      included += block.transactions.size();
      block_sizes_[head_] = chain::packed_size(block);
      previous_id_ = id;
      blocks_[head_] = protocol::to_json(block).as_object();
      id_hex = to_hex(id);
      subs = subscribers_;
    }
    for (auto& [w, cb] : subs) {
      if (auto s = w.lock()) s->notify(cb, boost::json::array{boost::json::value(id_hex)});
    }
  }

  rpc::call_result handle(std::shared_ptr<rpc::session> s, rpc::rpc_request r) {
    auto parsed = rpc::parse_call_params(r.params);
    if (auto* e = std::get_if<rpc::rpc_error>(&parsed)) return *e;
    auto& c = std::get<rpc::call_params>(parsed);
    const std::string& m = c.method;
    std::lock_guard lock(mu_);
    if (m == "login") return json_value(true);
    if (m == "network_broadcast") return json_value(2);
    if (m == "database") return json_value(0);
    if (m == "get_chain_id") return json_value(std::string(64, 'c'));
    if (m == "get_global_properties") {
      return boost::json::parse(R"({"id":"2.0.0","parameters":{"current_fees":{"parameters":[
        [0,{"fee":2000000,"price_per_kbyte":1000000}],[1,{"fee":500000}],[2,{"fee":0}]],"scale":10000},
        "block_interval":1,"maximum_transaction_size":2048,"maximum_block_size":65536,"maximum_time_until_expiration":86400}})");
    }
    if (m == "get_dynamic_global_properties") {
      return boost::json::value{{"id", "2.1.0"},
                                {"head_block_number", head_},
                                {"head_block_id", to_hex(head_id_)},
                                {"time", format_time_point_sec(head_time_)},
                                {"last_irreversible_block_num", head_}};
    }
    if (m == "get_config") return boost::json::value{{"GRAPHENE_ADDRESS_PREFIX", "BTS"}};
    if (m == "lookup_account_names") {
      boost::json::array out;
      for (const auto& n : c.args.at(0).as_array()) {
        json_value found = nullptr;
        for (const auto& a : accounts_) {
          if (a.name == n.as_string()) {
            found = boost::json::value{{"id", "1.2." + std::to_string(a.id)},
                                       {"name", a.name},
                                       {"options", {{"memo_key", crypto::to_string(a.key)}}}};
          }
        }
        out.push_back(found);
      }
      return json_value(out);
    }
    if (m == "get_account_balances") {  // the core asset: `balance` units in every account
      return json_value(boost::json::array{
          boost::json::value{{"amount", balance.load()}, {"asset_id", "1.3.0"}}});
    }
    if (m == "lookup_asset_symbols")
      return json_value(boost::json::array{boost::json::value{{"id", "1.3.1"}}});
    if (m == "set_block_applied_callback") {
      subscribers_.emplace_back(s, rpc::as_uint64(c.args.at(0)));
      return json_value(nullptr);
    }
    if (m == "get_full_accounts") {  // [[id, {"limit_orders": [...]}]], orders only
      boost::json::array out;
      for (const auto& n : c.args.at(0).as_array()) {
        const std::string id(n.as_string());
        boost::json::array orders;
        for (const auto& [order, seller] : open_orders_) {
          if ("1.2." + std::to_string(seller) == id) {
            orders.push_back(boost::json::value{{"id", "1.7." + std::to_string(order)},
                                                {"seller", id}});
          }
        }
        out.push_back(boost::json::array{boost::json::value(id),
                                         boost::json::value{{"limit_orders", std::move(orders)}}});
      }
      return json_value(out);
    }
    if (m == "get_block") {
      const auto it = blocks_.find(static_cast<std::uint32_t>(rpc::as_uint64(c.args.at(0))));
      if (it == blocks_.end()) return json_value(nullptr);
      return json_value(it->second);
    }
    if (m == "broadcast_transaction") {
      protocol::signed_transaction tx;
      try {
        tx = protocol::transaction_from_json(c.args.at(0));
      } catch (const std::exception& e) {
        ++rejected;
        return rpc::rpc_error::server(10, std::string("Execution error: ") + e.what());
      }
      if (tx.expiration.sec_since_epoch < head_time_) {
        ++rejected;
        return rpc::rpc_error::server(10, "Assert Exception: now <= trx.expiration");
      }
      if (const double cap = capacity.load(); cap > 0) {
        const auto now = std::chrono::steady_clock::now();
        if (bucket_at_ == std::chrono::steady_clock::time_point{})
          bucket_ = cap / 10;
        else
          bucket_ = std::min(
              cap / 10, bucket_ + cap * std::chrono::duration<double>(now - bucket_at_).count());
        bucket_at_ = now;
        if (bucket_ < 1) {
          ++rejected;
          return rpc::rpc_error::server(3090000, "node overloaded (test capacity)");
        }
        bucket_ -= 1;
      }
      const auto n = accepted + rejected + 1;
      if (reject_every != 0 && n % reject_every == 0) {
        ++rejected;
        // As witness_node answers (tests/testdata/witness_node_errors.json, "insufficient fee").
        return rpc::rpc_error::server(
            4010007, "Execution error: insufficient fee: Insufficient Fee Paid",
            boost::json::parse(R"({"code":4010007,"name":"insufficient_fee",)"
                               R"("message":"insufficient fee","stack":[{"context":{},)"
                               R"("format":"Insufficient Fee Paid","data":{}}]})"));
      }
      ++accepted;
      pending_.push_back(c.args.at(0));
      return json_value(nullptr);
    }
    return rpc::rpc_error::server(rpc::error_codes::method_not_found, "method not found: " + m);
  }

  std::vector<account_def> accounts_;
  std::chrono::milliseconds interval_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      io_.get_executor()};
  boost::asio::steady_timer block_timer_{io_};
  std::recursive_mutex mu_;
  std::unique_ptr<rpc::server> server_;
  std::uint16_t port_ = 0;
  std::uint32_t head_ = 100;
  protocol::block_id_type head_id_{0, 0, 0, 100, 0x5a};
  std::uint32_t head_time_ = 0;
  boost::json::array pending_;
  std::map<std::uint32_t, boost::json::object> blocks_;
  std::map<std::uint32_t, std::size_t> block_sizes_;
  protocol::block_id_type previous_id_{0, 0, 0, 100, 0x5a};
  std::uint64_t next_order_ = 1;
  std::map<std::uint64_t, std::uint64_t> open_orders_;  // order instance -> seller instance
  std::vector<std::pair<std::weak_ptr<rpc::session>, std::uint64_t>> subscribers_;
  double bucket_ = 0;
  std::chrono::steady_clock::time_point bucket_at_{};
  std::thread thread_;
};

}  // namespace bts::test
