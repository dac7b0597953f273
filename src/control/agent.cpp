#include "control/agent.hpp"

#include <unistd.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <cmath>
#include <deque>
#include <iostream>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "scenario/scenario.hpp"
#include "rpc/client.hpp"
#include "rpc/url.hpp"
#include "util/error.hpp"

namespace bts::control {

namespace asio = boost::asio;
namespace json = boost::json;

// The scenario a configure command describes: its text with the overseer's assignment on top.
scenarios::scenario assigned_scenario(const configure_cmd& cfg) {
  scenarios::scenario sc = scenarios::parse_scenario(cfg.scenario_text, cfg.scenario_name);
  // A node whose node_load the scenario names is read by the overseer (monitor/node_load_watch.hpp), not
  // again by each beacon; the others keep the beacon's default (the node's own /metrics).
  std::set<std::string> read_by_overseer;
  for (const auto& w : scenarios::node_load_sources(sc, false)) read_by_overseer.insert(w.node);
  sc.nodes.clear();
  for (const auto& n : cfg.nodes) {
    scenarios::node_endpoint e;
    e.url = n;
    if (read_by_overseer.count(n)) e.node_load = "none";
    sc.nodes.push_back(std::move(e));
  }
  if (cfg.rate) {
    sc.rate = load::rate_profile::constant(*cfg.rate);
    sc.search.reset();
  } else if (sc.search) {
    // Each of the run's beacons searches its share of the rates.
    sc.search->start *= cfg.rate_share;
    sc.search->step *= cfg.rate_share;
    sc.search->max *= cfg.rate_share;
    sc.rate = load::rate_profile::constant(sc.search->start);
  } else if (sc.rate.type() == load::rate_profile::kind::constant) {
    sc.rate = load::rate_profile::constant(sc.rate.rate_at({}) * cfg.rate_share);
  }
  if (!cfg.duration.empty()) {
    sc.duration = load::parse_duration(cfg.duration, "configure.duration");
    sc.count.reset();
  }
  sc.seed = cfg.seed;
  if (cfg.ignore_fee_budget) sc.ignore_fee_budget = true;
  if (!sc.duration && !sc.count && !sc.rate.length() && !sc.search)
    sc.duration = std::chrono::seconds(30);
  return sc;
}

namespace {

// ---- simulated load -----------------------------------------------------------------------

class simulated_runner_impl final : public load_runner,
                                    public std::enable_shared_from_this<simulated_runner_impl> {
 public:
  simulated_runner_impl(const configure_cmd& cfg, asio::any_io_executor ex,
                        simulated_load_options o)
      : state_(std::make_shared<shared>(ex)) {
    scenarios::scenario sc = assigned_scenario(cfg);
    state_->opt = o;
    state_->rate = sc.rate.is_unlimited() ? 1000 : sc.rate.rate_at({});
    state_->rows =
        sc.duration ? static_cast<std::int64_t>(std::chrono::duration<double>(*sc.duration).count())
                    : -1;
    state_->rng.seed(cfg.seed);
  }
  ~simulated_runner_impl() override { stop(); }

  void start(runner_callbacks cb) override {
    std::lock_guard lock(state_->mu);
    state_->cb = std::move(cb);
    state_->start = std::chrono::steady_clock::now();
    schedule(state_, 0);
  }
  void stop() override {
    auto s = state_;
    asio::post(s->timer.get_executor(), [s] { s->finish(); });
  }
  bool set_rate(double r) override {
    std::lock_guard lock(state_->mu);
    state_->rate = r;
    return true;
  }
  std::optional<double> rate() const override {
    std::lock_guard lock(state_->mu);
    return state_->rate;
  }

 private:
  struct shared {
    explicit shared(asio::any_io_executor ex) : timer(ex) {}
    asio::steady_timer timer;
    mutable std::mutex mu;
    simulated_load_options opt;
    double rate = 0;
    std::int64_t rows = -1;
    std::int64_t next = 0;
    double carry = 0;
    bool done = false;
    std::mt19937_64 rng;
    // The second's histograms, reset each tick: a fresh set is about 1 MB to allocate and fault
    // in, which with 200 simulated beacons in one process (bench/overseer_bench) was most of its
    // CPU.
    std::unique_ptr<stats::latency_set> window = std::make_unique<stats::latency_set>();
    runner_callbacks cb;
    std::chrono::steady_clock::time_point start;
    void finish() {
      std::function<void(std::string)> done_cb;
      {
        std::lock_guard lock(mu);
        if (done) return;
        done = true;
        timer.cancel();
        done_cb = cb.on_done;
      }
      if (done_cb) done_cb("");
    }
  };

  static void schedule(const std::shared_ptr<shared>& s, std::int64_t n) {
    s->timer.expires_at(s->start + s->opt.second_length * (n + 1));
    s->timer.async_wait([s](boost::system::error_code ec) {
      if (ec) return;
      tick(s);
    });
  }

  static void tick(const std::shared_ptr<shared>& s) {
    stats::second_row row;
    std::function<void(stats::second_row)> on_second;
    bool last = false;
    {
      std::lock_guard lock(s->mu);
      if (s->done) return;
      row.second = s->next++;
      s->carry += s->rate;
      const std::int64_t n = static_cast<std::int64_t>(std::floor(s->carry));
      s->carry -= static_cast<double>(n);
      row.offered = row.sent = row.accepted = row.included = n;
      row.ops_sent = row.ops_included = n;
      row.bytes_sent = n * 150;
      row.pool_depth = 1000;
      row.beacon_cpu_percent = 1.5;
      row.send_cpu_percent = 0.5;
      stats::latency_set& w = *s->window;
      w.reset();
      std::lognormal_distribution<double> lat(std::log(s->opt.latency_ms * 1000.0), 0.3);
      for (std::int64_t i = 0; i < n; ++i) {
        const auto ack = static_cast<std::int64_t>(lat(s->rng));
        w[stats::latency_kind::schedule_lag].record(50);
        w[stats::latency_kind::ack_corrected].record(ack + 50);
        w[stats::latency_kind::ack_uncorrected].record(ack);
        w[stats::latency_kind::inclusion_corrected].record(ack * 10 + 50);
        w[stats::latency_kind::inclusion_uncorrected].record(ack * 10);
      }
      row.set_latency(w);
      on_second = s->cb.on_second;
      last = s->rows >= 0 && s->next >= s->rows;
    }
    if (on_second) on_second(std::move(row));
    if (last)
      s->finish();
    else
      schedule(s, s->next);
  }

  std::shared_ptr<shared> state_;
};

std::string default_host() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

}  // namespace

runner_factory simulated_runner(simulated_load_options options) {
  return [options](const configure_cmd& cfg, asio::any_io_executor ex) {
    return std::unique_ptr<load_runner>(new simulated_runner_impl(cfg, ex, options));
  };
}

// ---- agent --------------------------------------------------------------------------------

struct agent::impl : std::enable_shared_from_this<agent::impl> {
  agent_options opt;
  asio::any_io_executor ex;
  std::optional<rpc::client> client;
  std::uint64_t commands_id = 0;
  asio::steady_timer heartbeat;
  asio::steady_timer start_timer;

