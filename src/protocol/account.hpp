// Account operations (bitshares-core graphene/protocol/account.hpp, special_authority.hpp,
// buyback.hpp).
#pragma once

#include <optional>
#include <string>

#include "protocol/asset.hpp"
#include "protocol/authority.hpp"
#include "protocol/types.hpp"

namespace bts::protocol {

struct account_options {
  public_key_type memo_key;
  account_id_type voting_account{5};  // GRAPHENE_PROXY_TO_SELF_ACCOUNT
  std::uint16_t num_witness = 0;
  std::uint16_t num_committee = 0;
  flat_set<vote_id_type> votes;
  extensions_type extensions;
};
BTS_REFLECT(account_options,
            (memo_key)(voting_account)(num_witness)(num_committee)(votes)(extensions))

struct no_special_authority {};
BTS_REFLECT_EMPTY(no_special_authority)

struct top_holders_special_authority {
  asset_id_type asset;
  std::uint8_t num_top_holders = 1;
};
BTS_REFLECT(top_holders_special_authority, (asset)(num_top_holders))

using special_authority = static_variant<no_special_authority, top_holders_special_authority>;

struct buyback_account_options {
  asset_id_type asset_to_buy;
  account_id_type asset_to_buy_issuer;
  flat_set<asset_id_type> markets;
};
BTS_REFLECT(buyback_account_options, (asset_to_buy)(asset_to_buy_issuer)(markets))

struct account_create_operation {
  static constexpr std::uint16_t tag = 5;
  struct ext {
    std::optional<void_t> null_ext;
    std::optional<special_authority> owner_special_authority;
    std::optional<special_authority> active_special_authority;
    std::optional<buyback_account_options> buyback_options;
  };

  asset fee;
  account_id_type registrar;
  account_id_type referrer;
  std::uint16_t referrer_percent = 0;
  std::string name;
  authority owner;
  authority active;
  account_options options;
  extension<ext> extensions;
};
BTS_REFLECT(account_create_operation::ext,
            (null_ext)(owner_special_authority)(active_special_authority)(buyback_options))
BTS_REFLECT(account_create_operation, (fee)(registrar)(referrer)(referrer_percent)(name)(owner)(
                                          active)(options)(extensions))

struct account_update_operation {
  static constexpr std::uint16_t tag = 6;
  struct ext {
    std::optional<void_t> null_ext;
    std::optional<special_authority> owner_special_authority;
    std::optional<special_authority> active_special_authority;
  };

  asset fee;
  account_id_type account;
  std::optional<authority> owner;
  std::optional<authority> active;
  std::optional<account_options> new_options;
  extension<ext> extensions;
};
BTS_REFLECT(account_update_operation::ext,
            (null_ext)(owner_special_authority)(active_special_authority))
BTS_REFLECT(account_update_operation, (fee)(account)(owner)(active)(new_options)(extensions))

struct account_upgrade_operation {
  static constexpr std::uint16_t tag = 8;
  asset fee;
  account_id_type account_to_upgrade;
  bool upgrade_to_lifetime_member = false;
  extensions_type extensions;
};
BTS_REFLECT(account_upgrade_operation,
            (fee)(account_to_upgrade)(upgrade_to_lifetime_member)(extensions))

}  // namespace bts::protocol
