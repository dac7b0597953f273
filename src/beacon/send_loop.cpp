#include "beacon/send_loop.hpp"

namespace bts::beacon {

send_loop::send_loop(load::clock& clock, load::sequencer& seq, run_recorder& rec, tx_source source,
                     tx_sender& sender, send_limits limits)
    : clock_(clock),
      seq_(seq),
      rec_(rec),
      source_(std::move(source)),
      sender_(sender),
      limits_(limits) {}

bool send_loop::schedule_done() {
  if (stopped_) return true;
  if (limits_.count != 0 && seq_.granted() >= limits_.count) return true;
  if (limits_.end && seq_.status() != load::sequencer::state::finished &&
      seq_.next_intended() >= *limits_.end) {
    return true;
  }
  return seq_.status() == load::sequencer::state::finished;
}

send_loop::poll_result send_loop::poll() {
  for (;;) {
    if (!held_) {
      if (schedule_done()) {
        stopped_ = true;
        return {wait::done};
      }
      held_ = seq_.try_next();
      held_missed_ = false;
      if (!held_) {
        switch (seq_.status()) {
          case load::sequencer::state::due:
            continue;
          case load::sequencer::state::waiting:
            return {wait::until, seq_.next_intended()};
          case load::sequencer::state::window_full:
            wake_on_answer_ = true;
            if (observer_ != nullptr) observer_->on_window_full();
            return {wait::answer};
          case load::sequencer::state::paused:
            return {wait::until, clock_.now() + std::chrono::milliseconds(10)};
          case load::sequencer::state::finished:
            stopped_ = true;
            return {wait::done};
        }
      }
    }
    std::optional<prepared_tx> tx = source_();
    if (!tx) {
      if (!held_missed_) {
        held_missed_ = true;
        ++pool_misses_;
        rec_.on_pool_miss();
      }
      return {wait::pool};
    }
    const load::sequencer::turn turn = *held_;
    held_.reset();
    const time_point actual = clock_.now();
    rec_.on_sent(*tx, turn.intended, actual);
    ++sent_;
    if (observer_ != nullptr) observer_->on_sent(turn.intended, actual);
    const protocol::transaction_id_type id = tx->id;
    sending_intended_ = turn.intended;
    sender_.send(*tx, [this, id, intended = turn.intended](ack_outcome outcome) {
      rec_.on_ack(id, outcome, clock_.now());
      if (seq_.in_flight() > 0) seq_.release();
      if (observer_ != nullptr) observer_->on_answer(intended, outcome);
      if (wake_on_answer_) {
        wake_on_answer_ = false;
        if (wake_) wake_();
      }
    });
  }
}

}  // namespace bts::beacon
