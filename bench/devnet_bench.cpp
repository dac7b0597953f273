// devnet_bench: how many transfers the devnet's chain validates and applies per second on one
// core, signature recovery included, against the physical limit measured in the same run: raw
// libsecp256k1 public key recovery (secp256k1_ecdsa_recover) of the same signatures.
//
// Our side is the broadcast path of `bts-infra devnet`: database::precompute (validate, pack,
// digests, id, signature recovery) + push_transaction (size, dupe, authority, TaPoS, expiration,
// fee and transfer evaluation into the pending state). Separately, the cost of putting those
// pending transactions into a block (re-applied, signatures not recovered again) is reported.
// Each side runs `--rounds` times, alternating, on a fresh chain; the best round counts.
//
// Output: key=value lines only.
//   devnet.apply_per_sec, devnet.recover_limit_per_sec, devnet.ratio_vs_recover (target >= 0.7),
//   devnet.block_apply_per_sec, devnet.end_to_end_per_sec.
// Usage: devnet_bench [--count N] [--rounds R]
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "chain/database.hpp"
#include "chain/genesis.hpp"
#include "crypto/keys.hpp"
#include "protocol/transaction.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
using namespace bts;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr, "devnet_bench: %s (usage: devnet_bench [--count N] [--rounds R])\n",
               problem.c_str());
  std::exit(2);
}

long parse_positive(const char* flag, const char* text) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v <= 0) usage(std::string(flag) + " needs a positive number");
  return v;
}

struct chain_setup {
  std::string genesis = chain::builtin_genesis_json();
  chain::chain_id_type chain_id = chain::compute_chain_id(genesis);
  chain::genesis_state state = chain::parse_genesis(genesis);
  crypto::private_key key = crypto::private_key::from_wif(chain::dev_private_key_wif);

  // A fresh chain at block 1, whose id is the same every time (fixed slot).
  std::unique_ptr<chain::database> fresh() const {
    auto db = std::make_unique<chain::database>(state, chain_id);
    db->generate_block(db->get_slot_time(1), key);
    return db;
  }
};

}  // namespace

int main(int argc, char** argv) {
  long count = 4000;
  long rounds = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--count" || a == "--rounds") && i + 1 < argc) {
      (a == "--count" ? count : rounds) = parse_positive(argv[i], argv[i + 1]);
      ++i;
    } else {
      usage("unknown argument " + a);
    }
  }

  const chain_setup setup;
  const auto probe = setup.fresh();
  const protocol::block_id_type head = probe->head_block_id();
  const std::uint32_t head_time = probe->head_block_time().sec_since_epoch;

  // Distinct signed transfers nathan -> init0..init10, referencing block 1.
  std::vector<protocol::signed_transaction> txs;
  txs.reserve(static_cast<std::size_t>(count));
  for (long i = 0; i < count; ++i) {
    protocol::transfer_operation op;
    op.fee = {2000000, protocol::asset_id_type{0}};
    op.from = protocol::account_id_type{17};
    op.to = protocol::account_id_type{static_cast<std::uint64_t>(6 + i % 11)};
    op.amount = {1 + i, protocol::asset_id_type{0}};
    protocol::signed_transaction tx;
    tx.set_reference_block(head);
    tx.expiration = protocol::time_point_sec{head_time + 3600};
    tx.operations.push_back(op);
    tx.sign(setup.key, setup.chain_id);
    txs.push_back(std::move(tx));
  }
  // The same signatures and digests for the baseline.
  std::vector<std::array<std::uint8_t, 32>> digests;
  for (const auto& tx : txs) digests.push_back(tx.sig_digest(setup.chain_id));

  secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_VERIFY);
  double best_apply = 0, best_recover = 0, best_block = 0, best_e2e = 0;
  std::size_t failures = 0;
  for (long r = 0; r < rounds; ++r) {
    // Baseline: parse + recover, nothing else.
    {
      std::size_t ok = 0;
      const auto start = clock_type::now();
      for (std::size_t i = 0; i < txs.size(); ++i) {
        const auto& sig = txs[i].signatures[0];
        secp256k1_ecdsa_recoverable_signature rs;
        secp256k1_pubkey pub;
        if (secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rs, sig.data() + 1,
                                                                (sig[0] - 27) & 3) &&
            secp256k1_ecdsa_recover(ctx, &pub, &rs, digests[i].data())) {
          ++ok;
        }
      }
      const double s = seconds_since(start);
      if (ok != txs.size()) ++failures;
      best_recover = std::max(best_recover, double(txs.size()) / s);
    }
    // Ours: the devnet's broadcast path on a fresh chain, then one block with all of it.
    {
      auto db = setup.fresh();
      auto copies = txs;  // precompute takes the transaction by value, as the API does
      std::size_t ok = 0;
      const auto start = clock_type::now();
      for (auto& tx : copies) {
        try {
          db->push_transaction(db->precompute(std::move(tx)));
          ++ok;
        } catch (const std::exception& e) {
          if (failures++ == 0) std::fprintf(stderr, "devnet_bench: rejected: %s\n", e.what());
        }
      }
      const double apply_s = seconds_since(start);
      const auto block_start = clock_type::now();
      std::size_t included = 0;
      while (!db->pending().empty()) {
        included += db->generate_block(db->get_slot_time(1), setup.key)->block.transactions.size();
      }
      const double block_s = seconds_since(block_start);
      if (ok != txs.size() || included != ok) ++failures;
      best_apply = std::max(best_apply, double(ok) / apply_s);
      best_block = std::max(best_block, double(included) / block_s);
      best_e2e = std::max(best_e2e, double(included) / (apply_s + block_s));
    }
  }
  secp256k1_context_destroy(ctx);
  if (failures != 0) {
    std::fprintf(stderr, "devnet_bench: %zu failures\n", failures);
    return 1;
  }
  std::printf("devnet.transfers=%zu\n", txs.size());
  std::printf("devnet.apply_per_sec=%.0f\n", best_apply);
  std::printf("devnet.recover_limit_per_sec=%.0f\n", best_recover);
  std::printf("devnet.ratio_vs_recover=%.3f\n", best_apply / best_recover);
  std::printf("devnet.block_apply_per_sec=%.0f\n", best_block);
  std::printf("devnet.end_to_end_per_sec=%.0f\n", best_e2e);
  return 0;
}