  mutable std::mutex mu;
  beacon_state state = beacon_state::idle;
  std::string run;
  std::string error;
  std::int64_t last_second = -1;
  std::int64_t acked_second = -1;
  std::deque<stats::second_row> unacked;
  std::deque<event_msg> events;  // run events not yet sent
  std::vector<store::block_record> blocks;
  bool sending = false;
  bool closed = false;
  unsigned registrations = 0;
  std::unique_ptr<load_runner> runner;
  std::uint64_t generation = 0;  // bumped by configure: callbacks of older runners are ignored

  impl(asio::any_io_executor e, agent_options o)
      : opt(std::move(o)), ex(e), heartbeat(e), start_timer(e) {}

  unix_us now() const { return opt.now ? opt.now() : now_unix_us(); }
  void log(const std::string& l) const {
    if (opt.log)
      opt.log(l);
    else
      std::cerr << "beacon " << opt.name << ": " << l << "\n";
  }

  register_msg make_register() {
    std::lock_guard lock(mu);
    register_msg r;
    r.name = opt.name;
    r.version = opt.version;
    r.host = opt.host;
    r.cores = opt.cores;
    r.commands = commands_id;
    r.state = state;
    r.run = run;
    r.last_second = last_second;
    return r;
  }

  json::array body(const beacon_message& m) {
    json::array a;
    a.emplace_back(to_json(m));
    return a;
  }

