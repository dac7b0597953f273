#include "overseer/overseer.hpp"
#include "overseer/pages.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cmath>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "beacon/scenario.hpp"
#include "overseer/detail/scrape_state.hpp"
#include "overseer/detail/store_worker.hpp"
#include "overseer/node_watch.hpp"
#include "rpc/server.hpp"
#include "stats/json_io.hpp"
#include "stats/run_summary.hpp"
#include "store/results_store.hpp"
#include "util/error.hpp"

namespace bts::overseer {

namespace asio = boost::asio;
namespace json = boost::json;
namespace sj = stats::json;

namespace {

// A run or resource the request names does not exist: HTTP 404.
class not_found : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

bool same_token(const std::string& given, const std::string& expected) {
  // Constant time in the token's length: no early exit on the first differing byte.
  if (given.size() != expected.size() || expected.empty()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < given.size(); ++i) {
    diff |= static_cast<unsigned char>(given[i] ^ expected[i]);
  }
  return diff == 0;
}

std::string bearer(const rpc::http_request_info& r) {
  const std::string h = r.header("Authorization");
  constexpr std::string_view prefix = "Bearer ";
  if (h.size() > prefix.size() &&
      std::equal(prefix.begin(), prefix.end(), h.begin(),
                 [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    return h.substr(prefix.size());
  }
  return {};
}

rpc::http_response json_response(unsigned status, const json::value& v) {
  rpc::http_response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = sj::write(v) + "\n";
  return r;
}

rpc::http_response error_response(unsigned status, const std::string& message) {
  json::object o;
  o["error"] = message;
  return json_response(status, o);
}

store::unix_ms to_ms(unix_us t) { return t / 1000; }

struct clock_state {
  std::deque<clock_sample> samples;  // the last 8
  std::optional<clock_sample> best;  // the sample with the smallest delay among them (NTP)
  void add(clock_sample s) {
    samples.push_back(s);
    if (samples.size() > 8) samples.pop_front();
    best = *std::min_element(samples.begin(), samples.end(),
                             [](const auto& a, const auto& b) { return a.delay_us < b.delay_us; });
  }
};

struct beacon_entry {
  register_msg reg;
  std::shared_ptr<rpc::session> session;  // null while lost
  std::string remote;
  unix_us connected_at = 0;
  unix_us last_seen = 0;
  unix_us lost_since = 0;
  int connections = 0;
  int losses = 0;
  beacon_state state = beacon_state::idle;
  std::string run;
  std::int64_t last_second = -1;
  std::optional<double> rate;
  std::string error;
  clock_state clock;
  std::map<std::uint64_t, std::pair<std::string, unix_us>> pending;  // id -> (type, sent)
  std::string last_command_error;
};

struct run_beacon {
  configure_cmd cfg;
  std::int64_t reported = -1;  // highest second stored
  std::int64_t final_second = -1;
  bool finished = false;
  bool failed = false;
};

struct run_state {
  store::run_info info;
  std::map<std::string, run_beacon> beacons;
  std::optional<double> total_rate;  // constant rates only
  bool unlimited = false;
  std::map<std::int64_t, std::map<std::string, stats::second_row>> pending;
  std::int64_t merged_upto = -1;
  std::string waiting_on;  // the beacon merged_upto + 1 waited for, last time try_merge looked
  std::unique_ptr<stats::latency_set> cumulative = std::make_unique<stats::latency_set>();
  std::unique_ptr<node_watch> nodes;  // the scenario's node_load sources, while not finished
  bool started = false;
  bool stop_requested = false;
  bool finished = false;
};

}  // namespace

struct overseer::impl {
  overseer_options opt;
  asio::io_context io;
  std::unique_ptr<detail::store_worker> store;
  std::unique_ptr<rpc::server> server;
  std::unique_ptr<asio::steady_timer> tick;
  std::thread io_thread;
  std::filesystem::path store_path;
  mutable std::mutex reader_mu;
  mutable std::unique_ptr<store::results_store> reader;
  mutable detail::scrape_state scrape;
  // The read-only connection for the HTTP API. REQUIRES: reader_mu held.
  store::results_store& open_reader() const {
    if (!reader)
      reader =
          std::make_unique<store::results_store>(store_path, store::results_store::mode::read_only);
    return *reader;
  }

  mutable std::mutex mu;  // everything below
  std::map<std::string, beacon_entry> beacons;
  std::map<std::string, run_state> runs;
  std::uint64_t next_command = 1;
  unix_us last_ping = 0;
  bool stopped = false;

  unix_us now() const { return opt.now ? opt.now() : now_unix_us(); }
  void log(const std::string& line) const {
    if (opt.log)
      opt.log(line);
    else
      std::cerr << "overseer: " << line << "\n";
  }

  // ---- commands --------------------------------------------------------------------------

  // REQUIRES: mu held.
  std::uint64_t send(beacon_entry& b, command c) {
    c.id = next_command++;
    if (!b.session) return 0;
    b.pending[c.id] = {std::string(command_type(c)), now()};
    json::array args;
    args.emplace_back(to_json(c));
    b.session->notify(b.reg.commands, std::move(args));
    return c.id;
  }

  void add_event(const std::string& run, store::event_kind kind, const std::string& beacon,
                 json::object data, unix_us at = 0) {
    store::event e;
    e.time = to_ms(at ? at : now());
    e.kind = kind;
    e.beacon = beacon;
    e.data = std::move(data);
    store->post(
        [w = store.get(), run, e = std::move(e), cb = opt.on_event](store::results_store& db) {
          db.add_event(run, e);
          if (cb) w->once_committed([cb, run, e] { cb(run, e); });
        });
  }

  // ---- merging ---------------------------------------------------------------------------

  bool lost_too_long(const std::string& name, unix_us t) const {
    auto it = beacons.find(name);
    if (it == beacons.end()) return true;
    const beacon_entry& b = it->second;
    return !b.session && t - b.lost_since > opt.lost_hold.count() * 1000;
  }

  // Writes every merged second that is complete. REQUIRES: mu held.
  void try_merge(const std::string& id, run_state& r, bool force = false) {
    const unix_us t = now();
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
        stats::second_merger m(s);
        for (const auto& [name, row] : p->second) {
          try {
            m.add(row);
          } catch (const input_error& e) {
            log("run " + id + ": second " + std::to_string(s) + " of " + name +
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
        out.push_back(std::move(rec));
        r.pending.erase(p);
      }
      r.merged_upto = s;
    }
    if (!out.empty()) {
      auto rows = std::make_shared<std::vector<store::second_record>>(std::move(out));
      store->post([w = store.get(), id, rows, cb = opt.on_rows](store::results_store& db) {
        db.append_seconds(id, *rows);
        if (cb) w->once_committed([cb, id, rows] { cb(id, *rows); });
      });
    }
  }

  // Ends the run if every beacon is done. REQUIRES: mu held.
  void check_finish(const std::string& id, run_state& r) {
    if (r.finished || !r.started) return;
    const unix_us t = now();
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

  // REQUIRES: mu held.
  void finish(const std::string& id, run_state& r, store::run_status status) {
    try_merge(id, r, true);
    r.nodes.reset();
    r.finished = true;
    r.info.status = status;
    r.info.ended_at = to_ms(now());
    stats::summary_options so;
    so.target_rate = r.total_rate;
    so.unlimited = r.unlimited;
    auto cumulative = std::make_shared<stats::latency_set>(std::move(*r.cumulative));
    r.cumulative = std::make_unique<stats::latency_set>();
    r.pending.clear();
    const store::unix_ms ended = *r.info.ended_at;
    store->post([w = store.get(), id, status, ended, so, cumulative, info = r.info,
                 cb = opt.on_run](store::results_store& db) {
      store::results_store::load_options lo;
      lo.per_beacon = false;
      store::run_record rec = db.load_run(id, lo);
      json::object summary = stats::to_json(stats::summarize(rec.merged, *cumulative, so));
      db.finish_run(id, status, ended, summary);
      if (cb) w->once_committed([cb, info] { cb(info, {}); });
    });
    log("run " + id + " ended: " + std::string(store::name(status)));
  }

  // ---- control messages -------------------------------------------------------------------

  json::value on_message(const std::shared_ptr<rpc::session>& sp, const beacon_message& m);

  // A control call, read and checked (plain function: no coroutine frame involved).
  struct parsed_call {
    std::optional<rpc::rpc_error> error;
    std::shared_ptr<stats_msg> stats;
    beacon_message msg;
  };
  static parsed_call parse_call(rpc::session& s, const rpc::rpc_request& req) {
    parsed_call out;
    try {
      if (req.method != "call") {
        throw input_error("method", "expected \"call\" (docs/control-protocol.md)");
      }
      auto parts = rpc::parse_call_params(req.params);
      if (auto* e = std::get_if<rpc::rpc_error>(&parts)) {
        out.error = *e;
        return out;
      }
      auto& cp = std::get<rpc::call_params>(parts);
      if (cp.api.is_id() || cp.api.name() != control_api) {
        throw input_error("api", "expected \"control\"");
      }
      out.msg = parse_beacon_message(cp.method, cp.args);
      if (!std::holds_alternative<register_msg>(out.msg) && !s.state().has_value()) {
        throw input_error(cp.method, "register first");
      }
      if (auto* st = std::get_if<stats_msg>(&out.msg)) {
        out.stats = std::make_shared<stats_msg>(std::move(*st));
      }
    } catch (const input_error& e) {
      out.error = rpc::rpc_error::server(rpc::error_codes::invalid_params, e.what());
    }
    return out;
  }

  rpc::call_result dispatch(const std::shared_ptr<rpc::session>& s, const beacon_message& msg) {
    try {
      return on_message(s, msg);
    } catch (const input_error& e) {
      return rpc::rpc_error::server(rpc::error_codes::invalid_params, e.what());
    }
  }

  asio::awaitable<rpc::call_result> handle(std::shared_ptr<rpc::session> s, rpc::rpc_request req) {
    auto parsed = std::make_shared<parsed_call>(parse_call(*s, req));
    if (parsed->error) co_return rpc::call_result(*parsed->error);
    if (parsed->stats) co_return co_await on_stats(s, parsed->stats);
    co_return dispatch(s, parsed->msg);
  }

  asio::awaitable<rpc::call_result> on_stats(std::shared_ptr<rpc::session> s,
                                             std::shared_ptr<stats_msg> m);
  std::optional<rpc::rpc_error> stats_check(const std::string& name, const stats_msg& m);
  asio::awaitable<rpc::call_result> stats_store(const std::string& name, const stats_msg& m);
  rpc::call_result stats_stored(const std::string& name, stats_msg& m,
                                const rpc::call_result& stored);

  void on_close(rpc::session& s) {
    std::lock_guard lock(mu);
    if (!s.state().has_value()) return;
    const std::string name = std::any_cast<std::string>(s.state());
    auto it = beacons.find(name);
    if (it == beacons.end() || !it->second.session || it->second.session->id() != s.id()) return;
    beacon_entry& b = it->second;
    b.session.reset();
    b.lost_since = now();
    ++b.losses;
    b.pending.clear();
    log("beacon " + name + " lost (" + b.remote + ")");
    if (!b.run.empty()) {
      auto r = runs.find(b.run);
      if (r != runs.end() && !r->second.finished && r->second.beacons.count(name)) {
        add_event(b.run, store::event_kind::beacon_lost, name, {});
      }
    }
  }

  void on_tick() {
    std::lock_guard lock(mu);
    const unix_us t = now();
    const bool ping = t - last_ping >= opt.ping_interval.count() * 1000;
    if (ping) last_ping = t;
    for (auto& [name, b] : beacons) {
      if (!b.session) continue;
      if (t - b.last_seen > opt.silence_limit.count() * 1000) {
        log("beacon " + name + " silent for " + std::to_string((t - b.last_seen) / 1000) +
            " ms: disconnecting");
        b.session->close();
        continue;
      }
      if (ping) send(b, command{0, ping_cmd{now()}});
    }
    for (auto& [id, r] : runs) {
      if (r.finished) continue;
      try_merge(id, r);
      check_finish(id, r);
    }
  }

  void schedule_tick() {
    tick->expires_after(std::chrono::milliseconds(250));
    tick->async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      on_tick();
      schedule_tick();
    });
  }

  // ---- restore after a restart ---------------------------------------------------------------

  void restore() {
    const unix_us t = now();
    store->call([&](store::results_store& db) {
      for (const store::run_info& info : db.list_runs()) {
        if (info.status != store::run_status::running &&
            info.status != store::run_status::created) {
          continue;
        }
        store::run_record rec = db.load_run(info.id);
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
          beacon_entry& e = beacons[b.name];
          e.reg.name = b.name;
          e.lost_since = t;
          e.run = info.id;
        }
        try {
          auto sources = node_watch::sources(
              beacon::parse_scenario(info.scenario_text, info.scenario_name), false);
          if (!sources.empty()) r.nodes = std::make_unique<node_watch>(io.get_executor(), sources);
        } catch (const std::exception& e) {
          log("run " + info.id + ": node load not read: " + e.what());
        }
        log("resuming run " + info.id + " (" + std::to_string(r.beacons.size()) +
            " beacons, merged up to second " + std::to_string(r.merged_upto) + ")");
        runs.emplace(info.id, std::move(r));
      }
    });
  }

  // ---- HTTP API -----------------------------------------------------------------------------

  rpc::http_response on_http(overseer& o, const rpc::http_request_info& req);
};

json::value overseer::impl::on_message(const std::shared_ptr<rpc::session>& sp,
                                       const beacon_message& m) {
  rpc::session& s = *sp;
  std::lock_guard lock(mu);
  const unix_us t = now();
  if (auto* reg = std::get_if<register_msg>(&m)) {
    beacon_entry& b = beacons[reg->name];
    if (b.session && b.session->id() != s.id()) {
      log("beacon " + reg->name + " registered again from " + s.request().remote +
          ": closing its previous connection from " + b.remote);
      b.session->close();
    }
    const bool was_known = b.connections > 0 || !b.run.empty();
    const bool was_lost = !b.session && was_known;
    b.reg = *reg;
    b.session = sp;
    b.remote = s.request().remote;
    b.connected_at = t;
    b.last_seen = t;
    ++b.connections;
    b.state = reg->state;
    b.last_second = reg->last_second;
    if (!reg->run.empty()) b.run = reg->run;
    s.state() = reg->name;
    json::object result;
    result["overseer_time"] = t;
    result["protocol"] = protocol_version;
    bool resumed = false;
    if (!reg->run.empty()) {
      auto r = runs.find(reg->run);
      if (r != runs.end() && r->second.beacons.count(reg->name)) {
        run_beacon& rb = r->second.beacons[reg->name];
        if (reg->state == beacon_state::finished || reg->state == beacon_state::failed) {
          rb.finished = true;
          rb.failed = reg->state == beacon_state::failed;
          rb.final_second = reg->last_second;
        }
        if (was_lost && !r->second.finished) {
          resumed = true;
          json::object d;
          d["resumed"] = true;
          d["last_second"] = reg->last_second;
          add_event(reg->run, store::event_kind::beacon_joined, reg->name, std::move(d));
        }
        result["stored_second"] = rb.reported;
      } else {
        result["run_unknown"] = true;
      }
    }
    result["resumed"] = resumed;
    log("beacon " + reg->name + (resumed ? " resumed run " + reg->run : " connected") + " from " +
        b.remote + " (version " + reg->version + ", host " + reg->host + ", " +
        std::to_string(reg->cores) + " cores)");
    return result;
  }
  const std::string name = std::any_cast<std::string>(s.state());
  beacon_entry& b = beacons[name];
  b.last_seen = t;
  if (auto* h = std::get_if<heartbeat_msg>(&m)) {
    b.state = h->state;
    if (!h->run.empty()) b.run = h->run;
    b.last_second = h->last_second;
    b.rate = h->rate;
    b.error = h->error;
    if (!h->run.empty()) {
      auto r = runs.find(h->run);
      if (r != runs.end() && r->second.beacons.count(name)) {
        run_beacon& rb = r->second.beacons[name];
        if ((h->state == beacon_state::finished || h->state == beacon_state::failed) &&
            !rb.finished) {
          rb.finished = true;
          rb.failed = h->state == beacon_state::failed;
          rb.final_second = h->last_second;
          if (rb.failed) {
            json::object d;
            d["error"] = h->error;
            add_event(h->run, store::event_kind::error, name, std::move(d));
          }
          try_merge(h->run, r->second);
          check_finish(h->run, r->second);
        }
      }
    }
    return json::object{{"overseer_time", t}};
  }
  if (auto* p = std::get_if<pong_msg>(&m)) {
    b.pending.erase(p->command);
    b.clock.add(measure_clock(p->t0, p->t1, p->t2, t));
    return json::object{};
  }
  if (auto* e = std::get_if<event_msg>(&m)) {
    auto r = runs.find(e->run);
    if (r == runs.end() || !r->second.beacons.count(name)) {
      throw input_error("event.run", "beacon " + name + " is not part of run \"" + e->run + "\"");
    }
    add_event(e->run, e->kind, name, e->data, e->time);
    return json::object{};
  }
  const auto& a = std::get<ack_msg>(m);
  auto it = b.pending.find(a.command);
  const std::string what = it == b.pending.end() ? "command" : it->second.first;
  if (it != b.pending.end()) b.pending.erase(it);
  if (!a.ok) {
    b.last_command_error = what + ": " + a.error;
    log("beacon " + name + " refused " + what + " (command " + std::to_string(a.command) +
        "): " + a.error);
  }
  return json::object{};
}

// The parts of handling a stats message that do not suspend are plain functions: GCC 12
// mishandles some locals of coroutines that hold large frames (double destruction).
std::optional<rpc::rpc_error> overseer::impl::stats_check(const std::string& name,
                                                          const stats_msg& m) {
  std::lock_guard lock(mu);
  auto r = runs.find(m.run);
  if (r == runs.end() || !r->second.beacons.count(name)) {
    return rpc::rpc_error::server(
        rpc::error_codes::invalid_params,
        "stats.run: beacon " + name + " is not part of run \"" + m.run + "\"");
  }
  beacons[name].last_seen = now();
  return std::nullopt;
}

// Stores the rows and blocks on the store thread; completes once committed.
asio::awaitable<rpc::call_result> overseer::impl::stats_store(const std::string& name,
                                                              const stats_msg& m) {
  auto records = std::make_shared<std::vector<store::second_record>>();
  records->reserve(m.rows.size());
  for (const auto& row : m.rows) records->push_back({name, row, std::nullopt});
  auto blocks = std::make_shared<std::vector<store::block_record>>(m.blocks);
  auto run = std::make_shared<std::string>(m.run);
  auto initiate = [this, run, records, blocks](auto handler) {
    auto h = std::make_shared<decltype(handler)>(std::move(handler));
    store->post(
        [w = store.get(), h, run, records, blocks, cb = opt.on_rows](store::results_store& db) {
          std::size_t n = 0;
          std::string error;
          try {
            n = records->empty() ? 0 : db.append_seconds(*run, *records);
            if (!blocks->empty()) db.append_blocks(*run, *blocks);
          } catch (const std::exception& e) {
            error = e.what();
          }
          // Acknowledged (and handed to the output hooks) once the batch is committed.
          w->after_commit([h, run, records, n, error, cb](const char* commit_error) {
            rpc::call_result res;
            if (!error.empty() || commit_error) {
              res = rpc::rpc_error::server(rpc::error_codes::internal_error,
                                           "store: " + (error.empty() ? commit_error : error));
            } else {
              if (cb && !records->empty()) cb(*run, *records);
              res = json::value(json::object{{"stored", n}});
            }
            auto ex = asio::get_associated_executor(*h);
            asio::post(ex, [h, res = std::move(res)]() mutable { (*h)(std::move(res)); });
          });
        });
  };
  return asio::async_initiate<const asio::use_awaitable_t<>&, void(rpc::call_result)>(
      std::move(initiate), asio::use_awaitable);
}

// After the rows are stored: queue them for merging, merge what is complete.
rpc::call_result overseer::impl::stats_stored(const std::string& name, stats_msg& m,
                                              const rpc::call_result& stored) {
  if (!stored.ok()) return stored;
  {
    std::lock_guard lock(mu);
    auto r = runs.find(m.run);
    if (r != runs.end() && !r->second.finished && !m.rows.empty()) {
      run_state& rs = r->second;
      run_beacon& rb = rs.beacons[name];
      std::size_t late = 0;
      const std::int64_t last = m.rows.back().second;
      for (auto& row : m.rows) {
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
        add_event(m.run, store::event_kind::note, name, std::move(d));
      }
      rb.reported = std::max(rb.reported, last);
      try_merge(m.run, rs);
      check_finish(m.run, rs);
    }
  }
  json::object res = stored.value().as_object();
  res["last_second"] = m.rows.empty() ? -1 : m.rows.back().second;
  return json::value(std::move(res));
}

asio::awaitable<rpc::call_result> overseer::impl::on_stats(std::shared_ptr<rpc::session> s,
                                                           std::shared_ptr<stats_msg> m) {
  const std::string name = std::any_cast<std::string>(s->state());
  std::optional<rpc::rpc_error> refused = stats_check(name, *m);
  if (refused) co_return rpc::call_result(*refused);
  rpc::call_result stored = json::value(json::object{{"stored", 0}});
  if (!m->rows.empty() || !m->blocks.empty()) stored = co_await stats_store(name, *m);
  co_return stats_stored(name, *m, stored);
}
// ---- HTTP API ---------------------------------------------------------------------------------

namespace {

std::map<std::string, std::string> parse_query(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    auto eq = part.find('=');
    std::string key(part.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : std::string(part.substr(eq + 1));
    std::string decoded;
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '%' && i + 2 < value.size() + 1 && i + 2 <= value.size() - 1 &&
          hex(value[i + 1]) >= 0 && hex(value[i + 2]) >= 0) {
        decoded.push_back(static_cast<char>(hex(value[i + 1]) * 16 + hex(value[i + 2])));
        i += 2;
      } else if (value[i] == '+') {
        decoded.push_back(' ');
      } else {
        decoded.push_back(value[i]);
      }
    }
    out[key] = decoded;
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

std::vector<std::string> split_path(std::string_view p) {
  std::vector<std::string> out;
  while (!p.empty()) {
    if (p.front() == '/') {
      p.remove_prefix(1);
      continue;
    }
    auto slash = p.find('/');
    out.emplace_back(p.substr(0, slash));
    if (slash == std::string_view::npos) break;
    p.remove_prefix(slash);
  }
  return out;
}

double parse_total_rate(const json::value& v, const std::string& where) {
  double rate = 0;
  if (v.is_string())
    rate = load::parse_rate(v.get_string(), where);
  else if (v.is_number())
    rate = v.to_number<double>();
  else
    throw input_error(where, "expected a rate (number of tx/s)");
  if (!(rate > 0) || !std::isfinite(rate)) throw input_error(where, "expected a rate > 0");
  return rate;
}

run_request parse_run_request(const rpc::http_request_info& req,
                              const std::map<std::string, std::string>& query) {
  run_request r;
  std::string preset;
  const std::string_view body = req.body;
  const bool json_body = !body.empty() && body.find_first_not_of(" \t\r\n") != std::string::npos &&
                         body[body.find_first_not_of(" \t\r\n")] == '{';
  bool wrapper = false;
  json::object o;
  if (json_body) {
    json::value v = sj::parse(body, "body");
    if (v.is_object() && (v.as_object().contains("scenario") || v.as_object().contains("preset"))) {
      wrapper = true;
      o = v.as_object();
    }
  }
  if (wrapper) {
    for (const auto& kv : o) {
      const std::string k(kv.key());
      if (k != "scenario" && k != "preset" && k != "name" && k != "beacons" && k != "rate" &&
          k != "duration" && k != "scenario_name") {
        throw input_error(k,
                          "unknown field (expected scenario, preset, name, beacons, rate, "
                          "duration)");
      }
    }
    r.scenario_text = sj::get_optional_string(o, "scenario", "").value_or("");
    preset = sj::get_optional_string(o, "preset", "").value_or("");
    r.name = sj::get_optional_string(o, "name", "").value_or("");
    r.scenario_name = sj::get_optional_string(o, "scenario_name", "").value_or("");
    r.duration = sj::get_optional_string(o, "duration", "").value_or("");
    if (auto* b = o.if_contains("beacons")) {
      const json::array& a = sj::as_array(*b, "beacons");
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!a[i].is_string()) throw input_error(sj::index_path("beacons", i), "expected a string");
        r.beacons.emplace_back(a[i].get_string());
      }
    }
    if (auto* rate = o.if_contains("rate"); rate && !rate->is_null()) {
      r.rate = parse_total_rate(*rate, "rate");
    }
  } else {
    r.scenario_text = std::string(body);
    auto get = [&](const char* k) {
      auto it = query.find(k);
      return it == query.end() ? std::string() : it->second;
    };
    preset = get("preset");
    r.name = get("name");
    r.scenario_name = get("scenario_name");
    r.duration = get("duration");
    std::string bs = get("beacons");
    for (std::size_t i = 0; !bs.empty();) {
      auto c = bs.find(',', i);
      r.beacons.push_back(bs.substr(i, c - i));
      if (c == std::string::npos) break;
      i = c + 1;
    }
    if (!get("rate").empty()) r.rate = parse_total_rate(json::value(get("rate")), "rate");
  }
  if (!preset.empty()) {
    if (!r.scenario_text.empty() &&
        r.scenario_text.find_first_not_of(" \t\r\n") != std::string::npos) {
      throw input_error("preset", "give a scenario or a preset, not both");
    }
    try {
      r.scenario_text = beacon::preset_text(preset);
    } catch (const input_error& e) {
      throw input_error("preset", e.problem());
    }
    if (r.scenario_name.empty()) r.scenario_name = preset;
  }
  if (r.scenario_text.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw input_error("scenario", "missing: send a scenario (YAML or JSON) or a preset");
  }
  if (r.scenario_name.empty()) r.scenario_name = "scenario";
  return r;
}

}  // namespace

