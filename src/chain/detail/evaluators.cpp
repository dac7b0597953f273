// Operation evaluators, following bitshares-core's transfer_evaluator.cpp, market_evaluator.cpp,
// account_evaluator.cpp, asset_evaluator.cpp and evaluator.cpp (fees), with their checks in the
// same order and their messages.
#include <set>

#include "chain/asset_math.hpp"
#include "chain/chain_error.hpp"
#include "chain/config.hpp"
#include "chain/detail/evaluation.hpp"
#include "crypto/keys.hpp"
#include "protocol/json.hpp"

namespace bts::chain {

using protocol::asset;
using namespace protocol;

struct evaluation::impl {
  impl(database& db, const database::block_context& ctx) : d(db), context(ctx) {}

  database& d;
  const database::block_context& context;

  // generic_evaluator state
  const account_object* fee_paying_account = nullptr;
  const asset_object* fee_asset = nullptr;
  asset fee_from_account;
  share_type core_fee_paid = 0;

  // ---- lookups as `id(db)` does: "Unable to find Object" ----
  [[noreturn]] static void not_found(object_id_type id) {
    throw_assert("maybe_found != nullptr", "get", "Unable to find Object ${id}",
                 {{"id", id.to_string()}});
  }
  const account_object& account(account_id_type id) const {
    const auto* a = d.find_account(id);
    if (a == nullptr) not_found(object_id_type::of(id));
    return *a;
  }
  const asset_object& asset_obj(asset_id_type id) const {
    const auto* a = d.find_asset(id);
    if (a == nullptr) not_found(object_id_type::of(id));
    return *a;
  }

  // is_authorized_asset (is_authorized_asset.cpp)
  static bool is_authorized_asset(const account_object& acct, const asset_object& a) {
    if (acct.allowed_assets) {
      bool allowed = false;
      for (const auto& id : *acct.allowed_assets) allowed = allowed || id == a.id;
      if (!allowed) return false;
    }
    if (!(a.options.flags & config::white_list)) return true;
    for (const auto& id : acct.blacklisting_accounts) {
      for (const auto& b : a.options.blacklist_authorities) {
        if (b == id) return false;
      }
    }
    if (a.options.whitelist_authorities.empty()) return true;
    for (const auto& id : acct.whitelisting_accounts) {
      for (const auto& w : a.options.whitelist_authorities) {
        if (w == id) return true;
      }
    }
    return false;
  }

  boost::json::value js(const auto& v) const { return protocol::to_json(v); }

  // ---- generic_evaluator ----
  void prepare_fee(account_id_type payer, const asset& fee) {
    fee_from_account = fee;
    if (!(fee.amount >= 0)) throw_assert("fee.amount >= 0", "prepare_fee");
    fee_paying_account = &account(payer);
    fee_asset = &asset_obj(fee.asset_id);
    if (!is_authorized_asset(*fee_paying_account, *fee_asset)) {
      throw_assert(
          "is_authorized_asset( d, *fee_paying_account, *fee_asset )", "prepare_fee",
          "Account ${acct} '${name}' attempted to pay fee by using asset ${a} '${sym}', which is "
          "unauthorized due to whitelist / blacklist",
          {{"acct", js(fee_paying_account->id)},
           {"name", fee_paying_account->name},
           {"a", js(fee_asset->id)},
           {"sym", fee_asset->symbol}});
    }
    if (fee.asset_id.instance == 0) {
      core_fee_paid = fee.amount;
    } else {
      const asset fee_from_pool = multiply(fee, fee_asset->options.core_exchange_rate);
      if (fee_from_pool.asset_id.instance != 0)
        throw_assert("fee_from_pool.asset_id == asset_id_type()", "prepare_fee");
      core_fee_paid = fee_from_pool.amount;
      const auto& dyn = d.asset_dynamic_data(fee_asset->id);
      if (core_fee_paid > dyn.fee_pool) {
        throw_assert("core_fee_paid <= fee_asset_dyn_data->fee_pool", "prepare_fee",
                     "Fee pool balance of '${b}' is less than the ${r} required to convert ${c}",
                     {{"r", d.to_pretty_string(fee_from_pool)},
                      {"b", d.to_pretty_string(asset{dyn.fee_pool, asset_id_type{0}})},
                      {"c", d.to_pretty_string(fee)}});
      }
    }
  }

  void check_fee(const operation& op) {
    const share_type required = d.parameters().current_fees.calculate_fee(op);
    if (core_fee_paid < required) {
      throw_error(fc_kind::insufficient_fee, "evaluate", "Insufficient Fee Paid",
                  {{"core_fee_paid", js(core_fee_paid)}, {"required", js(required)}});
    }
  }

