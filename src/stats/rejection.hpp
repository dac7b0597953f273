// Rejection reasons: what a node's refusal of a transaction says, as one short normalized key,
// and whose fault it is (its side). Every output keys its rejection counts by these keys
// (stats::counters::rejected_by_reason), and every output that shows a side asks side_of().
//
// A key is "<code> <kind>": the fc exception code as "fc:<n>" and the kind of refusal that
// bitshares-core produced, normalized and bounded:
//   "fc:10 insufficient_balance"   FC_ASSERT(insufficient_balance, "Insufficient Balance: ${..}")
//   "fc:10 now <= trx.expiration"  FC_ASSERT(now <= trx.expiration, "") : the expression
//   "fc:4010007 insufficient_fee"  a specific exception type: its name
//   "fc:3030001 duplicate_transaction"
// Unanswered broadcasts keep their category ("timeout", "disconnected", "protocol").
//
// What witness_node sends (bitshares-fc websocket_api, fc::exception's to_variant):
//   error.code    the fc code (10 = assert_exception, the generic one)
//   error.message "Execution error: " + what() + ":" + " " + each formatted log message
//   error.data    {"code","name","message":what(),"stack":[{"context":{..},"format","data"}..]}
// stack[0] is the innermost message: for FC_ASSERT its format is "<expression>: <format>".
// The kind is taken, in order, from: a specific exception name; stack[0]'s human format
// (snake-cased words before its first "${" or ":"); stack[0]'s expression (whitespace
// collapsed); the same two read from error.message when there is no data. Words holding digits
// are dropped and the kind is capped at max_kind_length, so cardinality stays bounded.
//
// Sides: `beacon` for refusals of the load generator's own setup (its accounts' funds, expired
// pre-signed transactions, duplicate ids, bad fees, missing authority or signatures, TaPoS);
// `network` for everything else (refusals under load, timeouts, disconnects, time limits, not
// included, anything unknown).
//
// Threads: pure functions and constants.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace bts::stats {

enum class rejection_side { beacon, network };
// "beacon" or "network".
std::string_view to_string(rejection_side side);

// The longest kind (characters); longer kinds are cut.
inline constexpr std::size_t max_kind_length = 80;
// Distinct reasons kept per row or run; more fold into "<code> other" (see add_rejection).
inline constexpr std::size_t max_reasons = 16;

// The key of a node's JSON-RPC error: its error.code, error.message and error.data (null when
// none was sent).
std::string rejection_key(std::int64_t code, std::string_view message,
                          const boost::json::value& data);

// The side of a key made by rejection_key (or a category: "timeout", "disconnected", ...).
rejection_side side_of(std::string_view key);

// A key's two parts: "fc:10 insufficient_balance" -> {"fc:10", "insufficient_balance"};
// a category ("timeout") -> {"timeout", ""}.
struct rejection_parts {
  std::string_view code;
  std::string_view kind;
};
rejection_parts split_rejection(std::string_view key);

// Adds `n` rejections under `key`, keeping at most max_reasons distinct keys in `by_reason`:
// past that, a new key folds into "<code> other" (network side) or "<code> other_beacon_side"
// (beacon side), so a folded count keeps its code and its side.
void add_rejection(std::map<std::string, std::int64_t>& by_reason, const std::string& key,
                   std::int64_t n);

// Rejections per side, {"beacon": n, "network": m}, of a by-reason map.
struct side_totals {
  std::int64_t beacon = 0;
  std::int64_t network = 0;
};
side_totals totals_by_side(const std::map<std::string, std::int64_t>& by_reason);
// rejected_by_side in JSON: {"beacon": n, "network": m}.
boost::json::object sides_json(const std::map<std::string, std::int64_t>& by_reason);
// The reasons for people and dashboards, most frequent first (then by key):
// [{"reason": key, "code": "fc:10", "kind": "insufficient_balance", "side": "beacon",
//   "count": n}, ...].
boost::json::array rejections_json(const std::map<std::string, std::int64_t>& by_reason);
// The reasons of one side, most frequent first, for people: "fc:10 insufficient_balance:
// 91,071, fc:10 now <= trx.expiration: 3"; at most `limit` reasons, then "and N more".
std::string reasons_text(const std::map<std::string, std::int64_t>& by_reason, rejection_side side,
                         std::size_t limit = 3);

}  // namespace bts::stats
