// The beacon's wiring: one run's parts, its two threads, and the send thread's event loop.
// The parts (each with its own header): run_setup (chain facts read before the run),
// presign_pool (signers), send_loop (the hot path) over broadcaster (the wire),
// rate_searcher (a search over the schedule), inclusion_tracker (blocks, matching, orders),
// propagation_watch (all_nodes), node_load_sampling, head_sampling, run_gauges (per-second gauges)
// and run_result (the result). beacon.hpp has the contract.
#include "beacon/beacon.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "beacon/broadcaster.hpp"
#include "beacon/factory.hpp"
#include "beacon/head_sampling.hpp"
#include "beacon/inclusion_tracker.hpp"
#include "beacon/node_load_sampling.hpp"
#include "beacon/output_queue.hpp"
#include "beacon/presign_pool.hpp"
#include "beacon/propagation_watch.hpp"
#include "beacon/rate_searcher.hpp"
#include "beacon/recorder.hpp"
#include "beacon/run_gauges.hpp"
#include "beacon/run_result.hpp"
#include "beacon/run_setup.hpp"
#include "beacon/send_loop.hpp"
#include "load/sequencer.hpp"
#include "util/error.hpp"

namespace bts::beacon {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

// The send thread's door for set_rate: `sink` posts to it while the schedule can change.
struct beacon::control {
  std::mutex mu;
  std::function<void(double)> sink;
  std::optional<double> pending;  // set before the send thread took commands
};

namespace {

// The beacon's timers wait on the steady clock for the clock's time points.
std::chrono::steady_clock::time_point to_steady(load::clock::time_point t) {
  return std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(t.time_since_epoch()));
}

json::value rate_json(std::optional<double> r) {
  return r ? json::value(*r) : json::value("unlimited");
}

// Wakes run()'s thread when a connection's on_connect hook finished.
struct connect_signal {
  std::mutex mu;
  std::condition_variable cv;
  void notify() {
    { std::lock_guard lock(mu); }
    cv.notify_all();
  }
};

// One run: owns the parts and drives them from the send thread (io_); the watcher's thread
// (watch_io_) runs the inclusion watcher, the propagation watch, the node-load samplers and
// the head sampling.
class runner {
 public:
  runner(const beacon_options& o, std::atomic<int>& stop_requests, run_setup s,
         std::shared_ptr<beacon::control> control)
      : o_(o),
        stop_requests_(stop_requests),
        control_(std::move(control)),
        setup_(std::move(s)),
        clock_(o.clock != nullptr ? *o.clock : load::real_clock()),
        seq_(clock_, o.sc.rate, {std::max<std::size_t>(1, o.sc.max_in_flight)}),
        rec_(clock_.now()),
        factory_(factory_config_of(o, setup_), head_, orders_, ids_),
        pool_options_(presign_options_of(o)),
        pool_(factory_, pool_options_, clock_),
        bc_(io_.get_executor(), o.sc.nodes,
            {o.call_timeout, o.connect_timeout, o.sc.broadcast_with_callback, o.sc.spread},
            [this](const json::array& args) { tracker_.on_inclusion_notice(args); }),
        tracker_(io_.get_executor(), watch_io_.get_executor(), clock_, rec_, orders_,
                 setup_.accounts,
                 {o.sc.nodes.front().url, o.call_timeout, o.connect_timeout,
                  setup_.head.head_block_number, setup_.parameters.maximum_block_size},
                 {[this](const sent_record& r, load::clock::time_point at) {
                    if (search_) search_->on_included(r.intended, at);
                  },
                  [this](store::block_record b) {
                    if (o_.on_block) out_.post([this, b = std::move(b)] { o_.on_block(b); });
                  }}),
        propagation_(watch_io_.get_executor(), o.call_timeout, o.connect_timeout, o.sc.propagation),
        heads_(watch_io_.get_executor(), o.call_timeout, o.connect_timeout),
        gauges_(clock_, seq_, pool_, bc_, node_load_, o.sc.count),
        out_(std::max<std::size_t>(1, o.output_queue_capacity)) {
    head_.set(setup_.head, clock_.now().time_since_epoch().count());
    if (o.sc.search) {
      search_.emplace(*o.sc.search, o.sc.thresholds, o.sc.max_in_flight,
                      rate_searcher::default_settle(*o.sc.search, setup_.parameters.block_interval),
                      clock_, seq_, search_hooks());
    }
    std::lock_guard lock(control_->mu);
    control_->sink = [this](double r) { asio::post(io_, [this, r] { apply_rate(r); }); };
  }

