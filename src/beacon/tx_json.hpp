// The JSON text of a signed transaction, written straight from the struct for the operations the
// beacon builds (transfer with or without memo, limit_order_create, limit_order_cancel), byte for
// byte what boost::json::serialize(protocol::transaction_to_json(tx, {prefix})) produces, without
// building a boost::json::value tree first: the signer threads' cost per transaction is then
// signing, not JSON (bench/beacon_bench.cpp compares it with raw libsecp256k1).
//
//   std::string text;
//   if (!append_transaction_json(text, tx, key_text)) text = generic...;   // other operations
//
// Numbers follow fc (protocol/json.hpp): int64 outside the int32 range and uint64 above
// 0xffffffff are decimal strings.
//
// Threads: pure functions.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "crypto/keys.hpp"
#include "protocol/transaction.hpp"

namespace bts::beacon {

// The text of a public key with the chain's prefix ("BTS6M..."), typically cached by the caller
// (encoding one costs a RIPEMD-160 and a base58 conversion).
using key_text_fn = std::function<std::string_view(const crypto::public_key&)>;

// Appends the transaction's JSON to `out` and returns true; returns false (out unchanged) when
// the transaction holds something this writer does not cover (another operation type,
// non-empty extensions), for the caller to use the generic path.
bool append_transaction_json(std::string& out, const protocol::signed_transaction& tx,
                             const key_text_fn& key_text);

}  // namespace bts::beacon
