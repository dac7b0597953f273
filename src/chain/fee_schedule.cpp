#include "chain/fee_schedule.hpp"

#include <utility>
#include <vector>

#include "chain/asset_math.hpp"
#include "chain/chain_error.hpp"
#include "chain/config.hpp"
#include "chain/names.hpp"
#include "protocol/json.hpp"
#include "util/error.hpp"

namespace bts::chain {
namespace {

constexpr std::uint64_t P = config::core_precision;

struct param_default {
  std::string_view name;
  std::uint64_t value;
};

// Compiled defaults of the fee_parameters_type of operations, in reflection order
// (graphene/protocol/*.hpp). Operations not listed here keep whatever JSON they were given.
std::vector<param_default> defaults_of(std::uint16_t tag) {
  switch (tag) {
    case 0:
      return {{"fee", 20 * P}, {"price_per_kbyte", 10 * P}};  // transfer
    case 1:
      return {{"fee", 5 * P}};  // limit_order_create
    case 2:
      return {{"fee", 0}};  // limit_order_cancel
    case 3:
      return {{"fee", 20 * P}};  // call_order_update
    case 4:
      return {};  // fill_order
    case 5:
      return {{"basic_fee", 5 * P}, {"premium_fee", 2000 * P}, {"price_per_kbyte", P}};
    case 6:
      return {{"fee", 20 * P}, {"price_per_kbyte", P}};  // account_update
    case 7:
      return {{"fee", 3 * P / 10}};  // account_whitelist
    case 8:
      return {{"membership_annual_fee", 2000 * P}, {"membership_lifetime_fee", 10000 * P}};
    case 9:
      return {{"fee", 500 * P}};  // account_transfer
    case 10:
      return {{"symbol3", 500000 * P},
              {"symbol4", 300000 * P},
              {"long_symbol", 5000 * P},
              {"price_per_kbyte", 10}};  // asset_create
    case 11:
      return {{"fee", 500 * P}, {"price_per_kbyte", 10}};  // asset_update
    case 14:
      return {{"fee", 20 * P}, {"price_per_kbyte", P}};  // asset_issue
    case 15:
      return {{"fee", 20 * P}};  // asset_reserve
    case 16:
      return {{"fee", P}};  // asset_fund_fee_pool
    case 38:
      return {{"fee", 20 * P}, {"price_per_kbyte", 10}};  // override_transfer
    default:
      return {};
  }
}

bool has_known_layout(std::uint16_t tag) {
  switch (tag) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
    case 7:
    case 8:
    case 9:
    case 10:
    case 11:
    case 14:
    case 15:
    case 16:
    case 38:
      return true;
    default:
      return false;
  }
}

std::uint64_t read_u64(const boost::json::value& v) {
  return protocol::read_json_unsigned(v, std::numeric_limits<std::uint64_t>::max(), "uint64");
}

boost::json::value u64_json(std::uint64_t v) { return protocol::to_json(v); }

// Puts the known fields of `tag` in reflection order, defaults filled in; keeps unknown ones.
boost::json::object normalize(std::uint16_t tag, const boost::json::object& given) {
  if (!has_known_layout(tag)) return given;
  boost::json::object out;
  for (const auto& d : defaults_of(tag)) {
    const auto it = given.find(d.name);
    std::uint64_t value = d.value;
    if (it != given.end()) {
      try {
        value = read_u64(it->value());
      } catch (const input_error& e) {
        throw input_error(std::string(d.name), e.problem());
      }
    }
    out[d.name] = u64_json(value);
  }
  return out;
}

template <class T>
std::size_t pack_size_of(const T& value) {
  return protocol::pack_to_bytes(value).size();
}

}  // namespace

std::uint64_t calculate_data_fee(std::uint64_t bytes, std::uint64_t price_per_kbyte) {
  const uint128 result = uint128(bytes) * price_per_kbyte / 1024;
  if (result > uint128(config::max_share_supply)) {
    throw_assert("result <= GRAPHENE_MAX_SHARE_SUPPLY", "calculate_data_fee");
  }
  return static_cast<std::uint64_t>(result);
}

fee_schedule fee_schedule::from_json(const boost::json::value& json) {
  fee_schedule out;
  const auto& object = protocol::expect_object(json);
  if (const auto* scale = object.if_contains("scale")) {
    try {
      out.scale_ =
          static_cast<std::uint32_t>(protocol::read_json_unsigned(*scale, 0xffffffffu, "uint32"));
    } catch (const input_error& e) {
      throw e.within("scale");
    }
  }
  const auto* params = object.if_contains("parameters");
  if (params == nullptr) return out;
  const auto& list = protocol::expect_array(*params);
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string where = "parameters[" + std::to_string(i) + "]";
    const auto* pair = list[i].if_array();
    if (pair == nullptr || pair->size() != 2)
      throw input_error(where, "expected [tag, {fee parameters}]");
    std::uint16_t tag = 0;
    try {
      tag = static_cast<std::uint16_t>(protocol::read_json_unsigned(
          (*pair)[0], protocol::operation_tag_count - 1, "an operation tag"));
    } catch (const input_error& e) {
      throw e.within(where + "[0]");
    }
    const auto* body = (*pair)[1].if_object();
    if (body == nullptr) throw input_error(where + "[1]", "expected an object of fee parameters");
    try {
      out.parameters_[tag] = normalize(tag, *body);
    } catch (const input_error& e) {
      throw e.within(where + "[1]");
    }
  }
  return out;
}

