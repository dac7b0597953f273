// The overseer's wiring (the rooms: detail/core.hpp, control_session, run_merger, plan_run,
// http_api), its operations and its snapshots.
#include "overseer/overseer.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cmath>
#include <set>
#include <thread>

#include "overseer/control_session.hpp"
#include "overseer/detail/core.hpp"
#include "overseer/detail/scrape_state.hpp"
#include "overseer/http_api.hpp"
#include "overseer/plan_run.hpp"
#include "overseer/run_merger.hpp"
#include "rpc/server.hpp"
#include "scenario/scenario.hpp"
#include "stats/json_io.hpp"
#include "store/results_store.hpp"
#include "util/error.hpp"

namespace bts::overseer {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace control;  // the protocol's messages and commands
using detail::beacon_entry;
using detail::not_found;
using detail::run_beacon;
using detail::run_state;
using detail::to_ms;

struct overseer::impl : detail::core {
  run_merger merger{*this};
  std::unique_ptr<http_api> api;
  std::unique_ptr<rpc::server> server;
  std::unique_ptr<asio::steady_timer> tick;
  std::thread io_thread;
  bool stopped = false;  // guarded by mu
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

  // The fleet as plan_run sees it. REQUIRES: mu held.
  std::vector<fleet_beacon> fleet() const {
    std::set<std::string> busy;
    for (const auto& [id, r] : runs) {
      if (r.finished) continue;
      for (const auto& [n, rb] : r.beacons) busy.insert(n);
    }
    std::vector<fleet_beacon> out;
    for (const auto& [n, b] : beacons) {
      out.push_back({n, b.session != nullptr, busy.count(n) > 0, b.reg.version, b.reg.host,
                     b.reg.cores});
    }
    return out;
  }

  // Every 250 ms: silent beacons are disconnected, clocks pinged, runs merged and ended.
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
    merger.tick();
  }

  void schedule_tick() {
    tick->expires_after(std::chrono::milliseconds(250));
    tick->async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      on_tick();
      schedule_tick();
    });
  }

  // The run `id`, not ended. REQUIRES: mu held.
  run_state& open_run(const std::string& id) {
    auto it = runs.find(id);
    if (it == runs.end()) throw not_found("run \"" + id + "\" not found");
    if (it->second.finished) throw input_error("run", "run \"" + id + "\" has ended");
    return it->second;
  }
};

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
  m.merger.restore();
  m.api = std::make_unique<http_api>(*this, m);

  rpc::server_options so;
  so.host = m.opt.host;
  so.port = m.opt.port;
  so.tls = m.opt.tls;
  so.max_in_flight_per_session = 64;
  impl* p = impl_.get();
  so.handler = [p](std::shared_ptr<rpc::session> s, rpc::rpc_request r) {
    return control_session::handle(*p, p->merger, std::move(s), std::move(r));
  };
  so.on_close = [](rpc::session& s) { control_session::closed(s); };
  so.post_to_http = [](const rpc::http_request_info&) { return true; };
  so.http_async = [p](rpc::http_request_info r, rpc::http_responder respond) {
    p->api->serve(std::move(r), std::move(respond));
  };
  so.authenticate = [p](const rpc::http_request_info& r) { return p->api->authenticate(r); };
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
  m.api->stop();  // API calls in progress may still write to the store
  m.store->stop();
}

detail::scrape_state& overseer::scrape_state() const { return impl_->scrape; }

void overseer::flush() {
  impl_->store->call([](store::results_store&) {});
}

// ---- operations -------------------------------------------------------------------------------