rpc::http_response overseer::impl::on_http(overseer& o, const rpc::http_request_info& req) {
  std::string_view target = req.target;
  std::string_view path = target.substr(0, target.find('?'));
  const auto query = target.find('?') == std::string_view::npos
                         ? std::map<std::string, std::string>{}
                         : parse_query(target.substr(target.find('?') + 1));
  const auto parts = split_path(path);
  try {
    if (req.method == "GET" || req.method == "HEAD") {
      if (auto r = dashboard_http(o, path)) return std::move(*r);
      if (auto r = metrics_http(o, path)) return std::move(*r);
    }
    if (parts.empty() || parts[0] != "api") return error_response(404, "not found");
    const bool get = req.method == "GET";
    const bool post = req.method == "POST";
    if (parts.size() == 2 && parts[1] == "beacons" && get) {
      return json_response(200, o.beacons_json());
    }
    if (parts.size() == 2 && parts[1] == "runs") {
      if (get) return json_response(200, o.runs_json());
      if (post) return json_response(201, o.create_run(parse_run_request(req, query)));
    }
    if (parts.size() == 3 && parts[1] == "runs" && get) {
      return json_response(200, o.run_json(parts[2]));
    }
    if (parts.size() == 4 && parts[1] == "runs") {
      const std::string& id = parts[2];
      if (get && (parts[3] == "series" || parts[3] == "blocks")) {
        std::int64_t from = 0;
        if (auto f = query.find("from"); f != query.end()) {
          try {
            from = std::stoll(f->second);
          } catch (...) {
            throw input_error("from", "expected an integer");
          }
        }
        if (parts[3] == "blocks") return json_response(200, o.blocks_json(id, from));
        auto b = query.find("beacon");
        return json_response(200, o.series_json(id, b == query.end() ? "" : b->second, from));
      }
      if (post && parts[3] == "start") {
        std::optional<unix_us> at;
        if (!req.body.empty() && req.body.find_first_not_of(" \t\r\n") != std::string::npos) {
          const json::value v = sj::parse(req.body, "body");
          const json::object& ob = sj::as_object(v, "body");
          if (auto d = sj::get_optional_int(ob, "delay_ms", "")) {
            if (*d < 0) throw input_error("delay_ms", "expected a delay >= 0");
            at = now() + *d * 1000;
          }
        }
        return json_response(200, o.start_run(id, at));
      }
      if (post && parts[3] == "stop") return json_response(200, o.stop_run(id));
      if (post && parts[3] == "rate") {
        const json::value v = sj::parse(req.body, "body");
        const json::object& ob = sj::as_object(v, "body");
        return json_response(200,
                             o.change_rate(id, parse_total_rate(sj::get(ob, "rate", ""), "rate")));
      }
    }
    return error_response(404, "not found: " + req.method + " " + std::string(path));
  } catch (const not_found& e) {
    return error_response(404, e.what());
  } catch (const input_error& e) {
    return error_response(400, e.what());
  }
}

