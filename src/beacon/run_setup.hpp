// What a beacon run reads from the chain before it starts, and the configuration of its parts
// derived from that and the scenario.
//
//   run_setup s = read_run_setup(options);   // blocking calls to the first node
//   tx_factory f(factory_config_of(options, s), head, orders, ids);
//   presign_pool p(f, presign_options_of(options), clock);
//
// read_run_setup: chain id, fee schedule and limits (get_global_properties), head
// (get_dynamic_global_properties), key prefix (get_config), account ids and memo keys
// (lookup_account_names), the order asset (lookup_asset_symbols), the core asset (get_objects
// 1.3.0) and what the accounts hold of it (get_account_balances, one call per account), for the
// fee budget (fee_budget.hpp). Problems are bad
// configuration: bts::input_error ("accounts: bob not found on ws://...: run `bts-infra beacon
// provision`").
//
// Threads: pure functions but for read_run_setup's network calls (on a connection of its own).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "beacon/beacon.hpp"
#include "beacon/chain_context.hpp"
#include "beacon/factory.hpp"
#include "beacon/fee_budget.hpp"
#include "beacon/presign_pool.hpp"

namespace bts::beacon {

// Chain facts read once at setup.
struct run_setup {
  protocol::chain_id_type chain_id{};
  std::string chain_id_hex;
  chain_parameters parameters;
  boost::json::value raw_parameters;
  head_info head;
  std::string key_prefix = "BTS";
  std::shared_ptr<std::vector<account>> accounts;
  std::optional<protocol::asset_id_type> order_asset;
  asset_format core_asset;     // symbol and precision of 1.3.0
  std::int64_t held = 0;       // core units the accounts hold, summed
  boost::json::object budget;  // fee_budget::to_json(), for the start event
};

// REQUIRES: o.sc.nodes not empty.
run_setup read_run_setup(const beacon_options& o);

factory_config factory_config_of(const beacon_options& o, const run_setup& s);

// The pool's depth (presign_depth, or sized for the rate: a search's for its last step),
// signer threads, and the expiration margin.
presign_options presign_options_of(const beacon_options& o);

// The scenario's fee budget against what the accounts hold (fee_budget.hpp).
fee_budget fee_budget_of(const beacon_options& o, const run_setup& s);

}  // namespace bts::beacon
