#include "devnet/api.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <string_view>
#include <unordered_map>

#include "chain/asset_math.hpp"
#include "chain/chain_error.hpp"
#include "chain/config.hpp"
#include "protocol/json.hpp"
#include "protocol/transaction.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"

namespace bts::devnet {

using chain::chain_error;
using chain::object_id_type;
namespace fc_kind = chain::fc_kind;

namespace {

enum class api_kind { database, login, network_broadcast, history, orders, custom_operations };

// Per-connection state kept in rpc::session::state().
struct session_apis {
  std::vector<api_kind> ids{api_kind::database, api_kind::login};

  std::uint64_t id_of(api_kind k) {
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] == k) return i;
    }
    ids.push_back(k);
    return ids.size() - 1;
  }
};

session_apis& apis_of(rpc::session& s) {
  auto& state = s.state();
  if (!state.has_value()) state = session_apis{};
  return std::any_cast<session_apis&>(state);
}

// fc's method_not_found_exception, answered with JSON-RPC -32601.
rpc::rpc_error method_not_found(std::string_view method) {
  json::object data;
  data["code"] = 22;
  data["name"] = "method_not_found_exception";
  data["message"] = "Method Not Found";
  json::object entry;
  entry["context"] = json::object{{"level", "error"}, {"file", "api_connection.hpp"},
                                  {"line", 0},        {"method", "call"},
                                  {"hostname", ""},   {"thread_name", "th_a"}};
  entry["format"] = "No method with name '${name}'";
  entry["data"] = json::object{{"name", method}};
  data["stack"] = json::array{std::move(entry)};
  return rpc::rpc_error::server(rpc::error_codes::method_not_found, "Method not found",
                                std::move(data));
}

rpc::rpc_error to_rpc(const chain_error& e) {
  return rpc::rpc_error::server(e.code(), e.rpc_message(), e.to_json());
}

// Argument conversion failures: fc throws bad_cast / parse errors from variant conversion.
[[noreturn]] void bad_cast(const std::string& what) {
  chain::throw_error(fc_kind::bad_cast, "from_variant", "${what}", {{"what", what}});
}

const json::value& arg(const json::array& args, std::size_t i) {
  if (i >= args.size()) {
    chain::throw_assert("a0 != e || optional_args", "call_generic",
                        "too few arguments passed to method");
  }
  return args[i];
}
bool has_arg(const json::array& args, std::size_t i) {
  return i < args.size() && !args[i].is_null();
}

std::string str_arg(const json::value& v) {
  if (const auto* s = v.if_string()) return std::string(*s);
  if (v.is_int64() || v.is_uint64()) return json::serialize(v);
  bad_cast("Invalid cast from " + protocol::describe_json(v) + " to string");
}
bool bool_arg(const json::value& v) {
  if (v.is_bool()) return v.as_bool();
  if (v.is_int64() || v.is_uint64()) return v.to_number<std::int64_t>() != 0;
  if (const auto* s = v.if_string()) return *s == "true";
  bad_cast("Invalid cast from " + protocol::describe_json(v) + " to bool");
}
std::uint64_t uint_arg(const json::value& v) {
  try {
    return protocol::read_json_unsigned(v, std::numeric_limits<std::uint64_t>::max(), "uint64");
  } catch (const input_error& e) {
    bad_cast(e.what());
  }
}
std::optional<bool> opt_bool(const json::array& args, std::size_t i) {
  if (!has_arg(args, i)) return std::nullopt;
  return bool_arg(args[i]);
}
std::vector<std::string> strings_arg(const json::value& v) {
  const auto* a = v.if_array();
  if (a == nullptr) bad_cast("Invalid cast from " + protocol::describe_json(v) + " to array");
  std::vector<std::string> out;
  for (const auto& item : *a) out.push_back(str_arg(item));
  return out;
}
template <class T>
T from_json_arg(const json::value& v) {
  protocol::json_read_options options;
  options.unknown_fields = protocol::json_read_options::unknown_field_policy::ignore;
  try {
    return protocol::from_json_as<T>(v, options);
  } catch (const input_error& e) {
    bad_cast(e.what());
  }
}
protocol::signed_transaction trx_arg(const json::value& v) {
  protocol::json_read_options options;
  options.unknown_fields = protocol::json_read_options::unknown_field_policy::ignore;
  try {
    return protocol::transaction_from_json(v, options);
  } catch (const input_error& e) {
    bad_cast(e.what());
  }
}
object_id_type object_id_arg(const json::value& v) {
  const auto parsed = object_id_type::parse(str_arg(v));
  if (!parsed) bad_cast("Invalid object id " + protocol::describe_json(v));
  return *parsed;
}