// ---- overseer ---------------------------------------------------------------------------------

overseer::overseer(overseer_options options) : impl_(std::make_shared<impl>()) {
  impl& m = *impl_;
  m.opt = std::move(options);
  if (m.opt.beacon_token.empty()) throw input_error("--token-file", "a beacon token is required");
  if (m.opt.admin_token.empty()) {
    throw input_error("--admin-token-file", "an admin token is required");
  }
  if (m.opt.store.empty()) throw input_error("--store", "a results store file is required");
  m.store_path = m.opt.store;
  m.store = std::make_unique<detail::store_worker>(
      m.opt.store, [p = impl_.get()](const std::string& l) { p->log(l); });
  m.restore();

  rpc::server_options so;
  so.host = m.opt.host;
  so.port = m.opt.port;
  so.tls = m.opt.tls;
  so.max_in_flight_per_session = 64;
  impl* p = impl_.get();
  so.handler = [p](std::shared_ptr<rpc::session> s, rpc::rpc_request r) {
    return p->handle(std::move(s), std::move(r));
  };
  so.on_close = [p](rpc::session& s) { p->on_close(s); };
  so.post_to_http = [](const rpc::http_request_info&) { return true; };
  so.http = [p, this](const rpc::http_request_info& r) { return p->on_http(*this, r); };
  so.authenticate = [p](const rpc::http_request_info& r) -> std::optional<rpc::http_response> {
    const std::string path = r.target.substr(0, r.target.find('?'));
    if (r.websocket_upgrade) {
      if (path != control_path) return error_response(404, "not found");
      const std::string token = bearer(r);
      if (!same_token(token, p->opt.beacon_token)) {
        p->log("refused control connection from " + r.remote + ": " +
               (token.empty() ? "missing token" : "wrong token"));
        rpc::http_response res = error_response(401, "unauthorized");
        res.headers.emplace_back("WWW-Authenticate", "Bearer");
        return res;
      }
      return std::nullopt;
    }
    if (r.method != "GET" && r.method != "HEAD") {
      const std::string token = bearer(r);
      if (!same_token(token, p->opt.admin_token)) {
        p->log("refused " + r.method + " " + path + " from " + r.remote + ": " +
               (token.empty() ? "missing admin token" : "wrong admin token"));
        rpc::http_response res = error_response(401, "unauthorized: admin token required");
        res.headers.emplace_back("WWW-Authenticate", "Bearer");
        return res;
      }
    }
    return std::nullopt;
  };
  m.server = std::make_unique<rpc::server>(m.io.get_executor(), std::move(so));
  m.tick = std::make_unique<asio::steady_timer>(m.io);
  m.schedule_tick();
  m.io_thread = std::thread([p] { p->io.run(); });
}

