// The fee budget: what a scenario will spend, and whether the beacon's accounts can pay it.
//
//   fee_budget b = compute_fee_budget(sc, setup.parameters, {"BTS", 5}, held, 4);
//   if (!b.affordable() && !sc.ignore_fee_budget) throw input_error("fee budget", b.refusal());
//
// Spend = transactions x (mean fee of one transaction of the mix) + amounts that leave the
// account set. Transactions: the scenario's count, or its rate profile over its duration; a
// rate search's worst case (every step up to max at full step_duration, then settle and hold at
// max), capped by duration and count; an unlimited rate without a count is not estimated (the
// budget then only reports what the accounts hold). Fees: chain::fee_schedule::calculate_fee of
// one representative operation of each kind of the mix (a memo of a typical beacon memo's size),
// weighted by the mix and multiplied by the mean operations per transaction (ops_per_tx max: as
// many as maximum_transaction_size holds of the mix's mean packed size). A cancel pays at least
// a transfer's fee, as the factory sends a transfer when it has no open order to cancel.
// Amounts: transfers go between the beacon's own accounts (factory.hpp), so their amounts stay
// in the set; a limit order locks its amount_to_sell (the mean of the amount distribution),
// counted as spent even though a cancel may return it (the budget errs on the safe side).
// The balances compared with are the core asset balances of all the beacon's accounts, summed.
//
// Threads: pure functions and plain values.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "beacon/chain_context.hpp"
#include "scenario/scenario.hpp"

namespace bts::beacon {

// The core asset as the budget's texts write amounts.
struct asset_format {
  std::string symbol = "BTS";
  std::uint8_t precision = 5;
};

// Smallest units as the asset's amount: "1,990,000", "21.04492" (thousands grouped, trailing
// zeros of the fraction cut).
std::string amount_text(std::int64_t units, std::uint8_t precision);

// How many transactions a scenario sends at most.
struct transaction_estimate {
  std::optional<double> transactions;  // nullopt: not estimated (no bound)
  std::string basis;                   // how: "count 1,000", "constant 500 tx/s for 30s", ...
};
// block_interval: seconds, for a search's default settle (rate_searcher::default_settle).
transaction_estimate estimate_transactions(const scenarios::scenario& sc,
                                           std::uint32_t block_interval);

// One transaction of the mix, on average, in core units.
struct transaction_cost {
  double ops = 1;     // operations per transaction
  double fee = 0;     // fees paid
  double amount = 0;  // amounts that leave the account set (locked in limit orders)
};
transaction_cost estimate_transaction_cost(const scenarios::scenario& sc,
                                           const chain_parameters& parameters);

struct fee_budget {
  asset_format asset;
  std::optional<std::uint64_t> transactions;  // estimated; nullopt: not estimated
  std::string basis;
  transaction_cost per_transaction;
  std::int64_t needed_fees = 0;     // core units
  std::int64_t needed_amounts = 0;  // core units
  std::int64_t held = 0;            // core units, all accounts
  std::uint32_t accounts = 0;

  std::int64_t needed() const { return needed_fees + needed_amounts; }
  // True when not estimated (nothing to compare).
  bool affordable() const { return !transactions || held >= needed(); }
  // {needed_fees, needed_amounts, held, asset, precision, transactions_estimated,
  //  fee_per_transaction, ops_per_transaction, accounts, basis, affordable}; amounts in units;
  // transactions_estimated and affordable null when not estimated.
  boost::json::object to_json() const;
  // "the run needs ~5,821,400 BTS in fees (291,070 transactions × 20 BTS) plus 0 BTS in
  // amounts; the 4 accounts hold 1,990,000 BTS (short by 3,831,400 BTS); fund them (beacon
  // provision --for-scenario FILE) or pass --ignore-fee-budget". REQUIRES: transactions.
  std::string refusal() const;
  // One line for either outcome (notes, logs).
  std::string describe() const;
};

fee_budget compute_fee_budget(const scenarios::scenario& sc, const chain_parameters& parameters,
                              asset_format asset, std::int64_t held, std::uint32_t accounts);

}  // namespace bts::beacon