const chain::account_object& account_arg(const chain::database& db, const std::string& name_or_id) {
  if (name_or_id.empty()) chain::throw_assert("name_or_id.size() > 0", "get_account_from_string");
  const auto* a = db.find_account_by_id_or_name(name_or_id);
  if (a == nullptr)
    chain::throw_assert("account_ptr", "get_account_from_string", "no such account");
  return *a;
}
const chain::asset_object& asset_arg(const chain::database& db, const std::string& symbol_or_id) {
  if (symbol_or_id.empty()) chain::throw_assert("symbol_or_id.size() > 0", "get_asset_from_string");
  const auto* a = db.find_asset_by_id_or_symbol(symbol_or_id);
  if (a == nullptr) chain::throw_assert("asset", "get_asset_from_string", "no such asset");
  return *a;
}

json::value opt_json(const auto* object) {
  if (object == nullptr) return nullptr;
  return protocol::to_json(*object);
}

json::value header_json(const chain::signed_block& b, bool with_signature) {
  json::object h = protocol::to_json(static_cast<const chain::block_header&>(b)).as_object();
  if (with_signature) h["witness_signature"] = protocol::to_json(b.witness_signature);
  return h;
}

json::object full_account(const chain::database& db, const chain::account_object& a) {
  json::object out;
  out["account"] = protocol::to_json(a);
  out["statistics"] = protocol::to_json(db.account_statistics(a.id));
  out["registrar_name"] = db.find_account(a.registrar)->name;
  out["referrer_name"] = db.find_account(a.referrer)->name;
  out["lifetime_referrer_name"] = db.find_account(a.lifetime_referrer)->name;
  out["votes"] = json::array();
  json::array balances;
  for (const auto* b : db.account_balances(a.id)) balances.push_back(protocol::to_json(*b));
  out["balances"] = std::move(balances);
  out["vesting_balances"] = json::array();
  json::array orders;
  for (const auto* o : db.account_limit_orders(a.id)) orders.push_back(protocol::to_json(*o));
  out["limit_orders"] = std::move(orders);
  out["call_orders"] = json::array();
  out["settle_orders"] = json::array();
  out["proposals"] = json::array();
  json::array assets;
  for (std::size_t i = 0; i < db.asset_count(); ++i) {
    const auto* asset = db.find_asset(protocol::asset_id_type{i});
    if (asset->issuer == a.id) assets.push_back(protocol::to_json(asset->id));
  }
  out["assets"] = std::move(assets);
  out["withdraws_from"] = json::array();
  out["withdraws_to"] = json::array();
  out["htlcs_from"] = json::array();
  out["htlcs_to"] = json::array();
  json::object more;
  for (const char* k :
       {"balances", "vesting_balances", "limit_orders", "call_orders", "settle_orders", "proposals",
        "assets", "withdraws_from", "withdraws_to", "htlcs_from", "htlcs_to"}) {
    more[k] = false;
  }
  out["more_data_available"] = std::move(more);
  return out;
}

// What a method handler sees.
struct call_context {
  network& net;
  std::size_t node;
  std::shared_ptr<rpc::session> session;
  session_apis& apis;
};

using sync_method = std::function<json::value(call_context&, const json::array&)>;

// get_account_balances(account_name_or_id, [asset ids]): every balance for an empty list,
// else one per asset in id order (a flat_set), zero when there is none.
json::value account_balances(call_context& c, const json::array& args) {
  const auto account = str_arg(arg(args, 0));
  const auto* list = arg(args, 1).if_array();
  if (list == nullptr)
    bad_cast("Invalid cast from " + protocol::describe_json(args[1]) + " to array");
  std::set<std::uint64_t> assets;
  for (const auto& v : *list) assets.insert(from_json_arg<protocol::asset_id_type>(v).instance);
  return c.net.read(c.node, [&](const auto& db) {
    const auto& a = account_arg(db, account);
    json::array result;
    if (assets.empty()) {
      for (const auto* b : db.account_balances(a.id)) {
        result.push_back(protocol::to_json(protocol::asset{b->balance, b->asset_type}));
      }
    } else {
      for (const auto id : assets) {
        const protocol::asset_id_type asset_id{id};
        result.push_back(
            protocol::to_json(protocol::asset{db.get_balance(a.id, asset_id), asset_id}));
      }
    }
    return result;
  });
}

