#include "beacon/broadcaster.hpp"

#include "beacon/node_calls.hpp"
#include "stats/rejection.hpp"

namespace bts::beacon {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

ack_outcome outcome_of(const rpc::call_result& r) {
  if (r.ok()) return {ack_outcome::kind::accepted, {}};
  const rpc::rpc_error& e = r.error();
  switch (e.kind) {
    case rpc::error_kind::server:
      return {ack_outcome::kind::rejected, stats::rejection_key(e.code, e.message, e.data)};
    case rpc::error_kind::timeout:
      return {ack_outcome::kind::unanswered, "timeout"};
    case rpc::error_kind::disconnected:
      return {ack_outcome::kind::unanswered, "disconnected"};
    case rpc::error_kind::protocol:
      return {ack_outcome::kind::unanswered, "protocol"};
  }
  return {ack_outcome::kind::unanswered, "unknown"};
}

}  // namespace

broadcaster::broadcaster(asio::any_io_executor executor,
                         const std::vector<scenarios::node_endpoint>& nodes,
                         broadcaster_options options, notice_fn on_inclusion_notice)
    : executor_(std::move(executor)),
      nodes_(nodes),
      options_(options),
      on_notice_(std::move(on_inclusion_notice)) {}

void broadcaster::open(std::function<void()> on_connected) {
  sent_per_node_.assign(nodes_.size(), 0);
  for (std::size_t k = 0; k < nodes_.size(); ++k) {
    const scenarios::node_endpoint& n = nodes_[k];
    for (int i = 0; i < n.connections; ++i) {
      auto c = std::make_unique<connection>();
      c->url = n.url;
      c->node = static_cast<std::uint32_t>(k);
      rpc::client_options co;
      co.url = n.url;
      co.call_timeout = options_.call_timeout;
      co.connect_timeout = options_.connect_timeout;
      c->client.emplace(executor_, co);
      auto api = c->broadcast_api;
      c->client->on_connect(
          [api, ex = executor_, on_connected](rpc::client& cl) -> asio::awaitable<void> {
            (co_await cl.call(1, "login", login_params())).value();
            const auto id = co_await cl.call(1, "network_broadcast", json::array{});
            api->store(rpc::as_uint64(id.value()));
            post_after_hook(ex, on_connected);
          });
      if (options_.with_callback) {
        c->callback_id = c->client->reserve_id();
        c->client->subscribe(c->callback_id, [this](json::array args) { on_notice_(args); });
      }
      c->client->start();
      weights_.push_back(n.weight / n.connections);
      connections_.push_back(std::move(c));
    }
  }
}

bool broadcaster::connected() const {
  for (const auto& c : connections_) {
    if (!c->client->connected()) return false;
  }
  return true;
}

void broadcaster::close() {
  for (auto& c : connections_) c->client->close();
}

broadcaster::connection& broadcaster::pick() {
  if (options_.spread == scenarios::spread_kind::weighted && connections_.size() > 1) {
    if (!weighted_) weighted_.emplace(weights_.begin(), weights_.end());
    return *connections_[(*weighted_)(spread_rng_)];
  }
  connection& c = *connections_[next_connection_];
  next_connection_ = (next_connection_ + 1) % connections_.size();
  return c;
}

void broadcaster::send(prepared_tx& tx, std::function<void(ack_outcome)> done) {
  connection& c = pick();
  // The params array around the pre-signed text: the send path never serializes protocol
  // structs or builds JSON values. One buffer, reused (the client copies it into the request).
  params_text_.assign("[");
  std::string_view method = "broadcast_transaction";
  if (options_.with_callback) {
    method = "broadcast_transaction_with_callback";
    params_text_.append(std::to_string(c.callback_id)).push_back(',');
  }
  params_text_.append(tx.json).push_back(']');
  ++sent_per_node_[c.node];
  c.client->async_call_raw(c.broadcast_api->load(), method, params_text_,
                           [done = std::move(done), node = c.node](rpc::call_result r) {
                             ack_outcome o = outcome_of(r);
                             o.node = node;
                             done(std::move(o));
                           });
}

broadcaster::totals broadcaster::counters() const {
  totals t;
  for (const auto& c : connections_) {
    t.disconnects += c->client->counters().disconnects.load();
    t.reconnects += c->client->counters().reconnects.load();
  }
  return t;
}

json::array broadcaster::connections_json() const {
  json::array conns;
  for (const auto& c : connections_) {
    const auto s = c->client->counters().snapshot();
    conns.push_back({{"url", c->url},
                     {"connect_attempts", s.connect_attempts},
                     {"connect_failures", s.connect_failures},
                     {"disconnects", s.disconnects},
                     {"reconnects", s.reconnects},
                     {"calls", s.calls},
                     {"timeouts", s.timeouts},
                     {"disconnected_calls", s.disconnected}});
  }
  return conns;
}

}  // namespace bts::beacon
