// The wire side of the send loop (tx_sender): websocket connections to the scenario's nodes
// (each node's `connections`), pipelined broadcast_transaction[_with_callback] calls, the
// spread over the connections (round robin, or weighted by node weight), and the connections'
// disconnect and reconnect counts. Disconnects are reconnected by the rpc client and counted;
// a send on a connection that is down waits for it (held) or times out, never stopping the run.
//
//   broadcaster b(io.get_executor(), sc.nodes, {...}, on_inclusion_notice);
//   b.open(on_connected);                  // every connection, logged in to network_broadcast
//   send_loop loop(clock, seq, rec, source, b, limits);
//   ...  b.close();
//
// The send path builds no JSON values: the params text around the pre-signed transaction is
// one reused buffer.
//
// Ownership: the executor's io_context must outlive the broadcaster or be stopped first.
// Threads: the constructor, open() and close() from any thread; send() and the completions on
// the executor's (single) thread; connected() and the counters from any thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/array.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "beacon/send_loop.hpp"
#include "rpc/client.hpp"
#include "scenario/scenario.hpp"

namespace bts::beacon {

struct broadcaster_options {
  std::chrono::milliseconds call_timeout{10'000};
  std::chrono::milliseconds connect_timeout{10'000};
  bool with_callback = false;  // broadcast_transaction_with_callback
  scenarios::spread_kind spread = scenarios::spread_kind::round_robin;
};

class broadcaster final : public tx_sender {
 public:
  // with_callback: the nodes' inclusion notices go to `on_inclusion_notice` (executor's thread).
  using notice_fn = std::function<void(const boost::json::array& args)>;

  broadcaster(boost::asio::any_io_executor executor,
              const std::vector<scenarios::node_endpoint>& nodes, broadcaster_options options,
              notice_fn on_inclusion_notice = {});
  broadcaster(const broadcaster&) = delete;
  broadcaster& operator=(const broadcaster&) = delete;

  // Starts every connection. `on_connected` (optional) runs on the executor's thread after each
  // connection's every (re)connect, once it counts as connected.
  void open(std::function<void()> on_connected = {});
  // Every connection is up.
  bool connected() const;
  void close();

  // tx_sender. REQUIRES: open() was called.
  void send(prepared_tx& tx, std::function<void(ack_outcome)> done) override;

  struct totals {
    std::uint64_t disconnects = 0, reconnects = 0;
  };
  // Over all connections so far.
  totals counters() const;
  // info["connections"]: each connection's url and rpc counters.
  boost::json::array connections_json() const;
  // Broadcasts sent to each node, by its index in the scenario's nodes (ack_outcome::node).
  // Read on the executor's thread, or once it stopped.
  const std::vector<std::uint64_t>& sent_per_node() const { return sent_per_node_; }

 private:
  struct connection {
    std::string url;
    std::uint32_t node = 0;  // index in the scenario's nodes
    std::shared_ptr<std::atomic<std::uint64_t>> broadcast_api =
        std::make_shared<std::atomic<std::uint64_t>>(0);
    std::uint64_t callback_id = 0;  // broadcast_transaction_with_callback
    std::optional<rpc::client> client;
  };

  connection& pick();

  boost::asio::any_io_executor executor_;
  const std::vector<scenarios::node_endpoint>& nodes_;
  broadcaster_options options_;
  notice_fn on_notice_;
  std::vector<std::unique_ptr<connection>> connections_;
  std::vector<double> weights_;
  std::optional<std::discrete_distribution<std::size_t>> weighted_;
  std::mt19937_64 spread_rng_{42};
  std::size_t next_connection_ = 0;
  std::string params_text_;  // send(): the broadcast params, reused
  std::vector<std::uint64_t> sent_per_node_;
};

}  // namespace bts::beacon