const std::unordered_map<std::string_view, sync_method>& database_methods() {
  static const std::unordered_map<std::string_view, sync_method> methods =
      {
          {"get_chain_id",
           [](call_context& c, const json::array&) -> json::value {
             return json::string(to_hex(c.net.chain_id()));
           }},
          {"get_chain_properties",
           [](call_context& c, const json::array&) -> json::value {
             return c.net.read(
                 c.node, [](const auto& db) { return protocol::to_json(db.chain_properties()); });
           }},
          {"get_global_properties",
           [](call_context& c, const json::array&) -> json::value {
             return c.net.read(
                 c.node, [](const auto& db) { return protocol::to_json(db.global_properties()); });
           }},
          {"get_dynamic_global_properties",
           [](call_context& c, const json::array&) -> json::value {
             return c.net.read(c.node, [](const auto& db) {
               return protocol::to_json(db.dynamic_global_properties());
             });
           }},
          {"get_config",
           [](call_context&, const json::array&) -> json::value { return graphene_config(); }},
          {"get_objects",
           [](call_context& c, const json::array& args) -> json::value {
             const auto* list = arg(args, 0).if_array();
             if (list == nullptr)
               bad_cast("Invalid cast from " + protocol::describe_json(args[0]) + " to array");
             std::vector<object_id_type> ids;
             for (const auto& v : *list) ids.push_back(object_id_arg(v));
             const bool subscribe =
                 c.net.should_subscribe(c.node, c.session->id(), opt_bool(args, 1));
             json::array out = c.net.read(c.node, [&](const auto& db) {
               json::array result;
               for (const auto& id : ids) {
                 auto j = db.object_to_json(id);
                 result.push_back(j ? std::move(*j) : json::value(nullptr));
               }
               return result;
             });
             if (subscribe) c.net.subscribe_objects(c.node, c.session->id(), ids);
             return out;
           }},
          {"get_accounts",
           [](call_context& c, const json::array& args) -> json::value {
             const auto names = strings_arg(arg(args, 0));
             const bool subscribe =
                 c.net.should_subscribe(c.node, c.session->id(), opt_bool(args, 1));
             std::vector<object_id_type> ids;
             json::array out = c.net.read(c.node, [&](const auto& db) {
               json::array result;
               for (const auto& n : names) {
                 const auto* a = db.find_account_by_id_or_name(n);
                 if (a) ids.push_back(object_id_type::of(a->id));
                 result.push_back(opt_json(a));
               }
               return result;
             });
             if (subscribe) c.net.subscribe_objects(c.node, c.session->id(), ids);
             return out;
           }},
          {"get_account_by_name",
           [](call_context& c, const json::array& args) -> json::value {
             const auto name = str_arg(arg(args, 0));
             return c.net.read(
                 c.node, [&](const auto& db) { return opt_json(db.find_account_by_name(name)); });
           }},
          {"lookup_account_names",
           [](call_context& c, const json::array& args) -> json::value {
             const auto names = strings_arg(arg(args, 0));
             return c.net.read(c.node, [&](const auto& db) {
               json::array result;
               for (const auto& n : names) result.push_back(opt_json(db.find_account_by_name(n)));
               return result;
             });
           }},
          {"get_account_count",
           [](call_context& c, const json::array&) -> json::value {
             return c.net.read(c.node, [](const auto& db) { return db.account_count(); });
           }},
          {"lookup_accounts",
           [](call_context& c, const json::array& args) -> json::value {
             const auto lower = str_arg(arg(args, 0));
             const auto limit = uint_arg(arg(args, 1));
             if (!(limit <= 1000))
               chain::throw_assert("limit <= api_limit_lookup_accounts", "lookup_accounts");
             return c.net.read(c.node, [&](const auto& db) {
               std::vector<std::pair<std::string, protocol::account_id_type>> all;
               for (std::size_t i = 0; i < db.account_count(); ++i) {
                 const auto* a = db.find_account(protocol::account_id_type{i});
                 if (a->name >= lower) all.emplace_back(a->name, a->id);
               }
               std::sort(all.begin(), all.end(),
                         [](const auto& x, const auto& y) { return x.first < y.first; });
               json::array result;
               for (std::size_t i = 0; i < all.size() && i < limit; ++i) {
                 result.push_back(
                     json::array{json::string(all[i].first), protocol::to_json(all[i].second)});
               }
               return result;
             });
           }},
          {"get_full_accounts",
           [](call_context& c, const json::array& args) -> json::value {
             const auto names = strings_arg(arg(args, 0));
             const bool subscribe =
                 c.net.should_subscribe(c.node, c.session->id(), opt_bool(args, 1));
             std::vector<object_id_type> ids;
             json::array out = c.net.read(c.node, [&](const auto& db) {
               std::map<std::string, json::object> result;
               for (const auto& n : names) {
                 const auto* a = db.find_account_by_id_or_name(n);
                 if (a == nullptr) continue;
                 ids.push_back(object_id_type::of(a->id));
                 result[n] = full_account(db, *a);
               }
               json::array list;
               for (auto& [k, v] : result)
                 list.push_back(json::array{json::string(k), std::move(v)});
               return list;
             });
             if (subscribe) c.net.subscribe_objects(c.node, c.session->id(), ids);
             return out;
           }},
          {"get_account_balances", account_balances},
          {"get_named_account_balances", account_balances},
          {"lookup_asset_symbols",
           [](call_context& c, const json::array& args) -> json::value {
             const auto symbols = strings_arg(arg(args, 0));
             return c.net.read(c.node, [&](const auto& db) {
               json::array result;
               for (const auto& s : symbols)
                 result.push_back(opt_json(db.find_asset_by_id_or_symbol(s)));
               return result;
             });
           }},
          {"get_assets",
           [](call_context& c, const json::array& args) -> json::value {
             const auto symbols = strings_arg(arg(args, 0));
             return c.net.read(c.node, [&](const auto& db) {
               json::array result;
               for (const auto& s : symbols)
                 result.push_back(opt_json(db.find_asset_by_id_or_symbol(s)));
               return result;
             });
           }},
          {"get_required_fees",
           [](call_context& c, const json::array& args) -> json::value {
             const auto* list = arg(args, 0).if_array();
             if (list == nullptr)
               bad_cast("Invalid cast from " + protocol::describe_json(args[0]) + " to array");
             std::vector<protocol::operation> ops;
             for (const auto& v : *list) ops.push_back(from_json_arg<protocol::operation>(v));
             const auto fee_asset = str_arg(arg(args, 1));
             return c.net.read(c.node, [&](const auto& db) {
               const auto& a = asset_arg(db, fee_asset);
               json::array result;
               for (const auto& op : ops) {
                 const protocol::asset core_fee{db.parameters().current_fees.calculate_fee(op),
                                                protocol::asset_id_type{0}};
                 const protocol::asset fee =
                     a.id.instance == 0
                         ? core_fee
                         : chain::multiply_and_round_up(core_fee, a.options.core_exchange_rate);
                 result.push_back(protocol::to_json(fee));
               }
               return result;
             });
           }},
          {"get_block_header",
           [](call_context& c, const json::array& args) -> json::value {
             const auto num = static_cast<std::uint32_t>(uint_arg(arg(args, 0)));
             const bool with_sig = opt_bool(args, 1).value_or(false);
             return c.net.read(c.node, [&](const auto& db) -> json::value {
               const auto b = db.fetch_block_by_number(num);
               if (!b) return nullptr;
               return header_json(b->block, with_sig);
             });
           }},
          {"get_block_header_batch",
           [](call_context& c, const json::array& args) -> json::value {
             const auto* list = arg(args, 0).if_array();
             if (list == nullptr)
               bad_cast("Invalid cast from " + protocol::describe_json(args[0]) + " to array");
             std::set<std::uint32_t> nums;
             for (const auto& v : *list) nums.insert(static_cast<std::uint32_t>(uint_arg(v)));
             const bool with_sig = opt_bool(args, 1).value_or(false);
             return c.net.read(c.node, [&](const auto& db) {
               json::array result;
               for (const auto n : nums) {
                 const auto b = db.fetch_block_by_number(n);
                 result.push_back(
                     json::array{n, b ? header_json(b->block, with_sig) : json::value(nullptr)});
               }
               return result;
             });
           }},
          {"get_block",
           [](call_context& c, const json::array& args) -> json::value {
             const auto num = static_cast<std::uint32_t>(uint_arg(arg(args, 0)));
             const auto b =
                 c.net.read(c.node, [&](const auto& db) { return db.fetch_block_by_number(num); });
             if (!b) return nullptr;
             return protocol::to_json(b->block);
           }},
          {"get_transaction",
           [](call_context& c, const json::array& args) -> json::value {
             const auto num = static_cast<std::uint32_t>(uint_arg(arg(args, 0)));
             const auto index = uint_arg(arg(args, 1));
             const auto b =
                 c.net.read(c.node, [&](const auto& db) { return db.fetch_block_by_number(num); });
             if (!b) chain::throw_assert("opt_block", "get_transaction");
             if (!(b->block.transactions.size() > index)) {
               chain::throw_assert("opt_block->transactions.size() > trx_num", "get_transaction");
             }
             return protocol::to_json(b->block.transactions[index]);
           }},
          {"get_transaction_hex",
           [](call_context&, const json::array& args) -> json::value {
             return json::string(to_hex(trx_arg(arg(args, 0)).pack()));
           }},
          {"get_transaction_hex_without_sig",
           [](call_context&, const json::array& args) -> json::value {
             return json::string(to_hex(trx_arg(arg(args, 0)).pack_unsigned()));
           }},
          {"get_limit_orders",
           [](call_context& c, const json::array& args) -> json::value {
             const auto a = str_arg(arg(args, 0));
             const auto b = str_arg(arg(args, 1));
             const auto limit = uint_arg(arg(args, 2));
             if (!(limit <= 300))
               chain::throw_assert("limit <= api_limit_get_limit_orders", "get_limit_orders");
             return c.net.read(c.node, [&](const auto& db) {
               const auto a_id = asset_arg(db, a).id;
               const auto b_id = asset_arg(db, b).id;
               json::array result;
               for (const auto* o : db.limit_orders(a_id, b_id, limit))
                 result.push_back(protocol::to_json(*o));
               for (const auto* o : db.limit_orders(b_id, a_id, limit))
                 result.push_back(protocol::to_json(*o));
               return result;
             });
           }},
          {"get_key_references",
           [](call_context& c, const json::array& args) -> json::value {
             const auto keys = from_json_arg<std::vector<protocol::public_key_type>>(arg(args, 0));
             return c.net.read(c.node, [&](const auto& db) {
               json::array result;
               for (const auto& key : keys) {
                 json::array refs;
                 for (std::size_t i = 0; i < db.account_count(); ++i) {
                   const auto* a = db.find_account(protocol::account_id_type{i});
                   bool uses = a->options.memo_key == key;
                   for (const auto& [k, w] : a->owner.key_auths) uses = uses || k == key;
                   for (const auto& [k, w] : a->active.key_auths) uses = uses || k == key;
                   if (uses) refs.push_back(protocol::to_json(a->id));
                 }
                 result.push_back(std::move(refs));
               }
               return result;
             });
           }},
          {"get_balance_objects",
           [](call_context& c, const json::array& args) -> json::value {
             const auto owners = from_json_arg<std::vector<protocol::address>>(arg(args, 0));
             return c.net.read(c.node, [&](const auto& db) {
               json::array result;
               for (const auto& owner : owners) {
                 for (const auto* b : db.balance_objects_of(owner))
                   result.push_back(protocol::to_json(*b));
               }
               return result;
             });
           }},
          {"get_witnesses",
           [](call_context& c, const json::array& args) -> json::value {
             const auto* list = arg(args, 0).if_array();
             if (list == nullptr)
               bad_cast("Invalid cast from " + protocol::describe_json(args[0]) + " to array");
             std::vector<chain::witness_id_type> ids;
             for (const auto& v : *list) ids.push_back(from_json_arg<chain::witness_id_type>(v));
             return c.net.read(c.node, [&](const auto& db) {
               json::array result;
               for (const auto& id : ids) result.push_back(opt_json(db.find_witness(id)));
               return result;
             });
           }},
          {"get_potential_signatures",
           [](call_context& c, const json::array& args) -> json::value {
             const auto trx = trx_arg(arg(args, 0));
             return c.net.read(c.node, [&](const auto& db) {
               return protocol::to_json(db.get_potential_signatures(trx));
             });
           }},
          {"get_required_signatures",
           [](call_context& c, const json::array& args) -> json::value {
             auto trx = trx_arg(arg(args, 0));
             const auto available =
                 from_json_arg<std::vector<protocol::public_key_type>>(arg(args, 1));
             const auto ptx = c.net.precompute(std::move(trx));
             return c.net.read(c.node, [&](const auto& db) {
               return protocol::to_json(db.get_required_signatures(*ptx, available));
             });
           }},
          {"verify_authority",
           [](call_context& c, const json::array& args) -> json::value {
             const auto ptx = c.net.precompute(trx_arg(arg(args, 0)));
             c.net.read(c.node, [&](const auto& db) { db.verify_authority(*ptx); });
             return true;
           }},
          {"validate_transaction",
           [](call_context& c, const json::array& args) -> json::value {
             const auto ptx = c.net.precompute(trx_arg(arg(args, 0)));
             const auto processed =
                 c.net.write(c.node, [&](auto& db) { return db.validate_transaction(*ptx); });
             return protocol::to_json(processed);
           }},
          {"set_subscribe_callback",
           [](call_context& c, const json::array& args) -> json::value {
             const auto cb = uint_arg(arg(args, 0));
             const bool notify_remove_create = bool_arg(arg(args, 1));
             c.net.set_subscribe_callback(c.node, c.session, cb, notify_remove_create);
             return nullptr;
           }},
          {"set_pending_transaction_callback",
           [](call_context& c, const json::array& args) -> json::value {
             c.net.set_pending_transaction_callback(c.node, c.session, uint_arg(arg(args, 0)));
             return nullptr;
           }},
          {"set_block_applied_callback",
           [](call_context& c, const json::array& args) -> json::value {
             c.net.set_block_applied_callback(c.node, c.session, uint_arg(arg(args, 0)));
             return nullptr;
           }},
          {"set_auto_subscription",
           [](call_context& c, const json::array& args) -> json::
                                                            value {
                                                              c.net.set_auto_subscription(
                                                                  c.node, c.session,
                                                                  bool_arg(arg(args, 0)));
                                                              return nullptr;
                                                            }},
          {"cancel_all_subscriptions",
           [](call_context& c, const json::array&) -> json::
                                                       value {
                                                         c.net.cancel_all_subscriptions(
                                                             c.node, c.session->id());
                                                         return nullptr;
                                                       }},
      };
  return methods;
}

