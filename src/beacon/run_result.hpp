// The beacon_result of a finished run: the recorder's series and histograms, the blocks, and
// info (manifest.json's beacon part) and notes assembled from every part of the run.
//
//   beacon_result r = assemble_result(run_parts{...});
//
// info: beacon, chain_id, node, head_block_at_start, chain_parameters, key_prefix, accounts,
// factory, pool, connections, inclusion_watcher, node_load, output, search (a rate search),
// propagation (block_watch all_nodes). Notes: the search's outcome, propagation, pool misses,
// unmeasured node CPU, an incomplete pre-fill, expired transactions, output waits, blocks that
// could not be fetched.
//
// Threads: once the run's threads have stopped.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>

#include "beacon/beacon.hpp"
#include "beacon/broadcaster.hpp"
#include "beacon/factory.hpp"
#include "beacon/inclusion_tracker.hpp"
#include "beacon/node_load_sampling.hpp"
#include "beacon/output_queue.hpp"
#include "beacon/presign_pool.hpp"
#include "beacon/rate_searcher.hpp"
#include "beacon/recorder.hpp"
#include "beacon/run_setup.hpp"

namespace bts::beacon {

// How the signers' pre-fill went before the schedule started.
struct prefill_report {
  bool filled = false;
  double seconds = 0;
  std::size_t depth = 0;
};

// Everything a finished run's result is read from.
struct run_parts {
  const beacon_options& options;
  const run_setup& setup;
  const run_recorder& rec;
  const tx_factory& factory;
  const id_registry& ids;
  const presign_options& pool_options;
  const presign_pool& pool;
  std::uint64_t pool_misses = 0;
  prefill_report prefill;
  const broadcaster& connections;
  const inclusion_tracker& inclusion;
  const node_load_sampling& node_load;
  const output_queue& output;
  const rate_searcher* search = nullptr;  // a rate search
  load::clock::time_point schedule_end{}, started_at{}, ended_at{};
  bool interrupted = false;
  const boost::json::object& propagation;  // empty: not watched
};

beacon_result assemble_result(const run_parts& p);

}  // namespace bts::beacon
