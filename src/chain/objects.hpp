// The chain's objects as bitshares-core stores and prints them (graphene/chain/*_object.hpp).
// Fields are in FC_REFLECT order (the "id" of graphene::db::object first), so to_json() of an
// object is what get_objects returns on a witness_node.
//
//   1.2.x account_object            2.0.0 global_property_object
//   1.3.x asset_object              2.1.0 dynamic_global_property_object
//   1.5.x committee_member_object   2.3.x asset_dynamic_data_object
//   1.6.x witness_object            2.5.x account_balance_object
//   1.7.x limit_order_object        2.6.x account_statistics_object
//                                   2.11.0 chain_property_object, 2.12.0 witness_schedule_object
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chain/block.hpp"
#include "chain/fee_schedule.hpp"
#include "protocol/account.hpp"
#include "protocol/asset.hpp"
#include "protocol/asset_ops.hpp"
#include "protocol/authority.hpp"
#include "protocol/balance.hpp"
#include "protocol/market.hpp"
#include "protocol/types.hpp"

namespace bts::chain {

using protocol::authority;
using protocol::flat_set;
using protocol::price;
using committee_member_id_type = protocol::object_id<1, 5>;
using vesting_balance_id_type = protocol::object_id<1, 13>;
using global_property_id_type = protocol::object_id<2, 0>;
using dynamic_global_property_id_type = protocol::object_id<2, 1>;
using asset_dynamic_data_id_type = protocol::object_id<2, 3>;
using asset_bitasset_data_id_type = protocol::object_id<2, 4>;
using account_balance_id_type = protocol::object_id<2, 5>;
using account_statistics_id_type = protocol::object_id<2, 6>;
using account_transaction_history_id_type = protocol::object_id<2, 9>;
using chain_property_id_type = protocol::object_id<2, 11>;
using witness_schedule_id_type = protocol::object_id<2, 12>;

// unsigned 128-bit integer printed as a decimal string, as fc::uint128 is.
struct uint128_value {
  unsigned __int128 value = 0;
};

// chain_parameters (graphene/protocol/chain_parameters.hpp), extensions kept as JSON.
struct chain_parameters {
  fee_schedule current_fees;
  std::uint8_t block_interval = 5;
  std::uint32_t maintenance_interval = 86400;
  std::uint8_t maintenance_skip_slots = 3;
  std::uint32_t committee_proposal_review_period = 1209600;
  std::uint32_t maximum_transaction_size = 2048;
  std::uint32_t maximum_block_size = 2000000;
  std::uint32_t maximum_time_until_expiration = 86400;
  std::uint32_t maximum_proposal_lifetime = 2419200;
  std::uint8_t maximum_asset_whitelist_authorities = 10;
  std::uint8_t maximum_asset_feed_publishers = 10;
  std::uint16_t maximum_witness_count = 1001;
  std::uint16_t maximum_committee_count = 1001;
  std::uint16_t maximum_authority_membership = 10;
  std::uint16_t reserve_percent_of_fee = 2000;
  std::uint16_t network_percent_of_fee = 2000;
  std::uint16_t lifetime_referrer_percent_of_fee = 3000;
  std::uint32_t cashback_vesting_period_seconds = 31536000;
  share_type cashback_vesting_threshold = 10000000;
  bool count_non_member_votes = true;
  bool allow_non_member_whitelists = false;
  share_type witness_pay_per_block = 1000000;
  share_type worker_budget_per_day = 50000000000;
  std::uint16_t max_predicate_opcode = 1;
  share_type fee_liquidation_threshold = 10000000;
  std::uint16_t accounts_per_fee_scale = 1000;
  std::uint8_t account_fee_scale_bitshifts = 4;
  std::uint8_t max_authority_depth = 2;
  boost::json::value extensions = boost::json::object();
};

struct immutable_chain_parameters {
  std::uint16_t min_committee_member_count = 11;
  std::uint16_t min_witness_count = 11;
  std::uint32_t num_special_accounts = 0;
  std::uint32_t num_special_assets = 0;
};

struct account_object {
  account_id_type id;
  time_point_sec membership_expiration_date;
  account_id_type registrar;
  account_id_type referrer;
  account_id_type lifetime_referrer;
  std::uint16_t network_fee_percentage = 2000;
  std::uint16_t lifetime_referrer_fee_percentage = 0;
  std::uint16_t referrer_rewards_percentage = 0;
  std::string name;
  authority owner;
  authority active;
  protocol::account_options options;
  std::uint16_t num_committee_voted = 0;
  account_statistics_id_type statistics;
  flat_set<account_id_type> whitelisting_accounts;
  flat_set<account_id_type> blacklisting_accounts;
  flat_set<account_id_type> whitelisted_accounts;
  flat_set<account_id_type> blacklisted_accounts;
  std::optional<vesting_balance_id_type> cashback_vb;
  protocol::special_authority owner_special_authority;
  protocol::special_authority active_special_authority;
  std::uint8_t top_n_control_flags = 0;
  std::optional<flat_set<asset_id_type>> allowed_assets;
  std::uint32_t creation_block_num = 0;
  time_point_sec creation_time;

