#include "crypto/signature.hpp"

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <cstdlib>

#include "crypto/detail/secp256k1_context.hpp"

namespace bts::crypto {
namespace {

// fc's extended_nonce_function: `data` points at a counter that is incremented *before* each
// call, and the nonce is RFC6979 output #counter (libsecp256k1's own attempt number, which only
// moves when a nonce is unusable, is ignored, exactly as fc ignores it).
int fc_nonce_function(unsigned char* nonce32, const unsigned char* msg32,
                      const unsigned char* key32, const unsigned char* /*algo16*/, void* data,
                      unsigned int /*attempt*/) {
  unsigned int* counter = static_cast<unsigned int*>(data);
  ++*counter;
  return secp256k1_nonce_function_rfc6979(nonce32, msg32, key32, nullptr, nullptr, *counter);
}

}  // namespace

bool is_canonical(const compact_signature& c) {
  return !(c[1] & 0x80) && !(c[1] == 0 && !(c[2] & 0x80)) && !(c[33] & 0x80) &&
         !(c[33] == 0 && !(c[34] & 0x80));
}

compact_signature sign_compact(const private_key& key, const sha256_digest& digest, int* attempts) {
  const secp256k1_context* ctx = detail::secp_context();
  compact_signature result;
  secp256k1_ecdsa_recoverable_signature sig;
  unsigned int counter = 0;
  int recid = 0;
  do {
    // Fails only for an invalid secret, which private_key never holds.
    if (!secp256k1_ecdsa_sign_recoverable(ctx, &sig, digest.data(), key.secret().data(),
                                          fc_nonce_function, &counter)) {
      std::abort();
    }
    secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, result.data() + 1, &recid, &sig);
  } while (!is_canonical(result));
  result[0] = static_cast<std::uint8_t>(27 + 4 + recid);
  if (attempts != nullptr) *attempts = static_cast<int>(counter);
  return result;
}

std::optional<public_key> recover(const compact_signature& sig, const sha256_digest& digest,
                                  bool require_canonical) {
  if (sig[0] < 27 || sig[0] > 34) return std::nullopt;
  if (require_canonical && !is_canonical(sig)) return std::nullopt;
  const secp256k1_context* ctx = detail::secp_context();
  const int recid = (sig[0] - 27) & 3;
  secp256k1_ecdsa_recoverable_signature parsed;
  if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &parsed, sig.data() + 1, recid)) {
    return std::nullopt;
  }
  secp256k1_pubkey pub;
  if (!secp256k1_ecdsa_recover(ctx, &pub, &parsed, digest.data())) return std::nullopt;
  public_key out;
  std::size_t len = out.data.size();
  secp256k1_ec_pubkey_serialize(ctx, out.data.data(), &len, &pub, SECP256K1_EC_COMPRESSED);
  return out;
}

bool verify(const compact_signature& sig, const sha256_digest& digest, const public_key& key) {
  const std::optional<public_key> recovered = recover(sig, digest, true);
  return recovered.has_value() && *recovered == key;
}

}  // namespace bts::crypto
