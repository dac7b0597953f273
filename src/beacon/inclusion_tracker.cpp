#include "beacon/inclusion_tracker.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <cstring>

#include "beacon/node_calls.hpp"
#include "protocol/types.hpp"
#include "util/hex.hpp"

namespace bts::beacon {

namespace asio = boost::asio;
namespace json = boost::json;

std::size_t inclusion_tracker::id_hash::operator()(const protocol::transaction_id_type& id) const {
  std::size_t h;
  std::memcpy(&h, id.data(), sizeof h);
  return h;
}

inclusion_tracker::inclusion_tracker(asio::any_io_executor send, asio::any_io_executor watch,
                                     load::clock& clock, run_recorder& rec, open_orders& orders,
                                     std::shared_ptr<const std::vector<account>> accounts,
                                     inclusion_tracker_options options, hooks h)
    : send_(std::move(send)),
      watch_(std::move(watch)),
      clock_(clock),
      rec_(rec),
      orders_(orders),
      accounts_(std::move(accounts)),
      options_(std::move(options)),
      hooks_(std::move(h)),
      last_block_(options_.head_block_number) {}

void inclusion_tracker::open(std::function<void()> on_connected) {
  rpc::client_options wo;
  wo.url = options_.url;
  wo.call_timeout = options_.call_timeout;
  wo.connect_timeout = options_.connect_timeout;
  watcher_.emplace(watch_, wo);
  watch_blocks(
      *watcher_, watch_, [this](const json::array& args) { on_block_notice(args); },
      std::move(on_connected));
  watcher_->start();
}

void inclusion_tracker::close() {
  if (watcher_) watcher_->close();
}

void inclusion_tracker::on_block_notice(const json::array& args) {
  if (args.empty() || !args[0].is_string()) return;
  const std::optional<std::uint32_t> block = block_number_of_notice(args);
  if (!block) {
    ++bad_answers_;
    return;
  }
  const std::uint32_t num = *block;
  // Fetch every block since the last one seen: notices missed during a reconnect leave gaps.
  std::uint32_t from = last_block_ + 1;
  if (num < from) from = num;  // a fork switch or a restarted node: look at it again
  if (num - from > 1000) from = num - 1000;
  for (std::uint32_t n = from; n <= num; ++n) fetch_block(n, 0);
  last_block_ = std::max(last_block_, num);
}

void inclusion_tracker::fetch_block(std::uint32_t num, int attempt) {
  watcher_->async_call("database", "get_block", {num}, [this, num, attempt](rpc::call_result r) {
    if (r.ok() && r.value().is_object()) {
      const auto at = clock_.now();  // when the block became known: the inclusion time
      // Decoding and sizing happen here, off the send thread.
      asio::post(send_, [this, at, b = read_block(r.value().as_object(), num)]() mutable {
        on_block_read(std::move(b), at);
      });
    } else if (attempt < 3) {
      fetch_block(num, attempt + 1);
    } else {
      ++blocks_missed_;
    }
  });
}

void inclusion_tracker::on_block_read(block_contents b, time_point at) {
  ++blocks_seen_;
  std::int64_t ours = 0;
  for (const block_transaction& t : b.transactions) {
    if (!t.id_known) {
      ++foreign_undecodable_;  // someone else's operation we do not support
      continue;
    }
    if (const sent_record* r = rec_.on_included(t.id, at)) {
      ++ours;
      matched(*r, at);
      if (!r->order_creates.empty()) {
        if (t.orders_created.empty()) {
          ask_open_orders(*r);  // witness_node's get_block carries no operation_results
        } else {
          learn_orders(*r, t.orders_created);
        }
      }
    } else if (included_by_notice_.erase(t.id) != 0) {
      ++ours;  // broadcast_transaction_with_callback told us first
    }
  }
  if (!recorded_blocks_.insert(b.record.block_num).second) return;  // fetched again
  if (b.size_estimated) ++blocks_size_estimated_;
  b.record.run_transactions = ours;
  b.record.max_block_size = options_.maximum_block_size;
  blocks_.push_back(b.record);
  if (hooks_.block) hooks_.block(std::move(b.record));
}

void inclusion_tracker::matched(const sent_record& r, time_point at) {
  if (hooks_.included) hooks_.included(r, at);
}

namespace {

// [1, "1.7.N"] per operation result: the new orders' ids, by operation index.
std::vector<std::pair<std::uint32_t, protocol::limit_order_id_type>> orders_in(
    const json::array& results) {
  std::vector<std::pair<std::uint32_t, protocol::limit_order_id_type>> created;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& res = results[i];
    if (!res.is_array() || res.as_array().size() != 2 || !res.as_array()[1].is_string()) continue;
    try {
      protocol::limit_order_id_type oid;
      oid.instance = protocol::parse_object_id(res.as_array()[1].as_string(), 1, 7);
      created.emplace_back(static_cast<std::uint32_t>(i), oid);
    } catch (const std::exception&) {
    }
  }
  return created;
}

}  // namespace