overseer::~overseer() { stop(); }

std::uint16_t overseer::port() const { return impl_->server->port(); }

void overseer::stop() {
  impl& m = *impl_;
  {
    std::lock_guard lock(m.mu);
    if (m.stopped) return;
    m.stopped = true;
  }
  m.server->stop();
  asio::post(m.io, [&m] { m.tick->cancel(); });
  m.io.stop();
  if (m.io_thread.joinable()) m.io_thread.join();
  m.store->stop();
}

detail::scrape_state& overseer::scrape_state() const { return impl_->scrape; }

void overseer::flush() {
  impl_->store->call([](store::results_store&) {});
}

json::object overseer::create_run(const run_request& rq) {
  impl& m = *impl_;
  beacon::scenario sc = beacon::parse_scenario(rq.scenario_text, rq.scenario_name);
  if (sc.nodes.empty()) {
    throw input_error("scenario.nodes", "a fleet run needs at least one node");
  }
  if (!rq.duration.empty()) load::parse_duration(rq.duration, "duration");
  // Before the lock: reading each node_load source once may take a few seconds.
  std::vector<node_watch::source> watched = node_watch::sources(sc, true);
  std::lock_guard lock(m.mu);
  std::set<std::string> busy;
  for (const auto& [id, r] : m.runs) {
    if (r.finished) continue;
    for (const auto& [n, rb] : r.beacons) busy.insert(n);
  }
  std::vector<std::string> chosen;
  if (rq.beacons.empty()) {
    for (const auto& [n, b] : m.beacons) {
      if (b.session && !busy.count(n)) chosen.push_back(n);
    }
    if (chosen.empty()) throw input_error("beacons", "no idle beacon is connected");
  } else {
    for (std::size_t i = 0; i < rq.beacons.size(); ++i) {
      const std::string& n = rq.beacons[i];
      const std::string where = sj::index_path("beacons", i);
      auto it = m.beacons.find(n);
      if (it == m.beacons.end() || !it->second.session) {
        throw input_error(where, "beacon \"" + n + "\" is not connected");
      }
      if (busy.count(n)) throw input_error(where, "beacon \"" + n + "\" is in another run");
      if (std::find(chosen.begin(), chosen.end(), n) != chosen.end()) {
        throw input_error(where, "beacon \"" + n + "\" listed twice");
      }
      chosen.push_back(n);
    }
  }
  std::sort(chosen.begin(), chosen.end());
  run_state r;
  const bool constant = sc.rate.type() == load::rate_profile::kind::constant;
  r.unlimited = sc.rate.is_unlimited() && !rq.rate;
  if (rq.rate)
    r.total_rate = *rq.rate;
  else if (constant && !sc.search)  // a search's start rate is not a rate to impose on beacons
    r.total_rate = sc.rate.rate_at({});
  const std::size_t nb = chosen.size(), nn = sc.nodes.size();
  json::array assignment;
  for (std::size_t i = 0; i < nb; ++i) {
    run_beacon rb;
    configure_cmd& c = rb.cfg;
    c.scenario_name = rq.scenario_name;
    c.scenario_text = rq.scenario_text;
    // Round robin: beacon i sends to node i mod N; with fewer beacons than nodes, beacon i
    // takes every node j with j mod B == i.
    if (nb >= nn) {
      c.nodes.push_back(sc.nodes[i % nn].url);
    } else {
      for (std::size_t j = i; j < nn; j += nb) c.nodes.push_back(sc.nodes[j].url);
    }
    c.rate_share = 1.0 / static_cast<double>(nb);
    c.seed = sc.seed * 1'000'003ULL + i;
    if (r.total_rate) c.rate = *r.total_rate / static_cast<double>(nb);
    c.duration = rq.duration;
    r.beacons[chosen[i]] = std::move(rb);
  }
  store::run_info info;
  info.name = rq.name.empty() ? (sc.name.empty() ? rq.scenario_name : sc.name) : rq.name;
  info.scenario_name = rq.scenario_name;
  info.scenario_text = rq.scenario_text;
  info.created_at = to_ms(m.now());
  info.manifest["version"] = BTS_INFRA_VERSION;
  info.manifest["seed"] = sc.seed;
  json::array nodes;
  for (const auto& n : sc.nodes) nodes.emplace_back(n.url);
  info.manifest["nodes"] = std::move(nodes);
  if (!watched.empty()) {
    json::array loads;
    for (const auto& w : watched) {
      loads.push_back(
          json::object{{"node", w.node}, {"spec", w.load.to_string()}, {"read_by", "overseer"}});
    }
    info.manifest["node_load"] = std::move(loads);
    r.nodes = std::make_unique<node_watch>(m.io.get_executor(), std::move(watched));
  }
  info.manifest["rate"] = rq.rate     ? load::rate_profile::constant(*rq.rate).describe()
                          : sc.search ? beacon::describe(*sc.search)
                                      : sc.rate.describe();
  if (r.total_rate) info.manifest["total_rate"] = *r.total_rate;
  info.manifest["unlimited"] = r.unlimited;
  if (!rq.duration.empty()) info.manifest["duration"] = rq.duration;
  std::vector<store::beacon_info> binfo;
  for (const auto& [n, rb] : r.beacons) {
    const beacon_entry& e = m.beacons[n];
    store::beacon_info bi;
    bi.name = n;
    bi.info["version"] = e.reg.version;
    bi.info["host"] = e.reg.host;
    bi.info["cores"] = e.reg.cores;
    json::array bn;
    for (const auto& u : rb.cfg.nodes) bn.emplace_back(u);
    bi.info["nodes"] = bn;
    bi.info["rate_share"] = rb.cfg.rate_share;
    bi.info["seed"] = rb.cfg.seed;
    if (rb.cfg.rate) bi.info["rate"] = *rb.cfg.rate;
    binfo.push_back(bi);
    json::object a;
    a["beacon"] = n;
    a["nodes"] = std::move(bn);
    if (rb.cfg.rate) a["rate"] = *rb.cfg.rate;
    assignment.emplace_back(std::move(a));
  }
  const std::string id = m.store->call([&](store::results_store& db) {
    std::string id = db.create_run(info);
    for (const auto& b : binfo) db.put_beacon(id, b);
    return id;
  });
  r.info = info;
  r.info.id = id;
  if (m.opt.on_run) {
    m.store->post([cb = m.opt.on_run, i = r.info, binfo](store::results_store&) { cb(i, binfo); });
  }
  for (auto& [n, rb] : r.beacons) {
    rb.cfg.run = id;
    beacon_entry& e = m.beacons[n];
    e.run = id;
    m.send(e, command{0, rb.cfg});
    m.send(e, command{0, prepare_cmd{id}});
  }
  m.runs.emplace(id, std::move(r));
  m.log("run " + id + " created: " + std::to_string(nb) + " beacons over " + std::to_string(nn) +
        " nodes");
  json::object out;
  out["id"] = id;
  out["status"] = "created";
  out["beacons"] = std::move(assignment);
  return out;
}