  void convert_fee() {
    if (fee_asset->id.instance != 0) {
      d.modify_asset_dynamic_data(fee_asset->id, [&](asset_dynamic_data_object& dyn) {
        dyn.accumulated_fees += fee_from_account.amount;
        dyn.fee_pool -= core_fee_paid;
      });
    }
  }

  void pay_fee() {
    const share_type threshold = d.parameters().cashback_vesting_threshold;
    const share_type paid = core_fee_paid;
    d.modify_statistics(fee_paying_account->id,
                        [&](account_statistics_object& s) { s.pay_fee(paid, threshold); });
  }

  void pay_deducted_fee(account_id_type payer) {
    d.adjust_balance(payer, asset{-fee_from_account.amount, fee_from_account.asset_id});
  }

  [[noreturn]] static void not_implemented(std::string_view op_name) {
    throw_assert("false", "do_evaluate",
                 "bts-infra devnet: ${op} operations are not implemented (see docs/devnet.md)",
                 {{"op", std::string(op_name)}});
  }

  // FC_RETHROW_EXCEPTIONS: adds a message to any chain_error leaving `f`.
  template <class F>
  static auto rethrow_with(F&& f, std::string format, boost::json::object data,
                           std::string_view method) {
    try {
      return f();
    } catch (chain_error& e) {
      e.append({std::move(format), std::move(data), method, {}});
      throw;
    }
  }

  // ---- transfer_evaluator ----
  operation_result apply_op(const transfer_operation& op) {
    prepare_fee(op.from, op.fee);
    check_fee(op);
    const account_object& from = account(op.from);
    const account_object& to = account(op.to);
    const asset_object& asset_type = asset_obj(op.amount.asset_id);
    rethrow_with(
        [&] {
          if (!is_authorized_asset(from, asset_type)) {
            throw_error(fc_kind::transfer_from_account_not_whitelisted, "do_evaluate",
                        "'from' account ${from} is not whitelisted for asset ${asset}",
                        {{"from", js(op.from)}, {"asset", js(op.amount.asset_id)}});
          }
          if (!is_authorized_asset(to, asset_type)) {
            throw_error(fc_kind::transfer_to_account_not_whitelisted, "do_evaluate",
                        "'to' account ${to} is not whitelisted for asset ${asset}",
                        {{"to", js(op.to)}, {"asset", js(op.amount.asset_id)}});
          }
          if (asset_type.options.flags & config::transfer_restricted) {
            if (!(from.id == asset_type.issuer || to.id == asset_type.issuer)) {
              throw_error(fc_kind::transfer_restricted_transfer_asset, "do_evaluate",
                          "Asset ${asset} has transfer_restricted flag enabled",
                          {{"asset", js(op.amount.asset_id)}});
            }
          }
          const share_type balance = d.get_balance(from.id, asset_type.id);
          if (!(balance >= op.amount.amount)) {
            throw_assert("insufficient_balance", "do_evaluate",
                         "Insufficient Balance: ${balance}, unable to transfer '${total_transfer}' "
                         "from account "
                         "'${a}' to '${t}'",
                         {{"a", from.name},
                          {"t", to.name},
                          {"total_transfer", d.to_pretty_string(op.amount)},
                          {"balance", d.to_pretty_string(asset{balance, asset_type.id})}});
          }
          return 0;
        },
        "Unable to transfer ${a} from ${f} to ${t}",
        {{"a", d.to_pretty_string(op.amount)}, {"f", from.name}, {"t", to.name}}, "do_evaluate");

    convert_fee();
    pay_fee();
    d.adjust_balance(op.from, asset{-op.amount.amount, op.amount.asset_id});
    d.adjust_balance(op.to, op.amount);
    pay_deducted_fee(op.from);
    return void_result{};
  }