const std::unordered_map<std::string_view, sync_method>& history_methods() {
  // The devnet keeps no operation history (docs/devnet.md): these answer with empty results.
  static const std::unordered_map<std::string_view, sync_method> methods = {
      {"get_account_history",
       [](call_context&, const json::array&) -> json::value { return json::array(); }},
      {"get_relative_account_history",
       [](call_context&, const json::array&) -> json::value { return json::array(); }},
      {"get_account_history_operations",
       [](call_context&, const json::array&) -> json::value { return json::array(); }},
      {"get_fill_order_history",
       [](call_context&, const json::array&) -> json::value { return json::array(); }},
      {"get_market_history",
       [](call_context&, const json::array&) -> json::value { return json::array(); }},
      {"get_market_history_buckets",
       [](call_context&, const json::array&) -> json::value { return json::array(); }},
  };
  return methods;
}

// login_api methods that hand out an API, and whether the default api-access lets anyone use it.
std::optional<std::pair<api_kind, bool>> login_api_getter(std::string_view method) {
  if (method == "database") return std::pair{api_kind::database, true};
  if (method == "network_broadcast") return std::pair{api_kind::network_broadcast, true};
  if (method == "history") return std::pair{api_kind::history, true};
  if (method == "orders") return std::pair{api_kind::orders, true};
  if (method == "custom_operations") return std::pair{api_kind::custom_operations, true};
  if (method == "block" || method == "network_node" || method == "crypto" || method == "asset" ||
      method == "debug") {
    return std::pair{api_kind::database, false};
  }
  return std::nullopt;
}

