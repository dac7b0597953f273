// The order book (bitshares-core db_market.cpp): a new limit order is matched against the
// opposite side of its market, best price first, each fill at the maker's price; taker and maker
// amounts are rounded as after HARDFORK_CORE_342/184; orders too small to buy anything at their
// own price are culled and refunded.
#include "chain/asset_math.hpp"
#include "chain/chain_error.hpp"
#include "chain/config.hpp"
#include "chain/database.hpp"

namespace bts::chain {

using protocol::asset;

bool database::apply_order(limit_order_id_type order_id) {
  const limit_order_object& order = limit_orders_.at(order_id.instance);
  const std::uint64_t sell = order.sell_asset_id().instance;
  const std::uint64_t receive = order.receive_asset_id().instance;
  // The opposite side may fill this order when its sell price is at least ~sell_price.
  const price max_price = invert(order.sell_price);
  bool finished = false;
  while (!finished) {
    const auto it = order_book_.lower_bound({receive, sell, config::max_share_supply, 1, 0});
    if (it == order_book_.end() || it->base != receive || it->quote != sell) break;
    if (int128(it->base_amount) * max_price.quote.amount <
        int128(max_price.base.amount) * it->quote_amount)
      break;
    const limit_order_id_type maker{it->id};
    const price match_price = limit_orders_.at(maker.instance).sell_price;
    // match() returns 2 when only the maker was filled: keep matching.
    finished = match(order_id, maker, match_price) != 2;
  }
  if (!limit_orders_.contains(order_id.instance)) return true;
  return maybe_cull_small_order(order_id);
}

int database::match(limit_order_id_type taker_id, limit_order_id_type maker_id,
                    const price& match_price) {
  const asset taker_for_sale = limit_orders_.at(taker_id.instance).amount_for_sale();
  const asset maker_for_sale = limit_orders_.at(maker_id.instance).amount_for_sale();
  asset taker_receives;
  asset maker_receives;
  bool cull_taker = false;
  if (taker_for_sale.amount <= multiply(maker_for_sale, match_price).amount) {
    taker_receives = multiply(taker_for_sale, match_price);
    // The taker would pay something for nothing: it is done (and culled by apply_order).
    if (taker_receives.amount == 0) return 1;
    maker_receives = multiply_and_round_up(taker_receives, match_price);
    cull_taker = true;
  } else {
    maker_receives = multiply(maker_for_sale, match_price);
    taker_receives = multiply_and_round_up(maker_receives, match_price);
  }
  const asset maker_pays = taker_receives;
  const asset taker_pays = maker_receives;
  int result = 0;
  result |= fill_limit_order(taker_id, taker_pays, taker_receives, cull_taker, false) ? 1 : 0;
  result |= (fill_limit_order(maker_id, maker_pays, maker_receives, true, true) ? 1 : 0) << 1;
  return result;
}

asset database::pay_market_fees(const asset_object& receive_asset, const asset& receives,
                                bool is_maker) {
  if (!(receive_asset.options.flags & config::charge_market_fee)) return asset{0, receive_asset.id};
  const auto& taker_percent = receive_asset.options.extensions.value.taker_fee_percent;
  std::uint16_t percent = receive_asset.options.market_fee_percent;
  if (!is_maker && taker_percent) percent = *taker_percent;
  if (percent == 0) return asset{0, receive_asset.id};
  share_type fee = static_cast<share_type>(int128(receives.amount) * percent / config::percent_100);
  if (fee > receive_asset.options.max_market_fee) fee = receive_asset.options.max_market_fee;
  if (fee > 0) {
    modify_asset_dynamic_data(receive_asset.id,
                              [&](asset_dynamic_data_object& d) { d.accumulated_fees += fee; });
  }
  return asset{fee, receive_asset.id};
}

bool database::fill_limit_order(limit_order_id_type order_id, const asset& pays,
                                const asset& receives, bool cull_if_small, bool is_maker) {
  const limit_order_object order = limit_orders_.at(order_id.instance);
  const asset fees = pay_market_fees(assets_[receives.asset_id.instance], receives, is_maker);
  // pay_order
  if (pays.asset_id.instance == 0) {
    modify_statistics(order.seller,
                      [&](account_statistics_object& s) { s.total_core_in_orders -= pays.amount; });
  }
  adjust_balance(order.seller, asset{receives.amount - fees.amount, receives.asset_id});
  // The order's creation fee was deferred until it fills (or is cancelled).
  if (order.deferred_fee > 0) {
    const share_type threshold = parameters().cashback_vesting_threshold;
    modify_statistics(order.seller, [&](account_statistics_object& s) {
      s.pay_fee(order.deferred_fee, threshold);
    });
  }
  if (order.deferred_paid_fee.amount > 0) {
    modify_asset_dynamic_data(order.deferred_paid_fee.asset_id, [&](asset_dynamic_data_object& d) {
      d.accumulated_fees += order.deferred_paid_fee.amount;
    });
  }
  if (pays.amount == order.for_sale) {
    remove_limit_order(order_id);
    return true;
  }
  modify_limit_order(order_id, [&](limit_order_object& o) {
    o.for_sale -= pays.amount;
    o.deferred_fee = 0;
    o.deferred_paid_fee.amount = 0;
  });
  if (cull_if_small) return maybe_cull_small_order(order_id);
  return false;
}

bool database::maybe_cull_small_order(limit_order_id_type order_id) {
  const limit_order_object& order = limit_orders_.at(order_id.instance);
  if (multiply(order.amount_for_sale(), order.sell_price).amount == 0) {
    cancel_limit_order(order_id, true);
    return true;
  }
  return false;
}

asset database::cancel_limit_order(limit_order_id_type order_id, bool create_virtual_op) {
  const limit_order_object order = limit_orders_.at(order_id.instance);
  share_type deferred_fee = order.deferred_fee;
  asset deferred_paid_fee = order.deferred_paid_fee;
  if (create_virtual_op && deferred_fee > 0) {
    // Expired or culled orders pay the cancellation fee out of the deferred creation fee.
    protocol::limit_order_cancel_operation vop;
    vop.order = order_id;
    vop.fee_paying_account = order.seller;
    share_type cancel_fee = parameters().current_fees.calculate_fee(vop);
    if (cancel_fee > deferred_fee) cancel_fee = deferred_fee;
    if (cancel_fee > 0) {
      const share_type threshold = parameters().cashback_vesting_threshold;
      modify_statistics(order.seller,
                        [&](account_statistics_object& s) { s.pay_fee(cancel_fee, threshold); });
      if (deferred_paid_fee.amount > 0) {
        const share_type paid_part = static_cast<share_type>(
            (int128(deferred_paid_fee.amount) * cancel_fee + order.deferred_fee - 1) /
            order.deferred_fee);
        modify_asset_dynamic_data(deferred_paid_fee.asset_id, [&](asset_dynamic_data_object& d) {
          d.accumulated_fees += paid_part;
        });
        deferred_paid_fee.amount -= paid_part;
      }
      deferred_fee -= cancel_fee;
    }
  }
  const asset refunded = order.amount_for_sale();
  if (refunded.asset_id.instance == 0) {
    modify_statistics(order.seller, [&](account_statistics_object& s) {
      s.total_core_in_orders -= refunded.amount;
    });
  }
  adjust_balance(order.seller, refunded);
  if (order.deferred_paid_fee.amount == 0) {
    adjust_balance(order.seller, asset{deferred_fee, asset_id_type{0}});
  } else {
    adjust_balance(order.seller, deferred_paid_fee);
    modify_asset_dynamic_data(deferred_paid_fee.asset_id,
                              [&](asset_dynamic_data_object& d) { d.fee_pool += deferred_fee; });
  }
  remove_limit_order(order_id);
  return refunded;
}

}  // namespace bts::chain