  // ---- override_transfer_evaluator ----
  operation_result apply_op(const override_transfer_operation& op) {
    prepare_fee(op.issuer, op.fee);
    check_fee(op);
    const asset_object& asset_type = asset_obj(op.amount.asset_id);
    if (!(asset_type.options.issuer_permissions & config::override_authority) ||
        !(asset_type.options.flags & config::override_authority)) {
      throw_error({3053801, "override_transfer_not_permitted", "not permitted"}, "do_evaluate",
                  "override_transfer not permitted for asset ${asset}",
                  {{"asset", js(op.amount.asset_id)}});
    }
    if (!(asset_type.issuer == op.issuer))
      throw_assert("asset_type.issuer == op.issuer", "do_evaluate");
    const account_object& from = account(op.from);
    const account_object& to = account(op.to);
    if (!is_authorized_asset(to, asset_type))
      throw_assert("is_authorized_asset( d, to_account, asset_type )", "do_evaluate");
    if (!is_authorized_asset(from, asset_type))
      throw_assert("is_authorized_asset( d, from_account, asset_type )", "do_evaluate");
    const share_type balance = d.get_balance(from.id, asset_type.id);
    if (!(balance >= op.amount.amount)) {
      throw_assert("d.get_balance( from_account, asset_type ).amount >= op.amount.amount",
                   "do_evaluate", "",
                   {{"total_transfer", js(op.amount)}, {"balance", js(balance)}});
    }
    convert_fee();
    pay_fee();
    d.adjust_balance(op.from, asset{-op.amount.amount, op.amount.asset_id});
    d.adjust_balance(op.to, op.amount);
    pay_deducted_fee(op.issuer);
    return void_result{};
  }

  // ---- limit_order_create_evaluator ----
  operation_result apply_op(const limit_order_create_operation& op) {
    prepare_fee(op.seller, op.fee);
    check_fee(op);
    if (!(op.expiration >= d.head_block_time()))
      throw_assert("op.expiration >= d.head_block_time()", "do_evaluate");
    const account_object& seller = *fee_paying_account;
    const asset_object& sell_asset = asset_obj(op.amount_to_sell.asset_id);
    const asset_object& receive_asset = asset_obj(op.min_to_receive.asset_id);
    if (!sell_asset.options.whitelist_markets.empty()) {
      bool listed = false;
      for (const auto& m : sell_asset.options.whitelist_markets)
        listed = listed || m == receive_asset.id;
      if (!listed) {
        throw_error(fc_kind::limit_order_create_market_not_whitelisted, "do_evaluate",
                    "This market has not been whitelisted by the selling asset");
      }
    }
    if (!sell_asset.options.blacklist_markets.empty()) {
      for (const auto& m : sell_asset.options.blacklist_markets) {
        if (m == receive_asset.id) {
          throw_error(fc_kind::limit_order_create_market_blacklisted, "do_evaluate",
                      "This market has been blacklisted by the selling asset");
        }
      }
    }
    if (!is_authorized_asset(seller, sell_asset)) {
      throw_error(fc_kind::limit_order_create_selling_asset_unauthorized, "do_evaluate",
                  "The account is not allowed to transact the selling asset");
    }
    if (!is_authorized_asset(seller, receive_asset)) {
      throw_error(fc_kind::limit_order_create_receiving_asset_unauthorized, "do_evaluate",
                  "The account is not allowed to transact the receiving asset");
    }
    const share_type balance = d.get_balance(seller.id, sell_asset.id);
    if (!(balance >= op.amount_to_sell.amount)) {
      throw_error(fc_kind::limit_order_create_insufficient_balance, "do_evaluate",
                  "insufficient balance",
                  {{"balance", js(asset{balance, sell_asset.id})},
                   {"amount_to_sell", js(op.amount_to_sell)}});
    }
    if (op.extensions.value.on_fill && !op.extensions.value.on_fill->empty()) {
      not_implemented("limit_order_create with on_fill (take profit)");
    }

    // convert_fee after HARDFORK_CORE_604: the pool pays now, nothing is accumulated yet;
    // pay_fee after HARDFORK_445: the fee is deferred into the order.
    if (fee_asset->id.instance != 0) {
      d.modify_asset_dynamic_data(
          fee_asset->id, [&](asset_dynamic_data_object& dyn) { dyn.fee_pool -= core_fee_paid; });
    }
    const share_type deferred_fee = core_fee_paid;
    const asset deferred_paid_fee =
        fee_asset->id.instance != 0 ? fee_from_account : asset{0, asset_id_type{0}};

    if (op.amount_to_sell.asset_id.instance == 0) {
      d.modify_statistics(seller.id, [&](account_statistics_object& s) {
        s.total_core_in_orders += op.amount_to_sell.amount;
      });
    }
    d.adjust_balance(op.seller, asset{-op.amount_to_sell.amount, op.amount_to_sell.asset_id});
    limit_order_object order;
    order.seller = seller.id;
    order.for_sale = op.amount_to_sell.amount;
    order.sell_price = {op.amount_to_sell, op.min_to_receive};
    order.expiration = op.expiration;
    order.deferred_fee = deferred_fee;
    order.deferred_paid_fee = deferred_paid_fee;
    const limit_order_id_type order_id = d.create_limit_order(std::move(order)).id;
    const bool filled = d.apply_order(order_id);
    if (op.fill_or_kill && !filled) {
      throw_error(fc_kind::limit_order_create_kill_unfilled, "do_apply",
                  "Killing limit order ${op} due to unable to fill", {{"op", js(op)}});
    }
    pay_deducted_fee(op.seller);
    return object_id_type::of(order_id);
  }

