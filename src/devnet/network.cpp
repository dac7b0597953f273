#include "devnet/network.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <cstring>

#include "chain/chain_error.hpp"
#include "chain/genesis.hpp"
#include "protocol/json.hpp"
#include "protocol/wire.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"

namespace bts::devnet {

using chain::object_id_type;

namespace {

std::uint32_t seconds_of(std::chrono::system_clock::time_point t) {
  return static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

// The account an object belongs to, for subscriptions to an account (is_impacted_account).
std::optional<std::uint64_t> owner_of(const chain::database& db, object_id_type id) {
  if (id.space() == 1 && id.type() == 2) return id.instance();
  if (id.space() == 2 && (id.type() == 5 || id.type() == 6)) {
    const auto json = db.object_to_json(id);
    if (!json) return std::nullopt;
    const auto parsed = object_id_type::parse(json->at("owner").as_string());
    if (parsed) return parsed->instance();
  }
  if (id.space() == 1 && id.type() == 7) {
    if (const auto* o = db.find_limit_order(protocol::limit_order_id_type{id.instance()}))
      return o->seller.instance;
  }
  return std::nullopt;
}

}  // namespace

std::shared_ptr<network> network::create(asio::any_io_executor executor, network_options options) {
  auto net = std::shared_ptr<network>(new network(std::move(executor), std::move(options)));
  net->replay_block_log();
  return net;
}

network::network(asio::any_io_executor executor, network_options options)
    : executor_(std::move(executor)), options_(std::move(options)) {
  if (options_.nodes == 0) throw input_error("--nodes", "must be at least 1");
  const chain::genesis_state genesis = chain::parse_genesis(options_.genesis_text);
  chain_id_ = chain::compute_chain_id(options_.genesis_text);
  for (std::size_t i = 0; i < options_.nodes; ++i) {
    auto n = std::make_unique<node>();
    n->db = std::make_unique<chain::database>(genesis, chain_id_, options_.database);
    n->db->on_applied_block = [this, i](const auto& block, const auto& changes) {
      on_applied_block(i, block, changes);
    };
    nodes_.push_back(std::move(n));
  }
  // Every active witness must be able to sign, or the chain would miss its slots for ever.
  const auto& db = *nodes_[0]->db;
  for (const auto& w : db.global_properties().active_witnesses) {
    const auto& key = db.witness(w).signing_key;
    if (key_for(key) == nullptr) {
      throw input_error("--witness-key", "no private key for the signing key " +
                                             crypto::to_string(key) + " of witness " +
                                             object_id_type::of(w).to_string() +
                                             " (the devnet signs every block itself)");
    }
  }
  metrics_.maximum_block_size = db.parameters().maximum_block_size;
}

network::~network() { stop(); }

const crypto::private_key* network::key_for(const protocol::public_key_type& signing_key) const {
  for (const auto& k : options_.witness_keys) {
    if (k.get_public_key() == signing_key) return &k;
  }
  return nullptr;
}

std::chrono::system_clock::time_point network::now() const {
  return options_.clock ? options_.clock() : std::chrono::system_clock::now();
}

void network::replay_block_log() {
  if (!options_.block_log) return;
  const auto& path = *options_.block_log;
  if (std::filesystem::exists(path)) {
    std::ifstream in(path, std::ios::binary);
    std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                    std::istreambuf_iterator<char>());
    std::size_t pos = 0;
    std::size_t valid_end = 0;
    while (pos + 4 <= bytes.size()) {
      const std::uint32_t size = std::uint32_t(bytes[pos]) | std::uint32_t(bytes[pos + 1]) << 8 |
                                 std::uint32_t(bytes[pos + 2]) << 16 |
                                 std::uint32_t(bytes[pos + 3]) << 24;
      if (pos + 4 + size > bytes.size()) break;  // a torn last record: ignored
      chain::signed_block block;
      try {
        block = protocol::unpack_from_bytes<chain::signed_block>(
            std::span<const std::uint8_t>(bytes).subspan(pos + 4, size));
      } catch (const input_error& e) {
        throw input_error(path.string() + ": block at byte " + std::to_string(pos), e.what());
      }
      const auto produced = chain::import_block(std::move(block), chain_id_);
      for (auto& n : nodes_) {
        try {
          n->db->push_block(produced);
        } catch (const chain::chain_error& e) {
          throw input_error(
              path.string() + ": block " + std::to_string(produced->block.block_num()),
              std::string("does not apply: ") + e.what());
        }
      }
      pos += 4 + size;
      valid_end = pos;
    }
    in.close();
    if (valid_end != bytes.size()) std::filesystem::resize_file(path, valid_end);
  }
  block_log_.open(path, std::ios::binary | std::ios::app);
  if (!block_log_) throw input_error(path.string(), "cannot open the block log for writing");
}

void network::start() {
  {
    std::lock_guard lock(mu_);
    if (running_) return;
    running_ = true;
    production_timer_ = std::make_unique<asio::steady_timer>(executor_);
  }
  schedule_production();
}

void network::stop() {
  std::lock_guard lock(mu_);
  running_ = false;
  if (production_timer_) production_timer_->cancel();
  if (block_log_.is_open()) block_log_.flush();
}

void network::schedule_production() {
  std::lock_guard lock(mu_);
  if (!running_) return;
  const auto next_slot = nodes_[0]->db->get_slot_time(1).sec_since_epoch;
  const auto target = std::chrono::system_clock::time_point(std::chrono::seconds(next_slot));
  auto wait = target - now();
  if (wait < std::chrono::system_clock::duration::zero())
    wait = std::chrono::system_clock::duration::zero();
  production_timer_->expires_after(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(wait));
  production_timer_->async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) {
      self->produce_due();
      self->schedule_production();
    }
  });
}

