// What the beacon needs to know about the chain to build valid transactions, read from a node
// (bitshares-protocol.md §1.3, §1.4, §3): the chain id, fee parameters of the operations it
// sends, the maximum transaction size and expiration, the reference block (TaPoS) and head time,
// and its accounts (ids, keys, memo keys).
//
// Functions here turn node JSON (get_global_properties, get_dynamic_global_properties,
// get_accounts) into these values; they know no sockets, so tests feed them literal JSON.
//
// Threads: plain values. The factory copies what it needs; the reference block is shared
// through reference_block_cell (thread-safe).
#pragma once

#include <boost/json/fwd.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "chain/fee_schedule.hpp"
#include "crypto/keys.hpp"
#include "protocol/operations.hpp"
#include "protocol/types.hpp"

namespace bts::beacon {

// get_global_properties().parameters -> fees and limits. Throws input_error naming the JSON path
// when the shape is wrong.
struct chain_parameters {
  // parameters.current_fees: the devnet's own fee schedule type, so the fee the beacon pays is
  // computed by the same function that the devnet checks it with (calculate_fee).
  chain::fee_schedule fees;
  std::uint32_t maximum_transaction_size = 2048;
  std::uint32_t maximum_time_until_expiration = 86400;
  std::uint32_t block_interval = 3;
  std::uint32_t maximum_block_size = 2000000;
};
chain_parameters parse_global_properties(const boost::json::value& gp);

// The reference block and head time from get_dynamic_global_properties.
struct head_info {
  std::uint32_t head_block_number = 0;
  protocol::block_id_type head_block_id{};
  std::uint32_t head_time = 0;  // seconds since epoch
  std::uint32_t last_irreversible_block_num = 0;
};
head_info parse_dynamic_global_properties(const boost::json::value& dgp);

// A beacon account: name and key from the accounts file, id and memo key from the node.
struct account {
  std::string name;
  protocol::account_id_type id;
  crypto::private_key key;
  crypto::public_key public_key;
  crypto::public_key memo_key;  // the memo key on chain (the account's own key when provisioned)
};

// Parses an accounts file: "name WIF" per line, '#' comments and blank lines skipped; the text
// of an environment variable may separate entries with ';' too. `source` names it in errors
// ("accounts.txt:3: ..."); keys never appear in messages, nor does a first column that is not a
// valid account name (it may be a key: columns swapped).
struct account_entry {
  std::string name;
  crypto::private_key key;
};
std::vector<account_entry> parse_accounts(std::string_view text, const std::string& source);
// Writes the same format (names and WIFs) for `beacon provision`.
std::string format_accounts(const std::vector<account_entry>& accounts);

// The reference block the factory puts into new transactions, refreshed by the broadcaster.
// Threads: any thread may get/set.
// `fetched_at` is the steady-clock time (ns since its epoch) the head was read, so the head time
// can be extrapolated: estimated_head_time(now) = head_time + (now - fetched_at).
class reference_block_cell {
 public:
  void set(const head_info& h, std::int64_t fetched_at_ns) {
    std::lock_guard lock(mu_);
    head_ = h;
    fetched_at_ns_ = fetched_at_ns;
  }
  head_info get() const {
    std::lock_guard lock(mu_);
    return head_;
  }
  // Head time extrapolated to `now_ns` (same clock as fetched_at), in seconds since the epoch.
  std::uint32_t estimated_head_time(std::int64_t now_ns) const {
    std::lock_guard lock(mu_);
    const std::int64_t elapsed =
        now_ns > fetched_at_ns_ ? (now_ns - fetched_at_ns_) / 1'000'000'000 : 0;
    return head_.head_time + static_cast<std::uint32_t>(elapsed);
  }

 private:
  mutable std::mutex mu_;
  head_info head_;
  std::int64_t fetched_at_ns_ = 0;
};

}  // namespace bts::beacon
