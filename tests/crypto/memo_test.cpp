#include "crypto/memo.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <set>

#include "crypto/test_vectors.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"

namespace bts::crypto {
namespace {

using testing::str;

std::uint64_t nonce_of(const boost::json::object& v) { return std::stoull(str(v, "nonce")); }

TEST(EcdhVectors, EveryVector) {
  const auto vectors = testing::vectors_of_kind("ecdh");
  ASSERT_EQ(vectors.size(), 10u);
  int checked = 0;
  for (const boost::json::object* v : vectors) {
    SCOPED_TRACE(str(*v, "name"));
    const private_key priv = private_key::from_wif(str(*v, "wif"));
    const public_key pub = public_key_from_string(str(*v, "pub"), str(*v, "prefix"));
    // fc hashes the raw x-coordinate (what the python tests assert) with sha512.
    EXPECT_EQ(to_hex(sha512(testing::bytes(*v, "expected_shared_x"))),
              str(*v, "expected_fc_shared_secret"));
    EXPECT_EQ(to_hex(shared_secret(priv, pub)), str(*v, "expected_fc_shared_secret"));
    ++checked;
  }
  EXPECT_EQ(checked, 10);
}

TEST(Ecdh, Symmetric) {
  for (int i = 0; i < 50; ++i) {
    const private_key a = private_key::generate();
    const private_key b = private_key::generate();
    EXPECT_EQ(shared_secret(a, b.get_public_key()), shared_secret(b, a.get_public_key()));
  }
  EXPECT_THROW(shared_secret(private_key::generate(), public_key{}), input_error);
}

TEST(MemoVectors, EveryVector) {
  const auto vectors = testing::vectors_of_kind("memo");
  ASSERT_EQ(vectors.size(), 8u);
  int encrypted = 0, decrypted = 0, legacy = 0;
  for (const boost::json::object* v : vectors) {
    SCOPED_TRACE(str(*v, "name"));
    const std::string prefix = str(*v, "prefix");
    const private_key priv = private_key::from_wif(str(*v, "wif"));
    EXPECT_EQ(to_string(priv.get_public_key(), prefix), str(*v, "from_pub"));
    const public_key to = public_key_from_string(str(*v, "to_pub"), prefix);
    const std::uint64_t nonce = nonce_of(*v);
    const std::vector<std::uint8_t> cipher = testing::bytes(*v, "expected_message_hex");
    const std::string plain = str(*v, "plain");

    EXPECT_EQ(decrypt_memo(priv, to, nonce, cipher), plain);
    ++decrypted;
    if (str(*v, "name") == "memo_legacy_no_padding") {
      // Written without a padding block: the same text now encrypts to one block more.
      EXPECT_EQ(cipher.size() % 16, 0u);
      const auto fresh = encrypt_memo(priv, to, nonce, plain);
      EXPECT_EQ(fresh.size(), cipher.size() + 16);
      EXPECT_TRUE(std::equal(cipher.begin(), cipher.end(), fresh.begin()));
      ++legacy;
    } else {
      EXPECT_EQ(to_hex(encrypt_memo(priv, to, nonce, plain)), str(*v, "expected_message_hex"));
      ++encrypted;
    }
  }
  EXPECT_EQ(encrypted, 7);
  EXPECT_EQ(decrypted, 8);
  EXPECT_EQ(legacy, 1);
}

TEST(Memo, RoundTripBetweenSenderAndReceiver) {
  std::mt19937 rng(5);
  const private_key alice = private_key::generate();
  const private_key bob = private_key::generate();
  for (std::size_t len = 0; len < 70; ++len) {
    std::string message;
    for (std::size_t i = 0; i < len; ++i) message.push_back(static_cast<char>(rng()));
    const std::uint64_t nonce = make_memo_nonce();
    const auto cipher = encrypt_memo(alice, bob.get_public_key(), nonce, message);
    ASSERT_EQ(cipher.size(), (4 + len) / 16 * 16 + 16);
    ASSERT_EQ(decrypt_memo(bob, alice.get_public_key(), nonce, cipher), message);
    ASSERT_EQ(decrypt_memo(alice, bob.get_public_key(), nonce, cipher), message);
  }
}

TEST(Memo, RejectsTamperingWrongNonceAndBadLengths) {
  const private_key alice = private_key::from_seed("alice");
  const private_key bob = private_key::from_seed("bob");
  const public_key to = bob.get_public_key();
  const auto cipher = encrypt_memo(alice, to, 42, "pay the invoice");
  EXPECT_EQ(decrypt_memo(alice, to, 42, cipher), "pay the invoice");

  EXPECT_THROW(decrypt_memo(alice, to, 43, cipher), input_error);
  EXPECT_THROW(decrypt_memo(private_key::from_seed("eve"), to, 42, cipher), input_error);
  auto tampered = cipher;
  tampered[0] ^= 1;  // garbles the first block, which holds the checksum
  try {
    decrypt_memo(alice, to, 42, tampered);
    ADD_FAILURE();
  } catch (const input_error& e) {
    EXPECT_STREQ(e.what(), "memo checksum mismatch");
  }
  for (std::size_t len : {0u, 1u, 15u, 17u}) {
    std::vector<std::uint8_t> bad(len, 0);
    try {
      decrypt_memo(alice, to, 42, bad);
      ADD_FAILURE() << len;
    } catch (const input_error& e) {
      EXPECT_TRUE(std::string(e.what()).starts_with("memo ciphertext is not valid AES-256-CBC"))
          << e.what();
    }
  }
}

TEST(Memo, NonceLayout) {
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::set<std::uint64_t> top_bytes;
  for (int i = 0; i < 64; ++i) {
    const std::uint64_t nonce = make_memo_nonce();
    const auto micros = static_cast<std::int64_t>(nonce & 0x00ffffffffffffffULL);
    EXPECT_LT(std::llabs(micros - now), 10'000'000);  // within 10 s of now
    top_bytes.insert(nonce >> 56);
  }
  EXPECT_GT(top_bytes.size(), 8u);  // the top byte is random
}

}  // namespace
}  // namespace bts::crypto
