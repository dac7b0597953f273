// The OS's secure random source (getrandom(2)). Private to bts_crypto.
#pragma once

#include <cstdint>
#include <span>

namespace bts::crypto::detail {

// Fills `out` from getrandom(2), retrying on EINTR and short reads. Aborts if the kernel
// refuses (there is no safe way to continue without entropy).
void fill_random(std::span<std::uint8_t> out);

}  // namespace bts::crypto::detail