  // ---- limit_order_cancel_evaluator ----
  operation_result apply_op(const limit_order_cancel_operation& op) {
    prepare_fee(op.fee_paying_account, op.fee);
    check_fee(op);
    const limit_order_object* order = d.find_limit_order(op.order);
    if (order == nullptr) {
      throw_error(fc_kind::limit_order_cancel_nonexist_order, "do_evaluate",
                  "Limit order ${oid} does not exist", {{"oid", js(op.order)}});
    }
    if (!(order->seller == op.fee_paying_account)) {
      throw_error(fc_kind::limit_order_cancel_owner_mismatch, "do_evaluate",
                  "Limit order ${oid} is owned by someone else", {{"oid", js(op.order)}});
    }
    convert_fee();
    pay_fee();
    const asset refunded = d.cancel_limit_order(op.order, false);
    pay_deducted_fee(op.fee_paying_account);
    return refunded;
  }

  // ---- call_order_update_evaluator: the devnet has no market-issued assets ----
  operation_result apply_op(const call_order_update_operation& op) {
    prepare_fee(op.funding_account, op.fee);
    check_fee(op);
    const asset_object& debt = asset_obj(op.delta_debt.asset_id);
    if (!debt.is_market_issued()) {
      throw_assert("_debt_asset->is_market_issued()", "do_evaluate",
                   "Unable to cover ${sym} as it is not a collateralized asset.",
                   {{"sym", debt.symbol}});
    }
    not_implemented("call_order_update");
  }

  // asset_options::validate_flags (asset_ops.cpp), run by asset_create's do_evaluate.
  static void validate_flags(const asset_options& o, bool is_market_issued,
                             bool allow_disable_collateral_bid) {
    const auto check = [](bool ok, std::string_view expression, std::string_view message) {
      if (!ok) throw_assert(expression, "validate_flags", message);
    };
    // ASSET_ISSUER_PERMISSION_MASK has all 16 bits: "Can not set an unknown bit in flags" never
    // fires on a uint16_t.
    if (!allow_disable_collateral_bid) {
      check((o.flags & 0x8000) == 0, "0 == (flags & disable_collateral_bidding)",
            "Can not set the 'disable_collateral_bidding' bit in flags between the core-2281 "
            "hardfork and the BSIP_48_75 hardfork");
    }
    check((o.flags & 0x800) == 0, "0 == (flags & disable_mcr_update)",
          "Can not set disable_mcr_update flag, it is for issuer permission only");
    check((o.flags & 0x1000) == 0, "0 == (flags & disable_icr_update)",
          "Can not set disable_icr_update flag, it is for issuer permission only");
    check((o.flags & 0x2000) == 0, "0 == (flags & disable_mssr_update)",
          "Can not set disable_mssr_update flag, it is for issuer permission only");
    check((o.flags & 0x4000) == 0, "0 == (flags & disable_bsrm_update)",
          "Can not set disable_bsrm_update flag, it is for issuer permission only");
    if (!is_market_issued) {
      // UIA_ASSET_ISSUER_PERMISSION_MASK: charge_market_fee, white_list, override_authority,
      // transfer_restricted, disable_confidential, lock_max_supply, disable_new_supply.
      constexpr unsigned uia_mask = 0x01 | 0x02 | 0x04 | 0x08 | 0x40 | 0x200 | 0x400;
      check((o.flags & ~uia_mask & 0xffffu) == 0,
            "0 == (flags & (uint16_t)(~UIA_ASSET_ISSUER_PERMISSION_MASK))",
            "Can not set a flag for bitassets only to UIA");
    }
  }

