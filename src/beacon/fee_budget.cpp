#include "beacon/fee_budget.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "beacon/factory.hpp"
#include "beacon/number_text.hpp"
#include "protocol/transaction.hpp"
#include "protocol/wire.hpp"

namespace bts::beacon {

namespace json = boost::json;

namespace {

double seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

// Sends of a piecewise-constant schedule (rate, seconds) within the first `cap` seconds.
double sends_within(const std::vector<std::pair<double, double>>& pieces, double cap) {
  double total = 0, t = 0;
  for (const auto& [rate, length] : pieces) {
    const double take = std::max(0.0, std::min(length, cap - t));
    total += rate * take;
    t += length;
    if (t >= cap) break;
  }
  return total;
}

double mean_amount(const scenarios::int_distribution& a) {
  using kind = scenarios::int_distribution::kind;
  const double lo = static_cast<double>(a.min), hi = static_cast<double>(a.max);
  switch (a.type) {
    case kind::fixed:
      return lo;
    case kind::uniform:
      return (lo + hi) / 2;
    case kind::log_uniform:  // exp(uniform(ln lo, ln(hi + 1))): mean (hi + 1 - lo) / ln(...)
      return hi + 1 > lo && lo > 0 ? (hi + 1 - lo) / std::log((hi + 1) / lo) : lo;
  }
  return lo;
}

// Packed bytes of one operation inside a transaction (as the factory's max fill counts them).
std::size_t op_bytes(const protocol::operation& op, std::size_t base) {
  protocol::transaction one;
  one.operations.push_back(op);
  std::vector<std::uint8_t> b;
  one.pack_unsigned(b);
  return b.size() - base - 1;
}

}  // namespace

std::string amount_text(std::int64_t units, std::uint8_t precision) {
  const bool negative = units < 0;
  const std::uint64_t u =
      negative ? 0 - static_cast<std::uint64_t>(units) : static_cast<std::uint64_t>(units);
  std::uint64_t scale = 1;
  for (std::uint8_t i = 0; i < precision; ++i) scale *= 10;
  std::string out = (negative ? "-" : "") + grouped(static_cast<double>(u / scale));
  std::uint64_t frac = u % scale;
  if (frac != 0) {
    std::string digits = std::to_string(frac);
    digits.insert(0, precision - digits.size(), '0');
    digits.erase(digits.find_last_not_of('0') + 1);
    out += "." + digits;
  }
  return out;
}

transaction_estimate estimate_transactions(const scenarios::scenario& sc,
                                           std::uint32_t block_interval) {
  std::optional<double> bound;
  std::string basis;
  if (sc.search) {
    const auto& s = *sc.search;
    const double settle =
        s.settle.count() > 0
            ? seconds(s.settle)
            : std::max(1.0, 3.0 * std::max<std::uint32_t>(1, block_interval));  // default_settle
    std::vector<std::pair<double, double>> pieces;
    std::size_t steps = 0;
    for (double r = s.start;; r = std::min(s.max, r + s.step)) {
      pieces.emplace_back(r, seconds(s.step_duration));
      ++steps;
      if (r >= s.max) break;
    }
    pieces.emplace_back(s.max, settle + seconds(s.hold));
    double length = 0;
    for (const auto& p : pieces) length += p.second;
    const bool cut = sc.duration && seconds(*sc.duration) < length;
    bound = sends_within(pieces, cut ? seconds(*sc.duration) : length);
    basis = "search worst case: " + grouped(static_cast<double>(steps)) + " steps up to " +
            scenarios::format_rate(s.max) + " tx/s, then settle and hold at it" +
            (cut ? ", cut at " + load::format_duration(*sc.duration) : "");
  } else if (!sc.rate.is_unlimited()) {
    if (sc.duration) {
      bound = sc.rate.count_at(*sc.duration);
      basis = sc.rate.describe() + " for " + load::format_duration(*sc.duration);
    } else if (const auto length = sc.rate.length()) {
      bound = sc.rate.count_at(*length);
      basis = sc.rate.describe();
    }
  }
  if (sc.count && (!bound || static_cast<double>(*sc.count) < *bound)) {
    bound = static_cast<double>(*sc.count);
    basis = "count " + grouped(static_cast<double>(*sc.count));
  }
  if (!bound) {
    basis = sc.rate.is_unlimited() ? "unlimited rate without a count: not estimated"
                                   : "no duration or count: not estimated";
  }
  return {bound ? std::optional<double>(std::ceil(*bound)) : std::nullopt, basis};
}

transaction_cost estimate_transaction_cost(const scenarios::scenario& sc,
                                           const chain_parameters& parameters) {
  using namespace protocol;
  const auto& fees = parameters.fees;
  transfer_operation plain;
  plain.amount = {static_cast<std::int64_t>(mean_amount(sc.amount)), asset_id_type{0}};
  transfer_operation with_memo = plain;
  // The factory's memo text is "<beacon> #<k>.<i>": with its 4-byte checksum, under 32 bytes
  // of AES-CBC ciphertext for names of up to 12 characters.
  memo_data memo;
  memo.from.data[0] = memo.to.data[0] = 2;
  memo.nonce = 1;
  memo.message.assign(32, 0);
  with_memo.memo = memo;
  limit_order_create_operation create;
  create.amount_to_sell = plain.amount;
  create.min_to_receive = {1, asset_id_type{1}};
  limit_order_cancel_operation cancel;

  const auto& mix = sc.mix;
  const double total = mix.total();
  transaction_cost c;
  if (!(total > 0)) return c;
  const double f_plain = static_cast<double>(fees.calculate_fee(plain)),
               f_memo = static_cast<double>(fees.calculate_fee(with_memo)),
               f_create = static_cast<double>(fees.calculate_fee(create)),
               f_cancel = std::max(static_cast<double>(fees.calculate_fee(cancel)), f_plain);
  const double fee_per_op =
      (mix.transfer * f_plain + mix.transfer_with_memo * f_memo +
       mix.limit_order_create * f_create + mix.limit_order_cancel * f_cancel) /
      total;
  const double amount_per_op = mix.limit_order_create * mean_amount(sc.amount) / total;

  using kind = scenarios::ops_per_tx::kind;
  const auto& o = sc.ops;
  switch (o.type) {
    case kind::fixed:
      c.ops = o.fixed;
      break;
    case kind::uniform:
      c.ops = (static_cast<double>(o.min) + static_cast<double>(o.max)) / 2;
      break;
    case kind::weighted: {
      double w = 0, sum = 0;
      for (const auto& [n, weight] : o.choices) {
        w += weight;
        sum += n * weight;
      }
      c.ops = w > 0 ? sum / w : 1;
      break;
    }
    case kind::max: {
      transaction empty;
      std::vector<std::uint8_t> b;
      empty.pack_unsigned(b);
      const std::size_t base = b.size() - 1;
      const double bytes =
          (mix.transfer * static_cast<double>(op_bytes(plain, base)) +
           mix.transfer_with_memo * static_cast<double>(op_bytes(with_memo, base)) +
           mix.limit_order_create * static_cast<double>(op_bytes(create, base)) +
           mix.limit_order_cancel * static_cast<double>(op_bytes(cancel, base))) /
          total;
      const double room =
          static_cast<double>(parameters.maximum_transaction_size) - static_cast<double>(base) - 2;
      c.ops = std::clamp(std::floor(room / bytes), 1.0, static_cast<double>(max_fill_ops));
      break;
    }
  }
  c.fee = c.ops * fee_per_op;
  c.amount = c.ops * amount_per_op;
  return c;
}

fee_budget compute_fee_budget(const scenarios::scenario& sc, const chain_parameters& parameters,
                              asset_format asset, std::int64_t held, std::uint32_t accounts) {
  fee_budget b;
  b.asset = std::move(asset);
  b.held = held;
  b.accounts = accounts;
  const transaction_estimate e = estimate_transactions(sc, parameters.block_interval);
  b.basis = e.basis;
  b.per_transaction = estimate_transaction_cost(sc, parameters);
  if (e.transactions) {
    b.transactions = static_cast<std::uint64_t>(*e.transactions);
    const double n = static_cast<double>(*b.transactions);
    b.needed_fees = static_cast<std::int64_t>(std::ceil(n * b.per_transaction.fee));
    b.needed_amounts = static_cast<std::int64_t>(std::ceil(n * b.per_transaction.amount));
  }
  return b;
}

json::object fee_budget::to_json() const {
  json::object o{{"needed_fees", needed_fees},
                 {"needed_amounts", needed_amounts},
                 {"held", held},
                 {"asset", asset.symbol},
                 {"precision", asset.precision},
                 {"accounts", accounts},
                 {"fee_per_transaction", std::llround(per_transaction.fee)},
                 {"ops_per_transaction", per_transaction.ops},
                 {"basis", basis}};
  o["transactions_estimated"] = transactions ? json::value(*transactions) : json::value(nullptr);
  o["affordable"] = transactions ? json::value(affordable()) : json::value(nullptr);
  return o;
}

std::string fee_budget::refusal() const {
  const auto a = [this](std::int64_t units) {
    return amount_text(units, asset.precision) + " " + asset.symbol;
  };
  const std::string accounts_text =
      accounts == 1 ? "the account holds" : "the " + grouped(accounts) + " accounts hold";
  return "the run needs ~" + a(needed_fees) + " in fees (" +
         grouped(static_cast<double>(transactions.value_or(0))) + " transactions × " +
         a(std::llround(per_transaction.fee)) + ") plus " + a(needed_amounts) + " in amounts; " +
         accounts_text + " " + a(held) +
         (held < needed() ? " (short by " + a(needed() - held) + ")" : "") +
         "; fund them (beacon provision --for-scenario FILE) or pass --ignore-fee-budget";
}

std::string fee_budget::describe() const {
  const auto a = [this](std::int64_t units) {
    return amount_text(units, asset.precision) + " " + asset.symbol;
  };
  if (!transactions) return "fee budget: " + basis + "; the accounts hold " + a(held);
  return "fee budget: the run needs ~" + a(needed()) + " (" + basis + "); the accounts hold " +
         a(held) + (held < needed() ? " (short by " + a(needed() - held) + ")" : "");
}

}  // namespace bts::beacon
