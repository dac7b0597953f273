// The blocks a run recorded, read from run_record::blocks when the store provides it.
//
// Block records (store::block_record, blocks.jsonl) are newer than the report; this adapter
// compiles against a run_record with or without them, so a build without block support reports
// "no block data recorded" instead of failing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/run_record.hpp"

namespace bts::report::detail {

struct block_view {
  std::int64_t block_num = 0;
  std::int64_t time_ms = 0;  // block timestamp, unix ms
  std::string witness;
  std::int64_t transactions = 0;  // every transaction in the block
  std::int64_t operations = 0;
  std::int64_t bytes = 0;             // serialized block size
  std::int64_t run_transactions = 0;  // the run's own transactions in it
  std::int64_t max_block_size = 0;    // maximum_block_size in force (0: unknown)
};

template <class Run>
std::vector<block_view> blocks_of(const Run& run) {
  std::vector<block_view> out;
  if constexpr (requires { run.blocks; }) {
    out.reserve(run.blocks.size());
    for (const auto& b : run.blocks) {
      out.push_back({b.block_num, b.time_ms, b.witness, b.transactions, b.operations, b.bytes,
                     b.run_transactions, b.max_block_size});
    }
  }
  return out;
}

}  // namespace bts::report::detail