  ~runner() {
    std::lock_guard lock(control_->mu);
    control_->sink = nullptr;
  }

  beacon_result run() {
    pool_.start();
    node_load_.check(o_.sc.nodes);  // while the signers fill the pool
    prefill();
    auto work = asio::make_work_guard(io_);
    auto watch_work = asio::make_work_guard(watch_io_);
    std::thread loop([this] { io_.run(); });
    std::thread watch([this] { watch_io_.run(); });
    const auto stop_watcher = [&] {
      watch_work.reset();
      watch_io_.stop();
      watch.join();
    };
    open_connections();
    if (!wait_connected()) {
      // Closes the connections, gives them 50 ms to say goodbye, then stops the send thread.
      asio::post(io_, [this] {
        close_all();
        propagation_.close();
        tick_timer_.expires_after(50ms);
        tick_timer_.async_wait([this](boost::system::error_code) { io_.stop(); });
      });
      work.reset();
      loop.join();
      heads_.stop();
      stop_watcher();
      pool_.stop();
      throw input_error(o_.sc.nodes.front().url, "cannot open the broadcast connections");
    }
    gauges_.begin_process_cpu();
    // Node load is sampled once a second on the watcher's thread, off the send path; the send
    // thread only reads the latest sample when it closes a second.
    node_load_.start(watch_io_.get_executor());
    asio::post(io_, [this] { start_schedule(); });
    loop.join();
    // block_watch all_nodes: the late blocks' grace, bounded by the scenario's
    // propagation.grace (propagation_watch.hpp), cut short by a second stop request; the
    // watcher's thread still runs.
    if (started_) propagation_.settle([this] { return stop_requests_.load() > 1; });
    propagation_.close();
    node_load_.stop();
    heads_.stop();
    stop_watcher();
    pool_.stop();
    emit_end();
    out_.close();  // every row, block and event handed to the output thread has been handled
    return result();
  }

 private:
  // Fills the whole pool before the clock starts, so the run measures the node, not the
  // signers; bounded, as transactions signed first must not near their expiration.
  void prefill() {
    const auto fill_start = std::chrono::steady_clock::now();
    const auto fill_limit =
        std::chrono::seconds(std::clamp<std::uint32_t>(o_.sc.expiration_seconds / 4, 5, 60));
    prefill_.filled = pool_.wait_filled(pool_options_.depth, fill_limit);
    prefill_.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - fill_start).count();
    prefill_.depth = pool_.depth();
  }

  void open_connections() {
    const auto on_connected = [this] { connected_.notify(); };
    bc_.open(on_connected);
    tracker_.open(on_connected);
    if (o_.sc.watch == scenarios::block_watch::all_nodes)
      propagation_.open(o_.sc.nodes, setup_.head.head_block_number);
    // Every node's head, once a second on the watcher's thread, on connections of its own.
    heads_.start(o_.sc.nodes);
  }

  // Until every broadcast connection and the inclusion watcher are up, at most connect_timeout.
  bool wait_connected() {
    const auto all = [this] { return bc_.connected() && tracker_.connected(); };
    std::unique_lock lock(connected_.mu);
    return connected_.cv.wait_until(lock, std::chrono::steady_clock::now() + o_.connect_timeout,
                                    all);
  }

