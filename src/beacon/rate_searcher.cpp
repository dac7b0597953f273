#include "beacon/rate_searcher.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "beacon/number_text.hpp"
#include "stats/rejection.hpp"

namespace bts::beacon {

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

double us_of(load::duration d) {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

json::value rate_json(std::optional<double> r) {
  return r ? json::value(*r) : json::value("unlimited");
}

}  // namespace

rate_searcher::rate_searcher(const scenarios::rate_search& search,
                             const scenarios::search_thresholds& limits, std::size_t max_in_flight,
                             load::duration settle, load::clock& clock, load::sequencer& seq,
                             hooks h)
    : search_(search),
      limits_(limits),
      max_in_flight_(max_in_flight),
      settle_(settle),
      clock_(clock),
      seq_(seq),
      hooks_(std::move(h)) {}

load::duration rate_searcher::default_settle(const scenarios::rate_search& search,
                                             std::uint32_t block_interval_seconds) {
  if (search.settle > load::duration::zero()) return search.settle;
  return std::max<load::duration>(
      1s, std::chrono::seconds(3 * std::max<std::uint32_t>(1, block_interval_seconds)));
}

void rate_searcher::start(time_point now, double rate, send_loop& loop) {
  loop_ = &loop;
  loop.set_observer(this);
  searching_ = true;
  steps_.emplace_back();
  steps_.back().rate = rate;
  steps_.back().begin = now;
  next_due_ = now + search_.step_duration;
}

std::size_t rate_searcher::step_of(time_point intended) const {
  for (std::size_t i = steps_.size(); i-- > 0;) {
    if (steps_[i].begin <= intended) return intended < steps_[i].end ? i : no_step;
  }
  return steps_.empty() ? no_step : 0;  // due before the first step began: the first's
}

void rate_searcher::on_sent(time_point intended, time_point actual) {
  const std::size_t i = step_of(intended);
  if (i == no_step) return;
  step_tally& t = steps_[i];
  ++t.sent;
  t.lag.record(std::chrono::duration_cast<std::chrono::microseconds>(actual - intended).count());
}

void rate_searcher::on_answer(time_point intended, const ack_outcome& outcome) {
  const std::size_t i = step_of(intended);
  if (i == no_step) return;
  step_tally& t = steps_[i];
  if (outcome.type == ack_outcome::kind::accepted) {
    ++t.accepted;
  } else if (outcome.type == ack_outcome::kind::rejected) {
    ++t.rejected;
    stats::add_rejection(t.rejected_by_reason, outcome.reason, 1);
    if (stats::side_of(outcome.reason) == stats::rejection_side::beacon) ++t.beacon_side_errors;
  } else {
    ++t.unanswered;
  }
}

void rate_searcher::on_window_full() {
  if (!steps_.empty()) ++steps_.back().window_full;
}

void rate_searcher::on_included(time_point intended, time_point at) {
  if (steps_.empty()) return;
  const std::size_t i = step_of(intended);
  if (i == no_step) return;
  ++steps_[i].included;
  steps_[i].inclusion.record(
      std::chrono::duration_cast<std::chrono::microseconds>(at - intended).count());
}

// The boundary is the moment the change takes effect (now), so every send is tallied to the
// step whose rate it was paced at.
void rate_searcher::on_step_due(time_point due) {
  if (!searching_) return;
  const auto at = std::max(due, clock_.now());
  step_tally& last = steps_.back();
  last.end = at;
  last.pool_misses = loop_->pool_misses() - last.pool_misses_at_begin;
  if (last.rate >= search_.max) {  // judged in judge(); held or fallen back then
    next_due_.reset();
    return;
  }
  const double from = last.rate;  // `last` dangles once the next step is added
  const double next = std::min(search_.max, from + search_.step);
  seq_.change_rate(next);
  if (hooks_.rate_changed) hooks_.rate_changed(next);
  step_tally t;
  t.rate = next;
  t.begin = at;
  t.pool_misses_at_begin = loop_->pool_misses();
  steps_.push_back(std::move(t));
  if (hooks_.emit) {
    hooks_.emit(store::event_kind::rate_change,
                {{"from", from}, {"to", next}, {"step", steps_.size()}}, at);
  }
  next_due_ = due + search_.step_duration;
}

void rate_searcher::judge(time_point now) {
  if (!searching_) return;
  for (std::size_t i = 0; i < steps_.size() && searching_; ++i) {
    step_tally& t = steps_[i];
    if (t.judged) continue;
    if (t.end == time_point::max() || now < t.end + settle_) return;
    judge_step(t);
    if (!t.good) {
      break_at(i, now);
      return;
    }
    last_good_ = t.rate;
    if (t.rate >= search_.max) {
      end_search(now, t.rate, "reached max without crossing a threshold");
      return;
    }
  }
}

void rate_searcher::break_at(std::size_t i, time_point now) {
  step_tally& t = steps_[i];
  if (t.invalid) {
    invalid_ = true;
    t.reason = "not valid: " + t.reason + " at step " + std::to_string(i + 1) + ", " +
               grouped(t.rate) + " tx/s; no node limit was found";
  }
  json::object data{{"rate", t.rate},
                    {"reason", t.reason},
                    {"step", i + 1},
                    {"beacon_bottleneck", beacon_side_},
                    {"valid", !t.invalid},
                    {"side", t.invalid || beacon_side_ ? "beacon" : "network"},
                    {"sustained_rate",
                     last_good_ && !t.invalid ? json::value(*last_good_) : json::value(nullptr)}};
  if (t.invalid) data["invalid_reason"] = t.reason;
  step_figures(t, data);
  break_ = data;
  if (hooks_.emit) hooks_.emit(store::event_kind::break_point, std::move(data), now);
  // Not valid: holding a rate the beacons cannot pay for (or sign) would measure nothing.
  if (t.invalid) {
    end_search(now, std::nullopt, "not valid at step " + std::to_string(i + 1));
  } else {
    end_search(now, last_good_, "break point at step " + std::to_string(i + 1));
  }
}

std::string rate_searcher::beacon_side_reason(const step_tally& t) {
  // The most frequent beacon-side reason names what went wrong.
  std::string top;
  std::int64_t top_n = 0;
  for (const auto& [key, n] : t.rejected_by_reason) {
    if (stats::side_of(key) == stats::rejection_side::beacon && n > top_n) {
      top = key;
      top_n = n;
    }
  }
  const std::string_view kind = stats::split_rejection(top).kind;
  const auto has = [&](std::string_view w) { return kind.find(w) != std::string_view::npos; };
  std::string what = "the beacons' own transactions were refused";
  if (has("insufficient_balance") || has("get_balance"))
    what = "the beacons' accounts ran out of funds";
  else if (has("expiration"))
    what = "the beacons' pre-signed transactions expired or were set to expire out of range";
  else if (has("duplicate"))
    what = "the beacons sent duplicate transactions or signatures";
  else if (has("fee"))
    what = "the beacons' fees were refused";
  else if (has("ref_block") || has("tapos"))
    what = "the beacons' TaPoS reference blocks were refused";
  else if (has("auth") || has("sig") || has("missing"))
    what = "the beacons' signatures or authorities were refused";
  return what + " (" + top + ": " + grouped(static_cast<double>(top_n)) + " of " +
         grouped(static_cast<double>(t.rejected)) + " rejections)";
}

void rate_searcher::step_figures(const step_tally& t, json::object& o) const {
  const double sent = static_cast<double>(t.sent);
  o["sent"] = t.sent;
  o["accepted"] = t.accepted;
  o["rejected"] = t.rejected;
  o["unanswered"] = t.unanswered;
  o["included"] = t.included;
  o["pool_misses"] = t.pool_misses;
  o["inclusion_ratio"] = sent > 0 ? std::round(t.included / sent * 10000) / 10000 : 0.0;
  o["error_rate"] = sent > 0 ? std::round((t.rejected + t.unanswered) / sent * 10000) / 10000 : 0.0;
  o["inclusion_p99_us"] =
      t.inclusion.empty() ? json::value(nullptr) : json::value(t.inclusion.percentile(99));
  o["schedule_lag_p99_us"] = t.lag.percentile(99);
}

// The thresholds in order: pool misses, schedule lag (both may be the beacon's own limit),
// error rate, inclusion ratio, inclusion p99. The first crossed is the reason.
void rate_searcher::judge_step(step_tally& t) {
  t.judged = true;
  const std::string at = " at " + grouped(t.rate) + " tx/s";
  const double sent = static_cast<double>(t.sent);
  beacon_side_ = false;
  if (t.sent == 0) {
    t.reason = "nothing was sent" + at;
    beacon_side_ = true;
    return;
  }
  const double misses = static_cast<double>(t.pool_misses) / sent;
  const double lag = static_cast<double>(t.lag.percentile(99));
  const double errors = static_cast<double>(t.rejected + t.unanswered) / sent;
  const double included = static_cast<double>(t.included) / sent;
  const double p99 = static_cast<double>(t.inclusion.percentile(99));
  if (misses > limits_.max_pool_miss_ratio) {
    beacon_side_ = true;
    t.reason = "beacon bottleneck: " + grouped(static_cast<double>(t.pool_misses)) +
               " sends found no pre-signed transaction" + at +
               " (the signers could not keep up; the node's limit was not reached)";
  } else if (lag > us_of(limits_.max_p99_schedule_lag)) {
    t.reason = lag_reason(t, lag, at);
  } else if (errors > limits_.max_error_rate &&
             2 * t.beacon_side_errors > t.rejected + t.unanswered) {
    beacon_side_ = true;
    t.invalid = true;
    t.reason = beacon_side_reason(t);
  } else if (errors > limits_.max_error_rate) {
    t.reason = "error rate " + percent_text(errors) + " above " +
               percent_text(limits_.max_error_rate) + at + " (" + grouped(t.rejected) +
               " rejected, " + grouped(t.unanswered) + " unanswered of " + grouped(sent) + ")";
  } else if (included < limits_.min_inclusion_ratio) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "inclusion ratio %.3f below %.3g", included,
                  limits_.min_inclusion_ratio);
    t.reason = buf + at + " (" + grouped(t.included) + " of " + grouped(sent) +
               " included within " + seconds_text(us_of(settle_)) + " after the step)";
  } else if (p99 > us_of(limits_.max_p99_inclusion)) {
    t.reason = "inclusion p99 " + seconds_text(p99) + " above " +
               seconds_text(us_of(limits_.max_p99_inclusion)) + at;
  } else {
    t.good = true;
  }
}

