#include "beacon/recorder.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "stats/rejection.hpp"

namespace bts::beacon {

namespace {

std::int64_t micros(load::clock::duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

}  // namespace

std::size_t run_recorder::id_hash::operator()(const protocol::transaction_id_type& id) const {
  std::size_t h;
  std::memcpy(&h, id.data(), sizeof h);
  return h;
}

run_recorder::run_recorder(time_point start, gauge_fn fill_gauges, row_fn on_row)
    : start_(start), fill_gauges_(std::move(fill_gauges)), on_row_(std::move(on_row)) {
  current_.second = 0;
}

std::int64_t run_recorder::second_of(time_point t) const {
  if (t < start_) return 0;
  return std::chrono::duration_cast<std::chrono::seconds>(t - start_).count();
}

void run_recorder::advance(time_point now) {
  if (finished_) return;
  while (second_of(now) > second_) close_second(start_ + std::chrono::seconds(second_ + 1));
}

void run_recorder::close_second(time_point end) {
  current_.second = second_;
  current_.in_flight = static_cast<std::int64_t>(in_flight_);
  if (fill_gauges_) fill_gauges_(current_, end);
  current_.set_latency(window_);
  // totals_ already holds the live counts (sent, answers, inclusions); the closed seconds' sum
  // brings in the rest (offered, pool misses, expiries, connectivity).
  closed_.add(current_);
  static_cast<stats::counters&>(totals_) = closed_;
  for (const auto& g : stats::count_gauge_fields) totals_.*(g.member) = current_.*(g.member);
  series_.insert(current_);
  if (on_row_) on_row_(series_.rows().back());
  window_.reset();
  current_ = stats::second_row{};
  ++second_;
}

void run_recorder::on_sent(const prepared_tx& tx, time_point intended, time_point actual) {
  advance(actual);
  sent_record r;
  r.sequence = tx.sequence;
  r.intended = intended;
  r.actual = actual;
  r.ops = tx.ops;
  r.expiration = tx.expiration;
  r.order_creates = tx.order_creates;
  if (!records_.emplace(tx.id, std::move(r)).second) {
    std::fprintf(stderr, "beacon: BUG: transaction id sent twice (sequence %llu)\n",
                 static_cast<unsigned long long>(tx.sequence));
    std::abort();
  }
  ++in_flight_;
  for (auto* row : {&current_, &totals_}) {
    ++row->sent;
    row->ops_sent += tx.ops;
    row->bytes_sent += tx.bytes;
  }
  const auto lag = micros(actual - intended);
  window_[stats::latency_kind::schedule_lag].record(lag);
  cumulative_[stats::latency_kind::schedule_lag].record(lag);
}

void run_recorder::on_ack(const protocol::transaction_id_type& id, const ack_outcome& outcome,
                          time_point at) {
  advance(at);
  const auto it = records_.find(id);
  if (it == records_.end() || it->second.answered) return;
  sent_record& r = it->second;
  r.answered = true;
  r.node = outcome.node;
  --in_flight_;
  if (per_node_.size() <= outcome.node) per_node_.resize(outcome.node + 1);
  node_tally& tally = per_node_[outcome.node];
  if (r.included && outcome.type != ack_outcome::kind::rejected) ++tally.included;
  switch (outcome.type) {
    case ack_outcome::kind::accepted: {
      ++tally.accepted;
      for (auto* row : {&current_, &totals_}) ++row->accepted;
      const auto corrected = micros(at - r.intended), uncorrected = micros(at - r.actual);
      for (auto* set : {&window_, &cumulative_}) {
        (*set)[stats::latency_kind::ack_corrected].record(corrected);
        (*set)[stats::latency_kind::ack_uncorrected].record(uncorrected);
      }
      if (!r.included) ++awaiting_inclusion_;
      break;
    }
    case ack_outcome::kind::rejected:
      ++tally.rejected;
      for (auto* row : {&current_, &totals_}) {
        ++row->rejected;
        stats::add_rejection(row->rejected_by_reason, outcome.reason, 1);
      }
      break;
    case ack_outcome::kind::unanswered:
      // Not an answer: the transaction stays "sent", and counts as unanswered in the summary.
      ++tally.unanswered;
      if (outcome.reason == "timeout") {
        for (auto* row : {&current_, &totals_}) ++row->timeouts;
      }
      break;
  }
  if (r.included || outcome.type == ack_outcome::kind::rejected) records_.erase(it);
}

const sent_record* run_recorder::on_included(const protocol::transaction_id_type& id,
                                             time_point at) {
  advance(at);
  const auto it = records_.find(id);
  if (it == records_.end() || it->second.included) return nullptr;
  sent_record& r = it->second;
  r.included = true;
  for (auto* row : {&current_, &totals_}) {
    ++row->included;
    row->ops_included += r.ops;
  }
  const auto corrected = micros(at - r.intended), uncorrected = micros(at - r.actual);
  for (auto* set : {&window_, &cumulative_}) {
    (*set)[stats::latency_kind::inclusion_corrected].record(corrected);
    (*set)[stats::latency_kind::inclusion_uncorrected].record(uncorrected);
  }
  if (r.answered) {
    if (r.node < per_node_.size()) ++per_node_[r.node].included;
    if (awaiting_inclusion_ > 0) --awaiting_inclusion_;
    // Keep the record until the next call: the caller reads order_creates through the pointer.
    static thread_local sent_record last;
    last = std::move(r);
    records_.erase(it);
    return &last;
  }
  return &r;
}

void run_recorder::finish(time_point now) {
  if (finished_) return;
  advance(now);
  const bool anything = current_.sent || current_.accepted || current_.rejected ||
                        current_.included || current_.offered || current_.pool_misses ||
                        current_.expired;
  if (anything || series_.empty()) close_second(now);
  finished_ = true;
}

}  // namespace bts::beacon
