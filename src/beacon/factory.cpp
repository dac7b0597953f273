#include "beacon/factory.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <span>
#include <unordered_map>

#include <boost/json/serialize.hpp>

#include "beacon/tx_json.hpp"
#include "crypto/hash.hpp"
#include "crypto/memo.hpp"
#include "crypto/signature.hpp"
#include "protocol/wire.hpp"
#include "util/error.hpp"

namespace bts::beacon {

namespace {

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Order creates the transaction no longer holds (operations dropped from index n on) are not
// remembered as the beacon's orders.
void forget_orders_beyond(prepared_tx& out, std::size_t n) {
  while (!out.order_creates.empty() && out.order_creates.back().first >= n) {
    out.order_creates.pop_back();
  }
}

// Accounts whose active authority must sign: the fee payers of the operations, as indexes into
// the accounts list (in list order, each once). Payers are always beacon accounts.
signer_list payers(const protocol::transaction& tx,
                   const std::unordered_map<std::uint64_t, std::uint32_t>& index) {
  using namespace protocol;
  signer_list out;
  for (const auto& op : tx.operations) {
    std::uint64_t payer = 0;
    std::visit(
        [&](const auto& body) {
          using T = std::remove_cvref_t<decltype(body)>;
          if constexpr (std::is_same_v<T, transfer_operation>)
            payer = body.from.instance;
          else if constexpr (std::is_same_v<T, limit_order_create_operation>)
            payer = body.seller.instance;
          else if constexpr (std::is_same_v<T, limit_order_cancel_operation>)
            payer = body.fee_paying_account.instance;
        },
        op.value);
    const auto it = index.find(payer);
    if (it == index.end()) continue;
    if (std::find(out.begin(), out.end(), it->second) == out.end()) out.push_back(it->second);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::uint64_t transaction_seed(std::uint64_t seed, std::string_view beacon, std::uint64_t k) {
  std::uint64_t h = splitmix(seed);
  for (char c : beacon) h = splitmix(h ^ static_cast<unsigned char>(c));
  return splitmix(h ^ splitmix(k));
}

// ---- id_registry ------------------------------------------------------------------------------

std::size_t id_registry::hash::operator()(const protocol::transaction_id_type& id) const {
  std::size_t h;
  std::memcpy(&h, id.data(), sizeof h);
  return h;
}

bool id_registry::claim(const protocol::transaction_id_type& id, std::uint32_t expiration) {
  std::lock_guard lock(mu_);
  if (!ids_.insert(id).second) {
    ++collisions_;
    return false;
  }
  by_expiration_.emplace_back(expiration, id);
  return true;
}

void id_registry::expire(std::uint32_t head_time) {
  std::lock_guard lock(mu_);
  // Mostly in expiration order (signers run in parallel), so a sort keeps it exact and cheap.
  std::sort(by_expiration_.begin(), by_expiration_.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::size_t n = 0;
  while (n < by_expiration_.size() && by_expiration_[n].first < head_time)
    ids_.erase(by_expiration_[n++].second);
  by_expiration_.erase(by_expiration_.begin(),
                       by_expiration_.begin() + static_cast<std::ptrdiff_t>(n));
}

std::size_t id_registry::size() const {
  std::lock_guard lock(mu_);
  return ids_.size();
}

std::uint64_t id_registry::collisions() const {
  std::lock_guard lock(mu_);
  return collisions_;
}

// ---- open_orders ------------------------------------------------------------------------------

void open_orders::add(std::uint32_t account, protocol::limit_order_id_type order) {
  std::lock_guard lock(mu_);
  orders_.emplace_back(account, order);
}

std::optional<std::pair<std::uint32_t, protocol::limit_order_id_type>> open_orders::take(
    std::uint64_t pick) {
  std::lock_guard lock(mu_);
  if (orders_.empty()) return std::nullopt;
  const std::size_t i = pick % orders_.size();
  auto o = orders_[i];
  orders_[i] = orders_.back();
  orders_.pop_back();
  return o;
}

std::size_t open_orders::size() const {
  std::lock_guard lock(mu_);
  return orders_.size();
}

// ---- tx_factory -------------------------------------------------------------------------------

tx_factory::tx_factory(factory_config config, const reference_block_cell& head, open_orders& orders,
                       id_registry& ids)
    : config_(std::move(config)), head_(head), orders_(orders), ids_(ids) {
  if (!config_.accounts || config_.accounts->size() < 2) {
    throw input_error("accounts",
                      "the beacon needs at least two accounts (transfers go between them)");
  }
  mix_total_ = config_.mix.total();
  if (!(mix_total_ > 0)) throw input_error("mix", "expected at least one positive weight");
  if ((config_.mix.limit_order_create > 0 || config_.mix.limit_order_cancel > 0) &&
      !config_.order_asset) {
    throw input_error("order_asset",
                      "limit orders need a test asset (beacon provision creates one)");
  }
  const auto& accounts = *config_.accounts;
  for (std::uint32_t i = 0; i < accounts.size(); ++i) {
    account_index_.try_emplace(accounts[i].id.instance, i);
    for (const auto* k : {&accounts[i].public_key, &accounts[i].memo_key}) {
      const std::string raw(k->data.begin(), k->data.end());
      if (!key_texts_.contains(raw))
        key_texts_.emplace(raw, crypto::to_string(*k, config_.key_prefix));
    }
  }
}

std::string_view tx_factory::key_text(const crypto::public_key& k) const {
  const auto it = key_texts_.find(std::string(k.data.begin(), k.data.end()));
  if (it != key_texts_.end()) return it->second;
  thread_local std::string other;  // not a beacon key: cannot happen for memos we build
  other = crypto::to_string(k, config_.key_prefix);
  return other;
}

factory_counters tx_factory::counters() const {
  return {built_.load(), cancel_fallbacks_.load(), too_large_.load()};
}

std::uint32_t tx_factory::draw_op_count(std::mt19937_64& rng) const {
  const auto& o = config_.ops;
  switch (o.type) {
    case ops_per_tx::kind::fixed:
      return o.fixed;
    case ops_per_tx::kind::max:
      return max_fill_ops;
    case ops_per_tx::kind::uniform:
      return std::uniform_int_distribution<std::uint32_t>(o.min, o.max)(rng);
    case ops_per_tx::kind::weighted: {
      double total = 0;
      for (const auto& c : o.choices) total += c.second;
      double x = std::uniform_real_distribution<double>(0, total)(rng);
      for (const auto& c : o.choices) {
        if (x < c.second) return c.first;
        x -= c.second;
      }
      return o.choices.back().first;
    }
  }
  return 1;
}

std::int64_t tx_factory::draw_amount(std::mt19937_64& rng) const {
  const auto& a = config_.amount;
  switch (a.type) {
    case int_distribution::kind::fixed:
      return a.min;
    case int_distribution::kind::uniform:
      return std::uniform_int_distribution<std::int64_t>(a.min, a.max)(rng);
    case int_distribution::kind::log_uniform: {
      const double lo = std::log(static_cast<double>(a.min)),
                   hi = std::log(static_cast<double>(a.max) + 1);
      const double v = std::exp(std::uniform_real_distribution<double>(lo, hi)(rng));
      return std::clamp(static_cast<std::int64_t>(v), a.min, a.max);
    }
  }
  return a.min;
}

protocol::operation tx_factory::draw_operation(std::mt19937_64& rng, std::uint64_t k,
                                               std::uint32_t op_index, prepared_tx& out) const {
  using namespace protocol;
  const auto& accounts = *config_.accounts;
  const auto& mix = config_.mix;
  double x = std::uniform_real_distribution<double>(0, mix_total_)(rng);
  enum { transfer, memo_transfer, order_create, order_cancel } kind = transfer;
  if ((x -= mix.transfer) < 0)
    kind = transfer;
  else if ((x -= mix.transfer_with_memo) < 0)
    kind = memo_transfer;
  else if ((x -= mix.limit_order_create) < 0)
    kind = order_create;
  else
    kind = order_cancel;

  const auto n = static_cast<std::uint32_t>(accounts.size());
  const std::uint32_t from = std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng);
  const std::uint64_t pick = rng();

  if (kind == order_cancel) {
    if (auto o = orders_.take(pick)) {
      limit_order_cancel_operation op;
      op.fee_paying_account = accounts[o->first].id;
      op.order = o->second;
      return op;
    }
    cancel_fallbacks_.fetch_add(1, std::memory_order_relaxed);
    kind = transfer;
  }
  if (kind == order_create) {
    limit_order_create_operation op;
    op.seller = accounts[from].id;
    op.amount_to_sell = {draw_amount(rng), config_.core_asset};
    const double price =
        std::uniform_real_distribution<double>(config_.price.min, config_.price.max)(rng);
    const auto receive = std::max<std::int64_t>(
        1, std::llround(static_cast<double>(op.amount_to_sell.amount) * price));
    op.min_to_receive = {receive, *config_.order_asset};
    out.order_creates.emplace_back(op_index, from);
    return op;
  }
  // Transfers go to another account of the beacon.
  std::uint32_t to = std::uniform_int_distribution<std::uint32_t>(0, n - 2)(rng);
  if (to >= from) ++to;
  transfer_operation op;
  op.from = accounts[from].id;
  op.to = accounts[to].id;
  op.amount = {draw_amount(rng), config_.core_asset};
  if (kind == memo_transfer) {
    memo_data memo;
    memo.from = accounts[from].public_key;
    memo.to = accounts[to].memo_key;
    memo.nonce = rng() >> 8;
    const std::string text =
        config_.beacon_name + " #" + std::to_string(k) + "." + std::to_string(op_index);
    memo.message = crypto::encrypt_memo(accounts[from].key, memo.to, memo.nonce, text);
    op.memo = std::move(memo);
  }
  return op;
}

// Draws the transaction's operations (with their fees). ops_per_tx max fills it up to
// maximum_transaction_size: the packed size is the header and operation count plus each
// operation's own bytes. bitshares-core (db_block.cpp, _apply_transaction) checks the size of the
// transaction without its signatures, as the differential test shows witness_node doing, so
// signatures do not count against the limit.
void tx_factory::add_operations(protocol::signed_transaction& tx, std::mt19937_64& rng,
                                std::uint64_t k, prepared_tx& out) const {
  using namespace protocol;
  const bool fill = config_.ops.type == ops_per_tx::kind::max;
  const std::uint32_t count = fill ? max_fill_ops : draw_op_count(rng);
  tx.operations.reserve(std::min<std::uint32_t>(count, 256));
  std::vector<std::uint8_t> scratch;
  std::size_t base = 0, ops_bytes = 0;
  if (fill) {
    tx.pack_unsigned(scratch);
    base = scratch.size() - 1;  // less the 1-byte operation count (0)
  }
  for (std::uint32_t i = 0; i < count; ++i) {
    operation op = draw_operation(rng, k, i, out);
    const share_type fee = config_.parameters.fees.calculate_fee(op);
    std::visit([&](auto& body) { body.fee = {fee, config_.core_asset}; }, op.value);
    tx.operations.push_back(std::move(op));
    if (!fill) continue;
    transaction one;
    one.operations.push_back(tx.operations.back());
    scratch.clear();
    one.pack_unsigned(scratch);
    ops_bytes += scratch.size() - base - 1;
    const std::size_t n = tx.operations.size();
    const std::size_t size = base + protocol::varint_size(n) + ops_bytes;
    if (size > config_.parameters.maximum_transaction_size) {
      if (n > 1) {
        tx.operations.pop_back();
        forget_orders_beyond(out, tx.operations.size());
      }
      break;
    }
  }
}

prepared_tx tx_factory::make(std::uint64_t k, std::int64_t now_ns) const {
  using namespace protocol;
  std::mt19937_64 rng(transaction_seed(config_.seed, config_.beacon_name, k));
  prepared_tx out;
  out.sequence = k;

  signed_transaction tx;
  const head_info head = head_.get();
  tx.set_reference_block(head.head_block_id);
  std::uint32_t expiration = head_.estimated_head_time(now_ns) + config_.expiration_seconds;
  const std::uint32_t latest = head.head_time + config_.parameters.maximum_time_until_expiration;
  tx.set_expiration(time_point_sec{std::min(expiration, latest)});

  add_operations(tx, rng, k, out);

  // One packing serves the size check, the id and the signature digest: `buffer` holds the
  // chain id followed by the packed unsigned transaction (sig_digest = sha256 of all of it,
  // digest = sha256 of the transaction part; transaction.hpp).
  thread_local std::vector<std::uint8_t> buffer;
  const auto repack = [&] {
    buffer.assign(config_.chain_id.begin(), config_.chain_id.end());
    tx.pack_unsigned(buffer);
  };
  const auto unsigned_bytes = [&] {
    return std::span<const std::uint8_t>(buffer).subspan(config_.chain_id.size());
  };

  // Size limit (unsigned bytes, see above): drop trailing operations until it fits.
  signer_list signers;
  for (;;) {
    repack();
    signers = payers(tx, account_index_);
    if (unsigned_bytes().size() <= config_.parameters.maximum_transaction_size ||
        tx.operations.size() <= 1)
      break;
    tx.operations.pop_back();
    too_large_.fetch_add(1, std::memory_order_relaxed);
    forget_orders_beyond(out, tx.operations.size());
  }

  for (int attempt = 0;; ++attempt) {
    const digest_type digest = crypto::sha256(unsigned_bytes());
    std::copy_n(digest.begin(), out.id.size(), out.id.begin());
    if (ids_.claim(out.id, tx.expiration.sec_since_epoch)) break;
    // Same content already built: move the expiration, which changes the id.
    if (expiration > latest) expiration = head.head_time + 1 + static_cast<std::uint32_t>(attempt);
    ++expiration;
    tx.set_expiration(time_point_sec{std::min(expiration, latest)});
    repack();
  }

  const digest_type sig_digest = crypto::sha256(buffer);
  for (const std::uint32_t a : signers) {
    tx.signatures.push_back(crypto::sign_compact((*config_.accounts)[a].key, sig_digest));
  }

  out.expiration = tx.expiration.sec_since_epoch;
  out.ops = static_cast<std::uint32_t>(tx.operations.size());
  // pack() = the unsigned bytes, a varint signature count (< 128 here) and 65 bytes each.
  out.bytes = static_cast<std::uint32_t>(unsigned_bytes().size() + 1 + 65 * tx.signatures.size());
  // Written into a reused buffer, then copied once at its exact size: the pool holds many.
  thread_local std::string text;
  text.clear();
  if (!append_transaction_json(text, tx,
                               [this](const crypto::public_key& k) { return key_text(k); })) {
    text = boost::json::serialize(transaction_to_json(tx, {config_.key_prefix}));
  }
  out.json.assign(text);
  built_.fetch_add(1, std::memory_order_relaxed);
  return out;
}

}  // namespace bts::beacon
