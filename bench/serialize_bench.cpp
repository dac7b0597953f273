// Serialization throughput of bts_protocol on one core, against limits measured in the same run.
//
//   serialize.transfer_per_sec    pack the unsigned bytes of a one-transfer signed_transaction
//                                 into a reused buffer (the signing hot path; target >= 2M/s)
//   serialize.memcpy_per_sec      copying those bytes into a reused buffer: the floor any
//                                 serializer pays -> serialize.ratio_vs_memcpy
//   serialize.json_parse_per_sec  JSON text -> signed_transaction (boost::json parse + from_json)
//   serialize.from_json_per_sec   parsed JSON value -> signed_transaction
//   serialize.to_json_per_sec     signed_transaction -> JSON text
//   serialize.decode_per_sec      signed bytes -> signed_transaction
//   txid.per_sec                  tx.id() (pack + sha256) -> txid.ratio_vs_sha256, the hash alone
//
// Output: key=value lines (bench/run.sh collects them). Never gates anything on absolute time.
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "crypto/hash.hpp"
#include "protocol/transaction.hpp"

namespace {

using bts::protocol::signed_transaction;
using clock_type = std::chrono::steady_clock;

// Defeats dead-code elimination without a measurable cost.
volatile std::uint64_t sink = 0;

// Runs `body` in batches until `seconds` have passed; returns calls per second.
template <class Body>
double per_second(double seconds, Body&& body) {
  constexpr int batch = 1000;
  std::uint64_t calls = 0;
  const auto start = clock_type::now();
  const auto until = start + std::chrono::duration<double>(seconds);
  auto now = start;
  do {
    for (int i = 0; i < batch; ++i) body();
    calls += batch;
    now = clock_type::now();
  } while (now < until);
  return static_cast<double>(calls) / std::chrono::duration<double>(now - start).count();
}

constexpr const char* transfer_json = R"({
  "ref_block_num": 11030, "ref_block_prefix": 1524792027, "expiration": "2018-12-12T10:44:45",
  "operations": [[0, {"fee": {"amount": 86869, "asset_id": "1.3.0"}, "from": "1.2.100",
    "to": "1.2.101", "amount": {"amount": 123456, "asset_id": "1.3.0"}, "extensions": []}]],
  "extensions": []})";

void print(const char* key, double value) { std::printf("%s=%.1f\n", key, value); }
void print_ratio(const char* key, double a, double b) { std::printf("%s=%.3f\n", key, a / b); }

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;

  const boost::json::value json = boost::json::parse(transfer_json);
  signed_transaction tx = bts::protocol::transaction_from_json(json);
  tx.sign(bts::crypto::private_key::from_seed("nathan"),
          bts::protocol::chain_id_from_hex(
              "4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8"));
  const std::vector<std::uint8_t> packed = tx.pack_unsigned();
  const std::vector<std::uint8_t> signed_bytes = tx.pack();

  std::vector<std::uint8_t> buffer;
  buffer.reserve(1024);
  const double pack_rate = per_second(seconds, [&] {
    buffer.clear();
    tx.pack_unsigned(buffer);
    sink = sink + buffer.size();
  });
  const double copy_rate = per_second(seconds, [&] {
    buffer.clear();
    buffer.insert(buffer.end(), packed.begin(), packed.end());
    sink = sink + buffer.size();
  });
  print("serialize.transfer_per_sec", pack_rate);
  print("serialize.transfer_bytes", static_cast<double>(packed.size()));
  print("serialize.memcpy_per_sec", copy_rate);
  print_ratio("serialize.ratio_vs_memcpy", pack_rate, copy_rate);

  print("serialize.json_parse_per_sec", per_second(seconds, [&] {
          const signed_transaction t =
              bts::protocol::transaction_from_json(boost::json::parse(transfer_json));
          sink = sink + t.ref_block_num;
        }));
  print("serialize.from_json_per_sec", per_second(seconds, [&] {
          const signed_transaction t = bts::protocol::transaction_from_json(json);
          sink = sink + t.ref_block_num;
        }));
  print("serialize.to_json_per_sec", per_second(seconds, [&] {
          sink = sink + boost::json::serialize(bts::protocol::transaction_to_json(tx)).size();
        }));
  print("serialize.decode_per_sec", per_second(seconds, [&] {
          const signed_transaction t = bts::protocol::unpack_transaction(signed_bytes);
          sink = sink + t.signatures.size();
        }));

  const double id_rate = per_second(seconds, [&] { sink = sink + tx.id()[0]; });
  const double sha_rate = per_second(seconds, [&] { sink = sink + bts::crypto::sha256(packed)[0]; });
  print("txid.per_sec", id_rate);
  print("txid.sha256_per_sec", sha_rate);
  print_ratio("txid.ratio_vs_sha256", id_rate, sha_rate);
  return 0;
}
