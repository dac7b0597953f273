// Market operations (bitshares-core graphene/protocol/market.hpp).
#pragma once

#include <optional>
#include <vector>

#include "protocol/asset.hpp"
#include "protocol/types.hpp"

namespace bts::protocol {

// "Order-sends-order" take-profit action (hardfork CORE-2535).
struct create_take_profit_order_action {
  asset_id_type fee_asset_id;
  std::uint16_t spread_percent = 0;
  std::uint16_t size_percent = 10000;  // GRAPHENE_100_PERCENT
  std::uint32_t expiration_seconds = 0;
  bool repeat = false;
  extensions_type extensions;
};
BTS_REFLECT(create_take_profit_order_action,
            (fee_asset_id)(spread_percent)(size_percent)(expiration_seconds)(repeat)(extensions))

using limit_order_auto_action = static_variant<create_take_profit_order_action>;

struct limit_order_create_operation {
  static constexpr std::uint16_t tag = 1;
  struct options_type {
    std::optional<std::vector<limit_order_auto_action>> on_fill;
  };

  asset fee;
  account_id_type seller;
  asset amount_to_sell;
  asset min_to_receive;
  time_point_sec expiration = time_point_sec::maximum();
  bool fill_or_kill = false;
  extension<options_type> extensions;
};
BTS_REFLECT(limit_order_create_operation::options_type, (on_fill))
BTS_REFLECT(limit_order_create_operation,
            (fee)(seller)(amount_to_sell)(min_to_receive)(expiration)(fill_or_kill)(extensions))

// The C++ struct in bitshares-core declares `order` first; the reflected (wire) order is
// fee_paying_account, then order.
struct limit_order_cancel_operation {
  static constexpr std::uint16_t tag = 2;
  asset fee;
  account_id_type fee_paying_account;
  limit_order_id_type order;
  extensions_type extensions;
};
BTS_REFLECT(limit_order_cancel_operation, (fee)(fee_paying_account)(order)(extensions))

struct call_order_update_operation {
  static constexpr std::uint16_t tag = 3;
  struct options_type {
    std::optional<std::uint16_t> target_collateral_ratio;
  };

  asset fee;
  account_id_type funding_account;
  asset delta_collateral;  // may be negative
  asset delta_debt;        // may be negative
  extension<options_type> extensions;
};
BTS_REFLECT(call_order_update_operation::options_type, (target_collateral_ratio))
BTS_REFLECT(call_order_update_operation,
            (fee)(funding_account)(delta_collateral)(delta_debt)(extensions))

}  // namespace bts::protocol
