// fc::raw encodings of the primitives and containers, and the binary decoder on bad input.
#include <gtest/gtest.h>

#include <random>

#include "protocol/block_id.hpp"
#include "protocol/transaction.hpp"
#include "util/hex.hpp"

namespace bts::protocol {
namespace {

template <class T>
std::string hex_of(const T& value) {
  return to_hex(pack_to_bytes(value));
}

template <class T>
T decode_hex(std::string_view hex) {
  return unpack_from_bytes<T>(from_hex(hex));
}

// The one-line message of decoding `hex` as T.
template <class T>
std::string decode_error(std::string_view hex) {
  try {
    decode_hex<T>(hex);
  } catch (const input_error& e) {
    return e.what();
  }
  return "(no error)";
}

std::string tx_decode_error(std::string_view hex) {
  try {
    unpack_transaction(from_hex(hex));
  } catch (const input_error& e) {
    return e.what();
  }
  return "(no error)";
}

const public_key_type nathan = crypto::public_key_from_string("BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV");
constexpr std::string_view nathan_hex = "02c0ded2bc1f1305fb0faac5e6c03ee3a1924234985427b6167ca569d13df435cf";
// Transaction header of the python-bitshares tests (bitshares-protocol.md §1.1).
constexpr std::string_view header = "f68585abf4dce7c80457";

TEST(Wire, FixedWidthIntegersAreLittleEndian) {
  EXPECT_EQ(hex_of(std::uint16_t{34294}), "f685");
  EXPECT_EQ(hex_of(std::uint32_t{3707022213u}), "85abf4dc");
  EXPECT_EQ(hex_of(std::int64_t{-1}), "ffffffffffffffff");
  EXPECT_EQ(hex_of(std::int64_t{100}), "6400000000000000");
  EXPECT_EQ(hex_of(std::uint8_t{7}), "07");
  EXPECT_EQ(decode_hex<std::int64_t>("00f2052a01000000"), 5000000000);
  EXPECT_EQ(decode_hex<std::uint16_t>("f685"), 34294);
}

TEST(Wire, VarintSizeIsWhatWriteVarintAppends) {
  for (std::uint64_t v : {0ull, 1ull, 127ull, 128ull, 16383ull, 16384ull, 2097151ull,
                          2097152ull, 0xffffffffull, 0x7fffffffffffffffull, ~0ull}) {
    std::vector<std::uint8_t> out;
    writer(out).write_varint(v);
    EXPECT_EQ(varint_size(v), out.size()) << v;
  }
  EXPECT_EQ(varint_size(127), 1u);
  EXPECT_EQ(varint_size(128), 2u);
  EXPECT_EQ(varint_size(~0ull), 10u);
}

TEST(Wire, BlockIdGivesBlockNumberAndTaposPrefix) {
  block_id_type id{};
  from_hex_exact("0089f1a2b3c4d5e6000000000000000000000000", id);
  EXPECT_EQ(block_num_from_id(id), 0x0089f1a2u);
  EXPECT_EQ(ref_block_prefix_from_id(id), 0xe6d5c4b3u);
  transaction tx;
  tx.set_reference_block(id);
  EXPECT_EQ(tx.ref_block_num, 0xf1a2);
  EXPECT_EQ(tx.ref_block_prefix, 0xe6d5c4b3u);
}

TEST(Wire, BoolStringsBytesOptionalsVectors) {
  EXPECT_EQ(hex_of(true), "01");
  EXPECT_EQ(hex_of(std::string("foobar-f124")), "0b666f6f6261722d66313234");
  EXPECT_EQ(hex_of(std::vector<std::uint8_t>{0xde, 0xad}), "02dead");
  EXPECT_EQ(hex_of(std::optional<std::uint16_t>{}), "00");
  EXPECT_EQ(hex_of(std::optional<std::uint16_t>{12345}), "013930");
  EXPECT_EQ(hex_of(std::vector<std::uint16_t>{1, 2}), "0201000200");
  EXPECT_EQ(decode_hex<std::string>("03616263"), "abc");
  EXPECT_EQ(decode_hex<std::optional<std::uint16_t>>("013930"), std::optional<std::uint16_t>{12345});
}

TEST(Wire, ProtocolTypes) {
  EXPECT_EQ(hex_of(account_id_type{29}), "1d");
  EXPECT_EQ(hex_of(limit_order_id_type{51840}), "809503");
  EXPECT_EQ(hex_of(asset{100, {0}}), "640000000000000000");
  EXPECT_EQ(hex_of(time_point_sec{1459931367}), "e7c80457");
  EXPECT_EQ(hex_of(nathan), nathan_hex);
  // bitsharesjs vote_id tests.
  EXPECT_EQ(hex_of(vote_id_type::make(255, 0)), "ff000000");
  EXPECT_EQ(hex_of(vote_id_type::make(0, 16777215)), "00ffffff");
  EXPECT_EQ(hex_of(extensions_type{}), "00");
  EXPECT_EQ(hex_of(extensions_type{future_extensions{void_t{}}}), "0100");
}

TEST(Wire, GrapheneExtensionCountsPresentFieldsWithTheirIndex) {
  call_order_update_operation op;
  EXPECT_EQ(hex_of(op.extensions), "00");
  op.extensions.value.target_collateral_ratio = 12345;
  EXPECT_EQ(hex_of(op.extensions), "01003930");  // bitshares-protocol.md §2.2

  account_create_operation::ext ext;
  ext.null_ext = void_t{};
  ext.owner_special_authority = special_authority{top_holders_special_authority{{127}, 10}};
  ext.buyback_options = buyback_account_options{{127}, {31}, {asset_id_type{20}}};
  EXPECT_EQ(hex_of(extension<account_create_operation::ext>{ext}), "030001017f0a037f1f0114");

  // limit_order_create's on_fill: index 0, a vector of one take-profit action (tag 0).
  limit_order_create_operation order;
  order.extensions.value.on_fill = std::vector<limit_order_auto_action>{
      create_take_profit_order_action{{0}, 25, 50, 3600, true, {}}};
  EXPECT_EQ(hex_of(order.extensions), "010001000019003200100e00000100");
  const auto back = decode_hex<extension<limit_order_create_operation::options_type>>(
      "010001000019003200100e00000100");
  ASSERT_TRUE(back.value.on_fill.has_value());
  EXPECT_EQ(std::get<0>(back.value.on_fill->at(0).value).expiration_seconds, 3600u);
}

TEST(Wire, SetsAreSortedOnDecodeAndConstruction) {
  // account ids by instance, whatever order the bytes or the code give them in.
  EXPECT_EQ(hex_of(decode_hex<flat_set<account_id_type>>("03050201")), "03010205");
  flat_set<account_id_type> ids{account_id_type{9}, account_id_type{3}};
  EXPECT_TRUE(ids.insert(account_id_type{5}));
  EXPECT_FALSE(ids.insert(account_id_type{3}));
  EXPECT_EQ(hex_of(ids), "03030509");
  // Public keys by address, not by their bytes (bitshares-protocol.md §0.1).
  // (python-bitshares account_create: 03b453... sorts before 02fe8c...)
  const auto a = crypto::public_key_from_string("BTS8CemMDjdUWSV5wKotEimhK6c4dY7p2PdzC2qM1HpAP8aLtZfE7");
  const auto b = crypto::public_key_from_string("BTS6pbVDAjRFiw6fkiKYCrkz7PFeL7XNAfefrsREwg8MKpJ9VYV9x");
  flat_map<public_key_type, std::uint16_t> keys{{b, 1}, {a, 1}};
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys.items()[0].first, a);
  EXPECT_LT(to_hex(b.data), to_hex(a.data)) << "the raw bytes order the other way";
}

TEST(WireErrors, TruncatedDataNamesTheFieldAndByte) {
  EXPECT_EQ(tx_decode_error(""), "ref_block_num: unexpected end of data at byte 0");
  EXPECT_EQ(tx_decode_error(std::string(header) + "0100640000"),
            "operations[0][1].fee.amount: unexpected end of data at byte 12");
  EXPECT_EQ(tx_decode_error(std::string(header) + "01006400000000000000"),
            "operations[0][1].fee.asset_id: unexpected end of data at byte 20");
  EXPECT_EQ(tx_decode_error(std::string(header) + "0000" + "02" + "00"),
            "signatures: length 2 at byte 12 exceeds the 1 bytes that remain");
  EXPECT_EQ(tx_decode_error(std::string(header) + "0000" + "01" + std::string(64 * 2, '0')),
            "signatures[0]: unexpected end of data at byte 13");
}

TEST(WireErrors, TrailingBytesAfterSignaturesAreRejected) {
  EXPECT_EQ(tx_decode_error(std::string(header) + "000000ff"),
            "1 trailing bytes after the transaction at byte 13");
  EXPECT_EQ(decode_error<std::uint16_t>("010203"), "1 trailing bytes after byte 2");
}

TEST(WireErrors, VarintOverflowAndHugeLengths) {
  EXPECT_EQ(decode_error<unsigned_int>("ffffffffffffffffff02"), "varint at byte 0 overflows 64 bits");
  EXPECT_EQ(decode_error<unsigned_int>("8080808080808080808001"), "varint at byte 0 overflows 64 bits");
  EXPECT_EQ(decode_error<unsigned_int>("ffff"), "unexpected end of data at byte 2");
  // A 2^63 element count must not allocate anything.
  EXPECT_EQ(decode_error<std::vector<operation>>("80808080808080808001"),
            "length 9223372036854775808 at byte 0 exceeds the 0 bytes that remain");
  EXPECT_EQ(decode_error<std::string>("ffffffff0f41"),
            "length 4294967295 at byte 0 exceeds the 1 bytes that remain");
}

TEST(WireErrors, BadTagsBoolsExtensionsAndStrings) {
  EXPECT_EQ(tx_decode_error(std::string(header) + "0163"),
            "operations[0][0]: unknown operation 99 (bitshares-core knows 0..77) (tag at byte 11)");
  EXPECT_EQ(tx_decode_error(std::string(header) + "0104"),
            "operations[0][0]: operation 4 (fill_order) is virtual: the chain creates it, "
            "transactions cannot contain it (tag at byte 11)");
  EXPECT_EQ(decode_error<special_authority>("02"), "static_variant tag 2 at byte 0 is out of range (0..1)");
  EXPECT_EQ(decode_error<bool>("02"), "bool must be 0 or 1, got 2 at byte 0");
  EXPECT_EQ(decode_error<std::optional<std::uint8_t>>("0501"), "bool must be 0 or 1, got 5 at byte 0");
  // Field index 1 does not exist in call_order_update's options_type; out-of-order indexes too.
  using tcr = extension<call_order_update_operation::options_type>;
  EXPECT_EQ(decode_error<tcr>("01013930"),
            "extension field index 1 is unknown or out of order (1 fields known)");
  using asset_ext = extension<additional_asset_options>;
  EXPECT_EQ(decode_error<asset_ext>("02020100000100"),
            "extension field index 0 is unknown or out of order (3 fields known)");
  EXPECT_EQ(decode_error<std::string>("02c328"), "string at byte 0 is not valid UTF-8");
}

TEST(WireErrors, DuplicateSetEntriesAreRejected) {
  EXPECT_EQ(decode_error<flat_set<account_id_type>>("03050205"),
            "[2]: duplicate entry: equivalent to entry 0 in bitshares-core's ordering");
  // Vote ids with the same instance are equivalent whatever their type.
  EXPECT_EQ(decode_error<flat_set<vote_id_type>>("020005000001050000"),
            "[1]: duplicate entry: equivalent to entry 0 in bitshares-core's ordering");
}

TEST(WireErrors, NestingDepthIsBounded) {
  const std::vector<std::uint8_t> none;
  reader r(none);
  std::vector<std::unique_ptr<reader::depth_guard>> guards;
  for (int i = 0; i < reader::max_depth; ++i) guards.push_back(std::make_unique<reader::depth_guard>(r));
  EXPECT_THROW(reader::depth_guard extra(r), input_error);
  guards.clear();
  EXPECT_NO_THROW(reader::depth_guard again(r));
}

// A deterministic miniature of fuzz/fuzz_tx_binary: random and mutated bytes either decode
// (and then re-encode to bytes that decode to the same thing) or throw input_error.
TEST(WireErrors, RandomAndMutatedInputNeverCrashes) {
  const std::vector<std::uint8_t> seed = from_hex(
      "f68585abf4dce7c804570105f26416000000000000211b03000b666f6f6261722d663132340100000000020"
      "2fe8cc11cc8251de6977636b55c1ab8a9d12b0b26154ac78e56e7c4257d8bcf6901000314aa202c9158990b"
      "3ec51a1aa49b2ab5d300c97b391df3beb34bb74f3c62699e01000001000000000303b453f46013fdbccb90b0"
      "9ba169c388c34d84454a3b9fbec68d5a7819a734fca0010002fe8cc11cc8251de6977636b55c1ab8a9d12b0b"
      "26154ac78e56e7c4257d8bcf6901000314aa202c9158990b3ec51a1aa49b2ab5d300c97b391df3beb34bb74f"
      "3c62699e010000024ab336b4b14ba6d881675d1c782912783c43dbbe31693aa710ac1896bd7c3d6105000000"
      "000000030001017f0a037f1f011400");
  ASSERT_NO_THROW(unpack_transaction(seed));
  std::mt19937 rng(20240229);
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<std::uint8_t> bytes = seed;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) {
      const std::size_t at = rng() % bytes.size();
      switch (rng() % 3) {
        case 0: bytes[at] = static_cast<std::uint8_t>(rng()); break;
        case 1: bytes.resize(at); break;
        default: bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(at), static_cast<std::uint8_t>(rng()));
      }
      if (bytes.empty()) bytes.push_back(0);
    }
    try {
      const signed_transaction tx = unpack_transaction(bytes);
      ++decoded;
      const auto again = unpack_transaction(tx.pack());
      ASSERT_EQ(again.pack(), tx.pack());
    } catch (const input_error&) {
    }
  }
  EXPECT_GT(decoded, 0);
}

}  // namespace
}  // namespace bts::protocol