  void close_all() {
    bc_.close();
    tracker_.close();
  }

  rate_searcher::hooks search_hooks() {
    return {[this](store::event_kind k, json::object data, load::clock::time_point at) {
              emit(k, std::move(data), at);
            },
            [this](double r) {
              current_rate_ = r;
              wake_pacing();
            },
            [this] { begin_drain(); }};
  }

  // ---- the send thread ----

  void start_schedule() {
    const auto now = clock_.now();
    started_ = true;
    start_unix_ms_ = store::now_unix_ms();
    current_rate_ =
        o_.sc.rate.is_unlimited() ? std::nullopt : std::optional<double>(o_.sc.rate.rate_at({}));
    take_early_rate();
    seq_.start(now);
    rec_ = run_recorder(
        now,
        [this](stats::second_row& row, load::clock::time_point end) {
          gauges_.fill(row, end, schedule_end());
          heads_.fill(row);
        },
        [this](const stats::second_row& row) {
          if (o_.on_second)
            out_.post([this, row, totals = rec_.totals()] { o_.on_second(row, totals); });
        });
    send_limits limits;
    if (o_.sc.duration) limits.end = now + *o_.sc.duration;
    limits.count = o_.sc.count.value_or(0);
    loop_.emplace(
        clock_, seq_, rec_,
        [this]() -> std::optional<prepared_tx> {
          return pool_.try_pop(head_.estimated_head_time(clock_.now().time_since_epoch().count()));
        },
        bc_, limits);
    loop_->set_wake([this] { asio::post(io_, [this] { schedule(); }); });
    started_at_ = now;
    gauges_.start(now);
    json::object start{{"rate", current_rate_ ? json::value(*current_rate_) : json::value(nullptr)},
                       {"chain_id", setup_.chain_id_hex}};
    if (!setup_.budget.empty()) start["fee_budget"] = setup_.budget;
    if (search_ && !early_rate_) {
      start["search"] = scenarios::describe(*o_.sc.search);
      search_->start(now, *current_rate_, *loop_);
      arm_step_timer();
    }
    emit(store::event_kind::start, std::move(start), now);
    tick();
    schedule();
  }

  // set_rate before the schedule started: it starts at that rate, without a search.
  void take_early_rate() {
    {
      std::lock_guard lock(control_->mu);
      if (control_->pending) early_rate_ = control_->pending;
      control_->pending.reset();
    }
    if (!early_rate_) return;
    seq_.change_profile(load::rate_profile::constant(*early_rate_));
    current_rate_ = *early_rate_;
    if (search_) search_->skip("replaced by a rate change command before the start");
  }

  // set_rate(): a constant rate from now on; ends a search.
  void apply_rate(double r) {
    if (!started_) {
      early_rate_ = r;  // start_schedule() starts at it
      return;
    }
    if (draining_) return;
    const auto now = clock_.now();
    const std::optional<double> from = current_rate_;
    seq_.change_rate(r);
    current_rate_ = r;
    if (search_) search_->on_rate_command(now);
    wake_pacing();
    emit(store::event_kind::rate_change, {{"from", rate_json(from)}, {"to", r}, {"by", "command"}},
         now);
  }

  // The next send's time moved: wake the pacing loop.
  void wake_pacing() {
    if (pace_timer_waiting_) pace_timer_.cancel();
  }

  void arm_step_timer() {
    const std::optional<load::clock::time_point> at = search_->next_step_at();
    if (!at) return;
    step_timer_.expires_at(to_steady(*at));
    step_timer_.async_wait([this, due = *at](boost::system::error_code ec) {
      if (ec) return;
      search_->on_step_due(due);
      arm_step_timer();
    });
  }

