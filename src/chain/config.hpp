// Compile-time constants of bitshares-core (graphene/protocol/config.hpp, chain/config.hpp) that
// the chain module relies on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace bts::chain::config {

inline constexpr std::string_view core_symbol = "BTS";     // GRAPHENE_SYMBOL
inline constexpr std::string_view address_prefix = "BTS";  // GRAPHENE_ADDRESS_PREFIX
inline constexpr std::uint8_t core_precision_digits = 5;   // GRAPHENE_BLOCKCHAIN_PRECISION_DIGITS
inline constexpr std::int64_t core_precision = 100000;     // GRAPHENE_BLOCKCHAIN_PRECISION
inline constexpr std::int64_t max_share_supply = 1000000000000000;  // GRAPHENE_MAX_SHARE_SUPPLY
inline constexpr std::uint16_t percent_100 = 10000;                 // GRAPHENE_100_PERCENT
inline constexpr std::uint16_t percent_1 = 100;                     // GRAPHENE_1_PERCENT
inline constexpr std::uint16_t irreversible_threshold = 7000;  // GRAPHENE_IRREVERSIBLE_THRESHOLD
inline constexpr std::uint16_t default_network_percent_of_fee = 2000;
inline constexpr std::uint32_t max_sig_check_depth = 2;  // GRAPHENE_MAX_SIG_CHECK_DEPTH
inline constexpr std::size_t min_account_name_length = 1;
inline constexpr std::size_t max_account_name_length = 63;
inline constexpr std::size_t min_asset_symbol_length = 3;
inline constexpr std::size_t max_asset_symbol_length = 16;
inline constexpr std::uint32_t recently_missed_count_increment = 4;
inline constexpr std::uint32_t recently_missed_count_decrement = 3;

// database::push_transaction: packed size must be below 1 MiB whatever the chain parameters say.
inline constexpr std::size_t hard_max_transaction_size = 1024 * 1024;
// graphene/net/config.hpp MAX_MESSAGE_SIZE: a P2P message (a block) larger than this is never
// sent to peers.
inline constexpr std::size_t p2p_max_message_size = 2 * 1024 * 1024;
// TaPoS: block_summary objects form a ring of 2^16 slots.
inline constexpr std::size_t block_summary_slots = 0x10000;

// Special accounts created by db_genesis.cpp in this order (1.2.0 ... 1.2.5).
inline constexpr std::uint64_t committee_account = 0;
inline constexpr std::uint64_t witness_account = 1;
inline constexpr std::uint64_t relaxed_committee_account = 2;
inline constexpr std::uint64_t null_account = 3;
inline constexpr std::uint64_t temp_account = 4;
inline constexpr std::uint64_t proxy_to_self_account = 5;

// asset_issuer_permission_flags (graphene/protocol/types.hpp).
inline constexpr std::uint16_t charge_market_fee = 0x01;
inline constexpr std::uint16_t white_list = 0x02;
inline constexpr std::uint16_t override_authority = 0x04;
inline constexpr std::uint16_t transfer_restricted = 0x08;
inline constexpr std::uint16_t disable_force_settle = 0x10;
inline constexpr std::uint16_t global_settle = 0x20;
inline constexpr std::uint16_t disable_confidential = 0x40;
inline constexpr std::uint16_t witness_fed_asset = 0x80;
inline constexpr std::uint16_t committee_fed_asset = 0x100;

// dynamic_global_property_object::dynamic_flags
inline constexpr std::uint32_t maintenance_flag = 0x01;

}  // namespace bts::chain::config
