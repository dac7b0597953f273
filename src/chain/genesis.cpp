#include "chain/genesis.hpp"

#include <set>
#include <string>

#include "chain/names.hpp"
#include "crypto/hash.hpp"
#include "protocol/json.hpp"
#include "util/error.hpp"

namespace bts::chain {

BTS_REFLECT(genesis_state::initial_account, (name)(owner_key)(active_key)(is_lifetime_member))
BTS_REFLECT(
    genesis_state::initial_asset,
    (symbol)(issuer_name)(description)(precision)(max_supply)(accumulated_fees)(is_bitasset)(collateral_records))
BTS_REFLECT(genesis_state::initial_balance, (owner)(asset_symbol)(amount))
BTS_REFLECT(genesis_state::initial_witness, (owner_name)(block_signing_key))
BTS_REFLECT(genesis_state::initial_committee_member, (owner_name))
BTS_REFLECT(
    genesis_state,
    (initial_timestamp)(max_core_supply)(initial_parameters)(initial_accounts)(initial_assets)(initial_balances)(initial_vesting_balances)(initial_active_witnesses)(initial_witness_candidates)(initial_committee_candidates)(initial_worker_candidates)(initial_chain_id)(immutable_parameters))

namespace {

// genesis-dev.json's layout; @...@ are replaced by builtin_genesis_options.
constexpr std::string_view genesis_template = R"GENESIS({
  "initial_timestamp": "2025-01-01T00:00:00",
  "max_core_supply": "1000000000000000",
  "initial_parameters": {
    "current_fees": {
      "parameters": [[
          0,{
            "fee": 2000000,
            "price_per_kbyte": 1000000
          }
        ],[
          1,{
            "fee": 500000
          }
        ],[
          2,{
            "fee": 0
          }
        ],[
          3,{
            "fee": 2000000
          }
        ],[
          4,{}
        ],[
          5,{
            "basic_fee": 500000,
            "premium_fee": 200000000,
            "price_per_kbyte": 100000
          }
        ],[
          6,{
            "fee": 2000000,
            "price_per_kbyte": 100000
          }
        ],[
          7,{
            "fee": 300000
          }
        ],[
          8,{
            "membership_annual_fee": 200000000,
            "membership_lifetime_fee": 1000000000
          }
        ],[
          9,{
            "fee": 50000000
          }
        ],[
          10,{
            "symbol3": "50000000000",
            "symbol4": "30000000000",
            "long_symbol": 500000000,
            "price_per_kbyte": 10
          }
        ],[
          11,{
            "fee": 50000000,
            "price_per_kbyte": 10
          }
        ],[
          12,{
            "fee": 50000000
          }
        ],[
          13,{
            "fee": 50000000
          }
        ],[
          14,{
            "fee": 2000000,
            "price_per_kbyte": 100000
          }
        ],[
          15,{
            "fee": 2000000
          }
        ],[
          16,{
            "fee": 100000
          }
        ],[
          17,{
            "fee": 10000000
          }
        ],[
          18,{
            "fee": 50000000
          }
        ],[
          19,{
            "fee": 100000
          }
        ],[
          20,{
            "fee": 500000000
          }
        ],[
          21,{
            "fee": 2000000
          }
        ],[
          22,{
            "fee": 2000000,
            "price_per_kbyte": 10
          }
        ],[
          23,{
            "fee": 2000000,
            "price_per_kbyte": 10
          }
        ],[
          24,{
            "fee": 100000
          }
        ],[
          25,{
            "fee": 100000
          }
        ],[
          26,{
            "fee": 100000
          }
        ],[
          27,{
            "fee": 2000000,
            "price_per_kbyte": 10
          }
        ],[
          28,{
            "fee": 0
          }
        ],[
          29,{
            "fee": 500000000
          }
        ],[
          30,{
            "fee": 2000000
          }
        ],[
          31,{
            "fee": 100000
          }
        ],[
          32,{
            "fee": 100000
          }
        ],[
          33,{
            "fee": 2000000
          }
        ],[
          34,{
            "fee": 500000000
          }
        ],[
          35,{
            "fee": 100000,
            "price_per_kbyte": 10
          }
        ],[
          36,{
            "fee": 100000
          }
        ],[
          37,{}
        ],[
          38,{
            "fee": 2000000,
            "price_per_kbyte": 10
          }
        ],[
          39,{
            "fee": 500000,
            "price_per_output": 500000
          }
        ],[
          40,{
            "fee": 500000,
            "price_per_output": 500000
          }
        ],[
          41,{
            "fee": 500000
          }
        ],[
          42,{}
        ],[
          43,{
            "fee": 2000000
          }
        ],[
          44,{}
        ],[
          45,{
            "fee": 2000000
          }
        ],[
          46,{}
        ],[
          47,{
            "fee": 2000000
          }
        ],[
          48,{
            "fee": 2000000
          }
        ]
      ],
      "scale": 10000
    },
    "block_interval": @BLOCK_INTERVAL@,
    "maintenance_interval": 86400,
    "maintenance_skip_slots": 3,
    "committee_proposal_review_period": 1209600,
    "maximum_transaction_size": @MAX_TRX_SIZE@,
    "maximum_block_size": @MAX_BLOCK_SIZE@,
    "maximum_time_until_expiration": 86400,
    "maximum_proposal_lifetime": 2419200,
    "maximum_asset_whitelist_authorities": 10,
    "maximum_asset_feed_publishers": 10,
    "maximum_witness_count": 1001,
    "maximum_committee_count": 1001,
    "maximum_authority_membership": 10,
    "reserve_percent_of_fee": 2000,
    "network_percent_of_fee": 2000,
    "lifetime_referrer_percent_of_fee": 3000,
    "cashback_vesting_period_seconds": 31536000,
    "cashback_vesting_threshold": 10000000,
    "count_non_member_votes": true,
    "allow_non_member_whitelists": false,
    "witness_pay_per_block": 1000000,
    "worker_budget_per_day": "50000000000",
    "max_predicate_opcode": 1,
    "fee_liquidation_threshold": 10000000,
    "accounts_per_fee_scale": 1000,
    "account_fee_scale_bitshifts": 4,
    "max_authority_depth": 2,
    "extensions": []
  },
  "initial_accounts": [{
      "name": "init0",
      "owner_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
      "active_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
      "is_lifetime_member": true
    },{
      "name": "init1",
      "owner_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
      "active_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
      "is_lifetime_member": true
    },{
      "name": "init2",
      "owner_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
      "active_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
      "is_lifetime_member": true
    },{
      "name": "init3",
      "owner_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
      "active_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
      "is_lifetime_member": true
    },{
      "name": "init4",
      "owner_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
      "active_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
      "is_lifetime_member": true
    },{
      "name": "init5",
      "owner_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
      "active_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
      "is_lifetime_member": true
    },{
      "name": "init6",
      "owner_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
      "active_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
      "is_lifetime_member": true
    },{
      "name": "init7",
      "owner_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
      "active_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
      "is_lifetime_member": true
    },{
      "name": "init8",
      "owner_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
      "active_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
      "is_lifetime_member": true
    },{
      "name": "init9",
      "owner_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
      "active_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
      "is_lifetime_member": true
    },{
      "name": "init10",
      "owner_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
      "active_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
      "is_lifetime_member": true
    },{
      "name": "nathan",
      "owner_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
      "active_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV",
      "is_lifetime_member": true
    }
  ],
  "initial_assets": [],
  "initial_balances": [{
      "owner": "BTSFAbAx7yuxt725qSZvfwWqkdCwp9ZnUama",
      "asset_symbol": "BTS",
      "amount": "1000000000000000"
    }
  ],
  "initial_vesting_balances": [],
  "initial_active_witnesses": 11,
  "initial_witness_candidates": [{
      "owner_name": "init0",
      "block_signing_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV"
    },{
      "owner_name": "init1",
      "block_signing_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV"
    },{
      "owner_name": "init2",
      "block_signing_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV"
    },{
      "owner_name": "init3",
      "block_signing_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV"
    },{
      "owner_name": "init4",
      "block_signing_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV"
    },{
      "owner_name": "init5",
      "block_signing_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV"
    },{
      "owner_name": "init6",
      "block_signing_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV"
    },{
      "owner_name": "init7",
      "block_signing_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV"
    },{
      "owner_name": "init8",
      "block_signing_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV"
    },{
      "owner_name": "init9",
      "block_signing_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV"
    },{
      "owner_name": "init10",
      "block_signing_key": "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV"
    }
  ],
  "initial_committee_candidates": [{
      "owner_name": "init0"
    },{
      "owner_name": "init1"
    },{
      "owner_name": "init2"
    },{
      "owner_name": "init3"
    },{
      "owner_name": "init4"
    },{
      "owner_name": "init5"
    },{
      "owner_name": "init6"
    },{
      "owner_name": "init7"
    },{
      "owner_name": "init8"
    },{
      "owner_name": "init9"
    },{
      "owner_name": "init10"
    }
  ],
  "initial_worker_candidates": [],
  "immutable_parameters": {
    "min_committee_member_count": 11,
    "min_witness_count": 11,
    "num_special_accounts": 0,
    "num_special_assets": 0
  }
}
)GENESIS";

