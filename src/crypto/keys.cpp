#include "crypto/keys.hpp"

#include <openssl/crypto.h>
#include <secp256k1.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "crypto/base58.hpp"
#include "crypto/detail/base58.hpp"
#include "crypto/detail/random.hpp"
#include "crypto/detail/secp256k1_context.hpp"
#include "util/error.hpp"

namespace bts::crypto {
namespace {

constexpr std::uint8_t wif_version = 0x80;

bool is_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

std::size_t leading_letters(std::string_view text) {
  std::size_t n = 0;
  while (n < text.size() && is_letter(text[n])) ++n;
  return n;
}

// Wipes a byte buffer holding secret material when it goes out of scope.
template <typename Buffer>
struct wipe_on_exit {
  Buffer& buffer;
  ~wipe_on_exit() { OPENSSL_cleanse(buffer.data(), buffer.size()); }
};
// clang 14 does not deduce aggregate template arguments (P1816) without a guide.
template <typename Buffer>
wipe_on_exit(Buffer&) -> wipe_on_exit<Buffer>;

template <std::size_t N>
std::string encode_with_checksum(std::string_view prefix,
                                 const std::array<std::uint8_t, N>& payload) {
  std::array<std::uint8_t, N + 4> bytes;
  std::copy(payload.begin(), payload.end(), bytes.begin());
  const ripemd160_digest check = ripemd160(payload);
  std::copy_n(check.begin(), 4, bytes.begin() + N);
  std::string out(prefix);
  out += base58_encode(bytes);
  return out;
}

// Result of trying to read `body` as base58(payload || ripemd160(payload)[0:4]).
enum class body_status { ok, bad_base58, wrong_length, bad_checksum };

body_status decode_body(std::string_view body, std::size_t payload_size,
                        std::vector<std::uint8_t>& payload, std::size_t& bad_offset) {
  if (!detail::base58_decode(body, payload, bad_offset)) return body_status::bad_base58;
  if (payload.size() != payload_size + 4) return body_status::wrong_length;
  const ripemd160_digest check = ripemd160(std::span(payload).first(payload_size));
  if (!std::equal(check.begin(), check.begin() + 4, payload.begin() + payload_size)) {
    return body_status::bad_checksum;
  }
  payload.resize(payload_size);
  return body_status::ok;
}

// Reads PREFIX + base58(payload || ripemd160(payload)[0:4]). The prefix is a run of letters;
// base58 bodies may start with letters too (addresses do), so every split inside the leading
// run of letters is tried and the checksum picks the right one.
std::vector<std::uint8_t> decode_prefixed(std::string_view text, std::string_view expected_prefix,
                                          std::size_t payload_size, std::string_view what) {
  const std::string thing(what);
  if (text.empty()) throw input_error("empty " + thing);
  const std::size_t letters = leading_letters(text);
  std::vector<std::uint8_t> payload;
  std::size_t bad_offset = 0;
  for (std::size_t k = letters; k >= 1; --k) {
    if (decode_body(text.substr(k), payload_size, payload, bad_offset) != body_status::ok) continue;
    const std::string_view prefix = text.substr(0, k);
    if (!expected_prefix.empty() && prefix != expected_prefix) {
      throw input_error("expected prefix " + std::string(expected_prefix) + ", got " +
                        std::string(prefix));
    }
    return payload;
  }

  // Nothing decodes: explain the most plausible reading.
  std::size_t k = letters;
  if (!expected_prefix.empty()) {
    if (!text.starts_with(expected_prefix)) {
      throw input_error(
          "expected prefix " + std::string(expected_prefix) + ", got " +
          (letters == 0 ? std::string("no prefix") : std::string(text.substr(0, letters))));
    }
    k = expected_prefix.size();
  } else {
    if (letters == 0) throw input_error(thing + " has no prefix (such as BTS)");
    // Prefer a split whose body has the right length, so a bad checksum is reported as such.
    for (std::size_t j = letters; j >= 1; --j) {
      if (decode_body(text.substr(j), payload_size, payload, bad_offset) ==
          body_status::bad_checksum) {
        k = j;
        break;
      }
    }
  }
  const std::string_view body = text.substr(k);
  if (body.empty()) throw input_error(thing + " has no base58 body after the prefix");
  switch (decode_body(body, payload_size, payload, bad_offset)) {
    case body_status::bad_base58:
      throw input_error(thing + " has an " + detail::bad_base58_message(text, k + bad_offset));
    case body_status::wrong_length:
      throw input_error(thing + " has the wrong length (expected " +
                        std::to_string(payload_size + 4) + " bytes after base58 decoding, got " +
                        std::to_string(payload.size()) + ")");
    case body_status::bad_checksum:
      throw input_error(thing + " checksum mismatch");
    case body_status::ok:
      break;
  }
  return payload;  // unreachable: an ok body was accepted above
}

// cli_wallet's normalize_brain_key, appending to `out`.
void normalize_brain_key_into(std::string_view brain_key, std::string& out);

}  // namespace

bool public_key::is_null() const {
  return std::all_of(data.begin(), data.end(), [](std::uint8_t b) { return b == 0; });
}

address to_address(const public_key& key) { return ripemd160(sha512(key.data)); }

bool address_less(const public_key& a, const public_key& b) {
  return to_address(a) < to_address(b);
}

std::string to_string(const public_key& key, std::string_view prefix) {
  return encode_with_checksum(prefix, key.data);
}

public_key public_key_from_string(std::string_view text, std::string_view expected_prefix) {
  const std::vector<std::uint8_t> bytes = decode_prefixed(text, expected_prefix, 33, "public key");
  public_key key;
  std::copy(bytes.begin(), bytes.end(), key.data.begin());
  if (key.is_null()) return key;
  secp256k1_pubkey parsed;
  if ((key.data[0] != 0x02 && key.data[0] != 0x03) ||
      !secp256k1_ec_pubkey_parse(detail::secp_context(), &parsed, key.data.data(),
                                 key.data.size())) {
    throw input_error("public key is not a point on the secp256k1 curve");
  }
  return key;
}

std::string address_to_string(const address& addr, std::string_view prefix) {
  return encode_with_checksum(prefix, addr);
}

address address_from_string(std::string_view text, std::string_view expected_prefix) {
  const std::vector<std::uint8_t> bytes = decode_prefixed(text, expected_prefix, 20, "address");
  address addr;
  std::copy(bytes.begin(), bytes.end(), addr.begin());
  return addr;
}

private_key private_key::from_secret(const std::array<std::uint8_t, 32>& secret) {
  if (!secp256k1_ec_seckey_verify(detail::secp_context(), secret.data())) {
    throw input_error("private key is zero or not below the secp256k1 group order");
  }
  private_key key;
  key.secret_ = secret;
  return key;
}

private_key private_key::from_wif(std::string_view wif) {
  std::vector<std::uint8_t> bytes;
  wipe_on_exit wipe{bytes};
  std::size_t bad_offset = 0;
  if (wif.empty()) throw input_error("empty WIF private key");
  if (!detail::base58_decode(wif, bytes, bad_offset)) {
    throw input_error("not a WIF private key (" + detail::bad_base58_message(wif, bad_offset) +
                      ")");
  }
  if (bytes.size() != 37) {
    throw input_error("not a WIF private key (expected 37 bytes after base58 decoding, got " +
                      std::to_string(bytes.size()) + ")");
  }
  if (bytes[0] != wif_version) {
    throw input_error("not a WIF private key (expected version byte 0x80)");
  }
  sha256_digest check = sha256(sha256(std::span(bytes).first(33)));
  const bool match = std::equal(check.begin(), check.begin() + 4, bytes.begin() + 33);
  if (!match) throw input_error("WIF checksum mismatch");
  std::array<std::uint8_t, 32> secret;
  wipe_on_exit wipe_secret{secret};
  std::copy_n(bytes.begin() + 1, 32, secret.begin());
  if (!secp256k1_ec_seckey_verify(detail::secp_context(), secret.data())) {
    throw input_error("WIF secret is zero or not below the secp256k1 group order");
  }
  return from_secret(secret);
}

private_key private_key::from_seed(std::string_view seed) {
  sha256_digest secret = sha256(seed);
  wipe_on_exit wipe{secret};
  return from_secret(secret);
}

private_key private_key::from_brain_key(std::string_view brain_key, std::uint32_t sequence) {
  // Reserved up front so the buffer holding the words is never reallocated (and left unwiped).
  std::string text;
  text.reserve(brain_key.size() + 16);
  wipe_on_exit wipe_text{text};
  normalize_brain_key_into(brain_key, text);
  text += ' ';
  text += std::to_string(sequence);
  sha512_digest h = sha512(text);
  wipe_on_exit wipe_h{h};
  sha256_digest secret = sha256(h);
  wipe_on_exit wipe_secret{secret};
  return from_secret(secret);
}

private_key private_key::generate() {
  private_key key;
  do {
    detail::fill_random(key.secret_);
  } while (!secp256k1_ec_seckey_verify(detail::secp_context(), key.secret_.data()));
  return key;
}

private_key::~private_key() { OPENSSL_cleanse(secret_.data(), secret_.size()); }

std::string private_key::to_wif() const {
  std::array<std::uint8_t, 37> bytes;
  wipe_on_exit wipe{bytes};
  bytes[0] = wif_version;
  std::copy(secret_.begin(), secret_.end(), bytes.begin() + 1);
  const sha256_digest check = sha256(sha256(std::span(bytes).first(33)));
  std::copy_n(check.begin(), 4, bytes.begin() + 33);
  return base58_encode(bytes);
}

public_key private_key::get_public_key() const {
  secp256k1_pubkey pub;
  if (!secp256k1_ec_pubkey_create(detail::secp_context(), &pub, secret_.data())) {
    // Unreachable: every constructor checks the secret's range.
    std::abort();
  }
  public_key out;
  std::size_t len = out.data.size();
  secp256k1_ec_pubkey_serialize(detail::secp_context(), out.data.data(), &len, &pub,
                                SECP256K1_EC_COMPRESSED);
  return out;
}

namespace {

void normalize_brain_key_into(std::string_view brain_key, std::string& out) {
  // Same character classes as cli_wallet's normalize_brain_key (C locale isspace).
  bool pending_space = false;
  for (char c : brain_key) {
    switch (c) {
      case ' ':
      case '\t':
      case '\r':
      case '\n':
      case '\v':
      case '\f':
        pending_space = !out.empty();
        continue;
      default:
        break;
    }
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
}

}  // namespace

std::string normalize_brain_key(std::string_view brain_key) {
  std::string out;
  out.reserve(brain_key.size());
  normalize_brain_key_into(brain_key, out);
  return out;
}

}  // namespace bts::crypto
