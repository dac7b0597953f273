#include "crypto/memo.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <secp256k1.h>
#include <secp256k1_ecdh.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "crypto/detail/random.hpp"
#include "crypto/detail/secp256k1_context.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"

namespace bts::crypto {
namespace {

constexpr std::size_t aes_block = 16;

// ECDH "hash" that keeps the raw x-coordinate; fc hashes it with sha512 afterwards.
int copy_x(unsigned char* output, const unsigned char* x32, const unsigned char* /*y32*/,
           void* /*data*/) {
  std::copy_n(x32, 32, output);
  return 1;
}

const EVP_CIPHER* aes_256_cbc() {
  static const EVP_CIPHER* const cipher = [] {
    EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr);
    if (c == nullptr) {
      std::fputs("bts_crypto: OpenSSL has no AES-256-CBC\n", stderr);
      std::abort();
    }
    return c;
  }();
  return cipher;
}

struct cipher_ctx_deleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_deleter>;

// key = h[0:32], iv = h[32:48] with h = sha512(decimal(nonce) || hex(shared_secret)).
sha512_digest memo_key(const private_key& priv, const public_key& pub, std::uint64_t nonce) {
  sha512_digest secret = shared_secret(priv, pub);
  std::string text = std::to_string(nonce);
  text += to_hex(secret);
  const sha512_digest key = sha512(text);
  OPENSSL_cleanse(secret.data(), secret.size());
  OPENSSL_cleanse(text.data(), text.size());
  return key;
}

// Runs AES-256-CBC without OpenSSL's padding handling (the callers pad and unpad).
std::vector<std::uint8_t> aes_cbc(bool encrypt, const sha512_digest& key,
                                  std::span<const std::uint8_t> in) {
  cipher_ctx ctx(EVP_CIPHER_CTX_new());
  std::vector<std::uint8_t> out(in.size() + aes_block);
  int len = 0;
  int final_len = 0;
  if (!ctx ||
      EVP_CipherInit_ex2(ctx.get(), aes_256_cbc(), key.data(), key.data() + 32, encrypt ? 1 : 0,
                         nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_CipherUpdate(ctx.get(), out.data(), &len, in.data(), static_cast<int>(in.size())) != 1 ||
      EVP_CipherFinal_ex(ctx.get(), out.data() + len, &final_len) != 1) {
    throw input_error("memo ciphertext is not valid AES-256-CBC");
  }
  out.resize(static_cast<std::size_t>(len + final_len));
  return out;
}

bool checksum_matches(std::span<const std::uint8_t> plain) {
  if (plain.size() < 4) return false;
  const sha256_digest check = sha256(plain.subspan(4));
  return std::equal(check.begin(), check.begin() + 4, plain.begin());
}

}  // namespace

sha512_digest shared_secret(const private_key& priv, const public_key& pub) {
  const secp256k1_context* ctx = detail::secp_context();
  secp256k1_pubkey point;
  if (pub.is_null() || !secp256k1_ec_pubkey_parse(ctx, &point, pub.data.data(), pub.data.size())) {
    throw input_error("public key is not a point on the secp256k1 curve");
  }
  std::array<std::uint8_t, 32> x;
  if (!secp256k1_ecdh(ctx, x.data(), &point, priv.secret().data(), copy_x, nullptr)) {
    std::abort();  // unreachable: private_key always holds a valid secret
  }
  const sha512_digest out = sha512(x);
  OPENSSL_cleanse(x.data(), x.size());
  return out;
}

std::vector<std::uint8_t> encrypt_memo(const private_key& priv, const public_key& pub,
                                       std::uint64_t nonce, std::string_view message) {
  sha512_digest key = memo_key(priv, pub, nonce);
  // plaintext = sha256(message)[0:4] || message, then PKCS#7 (always at least one pad byte).
  const sha256_digest check = sha256(message);
  std::vector<std::uint8_t> plain(check.begin(), check.begin() + 4);
  plain.insert(plain.end(), message.begin(), message.end());
  const std::size_t pad = aes_block - plain.size() % aes_block;
  plain.insert(plain.end(), pad, static_cast<std::uint8_t>(pad));
  std::vector<std::uint8_t> out = aes_cbc(true, key, plain);
  OPENSSL_cleanse(plain.data(), plain.size());
  OPENSSL_cleanse(key.data(), key.size());
  return out;
}

std::string decrypt_memo(const private_key& priv, const public_key& pub, std::uint64_t nonce,
                         std::span<const std::uint8_t> ciphertext) {
  if (ciphertext.empty() || ciphertext.size() % aes_block != 0) {
    throw input_error("memo ciphertext is not valid AES-256-CBC (length " +
                      std::to_string(ciphertext.size()) + " is not a positive multiple of 16)");
  }
  sha512_digest key = memo_key(priv, pub, nonce);
  std::vector<std::uint8_t> plain = aes_cbc(false, key, ciphertext);
  OPENSSL_cleanse(key.data(), key.size());

  // Normal case: strip PKCS#7 padding. Legacy memos were written without a padding block when
  // the plaintext filled whole blocks; their last byte may happen to look like padding, so the
  // checksum decides between the two readings.
  const std::size_t pad = plain.back();
  const bool padded = pad >= 1 && pad <= aes_block &&
                      std::all_of(plain.end() - static_cast<std::ptrdiff_t>(pad), plain.end(),
                                  [pad](std::uint8_t b) { return b == pad; });
  std::span<const std::uint8_t> text;
  if (padded && checksum_matches(std::span(plain).first(plain.size() - pad))) {
    text = std::span(plain).first(plain.size() - pad);
  } else if (checksum_matches(plain)) {
    text = plain;
  } else {
    throw input_error("memo checksum mismatch");
  }
  return std::string(text.begin() + 4, text.end());
}

std::uint64_t make_memo_nonce() {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::array<std::uint8_t, 1> entropy{};
  detail::fill_random(entropy);
  return (static_cast<std::uint64_t>(micros) & 0x00ffffffffffffffULL) |
         (static_cast<std::uint64_t>(entropy[0]) << 56);
}

}  // namespace bts::crypto