  // The pacing timer: sends what is due and sleeps until the next intended time. A full window
  // waits for the loop's wake (the next answer).
  void schedule() {
    if (draining_) return;
    const auto r = loop_->poll();
    switch (r.what) {
      case send_loop::wait::until:
        pace_timer_.expires_at(to_steady(r.at));
        pace_timer_waiting_ = true;
        pace_timer_.async_wait([this](boost::system::error_code ec) {
          pace_timer_waiting_ = false;
          // Cancelled by a rate change: the next send time moved (a stop cancels too, and
          // schedule() then sees draining_).
          if (!ec || ec == asio::error::operation_aborted) schedule();
        });
        break;
      case send_loop::wait::answer:
        break;
      case send_loop::wait::pool:
        pace_timer_.expires_after(200us);
        pace_timer_.async_wait([this](boost::system::error_code ec) {
          if (!ec) schedule();
        });
        break;
      case send_loop::wait::done:
        begin_drain();
        break;
    }
  }

  void begin_drain() {
    if (draining_) return;
    draining_ = true;
    drained_at_ = clock_.now();
    pace_timer_.cancel();
    interrupted_ = stop_requests_.load() > 0;
    drain_deadline_ = clock_.now() + (interrupted_ ? o_.drain_timeout / 3 : o_.drain_timeout);
    if (search_) search_->on_drain(interrupted_);
  }

  // The end of the offered schedule: its time limit (a search's hold moves it), or the drain.
  load::clock::time_point schedule_end() const {
    const auto end = loop_ && loop_->end() ? *loop_->end() : load::clock::time_point::max();
    return std::min(end, drained_at_);
  }

  // Every 100 ms: close seconds, watch for stop requests, judge search steps, refresh the
  // reference block, end the drain.
  void tick() {
    const auto now = clock_.now();
    rec_.advance(now);
    const int stops = stop_requests_.load();
    if (stops > 0 && !draining_) {
      loop_->stop();
      begin_drain();
    }
    if (search_) search_->judge(now);
    if (now - last_head_refresh_ >=
        std::chrono::seconds(std::max<std::uint32_t>(1, setup_.parameters.block_interval))) {
      last_head_refresh_ = now;
      tracker_.refresh_head(head_, ids_);
    }
    if (draining_ && ((rec_.in_flight() == 0 && rec_.awaiting_inclusion() == 0) ||
                      now >= drain_deadline_ || stops > 1)) {
      finish(now);
      return;
    }
    tick_timer_.expires_after(100ms);
    tick_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) tick();
    });
  }

  void finish(load::clock::time_point now) {
    rec_.finish(now);
    ended_at_ = now;
    pace_timer_.cancel();
    tick_timer_.cancel();
    step_timer_.cancel();
    close_all();
    io_.stop();
  }

  void emit(store::event_kind kind, json::object data, load::clock::time_point at) {
    if (!o_.on_event) return;
    store::event e;
    e.kind = kind;
    e.beacon = o_.name;
    e.time = start_unix_ms_ +
             std::chrono::duration_cast<std::chrono::milliseconds>(at - started_at_).count();
    e.data = std::move(data);
    out_.post([this, e = std::move(e)] { o_.on_event(e); });
  }

  // ---- after the threads stopped ----

  // The propagation note and the stop event.
  void emit_end() {
    if (o_.sc.watch == scenarios::block_watch::all_nodes) {
      propagation_summary_ =
          propagation_.summary(o_.sc.nodes.front().url, setup_.parameters.maximum_block_size);
    }
    if (!started_) return;
    if (!propagation_summary_.empty())
      emit(store::event_kind::note, propagation_summary_, ended_at_);
    // Each node's transactions, for the overseer's per-node summary of a fleet.
    emit(store::event_kind::note, per_node_note(node_tx_of(o_.sc.nodes, bc_, rec_)), ended_at_);
    emit(store::event_kind::stop,
         {{"interrupted", interrupted_},
          {"sent", loop_ ? loop_->sent() : 0},
          {"duration_seconds",
           std::round(std::chrono::duration<double>(ended_at_ - started_at_).count() * 1000) /
               1000}},
         ended_at_);
  }

  beacon_result result() const {
    return assemble_result({.options = o_,
                            .setup = setup_,
                            .rec = rec_,
                            .factory = factory_,
                            .ids = ids_,
                            .pool_options = pool_options_,
                            .pool = pool_,
                            .pool_misses = loop_ ? loop_->pool_misses() : 0,
                            .prefill = prefill_,
                            .connections = bc_,
                            .inclusion = tracker_,
                            .node_load = node_load_,
                            .heads = heads_,
                            .output = out_,
                            .search = search_ ? &*search_ : nullptr,
                            .schedule_end = schedule_end(),
                            .started_at = started_at_,
                            .ended_at = ended_at_,
                            .interrupted = interrupted_,
                            .propagation = propagation_summary_});
  }

  const beacon_options& o_;
  std::atomic<int>& stop_requests_;
  std::shared_ptr<beacon::control> control_;
  run_setup setup_;
  load::clock& clock_;
  asio::io_context io_{1};        // the send thread
  asio::io_context watch_io_{1};  // the watcher's thread; outlives every client on it
  asio::steady_timer pace_timer_{io_};
  asio::steady_timer tick_timer_{io_};
  asio::steady_timer step_timer_{io_};
  bool pace_timer_waiting_ = false;
  connect_signal connected_;
  // Send thread.
  bool started_ = false;
  std::int64_t start_unix_ms_ = 0;
  std::optional<double> current_rate_;  // nullopt: unlimited
  std::optional<double> early_rate_;    // set_rate before the schedule started
  bool draining_ = false;
  bool interrupted_ = false;
  load::clock::time_point started_at_{}, ended_at_{}, drain_deadline_{}, last_head_refresh_{},
      drained_at_ = load::clock::time_point::max();
  // The parts.
  load::sequencer seq_;
  run_recorder rec_;
  reference_block_cell head_;
  open_orders orders_;
  id_registry ids_;
  tx_factory factory_;
  presign_options pool_options_;
  presign_pool pool_;
  prefill_report prefill_;
  std::optional<send_loop> loop_;
  broadcaster bc_;
  inclusion_tracker tracker_;
  propagation_watch propagation_;
  boost::json::object propagation_summary_;
  node_load_sampling node_load_;
  head_sampling heads_;
  run_gauges gauges_;
  std::optional<rate_searcher> search_;
  output_queue out_;  // last: destroyed (drained) first
};

}  // namespace