  bool is_lifetime_member() const {
    return membership_expiration_date == time_point_sec::maximum();
  }
  bool is_member(time_point_sec now) const { return membership_expiration_date >= now; }
};

struct account_statistics_object {
  account_statistics_id_type id;
  account_id_type owner;
  std::string name;
  account_transaction_history_id_type most_recent_op;
  std::uint64_t total_ops = 0;
  std::uint64_t removed_ops = 0;
  share_type total_core_in_orders = 0;
  share_type core_in_balance = 0;
  bool has_cashback_vb = false;
  bool is_voting = false;
  time_point_sec last_vote_time;
  std::uint64_t vp_all = 0;
  std::uint64_t vp_active = 0;
  std::uint64_t vp_committee = 0;
  std::uint64_t vp_witness = 0;
  std::uint64_t vp_worker = 0;
  time_point_sec vote_tally_time;
  share_type lifetime_fees_paid = 0;
  share_type pending_fees = 0;
  share_type pending_vested_fees = 0;

  // account_statistics_object::pay_fee.
  void pay_fee(share_type core_fee, share_type cashback_vesting_threshold) {
    if (core_fee > cashback_vesting_threshold) {
      pending_fees += core_fee;
    } else {
      pending_vested_fees += core_fee;
    }
  }
};

struct account_balance_object {
  account_balance_id_type id;
  account_id_type owner;
  asset_id_type asset_type;
  share_type balance = 0;
  bool maintenance_flag = false;
};

// balance_object (graphene/chain/balance_object.hpp): a genesis balance owned by an address until
// balance_claim moves it into an account. Vesting genesis balances are not implemented.
struct balance_object {
  protocol::balance_id_type id;
  protocol::address owner;
  protocol::asset balance;
  time_point_sec last_claim_date;
};

struct asset_object {
  asset_id_type id;
  std::string symbol;
  std::uint8_t precision = 0;
  account_id_type issuer;
  protocol::asset_options options;
  asset_dynamic_data_id_type dynamic_asset_data_id;
  std::optional<asset_bitasset_data_id_type> bitasset_data_id;
  std::optional<account_id_type> buyback_account;
  std::uint32_t creation_block_num = 0;
  time_point_sec creation_time;
  std::optional<share_type> total_backing_collateral;

