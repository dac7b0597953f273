// Name rules of bitshares-core (graphene/protocol/account.cpp, asset_ops.cpp).
#pragma once

#include <string_view>

namespace bts::chain {

// is_valid_name: 1..63 characters; dot-separated labels, each starting with a-z, ending with
// a-z or 0-9, with a-z, 0-9 and '-' in between.
bool is_valid_name(std::string_view name);

// is_cheap_name: a digit, '.', '-', '/' or no vowel (a e i o u y) makes a name "cheap"
// (basic_fee instead of premium_fee).
bool is_cheap_name(std::string_view name);

// is_valid_symbol: 3..16 characters, not starting with "BIT", A-Z and 0-9 with at most one '.',
// starting with a letter and ending with a letter or digit.
bool is_valid_symbol(std::string_view symbol);

}  // namespace bts::chain
