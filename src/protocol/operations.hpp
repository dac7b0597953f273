// The operation static_variant (bitshares-core graphene/protocol/operations.hpp).
//
// bitshares-core's `operation` is a static_variant over 78 operation types whose position is
// the wire tag. bts-infra implements a subset; `operation` holds one of the supported structs
// and each struct carries its `tag`, so the wire and JSON forms are the same as the node's:
//   wire: varint tag + body        JSON: [tag, {body}]   (input also accepts ["transfer", {...}])
// Known but unsupported tags are rejected with a clear message
// (`operation 22 (proposal_create) is not supported yet`), unknown ones likewise.
//
// Adding an operation: define its struct with `tag` and BTS_REFLECT in its group header
// (transfer.hpp, market.hpp, account.hpp, asset_ops.hpp, balance.hpp, ...) and list it in
// `operation::variant_type` below. Nothing else is needed.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

#include "protocol/account.hpp"
#include "protocol/asset_ops.hpp"
#include "protocol/balance.hpp"
#include "protocol/market.hpp"
#include "protocol/transfer.hpp"
#include "protocol/types.hpp"

namespace bts::protocol {

// Tags 0..77 as of bitshares-core 7.0.
inline constexpr std::uint16_t operation_tag_count = 78;

// The name of operation `tag` without the `_operation` suffix ("transfer"), or empty if the tag
// is beyond the table.
std::string_view operation_name(std::uint64_t tag);
// The tag of an operation name ("transfer" or "transfer_operation"), if known.
std::optional<std::uint16_t> operation_tag(std::string_view name);
// Virtual operations are produced by the chain and never appear in transactions.
bool is_virtual_operation(std::uint64_t tag);

struct operation {
  using variant_type =
      std::variant<transfer_operation, limit_order_create_operation, limit_order_cancel_operation,
                   call_order_update_operation, account_create_operation,
                   account_update_operation, account_upgrade_operation, asset_create_operation,
                   asset_update_operation, asset_issue_operation, asset_reserve_operation,
                   asset_fund_fee_pool_operation, balance_claim_operation,
                   override_transfer_operation>;
  variant_type value;

  operation() = default;
  template <class Op>
    requires std::is_constructible_v<variant_type, Op&&>
  operation(Op&& op) : value(std::forward<Op>(op)) {}

  std::uint16_t tag() const {
    return std::visit([](const auto& op) { return std::remove_cvref_t<decltype(op)>::tag; }, value);
  }
  std::string_view name() const { return operation_name(tag()); }

  template <class Op>
  const Op* get_if() const {
    return std::get_if<Op>(&value);
  }
  template <class Op>
  Op* get_if() {
    return std::get_if<Op>(&value);
  }
};

// True when `tag` is one of operation::variant_type's alternatives.
bool is_supported_operation(std::uint64_t tag);

// Throws the message for a tag that is not supported: unknown, virtual or not implemented yet.
// REQUIRES: !is_supported_operation(tag).
[[noreturn]] void throw_unsupported_operation(std::uint64_t tag);

// Default-constructs the supported operation with `tag` in `op` and calls f(op_struct).
// REQUIRES: is_supported_operation(tag).
template <class F>
void emplace_operation(operation& op, std::uint64_t tag, F&& f) {
  using V = operation::variant_type;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (void)((std::variant_alternative_t<I, V>::tag == tag ? (f(op.value.template emplace<I>()), true)
                                                         : false) ||
           ...);
  }(std::make_index_sequence<std::variant_size_v<V>>{});
}

template <>
struct raw<operation> {
  static void write(writer& w, const operation& op) {
    std::visit(
        [&](const auto& body) {
          w.write_varint(std::remove_cvref_t<decltype(body)>::tag);
          pack(w, body);
        },
        op.value);
  }
  static void read(reader& r, operation& op);
};

template <>
struct json_codec<operation> {
  static boost::json::value to(const operation& op, const json_write_options& options);
  static void from(const boost::json::value& json, operation& op, const json_read_options& options);
};

}  // namespace bts::protocol