  // verify_authority_accounts (account_evaluator.cpp), recoded to the operation's exceptions.
  void verify_authority_accounts(const authority& a, const fc_exception_kind& max_exceeded,
                                 const fc_exception_kind& not_found_kind) {
    const std::size_t n = a.account_auths.size() + a.key_auths.size() + a.address_auths.size();
    if (n > d.parameters().maximum_authority_membership) {
      throw_error(max_exceeded, "verify_authority_accounts",
                  "Maximum authority membership exceeded");
    }
    for (const auto& [acct, weight] : a.account_auths) {
      if (d.find_account(acct) == nullptr) {
        throw_error(not_found_kind, "verify_authority_accounts",
                    "Account ${a} specified in authority does not exist", {{"a", js(acct)}});
      }
    }
  }

  void verify_account_votes(const account_options& options) {
    const auto& params = d.parameters();
    if (!(options.num_witness <= params.maximum_witness_count)) {
      throw_assert("options.num_witness <= chain_params.maximum_witness_count",
                   "verify_account_votes", "Voted for more witnesses than currently allowed (${c})",
                   {{"c", params.maximum_witness_count}});
    }
    if (!(options.num_committee <= params.maximum_committee_count)) {
      throw_assert("options.num_committee <= chain_params.maximum_committee_count",
                   "verify_account_votes",
                   "Voted for more committee members than currently allowed (${c})",
                   {{"c", params.maximum_committee_count}});
    }
    if (d.find_account(options.voting_account) == nullptr) {
      throw_assert("db.find(options.voting_account)", "verify_account_votes",
                   "Invalid proxy account specified.");
    }
    const std::uint32_t max_vote_id = d.global_properties().next_available_vote_id;
    for (const auto& id : options.votes) {
      if (!(id.instance() < max_vote_id)) {
        throw_assert("id < max_vote_id", "verify_account_votes",
                     "Can not vote for ${id} which does not exist.", {{"id", js(id)}});
      }
    }
    // After HARDFORK_CORE_143 every vote must name an existing committee member, witness or
    // worker (the devnet has no workers, so a worker vote never exists).
    for (const auto& id : options.votes) {
      switch (id.type()) {
        case 0: {
          bool found = false;
          for (const auto& c : d.committee_members_) found = found || c.vote_id == id;
          if (!found) {
            throw_assert("committee_idx.find(id) != committee_idx.end()", "verify_account_votes",
                         "Can not vote for ${id} which does not exist.", {{"id", js(id)}});
          }
          break;
        }
        case 1: {
          bool found = false;
          // witnesses_[0] stands for the removed GRAPHENE_NULL_WITNESS.
          for (std::size_t i = 1; i < d.witnesses_.size(); ++i) {
            found = found || d.witnesses_[i].vote_id == id;
          }
          if (!found) {
            throw_assert("witness_idx.find(id) != witness_idx.end()", "verify_account_votes",
                         "Can not vote for ${id} which does not exist.", {{"id", js(id)}});
          }
          break;
        }
        case 2:
          throw_assert("approve_worker_idx.find( id ) != approve_worker_idx.end()",
                       "verify_account_votes", "Can not vote for ${id} which does not exist.",
                       {{"id", js(id)}});
        default:
          throw_error(fc_kind::unspecified, "verify_account_votes", "Invalid Vote Type: ${id}",
                      {{"id", js(id)}});
      }
    }
  }

  // ---- account_create_evaluator ----
  operation_result apply_op(const account_create_operation& op) {
    prepare_fee(op.registrar, op.fee);
    check_fee(op);
    if (!fee_paying_account->is_lifetime_member()) {
      throw_assert("fee_paying_account->is_lifetime_member()", "do_evaluate",
                   "Only Lifetime members may register an account.");
    }
    const account_object& referrer = account(op.referrer);
    if (!referrer.is_member(d.head_block_time())) {
      throw_assert("op.referrer(d).is_member(d.head_block_time())", "do_evaluate",
                   "The referrer must be either a lifetime or annual subscriber.");
    }
    verify_authority_accounts(op.owner, fc_kind::account_create_max_auth_exceeded,
                              fc_kind::account_create_auth_account_not_found);
    verify_authority_accounts(op.active, fc_kind::account_create_max_auth_exceeded,
                              fc_kind::account_create_auth_account_not_found);
    const auto& ext = op.extensions.value;
    if (ext.owner_special_authority || ext.active_special_authority || ext.buyback_options) {
      not_implemented("account_create with special authorities or buyback options");
    }
    verify_account_votes(op.options);
    if (d.find_account_by_name(op.name) != nullptr) {
      throw_assert("current_account_itr == acnt_indx.indices().get<by_name>().end()", "do_evaluate",
                   "Account '${a}' already exists.", {{"a", op.name}});
    }

    convert_fee();
    pay_fee();
    const auto& params = d.parameters();
    account_object a;
    a.registrar = op.registrar;
    a.referrer = op.referrer;
    a.lifetime_referrer = referrer.lifetime_referrer;
    a.network_fee_percentage = params.network_percent_of_fee;
    a.lifetime_referrer_fee_percentage = params.lifetime_referrer_percent_of_fee;
    a.referrer_rewards_percentage = op.referrer_percent;
    a.name = op.name;
    a.owner = op.owner;
    a.active = op.active;
    a.options = op.options;
    a.creation_block_num = context.block_num;
    a.creation_time = context.block_time;
    const account_id_type new_id = d.create_account(std::move(a)).id;

    d.modify_singleton<dynamic_global_property_object>(
        d.dynamic_properties_,
        [](dynamic_global_property_object& p) { ++p.accounts_registered_this_interval; });
    if (params.accounts_per_fee_scale != 0 &&
        d.dynamic_properties_.accounts_registered_this_interval % params.accounts_per_fee_scale ==
            0) {
      d.modify_singleton<global_property_object>(
          d.global_properties_, [](global_property_object& p) {
            auto& fees = p.parameters.current_fees;
            fees.set_parameter(5, "basic_fee",
                               fees.parameter(5, "basic_fee")
                                   << p.parameters.account_fee_scale_bitshifts);
          });
    }
    pay_deducted_fee(op.registrar);
    return object_id_type::of(new_id);
  }