// Lag with a window that never filled is the send thread's own; with a full window, the node's.
std::string rate_searcher::lag_reason(const step_tally& t, double lag_us, const std::string& at) {
  beacon_side_ = t.window_full == 0;
  return "schedule lag p99 " + seconds_text(lag_us) + " above " +
         seconds_text(us_of(limits_.max_p99_schedule_lag)) + at +
         (beacon_side_
              ? " (beacon bottleneck: the send thread could not keep up)"
              : " (the in-flight window of " + grouped(static_cast<double>(max_in_flight_)) +
                    " stayed full: the node answered too slowly)");
}

void rate_searcher::close_search(time_point now, std::string why) {
  searching_ = false;
  next_due_.reset();
  ended_ = std::move(why);
  if (!steps_.empty() && steps_.back().end == time_point::max()) {
    steps_.back().end = now;  // later sends belong to no step
    steps_.back().pool_misses = loop_->pool_misses() - steps_.back().pool_misses_at_begin;
  }
}

void rate_searcher::end_search(time_point now, std::optional<double> hold_rate, std::string why) {
  close_search(now, std::move(why));
  if (!hold_rate) {
    loop_->stop();
    if (hooks_.schedule_ended) hooks_.schedule_ended();
    return;
  }
  const double current = steps_.back().rate;  // the sequencer's rate while searching
  if (current != *hold_rate) {
    if (hooks_.emit) {
      hooks_.emit(store::event_kind::rate_change,
                  {{"from", rate_json(current)}, {"to", *hold_rate}, {"hold", true}}, now);
    }
    seq_.change_rate(*hold_rate);
    if (hooks_.rate_changed) hooks_.rate_changed(*hold_rate);
  }
  hold_from_ = now;
  const auto until = now + search_.hold;
  loop_->set_end(loop_->end() ? std::min(*loop_->end(), until) : until);
}