  void call(const beacon_message& m, std::function<void(rpc::call_result)> done = {}) {
    if (!client) return;
    client->async_call(control_api, message_type(m), body(m),
                       [done = std::move(done)](rpc::call_result r) {
                         if (done) done(std::move(r));
                       });
  }

  void ack(std::uint64_t id, const std::string& err) {
    ack_msg a;
    a.command = id;
    a.ok = err.empty();
    a.error = err;
    call(a);
  }

  // Sends the run's events (fire and forget, in order), then the oldest unacknowledged rows,
  // one message at a time.
  void flush() {
    std::deque<event_msg> ev;
    {
      std::lock_guard lock(mu);
      if (!closed && client && client->connected()) ev.swap(events);
    }
    for (const auto& e : ev) call(e);
    stats_msg m;
    {
      std::lock_guard lock(mu);
      if (closed || sending || !client || !client->connected()) return;
      if (unacked.empty() && blocks.empty()) return;
      m.run = run;
      for (std::size_t i = 0; i < unacked.size() && i < opt.max_rows_per_message; ++i) {
        m.rows.push_back(unacked[i]);
      }
      m.blocks = blocks;
      sending = true;
    }
    const std::int64_t upto = m.rows.empty() ? -1 : m.rows.back().second;
    const std::size_t nblocks = m.blocks.size();
    std::weak_ptr<impl> w = weak_from_this();
    call(m, [w, upto, nblocks](rpc::call_result r) {
      auto self = w.lock();
      if (!self) return;
      bool again = false;
      {
        std::lock_guard lock(self->mu);
        self->sending = false;
        if (r.ok() || r.error().kind == rpc::error_kind::server) {
          if (!r.ok()) {
            // The overseer refused the rows (e.g. it no longer knows the run): keeping them
            // would resend them forever.
            self->log("stats refused, dropped: " + r.error().message);
          }
          while (!self->unacked.empty() && self->unacked.front().second <= upto) {
            self->unacked.pop_front();
          }
          self->acked_second = std::max(self->acked_second, upto);
          self->blocks.erase(self->blocks.begin(),
                             self->blocks.begin() + static_cast<std::ptrdiff_t>(
                                                        std::min(nblocks, self->blocks.size())));
          again = !self->unacked.empty() || !self->blocks.empty();
        }
      }
      if (again) self->flush();
    });
  }

  void send_heartbeat() {
    heartbeat_msg h;
    {
      std::lock_guard lock(mu);
      if (closed) return;
      h.state = state;
      h.run = run;
      h.last_second = last_second;
      h.error = error;
      if (runner) h.rate = runner->rate();
    }
    if (client && client->connected()) call(h);
  }

  void schedule_heartbeat() {
    heartbeat.expires_after(opt.heartbeat_interval);
    std::weak_ptr<impl> w = weak_from_this();
    heartbeat.async_wait([w](boost::system::error_code ec) {
      auto self = w.lock();
      if (ec || !self) return;
      self->send_heartbeat();
      self->flush();
      self->schedule_heartbeat();
    });
  }

