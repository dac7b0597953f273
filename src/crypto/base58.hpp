// Base58 with the Bitcoin alphabet, as fc::to_base58 / from_base58.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bts::crypto {

std::string base58_encode(std::span<const std::uint8_t> data);

// Throws bts::input_error("invalid base58 character 'X' at offset N").
std::vector<std::uint8_t> base58_decode(std::string_view text);

}  // namespace bts::crypto
