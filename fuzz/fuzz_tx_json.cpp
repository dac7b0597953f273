// Fuzzes the JSON transaction reader: parse_json + transaction_from_json, then round trips.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bts::protocol::signed_transaction tx;
  try {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    tx = bts::protocol::transaction_from_json(bts::protocol::parse_json(text, "fuzz"));
  } catch (const bts::input_error&) {
    return 0;
  }
  bts::fuzz::check_round_trips(tx);
  return 0;
}