// Calls a login_api method. Returns nullopt for an unknown method.
std::optional<json::value> call_login(call_context& c, std::string_view method,
                                      const json::array& args) {
  if (const auto getter = login_api_getter(method)) {
    if (!getter->second) chain::throw_assert("is_allowed", method, "Access denied");
    return json::value(c.apis.id_of(getter->first));
  }
  if (method == "login") {
    arg(args, 1);
    return json::value(true);
  }
  if (method == "logout") return json::value(true);
  if (method == "get_api_by_name") {
    const auto name = str_arg(arg(args, 0));
    std::string_view n = name;
    if (n.size() > 4 && n.substr(n.size() - 4) == "_api") n.remove_suffix(4);
    const auto getter = login_api_getter(n);
    if (!getter || !getter->second) return json::value(nullptr);
    return json::value(c.apis.id_of(getter->first));
  }
  if (method == "get_available_api_sets") {
    return json::value(json::array{"database_api", "network_broadcast_api", "history_api",
                                   "orders_api", "custom_operations_api"});
  }
  if (method == "get_config") return json::value(graphene_config());
  if (method == "get_info") {
    return json::value(json::object{{"chain_id", to_hex(c.net.chain_id())}, {"devnet", true}});
  }
  return std::nullopt;
}

}  // namespace