json::object overseer::start_run(const std::string& id, std::optional<unix_us> at) {
  impl& m = *impl_;
  std::lock_guard lock(m.mu);
  auto it = m.runs.find(id);
  if (it == m.runs.end()) throw not_found("run \"" + id + "\" not found");
  run_state& r = it->second;
  if (r.finished) throw input_error("run", "run \"" + id + "\" has ended");
  if (r.started) throw input_error("run", "run \"" + id + "\" is already started");
  for (const auto& [n, rb] : r.beacons) {
    if (!m.beacons[n].session)
      throw input_error("beacons", "beacon \"" + n + "\" is not connected");
  }
  const unix_us when = at.value_or(m.now() + m.opt.start_delay.count() * 1000);
  for (const auto& [n, rb] : r.beacons) {
    beacon_entry& e = m.beacons[n];
    start_cmd s{id, when, e.clock.best ? e.clock.best->offset_us : 0};
    m.send(e, command{0, s});
  }
  r.started = true;
  r.info.status = store::run_status::running;
  r.info.started_at = to_ms(when);
  m.store->post(
      [w = m.store.get(), id, when, i = r.info, cb = m.opt.on_run](store::results_store& db) {
        db.start_run(id, to_ms(when));
        if (cb) w->once_committed([cb, i] { cb(i, {}); });
      });
  json::object d;
  d["at"] = store::format_unix_ms(to_ms(when));
  m.add_event(id, store::event_kind::start, "", d);
  json::object out;
  out["id"] = id;
  out["status"] = "running";
  out["start_at"] = store::format_unix_ms(to_ms(when));
  return out;
}