boost::json::value fee_schedule::to_json() const {
  boost::json::array params;
  for (const auto& [tag, body] : parameters_) {
    params.push_back(boost::json::array{tag, body});
  }
  boost::json::object out;
  out["parameters"] = std::move(params);
  out["scale"] = scale_;
  return out;
}

std::uint64_t fee_schedule::parameter(std::uint16_t tag, std::string_view name) const {
  const auto it = parameters_.find(tag);
  if (it != parameters_.end()) {
    if (const auto* v = it->second.if_contains(name)) return read_u64(*v);
  }
  for (const auto& d : defaults_of(tag)) {
    if (d.name == name) return d.value;
  }
  return 0;
}

void fee_schedule::set_parameter(std::uint16_t tag, std::string_view name, std::uint64_t value) {
  auto& body = parameters_[tag];
  if (body.empty()) body = normalize(tag, {});
  body[name] = u64_json(value);
}

protocol::share_type fee_schedule::calculate_fee(const protocol::operation& op) const {
  using namespace protocol;
  const std::uint16_t tag = op.tag();
  const auto p = [&](std::string_view name) { return parameter(tag, name); };
  std::uint64_t fee = 0;
  std::visit(
      [&](const auto& o) {
        using Op = std::remove_cvref_t<decltype(o)>;
        if constexpr (std::is_same_v<Op, transfer_operation> ||
                      std::is_same_v<Op, override_transfer_operation>) {
          fee = p("fee");
          // pack_size(memo) of an optional<memo_data>: the presence byte counts.
          if (o.memo) fee += calculate_data_fee(pack_size_of(o.memo), p("price_per_kbyte"));
        } else if constexpr (std::is_same_v<Op, asset_issue_operation>) {
          // asset_ops.cpp charges the data fee with no `if (memo)`: an absent memo packs to its
          // one presence byte, so every issue pays price_per_kbyte / 1024 on top of `fee`.
          fee = p("fee") + calculate_data_fee(pack_size_of(o.memo), p("price_per_kbyte"));
        } else if constexpr (std::is_same_v<Op, balance_claim_operation>) {
          fee = 0;  // balance_claim_operation::calculate_fee
        } else if constexpr (std::is_same_v<Op, account_create_operation>) {
          fee = is_cheap_name(o.name) ? p("basic_fee") : p("premium_fee");
          fee += calculate_data_fee(pack_size_of(o), p("price_per_kbyte"));
        } else if constexpr (std::is_same_v<Op, account_update_operation>) {
          fee = p("fee");
          if (o.new_options) fee += calculate_data_fee(pack_size_of(o), p("price_per_kbyte"));
        } else if constexpr (std::is_same_v<Op, account_upgrade_operation>) {
          fee = o.upgrade_to_lifetime_member ? p("membership_lifetime_fee")
                                             : p("membership_annual_fee");
        } else if constexpr (std::is_same_v<Op, asset_create_operation>) {
          // calc_fee_visitor: once the schedule lists account_transfer (9) and ticket_create
          // (57), a sub-asset ("PARENT.SUB") costs account_transfer's fee instead.
          const bool sub_asset_fee = parameters_.contains(9) && parameters_.contains(57) &&
                                     o.symbol.find('.') != std::string::npos;
          if (sub_asset_fee) {
            fee = parameter(9, "fee");
          } else if (o.symbol.size() == 3) {
            fee = p("symbol3");
          } else if (o.symbol.size() == 4) {
            fee = p("symbol4");
          } else {
            fee = p("long_symbol");
          }
          fee += calculate_data_fee(pack_size_of(o), p("price_per_kbyte"));
        } else if constexpr (std::is_same_v<Op, asset_update_operation>) {
          fee = p("fee") + calculate_data_fee(pack_size_of(o), p("price_per_kbyte"));
        } else {
          fee = p("fee");
        }
      },
      op.value);
  if (scale_ != config::percent_100) {
    const uint128 scaled = uint128(fee) * scale_ / config::percent_100;
    if (scaled > uint128(config::max_share_supply)) {
      throw_assert("scaled <= GRAPHENE_MAX_SHARE_SUPPLY", "calculate_fee",
                   "Required fee after scaling would exceed maximum possible supply");
    }
    fee = static_cast<std::uint64_t>(scaled);
  }
  return static_cast<share_type>(fee);
}

}  // namespace bts::chain
