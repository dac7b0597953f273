// Fuzzes the binary transaction decoder (signed or unsigned bytes), then round trips.
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  bts::protocol::signed_transaction tx;
  try {
    tx = bts::protocol::unpack_transaction(std::span(data, size));
  } catch (const bts::input_error&) {
    return 0;
  }
  bts::fuzz::check_round_trips(tx);
  return 0;
}
