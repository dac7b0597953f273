#include "overseer/run_merger.hpp"

#include <algorithm>
#include <chrono>
#include <memory>

#include "scenario/scenario.hpp"
#include "stats/run_summary.hpp"
#include "util/error.hpp"

namespace bts::overseer {

namespace json = boost::json;
using detail::run_beacon;
using detail::run_state;
using detail::to_ms;

bool run_merger::lost_too_long(const std::string& name, unix_us t) const {
  auto it = c_.beacons.find(name);
  if (it == c_.beacons.end()) return true;
  const detail::beacon_entry& b = it->second;
  return !b.session && t - b.lost_since > c_.opt.lost_hold.count() * 1000;
}

void run_merger::rows_stored(const std::string& run, const std::string& name,
                             const std::vector<stats::second_row>& rows) {
  auto r = c_.runs.find(run);
  if (r == c_.runs.end() || r->second.finished || rows.empty()) return;
  run_state& rs = r->second;
  run_beacon& rb = rs.beacons[name];
  std::size_t late = 0;
  const std::int64_t last = rows.back().second;
  for (const auto& row : rows) {
    if (row.second <= rs.merged_upto) {
      if (row.second > rb.reported) ++late;
      continue;
    }
    rs.pending[row.second].try_emplace(name, row);
  }
  if (late > 0) {
    json::object d;
    d["seconds"] = late;
    d["note"] = "stored for the beacon, after the merged seconds were written without it";
    c_.add_event(run, store::event_kind::note, name, std::move(d));
  }
  rb.reported = std::max(rb.reported, last);
  try_merge(run, rs);
  check_finish(run, rs);
}

store::second_record run_merger::merge_second(const std::string& id, run_state& r,
                                              std::int64_t s,
                                              const std::map<std::string, stats::second_row>& rows) {
  stats::second_merger m(s);
  for (const auto& [name, row] : rows) {
    try {
      m.add(row);
    } catch (const input_error& e) {
      c_.log("run " + id + ": second " + std::to_string(s) + " of " + name +
             " left out of the merge: " + e.what());
    }
  }
  r.cumulative->merge(m.histograms());
  store::second_record rec;
  rec.beacon = store::results_store::merged;
  rec.row = m.result();
  if (r.nodes && r.info.started_at) {
    const auto end_of_second = std::chrono::system_clock::time_point(
        std::chrono::milliseconds(*r.info.started_at + (s + 1) * 1000));
    r.nodes->fill(rec.row, end_of_second);
  }
  rec.cumulative = store::encode(*r.cumulative);
  return rec;
}

void run_merger::try_merge(const std::string& id, run_state& r, bool force) {
  const unix_us t = c_.now();
  std::vector<store::second_record> out;
  for (;;) {
    const std::int64_t s = r.merged_upto + 1;
    // The beacon that held up s last time usually still does: check it first (a stats
    // message per beacon per second would otherwise scan every beacon: O(beacons^2)/s).
    if (!force && !r.waiting_on.empty()) {
      auto w = r.beacons.find(r.waiting_on);
      if (w != r.beacons.end() && !(w->second.finished && w->second.final_second < s) &&
          w->second.reported < s && !lost_too_long(w->first, t))
        break;
    }
    bool any_expected = false;
    bool ready = true;
    for (auto& [name, rb] : r.beacons) {
      if (rb.finished && rb.final_second < s) continue;
      if (rb.reported >= s) {
        any_expected = true;
        continue;
      }
      if (force || lost_too_long(name, t)) continue;
      ready = false;  // s waits for this beacon: no need to look at the others
      r.waiting_on = name;
      break;
    }
    if (!ready) break;
    auto p = r.pending.find(s);
    if (!any_expected && p == r.pending.end()) {
      // Nobody will report s: done unless some pending second is later (a beacon lost past
      // its hold that reported further on before).
      if (r.pending.empty() || r.pending.rbegin()->first < s) break;
    }
    if (p != r.pending.end()) {
      out.push_back(merge_second(id, r, s, p->second));
      r.pending.erase(p);
    }
    r.merged_upto = s;
  }
  if (!out.empty()) {
    auto rows = std::make_shared<std::vector<store::second_record>>(std::move(out));
    c_.store->post([w = c_.store.get(), id, rows, cb = c_.opt.on_rows](store::results_store& db) {
      db.append_seconds(id, *rows);
      if (cb) w->once_committed([cb, id, rows] { cb(id, *rows); });
    });
  }
}

void run_merger::check_finish(const std::string& id, run_state& r) {
  if (r.finished || !r.started) return;
  const unix_us t = c_.now();
  bool any_ok = false;
  for (auto& [name, rb] : r.beacons) {
    const bool done = (rb.finished && rb.reported >= rb.final_second) || lost_too_long(name, t);
    // Stop at the first beacon still running: this runs for every stats message, and looking
    // up all 200 beacons each time (by name) was ~4% of the overseer's CPU with 200 beacons.
    if (!done) return;
    any_ok = any_ok || (rb.finished && !rb.failed);
  }
  finish(id, r,
         r.stop_requested ? store::run_status::stopped
         : any_ok         ? store::run_status::completed
                          : store::run_status::failed);
}

void run_merger::finish(const std::string& id, run_state& r, store::run_status status) {
  try_merge(id, r, true);
  r.nodes.reset();
  r.finished = true;
  r.info.status = status;
  r.info.ended_at = to_ms(c_.now());
  stats::summary_options so;
  so.target_rate = r.total_rate;
  so.unlimited = r.unlimited;
  auto cumulative = std::make_shared<stats::latency_set>(std::move(*r.cumulative));
  r.cumulative = std::make_unique<stats::latency_set>();
  r.pending.clear();
  const store::unix_ms ended = *r.info.ended_at;
  c_.store->post([w = c_.store.get(), id, status, ended, so, cumulative, info = r.info,
                  cb = c_.opt.on_run](store::results_store& db) {
    store::results_store::load_options lo;
    lo.per_beacon = false;
    store::run_record rec = db.load_run(id, lo);
    stats::summary_options with_nodes = so;
    with_nodes.node_tx = store::node_tx_of(rec.events);  // the beacons' per-node notes
    json::object summary = stats::to_json(stats::summarize(rec.merged, *cumulative, with_nodes));
    db.finish_run(id, status, ended, summary);
    if (cb) w->once_committed([cb, info] { cb(info, {}); });
  });
  c_.log("run " + id + " ended: " + std::string(store::name(status)));
}

void run_merger::tick() {
  for (auto& [id, r] : c_.runs) {
    if (r.finished) continue;
    try_merge(id, r);
    check_finish(id, r);
  }
}

// ---- restore after a restart -------------------------------------------------------------------

run_state run_merger::restore_run(const store::run_record& rec, unix_us t) {
  const store::run_info& info = rec.info;
  run_state r;
  r.info = rec.info;
  r.started = info.status == store::run_status::running;
  if (auto* tr = rec.info.manifest.if_contains("total_rate"); tr && tr->is_number()) {
    r.total_rate = tr->to_number<double>();
  }
  if (auto* u = rec.info.manifest.if_contains("unlimited"); u && u->is_bool()) {
    r.unlimited = u->get_bool();
  }
  if (!rec.merged.empty()) r.merged_upto = rec.merged.rows().back().second;
  if (auto c = rec.cumulative.find(""); c != rec.cumulative.end()) {
    *r.cumulative = store::decode(c->second);
  }
  for (const auto& b : rec.beacons) {
    run_beacon rb;
    rb.cfg.run = info.id;
    if (auto* n = b.info.if_contains("nodes"); n && n->is_array()) {
      for (const auto& u : n->get_array()) {
        if (u.is_string()) rb.cfg.nodes.emplace_back(u.get_string());
      }
    }
    if (auto* sh = b.info.if_contains("rate_share"); sh && sh->is_number()) {
      rb.cfg.rate_share = sh->to_number<double>();
    }
    auto s = rec.by_beacon.find(b.name);
    if (s != rec.by_beacon.end()) {
      for (const auto& row : s->second.rows()) {
        rb.reported = std::max(rb.reported, row.second);
        if (row.second > r.merged_upto) r.pending[row.second][b.name] = row;
      }
    }
    r.beacons[b.name] = std::move(rb);
    // Not connected yet: lost since the restart, so lost_hold counts from now.
    detail::beacon_entry& e = c_.beacons[b.name];
    e.reg.name = b.name;
    e.lost_since = t;
    e.run = info.id;
  }
  try {
    auto sources = scenarios::node_load_sources(
        scenarios::parse_scenario(info.scenario_text, info.scenario_name), false);
    if (!sources.empty()) {
      r.nodes = std::make_unique<monitor::node_load_watch>(c_.io.get_executor(), sources);
    }
  } catch (const std::exception& e) {
    c_.log("run " + info.id + ": node load not read: " + e.what());
  }
  return r;
}

void run_merger::restore() {
  const unix_us t = c_.now();
  // Loaded on the store thread, used on this one.
  auto records = c_.store->call([](store::results_store& db) {
    std::vector<store::run_record> out;
    for (const store::run_info& info : db.list_runs()) {
      if (info.status != store::run_status::running &&
          info.status != store::run_status::created) {
        continue;
      }
      out.push_back(db.load_run(info.id));
    }
    return out;
  });
  std::lock_guard lock(c_.mu);
  for (const store::run_record& rec : records) {
    run_state r = restore_run(rec, t);
    c_.log("resuming run " + rec.info.id + " (" + std::to_string(r.beacons.size()) +
           " beacons, merged up to second " + std::to_string(r.merged_upto) + ")");
    c_.runs.emplace(rec.info.id, std::move(r));
  }
}

}  // namespace bts::overseer
