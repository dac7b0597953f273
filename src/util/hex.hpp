// Lower-case hex encoding, as bitshares-core prints ids, digests and serialized bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bts {

std::string to_hex(std::span<const std::uint8_t> bytes);

// Decodes hex (either case). Throws input_error("odd length"/"not hex at offset N").
std::vector<std::uint8_t> from_hex(std::string_view hex);

// Decodes exactly out.size() bytes of hex into `out`. Throws input_error naming the expected
// length when `hex` has another length.
void from_hex_exact(std::string_view hex, std::span<std::uint8_t> out);

}  // namespace bts
