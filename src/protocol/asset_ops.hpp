// Asset operations (bitshares-core graphene/protocol/asset_ops.hpp).
#pragma once

#include <optional>
#include <string>

#include "protocol/asset.hpp"
#include "protocol/memo.hpp"
#include "protocol/types.hpp"

namespace bts::protocol {

struct additional_asset_options {
  std::optional<std::uint16_t> reward_percent;
  std::optional<flat_set<account_id_type>> whitelist_market_fee_sharing;
  std::optional<std::uint16_t> taker_fee_percent;
};
BTS_REFLECT(additional_asset_options,
            (reward_percent)(whitelist_market_fee_sharing)(taker_fee_percent))

struct asset_options {
  share_type max_supply = 1000000000000000;  // GRAPHENE_MAX_SHARE_SUPPLY
  std::uint16_t market_fee_percent = 0;
  share_type max_market_fee = 1000000000000000;
  std::uint16_t issuer_permissions = 0;
  std::uint16_t flags = 0;
  price core_exchange_rate;
  flat_set<account_id_type> whitelist_authorities;
  flat_set<account_id_type> blacklist_authorities;
  flat_set<asset_id_type> whitelist_markets;
  flat_set<asset_id_type> blacklist_markets;
  std::string description;
  extension<additional_asset_options> extensions;
};
BTS_REFLECT(asset_options, (max_supply)(market_fee_percent)(max_market_fee)(issuer_permissions)(
                               flags)(core_exchange_rate)(whitelist_authorities)(
                               blacklist_authorities)(whitelist_markets)(blacklist_markets)(
                               description)(extensions))

struct bitasset_options {
  struct ext {
    std::optional<std::uint16_t> initial_collateral_ratio;      // BSIP-77
    std::optional<std::uint16_t> maintenance_collateral_ratio;  // BSIP-75
    std::optional<std::uint16_t> maximum_short_squeeze_ratio;   // BSIP-75
    std::optional<std::uint16_t> margin_call_fee_ratio;         // BSIP-74
    std::optional<std::uint16_t> force_settle_fee_percent;      // BSIP-87
    std::optional<std::uint8_t> black_swan_response_method;     // core issue 2467
  };

  std::uint32_t feed_lifetime_sec = 60 * 60 * 24;
  std::uint8_t minimum_feeds = 1;
  std::uint32_t force_settlement_delay_sec = 60 * 60 * 24;
  std::uint16_t force_settlement_offset_percent = 0;
  std::uint16_t maximum_force_settlement_volume = 2000;
  asset_id_type short_backing_asset;
  extension<ext> extensions;
};
BTS_REFLECT(bitasset_options::ext,
            (initial_collateral_ratio)(maintenance_collateral_ratio)(maximum_short_squeeze_ratio)(
                margin_call_fee_ratio)(force_settle_fee_percent)(black_swan_response_method))
BTS_REFLECT(bitasset_options, (feed_lifetime_sec)(minimum_feeds)(force_settlement_delay_sec)(
                                  force_settlement_offset_percent)(maximum_force_settlement_volume)(
                                  short_backing_asset)(extensions))

struct asset_create_operation {
  static constexpr std::uint16_t tag = 10;
  asset fee;
  account_id_type issuer;
  std::string symbol;
  std::uint8_t precision = 0;
  asset_options common_options;
  std::optional<bitasset_options> bitasset_opts;
  bool is_prediction_market = false;
  extensions_type extensions;
};
BTS_REFLECT(asset_create_operation, (fee)(issuer)(symbol)(precision)(common_options)(
                                        bitasset_opts)(is_prediction_market)(extensions))

struct asset_update_operation {
  static constexpr std::uint16_t tag = 11;
  struct ext {
    std::optional<std::uint8_t> new_precision;      // BSIP-48
    std::optional<bool> skip_core_exchange_rate;    // BSIP-48
  };

  asset fee;
  account_id_type issuer;
  asset_id_type asset_to_update;
  std::optional<account_id_type> new_issuer;
  asset_options new_options;
  extension<ext> extensions;
};
BTS_REFLECT(asset_update_operation::ext, (new_precision)(skip_core_exchange_rate))
BTS_REFLECT(asset_update_operation,
            (fee)(issuer)(asset_to_update)(new_issuer)(new_options)(extensions))

struct asset_issue_operation {
  static constexpr std::uint16_t tag = 14;
  asset fee;
  account_id_type issuer;
  asset asset_to_issue;
  account_id_type issue_to_account;
  std::optional<memo_data> memo;
  extensions_type extensions;
};
BTS_REFLECT(asset_issue_operation,
            (fee)(issuer)(asset_to_issue)(issue_to_account)(memo)(extensions))

struct asset_reserve_operation {
  static constexpr std::uint16_t tag = 15;
  asset fee;
  account_id_type payer;
  asset amount_to_reserve;
  extensions_type extensions;
};
BTS_REFLECT(asset_reserve_operation, (fee)(payer)(amount_to_reserve)(extensions))

struct asset_fund_fee_pool_operation {
  static constexpr std::uint16_t tag = 16;
  asset fee;
  account_id_type from_account;
  asset_id_type asset_id;
  share_type amount = 0;  // core asset
  extensions_type extensions;
};
BTS_REFLECT(asset_fund_fee_pool_operation, (fee)(from_account)(asset_id)(amount)(extensions))

}  // namespace bts::protocol
