#include "crypto/hash.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

namespace bts::crypto {
namespace {

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "bts_crypto: %s failed\n", what);
  std::abort();
}

// Each EVP_MD is fetched once from the default provider and kept for the life of the process:
// EVP_MD_fetch takes a lock and searches the provider store, far too slow to do per hash.
const EVP_MD* fetch(const char* name) {
  EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (md == nullptr) {
    std::fprintf(stderr, "bts_crypto: OpenSSL has no %s digest (needs OpenSSL >= 3.0.7)\n", name);
    std::abort();
  }
  return md;
}

const EVP_MD* md_sha256() {
  static const EVP_MD* const md = fetch("SHA256");
  return md;
}
const EVP_MD* md_sha512() {
  static const EVP_MD* const md = fetch("SHA512");
  return md;
}
const EVP_MD* md_sha224() {
  static const EVP_MD* const md = fetch("SHA224");
  return md;
}
const EVP_MD* md_ripemd160() {
  static const EVP_MD* const md = fetch("RIPEMD160");
  return md;
}

// One reusable EVP_MD_CTX per thread for one-shot hashes, so hashing allocates nothing after
// the first call on a thread.
EVP_MD_CTX* thread_ctx() {
  struct holder {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~holder() { EVP_MD_CTX_free(ctx); }
  };
  thread_local holder h;
  if (h.ctx == nullptr) die("EVP_MD_CTX_new");
  return h.ctx;
}

template <std::size_t N>
std::array<std::uint8_t, N> one_shot(const EVP_MD* md, const void* data, std::size_t size) {
  std::array<std::uint8_t, N> out;
  EVP_MD_CTX* ctx = thread_ctx();
  unsigned int len = 0;
  if (EVP_DigestInit_ex2(ctx, md, nullptr) != 1 || EVP_DigestUpdate(ctx, data, size) != 1 ||
      EVP_DigestFinal_ex(ctx, out.data(), &len) != 1 || len != N) {
    die("EVP digest");
  }
  return out;
}

}  // namespace

sha256_digest sha256(std::span<const std::uint8_t> data) {
  return one_shot<32>(md_sha256(), data.data(), data.size());
}
sha256_digest sha256(std::string_view data) {
  return one_shot<32>(md_sha256(), data.data(), data.size());
}
sha512_digest sha512(std::span<const std::uint8_t> data) {
  return one_shot<64>(md_sha512(), data.data(), data.size());
}
sha512_digest sha512(std::string_view data) {
  return one_shot<64>(md_sha512(), data.data(), data.size());
}
sha224_digest sha224(std::span<const std::uint8_t> data) {
  return one_shot<28>(md_sha224(), data.data(), data.size());
}
ripemd160_digest ripemd160(std::span<const std::uint8_t> data) {
  return one_shot<20>(md_ripemd160(), data.data(), data.size());
}

sha256_hasher::sha256_hasher() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr) die("EVP_MD_CTX_new");
  if (EVP_DigestInit_ex2(static_cast<EVP_MD_CTX*>(ctx_), md_sha256(), nullptr) != 1) {
    die("EVP_DigestInit_ex2");
  }
}

sha256_hasher::~sha256_hasher() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void sha256_hasher::update(std::span<const std::uint8_t> data) {
  if (EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size()) != 1) {
    die("EVP_DigestUpdate");
  }
}

sha256_digest sha256_hasher::finish() {
  sha256_digest out;
  unsigned int len = 0;
  auto* ctx = static_cast<EVP_MD_CTX*>(ctx_);
  if (EVP_DigestFinal_ex(ctx, out.data(), &len) != 1 || len != out.size() ||
      EVP_DigestInit_ex2(ctx, md_sha256(), nullptr) != 1) {
    die("EVP_DigestFinal_ex");
  }
  return out;
}

}  // namespace bts::crypto