json::object graphene_config() {
  json::object o;
  o["GRAPHENE_SYMBOL"] = chain::config::core_symbol;
  o["GRAPHENE_ADDRESS_PREFIX"] = chain::config::address_prefix;
  o["GRAPHENE_MIN_ACCOUNT_NAME_LENGTH"] = chain::config::min_account_name_length;
  o["GRAPHENE_MAX_ACCOUNT_NAME_LENGTH"] = chain::config::max_account_name_length;
  o["GRAPHENE_MIN_ASSET_SYMBOL_LENGTH"] = chain::config::min_asset_symbol_length;
  o["GRAPHENE_MAX_ASSET_SYMBOL_LENGTH"] = chain::config::max_asset_symbol_length;
  o["GRAPHENE_MAX_SHARE_SUPPLY"] = std::to_string(chain::config::max_share_supply);
  o["GRAPHENE_MAX_SIG_CHECK_DEPTH"] = chain::config::max_sig_check_depth;
  o["GRAPHENE_MIN_TRANSACTION_SIZE_LIMIT"] = 1024;
  o["GRAPHENE_MIN_BLOCK_INTERVAL"] = 1;
  o["GRAPHENE_MAX_BLOCK_INTERVAL"] = 30;
  o["GRAPHENE_DEFAULT_BLOCK_INTERVAL"] = 5;
  o["GRAPHENE_DEFAULT_MAX_TRANSACTION_SIZE"] = 2048;
  o["GRAPHENE_DEFAULT_MAX_BLOCK_SIZE"] = 2000000;
  o["GRAPHENE_DEFAULT_MAX_TIME_UNTIL_EXPIRATION"] = 86400;
  o["GRAPHENE_DEFAULT_MAINTENANCE_INTERVAL"] = 86400;
  o["GRAPHENE_DEFAULT_MAINTENANCE_SKIP_SLOTS"] = 3;
  o["GRAPHENE_MIN_BLOCK_SIZE_LIMIT"] = 5120;
  o["GRAPHENE_BLOCKCHAIN_PRECISION"] = chain::config::core_precision;
  o["GRAPHENE_BLOCKCHAIN_PRECISION_DIGITS"] = chain::config::core_precision_digits;
  o["GRAPHENE_100_PERCENT"] = chain::config::percent_100;
  o["GRAPHENE_1_PERCENT"] = chain::config::percent_1;
  o["GRAPHENE_IRREVERSIBLE_THRESHOLD"] = chain::config::irreversible_threshold;
  o["GRAPHENE_DEFAULT_NETWORK_PERCENT_OF_FEE"] = chain::config::default_network_percent_of_fee;
  o["GRAPHENE_NET_MAX_MESSAGE_SIZE"] = chain::config::p2p_max_message_size;
  o["GRAPHENE_COMMITTEE_ACCOUNT"] = "1.2.0";
  o["GRAPHENE_WITNESS_ACCOUNT"] = "1.2.1";
  o["GRAPHENE_RELAXED_COMMITTEE_ACCOUNT"] = "1.2.2";
  o["GRAPHENE_NULL_ACCOUNT"] = "1.2.3";
  o["GRAPHENE_TEMP_ACCOUNT"] = "1.2.4";
  o["GRAPHENE_PROXY_TO_SELF_ACCOUNT"] = "1.2.5";
  return o;
}

