// Properties both fuzz targets check on anything that decodes. Only bts::input_error is an
// expected failure; any other exception escapes to libFuzzer and is reported as a crash.
#pragma once

#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "protocol/transaction.hpp"
#include "util/error.hpp"

namespace bts::fuzz {

[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "property violated: %s\n", what);
  std::abort();
}

// `tx` came out of a decoder: its bytes and JSON forms must agree with each other.
inline void check_round_trips(const protocol::signed_transaction& tx) {
  const std::vector<std::uint8_t> bytes = tx.pack();
  const protocol::signed_transaction again = protocol::unpack_transaction(bytes);
  if (again.pack() != bytes) fail("pack(unpack(pack(tx))) != pack(tx)");

  const std::string text = boost::json::serialize(protocol::transaction_to_json(tx));
  protocol::signed_transaction from_text;
  try {
    from_text = protocol::transaction_from_json(protocol::parse_json(text));
  } catch (const input_error&) {
    // Expected only for bytes JSON cannot carry back: a 33-byte key that is not a curve
    // point decodes (fc takes any 33 bytes) but bts::crypto refuses its text form.
    return;
  }
  if (from_text.pack() != bytes) fail("JSON round trip changed the bytes");
  if (boost::json::serialize(protocol::transaction_to_json(from_text)) != text) {
    fail("JSON round trip changed the JSON");
  }

  // Hashing and key recovery never throw anything but input_error.
  const protocol::chain_id_type chain{};
  (void)tx.id();
  try {
    (void)tx.get_signature_keys(chain);
  } catch (const input_error&) {
  }
}

}  // namespace bts::fuzz
