// Hash functions as fc uses them (OpenSSL underneath). Thread-safe; no global state to set up.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace bts::crypto {

using sha256_digest = std::array<std::uint8_t, 32>;
using sha512_digest = std::array<std::uint8_t, 64>;
using sha224_digest = std::array<std::uint8_t, 28>;
using ripemd160_digest = std::array<std::uint8_t, 20>;

sha256_digest sha256(std::span<const std::uint8_t> data);
sha256_digest sha256(std::string_view data);
sha512_digest sha512(std::span<const std::uint8_t> data);
sha512_digest sha512(std::string_view data);
sha224_digest sha224(std::span<const std::uint8_t> data);
ripemd160_digest ripemd160(std::span<const std::uint8_t> data);

// Incremental SHA-256, e.g. for sig_digest = sha256(chain_id || packed transaction) without
// concatenating. Not copyable; one instance per thread.
class sha256_hasher {
 public:
  sha256_hasher();
  ~sha256_hasher();
  sha256_hasher(const sha256_hasher&) = delete;
  sha256_hasher& operator=(const sha256_hasher&) = delete;

  void update(std::span<const std::uint8_t> data);
  // Returns the digest and resets the hasher for reuse.
  sha256_digest finish();

 private:
  void* ctx_;  // EVP_MD_CTX
};

}  // namespace bts::crypto
