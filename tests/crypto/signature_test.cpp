#include "crypto/signature.hpp"

#include <gtest/gtest.h>

#include <random>
#include <thread>
#include <vector>

#include "crypto/test_vectors.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"

namespace bts::crypto {
namespace {

using testing::has;
using testing::str;

constexpr std::string_view nathan_pub = "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV";

compact_signature sig_from_hex(std::string_view hex) {
  compact_signature sig{};
  from_hex_exact(hex, sig);
  return sig;
}

sha256_digest random_digest(std::mt19937_64& rng) {
  sha256_digest d;
  for (auto& b : d) b = static_cast<std::uint8_t>(rng());
  return d;
}

private_key random_key(std::mt19937_64& rng) {
  for (;;) {
    std::array<std::uint8_t, 32> secret;
    for (auto& b : secret) b = static_cast<std::uint8_t>(rng());
    try {
      return private_key::from_secret(secret);
    } catch (const input_error&) {
    }
  }
}

// s' = n - s, big-endian, in place: the other valid s for the same r (ECDSA malleability).
void negate_s(compact_signature& sig) {
  static const std::array<std::uint8_t, 32> n = [] {
    std::array<std::uint8_t, 32> out{};
    from_hex_exact("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", out);
    return out;
  }();
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int d = n[static_cast<std::size_t>(i)] - sig[static_cast<std::size_t>(33 + i)] - borrow;
    borrow = d < 0 ? 1 : 0;
    sig[static_cast<std::size_t>(33 + i)] = static_cast<std::uint8_t>(d + (borrow ? 256 : 0));
  }
}

TEST(Canonical, FcRule) {
  compact_signature sig{};
  sig[1] = 0x7f;
  sig[33] = 0x7f;
  EXPECT_TRUE(is_canonical(sig));
  sig[1] = 0x80;  // r top bit set: DER would need 33 bytes
  EXPECT_FALSE(is_canonical(sig));
  sig[1] = 0x00;
  sig[2] = 0x7f;  // r padded: DER would need fewer than 32 bytes
  EXPECT_FALSE(is_canonical(sig));
  sig[2] = 0x80;  // leading zero followed by a top bit: allowed
  EXPECT_TRUE(is_canonical(sig));
  sig[33] = 0x80;
  EXPECT_FALSE(is_canonical(sig));
  sig[33] = 0x00;
  sig[34] = 0x01;
  EXPECT_FALSE(is_canonical(sig));
  sig[34] = 0x81;
  EXPECT_TRUE(is_canonical(sig));
  // The header byte plays no part.
  sig[0] = 0xff;
  EXPECT_TRUE(is_canonical(sig));
}

// Every transaction vector: fc's nonce schedule reproduces derived_signature_fc_emulation byte for
// byte (and its counter); every valid published signature recovers to the vector's key.
TEST(SignatureVectors, EveryTransactionVector) {
  const auto txs = testing::vectors_of_kind("transaction");
  ASSERT_EQ(txs.size(), 44u);
  int fc_checked = 0, expected_checked = 0, embedded_valid = 0, embedded_stale = 0, js_checked = 0;
  for (const boost::json::object* v : txs) {
    SCOPED_TRACE(str(*v, "name"));
    const private_key key = private_key::from_wif(str(*v, "wif"));
    const public_key pub = key.get_public_key();
    EXPECT_EQ(to_string(pub), nathan_pub);
    const auto digest = testing::fixed<32>(*v, "expected_digest");

    if (has(*v, "derived_signature_fc_emulation")) {
      int attempts = 0;
      const compact_signature sig = sign_compact(key, digest, &attempts);
      EXPECT_EQ(to_hex(sig), str(*v, "derived_signature_fc_emulation"));
      EXPECT_EQ(attempts, v->at("derived_signature_fc_emulation_nonce_counter").as_int64());
      EXPECT_TRUE(verify(sig, digest, pub));
      ++fc_checked;
    }
    if (has(*v, "expected_signature")) {
      const compact_signature sig = sig_from_hex(str(*v, "expected_signature"));
      EXPECT_TRUE(is_canonical(sig));
      EXPECT_EQ(recover(sig, digest), pub);
      EXPECT_TRUE(verify(sig, digest, pub));
      ++expected_checked;
    }
    if (has(*v, "embedded_signature")) {
      const compact_signature sig = sig_from_hex(str(*v, "embedded_signature"));
      if (v->at("embedded_signature_valid").as_bool()) {
        EXPECT_EQ(recover(sig, digest), pub);
        ++embedded_valid;
      } else {
        // Stale signatures (made over other bytes) recover to some other key, or to none.
        EXPECT_NE(recover(sig, digest, false), std::optional<public_key>(pub));
        EXPECT_FALSE(verify(sig, digest, pub));
        ++embedded_stale;
      }
      EXPECT_EQ(is_canonical(sig), v->at("embedded_signature_fc_canonical").as_bool());
    }
    if (has(*v, "derived_signature_bitsharesjs")) {
      const compact_signature sig = sig_from_hex(str(*v, "derived_signature_bitsharesjs"));
      EXPECT_TRUE(is_canonical(sig));
      EXPECT_EQ(recover(sig, digest), pub);
      ++js_checked;
    }
  }
  EXPECT_EQ(fc_checked, 44);
  EXPECT_EQ(expected_checked, 31);
  EXPECT_EQ(embedded_valid, 29);
  EXPECT_EQ(embedded_stale, 11);
  EXPECT_EQ(js_checked, 44);
}

TEST(Signature, RoundTripsOverRandomKeysAndDigests) {
  std::mt19937_64 rng(20240601);
  long total_attempts = 0;
  int signatures = 0;
  for (int k = 0; k < 150; ++k) {
    const private_key key = random_key(rng);
    const public_key pub = key.get_public_key();
    for (int d = 0; d < 4; ++d) {
      const sha256_digest digest = random_digest(rng);
      int attempts = 0;
      const compact_signature sig = sign_compact(key, digest, &attempts);
      ASSERT_TRUE(is_canonical(sig));
      ASSERT_GE(sig[0], 31);
      ASSERT_LE(sig[0], 34);
      ASSERT_GE(attempts, 1);
      ASSERT_EQ(recover(sig, digest), pub);
      ASSERT_TRUE(verify(sig, digest, pub));
      // Deterministic: same key and digest, same bytes.
      ASSERT_EQ(sign_compact(key, digest), sig);
      // Another digest or another key does not verify.
      sha256_digest other = digest;
      other[rng() % 32] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
      ASSERT_FALSE(verify(sig, other, pub));
      ASSERT_FALSE(verify(sig, digest, random_key(rng).get_public_key()));
      total_attempts += attempts;
      ++signatures;
    }
  }
  // About half of all nonces give a canonical signature (bitshares-protocol.md §5.3).
  const double mean = static_cast<double>(total_attempts) / signatures;
  EXPECT_GT(mean, 1.5);
  EXPECT_LT(mean, 3.0);
}

TEST(Signature, RecoverHeaderRange) {
  const private_key key = private_key::from_seed("nathan");
  const sha256_digest digest = sha256("header test");
  const compact_signature sig = sign_compact(key, digest);
  const int recid = sig[0] - 31;
  // Headers 27..30 (uncompressed flag) and 31..34 carry the same recid modulo 4.
  for (int header : {27 + recid, 31 + recid}) {
    compact_signature copy = sig;
    copy[0] = static_cast<std::uint8_t>(header);
    EXPECT_EQ(recover(copy, digest), key.get_public_key()) << header;
  }
  for (int header : {0, 26, 35, 255}) {
    compact_signature copy = sig;
    copy[0] = static_cast<std::uint8_t>(header);
    EXPECT_EQ(recover(copy, digest), std::nullopt) << header;
    EXPECT_EQ(recover(copy, digest, false), std::nullopt) << header;
  }
  // A wrong recid gives another key (or none), never the signer.
  compact_signature flipped = sig;
  flipped[0] = static_cast<std::uint8_t>(31 + (recid ^ 1));
  EXPECT_NE(recover(flipped, digest), std::optional<public_key>(key.get_public_key()));
}

TEST(Signature, RequireCanonicalRejectsHighS) {
  std::mt19937_64 rng(7);
  int checked = 0;
  for (int i = 0; i < 20; ++i) {
    const private_key key = random_key(rng);
    const sha256_digest digest = random_digest(rng);
    compact_signature sig = sign_compact(key, digest);
    // (r, n - s) with the other parity is also a valid signature by the same key, but its s has
    // the top bit set, so fc (and we) refuse it.
    negate_s(sig);
    sig[0] = static_cast<std::uint8_t>(31 + ((sig[0] - 31) ^ 1));
    ASSERT_FALSE(is_canonical(sig));
    EXPECT_EQ(recover(sig, digest), std::nullopt);
    EXPECT_EQ(recover(sig, digest, false), key.get_public_key());
    EXPECT_FALSE(verify(sig, digest, key.get_public_key()));
    ++checked;
  }
  EXPECT_EQ(checked, 20);
}

TEST(Signature, MalformedSignaturesDoNotRecover) {
  const sha256_digest digest = sha256("malformed");
  compact_signature zero{};
  zero[0] = 31;
  EXPECT_EQ(recover(zero, digest, false), std::nullopt);  // r = s = 0
  compact_signature overflow{};
  overflow[0] = 31;
  std::fill(overflow.begin() + 1, overflow.end(), 0xff);  // r, s >= n
  EXPECT_EQ(recover(overflow, digest, false), std::nullopt);
}

TEST(Signature, ConcurrentSigningMatchesSingleThreaded) {
  std::mt19937_64 rng(99);
  std::vector<private_key> keys;
  for (int i = 0; i < 8; ++i) keys.push_back(random_key(rng));
  std::vector<sha256_digest> digests;
  for (int i = 0; i < 200; ++i) digests.push_back(random_digest(rng));
  std::vector<compact_signature> expected;
  for (std::size_t i = 0; i < digests.size(); ++i) {
    expected.push_back(sign_compact(keys[i % keys.size()], digests[i]));
  }

  constexpr int thread_count = 6;
  std::vector<int> mismatches(thread_count, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < thread_count; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        for (std::size_t j = 0; j < digests.size(); ++j) {
          const std::size_t i = (j + static_cast<std::size_t>(t) * 31) % digests.size();
          const private_key key = keys[i % keys.size()];  // copies cross threads
          const compact_signature sig = sign_compact(key, digests[i]);
          if (sig != expected[i] || !verify(sig, digests[i], key.get_public_key())) {
            ++mismatches[static_cast<std::size_t>(t)];
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

}  // namespace
}  // namespace bts::crypto
