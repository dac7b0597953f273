#include "stats/run_summary.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "stats/json_io.hpp"
#include "stats/rejection.hpp"

namespace bts::stats {
namespace {

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string ms(std::int64_t us) { return fixed(static_cast<double>(us) / 1000.0, 1) + " ms"; }

std::string percent(double v) { return fixed(v, 1) + "%"; }

std::optional<double> peak(const second_series& s, std::optional<double> second_row::*member) {
  std::optional<double> p;
  for (const auto& r : s.rows()) {
    if (r.*member && (!p || *(r.*member) > *p)) p = r.*member;
  }
  return p;
}

double rate(std::int64_t n, double seconds) {
  return seconds > 0 ? static_cast<double>(n) / seconds : 0.0;
}

boost::json::value optional_value(const std::optional<double>& v, int decimals) {
  if (!v) return nullptr;
  return json::rounded(*v, decimals);
}

void check_schedule_lag(const second_series& merged, const latency_set& cumulative,
                        const validity_thresholds& t, run_summary& s) {
  const std::int64_t p99 = cumulative[latency_kind::schedule_lag].percentile(99);
  if (p99 <= t.max_lag_p99_us) return;
  std::string evidence = "the beacons fell behind their schedule: schedule lag p99 was " + ms(p99) +
                         " (limit " + ms(t.max_lag_p99_us) + ")";
  const second_row* worst = nullptr;
  std::int64_t late_seconds = 0;
  for (const auto& r : merged.rows()) {
    const std::int64_t v = r[latency_kind::schedule_lag].p99;
    if (v > t.max_lag_p99_us) ++late_seconds;
    if (worst == nullptr || v > (*worst)[latency_kind::schedule_lag].p99) worst = &r;
  }
  if (worst != nullptr) {
    evidence += "; " + std::to_string(late_seconds) + " of " + std::to_string(merged.rows().size()) +
                " seconds over the limit, worst second " + std::to_string(worst->second) +
                " with p99 " + ms((*worst)[latency_kind::schedule_lag].p99) + " and max " +
                ms((*worst)[latency_kind::schedule_lag].max);
  }
  s.invalid_reasons.push_back(std::move(evidence));
}

void check_achieved_rate(const validity_thresholds& t, run_summary& s) {
  if (!s.achieved_ratio || *s.achieved_ratio >= t.min_achieved_ratio) return;
  std::string evidence = "sent " + std::to_string(s.sent) + " of " + std::to_string(s.offered) +
                         " offered transactions (" + percent(*s.achieved_ratio * 100) +
                         ", limit " + percent(t.min_achieved_ratio * 100) + ")";
  if (!s.peak_node_cpu_percent) {
    s.invalid_reasons.push_back(evidence +
                                " and node CPU was not measured, so the shortfall cannot be "
                                "attributed to the node");
  } else if (*s.peak_node_cpu_percent < t.node_busy_cpu_percent) {
    s.invalid_reasons.push_back(evidence + " while the node had headroom (CPU peaked at " +
                                percent(*s.peak_node_cpu_percent) + ")");
  } else {
    s.notes.push_back(evidence + "; the node's CPU reached " + percent(*s.peak_node_cpu_percent) +
                      ", so the node limited the rate");
  }
}

void check_pool(const second_series& merged, run_summary& s) {
  if (s.pool_misses == 0) return;
  std::int64_t dry_seconds = 0;
  std::optional<std::int64_t> first;
  for (const auto& r : merged.rows()) {
    if (r.pool_misses > 0) {
      ++dry_seconds;
      if (!first) first = r.second;
    }
  }
  s.invalid_reasons.push_back(
      "the pre-signed transaction pool ran dry: " + std::to_string(s.pool_misses) +
      " sends found no pre-signed transaction ready, in " + std::to_string(dry_seconds) +
      " seconds (first at second " + std::to_string(first.value_or(0)) + ")");
}

void check_send_cpu(const second_series& merged, const validity_thresholds& t, run_summary& s) {
  std::int64_t saturated = 0;
  const second_row* worst = nullptr;
  for (const auto& r : merged.rows()) {
    if (!r.send_cpu_percent) continue;
    if (*r.send_cpu_percent > t.max_send_cpu_percent) ++saturated;
    if (worst == nullptr || *r.send_cpu_percent > *worst->send_cpu_percent) worst = &r;
  }
  if (saturated == 0) return;
  s.invalid_reasons.push_back(
      "a beacon's send thread was saturated: above " + percent(t.max_send_cpu_percent) +
      " of a core in " + std::to_string(saturated) + " of " + std::to_string(merged.rows().size()) +
      " seconds (peak " + percent(*worst->send_cpu_percent) + " at second " +
      std::to_string(worst->second) + ")");
}

void check_beacon_side_rejections(const validity_thresholds& t, run_summary& s) {
  const std::int64_t beacon = totals_by_side(s.rejected_by_reason).beacon;
  if (beacon == 0 || static_cast<double>(beacon) <=
                         t.max_beacon_side_rejection_ratio * static_cast<double>(s.sent))
    return;
  s.invalid_reasons.push_back("the beacons' own setup, not the network, caused " +
                              std::to_string(beacon) + " of " + std::to_string(s.rejected) +
                              " rejections (" +
                              reasons_text(s.rejected_by_reason, rejection_side::beacon) + ")");
}

void consistency_notes(const second_series& merged, run_summary& s) {
  if (merged.empty()) {
    s.invalid_reasons.push_back("the run has no measured seconds");
    return;
  }
  if (s.unanswered < 0) {
    s.notes.push_back("inconsistent counts: " + std::to_string(s.accepted + s.rejected) +
                      " answers for " + std::to_string(s.sent) + " sends");
  }
  std::int64_t by_reason = 0;
  for (const auto& [reason, n] : s.rejected_by_reason) by_reason += n;
  if (by_reason != s.rejected) {
    s.notes.push_back("inconsistent counts: rejections by reason add up to " +
                      std::to_string(by_reason) + ", not " + std::to_string(s.rejected));
  }
  const std::int64_t last_in_flight = merged.rows().back().in_flight;
  if (s.unanswered >= 0 && last_in_flight != s.unanswered) {
    s.notes.push_back(std::to_string(s.unanswered) + " transactions were never answered, but " +
                      std::to_string(last_in_flight) + " were in flight at the end");
  }
  if (s.sent > 0 && s.included == 0) {
    s.notes.push_back("no transaction was seen included in a block");
  }
  if (s.sent == 0) s.notes.push_back("no transaction was sent");
}

std::string grouped(std::int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return v < 0 ? "-" + out : out;
}

void per_node(const second_series& merged, const summary_options& options, run_summary& s) {
  std::map<std::string, node_summary> nodes;
  for (const auto& r : merged.rows()) {
    for (const auto& [url, l] : r.node_load) {
      if (!l.head_lag_blocks) continue;
      node_summary& n = nodes[url];
      const double lag = *l.head_lag_blocks;
      n.peak_head_lag_blocks = std::max(n.peak_head_lag_blocks.value_or(0), lag);
      if (lag >= behind_lag_blocks) {
        n.least_lag_behind_blocks =
            n.seconds_behind == 0 ? lag : std::min(n.least_lag_behind_blocks, lag);
        ++n.seconds_behind;
      }
    }
  }
  for (const auto& [url, c] : options.node_tx) nodes[url].tx = c;
  for (auto& [url, n] : nodes) {
    n.url = url;
    const std::string note = behind_note(n);
    if (!note.empty()) s.notes.push_back(note);
    s.per_node.push_back(std::move(n));
  }
}

}  // namespace

std::string behind_note(const node_summary& n) {
  if (n.seconds_behind == 0 || !n.peak_head_lag_blocks) return {};
  const auto least = static_cast<std::int64_t>(n.least_lag_behind_blocks);
  const auto peak = static_cast<std::int64_t>(*n.peak_head_lag_blocks);
  std::string text = n.url + " was " +
                     (least == peak ? std::to_string(peak)
                                    : std::to_string(least) + "\u2013" + std::to_string(peak)) +
                     " blocks behind the freshest node for " + std::to_string(n.seconds_behind) +
                     " s";
  if (n.tx && n.tx->accepted > 0) {
    text += "; " + grouped(n.tx->accepted - n.tx->included) + " of the " + grouped(n.tx->accepted) +
            " transactions it accepted were never included";
  }
  return text;
}

run_summary summarize(const second_series& merged, const latency_set& cumulative,
                      const summary_options& options) {
  run_summary s;
  s.seconds = static_cast<std::int64_t>(merged.rows().size());
  if (options.duration_seconds) {
    s.duration_seconds = *options.duration_seconds;
  } else if (!merged.empty()) {
    s.duration_seconds =
        static_cast<double>(merged.rows().back().second - merged.rows().front().second + 1);
  }
  for (const auto& r : merged.rows()) {
    s.beacons = std::max(s.beacons, r.beacons);
    s.add(r);
  }
  s.unanswered = s.sent - s.accepted - s.rejected;

  s.target_rate = options.target_rate;
  s.offered_rate = rate(s.offered, s.duration_seconds);
  s.achieved_rate = rate(s.sent, s.duration_seconds);
  s.accepted_rate = rate(s.accepted, s.duration_seconds);
  s.included_rate = rate(s.included, s.duration_seconds);
  if (!options.unlimited && s.offered > 0) {
    s.achieved_ratio = static_cast<double>(s.sent) / static_cast<double>(s.offered);
  }
  if (s.accepted > 0) {
    s.inclusion_ratio = static_cast<double>(s.included) / static_cast<double>(s.accepted);
  }
  s.peak_beacon_cpu_percent = peak(merged, &second_row::beacon_cpu_percent);
  s.peak_send_cpu_percent = peak(merged, &second_row::send_cpu_percent);
  s.peak_node_cpu_percent = peak(merged, &second_row::node_cpu_percent);
  for (latency_kind k : all_latency_kinds) {
    s.latency[static_cast<std::size_t>(k)] = latency_digest::of(cumulative[k], false);
  }

  const validity_thresholds& t = options.thresholds;
  if (!options.unlimited) {
    check_schedule_lag(merged, cumulative, t, s);
    check_achieved_rate(t, s);
  }
  check_pool(merged, s);
  check_send_cpu(merged, t, s);
  check_beacon_side_rejections(t, s);
  consistency_notes(merged, s);
  per_node(merged, options, s);
  s.valid_for_throughput = s.invalid_reasons.empty();
  return s;
}

boost::json::object to_json(const run_summary& s) {
  boost::json::object o;
  boost::json::object verdict;
  verdict["valid_for_throughput"] = s.valid_for_throughput;
  boost::json::array reasons;
  for (const auto& r : s.invalid_reasons) reasons.emplace_back(r);
  verdict["invalid_reasons"] = std::move(reasons);
  boost::json::array notes;
  for (const auto& n : s.notes) notes.emplace_back(n);
  verdict["notes"] = std::move(notes);
  o["verdict"] = std::move(verdict);

  o["duration_seconds"] = json::rounded(s.duration_seconds, 3);
  o["seconds"] = s.seconds;
  o["beacons"] = s.beacons;

  boost::json::object totals;
  for (const auto& c : counter_fields) {
    totals[c.key] = s.*(c.member);
    if (c.by_reason) {  // "rejected", then "unanswered" and the reasons
      totals["unanswered"] = s.unanswered;
      boost::json::object reasons_by;
      for (const auto& [reason, n] : s.rejected_by_reason) reasons_by[reason] = n;
      totals["rejected_by_reason"] = std::move(reasons_by);
      totals["rejected_by_side"] = sides_json(s.rejected_by_reason);
    }
  }
  o["totals"] = std::move(totals);
  o["rejections"] = rejections_json(s.rejected_by_reason);

  boost::json::object rates;
  rates["target"] = optional_value(s.target_rate, 2);
  rates["offered"] = json::rounded(s.offered_rate, 2);
  rates["achieved"] = json::rounded(s.achieved_rate, 2);
  rates["accepted"] = json::rounded(s.accepted_rate, 2);
  rates["included"] = json::rounded(s.included_rate, 2);
  o["rates_tx_per_s"] = std::move(rates);
  boost::json::object ratios;
  ratios["achieved"] = optional_value(s.achieved_ratio, 4);
  ratios["inclusion"] = optional_value(s.inclusion_ratio, 4);
  o["ratios"] = std::move(ratios);

  boost::json::object cpu;
  cpu["beacon_peak"] = optional_value(s.peak_beacon_cpu_percent, 2);
  cpu["send_thread_peak"] = optional_value(s.peak_send_cpu_percent, 2);
  cpu["node_peak"] = optional_value(s.peak_node_cpu_percent, 2);
  o["cpu_percent"] = std::move(cpu);

  boost::json::object latency;
  // No hdr: the summary's digests carry none (the histograms are stored next to it).
  for (latency_kind k : all_latency_kinds) latency[name(k)] = to_json(s[k]);
  o["latency_us"] = std::move(latency);

  if (!s.per_node.empty()) {
    boost::json::array nodes;
    for (const auto& n : s.per_node) {
      boost::json::object j;
      j["url"] = n.url;
      if (n.tx) {
        j["sent"] = n.tx->sent;
        j["accepted"] = n.tx->accepted;
        j["included"] = n.tx->included;
        j["not_included"] = n.tx->accepted - n.tx->included;
      } else {
        for (const char* k : {"sent", "accepted", "included", "not_included"}) j[k] = nullptr;
      }
      if (n.peak_head_lag_blocks)
        j["peak_head_lag_blocks"] =
            static_cast<std::int64_t>(std::llround(*n.peak_head_lag_blocks));
      else
        j["peak_head_lag_blocks"] = nullptr;
      j["seconds_behind"] = n.seconds_behind;
      if (n.seconds_behind > 0)
        j["head_lag_behind_min_blocks"] = static_cast<std::int64_t>(n.least_lag_behind_blocks);
      else
        j["head_lag_behind_min_blocks"] = nullptr;
      nodes.push_back(std::move(j));
    }
    o["per_node"] = std::move(nodes);
  }
  return o;
}

}  // namespace bts::stats
