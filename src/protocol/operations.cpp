#include "protocol/operations.hpp"

#include <array>
#include <string>

namespace bts::protocol {
namespace {

// bitshares-core operations.hpp, static_variant order (bitshares-protocol.md §2.1).
constexpr std::array<std::string_view, operation_tag_count> names = {
    "transfer",                                   // 0
    "limit_order_create",                         // 1
    "limit_order_cancel",                         // 2
    "call_order_update",                          // 3
    "fill_order",                                 // 4 virtual
    "account_create",                             // 5
    "account_update",                             // 6
    "account_whitelist",                          // 7
    "account_upgrade",                            // 8
    "account_transfer",                           // 9
    "asset_create",                               // 10
    "asset_update",                               // 11
    "asset_update_bitasset",                      // 12
    "asset_update_feed_producers",                // 13
    "asset_issue",                                // 14
    "asset_reserve",                              // 15
    "asset_fund_fee_pool",                        // 16
    "asset_settle",                               // 17
    "asset_global_settle",                        // 18
    "asset_publish_feed",                         // 19
    "witness_create",                             // 20
    "witness_update",                             // 21
    "proposal_create",                            // 22
    "proposal_update",                            // 23
    "proposal_delete",                            // 24
    "withdraw_permission_create",                 // 25
    "withdraw_permission_update",                 // 26
    "withdraw_permission_claim",                  // 27
    "withdraw_permission_delete",                 // 28
    "committee_member_create",                    // 29
    "committee_member_update",                    // 30
    "committee_member_update_global_parameters",  // 31
    "vesting_balance_create",                     // 32
    "vesting_balance_withdraw",                   // 33
    "worker_create",                              // 34
    "custom",                                     // 35
    "assert",                                     // 36
    "balance_claim",                              // 37
    "override_transfer",                          // 38
    "transfer_to_blind",                          // 39
    "blind_transfer",                             // 40
    "transfer_from_blind",                        // 41
    "asset_settle_cancel",                        // 42 virtual
    "asset_claim_fees",                           // 43
    "fba_distribute",                             // 44 virtual
    "bid_collateral",                             // 45
    "execute_bid",                                // 46 virtual
    "asset_claim_pool",                           // 47
    "asset_update_issuer",                        // 48
    "htlc_create",                                // 49
    "htlc_redeem",                                // 50
    "htlc_redeemed",                              // 51 virtual
    "htlc_extend",                                // 52
    "htlc_refund",                                // 53 virtual
    "custom_authority_create",                    // 54
    "custom_authority_update",                    // 55
    "custom_authority_delete",                    // 56
    "ticket_create",                              // 57
    "ticket_update",                              // 58
    "liquidity_pool_create",                      // 59
    "liquidity_pool_delete",                      // 60
    "liquidity_pool_deposit",                     // 61
    "liquidity_pool_withdraw",                    // 62
    "liquidity_pool_exchange",                    // 63
    "samet_fund_create",                          // 64
    "samet_fund_delete",                          // 65
    "samet_fund_update",                          // 66
    "samet_fund_borrow",                          // 67
    "samet_fund_repay",                           // 68
    "credit_offer_create",                        // 69
    "credit_offer_delete",                        // 70
    "credit_offer_update",                        // 71
    "credit_offer_accept",                        // 72
    "credit_deal_repay",                          // 73
    "credit_deal_expired",                        // 74 virtual
    "liquidity_pool_update",                      // 75
    "credit_deal_update",                         // 76
    "limit_order_update",                         // 77
};

constexpr std::array<std::uint16_t, 7> virtual_tags = {4, 42, 44, 46, 51, 53, 74};

// Reads the tag of `[tag, body]`: a number or an operation name.
std::uint64_t read_tag(const boost::json::value& json) {
  if (const auto* text = json.if_string()) {
    if (const auto tag = operation_tag(*text)) return *tag;
    throw input_error("unknown operation \"" + std::string(*text) + "\"");
  }
  if (!json.is_int64() && !json.is_uint64()) {
    throw input_error("expected an operation tag (a number such as 0, or a name such as \"transfer\")");
  }
  return read_json_unsigned(json, std::numeric_limits<std::uint64_t>::max(), "uint64");
}

}  // namespace

std::string_view operation_name(std::uint64_t tag) {
  return tag < names.size() ? names[tag] : std::string_view{};
}

std::optional<std::uint16_t> operation_tag(std::string_view name) {
  if (name.ends_with("_operation")) name.remove_suffix(std::string_view("_operation").size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<std::uint16_t>(i);
  }
  return std::nullopt;
}

bool is_virtual_operation(std::uint64_t tag) {
  for (const auto t : virtual_tags) {
    if (t == tag) return true;
  }
  return false;
}

bool is_supported_operation(std::uint64_t tag) {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return ((std::variant_alternative_t<I, operation::variant_type>::tag == tag) || ...);
  }(std::make_index_sequence<std::variant_size_v<operation::variant_type>>{});
}

void throw_unsupported_operation(std::uint64_t tag) {
  const std::string number = std::to_string(tag);
  if (tag >= names.size()) {
    throw input_error("unknown operation " + number + " (bitshares-core knows 0.." +
                      std::to_string(names.size() - 1) + ")");
  }
  const std::string name(names[tag]);
  if (is_virtual_operation(tag)) {
    throw input_error("operation " + number + " (" + name +
                      ") is virtual: the chain creates it, transactions cannot contain it");
  }
  throw input_error("operation " + number + " (" + name + ") is not supported yet");
}

void raw<operation>::read(reader& r, operation& op) {
  auto guard = r.nest();
  const std::size_t at = r.position();
  std::uint64_t tag = 0;
  try {
    tag = r.read_varint();
    if (!is_supported_operation(tag)) {
      try {
        throw_unsupported_operation(tag);
      } catch (const input_error& e) {
        throw input_error(e.problem() + " (tag at byte " + std::to_string(at) + ")");
      }
    }
  } catch (const input_error& e) {
    throw e.within("[0]");
  }
  try {
    emplace_operation(op, tag, [&](auto& body) { unpack(r, body); });
  } catch (const input_error& e) {
    throw e.within("[1]");
  }
}

boost::json::value json_codec<operation>::to(const operation& op,
                                             const json_write_options& options) {
  return std::visit(
      [&](const auto& body) -> boost::json::value {
        boost::json::array out;
        out.emplace_back(static_cast<std::uint64_t>(std::remove_cvref_t<decltype(body)>::tag));
        out.push_back(to_json(body, options));
        return out;
      },
      op.value);
}

void json_codec<operation>::from(const boost::json::value& json, operation& op,
                                 const json_read_options& options) {
  const auto* pair = json.if_array();
  if (pair == nullptr || pair->size() != 2) {
    throw input_error("expected an operation as [tag, {fields}], got " + describe_json(json));
  }
  std::uint64_t tag = 0;
  try {
    tag = read_tag((*pair)[0]);
    if (!is_supported_operation(tag)) throw_unsupported_operation(tag);
  } catch (const input_error& e) {
    throw e.within("[0]");
  }
  try {
    emplace_operation(op, tag, [&](auto& body) { from_json((*pair)[1], body, options); });
  } catch (const input_error& e) {
    throw e.within("[1]");
  }
}

}  // namespace bts::protocol