api::api(std::shared_ptr<network> net, std::size_t node) : net_(std::move(net)), node_(node) {}

void api::on_close(rpc::session& session) { net_->forget_session(node_, session.id()); }

asio::awaitable<rpc::call_result> api::handle(std::shared_ptr<rpc::session> session,
                                              rpc::rpc_request request) {
  session_apis& apis = apis_of(*session);
  call_context c{*net_, node_, session, apis};
  try {
    api_kind kind = api_kind::database;
    std::string method;
    json::array args;
    if (request.method == "call") {
      const auto& p = request.params;
      if (!(p.size() == 3 && p[2].is_array())) {
        chain::throw_assert("args.size() == 3 && args[2].is_array()", "call");
      }
      std::uint64_t api_id = 0;
      if (const auto* name = p[0].if_string()) {
        const auto resolved = call_login(c, std::string_view(*name), {});
        if (!resolved) co_return method_not_found(*name);
        api_id = resolved->to_number<std::uint64_t>();
      } else {
        api_id = uint_arg(p[0]);
      }
      if (!(apis.ids.size() > api_id))
        chain::throw_assert("_local_apis.size() > api_id", "receive_call");
      kind = apis.ids[api_id];
      method = str_arg(p[1]);
      args = p[2].get_array();
    } else if (request.method == "notice" || request.method == "callback") {
      chain::throw_assert("_local_callbacks.size() > callback_id", "receive_notice");
    } else {
      method = request.method;  // fc dispatches a bare method to API 0
      args = std::move(request.params);
    }

    switch (kind) {
      case api_kind::login: {
        auto r = call_login(c, method, args);
        if (!r) co_return method_not_found(method);
        co_return std::move(*r);
      }
      case api_kind::database: {
        const auto& methods = database_methods();
        const auto it = methods.find(method);
        if (it == methods.end()) co_return method_not_found(method);
        co_return it->second(c, args);
      }
      case api_kind::history: {
        const auto& methods = history_methods();
        const auto it = methods.find(method);
        if (it == methods.end()) co_return method_not_found(method);
        co_return it->second(c, args);
      }
      case api_kind::orders:
      case api_kind::custom_operations:
        co_return method_not_found(method);
      case api_kind::network_broadcast:
        break;
    }

    // network_broadcast_api
    if (method == "broadcast_transaction") {
      auto ptx = net_->precompute(trx_arg(arg(args, 0)));
      net_->broadcast(node_, std::move(ptx));
      co_return json::value(nullptr);
    }
    if (method == "broadcast_transaction_with_callback") {
      const auto cb = uint_arg(arg(args, 0));
      auto ptx = net_->precompute(trx_arg(arg(args, 1)));
      std::weak_ptr<rpc::session> weak = session;
      net_->broadcast(node_, std::move(ptx), session->id(),
                      [weak, cb](std::optional<json::object> result) {
                        if (!result) return;
                        if (auto s = weak.lock()) s->notify(cb, json::array{std::move(*result)});
                      });
      co_return json::value(nullptr);
    }
    if (method == "broadcast_transaction_synchronous") {
      auto ptx = net_->precompute(trx_arg(arg(args, 0)));
      using channel_t =
          asio::experimental::concurrent_channel<void(boost::system::error_code, json::value)>;
      auto channel = std::make_shared<channel_t>(co_await asio::this_coro::executor, 1);
      net_->broadcast(
          node_, std::move(ptx), session->id(), [channel](std::optional<json::object> result) {
            if (result) {
              channel->try_send(boost::system::error_code{}, json::value(std::move(*result)));
            } else {
              channel->close();
            }
          });
      auto [ec, value] = co_await channel->async_receive(asio::as_tuple(asio::use_awaitable));
      if (ec)
        co_return rpc::rpc_error::server(rpc::error_codes::internal_error, "Internal error",
                                         "session closed");
      co_return std::move(value);
    }
    if (method == "broadcast_block") {
      chain::throw_assert(
          "false", "broadcast_block",
          "bts-infra devnet: only its own producer makes blocks (see docs/devnet.md)");
    }
    co_return method_not_found(method);
  } catch (const chain_error& e) {
    co_return to_rpc(e);
  } catch (const input_error& e) {
    co_return to_rpc(
        chain_error(fc_kind::bad_cast, {"${what}", {{"what", e.what()}}, "from_variant", {}}));
  }
}

}  // namespace bts::devnet