void rate_searcher::on_rate_command(time_point now) {
  if (searching_) close_search(now, "ended by a rate change command");
}

void rate_searcher::on_drain(bool interrupted) {
  if (!searching_) return;
  searching_ = false;
  next_due_.reset();
  if (ended_.empty()) {
    ended_ = interrupted ? "stopped during step " + std::to_string(steps_.size())
                         : "the run ended during step " + std::to_string(steps_.size());
  }
}

json::object rate_searcher::result_json(time_point schedule_end, time_point ended_at) const {
  json::object o;
  o["profile"] = scenarios::describe(search_);
  o["settle_seconds"] = std::chrono::duration<double>(settle_).count();
  // Not valid: the highest good rate was no node limit either (the beacons' setup may have
  // limited it), so none is reported.
  o["sustained_rate"] = last_good_ && !invalid_ ? json::value(*last_good_) : nullptr;
  o["break_point"] = break_.empty() ? json::value(nullptr) : json::value(break_);
  o["valid"] = !invalid_;
  if (invalid_) {
    o["invalid_reason"] = break_.at("reason");
    o["side"] = "beacon";
  }
  o["ended"] = ended_.empty() ? std::string("the run ended during the search") : ended_;
  if (hold_from_ != time_point{}) {
    // From the fall back (or max) to the end of the schedule, not of the drain.
    const auto end = std::min(schedule_end, ended_at);
    o["hold_seconds"] =
        std::round(std::chrono::duration<double>(end - hold_from_).count() * 1000) / 1000;
  }
  json::array steps;
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    const step_tally& t = steps_[i];
    json::object s{{"step", i + 1}, {"rate", t.rate}};
    s["verdict"] = !t.judged ? "not judged" : t.good ? "good" : t.invalid ? "not valid" : "broke";
    if (!t.reason.empty()) s["reason"] = t.reason;
    step_figures(t, s);
    if (t.rejected > 0) {
      json::object by;
      for (const auto& [key, n] : t.rejected_by_reason) by[key] = n;
      s["rejected_by_reason"] = std::move(by);
      s["rejected_by_side"] = stats::sides_json(t.rejected_by_reason);
    }
    steps.push_back(std::move(s));
  }
  o["steps"] = std::move(steps);
  return o;
}

std::string rate_searcher::note() const {
  std::string note = "rate search: ";
  if (invalid_) return note + std::string(break_.at("reason").as_string());
  if (last_good_)
    note += "sustained " + grouped(*last_good_) + " tx/s";
  else
    note += "no step was sustained";
  if (!break_.empty()) {
    note += "; broke at step " + std::to_string(break_.at("step").to_number<std::int64_t>()) +
            ": " + std::string(break_.at("reason").as_string());
  } else {
    note += " (" + (ended_.empty() ? std::string("the run ended during the search") : ended_) + ")";
  }
  return note;
}

}  // namespace bts::beacon