json::object overseer::stop_run(const std::string& id) {
  impl& m = *impl_;
  std::lock_guard lock(m.mu);
  auto it = m.runs.find(id);
  if (it == m.runs.end()) throw not_found("run \"" + id + "\" not found");
  run_state& r = it->second;
  if (r.finished) throw input_error("run", "run \"" + id + "\" has ended");
  r.stop_requested = true;
  for (const auto& [n, rb] : r.beacons) m.send(m.beacons[n], command{0, stop_cmd{id}});
  m.add_event(id, store::event_kind::stop, "", {});
  if (!r.started) {
    r.started = true;
    m.finish(id, r, store::run_status::stopped);
  }
  json::object out;
  out["id"] = id;
  out["status"] = r.finished ? "stopped" : "stopping";
  return out;
}

json::object overseer::change_rate(const std::string& id, double total) {
  impl& m = *impl_;
  if (!(total > 0) || !std::isfinite(total)) throw input_error("rate", "expected a rate > 0");
  std::lock_guard lock(m.mu);
  auto it = m.runs.find(id);
  if (it == m.runs.end()) throw not_found("run \"" + id + "\" not found");
  run_state& r = it->second;
  if (r.finished) throw input_error("run", "run \"" + id + "\" has ended");
  json::object d;
  if (r.total_rate)
    d["from"] = *r.total_rate;
  else
    d["from"] = nullptr;
  d["to"] = total;
  const double per = total / static_cast<double>(r.beacons.size());
  for (auto& [n, rb] : r.beacons) {
    rb.cfg.rate = per;
    m.send(m.beacons[n], command{0, change_rate_cmd{id, per}});
  }
  r.total_rate = total;
  r.unlimited = false;
  m.add_event(id, store::event_kind::rate_change, "", d);
  json::object out;
  out["id"] = id;
  out["rate"] = total;
  out["per_beacon"] = per;
  return out;
}