beacon::beacon(beacon_options options)
    : options_(std::move(options)), control_(std::make_shared<control>()) {
  if (options_.sc.nodes.empty())
    throw input_error("nodes", "no node to send to (give --node or nodes:)");
}

beacon::~beacon() = default;

fee_budget beacon::prepare() {
  setup_ = std::make_unique<run_setup>(read_run_setup(options_));
  budget_ = fee_budget_of(options_, *setup_);
  setup_->budget = budget_.to_json();
  if (!budget_.affordable() && !options_.sc.ignore_fee_budget)
    throw input_error("fee budget", budget_.refusal());
  return budget_;
}

beacon_result beacon::run() {
  if (!setup_) prepare();
  runner r(options_, stop_requests_, std::move(*setup_), control_);
  setup_.reset();
  beacon_result result = r.run();
  result.info["fee_budget"] = budget_.to_json();
  if (!budget_.affordable()) {
    result.notes.push_back(budget_.describe() + "; run anyway (ignore_fee_budget)");
  } else if (!budget_.transactions) {
    result.notes.push_back(budget_.describe());
  }
  return result;
}

void beacon::set_rate(double tx_per_s) {
  if (!std::isfinite(tx_per_s) || tx_per_s <= 0)
    throw std::invalid_argument("set_rate: expected a rate > 0");
  std::lock_guard lock(control_->mu);
  if (control_->sink)
    control_->sink(tx_per_s);
  else
    control_->pending = tx_per_s;
}

}  // namespace bts::beacon
