// What the beacon measures: every transaction's intended and actual send time, its answer and
// its inclusion, folded into per-second rows (stats::second_row) and cumulative histograms.
//
//   run_recorder rec(start_time, fill_gauges, on_row);
//   rec.on_sent(tx, intended, actual);           // the send loop
//   rec.on_ack(id, outcome, at);                 // the broadcast answer
//   rec.on_included(id, block_num, at);          // the inclusion watcher
//   rec.advance(now);                            // closes whole seconds (on a timer)
//   rec.finish(now);                             // closes the last, partial second
//
// Latencies (stats::latency_kind): schedule_lag = actual - intended; ack_* and inclusion_* from
// the intended time (corrected, no coordinated omission) and from the actual time
// (uncorrected). Events count in the second in which they happened; a second is closed by the
// first event or advance() at or after its end, which calls fill_gauges (offered, in flight,
// pool depth, CPU, connectivity deltas) and then on_row.
//
// Threads: not thread-safe; one thread (the beacon's event loop) owns it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "beacon/factory.hpp"
#include "load/clock.hpp"
#include "stats/counters.hpp"
#include "stats/second_series.hpp"

namespace bts::beacon {

// The node's answer to one broadcast.
struct ack_outcome {
  enum class kind { accepted, rejected, unanswered };
  kind type = kind::accepted;
  // Rejected: the reason's key ("fc:10 insufficient_balance", stats::rejection_key).
  // Unanswered: "timeout", "disconnected" or "protocol".
  std::string reason;
  // The node it was sent to: its index in the scenario's nodes (the sender sets it).
  std::uint32_t node = 0;
};

// One node's answers and inclusions (by the node index of ack_outcome).
struct node_tally {
  std::int64_t accepted = 0, rejected = 0, unanswered = 0;
  std::int64_t included = 0;  // of those it answered (any answer but a rejection)
  friend bool operator==(const node_tally&, const node_tally&) = default;
};

// What the recorder keeps of a transaction in flight.
struct sent_record {
  std::uint64_t sequence = 0;
  load::clock::time_point intended, actual;
  std::uint32_t ops = 0;
  std::uint32_t expiration = 0;
  bool answered = false;
  bool included = false;
  std::uint32_t node = 0;                                              // set by the answer
  std::vector<std::pair<std::uint32_t, std::uint32_t>> order_creates;  // see prepared_tx
};

class run_recorder {
 public:
  using time_point = load::clock::time_point;
  // fill_gauges(row, second_end) completes a row before it is published (offered, gauges).
  using gauge_fn = std::function<void(stats::second_row&, time_point second_end)>;
  using row_fn = std::function<void(const stats::second_row&)>;

  run_recorder(time_point start, gauge_fn fill_gauges = {}, row_fn on_row = {});

  time_point start() const { return start_; }

  // Closes every second that ended at or before `now`.
  void advance(time_point now);

  // REQUIRES: tx.id not in flight (the factory guarantees unique ids; a duplicate is a bug and
  // aborts).
  void on_sent(const prepared_tx& tx, time_point intended, time_point actual);
  void on_ack(const protocol::transaction_id_type& id, const ack_outcome& outcome, time_point at);
  // Returns the record when `id` is one of ours seen for the first time (for learning order
  // ids), else nullptr. The pointer is valid until the next call on the recorder.
  const sent_record* on_included(const protocol::transaction_id_type& id, time_point at);

  void on_pool_miss() { ++current_.pool_misses; }
  void on_expired(std::uint64_t n) { current_.expired += static_cast<std::int64_t>(n); }
  void on_disconnects(std::uint64_t n) { current_.disconnects += static_cast<std::int64_t>(n); }
  void on_reconnects(std::uint64_t n) { current_.reconnects += static_cast<std::int64_t>(n); }

  // Closes the current, partial second (if anything happened in it) and stops recording.
  void finish(time_point now);

  const stats::second_series& series() const { return series_; }
  const stats::latency_set& cumulative() const { return cumulative_; }

  // Transactions sent and not yet answered; accepted and not yet seen included.
  std::size_t in_flight() const { return in_flight_; }
  std::size_t awaiting_inclusion() const { return awaiting_inclusion_; }
  // Per node index (ack_outcome::node): answers and inclusions so far.
  const std::vector<node_tally>& per_node() const { return per_node_; }
  // Run totals so far (for the progress line): the closed seconds' counters, plus the open
  // second's sends, answers and inclusions as they happen; gauges of the last closed second.
  const stats::second_row& totals() const { return totals_; }

 private:
  void close_second(time_point end);
  std::int64_t second_of(time_point t) const;

  struct id_hash {
    std::size_t operator()(const protocol::transaction_id_type& id) const;
  };

  time_point start_;
  gauge_fn fill_gauges_;
  row_fn on_row_;
  std::int64_t second_ = 0;  // index of the open second
  bool finished_ = false;
  stats::second_row current_;
  stats::second_row totals_;
  stats::counters closed_;  // every closed second's counters, summed
  stats::latency_set window_;
  stats::latency_set cumulative_;
  stats::second_series series_;
  std::unordered_map<protocol::transaction_id_type, sent_record, id_hash> records_;
  std::size_t in_flight_ = 0;
  std::size_t awaiting_inclusion_ = 0;
  std::vector<node_tally> per_node_;
};

}  // namespace bts::beacon
