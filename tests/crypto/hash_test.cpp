#include "crypto/hash.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "crypto/test_vectors.hpp"
#include "util/hex.hpp"

namespace bts::crypto {
namespace {

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(Hash, Sha256KnownAnswers) {
  EXPECT_EQ(to_hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(to_hex(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(to_hex(sha256(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // The span and string_view overloads agree.
  EXPECT_EQ(sha256(as_bytes("abc")), sha256("abc"));
  // sha256("nathan") is the famous dev key's secret (bitshares-protocol.md §4.4).
  EXPECT_EQ(to_hex(sha256("nathan")),
            "d2653ff7cbb2d8ff129ac27ef5781ce68b2558c41a74af1f2ddca635cbeef07d");
}

TEST(Hash, Sha512KnownAnswers) {
  EXPECT_EQ(to_hex(sha512("")),
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
            "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
  EXPECT_EQ(to_hex(sha512("abc")),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  EXPECT_EQ(sha512(as_bytes("abc")), sha512("abc"));
}

TEST(Hash, Sha224KnownAnswers) {
  EXPECT_EQ(to_hex(sha224(as_bytes(""))),
            "d14a028c2a3a2bc9476102bb288234c415a2b01f828ea62ac5b3e42f");
  EXPECT_EQ(to_hex(sha224(as_bytes("abc"))),
            "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7");
}

TEST(Hash, Ripemd160KnownAnswers) {
  EXPECT_EQ(to_hex(ripemd160(as_bytes(""))), "9c1185a5c5e9fc54612808977ee8f548b2258d31");
  EXPECT_EQ(to_hex(ripemd160(as_bytes("abc"))), "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc");
  EXPECT_EQ(to_hex(ripemd160(as_bytes("message digest"))),
            "5d0689ef49d2fae572b881b123a85ffa21595f36");
  EXPECT_EQ(to_hex(ripemd160(as_bytes(std::string(1000000, 'a')))),
            "52783243c1697bdbe16d37f97f68f08325dc1528");
}

TEST(Hash, IncrementalMatchesOneShotAtEverySplit) {
  std::string text;
  for (int i = 0; i < 300; ++i) text.push_back(static_cast<char>(i * 7 + 3));
  const sha256_digest expected = sha256(text);
  sha256_hasher hasher;
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    hasher.update(as_bytes(std::string_view(text).substr(0, cut)));
    hasher.update(as_bytes(std::string_view(text).substr(cut)));
    ASSERT_EQ(hasher.finish(), expected) << "split at " << cut;  // finish() also resets
  }
  EXPECT_EQ(hasher.finish(), sha256(""));
}

// sig_digest = sha256(chain_id || unsigned transaction) for every transaction vector.
TEST(Hash, TransactionDigestsFromVectors) {
  const auto txs = testing::vectors_of_kind("transaction");
  ASSERT_EQ(txs.size(), 44u);
  sha256_hasher hasher;
  for (const boost::json::object* v : txs) {
    SCOPED_TRACE(testing::str(*v, "name"));
    hasher.update(testing::bytes(*v, "chain_id"));
    hasher.update(testing::bytes(*v, "expected_unsigned_hex"));
    EXPECT_EQ(to_hex(hasher.finish()), testing::str(*v, "expected_digest"));
  }
}

TEST(Hash, ConcurrentHashingAgrees) {
  std::vector<std::string> inputs;
  for (int i = 0; i < 64; ++i)
    inputs.push_back(std::string(static_cast<std::size_t>(i * 13), 'x') + std::to_string(i));
  std::vector<sha512_digest> expected;
  for (const auto& in : inputs) expected.push_back(sha512(in));
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 200; ++round) {
        for (std::size_t i = 0; i < inputs.size(); ++i) {
          if (sha512(inputs[i]) != expected[i]) ++failures[static_cast<std::size_t>(t)];
          (void)ripemd160(as_bytes(inputs[i]));
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

}  // namespace
}  // namespace bts::crypto