json::object overseer::create_run(const run_request& rq) {
  impl& m = *impl_;
  scenarios::scenario sc = scenarios::parse_scenario(rq.scenario_text, rq.scenario_name);
  if (sc.nodes.empty()) {
    throw input_error("scenario.nodes", "a fleet run needs at least one node");
  }
  if (!rq.duration.empty()) load::parse_duration(rq.duration, "duration");
  // Without any lock: reading each node_load source once may take a few seconds.
  std::vector<monitor::named_source> watched = scenarios::node_load_sources(sc, true);
  // From planning to the run in `runs`: no other creation may pick the same beacons.
  std::lock_guard creating(m.create_mu);
  run_plan plan = [&] {
    std::lock_guard lock(m.mu);
    return plan_run(rq, sc, m.fleet(), watched);
  }();
  plan.info.created_at = to_ms(m.now());
  // The store commit waits for the store thread: mu is not held, beacon traffic goes on.
  const std::string id = m.store->call([&](store::results_store& db) {
    std::string id = db.create_run(plan.info);
    for (const auto& b : plan.beacons) db.put_beacon(id, b.info);
    return id;
  });
  run_state r;
  r.info = plan.info;
  r.info.id = id;
  r.total_rate = plan.total_rate;
  r.unlimited = plan.unlimited;
  std::vector<store::beacon_info> binfo;
  for (auto& b : plan.beacons) {
    b.cfg.run = id;
    r.beacons[b.name].cfg = b.cfg;
    binfo.push_back(b.info);
  }
  if (!watched.empty()) {
    r.nodes = std::make_unique<monitor::node_load_watch>(m.io.get_executor(), std::move(watched));
  }
  if (m.opt.on_run) {
    m.store->post([cb = m.opt.on_run, i = r.info, binfo](store::results_store&) { cb(i, binfo); });
  }
  {
    std::lock_guard lock(m.mu);
    for (const auto& b : plan.beacons) {
      beacon_entry& e = m.beacons[b.name];
      e.run = id;
      m.send(e, command{0, b.cfg});
      m.send(e, command{0, prepare_cmd{id}});
    }
    m.runs.emplace(id, std::move(r));
  }
  m.log("run " + id + " created: " + std::to_string(plan.beacons.size()) + " beacons over " +
        std::to_string(sc.nodes.size()) + " nodes");
  json::object out;
  out["id"] = id;
  out["status"] = "created";
  out["beacons"] = std::move(plan.assignment);
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
  run_state& r = m.open_run(id);
  r.stop_requested = true;
  for (const auto& [n, rb] : r.beacons) m.send(m.beacons[n], command{0, stop_cmd{id}});
  m.add_event(id, store::event_kind::stop, "", {});
  if (!r.started) {
    r.started = true;
    m.merger.finish(id, r, store::run_status::stopped);
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
  run_state& r = m.open_run(id);
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

// ---- snapshots --------------------------------------------------------------------------------

namespace {

json::object beacon_json(const std::string& n, const beacon_entry& b, unix_us t) {
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
  return o;
}

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

// A run still in memory. REQUIRES: the fleet's mu held.
json::object live_run_json(const run_state& r,
                           const std::map<std::string, beacon_entry>& beacons) {
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
    auto e = beacons.find(n);
    b["connection"] = e != beacons.end() && e->second.session ? "connected" : "lost";
    b["state"] = e != beacons.end() ? name(e->second.state) : "idle";
    b["stored_second"] = rb.reported;
    b["finished"] = rb.finished;
    json::array nodes;
    for (const auto& u : rb.cfg.nodes) nodes.emplace_back(u);
    b["nodes"] = std::move(nodes);
    if (rb.cfg.rate) b["rate"] = *rb.cfg.rate;
    bs.emplace_back(std::move(b));
  }
  o["beacons"] = std::move(bs);
  return o;
}

}  // namespace

json::array overseer::beacons_json() const {
  const impl& m = *impl_;
  std::lock_guard lock(m.mu);
  const unix_us t = m.now();
  json::array out;
  for (const auto& [n, b] : m.beacons) out.emplace_back(beacon_json(n, b, t));
  return out;
}

json::object overseer::run_json(const std::string& id) const {
  const impl& m = *impl_;
  {
    std::lock_guard lock(m.mu);
    auto it = m.runs.find(id);
    if (it != m.runs.end() && !it->second.finished) return live_run_json(it->second, m.beacons);
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
    list = m.open_reader().list_runs();
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
