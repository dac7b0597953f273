// `bts-infra beacon provision`: the accounts and the test asset a beacon needs, created through a
// node by a lifetime-member registrar.
//
//   provision_report r = provision({.node = "ws://127.0.0.1:8090", .registrar = "nathan",
//                                   .registrar_wif_file = "nathan.wif", .count = 20,
//                                   .accounts_out = "accounts.txt"});
//
// Idempotent: the accounts file, when it exists, supplies the keys of accounts made before;
// lookup_account_names tells which of the N names exist. Only missing accounts are created
// (account_create, a fresh key each as owner, active and memo key), only accounts below half of
// `fund` are topped up (transfer), the asset is created only when lookup_asset_symbols does not
// find it and issued only to accounts holding none. A name taken on chain whose key is not in
// the file is skipped (reported) and the next index used. The accounts file is written with
// mode 0600; keys are never printed.
//
// With claim_genesis_balance, the registrar key's genesis balance objects are claimed first
// (get_balance_objects, then one balance_claim each, signed by that key); without it, a
// registrar holding no core asset while such balances wait gets an error saying so.
//
// With for_scenario (`--for-scenario FILE`), each account's funding is its share of what that
// scenario's fee budget needs (fee_budget.hpp: fees and locked amounts, computed with the node's
// fee schedule) instead of `fund`, and every account below it is topped up to it. The share is
// raised by three standard deviations of the account's transaction count (payers are drawn at
// random: with n transactions per account, by 3 sqrt(n) / n; 42% for 50, 3% for 10,000), then
// by `budget_margin` (10%). A scenario whose spend has no bound (an unlimited rate without a count)
// is bad input.
//
// Each step broadcasts and then waits (polling, up to `wait`) until the node shows its effect,
// so a later step can rely on it.
//
// Threads: blocking; call from one thread. Errors: bts::input_error for bad input, unreachable
// nodes and rejected transactions (with the node's message).
#pragma once

#include <boost/json/object.hpp>

#include <optional>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace bts::beacon {

struct provision_options {
  std::string node;
  std::string registrar;
  std::string registrar_wif_file;
  std::uint32_t count = 10;
  std::string accounts_out;
  std::string name_prefix = "beacon-";
  std::int64_t fund = 100'000'000'000;  // core units per account (1,000,000 BTS at precision 5)
  std::string asset_symbol = "BEACON";
  std::int64_t asset_issue = 100'000'000'000;  // test asset units per account
  std::chrono::seconds wait{60};
  // Claims the registrar key's unclaimed genesis balances (balance_claim, 1.15.x objects owned
  // by the key's address) into the registrar before anything else: a fresh witness_node testnet
  // keeps its genesis allocation there. Without it such balances are only reported.
  bool claim_genesis_balance = false;
  // Fund for this scenario (see above); `for_scenario_source` names it in messages.
  std::optional<scenarios::scenario> for_scenario;
  std::string for_scenario_source;
  double budget_margin = 0.10;
  std::int64_t min_fund = 0;  // with for_scenario: fund each account at least this
};

struct provision_report {
  std::uint32_t claimed = 0;           // genesis balance objects claimed
  std::int64_t claimed_core = 0;       // of which core asset units
  std::uint32_t existing = 0;  // accounts found (with keys) before
  std::uint32_t created = 0;
  std::uint32_t funded = 0;
  std::uint32_t issued = 0;
  bool asset_created = false;
  std::int64_t fund = 0;             // core units each account was brought up to (when below)
  boost::json::object fee_budget;    // with for_scenario: the scenario's budget over all accounts
  std::vector<std::string> skipped;  // names taken on chain without a key in the file
  std::string accounts_file;
  boost::json::object to_json() const;
};

provision_report provision(const provision_options& options);

}  // namespace bts::beacon
