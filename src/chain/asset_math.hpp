// Arithmetic on assets and prices as bitshares-core does it (graphene/protocol/asset.cpp):
// 128-bit intermediates, rounding down unless the name says otherwise. Failures throw
// chain_error with bitshares-core's assertion text.
#pragma once

#include <cstdint>

#include "chain/chain_error.hpp"
#include "chain/config.hpp"
#include "protocol/asset.hpp"

namespace bts::chain {

using int128 = __int128;
using uint128 = unsigned __int128;

// asset * price: converts `a` into the other asset of `p`, rounding down.
inline protocol::asset multiply(const protocol::asset& a, const protocol::price& p) {
  uint128 result = 0;
  protocol::asset_id_type out_id;
  if (a.asset_id == p.base.asset_id) {
    if (p.base.amount <= 0) throw_assert("b.base.amount.value > 0", "operator*");
    result = uint128(static_cast<std::uint64_t>(a.amount)) *
             static_cast<std::uint64_t>(p.quote.amount) / static_cast<std::uint64_t>(p.base.amount);
    out_id = p.quote.asset_id;
  } else if (a.asset_id == p.quote.asset_id) {
    if (p.quote.amount <= 0) throw_assert("b.quote.amount.value > 0", "operator*");
    result = uint128(static_cast<std::uint64_t>(a.amount)) *
             static_cast<std::uint64_t>(p.base.amount) / static_cast<std::uint64_t>(p.quote.amount);
    out_id = p.base.asset_id;
  } else {
    throw_error(fc_kind::assert_exception, "operator*", "invalid asset * price");
  }
  if (result > uint128(config::max_share_supply)) {
    throw_assert("result <= GRAPHENE_MAX_SHARE_SUPPLY", "operator*");
  }
  return {static_cast<std::int64_t>(result), out_id};
}

// asset::multiply_and_round_up(price).
inline protocol::asset multiply_and_round_up(const protocol::asset& a, const protocol::price& p) {
  uint128 result = 0;
  protocol::asset_id_type out_id;
  if (a.asset_id == p.base.asset_id) {
    if (p.base.amount <= 0) throw_assert("b.base.amount.value > 0", "multiply_and_round_up");
    const std::uint64_t den = static_cast<std::uint64_t>(p.base.amount);
    result = (uint128(static_cast<std::uint64_t>(a.amount)) *
                  static_cast<std::uint64_t>(p.quote.amount) +
              den - 1) /
             den;
    out_id = p.quote.asset_id;
  } else if (a.asset_id == p.quote.asset_id) {
    if (p.quote.amount <= 0) throw_assert("b.quote.amount.value > 0", "multiply_and_round_up");
    const std::uint64_t den = static_cast<std::uint64_t>(p.quote.amount);
    result =
        (uint128(static_cast<std::uint64_t>(a.amount)) * static_cast<std::uint64_t>(p.base.amount) +
         den - 1) /
        den;
    out_id = p.base.asset_id;
  } else {
    throw_error(fc_kind::assert_exception, "multiply_and_round_up",
                "invalid asset::multiply_and_round_up(price)");
  }
  if (result > uint128(config::max_share_supply)) {
    throw_assert("result <= GRAPHENE_MAX_SHARE_SUPPLY", "multiply_and_round_up");
  }
  return {static_cast<std::int64_t>(result), out_id};
}

// price operator<: by base asset, quote asset, then base/quote ratio.
inline bool price_less(const protocol::price& a, const protocol::price& b) {
  if (a.base.asset_id.instance != b.base.asset_id.instance) {
    return a.base.asset_id.instance < b.base.asset_id.instance;
  }
  if (a.quote.asset_id.instance != b.quote.asset_id.instance) {
    return a.quote.asset_id.instance < b.quote.asset_id.instance;
  }
  return int128(b.quote.amount) * a.base.amount < int128(a.quote.amount) * b.base.amount;
}

// ~price: base and quote swapped.
inline protocol::price invert(const protocol::price& p) { return {p.quote, p.base}; }

}  // namespace bts::chain