  // ---- account_update_evaluator ----
  operation_result apply_op(const account_update_operation& op) {
    prepare_fee(op.account, op.fee);
    check_fee(op);
    const fc_exception_kind max_exceeded{3050601, "account_update_max_auth_exceeded",
                                         "Exceeds max authority fan-out"};
    const fc_exception_kind not_found_kind{3050602, "account_update_auth_account_not_found",
                                           "Auth account not found"};
    if (op.owner) verify_authority_accounts(*op.owner, max_exceeded, not_found_kind);
    if (op.active) verify_authority_accounts(*op.active, max_exceeded, not_found_kind);
    if (op.extensions.value.owner_special_authority ||
        op.extensions.value.active_special_authority) {
      not_implemented("account_update with special authorities");
    }
    account(op.account);
    if (op.new_options) verify_account_votes(*op.new_options);

    convert_fee();
    pay_fee();
    d.modify_account(op.account, [&](account_object& a) {
      if (op.owner) {
        a.owner = *op.owner;
        a.top_n_control_flags = 0;
      }
      if (op.active) {
        a.active = *op.active;
        a.top_n_control_flags = 0;
      }
      if (op.new_options) a.options = *op.new_options;
    });
    pay_deducted_fee(op.account);
    return void_result{};
  }

  // ---- account_upgrade_evaluator ----
  operation_result apply_op(const account_upgrade_operation& op) {
    prepare_fee(op.account_to_upgrade, op.fee);
    check_fee(op);
    const std::string name = account(op.account_to_upgrade).name;
    const auto context_message = [&] {
      return std::make_pair(std::string("Unable to upgrade account '${a}'"),
                            boost::json::object{{"a", name}});
    };
    rethrow_with(
        [&] {
          if (account(op.account_to_upgrade).is_lifetime_member()) {
            throw_assert("!account->is_lifetime_member()", "do_evaluate");
          }
          return 0;
        },
        context_message().first, context_message().second, "do_evaluate");

    convert_fee();
    pay_fee();
    rethrow_with(
        [&] {
          if (!op.upgrade_to_lifetime_member) {
            // Annual memberships ended with HARDFORK_613.
            throw_assert("d.head_block_time() <= HARDFORK_613_TIME", "do_apply");
          }
          d.modify_account(op.account_to_upgrade, [](account_object& a) {
            a.membership_expiration_date = time_point_sec::maximum();
            a.referrer = a.registrar = a.lifetime_referrer = a.id;
            a.lifetime_referrer_fee_percentage = config::percent_100 - a.network_fee_percentage;
          });
          return 0;
        },
        context_message().first, context_message().second, "do_apply");
    pay_deducted_fee(op.account_to_upgrade);
    return void_result{};
  }