void inclusion_tracker::on_inclusion_notice(const json::array& args) {
  if (args.empty() || !args[0].is_object()) return;
  const auto* id = args[0].as_object().if_contains("id");
  if (id == nullptr || !id->is_string()) return;
  protocol::transaction_id_type tid{};
  try {
    from_hex_exact(id->as_string(), tid);
  } catch (const std::exception&) {
    return;
  }
  const auto at = clock_.now();
  const sent_record* r = rec_.on_included(tid, at);
  if (r == nullptr) return;
  matched(*r, at);
  // Counted as this run's when its block is read; bounded should a block never come.
  if (included_by_notice_.size() > 1'000'000) included_by_notice_.clear();
  included_by_notice_.insert(tid);
  if (r->order_creates.empty()) return;
  const auto* trx = args[0].as_object().if_contains("trx");
  const auto* results = trx != nullptr && trx->is_object()
                            ? trx->as_object().if_contains("operation_results")
                            : nullptr;
  if (results == nullptr || !results->is_array() || results->as_array().empty()) {
    ask_open_orders(*r);  // witness_node sends no operation_results
    return;
  }
  learn_orders(*r, orders_in(results->as_array()));
}

// The order ids our limit_order_creates got, from the operation results of their transaction.
void inclusion_tracker::learn_orders(const sent_record& r, const created_orders& created) {
  for (const auto& [op_index, account_index] : r.order_creates) {
    for (const auto& [result_index, order] : created) {
      if (result_index == op_index && orders_seen_.insert(order.instance).second)
        orders_.add(account_index, order);
    }
  }
}

// witness_node's get_block (and its inclusion notices) carry empty operation_results, so the
// ids of new orders are read from the sellers' open orders instead, off the send path: every
// open order not seen before becomes cancellable. At most one question per account in flight.
void inclusion_tracker::ask_open_orders(const sent_record& r) {
  for (const auto& [op_index, account_index] : r.order_creates) {
    if (asking_orders_.insert(account_index).second) ask_open_orders_of(account_index);
  }
}

namespace {

// get_full_accounts' answer: [[name, {"limit_orders": [{"id": "1.7.N"}, ...]}]].
std::vector<protocol::limit_order_id_type> open_orders_in(const json::value& answer) {
  std::vector<protocol::limit_order_id_type> open;
  if (!answer.is_array() || answer.as_array().empty()) return open;
  const auto& entry = answer.as_array()[0];
  const json::value* full =
      entry.is_array() && entry.as_array().size() == 2 ? &entry.as_array()[1] : nullptr;
  const json::value* orders =
      full && full->is_object() ? full->as_object().if_contains("limit_orders") : nullptr;
  if (orders == nullptr || !orders->is_array()) return open;
  for (const auto& o : orders->as_array()) {
    const auto* oid = o.is_object() ? o.as_object().if_contains("id") : nullptr;
    if (oid == nullptr || !oid->is_string()) continue;
    try {
      protocol::limit_order_id_type order;
      order.instance = protocol::parse_object_id(oid->as_string(), 1, 7);
      open.push_back(order);
    } catch (const std::exception&) {
    }
  }
  return open;
}

}  // namespace

void inclusion_tracker::ask_open_orders_of(std::uint32_t account_index) {
  const std::string id = "1.2." + std::to_string((*accounts_)[account_index].id.instance);
  watcher_->async_call("database", "get_full_accounts", {json::array{json::value(id)}, false},
                       [this, account_index](rpc::call_result res) {
                         std::vector<protocol::limit_order_id_type> open;
                         if (res.ok()) {
                           open = open_orders_in(res.value());
                         } else {
                           ++bad_answers_;
                         }
                         asio::post(send_, [this, account_index, open = std::move(open)] {
                           add_open_orders(account_index, open);
                         });
                       });
}

void inclusion_tracker::add_open_orders(std::uint32_t account_index,
                                        const std::vector<protocol::limit_order_id_type>& open) {
  asking_orders_.erase(account_index);
  for (const auto& order : open) {
    if (orders_seen_.insert(order.instance).second) orders_.add(account_index, order);
  }
}

void inclusion_tracker::refresh_head(reference_block_cell& head, id_registry& ids) {
  watcher_->async_call("database", "get_dynamic_global_properties", {},
                       [this, &head, &ids](rpc::call_result r) {
                         if (!r.ok()) return;
                         try {
                           const head_info h = parse_dynamic_global_properties(r.value());
                           head.set(h, clock_.now().time_since_epoch().count());
                           ids.expire(h.head_time);
                         } catch (const std::exception&) {
                           ++bad_answers_;
                         }
                       });
}

json::object inclusion_tracker::info_json() const {
  const auto ws = watcher_->counters().snapshot();
  return {{"blocks_seen", blocks_seen_},
          {"blocks_recorded", blocks_.size()},
          {"blocks_size_estimated", blocks_size_estimated_},
          {"blocks_missed", blocks_missed_.load()},
          {"foreign_undecodable_transactions", foreign_undecodable_},
          {"reconnects", ws.reconnects},
          {"bad_answers", bad_answers_.load()}};
}

}  // namespace bts::beacon
