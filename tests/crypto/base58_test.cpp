#include "crypto/base58.hpp"

#include <gtest/gtest.h>

#include <random>

#include "util/error.hpp"
#include "util/hex.hpp"

namespace bts::crypto {
namespace {

struct known_pair {
  const char* hex;
  const char* base58;
};

// Bitcoin Core's src/test/data/base58_encode_decode.json.
constexpr known_pair known[] = {
    {"", ""},
    {"61", "2g"},
    {"626262", "a3gV"},
    {"636363", "aPEr"},
    {"73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2"},
    {"00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"},
    {"516b6fcd0f", "ABnLTmg"},
    {"bf4f89001e670274dd", "3SEo3LWLoPntC"},
    {"572e4794", "3EFU7m"},
    {"ecac89cad93923c02321", "EJDM8drfXA6uyA"},
    {"10c8511e", "Rt5zm"},
    {"00000000000000000000", "1111111111"},
    {"000111d38e5fc9071ffcd20b4a763cc9ae4f252bb4e48fd66a835e252ada93ff480d6dd43dc62a641155a5",
     "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"},
};

TEST(Base58, KnownPairs) {
  for (const known_pair& p : known) {
    SCOPED_TRACE(p.hex);
    const std::vector<std::uint8_t> bytes = from_hex(p.hex);
    EXPECT_EQ(base58_encode(bytes), p.base58);
    EXPECT_EQ(base58_decode(p.base58), bytes);
  }
}

TEST(Base58, NullPublicKeyBody) {
  // 33 zero bytes + ripemd160(33 zero bytes)[0:4]: the body of BTS1111...4T1Anm.
  std::vector<std::uint8_t> bytes(33, 0);
  for (std::uint8_t b : from_hex("86e7b522")) bytes.push_back(b);
  const std::string text = base58_encode(bytes);
  EXPECT_EQ(text.substr(0, 33), std::string(33, '1'));
  EXPECT_EQ(text, "1111111111111111111111111111111114T1Anm");
  EXPECT_EQ(base58_decode(text), bytes);
}

TEST(Base58, RandomRoundTripsIncludingLeadingZeros) {
  std::mt19937 rng(12345);
  for (int i = 0; i < 2000; ++i) {
    std::vector<std::uint8_t> bytes(rng() % 80);
    for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
    const std::size_t zeros = rng() % 4;
    for (std::size_t z = 0; z < zeros && z < bytes.size(); ++z) bytes[z] = 0;
    const std::string text = base58_encode(bytes);
    ASSERT_EQ(base58_decode(text), bytes) << to_hex(bytes);
    // Leading zero bytes and only they become leading '1's.
    std::size_t ones = 0;
    while (ones < text.size() && text[ones] == '1') ++ones;
    std::size_t zero_bytes = 0;
    while (zero_bytes < bytes.size() && bytes[zero_bytes] == 0) ++zero_bytes;
    ASSERT_EQ(ones, zero_bytes);
  }
}

TEST(Base58, RejectsCharactersOutsideTheAlphabet) {
  for (const char* bad : {"0", "O", "I", "l", "+", " "}) {
    const std::string text = std::string("2g") + bad + "a3";
    try {
      base58_decode(text);
      ADD_FAILURE() << "accepted " << text;
    } catch (const input_error& e) {
      EXPECT_EQ(std::string(e.what()),
                std::string("invalid base58 character '") + bad + "' at offset 2");
    }
  }
  try {
    base58_decode("ab\xc3\xa4");
    ADD_FAILURE();
  } catch (const input_error& e) {
    EXPECT_STREQ(e.what(), "invalid base58 character '\\xc3' at offset 2");
  }
}

}  // namespace
}  // namespace bts::crypto
