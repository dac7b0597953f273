// Non-throwing base58 decoding, so callers can word errors in their own terms (offsets into a
// prefixed key string, ...). Private to bts_crypto.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bts::crypto::detail {

// Returns false and sets `bad_offset` (index into `text`) on a character outside the alphabet.
bool base58_decode(std::string_view text, std::vector<std::uint8_t>& out, std::size_t& bad_offset);

// "invalid base58 character 'X' at offset N", non-printable characters shown as \xNN.
std::string bad_base58_message(std::string_view text, std::size_t offset);

}  // namespace bts::crypto::detail