  // ---- asset_create_evaluator ----
  operation_result apply_op(const asset_create_operation& op) {
    prepare_fee(op.issuer, op.fee);
    check_fee(op);
    // asset_options::validate_flags: every hardfork before it is long past; HARDFORK_CORE_2281
    // is judged by the next maintenance time, as asset_evaluator.cpp does.
    if (d.dynamic_global_properties().next_maintenance_time.sec_since_epoch > 1641909720u) {
      validate_flags(op.common_options, op.bitasset_opts.has_value(), true);
    } else {
      validate_flags(op.common_options, op.bitasset_opts.has_value(), false);
    }
    const auto& params = d.parameters();
    if (!(op.common_options.whitelist_authorities.size() <=
          params.maximum_asset_whitelist_authorities)) {
      throw_assert(
          "op.common_options.whitelist_authorities.size() <= "
          "chain_parameters.maximum_asset_whitelist_authorities",
          "do_evaluate");
    }
    if (!(op.common_options.blacklist_authorities.size() <=
          params.maximum_asset_whitelist_authorities)) {
      throw_assert(
          "op.common_options.blacklist_authorities.size() <= "
          "chain_parameters.maximum_asset_whitelist_authorities",
          "do_evaluate");
    }
    for (const auto& id : op.common_options.whitelist_authorities) account(id);
    for (const auto& id : op.common_options.blacklist_authorities) account(id);
    if (d.find_asset_by_symbol(op.symbol) != nullptr) {
      throw_assert("asset_symbol_itr == asset_indx.end()", "do_evaluate");
    }
    const auto dotpos = op.symbol.rfind('.');
    if (dotpos != std::string::npos) {
      const std::string prefix = op.symbol.substr(0, dotpos);
      const asset_object* parent = d.find_asset_by_symbol(prefix);
      if (parent == nullptr) {
        throw_assert("asset_prefix_itr != asset_indx.end()", "do_evaluate",
                     "Asset ${s} may only be created by issuer of asset ${p}, but asset ${p} has "
                     "not been created",
                     {{"s", op.symbol}, {"p", prefix}});
      }
      if (!(parent->issuer == op.issuer)) {
        throw_assert("asset_prefix_itr->issuer == op.issuer", "do_evaluate",
                     "Asset ${s} may only be created by issuer of ${p}, ${i}",
                     {{"s", op.symbol}, {"p", prefix}, {"i", account(op.issuer).name}});
      }
    }
    if (op.bitasset_opts) not_implemented("asset_create of market-issued assets (bitasset_opts)");

    // convert_fee takes the whole fee from the fee asset's pool; asset_create_evaluator::pay_fee
    // then keeps the larger half (rounded up) as the fee paid and, since HARDFORK_CORE_429, the
    // new asset's pool gets the smaller half (rounded down): fee_pool = core_fee_paid - 1 if odd.
    convert_fee();
    const bool fee_is_odd = core_fee_paid % 2 != 0;
    core_fee_paid -= core_fee_paid / 2;
    pay_fee();
    asset_dynamic_data_object dyn;
    dyn.fee_pool = core_fee_paid - (fee_is_odd ? 1 : 0);
    asset_object a;
    a.issuer = op.issuer;
    a.symbol = op.symbol;
    a.precision = op.precision;
    a.options = op.common_options;
    const asset_id_type next_id{d.asset_count()};
    if (a.options.core_exchange_rate.base.asset_id.instance == 0) {
      a.options.core_exchange_rate.quote.asset_id = next_id;
    } else {
      a.options.core_exchange_rate.base.asset_id = next_id;
    }
    a.creation_block_num = context.block_num;
    a.creation_time = context.block_time;
    const asset_id_type new_id = d.create_asset(std::move(a), dyn).id;
    pay_deducted_fee(op.issuer);
    return object_id_type::of(new_id);
  }

  // ---- asset_issue_evaluator ----
  operation_result apply_op(const asset_issue_operation& op) {
    prepare_fee(op.issuer, op.fee);
    check_fee(op);
    const asset_object& a = asset_obj(op.asset_to_issue.asset_id);
    if (!(op.issuer == a.issuer)) throw_assert("o.issuer == a.issuer", "do_evaluate");
    if (a.is_market_issued()) {
      throw_assert("!a.is_market_issued()", "do_evaluate",
                   "Cannot manually issue a market-issued asset.");
    }
    // (No liquidity pools on the devnet: "Cannot manually issue a liquidity pool share asset."
    // cannot happen.)
    if (a.options.flags & 0x400) {  // disable_new_supply
      throw_assert("a.can_create_new_supply()", "do_evaluate", "Can not create new supply");
    }
    const account_object& to = account(op.issue_to_account);
    if (!is_authorized_asset(to, a))
      throw_assert("is_authorized_asset( d, *to_account, a )", "do_evaluate");
    const auto& dyn = d.asset_dynamic_data(a.id);
    if (!(dyn.current_supply + op.asset_to_issue.amount <= a.options.max_supply)) {
      throw_assert(
          "(asset_dyn_data->current_supply + o.asset_to_issue.amount) <= a.options.max_supply",
          "do_evaluate");
    }
    convert_fee();
    pay_fee();
    d.adjust_balance(op.issue_to_account, op.asset_to_issue);
    d.modify_asset_dynamic_data(
        a.id, [&](asset_dynamic_data_object& x) { x.current_supply += op.asset_to_issue.amount; });
    pay_deducted_fee(op.issuer);
    return void_result{};
  }