  bool is_market_issued() const { return bitasset_data_id.has_value(); }
  // asset_object::amount_to_string: the amount with `precision` decimals (trailing zeros kept).
  std::string amount_to_string(share_type amount) const;
  // amount_to_pretty_string: amount_to_string + " " + symbol.
  std::string amount_to_pretty_string(share_type amount) const;
};

struct asset_dynamic_data_object {
  asset_dynamic_data_id_type id;
  share_type current_supply = 0;
  share_type confidential_supply = 0;
  share_type accumulated_fees = 0;
  share_type accumulated_collateral_fees = 0;
  share_type fee_pool = 0;
};

struct limit_order_object {
  limit_order_id_type id;
  time_point_sec expiration;
  account_id_type seller;
  share_type for_sale = 0;  // asset id is sell_price.base.asset_id
  price sell_price;
  share_type deferred_fee = 0;
  protocol::asset deferred_paid_fee;
  bool is_settled_debt = false;
  std::vector<protocol::limit_order_auto_action> on_fill;
  std::optional<limit_order_id_type> take_profit_order_id;

  protocol::asset amount_for_sale() const { return {for_sale, sell_price.base.asset_id}; }
  asset_id_type sell_asset_id() const { return sell_price.base.asset_id; }
  asset_id_type receive_asset_id() const { return sell_price.quote.asset_id; }
};

struct witness_object {
  witness_id_type id;
  account_id_type witness_account;
  std::uint64_t last_aslot = 0;
  public_key_type signing_key;
  std::optional<vesting_balance_id_type> pay_vb;
  protocol::vote_id_type vote_id;
  std::uint64_t total_votes = 0;
  std::string url;
  std::int64_t total_missed = 0;
  std::uint32_t last_confirmed_block_num = 0;
};

struct committee_member_object {
  committee_member_id_type id;
  account_id_type committee_member_account;
  protocol::vote_id_type vote_id;
  std::uint64_t total_votes = 0;
  std::string url;
};

struct global_property_object {
  global_property_id_type id;
  chain_parameters parameters;
  std::optional<chain_parameters> pending_parameters;
  std::uint32_t next_available_vote_id = 0;
  std::vector<committee_member_id_type> active_committee_members;
  flat_set<witness_id_type> active_witnesses;
};

struct dynamic_global_property_object {
  dynamic_global_property_id_type id;
  std::uint32_t head_block_number = 0;
  block_id_type head_block_id{};
  time_point_sec time;
  witness_id_type current_witness;
  time_point_sec next_maintenance_time;
  time_point_sec last_vote_tally_time;
  time_point_sec last_budget_time;
  share_type witness_budget = 0;
  share_type total_pob = 0;
  share_type total_inactive = 0;
  std::uint32_t accounts_registered_this_interval = 0;
  std::uint32_t recently_missed_count = 0;
  std::uint64_t current_aslot = 0;
  uint128_value recent_slots_filled;
  std::uint32_t dynamic_flags = 0;
  std::uint32_t last_irreversible_block_num = 0;
};

struct chain_property_object {
  chain_property_id_type id;
  chain_id_type chain_id{};
  immutable_chain_parameters immutable_parameters;
};

struct witness_schedule_object {
  witness_schedule_id_type id;
  std::vector<witness_id_type> current_shuffled_witnesses;
};

BTS_REFLECT(
    chain_parameters, (current_fees)(block_interval)(maintenance_interval)(maintenance_skip_slots)(committee_proposal_review_period)(maximum_transaction_size)(maximum_block_size)(maximum_time_until_expiration)(maximum_proposal_lifetime)(maximum_asset_whitelist_authorities)(maximum_asset_feed_publishers)(maximum_witness_count)(maximum_committee_count)(maximum_authority_membership)(reserve_percent_of_fee)(network_percent_of_fee)(lifetime_referrer_percent_of_fee)(cashback_vesting_period_seconds)(cashback_vesting_threshold)(count_non_member_votes)(allow_non_member_whitelists)(witness_pay_per_block)(worker_budget_per_day)(max_predicate_opcode)(fee_liquidation_threshold)(accounts_per_fee_scale)(account_fee_scale_bitshifts)(max_authority_depth)(extensions))
BTS_REFLECT(
    immutable_chain_parameters,
    (min_committee_member_count)(min_witness_count)(num_special_accounts)(num_special_assets))
BTS_REFLECT(
    account_object,
    (id)(membership_expiration_date)(registrar)(referrer)(lifetime_referrer)(network_fee_percentage)(lifetime_referrer_fee_percentage)(referrer_rewards_percentage)(name)(owner)(active)(options)(num_committee_voted)(statistics)(whitelisting_accounts)(blacklisting_accounts)(whitelisted_accounts)(blacklisted_accounts)(cashback_vb)(owner_special_authority)(active_special_authority)(top_n_control_flags)(allowed_assets)(creation_block_num)(creation_time))
BTS_REFLECT(
    account_statistics_object,
    (id)(owner)(name)(most_recent_op)(total_ops)(removed_ops)(total_core_in_orders)(core_in_balance)(has_cashback_vb)(is_voting)(last_vote_time)(vp_all)(vp_active)(vp_committee)(vp_witness)(vp_worker)(vote_tally_time)(lifetime_fees_paid)(pending_fees)(pending_vested_fees))
BTS_REFLECT(account_balance_object, (id)(owner)(asset_type)(balance)(maintenance_flag))
BTS_REFLECT(balance_object, (id)(owner)(balance)(last_claim_date))
BTS_REFLECT(
    asset_object,
    (id)(symbol)(precision)(issuer)(options)(dynamic_asset_data_id)(bitasset_data_id)(buyback_account)(creation_block_num)(creation_time)(total_backing_collateral))
BTS_REFLECT(
    asset_dynamic_data_object,
    (id)(current_supply)(confidential_supply)(accumulated_fees)(accumulated_collateral_fees)(fee_pool))
BTS_REFLECT(
    limit_order_object,
    (id)(expiration)(seller)(for_sale)(sell_price)(deferred_fee)(deferred_paid_fee)(is_settled_debt)(on_fill)(take_profit_order_id))
BTS_REFLECT(
    witness_object,
    (id)(witness_account)(last_aslot)(signing_key)(pay_vb)(vote_id)(total_votes)(url)(total_missed)(last_confirmed_block_num))
BTS_REFLECT(committee_member_object, (id)(committee_member_account)(vote_id)(total_votes)(url))
BTS_REFLECT(
    global_property_object,
    (id)(parameters)(pending_parameters)(next_available_vote_id)(active_committee_members)(active_witnesses))
BTS_REFLECT(
    dynamic_global_property_object,
    (id)(head_block_number)(head_block_id)(time)(current_witness)(next_maintenance_time)(last_vote_tally_time)(last_budget_time)(witness_budget)(total_pob)(total_inactive)(accounts_registered_this_interval)(recently_missed_count)(current_aslot)(recent_slots_filled)(dynamic_flags)(last_irreversible_block_num))
BTS_REFLECT(chain_property_object, (id)(chain_id)(immutable_parameters))
BTS_REFLECT(witness_schedule_object, (id)(current_shuffled_witnesses))

}  // namespace bts::chain

namespace bts::protocol {

template <>
struct json_codec<chain::fee_schedule> {
  static boost::json::value to(const chain::fee_schedule& f, const json_write_options&) {
    return f.to_json();
  }
  static void from(const boost::json::value& json, chain::fee_schedule& f,
                   const json_read_options&) {
    f = chain::fee_schedule::from_json(json);
  }
};
template <>
struct json_codec<boost::json::value> {
  static boost::json::value to(const boost::json::value& v, const json_write_options&) { return v; }
  static void from(const boost::json::value& json, boost::json::value& v,
                   const json_read_options&) {
    v = json;
  }
};
template <>
struct json_codec<chain::uint128_value> {
  static boost::json::value to(const chain::uint128_value& v, const json_write_options&);
  static void from(const boost::json::value& json, chain::uint128_value& v,
                   const json_read_options&);
};

}  // namespace bts::protocol