std::optional<std::uint32_t> network::produce_due() {
  std::lock_guard lock(mu_);
  auto& db = *nodes_[0]->db;
  const chain::time_point_sec now_sec{seconds_of(now())};
  const std::uint32_t slot = db.get_slot_at_time(now_sec);
  if (slot == 0) return std::nullopt;
  const chain::time_point_sec when = db.get_slot_time(slot);
  const auto* key = key_for(db.witness(db.get_scheduled_witness(slot)).signing_key);
  if (key == nullptr) {
    ++metrics_.slots_without_key;
    return std::nullopt;
  }
  const auto block = db.generate_block(when, *key);
  ++metrics_.blocks_produced;
  metrics_.transactions_included += block->block.transactions.size();
  metrics_.last_block_bytes = block->packed_size;
  metrics_.last_block_transactions = block->block.transactions.size();
  metrics_.maximum_block_size = db.parameters().maximum_block_size;
  if (block_log_.is_open()) {
    const auto bytes = protocol::pack_to_bytes(block->block);
    const std::uint32_t size = static_cast<std::uint32_t>(bytes.size());
    const char header[4] = {char(size), char(size >> 8), char(size >> 16), char(size >> 24)};
    block_log_.write(header, 4);
    block_log_.write(reinterpret_cast<const char*>(bytes.data()),
                     static_cast<std::streamsize>(bytes.size()));
    block_log_.flush();
  }
  if (nodes_.size() > 1) {
    if (block->packed_size > options_.p2p_max_message_size) {
      // graphene::net refuses to send a message above MAX_MESSAGE_SIZE: no peer ever gets it.
      ++metrics_.blocks_not_propagated;
    } else {
      for (std::size_t j = 1; j < nodes_.size(); ++j) {
        after_delay(j, [weak = weak_from_this(), j, block] {
          if (auto self = weak.lock()) self->deliver_block(j, block);
        });
      }
    }
  }
  return block->block.block_num();
}

template <class F>
void network::after_delay(std::size_t to, F&& f) {
  if (options_.stalled_nodes.contains(to)) return;
  auto delay = options_.propagation_delay;
  if (const auto it = options_.node_delay.find(to); it != options_.node_delay.end())
    delay += it->second;
  if (delay.count() <= 0) {
    asio::post(executor_, std::forward<F>(f));
    return;
  }
  auto timer = std::make_shared<asio::steady_timer>(executor_, delay);
  timer->async_wait([timer, f = std::forward<F>(f)](const boost::system::error_code& ec) mutable {
    if (!ec) f();
  });
}

void network::deliver_block(std::size_t i, std::shared_ptr<const chain::produced_block> block) {
  std::lock_guard lock(mu_);
  auto& n = *nodes_[i];
  n.future_blocks.emplace(block->block.block_num(), std::move(block));
  while (!n.future_blocks.empty()) {
    const auto it = n.future_blocks.begin();
    const std::uint32_t head = n.db->head_block_num();
    if (it->first <= head) {
      n.future_blocks.erase(it);
      continue;
    }
    if (it->first != head + 1) break;  // a block in between never arrived (yet)
    auto next = it->second;
    n.future_blocks.erase(it);
    try {
      n.db->push_block(next);
    } catch (const chain::chain_error&) {
      ++n.metrics.blocks_not_applied;
    }
  }
  // A node that missed a block (too large to propagate) cannot link anything after it.
  while (n.future_blocks.size() > 1024) {
    n.future_blocks.erase(n.future_blocks.begin());
    ++n.metrics.blocks_not_applied;
  }
}

