// beacon_bench: the beacon's send-side costs against their limits, measured in the same run.
//
// - Pre-signing: tx_factory::make (draw, pack, sign, JSON, id claim) on one core, against raw
//   libsecp256k1 (secp256k1_ecdsa_sign_recoverable + serialize_compact with fc's nonce schedule
//   and canonical-retry loop) signing the very same sig digests with the same key, so both do
//   the same canonical retries. Nine interleaved rounds (factory batch, then raw on its
//   digests); the median of the per-round ratios is reported, with min and max. Target >= 0.9.
// - Broadcast: one client thread pipelines broadcast_transaction calls (pre-signed JSON text,
//   rpc::client::async_call_raw, as the beacon sends them) to a
//   loopback rpc::server of ours that acknowledges without validating. Target >= 20,000 tx/s.
// - Memory: resident set growth over a pool of pre-signed transactions (prepared_tx in a deque,
//   as presign_pool holds them, plus their id_registry entries). Target <= 1024 bytes each.
//
// Each part is bounded (pool fill 10 s, pre-signing rounds 10 s, broadcast 3 s): a
// slow machine measures fewer transactions and says how many.
// Output: key=value lines only. Usage: beacon_bench [--count N] [--pool N] [--broadcast-seconds S]
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <unistd.h>
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "beacon/chain_context.hpp"
#include "beacon/factory.hpp"
#include "protocol/transaction.hpp"
#include "rpc/client.hpp"
#include "rpc/server.hpp"

namespace {

namespace beacon = bts::beacon;
namespace json = boost::json;
using clock_type = std::chrono::steady_clock;

constexpr const char* gp_json = R"({"id":"2.0.0","parameters":{"current_fees":{"parameters":[
  [0,{"fee":2000000,"price_per_kbyte":1000000}],[1,{"fee":500000}],[2,{"fee":0}],
  [5,{"basic_fee":500000,"premium_fee":200000000,"price_per_kbyte":100000}],
  [14,{"fee":2000000,"price_per_kbyte":100000}]],"scale":10000},
  "block_interval":3,"maximum_transaction_size":2048,"maximum_time_until_expiration":86400}})";

constexpr const char* dgp_json = R"({"id":"2.1.0","head_block_number":1000,
  "head_block_id":"000003e8aabbccdd00112233445566778899aabb","time":"2024-01-01T00:00:00",
  "last_irreversible_block_num":990})";

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(
      stderr,
      "beacon_bench: %s (usage: beacon_bench [--count N] [--pool N] [--broadcast-seconds S])\n",
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

// A factory as the beacon builds one after reading the node: four accounts sharing one key (so
// the raw baseline signs with the same key), transfers only.
struct factory_setup {
  beacon::reference_block_cell head;
  beacon::open_orders orders;
  beacon::id_registry ids;
  bts::crypto::private_key key = bts::crypto::private_key::from_seed("beacon_bench");
  std::unique_ptr<beacon::tx_factory> factory;

  explicit factory_setup(const std::string& name) {
    head.set(beacon::parse_dynamic_global_properties(json::parse(dgp_json)), 0);
    beacon::factory_config config;
    config.beacon_name = name;
    config.parameters = beacon::parse_global_properties(json::parse(gp_json));
    config.chain_id = bts::protocol::chain_id_from_hex(std::string(64, 'a'));
    auto accounts = std::make_shared<std::vector<beacon::account>>();
    for (unsigned i = 0; i < 4; ++i) {
      accounts->push_back({"acct" + std::to_string(i), bts::protocol::account_id_type{100u + i},
                           key, key.get_public_key(), key.get_public_key()});
    }
    config.accounts = accounts;
    factory = std::make_unique<beacon::tx_factory>(std::move(config), head, orders, ids);
  }
};

}  // namespace

