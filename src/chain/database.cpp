// The database's state: genesis, queries, and changes recorded in the undo log. Transaction and
// block processing is in db_block.cpp, evaluators in detail/evaluators.cpp, the market in
// detail/market.cpp.
#include "chain/database.hpp"

#include <algorithm>
#include <cstring>

#include "chain/asset_math.hpp"
#include "chain/chain_error.hpp"
#include "chain/config.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"

namespace bts::chain {

using protocol::asset;

bool database::order_key_less::operator()(const order_key& a, const order_key& b) const {
  if (a.base != b.base) return a.base < b.base;
  if (a.quote != b.quote) return a.quote < b.quote;
  // by_price: sell_price descending (base/quote), then id ascending.
  const int128 l = int128(a.base_amount) * b.quote_amount;
  const int128 r = int128(b.base_amount) * a.quote_amount;
  if (l != r) return l > r;
  return a.id < b.id;
}

std::size_t database::txid_hash::operator()(const transaction_id_type& id) const {
  std::size_t h = 0;
  std::memcpy(&h, id.data(), sizeof(h));
  return h;
}

database::database(const genesis_state& genesis, const chain_id_type& chain_id,
                   database_options options)
    : options_(options) {
  chain_properties_.chain_id = chain_id;
  init_genesis(genesis);
}

// ---- genesis ---------------------------------------------------------------------------------

void database::init_genesis(const genesis_state& genesis) {
  const time_point_sec genesis_time = genesis.initial_timestamp;
  global_properties_.parameters = genesis.initial_parameters;
  chain_properties_.immutable_parameters = genesis.immutable_parameters;
  dynamic_properties_.time = genesis_time;
  dynamic_properties_.recent_slots_filled.value = ~static_cast<unsigned __int128>(0);
  block_summaries_.assign(config::block_summary_slots, block_id_type{});

  const auto special = [&](std::string name, std::uint64_t registrar, std::uint32_t threshold,
                           std::uint16_t network_pct) {
    account_object a;
    a.id.instance = accounts_.size();
    a.name = std::move(name);
    a.membership_expiration_date = time_point_sec::maximum();
    a.registrar.instance = a.referrer.instance = a.lifetime_referrer.instance = registrar;
    a.network_fee_percentage = network_pct;
    a.lifetime_referrer_fee_percentage = config::percent_100 - network_pct;
    a.owner.weight_threshold = threshold;
    a.active.weight_threshold = threshold;
    a.creation_time = genesis_time;
    create_account(std::move(a));
  };
  const std::uint16_t net = config::default_network_percent_of_fee;
  special("committee-account", config::committee_account, 1, net);
  special("witness-account", config::witness_account, 1, net);
  special("relaxed-committee-account", config::relaxed_committee_account, 1, net);
  special("null-account", config::null_account, 1, 0);
  special("temp-account", config::temp_account, 0, net);
  special("proxy-to-self", config::null_account, 1, 0);

  // The committee account's balance object holds the whole supply until genesis allocates it.
  balances_.push_back({account_balance_id_type{0}, account_id_type{config::committee_account},
                       asset_id_type{0}, config::max_share_supply, true});
  balance_index_[{config::committee_account, 0}] = 0;

  asset_object core;
  core.symbol = std::string(config::core_symbol);
  core.precision = config::core_precision_digits;
  core.issuer.instance = config::null_account;
  core.options.max_supply = genesis.max_core_supply;
  core.options.max_market_fee = config::max_share_supply;
  core.options.core_exchange_rate = {{1, asset_id_type{0}}, {1, asset_id_type{0}}};
  core.creation_time = genesis_time;
  asset_dynamic_data_object core_dyn;
  core_dyn.current_supply = config::max_share_supply;
  create_asset(std::move(core), core_dyn);

  const auto& params = global_properties_.parameters;
  for (const auto& initial : genesis.initial_accounts) {
    account_object a;
    a.id.instance = accounts_.size();
    a.name = initial.name;
    a.registrar.instance = config::temp_account;
    a.referrer.instance = config::committee_account;
    a.lifetime_referrer.instance = config::committee_account;
    a.network_fee_percentage = params.network_percent_of_fee;
    a.lifetime_referrer_fee_percentage = params.lifetime_referrer_percent_of_fee;
    a.owner.weight_threshold = 1;
    a.owner.key_auths.insert({initial.owner_key, 1});
    const bool no_active = initial.active_key.is_null();
    const public_key_type active_key = no_active ? initial.owner_key : initial.active_key;
    a.active.weight_threshold = 1;
    a.active.key_auths.insert({active_key, 1});
    a.options.memo_key = active_key;
    a.creation_time = genesis_time;
    if (initial.is_lifetime_member) {
      a.membership_expiration_date = time_point_sec::maximum();
      a.registrar = a.referrer = a.lifetime_referrer = a.id;
      a.lifetime_referrer_fee_percentage = config::percent_100 - a.network_fee_percentage;
    }
    create_account(std::move(a));
    ++dynamic_properties_.accounts_registered_this_interval;
  }

  for (const auto& initial : genesis.initial_assets) {
    asset_object a;
    a.id.instance = assets_.size();
    a.symbol = initial.symbol;
    a.precision = initial.precision;
    a.issuer = find_account_by_name(initial.issuer_name)->id;
    a.options.max_supply = initial.max_supply;
    a.options.description = initial.description;
    a.options.core_exchange_rate = {{1, asset_id_type{0}}, {1, a.id}};
    a.creation_time = genesis_time;
    asset_dynamic_data_object dyn;
    dyn.accumulated_fees = initial.accumulated_fees;
    create_asset(std::move(a), dyn);
  }

  // Initial balances become balance objects (1.15.x) owned by an address, claimed into an
  // account with balance_claim, as bitshares-core's init_genesis does.
  std::map<std::uint64_t, share_type> supplies;
  for (std::size_t i = 0; i < genesis.initial_balances.size(); ++i) {
    const auto& b = genesis.initial_balances[i];
    const asset_object* a = find_asset_by_symbol(b.asset_symbol);
    if (a == nullptr) {
      throw input_error("initial_balances[" + std::to_string(i) + "].asset_symbol",
                        "no asset " + b.asset_symbol);
    }
    balance_object o;
    o.id.instance = balance_objects_.size();
    o.owner = b.owner;
    o.balance = asset{b.amount, a->id};
    balance_objects_.emplace(o.id.instance, std::move(o));
    supplies[a->id.instance] += b.amount;
  }
  for (const auto& [asset_instance, total] : supplies) {
    if (asset_instance == 0) continue;
    asset_dynamic_data_[asset_instance].current_supply = total;
  }
  if (supplies[0] > 0) {
    balances_[0].balance = 0;
    asset_dynamic_data_[0].current_supply = supplies[0];
  }

  std::uint32_t vote_id = 0;
  // witness 1.6.0 is GRAPHENE_NULL_WITNESS: created and removed by init_genesis, never listed.
  witnesses_.push_back(witness_object{});
  for (const auto& w : genesis.initial_witness_candidates) {
    witness_object o;
    o.id.instance = witnesses_.size();
    o.witness_account = find_account_by_name(w.owner_name)->id;
    o.signing_key = w.block_signing_key;
    o.vote_id = protocol::vote_id_type::make(1, vote_id++);
    witnesses_.push_back(std::move(o));
  }
  // Committee members after the witnesses, as db_genesis.cpp creates them: vote ids 1:0..1:10
  // for the witnesses, then 0:11..0:21.
  for (const auto& c : genesis.initial_committee_candidates) {
    committee_member_object m;
    m.id.instance = committee_members_.size();
    m.committee_member_account = find_account_by_name(c.owner_name)->id;
    m.vote_id = protocol::vote_id_type::make(0, vote_id++);
    committee_members_.push_back(std::move(m));
  }
  global_properties_.next_available_vote_id = vote_id;
  for (std::uint64_t i = 1; i <= genesis.initial_active_witnesses; ++i) {
    global_properties_.active_witnesses.insert(witness_id_type{i});
  }
  const std::size_t committee_count = std::min<std::size_t>(
      committee_members_.size(),
      std::max<std::size_t>(genesis.immutable_parameters.min_committee_member_count, 1));
  for (std::size_t i = 0; i < committee_count; ++i) {
    global_properties_.active_committee_members.push_back(committee_members_[i].id);
  }
  for (const auto& w : global_properties_.active_witnesses) {
    witness_schedule_.current_shuffled_witnesses.push_back(w);
  }
}

// ---- queries ---------------------------------------------------------------------------------

const account_object* database::find_account(account_id_type id) const {
  return id.instance < accounts_.size() ? &accounts_[id.instance] : nullptr;
}

const account_object* database::find_account_by_name(std::string_view name) const {
  const auto it = accounts_by_name_.find(name);
  return it == accounts_by_name_.end() ? nullptr : &accounts_[it->second];
}

const account_statistics_object& database::account_statistics(account_id_type id) const {
  return account_statistics_[id.instance];
}

const asset_object* database::find_asset(asset_id_type id) const {
  return id.instance < assets_.size() ? &assets_[id.instance] : nullptr;
}

const asset_object* database::find_asset_by_symbol(std::string_view symbol) const {
  const auto it = assets_by_symbol_.find(symbol);
  return it == assets_by_symbol_.end() ? nullptr : &assets_[it->second];
}

const asset_dynamic_data_object& database::asset_dynamic_data(asset_id_type id) const {
  return asset_dynamic_data_[id.instance];
}

share_type database::get_balance(account_id_type account, asset_id_type a) const {
  const auto it = balance_index_.find({account.instance, a.instance});
  return it == balance_index_.end() ? 0 : balances_[it->second].balance;
}

std::vector<const account_balance_object*> database::account_balances(
    account_id_type account) const {
  std::vector<const account_balance_object*> out;
  for (auto it = balance_index_.lower_bound({account.instance, 0});
       it != balance_index_.end() && it->first.account == account.instance; ++it) {
    out.push_back(&balances_[it->second]);
  }
  return out;
}

const limit_order_object* database::find_limit_order(limit_order_id_type id) const {
  const auto it = limit_orders_.find(id.instance);
  return it == limit_orders_.end() ? nullptr : &it->second;
}

std::vector<const limit_order_object*> database::limit_orders(asset_id_type sell,
                                                              asset_id_type receive,
                                                              std::size_t limit) const {
  std::vector<const limit_order_object*> out;
  const order_key start{sell.instance, receive.instance, config::max_share_supply, 1, 0};
  for (auto it = order_book_.lower_bound(start);
       it != order_book_.end() && it->base == sell.instance && it->quote == receive.instance &&
       out.size() < limit;
       ++it) {
    out.push_back(&limit_orders_.at(it->id));
  }
  return out;
}

std::vector<const limit_order_object*> database::account_limit_orders(
    account_id_type account) const {
  std::vector<const limit_order_object*> out;
  for (auto it = orders_by_account_.lower_bound({account.instance, 0});
       it != orders_by_account_.end() && it->first == account.instance; ++it) {
    out.push_back(&limit_orders_.at(it->second));
  }
  return out;
}

const witness_object* database::find_witness(witness_id_type id) const {
  if (id.instance == 0 || id.instance >= witnesses_.size()) return nullptr;
  return &witnesses_[id.instance];
}

const balance_object* database::find_balance_object(protocol::balance_id_type id) const {
  const auto it = balance_objects_.find(id.instance);
  return it == balance_objects_.end() ? nullptr : &it->second;
}

std::vector<const balance_object*> database::balance_objects_of(
    const protocol::address& owner) const {
  std::vector<const balance_object*> out;
  for (const auto& [instance, b] : balance_objects_) {
    if (b.owner == owner) out.push_back(&b);
  }
  std::sort(out.begin(), out.end(), [](const balance_object* a, const balance_object* b) {
    return a->balance.asset_id.instance < b->balance.asset_id.instance;
  });
  return out;
}

const witness_object& database::witness(witness_id_type id) const {
  return witnesses_.at(id.instance);
}

const asset_object* database::find_asset_by_id_or_symbol(std::string_view text) const {
  if (!text.empty() && text[0] >= '0' && text[0] <= '9') {
    const auto id = object_id_type::parse(text);
    if (!id || id->space() != 1 || id->type() != 3) return nullptr;
    return find_asset(asset_id_type{id->instance()});
  }
  return find_asset_by_symbol(text);
}

const account_object* database::find_account_by_id_or_name(std::string_view text) const {
  if (!text.empty() && text[0] >= '0' && text[0] <= '9') {
    const auto id = object_id_type::parse(text);
    if (!id || id->space() != 1 || id->type() != 2) return nullptr;
    return find_account(account_id_type{id->instance()});
  }
  return find_account_by_name(text);
}

std::string database::to_pretty_string(const asset& a) const {
  const asset_object* o = find_asset(a.asset_id);
  if (o == nullptr) return std::to_string(a.amount) + " of unknown asset";
  return o->amount_to_pretty_string(a.amount);
}

std::optional<boost::json::value> database::object_to_json(
    object_id_type id, const protocol::json_write_options& o) const {
  const std::uint64_t i = id.instance();
  if (id.space() == 1) {
    switch (id.type()) {
      case 2:
        if (i < accounts_.size()) return protocol::to_json(accounts_[i], o);
        break;
      case 3:
        if (i < assets_.size()) return protocol::to_json(assets_[i], o);
        break;
      case 5:
        if (i < committee_members_.size()) return protocol::to_json(committee_members_[i], o);
        break;
      case 6:
        if (i > 0 && i < witnesses_.size()) return protocol::to_json(witnesses_[i], o);
        break;
      case 7:
        if (const auto* order = find_limit_order(limit_order_id_type{i}))
          return protocol::to_json(*order, o);
        break;
      case 15:
        if (const auto* b = find_balance_object(protocol::balance_id_type{i}))
          return protocol::to_json(*b, o);
        break;
      default:
        break;
    }
  } else if (id.space() == 2) {
    switch (id.type()) {
      case 0:
        if (i == 0) return protocol::to_json(global_properties_, o);
        break;
      case 1:
        if (i == 0) return protocol::to_json(dynamic_properties_, o);
        break;
      case 3:
        if (i < asset_dynamic_data_.size()) return protocol::to_json(asset_dynamic_data_[i], o);
        break;
      case 5:
        if (i < balances_.size()) return protocol::to_json(balances_[i], o);
        break;
      case 6:
        if (i < account_statistics_.size()) return protocol::to_json(account_statistics_[i], o);
        break;
      case 7:
        if (i < block_summaries_.size()) {
          boost::json::object summary;
          summary["id"] = "2.7." + std::to_string(i);
          summary["block_id"] = to_hex(block_summaries_[i]);
          return summary;
        }
        break;
      case 11:
        if (i == 0) return protocol::to_json(chain_properties_, o);
        break;
      case 12:
        if (i == 0) return protocol::to_json(witness_schedule_, o);
        break;
      default:
        break;
    }
  }
  return std::nullopt;
}

bool database::is_known_transaction(const transaction_id_type& id) const {
  return recent_transactions_.contains(id);
}

std::shared_ptr<const produced_block> database::fetch_block_by_number(std::uint32_t num) const {
  if (blocks_.empty() || num == 0 || num > head_block_num()) return nullptr;
  const std::uint32_t first = blocks_.front()->block.block_num();
  if (num < first) return nullptr;
  return blocks_[num - first];
}

// ---- state changes ---------------------------------------------------------------------------

void database::note_changed(object_id_type id) {
  if (track_changes_) changes_.changed.insert(id);
}

void database::note_created(object_id_type id) {
  if (track_changes_) {
    changes_.changed.insert(id);
    changes_.created.insert(id);
  }
}

void database::note_removed(object_id_type id) {
  if (track_changes_) {
    changes_.changed.erase(id);
    if (changes_.created.erase(id) == 0) changes_.removed.insert(id);
  }
}

account_object& database::create_account(account_object account) {
  const std::uint64_t instance = accounts_.size();
  account.id.instance = instance;
  account.statistics.instance = account_statistics_.size();
  account_statistics_object stats;
  stats.id = account.statistics;
  stats.owner = account.id;
  stats.name = account.name;
  accounts_by_name_.emplace(account.name, instance);
  accounts_.push_back(std::move(account));
  account_statistics_.push_back(std::move(stats));
  undo_.record([this] {
    accounts_by_name_.erase(accounts_.back().name);
    accounts_.pop_back();
    account_statistics_.pop_back();
  });
  note_created(object_id_type::of(accounts_.back().id));
  note_created(object_id_type::of(account_statistics_.back().id));
  return accounts_.back();
}

void database::modify_account(account_id_type id, const std::function<void(account_object&)>& f) {
  account_object& a = accounts_[id.instance];
  undo_.record([this, i = id.instance, old = a] { accounts_[i] = old; });
  f(a);
  note_changed(object_id_type::of(id));
}

void database::modify_statistics(account_id_type id,
                                 const std::function<void(account_statistics_object&)>& f) {
  auto& s = account_statistics_[accounts_[id.instance].statistics.instance];
  undo_.record([this, i = s.id.instance, old = s] { account_statistics_[i] = old; });
  f(s);
  note_changed(object_id_type::of(s.id));
}

asset_object& database::create_asset(asset_object a, asset_dynamic_data_object dynamic_data) {
  a.id.instance = assets_.size();
  dynamic_data.id.instance = asset_dynamic_data_.size();
  a.dynamic_asset_data_id = dynamic_data.id;
  assets_by_symbol_.emplace(a.symbol, a.id.instance);
  assets_.push_back(std::move(a));
  asset_dynamic_data_.push_back(dynamic_data);
  undo_.record([this] {
    assets_by_symbol_.erase(assets_.back().symbol);
    assets_.pop_back();
    asset_dynamic_data_.pop_back();
  });
  note_created(object_id_type::of(assets_.back().id));
  note_created(object_id_type::of(asset_dynamic_data_.back().id));
  return assets_.back();
}

void database::modify_asset_dynamic_data(asset_id_type id,
                                         const std::function<void(asset_dynamic_data_object&)>& f) {
  auto& d = asset_dynamic_data_[assets_[id.instance].dynamic_asset_data_id.instance];
  undo_.record([this, i = d.id.instance, old = d] { asset_dynamic_data_[i] = old; });
  f(d);
  note_changed(object_id_type::of(d.id));
}

void database::adjust_balance(account_id_type account, const asset& delta) {
  if (delta.amount == 0) return;
  const auto it = balance_index_.find({account.instance, delta.asset_id.instance});
  if (it == balance_index_.end()) {
    if (delta.amount <= 0) {
      throw_assert("delta.amount > 0", "adjust_balance",
                   "Insufficient Balance: ${a}'s balance of ${b} is less than required ${r}",
                   {{"a", accounts_[account.instance].name},
                    {"b", to_pretty_string(asset{0, delta.asset_id})},
                    {"r", to_pretty_string(asset{-delta.amount, delta.asset_id})}});
    }
    account_balance_object b;
    b.id.instance = balances_.size();
    b.owner = account;
    b.asset_type = delta.asset_id;
    b.balance = delta.amount;
    b.maintenance_flag = delta.asset_id.instance == 0;
    balance_index_.emplace(balance_key{account.instance, delta.asset_id.instance}, b.id.instance);
    balances_.push_back(b);
    undo_.record([this, key = balance_key{account.instance, delta.asset_id.instance}] {
      balance_index_.erase(key);
      balances_.pop_back();
    });
    note_created(object_id_type::of(b.id));
    return;
  }
  auto& b = balances_[it->second];
  if (delta.amount < 0 && b.balance < -delta.amount) {
    throw_assert("abo->get_balance() >= -delta", "adjust_balance",
                 "Insufficient Balance: ${a}'s balance of ${b} is less than required ${r}",
                 {{"a", accounts_[account.instance].name},
                  {"b", to_pretty_string(asset{b.balance, delta.asset_id})},
                  {"r", to_pretty_string(asset{-delta.amount, delta.asset_id})}});
  }
  undo_.record([this, i = b.id.instance, old = b.balance] { balances_[i].balance = old; });
  b.balance += delta.amount;
  note_changed(object_id_type::of(b.id));
}

void database::insert_order_indexes(const limit_order_object& o) {
  order_book_.insert({o.sell_price.base.asset_id.instance, o.sell_price.quote.asset_id.instance,
                      o.sell_price.base.amount, o.sell_price.quote.amount, o.id.instance});
  orders_by_expiration_.insert({o.expiration.sec_since_epoch, o.id.instance});
  orders_by_account_.insert({o.seller.instance, o.id.instance});
}

void database::erase_order_indexes(const limit_order_object& o) {
  order_book_.erase({o.sell_price.base.asset_id.instance, o.sell_price.quote.asset_id.instance,
                     o.sell_price.base.amount, o.sell_price.quote.amount, o.id.instance});
  orders_by_expiration_.erase({o.expiration.sec_since_epoch, o.id.instance});
  orders_by_account_.erase({o.seller.instance, o.id.instance});
}

limit_order_object& database::create_limit_order(limit_order_object order) {
  order.id.instance = next_limit_order_id_++;
  const std::uint64_t instance = order.id.instance;
  auto& stored = limit_orders_.emplace(instance, std::move(order)).first->second;
  insert_order_indexes(stored);
  undo_.record([this, instance] {
    erase_order_indexes(limit_orders_.at(instance));
    limit_orders_.erase(instance);
    --next_limit_order_id_;
  });
  note_created(object_id_type::of(stored.id));
  return stored;
}

void database::modify_limit_order(limit_order_id_type id,
                                  const std::function<void(limit_order_object&)>& f) {
  auto& o = limit_orders_.at(id.instance);
  undo_.record([this, old = o] {
    auto& cur = limit_orders_.at(old.id.instance);
    erase_order_indexes(cur);
    cur = old;
    insert_order_indexes(cur);
  });
  erase_order_indexes(o);
  f(o);
  insert_order_indexes(o);
  note_changed(object_id_type::of(id));
}

void database::remove_limit_order(limit_order_id_type id) {
  auto it = limit_orders_.find(id.instance);
  erase_order_indexes(it->second);
  undo_.record([this, old = it->second] {
    auto& restored = limit_orders_.emplace(old.id.instance, old).first->second;
    insert_order_indexes(restored);
  });
  limit_orders_.erase(it);
  note_removed(object_id_type::of(id));
}

void database::remove_balance_object(protocol::balance_id_type id) {
  auto it = balance_objects_.find(id.instance);
  undo_.record([this, old = it->second] { balance_objects_.emplace(old.id.instance, old); });
  balance_objects_.erase(it);
  note_removed(object_id_type::of(id));
}

}  // namespace bts::chain