void network::relay_transaction(std::size_t from,
                                std::shared_ptr<const chain::precomputed_transaction> trx) {
  for (std::size_t j = 0; j < nodes_.size(); ++j) {
    if (j == from) continue;
    after_delay(j, [weak = weak_from_this(), j, trx] {
      auto self = weak.lock();
      if (!self) return;
      std::lock_guard lock(self->mu_);
      auto& n = *self->nodes_[j];
      try {
        n.db->push_transaction(trx);
        ++n.metrics.relayed_in;
      } catch (const chain::chain_error&) {
        return;  // already known, or not valid on this node's state: not relayed further
      }
      for (auto& [id, sub] : n.subscribers) {
        if (!sub.pending_transaction_callback) continue;
        if (auto s = sub.session.lock()) {
          s->notify(*sub.pending_transaction_callback, json::array{protocol::to_json(trx->trx)});
        }
      }
    });
  }
}

std::shared_ptr<const chain::precomputed_transaction> network::precompute(
    protocol::signed_transaction trx) const {
  // precompute only reads the chain id, which never changes: no lock.
  return nodes_[0]->db->precompute(std::move(trx));
}

chain::processed_transaction network::broadcast(
    std::size_t i, std::shared_ptr<const chain::precomputed_transaction> trx,
    std::uint64_t session_id, inclusion_callback on_included) {
  std::lock_guard lock(mu_);
  auto& n = *nodes_.at(i);
  chain::processed_transaction processed;
  try {
    processed = n.db->push_transaction(trx);
  } catch (const chain::chain_error& e) {
    ++n.metrics.rejected_by_code[e.code()];
    throw;
  }
  ++n.metrics.accepted;
  if (on_included) n.waiters[trx->id].push_back({session_id, std::move(on_included)});
  for (auto& [id, sub] : n.subscribers) {
    if (!sub.pending_transaction_callback) continue;
    if (auto s = sub.session.lock()) {
      s->notify(*sub.pending_transaction_callback, json::array{protocol::to_json(trx->trx)});
    }
  }
  if (nodes_.size() > 1) relay_transaction(i, trx);
  return processed;
}

void network::on_applied_block(std::size_t i,
                               const std::shared_ptr<const chain::produced_block>& block,
                               const chain::block_changes& changes) {
  // Runs under mu_, from generate_block / push_block.
  auto& n = *nodes_[i];
  ++n.metrics.blocks_applied;
  const std::string block_id = to_hex(block->id);
  const auto& db = *n.db;

  // Inclusion of transactions broadcast with a callback or synchronously.
  if (!n.waiters.empty()) {
    for (std::size_t k = 0; k < block->transactions.size(); ++k) {
      const auto it = n.waiters.find(block->transactions[k]->id);
      if (it == n.waiters.end()) continue;
      json::object result;
      result["id"] = to_hex(block->transactions[k]->id);
      result["block_num"] = block->block.block_num();
      result["trx_num"] = k;
      result["trx"] = protocol::to_json(block->block.transactions[k]);
      for (auto& w : it->second) w.callback(result);
      n.waiters.erase(it);
    }
  }

  // Object notices: JSON and owners are computed once per block, and only if someone listens.
  std::map<object_id_type, json::value> json_cache;
  std::optional<std::map<object_id_type, std::uint64_t>> owners;
  const auto object_json = [&](object_id_type id) -> const json::value* {
    auto it = json_cache.find(id);
    if (it == json_cache.end()) {
      auto j = db.object_to_json(id);
      it = json_cache.emplace(id, j ? std::move(*j) : json::value(nullptr)).first;
    }
    return it->second.is_null() ? nullptr : &it->second;
  };
  const auto owner_map = [&]() -> const std::map<object_id_type, std::uint64_t>& {
    if (!owners) {
      owners.emplace();
      for (const auto& id : changes.changed) {
        if (const auto o = owner_of(db, id)) owners->emplace(id, *o);
      }
    }
    return *owners;
  };

  for (auto it = n.subscribers.begin(); it != n.subscribers.end();) {
    auto& sub = it->second;
    auto s = sub.session.lock();
    if (!s || s->closed()) {
      it = n.subscribers.erase(it);
      continue;
    }
    if (sub.block_applied_callback)
      s->notify(*sub.block_applied_callback, json::array{json::string(block_id)});
    if (sub.subscribe_callback) {
      bool has_accounts = false;
      for (const auto& id : sub.objects)
        has_accounts = has_accounts || (id.space() == 1 && id.type() == 2);
      json::array updates;
      for (const auto& id : changes.changed) {
        bool wanted =
            sub.objects.contains(id) || (sub.notify_remove_create && changes.created.contains(id));
        if (!wanted && has_accounts) {
          const auto& map = owner_map();
          const auto owner = map.find(id);
          wanted =
              owner != map.end() && sub.objects.contains(object_id_type::make(1, 2, owner->second));
        }
        if (!wanted) continue;
        if (const auto* j = object_json(id)) updates.push_back(*j);
      }
      if (!updates.empty()) s->notify(*sub.subscribe_callback, json::array{std::move(updates)});
      json::array removed;
      for (const auto& id : changes.removed) {
        if (sub.notify_remove_create || sub.objects.contains(id))
          removed.push_back(json::string(id.to_string()));
      }
      if (!removed.empty()) s->notify(*sub.subscribe_callback, json::array{std::move(removed)});
    }
    ++it;
  }
}

