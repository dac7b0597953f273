// The beacon_result of a finished run: the recorder's series and histograms, the blocks, and
// info (manifest.json's beacon part) and notes assembled from every part of the run.
//
//   beacon_result r = assemble_result(run_parts{...});
//
// info: beacon, chain_id, node, head_block_at_start, chain_parameters, key_prefix, accounts,
// factory, pool, connections, inclusion_watcher, node_load, head_sampling, per_node (each node
// URL's sent, accepted, rejected, unanswered, included), output, search (a rate search),
// propagation (block_watch all_nodes). node_tx: the same counts for the summary. Notes: the
// search's outcome, propagation, pool misses, unmeasured node CPU, an incomplete pre-fill, expired
// transactions, output waits, blocks that could not be fetched.
//
// Threads: once the run's threads have stopped.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "beacon/beacon.hpp"
#include "beacon/broadcaster.hpp"
#include "beacon/factory.hpp"
#include "beacon/head_sampling.hpp"
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
  const head_sampling& heads;
  const output_queue& output;
  const rate_searcher* search = nullptr;  // a rate search
  load::clock::time_point schedule_end{}, started_at{}, ended_at{};
  bool interrupted = false;
  const boost::json::object& propagation;  // empty: not watched
};

beacon_result assemble_result(const run_parts& p);

// Each node URL's transactions: sent (the broadcaster's count), accepted and included (the
// recorder's, by the node that answered).
std::map<std::string, stats::node_tx_counts> node_tx_of(
    const std::vector<scenarios::node_endpoint>& nodes, const broadcaster& connections,
    const run_recorder& rec);
// The end-of-run note event's data: {"per_node": [{url, sent, accepted, included}]}, which the
// overseer sums over a fleet's beacons (store::node_tx_of).
boost::json::object per_node_note(const std::map<std::string, stats::node_tx_counts>& node_tx);

}  // namespace bts::beacon