json::array overseer::beacons_json() const {
  const impl& m = *impl_;
  std::lock_guard lock(m.mu);
  const unix_us t = m.now();
  json::array out;
  for (const auto& [n, b] : m.beacons) {
    json::object o;
    o["name"] = n;
    o["connection"] = b.session ? "connected" : "lost";
    o["state"] = name(b.state);
    o["run"] = b.run;
    o["last_second"] = b.last_second;
    if (b.rate)
      o["rate"] = *b.rate;
    else
      o["rate"] = nullptr;
    o["version"] = b.reg.version;
    o["host"] = b.reg.host;
    o["cores"] = b.reg.cores;
    o["remote"] = b.remote;
    o["connections"] = b.connections;
    o["losses"] = b.losses;
    o["last_seen_ms_ago"] = b.last_seen ? (t - b.last_seen) / 1000 : -1;
    if (b.clock.best) {
      o["clock_offset_us"] = b.clock.best->offset_us;
      o["clock_delay_us"] = b.clock.best->delay_us;
    } else {
      o["clock_offset_us"] = nullptr;
      o["clock_delay_us"] = nullptr;
    }
    o["pending_commands"] = b.pending.size();
    if (!b.error.empty()) o["error"] = b.error;
    if (!b.last_command_error.empty()) o["last_command_error"] = b.last_command_error;
    out.emplace_back(std::move(o));
  }
  return out;
}