void network::set_block_applied_callback(std::size_t i, std::shared_ptr<rpc::session> s,
                                         std::uint64_t callback) {
  std::lock_guard lock(mu_);
  auto& sub = nodes_.at(i)->subscribers[s->id()];
  sub.session = s;
  sub.block_applied_callback = callback;
}

void network::set_subscribe_callback(std::size_t i, std::shared_ptr<rpc::session> s,
                                     std::uint64_t callback, bool notify_remove_create) {
  std::lock_guard lock(mu_);
  auto& sub = nodes_.at(i)->subscribers[s->id()];
  sub.session = s;
  sub.subscribe_callback = callback;
  sub.notify_remove_create = notify_remove_create;
  sub.objects.clear();
}

void network::set_pending_transaction_callback(std::size_t i, std::shared_ptr<rpc::session> s,
                                               std::uint64_t callback) {
  std::lock_guard lock(mu_);
  auto& sub = nodes_.at(i)->subscribers[s->id()];
  sub.session = s;
  sub.pending_transaction_callback = callback;
}

void network::set_auto_subscription(std::size_t i, std::shared_ptr<rpc::session> s, bool enabled) {
  std::lock_guard lock(mu_);
  auto& sub = nodes_.at(i)->subscribers[s->id()];
  sub.session = s;
  sub.auto_subscribe = enabled;
}

bool network::should_subscribe(std::size_t i, std::uint64_t session_id,
                               std::optional<bool> requested) const {
  std::lock_guard lock(mu_);
  const auto& subs = nodes_.at(i)->subscribers;
  const auto it = subs.find(session_id);
  if (it == subs.end() || !it->second.subscribe_callback) return false;
  return requested ? *requested : it->second.auto_subscribe;
}

void network::subscribe_objects(std::size_t i, std::uint64_t session_id,
                                const std::vector<object_id_type>& ids) {
  std::lock_guard lock(mu_);
  auto& subs = nodes_.at(i)->subscribers;
  const auto it = subs.find(session_id);
  if (it == subs.end()) return;
  it->second.objects.insert(ids.begin(), ids.end());
}

void network::cancel_all_subscriptions(std::size_t i, std::uint64_t session_id) {
  std::lock_guard lock(mu_);
  auto& subs = nodes_.at(i)->subscribers;
  const auto it = subs.find(session_id);
  if (it == subs.end()) return;
  // database_api::cancel_all_subscriptions: the subscribe callback and its objects go; the
  // block-applied callback stays (it has its own lifetime in bitshares-core too).
  it->second.subscribe_callback.reset();
  it->second.objects.clear();
  it->second.notify_remove_create = false;
}

void network::forget_session(std::size_t i, std::uint64_t session_id) {
  std::vector<inclusion_callback> dropped;
  {
    std::lock_guard lock(mu_);
    auto& n = *nodes_.at(i);
    n.subscribers.erase(session_id);
    for (auto it = n.waiters.begin(); it != n.waiters.end();) {
      auto& list = it->second;
      for (auto w = list.begin(); w != list.end();) {
        if (w->session_id == session_id) {
          dropped.push_back(std::move(w->callback));
          w = list.erase(w);
        } else {
          ++w;
        }
      }
      it = list.empty() ? n.waiters.erase(it) : std::next(it);
    }
  }
  for (auto& cb : dropped) cb(std::nullopt);
}

network_metrics network::metrics() const {
  std::lock_guard lock(mu_);
  network_metrics out = metrics_;
  out.nodes.clear();
  for (const auto& n : nodes_) {
    node_metrics m = n->metrics;
    m.head_block_num = n->db->head_block_num();
    m.last_irreversible_block_num = n->db->dynamic_global_properties().last_irreversible_block_num;
    m.pending = n->db->pending().size();
    out.nodes.push_back(std::move(m));
  }
  return out;
}

}  // namespace bts::devnet