int main(int argc, char** argv) {
  long count = 20000;
  long pool = 100000;
  long broadcast_seconds = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--count" && i + 1 < argc) {
      count = parse_positive("--count", argv[++i]);
    } else if (arg == "--pool" && i + 1 < argc) {
      pool = parse_positive("--pool", argv[++i]);
    } else if (arg == "--broadcast-seconds" && i + 1 < argc) {
      broadcast_seconds = parse_positive("--broadcast-seconds", argv[++i]);
    } else {
      usage("unexpected argument '" + arg + "'");
    }
  }

  // --- memory per pre-signed transaction (first, on a fresh heap) ---------------------------
  std::deque<beacon::prepared_tx> held;
  {
    factory_setup setup("memory");
    const long before = resident_bytes();
    // Bounded in time on a slow or shared machine: the pool actually filled is reported.
    const auto fill_deadline = clock_type::now() + std::chrono::seconds(10);
    for (long k = 0; k < pool; ++k) {
      held.push_back(setup.factory->make(static_cast<std::uint64_t>(k), 0));
      if ((k & 1023) == 0 && clock_type::now() > fill_deadline) pool = k + 1;
    }
    const long after = resident_bytes();
    std::printf("beacon.pool_size=%ld\n", pool);
    std::printf("beacon.bytes_per_presigned_tx=%.0f\n",
                static_cast<double>(after - before) / static_cast<double>(pool));
    std::printf("beacon.bytes_per_presigned_tx_limit=1024\n");
  }

  // --- pre-signing vs raw signing -------------------------------------------------------------
  // Interleaved rounds: the factory signs a batch, then raw libsecp256k1 signs the very digests
  // of that batch with the same key and the same nonce/canonical-retry policy. The ratio is
  // taken per round and the median reported, so a noisy neighbour on a shared machine shifts
  // both sides of a round alike and one bad round does not decide.
  factory_setup setup("presign");
  const bts::protocol::chain_id_type chain_id =
      bts::protocol::chain_id_from_hex(std::string(64, 'a'));
  secp256k1_context* ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  std::array<unsigned char, 32> seed{};
  for (auto& b : seed) b = static_cast<unsigned char>(std::random_device{}());
  if (!secp256k1_context_randomize(ctx, seed.data())) usage("secp256k1_context_randomize failed");
  const unsigned char* secret = setup.key.secret().data();

  constexpr int rounds = 9;
  const long batch = std::max(64L, count / rounds);
  std::vector<beacon::prepared_tx> made;  // the last batch, reused by the broadcast part
  std::vector<double> ratios, presign_rates, raw_rates;
  unsigned long nonces = 0, signed_total = 0;
  std::uint64_t k = 0;
  const auto presign_deadline = clock_type::now() + std::chrono::seconds(10);
  for (int round = 0; round < rounds && (round < 3 || clock_type::now() < presign_deadline);
       ++round) {
    made.clear();
    made.reserve(static_cast<std::size_t>(batch));
    auto start = clock_type::now();
    for (long i = 0; i < batch; ++i) made.push_back(setup.factory->make(k++, 0));
    const double presign_seconds = seconds_since(start);

    std::vector<bts::protocol::digest_type> digests;
    digests.reserve(made.size());
    for (const auto& t : made) {
      digests.push_back(
          bts::protocol::transaction_from_json(json::parse(t.json)).sig_digest(chain_id));
    }
    std::vector<std::array<unsigned char, 65>> raw_sigs(digests.size());
    start = clock_type::now();
    for (std::size_t i = 0; i < digests.size(); ++i) {
      secp256k1_ecdsa_recoverable_signature sig;
      unsigned int counter = 0;
      int recid = 0;
      auto& out = raw_sigs[i];
      do {
        if (!secp256k1_ecdsa_sign_recoverable(ctx, &sig, digests[i].data(), secret, fc_nonce,
                                              &counter))
          std::abort();
        secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, out.data() + 1, &recid, &sig);
      } while (!canonical(out.data()));
      out[0] = static_cast<unsigned char>(31 + recid);
      nonces += counter;
    }
    const double raw_seconds = seconds_since(start);
    signed_total += digests.size();
    presign_rates.push_back(static_cast<double>(batch) / presign_seconds);
    raw_rates.push_back(static_cast<double>(batch) / raw_seconds);
    ratios.push_back(raw_seconds / presign_seconds);
  }
  secp256k1_context_destroy(ctx);
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  };
  std::printf("beacon.presign_rounds=%zu\n", ratios.size());
  std::printf("beacon.presign_count=%lu\n", signed_total);
  std::printf("beacon.raw_sign_attempts_per_tx=%.3f\n",
              static_cast<double>(nonces) / static_cast<double>(signed_total));
  std::printf("beacon.presign_per_sec_per_core=%.0f\n", median(presign_rates));
  std::printf("beacon.raw_sign_per_sec=%.0f\n", median(raw_rates));
  std::printf("beacon.presign_ratio_vs_raw=%.3f\n", median(ratios));
  std::printf("beacon.presign_ratio_min=%.3f\n", *std::min_element(ratios.begin(), ratios.end()));
  std::printf("beacon.presign_ratio_max=%.3f\n", *std::max_element(ratios.begin(), ratios.end()));
  std::printf("beacon.presign_ratio_target=0.9\n");
  std::fflush(stdout);

  // --- broadcast from one core to a loopback server that acks without validating ------------
  boost::asio::io_context server_io(1);
  bts::rpc::server_options so;
  so.handler = [](std::shared_ptr<bts::rpc::session>,
                  bts::rpc::rpc_request) -> boost::asio::awaitable<bts::rpc::call_result> {
    co_return bts::rpc::call_result(json::value());
  };
  bts::rpc::server server(server_io.get_executor(), so);
  auto server_work = boost::asio::make_work_guard(server_io);
  std::thread server_thread([&] { server_io.run(); });

  boost::asio::io_context client_io(1);
  bts::rpc::client_options co;
  co.url = "ws://127.0.0.1:" + std::to_string(server.port());
  co.reconnect = false;
  bts::rpc::client client(client_io.get_executor(), co);
  client.start();
  constexpr std::size_t window = 1000;
  std::uint64_t issued = 0, acked = 0, failed = 0;
  const auto deadline = clock_type::now() + std::chrono::seconds(broadcast_seconds);
  bool stopping = false;
  clock_type::time_point broadcast_start{};
  // Runs on the client's strand (the only thread running client_io): keeps `window` in flight.
  std::function<void()> top_up;
  std::string params;  // as the beacon does: one reused buffer around the pre-signed text
  top_up = [&] {
    while (!stopping && issued - acked - failed < window) {
      const auto& t = made[issued % made.size()];
      ++issued;
      params.assign("[").append(t.json).push_back(']');
      client.async_call_raw("network_broadcast", "broadcast_transaction", params,
                            [&](bts::rpc::call_result r) {
                              (r.ok() ? acked : failed) += 1;
                              if (!stopping && clock_type::now() >= deadline) stopping = true;
                              if (!stopping) top_up();
                              if (stopping && issued == acked + failed) client_io.stop();
                            });
    }
  };
  // The first (connect) call is not timed.
  client.async_call("database", "get_chain_id", json::array{}, [&](bts::rpc::call_result) {
    broadcast_start = clock_type::now();
    top_up();
  });
  auto client_work = boost::asio::make_work_guard(client_io);
  client_io.run();
  const double broadcast_seconds_taken = seconds_since(broadcast_start);
  client.close();
  server_work.reset();
  server.stop();
  server_io.stop();
  server_thread.join();
  std::printf("beacon.broadcast_acked=%llu\n", static_cast<unsigned long long>(acked));
  std::printf("beacon.broadcast_failed=%llu\n", static_cast<unsigned long long>(failed));
  std::printf("beacon.broadcast_per_sec=%.0f\n",
              static_cast<double>(acked) / broadcast_seconds_taken);
  std::printf("beacon.broadcast_target_per_sec=20000\n");
  return 0;
}
