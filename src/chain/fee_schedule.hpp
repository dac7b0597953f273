// The fee schedule (graphene/protocol/fee_schedule.hpp): per-operation fee parameters and a
// scale, and the fee each operation requires.
//
// JSON: {"parameters": [[tag, {fee parameters}], ...], "scale": 10000}. Parameters of the
// implemented operations are read by name with bitshares-core's compiled defaults for missing
// ones; parameters of other operations are kept as given, so get_global_properties shows the
// schedule the genesis declared.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <map>
#include <string_view>

#include "protocol/operations.hpp"
#include "protocol/types.hpp"

namespace bts::chain {

class fee_schedule {
 public:
  // Throws bts::input_error naming the offending entry.
  static fee_schedule from_json(const boost::json::value& json);
  boost::json::value to_json() const;

  std::uint32_t scale() const { return scale_; }
  void set_scale(std::uint32_t scale) { scale_ = scale; }

  // Fee parameter `name` of operation `tag`; the compiled default when the schedule has none.
  std::uint64_t parameter(std::uint16_t tag, std::string_view name) const;
  void set_parameter(std::uint16_t tag, std::string_view name, std::uint64_t value);

  // fee_schedule::calculate_fee(op): the operation's core fee, scaled by scale/10000.
  // Throws chain_error when it would exceed GRAPHENE_MAX_SHARE_SUPPLY.
  protocol::share_type calculate_fee(const protocol::operation& op) const;

 private:
  std::map<std::uint16_t, boost::json::object> parameters_;
  std::uint32_t scale_ = 10000;
};

// base_operation::calculate_data_fee: bytes * price_per_kbyte / 1024.
std::uint64_t calculate_data_fee(std::uint64_t bytes, std::uint64_t price_per_kbyte);

}  // namespace bts::chain