  // ---- asset_reserve_evaluator ----
  operation_result apply_op(const asset_reserve_operation& op) {
    prepare_fee(op.payer, op.fee);
    check_fee(op);
    const asset_object& a = asset_obj(op.amount_to_reserve.asset_id);
    if (a.is_market_issued()) {
      throw_error({3051501, "asset_reserve_invalid_on_mia", "invalid on mia"}, "do_evaluate",
                  "Cannot reserve ${sym} because it is a market-issued asset", {{"sym", a.symbol}});
    }
    if (!is_authorized_asset(*fee_paying_account, a))
      throw_assert("is_authorized_asset( d, *from_account, a )", "do_evaluate");
    const auto& dyn = d.asset_dynamic_data(a.id);
    if (!(dyn.current_supply >= op.amount_to_reserve.amount)) {
      throw_assert("asset_dyn_data->current_supply >= o.amount_to_reserve.amount", "do_evaluate",
                   "Can not reserve an amount that is more than the current supply");
    }
    convert_fee();
    pay_fee();
    d.adjust_balance(op.payer, asset{-op.amount_to_reserve.amount, a.id});
    d.modify_asset_dynamic_data(a.id, [&](asset_dynamic_data_object& x) {
      x.current_supply -= op.amount_to_reserve.amount;
    });
    pay_deducted_fee(op.payer);
    return void_result{};
  }

  // ---- asset_fund_fee_pool_evaluator ----
  operation_result apply_op(const asset_fund_fee_pool_operation& op) {
    prepare_fee(op.from_account, op.fee);
    check_fee(op);
    const asset_object& a = asset_obj(op.asset_id);
    convert_fee();
    pay_fee();
    d.adjust_balance(op.from_account, asset{-op.amount, asset_id_type{0}});
    d.modify_asset_dynamic_data(a.id,
                                [&](asset_dynamic_data_object& x) { x.fee_pool += op.amount; });
    pay_deducted_fee(op.from_account);
    return void_result{};
  }

  // ---- balance_claim_evaluator (balance_evaluator.cpp) ----
  // Only balances owned by the key's graphene address are recognised; the PTS address forms
  // bitshares-core also accepts (mainnet's original genesis) are not (docs/devnet.md).
  operation_result apply_op(const balance_claim_operation& op) {
    prepare_fee(op.deposit_to_account, op.fee);
    check_fee(op);
    const balance_object* balance = d.find_balance_object(op.balance_to_claim);
    if (balance == nullptr) not_found(object_id_type::of(op.balance_to_claim));
    if (!(crypto::to_address(op.balance_owner_key) == balance->owner.data)) {
      throw_error({3053703, "balance_claim_owner_mismatch", "owner mismatch"}, "do_evaluate",
                  "Balance owner key was specified as '${op}' but balance's actual owner is "
                  "'${bal}'",
                  {{"op", js(op.balance_owner_key)}, {"bal", js(balance->owner)}});
    }
    if (!(op.total_claimed.asset_id == balance->balance.asset_id))
      throw_assert("op.total_claimed.asset_id == balance->asset_type()", "do_evaluate");
    if (!(op.total_claimed.amount == balance->balance.amount))
      throw_assert("op.total_claimed == balance->balance", "do_evaluate");
    convert_fee();
    pay_fee();
    d.remove_balance_object(op.balance_to_claim);
    d.adjust_balance(op.deposit_to_account, op.total_claimed);
    pay_deducted_fee(op.deposit_to_account);
    return void_result{};
  }

  operation_result apply_op(const asset_update_operation& op) {
    prepare_fee(op.issuer, op.fee);
    check_fee(op);
    not_implemented("asset_update");
  }
};

operation_result evaluation::apply(database& db, const protocol::operation& op,
                                   const database::block_context& context) {
  impl e{db, context};
  return std::visit([&](const auto& o) { return e.apply_op(o); }, op.value);
}

}  // namespace bts::chain
