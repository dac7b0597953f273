// sign_bench: our signer and recovery against libsecp256k1 itself, measured in the same run.
//
// Baseline (the physical limit): libsecp256k1 called directly with fc's nonce schedule and the
// same canonical-retry loop, so it does exactly the work sign_compact must do; any gap is our
// overhead. Single thread, one key, the same N random digests for both; each side runs
// `--rounds` times, alternating, and the best round counts (the machine is shared).
//
// Output: key=value lines only (a bench script parses them and runs a bitsharesjs peer too).
//   sign.raw_per_sec, sign.ours_per_sec, sign.ratio_vs_raw (target >= 0.9),
//   recover.raw_per_sec, recover.ours_per_sec, recover.ratio_vs_raw.
// Usage: sign_bench [--count N] [--rounds R]
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "crypto/keys.hpp"
#include "crypto/signature.hpp"

namespace {

using bts::crypto::compact_signature;
using bts::crypto::sha256_digest;
using clock_type = std::chrono::steady_clock;

// fc's extended_nonce_function, as in src/crypto/signature.cpp.
int fc_nonce(unsigned char* nonce32, const unsigned char* msg32, const unsigned char* key32,
             const unsigned char*, void* data, unsigned int) {
  unsigned int* counter = static_cast<unsigned int*>(data);
  ++*counter;
  return secp256k1_nonce_function_rfc6979(nonce32, msg32, key32, nullptr, nullptr, *counter);
}

bool canonical(const unsigned char* c) {
  return !(c[1] & 0x80) && !(c[1] == 0 && !(c[2] & 0x80)) && !(c[33] & 0x80) &&
         !(c[33] == 0 && !(c[34] & 0x80));
}

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr, "sign_bench: %s (usage: sign_bench [--count N] [--rounds R])\n",
               problem.c_str());
  std::exit(2);
}

long parse_positive(const char* flag, const char* text) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v <= 0) {
    usage(std::string(flag) + ": expected a positive integer, got '" + text + "'");
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  long count = 20000;
  long rounds = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--count" || arg == "--rounds") && i + 1 < argc) {
      (arg == "--count" ? count : rounds) = parse_positive(arg.c_str(), argv[++i]);
    } else {
      usage("unexpected argument '" + arg + "'");
    }
  }

  const bts::crypto::private_key key = bts::crypto::private_key::from_seed("sign_bench");
  const unsigned char* secret = key.secret().data();
  std::mt19937_64 rng(20240601);
  std::vector<sha256_digest> digests(static_cast<std::size_t>(count));
  for (auto& d : digests) {
    for (auto& b : d) b = static_cast<std::uint8_t>(rng());
  }

  // The baseline gets its own context, set up the way bts_crypto sets up its own.
  secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  std::array<unsigned char, 32> seed{};
  for (auto& b : seed) b = static_cast<unsigned char>(std::random_device{}());
  if (!secp256k1_context_randomize(ctx, seed.data())) usage("secp256k1_context_randomize failed");

  std::vector<compact_signature> raw_sigs(digests.size());
  std::vector<compact_signature> our_sigs(digests.size());
  unsigned long nonces = 0;

  auto raw_sign = [&] {
    nonces = 0;
    const auto start = clock_type::now();
    for (std::size_t i = 0; i < digests.size(); ++i) {
      secp256k1_ecdsa_recoverable_signature sig;
      unsigned int counter = 0;
      int recid = 0;
      compact_signature& out = raw_sigs[i];
      do {
        if (!secp256k1_ecdsa_sign_recoverable(ctx, &sig, digests[i].data(), secret, fc_nonce,
                                              &counter)) {
          std::abort();
        }
        secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, out.data() + 1, &recid, &sig);
      } while (!canonical(out.data()));
      out[0] = static_cast<std::uint8_t>(31 + recid);
      nonces += counter;
    }
    return static_cast<double>(digests.size()) / seconds_since(start);
  };
  auto our_sign = [&] {
    const auto start = clock_type::now();
    for (std::size_t i = 0; i < digests.size(); ++i) {
      our_sigs[i] = bts::crypto::sign_compact(key, digests[i]);
    }
    return static_cast<double>(digests.size()) / seconds_since(start);
  };

  std::vector<bts::crypto::public_key> raw_keys(digests.size());
  std::vector<bts::crypto::public_key> our_keys(digests.size());
  auto raw_recover = [&] {
    const auto start = clock_type::now();
    for (std::size_t i = 0; i < digests.size(); ++i) {
      const compact_signature& s = raw_sigs[i];
      secp256k1_ecdsa_recoverable_signature sig;
      secp256k1_pubkey pub;
      std::size_t len = 33;
      if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &sig, s.data() + 1,
                                                               (s[0] - 27) & 3) ||
          !secp256k1_ecdsa_recover(ctx, &pub, &sig, digests[i].data()) ||
          !secp256k1_ec_pubkey_serialize(ctx, raw_keys[i].data.data(), &len, &pub,
                                         SECP256K1_EC_COMPRESSED)) {
        std::abort();
      }
    }
    return static_cast<double>(digests.size()) / seconds_since(start);
  };
  auto our_recover = [&] {
    const auto start = clock_type::now();
    for (std::size_t i = 0; i < digests.size(); ++i) {
      const auto pub = bts::crypto::recover(our_sigs[i], digests[i]);
      if (!pub) std::abort();
      our_keys[i] = *pub;
    }
    return static_cast<double>(digests.size()) / seconds_since(start);
  };

  double raw_sign_best = 0, our_sign_best = 0, raw_recover_best = 0, our_recover_best = 0;
  for (long r = 0; r < rounds; ++r) {
    raw_sign_best = std::max(raw_sign_best, raw_sign());
    our_sign_best = std::max(our_sign_best, our_sign());
    raw_recover_best = std::max(raw_recover_best, raw_recover());
    our_recover_best = std::max(our_recover_best, our_recover());
  }

  // Both sides must have done the same work and agree on every byte.
  const bool identical = raw_sigs == our_sigs;
  const bts::crypto::public_key expected = key.get_public_key();
  const bool recovered =
      std::all_of(raw_keys.begin(), raw_keys.end(), [&](const auto& k) { return k == expected; }) &&
      std::all_of(our_keys.begin(), our_keys.end(), [&](const auto& k) { return k == expected; });
  secp256k1_context_destroy(ctx);

  std::printf("sign.count=%ld\n", count);
  std::printf("sign.rounds=%ld\n", rounds);
  std::printf("sign.nonces_per_sig=%.4f\n", static_cast<double>(nonces) / count);
  std::printf("sign.raw_per_sec=%.0f\n", raw_sign_best);
  std::printf("sign.ours_per_sec=%.0f\n", our_sign_best);
  std::printf("sign.ratio_vs_raw=%.3f\n", our_sign_best / raw_sign_best);
  std::printf("sign.identical=%d\n", identical ? 1 : 0);
  std::printf("recover.raw_per_sec=%.0f\n", raw_recover_best);
  std::printf("recover.ours_per_sec=%.0f\n", our_recover_best);
  std::printf("recover.ratio_vs_raw=%.3f\n", our_recover_best / raw_recover_best);
  std::printf("recover.correct=%d\n", recovered ? 1 : 0);
  return identical && recovered ? 0 : 1;
}