void replace_all(std::string& text, std::string_view what, const std::string& with) {
  for (std::size_t pos = text.find(what); pos != std::string::npos;
       pos = text.find(what, pos + with.size())) {
    text.replace(pos, what.size(), with);
  }
}

// fc's from_variant leaves fields the JSON does not mention at their defaults: copy every key of
// `defaults` that `input` lacks, recursively through objects.
void merge_defaults(boost::json::value& input, const boost::json::value& defaults) {
  auto* in = input.if_object();
  const auto* def = defaults.if_object();
  if (in == nullptr || def == nullptr) return;
  for (const auto& entry : *def) {
    auto* mine = in->if_contains(entry.key());
    if (mine == nullptr) {
      in->emplace(entry.key(), entry.value());
    } else if (entry.key() != "current_fees") {
      merge_defaults(*mine, entry.value());
    }
  }
}

}  // namespace

genesis_state parse_genesis(std::string_view json_text, std::string_view source) {
  boost::json::value json = protocol::parse_json(json_text, source);
  if (!json.is_object()) throw input_error(std::string(source), "a genesis must be a JSON object");
  merge_defaults(json, protocol::to_json(genesis_state{}));
  genesis_state g;
  protocol::json_read_options options;
  options.unknown_fields = protocol::json_read_options::unknown_field_policy::ignore;
  try {
    protocol::from_json(json, g, options);
  } catch (const input_error& e) {
    throw e.within(std::string(source));
  }
  const std::string where(source);
  // chain_parameters::extensions is an extension<> object; fc also accepts [] for it.
  if (const auto* arr = g.initial_parameters.extensions.if_array(); arr && arr->empty()) {
    g.initial_parameters.extensions = boost::json::object();
  }
  const auto& p = g.initial_parameters;
  if (p.block_interval < 1 || p.block_interval > 30) {
    throw input_error(where + ".initial_parameters.block_interval",
                      "must be between 1 and 30 seconds");
  }
  if (p.maximum_block_size < 5 * 1024) {
    throw input_error(where + ".initial_parameters.maximum_block_size",
                      "must be at least 5120 bytes");
  }
  if (p.maximum_transaction_size < 1024) {
    throw input_error(where + ".initial_parameters.maximum_transaction_size",
                      "must be at least 1024 bytes");
  }
  if (p.maintenance_interval == 0 || p.maintenance_interval % p.block_interval != 0) {
    throw input_error(where + ".initial_parameters.maintenance_interval",
                      "must be a positive multiple of block_interval");
  }
  std::set<std::string> names = {
      "committee-account", "witness-account", "relaxed-committee-account",
      "null-account",      "temp-account",    "proxy-to-self"};
  for (std::size_t i = 0; i < g.initial_accounts.size(); ++i) {
    const auto& a = g.initial_accounts[i];
    const std::string at = where + ".initial_accounts[" + std::to_string(i) + "].name";
    if (!is_valid_name(a.name))
      throw input_error(at, "\"" + a.name + "\" is not a valid account name");
    if (!names.insert(a.name).second)
      throw input_error(at, "account \"" + a.name + "\" is listed twice");
  }
  std::set<std::string> symbols = {std::string(config::core_symbol)};
  for (std::size_t i = 0; i < g.initial_assets.size(); ++i) {
    const auto& a = g.initial_assets[i];
    const std::string at = where + ".initial_assets[" + std::to_string(i) + "]";
    if (a.is_bitasset)
      throw input_error(at + ".is_bitasset",
                        "market-issued assets are not supported by the devnet");
    if (!symbols.insert(a.symbol).second)
      throw input_error(at + ".symbol", "asset \"" + a.symbol + "\" is listed twice");
    if (!names.contains(a.issuer_name))
      throw input_error(at + ".issuer_name", "no account \"" + a.issuer_name + "\"");
  }
  for (std::size_t i = 0; i < g.initial_balances.size(); ++i) {
    const auto& b = g.initial_balances[i];
    const std::string at = where + ".initial_balances[" + std::to_string(i) + "]";
    if (!symbols.contains(b.asset_symbol))
      throw input_error(at + ".asset_symbol", "no asset \"" + b.asset_symbol + "\"");
    if (b.amount < 0) throw input_error(at + ".amount", "must not be negative");
  }
  if (g.initial_witness_candidates.empty()) {
    throw input_error(where + ".initial_witness_candidates",
                      "at least one witness is needed to produce blocks");
  }
  for (std::size_t i = 0; i < g.initial_witness_candidates.size(); ++i) {
    if (!names.contains(g.initial_witness_candidates[i].owner_name)) {
      throw input_error(where + ".initial_witness_candidates[" + std::to_string(i) + "].owner_name",
                        "no account \"" + g.initial_witness_candidates[i].owner_name + "\"");
    }
  }
  for (std::size_t i = 0; i < g.initial_committee_candidates.size(); ++i) {
    if (!names.contains(g.initial_committee_candidates[i].owner_name)) {
      throw input_error(
          where + ".initial_committee_candidates[" + std::to_string(i) + "].owner_name",
          "no account \"" + g.initial_committee_candidates[i].owner_name + "\"");
    }
  }
  if (g.initial_active_witnesses == 0 ||
      g.initial_active_witnesses > g.initial_witness_candidates.size()) {
    throw input_error(where + ".initial_active_witnesses",
                      "must be between 1 and the number of witness candidates");
  }
  return g;
}

chain_id_type compute_chain_id(std::string_view genesis_json_text) {
  return crypto::sha256(genesis_json_text);
}

std::string builtin_genesis_json(const builtin_genesis_options& options) {
  std::string text(genesis_template);
  replace_all(text, "@BLOCK_INTERVAL@", std::to_string(options.block_interval));
  replace_all(text, "@MAX_BLOCK_SIZE@", std::to_string(options.maximum_block_size));
  replace_all(text, "@MAX_TRX_SIZE@", std::to_string(options.maximum_transaction_size));
  return text;
}

}  // namespace bts::chain
