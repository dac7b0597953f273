#include "crypto/detail/secp256k1_context.hpp"

#include <openssl/crypto.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "crypto/detail/random.hpp"

namespace bts::crypto::detail {
namespace {

secp256k1_context* create_context() {
  secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  if (ctx == nullptr) {
    std::fputs("bts_crypto: secp256k1_context_create failed\n", stderr);
    std::abort();
  }
  // Blinding against side channels; done once, before any other thread can see the context.
  std::array<std::uint8_t, 32> seed{};
  fill_random(seed);
  if (!secp256k1_context_randomize(ctx, seed.data())) {
    std::fputs("bts_crypto: secp256k1_context_randomize failed\n", stderr);
    std::abort();
  }
  OPENSSL_cleanse(seed.data(), seed.size());
  return ctx;
}

}  // namespace

const secp256k1_context* secp_context() {
  // Intentionally never destroyed: threads may still sign while static destructors run.
  static const secp256k1_context* const ctx = create_context();
  return ctx;
}

}  // namespace bts::crypto::detail
