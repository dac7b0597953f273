#include "crypto/keys.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "crypto/base58.hpp"
#include "crypto/test_vectors.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"

namespace bts::crypto {
namespace {

using testing::has;
using testing::str;

constexpr std::string_view nathan_wif = "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3";
constexpr std::string_view nathan_pub = "BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV";
constexpr std::string_view null_key = "BTS1111111111111111111111111111111114T1Anm";

// The secp256k1 group order n.
constexpr std::string_view order_hex =
    "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

std::string leading_letters(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (!std::isalpha(static_cast<unsigned char>(c))) break;
    out.push_back(c);
  }
  return out;
}

// Expects `f` to throw input_error whose message is exactly `message`.
template <typename F>
void expect_input_error(F&& f, std::string_view message) {
  try {
    f();
    ADD_FAILURE() << "no exception, expected: " << message;
  } catch (const input_error& e) {
    EXPECT_EQ(std::string(e.what()), message);
  }
}

private_key derive(const boost::json::object& v) {
  const std::string kind = str(v, "kind");
  if (kind == "key:brainkey") {
    return private_key::from_brain_key(str(v, "brainkey"),
                                       static_cast<std::uint32_t>(v.at("sequence").as_int64()));
  }
  if (kind == "key:brainkey_no_sequence (sha256(brainkey))") {
    return private_key::from_seed(str(v, "brainkey"));
  }
  if (kind == "key:seed_string") return private_key::from_seed(str(v, "seed"));
  if (kind == "key:password") {
    return private_key::from_seed(str(v, "account") + str(v, "role") + str(v, "password"));
  }
  if (kind == "key:wif") return private_key::from_wif(str(v, "wif"));
  throw std::runtime_error("unexpected kind " + kind);
}

struct check_counts {
  int wif = 0, expected_wif = 0, secret = 0, pub_string = 0, pub_hex = 0, address = 0, null = 0;
};

void check_public_fields(const boost::json::object& v, const public_key& pub, check_counts& n) {
  for (const auto& [key, value] : v) {
    if (value.is_null()) continue;
    const std::string k(key);
    const std::string text = value.is_string() ? std::string(value.as_string()) : std::string();
    if (k == "expected_pub_hex" || k == "pub_hex") {
      EXPECT_EQ(to_hex(pub.data), text) << k;
      ++n.pub_hex;
    } else if (k.starts_with("expected_pub_")) {
      // "expected_pub_BTS", "expected_pub_STM", "expected_pub_BTS(derived, ...)".
      const std::string prefix = leading_letters(k.substr(13));
      EXPECT_EQ(to_string(pub, prefix), text) << k;
      EXPECT_EQ(public_key_from_string(text, prefix), pub) << k;
      EXPECT_EQ(public_key_from_string(text), pub) << k;
      ++n.pub_string;
    } else if (k.starts_with("expected_address")) {
      const std::string prefix =
          k == "expected_address" ? std::string("BTS") : leading_letters(k.substr(17));
      EXPECT_EQ(address_to_string(to_address(pub), prefix), text) << k;
      EXPECT_EQ(address_from_string(text, prefix), to_address(pub)) << k;
      EXPECT_EQ(address_from_string(text), to_address(pub)) << k;
      ++n.address;
    } else if (k.starts_with("null_public_key_")) {
      const std::string prefix = k.substr(16);
      EXPECT_EQ(to_string(public_key{}, prefix), text);
      EXPECT_TRUE(public_key_from_string(text, prefix).is_null());
      ++n.null;
    }
  }
}

TEST(KeyVectors, EveryKeyVector) {
  const std::map<std::string, std::size_t> expected_counts = {
      {"key:brainkey", 17},   {"key:password", 10},
      {"key:wif", 6},         {"key:address", 5},
      {"key:seed_string", 2}, {"key:brainkey_no_sequence (sha256(brainkey))", 1}};
  std::size_t total = 0;
  for (const boost::json::value& v : testing::all_vectors()) {
    if (v.as_object().at("kind").as_string().starts_with("key:")) ++total;
  }
  ASSERT_EQ(total, 41u) << "a key kind was added to the vector file; cover it here";

  check_counts n;
  std::size_t seen = 0;
  for (const auto& [kind, count] : expected_counts) {
    const auto vectors = testing::vectors_of_kind(kind);
    ASSERT_EQ(vectors.size(), count) << kind;
    for (const boost::json::object* v : vectors) {
      ++seen;
      SCOPED_TRACE(str(*v, "name"));
      if (kind == "key:address") {
        const public_key pub = public_key_from_string(str(*v, "pub"), "BTS");
        EXPECT_EQ(to_string(pub), str(*v, "pub"));
        check_public_fields(*v, pub, n);
        continue;
      }
      const private_key priv = derive(*v);
      EXPECT_EQ(priv.to_wif(), str(*v, "wif"));
      EXPECT_EQ(private_key::from_wif(str(*v, "wif")).secret(), priv.secret());
      ++n.wif;
      if (has(*v, "expected_wif")) {
        EXPECT_EQ(priv.to_wif(), str(*v, "expected_wif"));
        ++n.expected_wif;
      }
      for (const char* field : {"expected_secret_hex", "private_key_hex"}) {
        if (!has(*v, field)) continue;
        EXPECT_EQ(to_hex(priv.secret()), str(*v, field));
        std::array<std::uint8_t, 32> secret{};
        from_hex_exact(str(*v, field), secret);
        EXPECT_EQ(private_key::from_secret(secret).to_wif(), str(*v, "wif"));
        ++n.secret;
      }
      check_public_fields(*v, priv.get_public_key(), n);
    }
  }
  EXPECT_EQ(seen, 41u);
  EXPECT_EQ(n.wif, 36);
  EXPECT_EQ(n.expected_wif, 29);
  EXPECT_EQ(n.secret, 7);
  EXPECT_EQ(n.pub_string, 19);
  EXPECT_EQ(n.pub_hex, 6);
  EXPECT_EQ(n.address, 7);
  EXPECT_EQ(n.null, 1);
}

TEST(Keys, NathanKey) {
  const private_key key = private_key::from_seed("nathan");
  EXPECT_EQ(key.to_wif(), nathan_wif);
  EXPECT_EQ(to_string(key.get_public_key()), nathan_pub);
  EXPECT_EQ(to_string(key.get_public_key(), "TEST"),
            "TEST6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV");
  EXPECT_EQ(address_to_string(to_address(key.get_public_key())),
            "BTSFAbAx7yuxt725qSZvfwWqkdCwp9ZnUama");
}

TEST(Keys, NullKeyString) {
  const public_key null{};
  EXPECT_TRUE(null.is_null());
  EXPECT_EQ(to_string(null), null_key);
  EXPECT_TRUE(public_key_from_string(null_key).is_null());
  EXPECT_TRUE(public_key_from_string(null_key, "BTS").is_null());
  EXPECT_TRUE(public_key_from_string("TEST1111111111111111111111111111111114T1Anm").is_null());
  EXPECT_FALSE(private_key::from_seed("nathan").get_public_key().is_null());
}

TEST(Keys, PublicKeyPrefixes) {
  const public_key pub = public_key_from_string(nathan_pub);
  for (const char* prefix : {"BTS", "TEST", "GPH", "CBA", "STM", "X", "abcDEF"}) {
    const std::string text = to_string(pub, prefix);
    EXPECT_EQ(public_key_from_string(text), pub) << text;
    EXPECT_EQ(public_key_from_string(text, prefix), pub) << text;
  }
  expect_input_error(
      [] {
        public_key_from_string("TEST6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV", "BTS");
      },
      "expected prefix BTS, got TEST");
  expect_input_error(
      [] {
        public_key_from_string("BTSX6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV", "BTS");
      },
      "expected prefix BTS, got BTSX");
  expect_input_error(
      [] { public_key_from_string("6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV", "BTS"); },
      "expected prefix BTS, got no prefix");
  expect_input_error(
      [] { public_key_from_string("6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV"); },
      "public key has no prefix (such as BTS)");
}

TEST(Keys, PublicKeyErrors) {
  // Last character changed: same length, checksum no longer matches.
  expect_input_error(
      [] { public_key_from_string("BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CW"); },
      "public key checksum mismatch");
  expect_input_error(
      [] {
        public_key_from_string("BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CW", "BTS");
      },
      "public key checksum mismatch");
  expect_input_error(
      [] { public_key_from_string("BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5C0"); },
      "public key has an invalid base58 character '0' at offset 52");
  expect_input_error(
      [] { public_key_from_string("BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8Bht"); },
      "public key has the wrong length (expected 37 bytes after base58 decoding, got 26)");
  expect_input_error([] { public_key_from_string("BTS"); },
                     "public key has no base58 body after the prefix");
  expect_input_error([] { public_key_from_string(""); }, "empty public key");

  // A well-formed string whose 33 bytes are not a curve point (prefix byte 0x04, then 0x05).
  for (std::uint8_t first : {std::uint8_t{0x04}, std::uint8_t{0x05}}) {
    public_key bogus = public_key_from_string(nathan_pub);
    bogus.data[0] = first;
    expect_input_error([&] { public_key_from_string(to_string(bogus)); },
                       "public key is not a point on the secp256k1 curve");
  }
  // x = 5 has no point on secp256k1 (x^3 + 7 = 132 is not a square mod p).
  public_key off_curve{};
  off_curve.data[0] = 0x02;
  off_curve.data[32] = 5;
  expect_input_error([&] { public_key_from_string(to_string(off_curve)); },
                     "public key is not a point on the secp256k1 curve");
}

TEST(Keys, AddressStrings) {
  const public_key pub = public_key_from_string(nathan_pub);
  const address addr = to_address(pub);
  EXPECT_EQ(addr, ripemd160(sha512(pub.data)));
  // The body of this address starts with letters; the checksum finds the prefix.
  EXPECT_EQ(address_from_string("BTSFAbAx7yuxt725qSZvfwWqkdCwp9ZnUama"), addr);
  EXPECT_EQ(address_from_string("TESTFAbAx7yuxt725qSZvfwWqkdCwp9ZnUama", "TEST"), addr);
  expect_input_error([] { address_from_string("BTSFAbAx7yuxt725qSZvfwWqkdCwp9ZnUama", "TEST"); },
                     "expected prefix TEST, got BTS");
  expect_input_error([] { address_from_string("BTSFAbAx7yuxt725qSZvfwWqkdCwp9ZnUamb", "BTS"); },
                     "address checksum mismatch");
  expect_input_error([] { address_from_string("BTSFAbAx7yuxt725qSZvfwWqkdCwp9ZnUamb"); },
                     "address checksum mismatch");
  // A public key string is not an address.
  EXPECT_THROW(address_from_string(nathan_pub), input_error);
  // Random addresses round-trip under several prefixes.
  for (int i = 0; i < 200; ++i) {
    const address a = to_address(private_key::generate().get_public_key());
    for (const char* prefix : {"BTS", "TEST", "GPH"}) {
      const std::string text = address_to_string(a, prefix);
      ASSERT_EQ(address_from_string(text), a) << text;
      ASSERT_EQ(address_from_string(text, prefix), a) << text;
    }
  }
}

// bitshares-core orders key_auths by address. In the python-bitshares account_create vector the
// node's bytes hold the active keys as 03b453…, 02fe8c…, 0314aa…: address order, not byte order.
TEST(Keys, AddressOrderMatchesNodeBytes) {
  const auto txs = testing::vectors_of_kind("transaction");
  const auto it = std::find_if(txs.begin(), txs.end(), [](const boost::json::object* v) {
    return str(*v, "name") == "pyb_create_account";
  });
  ASSERT_NE(it, txs.end());
  const std::string bytes = str(**it, "expected_unsigned_hex");
  std::vector<public_key> keys = {
      public_key_from_string("BTS8CemMDjdUWSV5wKotEimhK6c4dY7p2PdzC2qM1HpAP8aLtZfE7"),
      public_key_from_string("BTS6pbVDAjRFiw6fkiKYCrkz7PFeL7XNAfefrsREwg8MKpJ9VYV9x"),
      public_key_from_string("BTS6zLNtyFVToBsBZDsgMhgjpwysYVbsQD6YhP3kRkQhANUB4w7Qp")};
  // The active authority comes after the owner one, so the last occurrence of each key is its
  // position in the active key_auths.
  std::vector<public_key> by_position = keys;
  std::sort(by_position.begin(), by_position.end(), [&](const public_key& a, const public_key& b) {
    return bytes.rfind(to_hex(a.data)) < bytes.rfind(to_hex(b.data));
  });
  for (const public_key& k : keys) ASSERT_NE(bytes.rfind(to_hex(k.data)), std::string::npos);
  std::vector<public_key> by_address(keys.rbegin(), keys.rend());
  std::sort(by_address.begin(), by_address.end(), address_less);
  EXPECT_EQ(by_position, by_address);
  std::vector<public_key> by_bytes = keys;
  std::sort(by_bytes.begin(), by_bytes.end(),
            [](const public_key& a, const public_key& b) { return a.data < b.data; });
  EXPECT_NE(by_position, by_bytes);
}

TEST(Keys, WifErrors) {
  // Last character changed.
  expect_input_error(
      [] { private_key::from_wif("5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD4"); },
      "WIF checksum mismatch");
  // A WIF with version byte 0x81 and a valid checksum.
  std::array<std::uint8_t, 37> bytes{};
  bytes[0] = 0x81;
  const auto secret = private_key::from_seed("nathan").secret();
  std::copy(secret.begin(), secret.end(), bytes.begin() + 1);
  const auto check = sha256(sha256(std::span(bytes).first(33)));
  std::copy_n(check.begin(), 4, bytes.begin() + 33);
  expect_input_error([&] { private_key::from_wif(base58_encode(bytes)); },
                     "not a WIF private key (expected version byte 0x80)");
  // One character short still decodes to 37 bytes, but the version byte is then wrong.
  expect_input_error(
      [] { private_key::from_wif("5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD"); },
      "not a WIF private key (expected version byte 0x80)");
  expect_input_error(
      [] { private_key::from_wif("5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zk"); },
      "not a WIF private key (expected 37 bytes after base58 decoding, got 34)");
  expect_input_error(
      [] { private_key::from_wif("5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvF0"); },
      "not a WIF private key (invalid base58 character '0' at offset 49)");
  expect_input_error([] { private_key::from_wif(""); }, "empty WIF private key");
  // A public key is not a WIF.
  EXPECT_THROW(private_key::from_wif(nathan_pub), input_error);
  EXPECT_THROW(private_key::from_wif(nathan_pub.substr(3)), input_error);

  // Secret out of range, with a correct checksum: zero and the group order.
  for (const std::string& hex : {std::string(64, '0'), std::string(order_hex)}) {
    std::array<std::uint8_t, 37> raw{};
    raw[0] = 0x80;
    from_hex_exact(hex, std::span(raw).subspan(1, 32));
    const auto sum = sha256(sha256(std::span(raw).first(33)));
    std::copy_n(sum.begin(), 4, raw.begin() + 33);
    expect_input_error([&] { private_key::from_wif(base58_encode(raw)); },
                       "WIF secret is zero or not below the secp256k1 group order");
  }
}

TEST(Keys, SecretRange) {
  std::array<std::uint8_t, 32> secret{};
  EXPECT_THROW(private_key::from_secret(secret), input_error);  // zero
  from_hex_exact(order_hex, secret);
  EXPECT_THROW(private_key::from_secret(secret), input_error);  // n
  secret[31] += 1;
  EXPECT_THROW(private_key::from_secret(secret), input_error);  // n + 1
  secret.fill(0xff);
  EXPECT_THROW(private_key::from_secret(secret), input_error);
  from_hex_exact(order_hex, secret);
  secret[31] -= 1;  // n - 1: the largest valid secret
  EXPECT_NO_THROW(private_key::from_secret(secret));
  secret.fill(0);
  secret[31] = 1;
  const private_key one = private_key::from_secret(secret);
  // 1·G is the generator.
  EXPECT_EQ(to_hex(one.get_public_key().data),
            "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
}

TEST(Keys, GenerateGivesDistinctValidKeys) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const private_key key = private_key::generate();
    const std::string wif = key.to_wif();
    EXPECT_EQ(wif[0], '5');
    EXPECT_EQ(private_key::from_wif(wif).secret(), key.secret());
    EXPECT_FALSE(key.get_public_key().is_null());
    seen.insert(wif);
    const public_key pub = key.get_public_key();
    EXPECT_EQ(public_key_from_string(to_string(pub), "BTS"), pub);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(Keys, CopiesAreIndependent) {
  private_key a = private_key::from_seed("a");
  const private_key b = private_key::from_seed("b");
  private_key c = a;
  EXPECT_EQ(c.secret(), a.secret());
  c = b;
  EXPECT_EQ(c.secret(), b.secret());
  EXPECT_EQ(a.to_wif(), private_key::from_seed("a").to_wif());
}

TEST(BrainKey, Normalisation) {
  EXPECT_EQ(normalize_brain_key("  colorer\tbicorn \n\n kasbeke\r\v\fy  "),
            "COLORER BICORN KASBEKE Y");
  EXPECT_EQ(normalize_brain_key(""), "");
  EXPECT_EQ(normalize_brain_key(" \t\n "), "");
  EXPECT_EQ(normalize_brain_key("ALREADY NORMAL"), "ALREADY NORMAL");
  // Only a-z are upper-cased; other bytes (digits, punctuation, UTF-8) pass through.
  EXPECT_EQ(normalize_brain_key("abc-123 \xc3\xa4x"), "ABC-123 \xc3\xa4X");
}

TEST(BrainKey, MessyInputDerivesTheSameKey) {
  const std::string words =
      "COLORER BICORN KASBEKE FAERIE LOCHIA GOMUTI SOVKHOZ Y GERMAL AUNTIE PERFUMY TIME FEATURE "
      "GANGAN CELEMIN MATZO";
  std::string messy = "\t ";
  for (char c : words) {
    if (c == ' ') {
      messy += " \n  ";
    } else {
      messy.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  messy += "  \n";
  EXPECT_EQ(private_key::from_brain_key(messy, 0).to_wif(),
            "5JfwDztjHYDDdKnCpjY6cwUQfM4hbtYmSJLjGd9KTpk9J4H2jDZ");
  EXPECT_EQ(private_key::from_brain_key(words, 1).to_wif(),
            "5Hsbn6kXio4bb7eW5bX7kTp2sdkmbzP8kGWoau46Cf7en7T1RRE");
  // Manual formula: sha256(sha512(words + " " + sequence)).
  const auto secret = sha256(sha512(words + " 4294967295"));
  EXPECT_EQ(private_key::from_brain_key(words, 4294967295u).secret(), secret);
}

}  // namespace
}  // namespace bts::crypto