  void begin_run(std::uint64_t gen) {
    std::weak_ptr<impl> w = weak_from_this();
    runner_callbacks cb;
    cb.on_second = [w, gen](stats::second_row row) {
      auto self = w.lock();
      if (!self) return;
      {
        std::lock_guard lock(self->mu);
        if (gen != self->generation) return;
        self->last_second = row.second;
        self->unacked.push_back(std::move(row));
      }
      asio::post(self->ex, [self] { self->flush(); });
    };
    cb.on_block = [w, gen](store::block_record b) {
      auto self = w.lock();
      if (!self) return;
      std::lock_guard lock(self->mu);
      if (gen == self->generation) self->blocks.push_back(std::move(b));
    };
    cb.on_event = [w, gen](store::event e) {
      auto self = w.lock();
      if (!self) return;
      {
        std::lock_guard lock(self->mu);
        if (gen != self->generation) return;
        event_msg m;
        m.run = self->run;
        m.time = static_cast<unix_us>(e.time) * 1000;
        m.kind = e.kind;
        m.data = std::move(e.data);
        // Kept while disconnected (bounded), sent in order by flush().
        if (self->events.size() < 10'000) self->events.push_back(std::move(m));
      }
      asio::post(self->ex, [self] { self->flush(); });
    };
    cb.on_done = [w, gen](std::string err) {
      auto self = w.lock();
      if (!self) return;
      {
        std::lock_guard lock(self->mu);
        if (gen != self->generation) return;
        self->state = err.empty() ? beacon_state::finished : beacon_state::failed;
        self->error = err;
      }
      if (!err.empty()) self->log("run failed: " + err);
      asio::post(self->ex, [self] {
        self->flush();
        self->send_heartbeat();
      });
    };
    std::lock_guard lock(mu);
    if (gen != generation || !runner || state != beacon_state::prepared) return;
    state = beacon_state::running;
    runner->start(std::move(cb));
  }

  void on_command(const json::array& args) {
    command c;
    try {
      if (args.size() != 1) throw input_error("command", "expected one command object");
      c = parse_command(args[0]);
    } catch (const input_error& e) {
      std::uint64_t id = 0;
      if (!args.empty() && args[0].is_object()) {
        if (auto* v = args[0].as_object().if_contains("id"); v && v->is_uint64())
          id = v->as_uint64();
        else if (v && v->is_int64() && v->as_int64() >= 0)
          id = static_cast<std::uint64_t>(v->as_int64());
      }
      log(std::string("bad command: ") + e.what());
      ack(id, e.what());
      return;
    }
    if (opt.on_command) opt.on_command(c);
    if (auto* p = std::get_if<ping_cmd>(&c.body)) {
      pong_msg pong;
      pong.command = c.id;
      pong.t0 = p->t0;
      pong.t1 = now();
      pong.t2 = now();
      call(pong);
      return;
    }
    std::string err;
    try {
      err = apply(c);
    } catch (const input_error& e) {
      err = e.what();
    }
    ack(c.id, err);
    send_heartbeat();
  }

  // Returns an error for the ack, or empty.
  std::string apply(const command& c) {
    std::unique_lock lock(mu);
    if (auto* cf = std::get_if<configure_cmd>(&c.body)) {
      if (state == beacon_state::running) return "busy: running run " + run;
      lock.unlock();
      std::unique_ptr<load_runner> r = opt.make_runner(*cf, ex);  // throws input_error
      lock.lock();
      std::unique_ptr<load_runner> old = std::move(runner);
      runner = std::move(r);
      ++generation;
      run = cf->run;
      state = beacon_state::configured;
      error.clear();
      last_second = -1;
      acked_second = -1;
      unacked.clear();
      blocks.clear();
      lock.unlock();
      old.reset();
      return {};
    }
    auto run_of = [](const command& c) -> std::string {
      return std::visit(
          [](const auto& b) -> std::string {
            if constexpr (requires { b.run; })
              return b.run;
            else
              return {};
          },
          c.body);
    };
    if (run_of(c) != run || !runner) {
      return std::string(command_type(c)) + ": this beacon is not configured for run \"" +
             run_of(c) + "\"";
    }
    if (std::holds_alternative<prepare_cmd>(c.body)) {
      if (state != beacon_state::configured && state != beacon_state::prepared) {
        return "prepare: beacon is " + std::string(name(state));
      }
      runner->prepare();
      state = beacon_state::prepared;
      return {};
    }
    if (auto* s = std::get_if<start_cmd>(&c.body)) {
      if (state != beacon_state::prepared) return "start: beacon is " + std::string(name(state));
      const unix_us local = s->at + s->clock_offset_us;
      const unix_us wait = std::max<unix_us>(0, local - now());
      const std::uint64_t gen = generation;
      start_timer.expires_after(std::chrono::microseconds(wait));
      std::weak_ptr<impl> w = weak_from_this();
      start_timer.async_wait([w, gen](boost::system::error_code ec) {
        auto self = w.lock();
        if (ec || !self) return;
        self->begin_run(gen);
      });
      return {};
    }
    if (std::holds_alternative<stop_cmd>(c.body)) {
      if (state == beacon_state::running) {
        runner->stop();
      } else if (state == beacon_state::configured || state == beacon_state::prepared) {
        start_timer.cancel();
        state = beacon_state::finished;
      }
      return {};
    }
    if (auto* r = std::get_if<change_rate_cmd>(&c.body)) {
      if (!runner->set_rate(r->rate)) {
        return "change_rate: this beacon cannot change its rate while running";
      }
      return {};
    }
    return "unsupported command";
  }
};

agent::agent(asio::any_io_executor executor, agent_options options)
    : impl_(std::make_shared<impl>(executor, std::move(options))) {
  impl& m = *impl_;
  store::check_beacon_name(m.opt.name, "--name");
  if (m.opt.host.empty()) m.opt.host = default_host();
  if (m.opt.version.empty()) m.opt.version = BTS_INFRA_VERSION;
  if (m.opt.cores == 0) m.opt.cores = std::max(1u, std::thread::hardware_concurrency());
  if (!m.opt.make_runner) throw input_error("agent", "no runner factory");
  rpc::url u = rpc::parse_url(m.opt.overseer);
  if (!u.websocket()) {
    throw input_error("--overseer",
                      "expected a ws:// or wss:// URL, got \"" + m.opt.overseer + "\"");
  }
  if (u.target == "/") u.target = control_path;
  rpc::client_options co;
  co.url = u.to_string();
  co.tls = m.opt.tls;
  co.call_timeout = std::chrono::seconds(15);
  co.connect_timeout = std::chrono::seconds(5);
  co.idle_timeout = std::chrono::seconds(20);
  co.backoff.initial = std::chrono::milliseconds(100);
  co.backoff.max = std::chrono::seconds(2);
  co.headers.emplace_back("Authorization", "Bearer " + m.opt.token);
  m.client.emplace(executor, co);
  m.commands_id = m.client->reserve_id();
  std::weak_ptr<impl> w = impl_;
  m.client->subscribe(m.commands_id, [w](json::array args) {
    if (auto self = w.lock()) self->on_command(args);
  });
  m.client->on_connect([w](rpc::client& c) -> asio::awaitable<void> {
    auto self = w.lock();
    if (!self) co_return;
    json::array args = self->body(self->make_register());
    rpc::call_result r = co_await c.call(control_api, "register", std::move(args));
    if (!r.ok()) {
      self->log("register refused: " + r.error().message);
      r.value();  // throws: the connection fails and is retried
    }
    {
      std::lock_guard lock(self->mu);
      ++self->registrations;
      self->sending = false;  // calls in flight when it dropped failed; send again
    }
    asio::post(self->ex, [self] { self->flush(); });
  });
}

agent::~agent() { close(); }

void agent::start() {
  impl_->client->start();
  impl_->schedule_heartbeat();
}

void agent::close() {
  std::unique_ptr<load_runner> r;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->closed) return;
    impl_->closed = true;
    r = std::move(impl_->runner);
    ++impl_->generation;
  }
  if (r) r->stop();
  r.reset();
  auto m = impl_;
  asio::post(m->ex, [m] {
    m->heartbeat.cancel();
    m->start_timer.cancel();
  });
  impl_->client->close();
}

agent::status agent::get_status() const {
  std::lock_guard lock(impl_->mu);
  status s;
  s.connected = impl_->client && impl_->client->connected();
  s.state = impl_->state;
  s.run = impl_->run;
  s.last_second = impl_->last_second;
  s.acked_second = impl_->acked_second;
  s.unacked = impl_->unacked.size();
  s.registrations = impl_->registrations;
  s.error = impl_->error;
  return s;
}

}  // namespace bts::control
