#include "chain/detail/validate.hpp"

#include "chain/chain_error.hpp"
#include "chain/config.hpp"
#include "chain/names.hpp"

namespace bts::chain::detail {
namespace {

using namespace protocol;

void check(bool ok, std::string_view expression, std::string_view format = {}) {
  if (!ok) throw_assert(expression, "validate", format);
}

std::size_t num_auths(const authority& a) {
  return a.account_auths.size() + a.key_auths.size() + a.address_auths.size();
}

bool is_impossible(const authority& a) {
  std::uint64_t total = 0;
  for (const auto& [k, w] : a.account_auths) total += w;
  for (const auto& [k, w] : a.key_auths) total += w;
  for (const auto& [k, w] : a.address_auths) total += w;
  return total < a.weight_threshold;
}

void validate_options(const account_options& o) {
  std::uint32_t needed_witnesses = o.num_witness;
  std::uint32_t needed_committee = o.num_committee;
  for (const auto& id : o.votes) {
    if (id.type() == 1 && needed_witnesses > 0) {
      --needed_witnesses;
    } else if (id.type() == 0 && needed_committee > 0) {
      --needed_committee;
    }
  }
  check(needed_witnesses == 0 && needed_committee == 0,
        "needed_witnesses == 0 && needed_committee == 0",
        "May not specify fewer witnesses or committee members than the number voted for.");
}

// price::validate (asset.cpp).
void validate_price(const price& p) {
  check(p.base.amount > 0, "base.amount.value > 0", "Base amount should be positive");
  check(p.quote.amount > 0, "quote.amount.value > 0", "Quote amount should be positive");
  check(p.base.asset_id != p.quote.asset_id, "base.asset_id != quote.asset_id",
        "Base asset ID and quote asset ID should be different");
}

// asset_options::validate (asset_ops.cpp), in its order.
void validate_asset_options(const asset_options& o) {
  check(o.max_supply > 0, "max_supply > 0");
  check(o.max_supply <= config::max_share_supply, "max_supply <= GRAPHENE_MAX_SHARE_SUPPLY");
  check(o.market_fee_percent <= config::percent_100, "market_fee_percent <= GRAPHENE_100_PERCENT");
  if (o.extensions.value.taker_fee_percent) {
    check(*o.extensions.value.taker_fee_percent <= config::percent_100,
          "*extensions.value.taker_fee_percent <= GRAPHENE_100_PERCENT");
  }
  check(o.max_market_fee >= 0 && o.max_market_fee <= config::max_share_supply,
        "max_market_fee >= 0 && max_market_fee <= GRAPHENE_MAX_SHARE_SUPPLY");
  // 0 == (issuer_permissions & ~ASSET_ISSUER_PERMISSION_MASK): the mask has all 16 bits.
  check(!(o.flags & config::global_settle), "0 == (flags & global_settle)",
        "Can not set global_settle flag, it is for issuer permission only");
  check((o.flags & (config::witness_fed_asset | config::committee_fed_asset)) !=
            (config::witness_fed_asset | config::committee_fed_asset),
        "(flags & (witness_fed_asset | committee_fed_asset)) != (witness_fed_asset | "
        "committee_fed_asset)");
  validate_price(o.core_exchange_rate);
  check(o.core_exchange_rate.base.asset_id.instance == 0 ||
            o.core_exchange_rate.quote.asset_id.instance == 0,
        "core_exchange_rate.base.asset_id.instance.value == 0 || "
        "core_exchange_rate.quote.asset_id.instance.value == 0");
  if (!o.whitelist_authorities.empty() || !o.blacklist_authorities.empty()) {
    check((o.flags & config::white_list) != 0, "0 != (flags & white_list)");
  }
  for (const auto& item : o.whitelist_markets) {
    bool in_black = false;
    for (const auto& b : o.blacklist_markets) in_black = in_black || b == item;
    check(!in_black, "blacklist_markets.find(item) == blacklist_markets.end()");
  }
  if (o.extensions.value.reward_percent) {
    check(*o.extensions.value.reward_percent <= config::percent_100,
          "*extensions.value.reward_percent <= GRAPHENE_100_PERCENT");
  }
}

void validate(const transfer_operation& op) {
  check(op.fee.amount >= 0, "fee.amount >= 0");
  check(op.from != op.to, "from != to");
  check(op.amount.amount > 0, "amount.amount > 0");
}

void validate(const override_transfer_operation& op) {
  check(op.fee.amount >= 0, "fee.amount >= 0");
  check(op.from != op.to, "from != to");
  check(op.amount.amount > 0, "amount.amount > 0");
  check(op.issuer != op.from, "issuer != from");
}

void validate(const limit_order_create_operation& op) {
  check(op.amount_to_sell.asset_id != op.min_to_receive.asset_id,
        "amount_to_sell.asset_id != min_to_receive.asset_id");
  check(op.fee.amount >= 0, "fee.amount >= 0");
  check(op.amount_to_sell.amount > 0, "amount_to_sell.amount > 0");
  check(op.min_to_receive.amount > 0, "min_to_receive.amount > 0");
}

void validate(const limit_order_cancel_operation& op) {
  check(op.fee.amount >= 0, "fee.amount >= 0");
}

void validate(const call_order_update_operation& op) {
  check(op.fee.amount >= 0, "fee.amount >= 0");
  check(op.delta_collateral.asset_id != op.delta_debt.asset_id,
        "delta_collateral.asset_id != delta_debt.asset_id");
  check(op.delta_collateral.amount != 0 || op.delta_debt.amount != 0,
        "delta_collateral.amount != 0 || delta_debt.amount != 0");
}

void validate(const account_create_operation& op) {
  check(op.fee.amount >= 0, "fee.amount >= 0");
  check(is_valid_name(op.name), "is_valid_name( name )");
  check(op.referrer_percent <= config::percent_100, "referrer_percent <= GRAPHENE_100_PERCENT");
  check(num_auths(op.owner) != 0, "owner.num_auths() != 0");
  check(op.owner.address_auths.size() == 0, "owner.address_auths.size() == 0");
  check(num_auths(op.active) != 0, "active.num_auths() != 0");
  check(op.active.address_auths.size() == 0, "active.address_auths.size() == 0");
  check(!is_impossible(op.owner), "!owner.is_impossible()",
        "cannot create an account with an impossible owner authority threshold");
  check(!is_impossible(op.active), "!active.is_impossible()",
        "cannot create an account with an impossible active authority threshold");
  validate_options(op.options);
}

void validate(const account_update_operation& op) {
  check(op.account.instance != config::temp_account, "account != GRAPHENE_TEMP_ACCOUNT");
  check(op.fee.amount >= 0, "fee.amount >= 0");
  check(op.account.instance != 0, "account != account_id_type()");
  const bool has_action = op.owner || op.active || op.new_options ||
                          op.extensions.value.owner_special_authority ||
                          op.extensions.value.active_special_authority;
  check(has_action, "has_action");
  if (op.owner) {
    check(num_auths(*op.owner) != 0, "owner->num_auths() != 0");
    check(op.owner->address_auths.size() == 0, "owner->address_auths.size() == 0");
    check(!is_impossible(*op.owner), "!owner->is_impossible()",
          "cannot update an account with an impossible owner authority threshold");
  }
  if (op.active) {
    check(num_auths(*op.active) != 0, "active->num_auths() != 0");
    check(op.active->address_auths.size() == 0, "active->address_auths.size() == 0");
    check(!is_impossible(*op.active), "!active->is_impossible()",
          "cannot update an account with an impossible active authority threshold");
  }
  if (op.new_options) validate_options(*op.new_options);
}

void validate(const account_upgrade_operation& op) { check(op.fee.amount >= 0, "fee.amount >= 0"); }

void validate(const asset_create_operation& op) {
  check(op.fee.amount >= 0, "fee.amount >= 0");
  check(is_valid_symbol(op.symbol), "is_valid_symbol(symbol)");
  validate_asset_options(op.common_options);
  // NON_UIA_ONLY_ISSUER_PERMISSION_MASK without witness_fed_asset and committee_fed_asset:
  // disable_force_settle, global_settle, disable_mcr/icr/mssr/bsrm_update,
  // disable_collateral_bidding.
  constexpr unsigned non_uia_only = 0x10 | 0x20 | 0x800 | 0x1000 | 0x2000 | 0x4000 | 0x8000;
  if (op.common_options.issuer_permissions & non_uia_only) {
    check(op.bitasset_opts.has_value(), "bitasset_opts.valid()");
  }
  if (op.is_prediction_market) {
    check(op.bitasset_opts.has_value(), "bitasset_opts.valid()",
          "Cannot have a User-Issued Asset implement a prediction market.");
    check((op.common_options.issuer_permissions & config::global_settle) != 0,
          "0 != (common_options.issuer_permissions & global_settle)");
  }
  // asset(1) * core_exchange_rate must give asset 1.3.1, the placeholder for the new asset.
  const auto& cer = op.common_options.core_exchange_rate;
  const bool base_core = cer.base.asset_id.instance == 0;
  const std::uint64_t other = base_core ? cer.quote.asset_id.instance : cer.base.asset_id.instance;
  check(other == 1, "dummy.asset_id == asset_id_type(1)");
  check(op.precision <= 12, "precision <= 12");
}

void validate(const asset_update_operation& op) {
  check(op.fee.amount >= 0, "fee.amount >= 0");
  if (op.new_issuer) check(op.issuer != *op.new_issuer, "issuer != *new_issuer");
  validate_asset_options(op.new_options);
  // asset(1, asset_to_update) * new_options.core_exchange_rate must give the core asset.
  const auto& cer = op.new_options.core_exchange_rate;
  asset_id_type dummy;
  if (cer.base.asset_id == op.asset_to_update) {
    dummy = cer.quote.asset_id;
  } else if (cer.quote.asset_id == op.asset_to_update) {
    dummy = cer.base.asset_id;
  } else {
    throw_error(fc_kind::assert_exception, "operator*", "invalid asset * price");
  }
  check(dummy.instance == 0, "dummy.asset_id == asset_id_type()");
  if (op.extensions.value.new_precision) {
    check(*op.extensions.value.new_precision <= 12, "*extensions.value.new_precision <= 12");
  }
  if (op.extensions.value.skip_core_exchange_rate) {
    check(*op.extensions.value.skip_core_exchange_rate,
          "*extensions.value.skip_core_exchange_rate == true",
          "If skip_core_exchange_rate is specified, it can only be true");
  }
}

void validate(const asset_issue_operation& op) {
  check(op.fee.amount >= 0, "fee.amount >= 0");
  check(op.asset_to_issue.amount <= config::max_share_supply,
        "asset_to_issue.amount.value <= GRAPHENE_MAX_SHARE_SUPPLY");
  check(op.asset_to_issue.amount > 0, "asset_to_issue.amount.value > 0");
  check(op.asset_to_issue.asset_id.instance != 0, "asset_to_issue.asset_id != asset_id_type(0)");
}

void validate(const asset_reserve_operation& op) {
  check(op.fee.amount >= 0, "fee.amount >= 0");
  check(op.amount_to_reserve.amount <= config::max_share_supply,
        "amount_to_reserve.amount.value <= GRAPHENE_MAX_SHARE_SUPPLY");
  check(op.amount_to_reserve.amount > 0, "amount_to_reserve.amount.value > 0");
}

void validate(const asset_fund_fee_pool_operation& op) {
  check(op.fee.amount >= 0, "fee.amount >= 0");
  check(op.fee.asset_id.instance == 0, "fee.asset_id == asset_id_type()");
  check(op.amount > 0, "amount > 0");
}

void validate(const balance_claim_operation& op) {
  check(op.fee.amount == 0 && op.fee.asset_id.instance == 0, "fee == asset()");
  check(!op.balance_owner_key.is_null(), "balance_owner_key != public_key_type()");
}

}  // namespace

void validate_operation(const protocol::operation& op) {
  std::visit([](const auto& o) { validate(o); }, op.value);
}

void validate_transaction(const protocol::transaction& trx) {
  if (trx.operations.empty()) {
    throw_assert("operations.size() > 0", "validate",
                 "A transaction must have at least one operation");
  }
  for (const auto& op : trx.operations) validate_operation(op);
}

}  // namespace bts::chain::detail
