#include "beacon/run_setup.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <climits>
#include <thread>

#include "protocol/json.hpp"
#include "rpc/blocking_client.hpp"
#include "util/error.hpp"

namespace bts::beacon {

namespace json = boost::json;

namespace {

json::value call_or_throw(rpc::blocking_client& c, const std::string& url, std::string_view method,
                          json::array params) {
  auto r = c.call("database", method, std::move(params));
  if (!r) throw input_error(url, std::string(method) + ": " + r.error().to_string());
  return std::move(r).value();
}

std::shared_ptr<std::vector<account>> read_accounts(rpc::blocking_client& c, const std::string& url,
                                                    const std::vector<account_entry>& entries) {
  json::array names;
  for (const auto& a : entries) names.emplace_back(a.name);
  const json::value found = call_or_throw(c, url, "lookup_account_names", {names});
  const auto& list = found.as_array();
  auto accounts = std::make_shared<std::vector<account>>();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    if (i >= list.size() || !list[i].is_object()) {
      throw input_error(
          "accounts", e.name + " not found on " + url + ": run `bts-infra beacon provision` first");
    }
    const auto& obj = list[i].as_object();
    account a{e.name, {}, e.key, e.key.get_public_key(), e.key.get_public_key()};
    a.id.instance = protocol::parse_object_id(json::value_to<std::string>(obj.at("id")), 1, 2);
    if (const auto* opts = obj.if_contains("options"); opts && opts->is_object()) {
      if (const auto* mk = opts->as_object().if_contains("memo_key"); mk && mk->is_string()) {
        a.memo_key = crypto::public_key_from_string(mk->as_string());
      }
    }
    accounts->push_back(std::move(a));
  }
  return accounts;
}

protocol::asset_id_type read_order_asset(rpc::blocking_client& c, const std::string& url,
                                         const std::string& symbol) {
  const json::value assets =
      call_or_throw(c, url, "lookup_asset_symbols", {json::array{json::value(symbol)}});
  const auto& al = assets.as_array();
  if (al.empty() || !al[0].is_object()) {
    throw input_error("order_asset", "asset " + symbol + " not found on " + url +
                                         ": run `bts-infra beacon provision` first");
  }
  protocol::asset_id_type id;
  id.instance =
      protocol::parse_object_id(json::value_to<std::string>(al[0].as_object().at("id")), 1, 3);
  return id;
}

// Symbol and precision of the core asset; BTS and 5 when the node does not say.
asset_format read_core_asset(rpc::blocking_client& c) {
  asset_format f;
  auto r = c.call("database", "get_objects", {json::array{json::value("1.3.0")}});
  if (!r.ok() || !r.value().is_array() || r.value().as_array().empty() ||
      !r.value().as_array()[0].is_object())
    return f;
  const auto& a = r.value().as_array()[0].as_object();
  if (const auto* s = a.if_contains("symbol"); s && s->is_string()) f.symbol = s->as_string();
  if (const auto* p = a.if_contains("precision"); p && p->is_number())
    f.precision =
        static_cast<std::uint8_t>(std::min<std::int64_t>(p->to_number<std::int64_t>(), 12));
  return f;
}

// The core asset units the accounts hold, summed.
std::int64_t read_held(rpc::blocking_client& c, const std::string& url,
                       const std::vector<account>& accounts) {
  std::int64_t held = 0;
  for (const auto& a : accounts) {
    const json::value b =
        call_or_throw(c, url, "get_account_balances",
                      {"1.2." + std::to_string(a.id.instance), json::array{"1.3.0"}});
    if (!b.is_array()) throw input_error(url, "get_account_balances: expected an array");
    for (const auto& e : b.as_array()) {
      const auto* o = e.if_object();
      if (o == nullptr || !o->contains("amount")) continue;
      if (const auto* id = o->if_contains("asset_id"); id && id->is_string() && *id != "1.3.0")
        continue;
      held += protocol::read_json_signed(o->at("amount"), INT64_MIN, INT64_MAX, "int64");
    }
  }
  return held;
}

}  // namespace

run_setup read_run_setup(const beacon_options& o) {
  const std::string& url = o.sc.nodes.front().url;
  rpc::client_options co;
  co.url = url;
  co.call_timeout = o.call_timeout;
  co.connect_timeout = o.connect_timeout;
  co.reconnect = false;
  rpc::blocking_client c(co);
  if (!c.wait_connected(o.connect_timeout)) {
    throw input_error(url, "cannot connect: " + c.async().last_error());
  }
  run_setup s;
  s.chain_id_hex = json::value_to<std::string>(call_or_throw(c, url, "get_chain_id", {}));
  s.chain_id = protocol::chain_id_from_hex(s.chain_id_hex);
  const json::value gp = call_or_throw(c, url, "get_global_properties", {});
  s.parameters = parse_global_properties(gp);
  s.raw_parameters = gp.as_object().at("parameters");
  s.head =
      parse_dynamic_global_properties(call_or_throw(c, url, "get_dynamic_global_properties", {}));
  if (auto cfg = c.call("database", "get_config", {}); cfg.ok() && cfg.value().is_object()) {
    if (const auto* p = cfg.value().as_object().if_contains("GRAPHENE_ADDRESS_PREFIX");
        p && p->is_string()) {
      s.key_prefix = std::string(p->as_string());
    }
  }
  s.accounts = read_accounts(c, url, o.accounts);
  if (!o.sc.order_asset.empty() &&
      (o.sc.mix.limit_order_create > 0 || o.sc.mix.limit_order_cancel > 0)) {
    s.order_asset = read_order_asset(c, url, o.sc.order_asset);
  }
  s.core_asset = read_core_asset(c);
  s.held = read_held(c, url, *s.accounts);
  return s;
}

factory_config factory_config_of(const beacon_options& o, const run_setup& s) {
  factory_config fc;
  fc.beacon_name = o.name;
  fc.seed = o.sc.seed;
  fc.mix = o.sc.mix;
  fc.ops = o.sc.ops;
  fc.amount = o.sc.amount;
  fc.price = o.sc.price;
  fc.expiration_seconds = o.sc.expiration_seconds;
  fc.chain_id = s.chain_id;
  fc.parameters = s.parameters;
  fc.order_asset = s.order_asset;
  fc.key_prefix = s.key_prefix;
  fc.accounts = s.accounts;
  return fc;
}

fee_budget fee_budget_of(const beacon_options& o, const run_setup& s) {
  return compute_fee_budget(o.sc, s.parameters, s.core_asset, s.held,
                            static_cast<std::uint32_t>(s.accounts ? s.accounts->size() : 0));
}

presign_options presign_options_of(const beacon_options& o) {
  presign_options po;
  po.depth = o.sc.presign_depth != 0
                 ? o.sc.presign_depth
                 : scenarios::default_presign_depth(
                       // A search's pool is sized for its last step, not its first.
                       o.sc.search ? load::rate_profile::constant(o.sc.search->max) : o.sc.rate,
                       o.sc.max_in_flight, o.sc.count);
  const unsigned hw = std::max(2u, std::thread::hardware_concurrency());
  po.threads = o.sc.signer_threads != 0 ? o.sc.signer_threads : hw - 1;
  po.min_remaining_seconds = std::min<std::uint32_t>(15, o.sc.expiration_seconds / 4);
  po.limit = o.sc.count.value_or(0);
  return po;
}

}  // namespace bts::beacon
