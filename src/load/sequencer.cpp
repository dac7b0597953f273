#include "load/sequencer.hpp"

#include <algorithm>
#include <cassert>
#include <stdexcept>

namespace bts::load {
namespace {

void check_window(const rate_profile& p, const sequencer_options& o) {
  if (p.is_unlimited() && o.max_in_flight == 0) {
    throw std::invalid_argument("an unlimited profile needs max_in_flight > 0");
  }
}

}  // namespace

sequencer::sequencer(clock& c, rate_profile profile, options o) : clock_(c), options_(o) {
  check_window(profile, o);
  segments_.push_back({time_point{}, 0.0, std::move(profile)});
}

void sequencer::start() { start(clock_.now()); }

void sequencer::start(time_point at) {
  assert(!started_);
  segments_.front().start = at;
  started_ = true;
}

std::optional<clock::time_point> sequencer::intended_time(std::uint64_t k, std::size_t& hint) const {
  const auto kd = static_cast<double>(k);
  while (hint + 1 < segments_.size() && kd >= segments_[hint + 1].first_count) ++hint;
  const segment& s = segments_[hint];
  if (s.profile.is_unlimited()) return s.start;  // only old unlimited spans get here
  const auto d = s.profile.time_of(std::max(0.0, kd - s.first_count));
  if (!d) return std::nullopt;
  return s.start + *d;
}

double sequencer::count_at(time_point t) const {
  const segment& s = segments_.back();
  if (s.profile.is_unlimited()) return static_cast<double>(next_index_);
  return s.first_count + s.profile.count_at(std::max(duration::zero(), t - s.start));
}

std::optional<sequencer::turn> sequencer::try_next() {
  assert(started_);
  if (options_.max_in_flight != 0 && in_flight_ >= options_.max_in_flight) return std::nullopt;
  const time_point now = clock_.now();
  const segment& last = segments_.back();
  time_point intended = now;
  if (!(last.profile.is_unlimited() && static_cast<double>(next_index_) >= last.first_count)) {
    if (!next_cache_) next_cache_ = intended_time(next_index_, next_hint_);
    if (!*next_cache_ || **next_cache_ > now) return std::nullopt;
    intended = **next_cache_;
  }
  next_cache_.reset();
  ++in_flight_;
  return turn{next_index_++, intended, now};
}

sequencer::state sequencer::status() {
  assert(started_);
  const bool full = options_.max_in_flight != 0 && in_flight_ >= options_.max_in_flight;
  const segment& last = segments_.back();
  if (last.profile.is_unlimited() && static_cast<double>(next_index_) >= last.first_count) {
    return full ? state::window_full : state::due;
  }
  if (!next_cache_) next_cache_ = intended_time(next_index_, next_hint_);
  if (!*next_cache_) return last.profile.length() ? state::finished : state::paused;
  if (**next_cache_ > clock_.now()) return state::waiting;
  return full ? state::window_full : state::due;
}

clock::time_point sequencer::next_intended() {
  assert(started_);
  const segment& last = segments_.back();
  if (last.profile.is_unlimited() && static_cast<double>(next_index_) >= last.first_count) {
    return clock_.now();
  }
  if (!next_cache_) next_cache_ = intended_time(next_index_, next_hint_);
  return *next_cache_ ? **next_cache_ : time_point::max();
}

void sequencer::release(std::size_t n) {
  assert(n <= in_flight_);
  in_flight_ -= std::min(n, in_flight_);
}

void sequencer::change_profile(rate_profile p) {
  check_window(p, options_);
  if (!started_) {
    segments_.back().profile = std::move(p);
    return;
  }
  const time_point now = clock_.now();
  const segment& last = segments_.back();
  // Continue the count where the schedule stands now, so the new profile picks up the fraction
  // of a send already accumulated (no burst, no gap). Around unlimited spans the count is
  // simply what has been granted.
  double count = static_cast<double>(next_index_);
  if (!last.profile.is_unlimited() && !p.is_unlimited()) count = count_at(now);
  count = std::max(count, last.first_count);  // segments never start below their predecessor
  segments_.push_back({std::max(now, last.start), count, std::move(p)});
  next_cache_.reset();
}

void sequencer::change_rate(double tx_per_s) { change_profile(rate_profile::constant(tx_per_s)); }

std::uint64_t sequencer::offered_by(time_point t) {
  assert(started_);
  for (;;) {
    const segment& last = segments_.back();
    if (last.profile.is_unlimited() && static_cast<double>(offered_index_) >= last.first_count) {
      offered_index_ = std::max(offered_index_, next_index_);
      break;
    }
    const auto when = intended_time(offered_index_, offered_hint_);
    if (!when || *when > t) break;
    ++offered_index_;
  }
  return offered_index_;
}

}  // namespace bts::load
