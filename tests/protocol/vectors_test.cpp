// Every transaction vector of tests/testdata/bitshares-vectors.json, end to end: JSON -> bytes,
// digests and ids; bytes -> JSON -> bytes; signatures.
#include <gtest/gtest.h>

#include <set>

#include "crypto/signature.hpp"
#include "protocol/transaction.hpp"
#include "vectors.hpp"
#include "util/hex.hpp"

namespace bts::protocol {
namespace {

using testing::string_or_empty;
using testing::vectors_of_kind;

// The vectors whose operations bts-infra does not implement yet (tag -> vector count).
// python-bitshares covers many more operations than the 14 supported ones (balance_claim, 37,
// has one vector).
constexpr std::size_t total_transaction_vectors = 44;
constexpr std::size_t unsupported_vectors = 22;

// First operation tag of a vector that bts_protocol does not support, or -1.
int unsupported_tag(const boost::json::object& v) {
  for (const auto& op : v.at("tx_json").at("operations").as_array()) {
    const auto tag = op.as_array()[0].to_number<std::uint64_t>();
    if (!is_supported_operation(tag)) return static_cast<int>(tag);
  }
  return -1;
}

struct counts {
  std::size_t supported = 0;
  std::size_t unsupported = 0;
  std::size_t expected_signatures = 0;
  std::size_t signed_vectors = 0;
};

TEST(TransactionVectors, EveryVectorSerializesHashesAndRoundTrips) {
  const auto vectors = vectors_of_kind("transaction");
  ASSERT_EQ(vectors.size(), total_transaction_vectors);
  counts n;
  for (const boost::json::object* v : vectors) {
    const std::string name(v->at("name").as_string());
    SCOPED_TRACE(name);
    const chain_id_type chain_id = chain_id_from_hex(v->at("chain_id").as_string());
    const std::vector<std::uint8_t> signed_bytes = from_hex(v->at("expected_hex").as_string());

    if (const int tag = unsupported_tag(*v); tag >= 0) {
      ++n.unsupported;
      const std::string message = "operation " + std::to_string(tag) + " (" +
                                  std::string(operation_name(tag)) + ") is not supported yet";
      try {
        transaction_from_json(v->at("tx_json"));
        ADD_FAILURE() << "JSON accepted";
      } catch (const input_error& e) {
        EXPECT_EQ(e.where(), "operations[0][0]");
        EXPECT_EQ(e.problem(), message);
      }
      try {
        unpack_transaction(signed_bytes);
        ADD_FAILURE() << "bytes accepted";
      } catch (const input_error& e) {
        EXPECT_EQ(e.where(), "operations[0][0]");
        EXPECT_EQ(e.problem(), message + " (tag at byte 11)");
      }
      continue;
    }
    ++n.supported;

    // JSON -> struct -> unsigned bytes, digest, id.
    const signed_transaction tx = transaction_from_json(v->at("tx_json"));
    EXPECT_EQ(to_hex(tx.pack_unsigned()), v->at("expected_unsigned_hex").as_string());
    EXPECT_EQ(to_hex(tx.sig_digest(chain_id)), v->at("expected_digest").as_string());
    EXPECT_EQ(to_hex(tx.id()), v->at("expected_txid").as_string());

    // bytes -> struct -> JSON -> struct -> bytes. (issue13's expected_hex is the node's
    // unsigned form; every other expected_hex is signed.)
    const bool vector_is_signed = v->at("expected_hex") != v->at("expected_unsigned_hex");
    const auto repack = [&](const signed_transaction& t) {
      return to_hex(vector_is_signed ? t.pack() : t.pack_unsigned());
    };
    bool has_signatures = false;
    const signed_transaction decoded = unpack_transaction(signed_bytes, &has_signatures);
    EXPECT_EQ(has_signatures, vector_is_signed);
    n.signed_vectors += vector_is_signed ? 1 : 0;
    EXPECT_EQ(repack(decoded), v->at("expected_hex").as_string());
    const boost::json::value decoded_json = transaction_to_json(decoded);
    const signed_transaction again = transaction_from_json(decoded_json);
    EXPECT_EQ(repack(again), v->at("expected_hex").as_string());
    EXPECT_EQ(transaction_to_json(again), decoded_json);
    // The vector's own JSON means the same thing as the decoded bytes.
    signed_transaction from_vector = tx;
    from_vector.signatures = decoded.signatures;
    EXPECT_EQ(transaction_to_json(from_vector), decoded_json);

    // The unsigned bytes decode as an unsigned transaction.
    const signed_transaction unsigned_tx =
        unpack_transaction(from_hex(v->at("expected_unsigned_hex").as_string()), &has_signatures);
    EXPECT_FALSE(has_signatures);
    EXPECT_TRUE(unsigned_tx.signatures.empty());
    EXPECT_EQ(to_hex(unsigned_tx.pack_unsigned()), v->at("expected_unsigned_hex").as_string());

    // Signatures: the vector's recovers to the WIF's key; ours is canonical and recovers too.
    const auto key = crypto::private_key::from_wif(v->at("wif").as_string());
    if (const std::string expected = string_or_empty(*v, "expected_signature"); !expected.empty()) {
      ++n.expected_signatures;
      signed_transaction with_sig = tx;
      with_sig.signatures.push_back({});
      from_hex_exact(expected, with_sig.signatures.back());
      const auto keys = with_sig.get_signature_keys(chain_id);
      ASSERT_EQ(keys.size(), 1u);
      EXPECT_EQ(keys[0], key.get_public_key());
    }
    signed_transaction ours = tx;
    ours.signatures.clear();
    const signature_type& sig = ours.sign(key, chain_id);
    EXPECT_TRUE(crypto::is_canonical(sig));
    const auto keys = ours.get_signature_keys(chain_id);
    ASSERT_EQ(keys.size(), 1u);
    EXPECT_EQ(keys[0], key.get_public_key());
    EXPECT_EQ(ours.id(), tx.id()) << "signatures must not change the id";
    if (const std::string fc = string_or_empty(*v, "derived_signature_fc_emulation"); !fc.empty()) {
      EXPECT_EQ(to_hex(sig), fc) << "fc's nonce schedule over our digest";
    }
  }
  EXPECT_EQ(n.supported, total_transaction_vectors - unsupported_vectors);
  EXPECT_EQ(n.unsupported, unsupported_vectors);
  EXPECT_GE(n.expected_signatures, 10u);
  EXPECT_EQ(n.signed_vectors, n.supported - 1);  // all but issue13
}

TEST(TransactionVectors, KeyAuthsGivenUnsortedComeOutInAddressOrder) {
  // bitsharesjs test/serializer/issue13.js: node-produced bytes of an account_update whose JSON
  // lists owner key_auths out of address order.
  const auto& v = testing::vector_named("bitsharesjs_issue13_account_update_unsigned");
  const signed_transaction tx = transaction_from_json(v.at("tx_json"));
  EXPECT_EQ(to_hex(tx.pack_unsigned()), v.at("expected_unsigned_hex").as_string());
  const auto& update = *tx.operations.at(0).get_if<account_update_operation>();
  const auto& keys = update.owner->key_auths.items();
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(crypto::to_string(keys[0].first), "BTS6agpGeRkc1zHD9MTbHaK9CKR1Pt8aU4v2GTxF6tRtf3ZC3TnU6");
  EXPECT_EQ(crypto::to_string(keys[1].first), "BTS8DZinV1rFkdgs2sMMhUrk6wAyq1fTB8eLKQzcYihkgrjiv3tLn");
  EXPECT_TRUE(crypto::address_less(keys[0].first, keys[1].first));
  // And the output JSON lists them in that order.
  const auto json = transaction_to_json(tx);
  const auto& out = json.at("operations").at(0).at(1).at("owner").at("key_auths").as_array();
  EXPECT_EQ(out[0].at(0).as_string(), "BTS6agpGeRkc1zHD9MTbHaK9CKR1Pt8aU4v2GTxF6tRtf3ZC3TnU6");
}

TEST(TransactionVectors, GrapheneSortKeysVariantGivesTheSameBytes) {
  const auto& a = testing::vector_named("gph_create_account");
  const auto& b = testing::vector_named("gph_create_account_sort_keys");
  EXPECT_EQ(to_hex(transaction_from_json(a.at("tx_json")).pack_unsigned()),
            to_hex(transaction_from_json(b.at("tx_json")).pack_unsigned()));
}

TEST(TaposVectors, ReferenceBlockFromBlockId) {
  const auto vectors = vectors_of_kind("tapos");
  ASSERT_EQ(vectors.size(), 2u);
  std::size_t with_block_id = 0;
  for (const boost::json::object* v : vectors) {
    SCOPED_TRACE(std::string(v->at("name").as_string()));
    if (const auto* id = v->if_contains("head_block_id")) {
      ++with_block_id;
      block_id_type block_id;
      from_hex_exact(id->as_string(), block_id);
      transaction tx;
      tx.set_reference_block(block_id);
      EXPECT_EQ(tx.ref_block_num, v->at("expected_ref_block_num").to_number<std::uint16_t>());
      EXPECT_EQ(tx.ref_block_prefix, v->at("expected_ref_block_prefix").to_number<std::uint32_t>());
    } else {
      // Header bytes: ref_block_num, ref_block_prefix, expiration, all little-endian.
      boost::json::object json{{"ref_block_num", v->at("ref_block_num")},
                               {"ref_block_prefix", v->at("ref_block_prefix")},
                               {"expiration", v->at("expiration")},
                               {"operations", boost::json::array{}}};
      const signed_transaction tx = transaction_from_json(json);
      EXPECT_EQ(to_hex(tx.pack_unsigned()), std::string(v->at("expected_header_hex").as_string()) + "0000");
    }
  }
  EXPECT_EQ(with_block_id, 1u);
}

TEST(VarintVectors, FcUnsignedIntTable) {
  const auto vectors = vectors_of_kind("varint");
  ASSERT_EQ(vectors.size(), 1u);
  const auto& cases = vectors[0]->at("cases").as_array();
  ASSERT_EQ(cases.size(), 30u);
  std::vector<unsigned_int> all;
  for (const auto& c : cases) {
    const std::string text(c.at("value").as_string());
    SCOPED_TRACE(text);
    const unsigned_int value{std::stoull(text)};
    all.push_back(value);
    EXPECT_EQ(to_hex(pack_to_bytes(value)), c.at("expected_hex").as_string());
    EXPECT_EQ(unpack_from_bytes<unsigned_int>(from_hex(c.at("expected_hex").as_string())), value);
  }
  // fc's test packs the whole vector: count 0x1e, then each value.
  const std::string packed = to_hex(pack_to_bytes(all));
  EXPECT_EQ(packed.substr(0, 2), "1e");
  EXPECT_EQ(unpack_from_bytes<std::vector<unsigned_int>>(from_hex(packed)), all);
}

}  // namespace
}  // namespace bts::protocol