namespace {
json::object info_json(const store::run_info& i) {
  json::object o;
  o["id"] = i.id;
  o["name"] = i.name;
  o["scenario_name"] = i.scenario_name;
  o["status"] = store::name(i.status);
  o["created_at"] = store::format_unix_ms(i.created_at);
  o["started_at"] = i.started_at ? json::value(store::format_unix_ms(*i.started_at)) : nullptr;
  o["ended_at"] = i.ended_at ? json::value(store::format_unix_ms(*i.ended_at)) : nullptr;
  return o;
}
}  // namespace

json::object overseer::run_json(const std::string& id) const {
  const impl& m = *impl_;
  {
    std::lock_guard lock(m.mu);
    auto it = m.runs.find(id);
    if (it != m.runs.end()) {
      const run_state& r = it->second;
      json::object o = info_json(r.info);
      o["merged_up_to"] = r.merged_upto;
      if (r.total_rate)
        o["rate"] = *r.total_rate;
      else
        o["rate"] = nullptr;
      o["stop_requested"] = r.stop_requested;
      json::array bs;
      for (const auto& [n, rb] : r.beacons) {
        json::object b;
        b["name"] = n;
        auto e = m.beacons.find(n);
        b["connection"] = e != m.beacons.end() && e->second.session ? "connected" : "lost";
        b["state"] = e != m.beacons.end() ? name(e->second.state) : "idle";
        b["stored_second"] = rb.reported;
        b["finished"] = rb.finished;
        json::array nodes;
        for (const auto& u : rb.cfg.nodes) nodes.emplace_back(u);
        b["nodes"] = std::move(nodes);
        if (rb.cfg.rate) b["rate"] = *rb.cfg.rate;
        bs.emplace_back(std::move(b));
      }
      o["beacons"] = std::move(bs);
      if (!r.finished) return o;
    }
  }
  // Ended runs (and runs of earlier overseers) come from the store.
  std::lock_guard lock(m.reader_mu);
  store::results_store::run_head rec;
  try {
    rec = m.open_reader().load_run_head(id);
  } catch (const input_error&) {
    throw not_found("run \"" + id + "\" not found");
  }
  json::object o = info_json(rec.info);
  o["merged_up_to"] = rec.merged_up_to.value_or(-1);
  json::array bs;
  for (const auto& b : rec.beacons) bs.emplace_back(store::to_json(b));
  o["beacons"] = std::move(bs);
  if (rec.summary) o["summary"] = *rec.summary;
  return o;
}

json::array overseer::runs_json() const {
  const impl& m = *impl_;
  std::vector<store::run_info> list;
  {
    std::lock_guard lock(m.reader_mu);
    if (!m.reader)
      m.reader = std::make_unique<store::results_store>(m.store_path,
                                                        store::results_store::mode::read_only);
    list = m.reader->list_runs();
  }
  json::array out;
  std::lock_guard lock(m.mu);
  for (auto& i : list) {
    auto it = m.runs.find(i.id);
    if (it != m.runs.end() && !it->second.finished) i.status = it->second.info.status;
    out.emplace_back(info_json(i));
  }
  return out;
}

json::array overseer::series_json(const std::string& id, const std::string& beacon,
                                  std::int64_t from) const {
  const impl& m = *impl_;
  std::lock_guard lock(m.reader_mu);
  std::optional<std::vector<stats::second_row>> rows;
  try {
    rows = m.open_reader().load_seconds(id, beacon, from);
  } catch (const input_error&) {
    throw not_found("run \"" + id + "\" not found");
  }
  json::array out;
  if (!rows) {
    if (!beacon.empty()) throw not_found("run \"" + id + "\" has no beacon \"" + beacon + "\"");
    return out;
  }
  out.reserve(rows->size());
  for (const auto& row : *rows) out.emplace_back(stats::to_json(row));
  return out;
}

json::array overseer::blocks_json(const std::string& id, std::int64_t from) const {
  const impl& m = *impl_;
  std::lock_guard lock(m.reader_mu);
  std::vector<store::block_record> blocks;
  try {
    blocks = m.open_reader().load_blocks(id, from);
  } catch (const input_error&) {
    throw not_found("run \"" + id + "\" not found");
  }
  json::array out;
  out.reserve(blocks.size());
  for (const auto& b : blocks) out.emplace_back(store::to_json(b));
  return out;
}

json::object overseer::cumulative_json(const std::string& id) const {
  const impl& m = *impl_;
  std::lock_guard lock(m.reader_mu);
  store::results_store::scope_cumulative c;
  try {
    c = m.open_reader().load_cumulative(id, store::results_store::merged);
  } catch (const input_error&) {
    throw not_found("run \"" + id + "\" not found");
  }
  json::object out;
  out["merged_up_to"] = c.last_second.value_or(-1);
  json::object h;
  for (auto k : stats::all_latency_kinds) {
    const std::string& e = c.histograms[static_cast<std::size_t>(k)];
    if (!e.empty()) h[stats::name(k)] = e;
  }
  out["histograms"] = std::move(h);
  return out;
}

}  // namespace bts::overseer
