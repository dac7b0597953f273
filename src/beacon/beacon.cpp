#include "beacon/beacon.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <unordered_set>

#include "beacon/block_reader.hpp"
#include "beacon/factory.hpp"
#include "beacon/node_load_row.hpp"
#include "beacon/output_queue.hpp"
#include "beacon/presign_pool.hpp"
#include "beacon/recorder.hpp"
#include "beacon/send_loop.hpp"
#include "load/sequencer.hpp"
#include "monitor/node_load.hpp"
#include "protocol/transaction.hpp"
#include "rpc/blocking_client.hpp"
#include "rpc/client.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"

namespace bts::beacon {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

double cpu_seconds(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::chrono::steady_clock::time_point to_steady(load::clock::time_point t) {
  return std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(t.time_since_epoch()));
}

json::value call_or_throw(rpc::blocking_client& c, const std::string& url, std::string_view method,
                          json::array params) {
  auto r = c.call("database", method, std::move(params));
  if (!r) throw input_error(url, std::string(method) + ": " + r.error().to_string());
  return std::move(r).value();
}

// Built outside coroutines: GCC 12 rejects string literals in braced lists inside them.
json::array login_params() { return json::array{json::value(""), json::value("")}; }
json::array one_param(std::uint64_t v) { return json::array{json::value(v)}; }

ack_outcome outcome_of(const rpc::call_result& r) {
  if (r.ok()) return {ack_outcome::kind::accepted, {}};
  const rpc::rpc_error& e = r.error();
  switch (e.kind) {
    case rpc::error_kind::server:
      return {ack_outcome::kind::rejected, "fc:" + std::to_string(e.code)};
    case rpc::error_kind::timeout:
      return {ack_outcome::kind::unanswered, "timeout"};
    case rpc::error_kind::disconnected:
      return {ack_outcome::kind::unanswered, "disconnected"};
    case rpc::error_kind::protocol:
      return {ack_outcome::kind::unanswered, "protocol"};
  }
  return {ack_outcome::kind::unanswered, "unknown"};
}

// One websocket connection used for broadcasting.
struct connection {
  std::string url;
  std::shared_ptr<std::atomic<std::uint64_t>> broadcast_api =
      std::make_shared<std::atomic<std::uint64_t>>(0);
  std::uint64_t callback_id = 0;  // broadcast_transaction_with_callback
  std::optional<rpc::client> client;
};

// Chain facts read once at setup.
struct setup_result {
  protocol::chain_id_type chain_id{};
  std::string chain_id_hex;
  chain_parameters parameters;
  json::value raw_parameters;
  head_info head;
  std::string key_prefix = "BTS";
  std::shared_ptr<std::vector<account>> accounts;
  std::optional<protocol::asset_id_type> order_asset;
};

setup_result setup(const beacon_options& o) {
  const std::string& url = o.sc.nodes.front().url;
  rpc::client_options co;
  co.url = url;
  co.call_timeout = o.call_timeout;
  co.connect_timeout = o.connect_timeout;
  co.reconnect = false;
  rpc::blocking_client c(co);
  if (!c.wait_connected(o.connect_timeout)) {
    throw input_error(url, "cannot connect: " + c.async().last_error());
  }
  setup_result s;
  s.chain_id_hex = json::value_to<std::string>(call_or_throw(c, url, "get_chain_id", {}));
  s.chain_id = protocol::chain_id_from_hex(s.chain_id_hex);
  const json::value gp = call_or_throw(c, url, "get_global_properties", {});
  s.parameters = parse_global_properties(gp);
  s.raw_parameters = gp.as_object().at("parameters");
  s.head =
      parse_dynamic_global_properties(call_or_throw(c, url, "get_dynamic_global_properties", {}));
  if (auto cfg = c.call("database", "get_config", {}); cfg.ok() && cfg.value().is_object()) {
    if (const auto* p = cfg.value().as_object().if_contains("GRAPHENE_ADDRESS_PREFIX");
        p && p->is_string()) {
      s.key_prefix = std::string(p->as_string());
    }
  }
  json::array names;
  for (const auto& a : o.accounts) names.emplace_back(a.name);
  const json::value found = call_or_throw(c, url, "lookup_account_names", {names});
  const auto& list = found.as_array();
  s.accounts = std::make_shared<std::vector<account>>();
  for (std::size_t i = 0; i < o.accounts.size(); ++i) {
    const auto& e = o.accounts[i];
    if (i >= list.size() || !list[i].is_object()) {
      throw input_error(
          "accounts", e.name + " not found on " + url + ": run `bts-infra beacon provision` first");
    }
    const auto& obj = list[i].as_object();
    account a{e.name, {}, e.key, e.key.get_public_key(), e.key.get_public_key()};
    a.id.instance = protocol::parse_object_id(json::value_to<std::string>(obj.at("id")), 1, 2);
    if (const auto* opts = obj.if_contains("options"); opts && opts->is_object()) {
      if (const auto* mk = opts->as_object().if_contains("memo_key"); mk && mk->is_string()) {
        a.memo_key = crypto::public_key_from_string(mk->as_string());
      }
    }
    s.accounts->push_back(std::move(a));
  }
  if (!o.sc.order_asset.empty() &&
      (o.sc.mix.limit_order_create > 0 || o.sc.mix.limit_order_cancel > 0)) {
    const json::value assets =
        call_or_throw(c, url, "lookup_asset_symbols", {json::array{json::value(o.sc.order_asset)}});
    const auto& al = assets.as_array();
    if (al.empty() || !al[0].is_object()) {
      throw input_error("order_asset", "asset " + o.sc.order_asset + " not found on " + url +
                                           ": run `bts-infra beacon provision` first");
    }
    protocol::asset_id_type id;
    id.instance =
        protocol::parse_object_id(json::value_to<std::string>(al[0].as_object().at("id")), 1, 3);
    s.order_asset = id;
  }
  return s;
}

struct id_hash {
  std::size_t operator()(const protocol::transaction_id_type& id) const {
    std::size_t h;
    std::memcpy(&h, id.data(), sizeof h);
    return h;
  }
};

// "1,600": rates and counts in the search's texts.
std::string grouped(double v) {
  const double r = std::round(v * 100) / 100;
  if (r != std::floor(r)) return format_rate(r);
  std::string digits = std::to_string(static_cast<long long>(r));
  std::string out;
  const std::size_t lead = digits[0] == '-' ? 1 : 0;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > lead && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string seconds_text(double us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2g s", us / 1e6);
  if (us >= 1e6) std::snprintf(buf, sizeof buf, "%.1f s", us / 1e6);
  return buf;
}

std::string percent_text(double ratio) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2g%%", ratio * 100);
  return buf;
}

}  // namespace

// The send thread's door for set_rate: `sink` posts to it while the schedule can change.
struct beacon::control {
  std::mutex mu;
  std::function<void(double)> sink;
  std::optional<double> pending;  // set before the send thread took commands
};

namespace {

// Everything the event loop owns.
class runner : public tx_sender {
 public:
  runner(const beacon_options& o, std::atomic<int>& stop_requests, setup_result s,
         std::shared_ptr<beacon::control> control)
      : o_(o),
        stop_requests_(stop_requests),
        control_(std::move(control)),
        setup_(std::move(s)),
        clock_(load::real_clock()),
        seq_(clock_, o.sc.rate, {std::max<std::size_t>(1, o.sc.max_in_flight)}),
        rec_(clock_.now()),
        out_(std::max<std::size_t>(1, o.output_queue_capacity)) {
    head_.set(setup_.head, clock_.now().time_since_epoch().count());
    factory_config fc;
    fc.beacon_name = o.name;
    fc.seed = o.sc.seed;
    fc.mix = o.sc.mix;
    fc.ops = o.sc.ops;
    fc.amount = o.sc.amount;
    fc.price = o.sc.price;
    fc.expiration_seconds = o.sc.expiration_seconds;
    fc.chain_id = setup_.chain_id;
    fc.parameters = setup_.parameters;
    fc.order_asset = setup_.order_asset;
    fc.key_prefix = setup_.key_prefix;
    fc.accounts = setup_.accounts;
    factory_.emplace(fc, head_, orders_, ids_);
    presign_options po;
    po.depth = o.sc.presign_depth != 0
                   ? o.sc.presign_depth
                   : default_presign_depth(
                         // A search's pool is sized for its last step, not its first.
                         o.sc.search ? load::rate_profile::constant(o.sc.search->max) : o.sc.rate,
                         o.sc.max_in_flight, o.sc.count);
    const unsigned hw = std::max(2u, std::thread::hardware_concurrency());
    po.threads = o.sc.signer_threads != 0 ? o.sc.signer_threads : hw - 1;
    po.min_remaining_seconds = std::min<std::uint32_t>(15, o.sc.expiration_seconds / 4);
    po.limit = o.sc.count.value_or(0);
    pool_options_ = po;
    pool_.emplace(*factory_, po, clock_);
    if (o.sc.search) {
      settle_ = o.sc.search->settle;
      if (settle_ <= load::duration::zero()) {
        settle_ = std::max<load::duration>(
            1s,
            std::chrono::seconds(3 * std::max<std::uint32_t>(1, setup_.parameters.block_interval)));
      }
    }
    std::lock_guard lock(control_->mu);
    control_->sink = [this](double r) { asio::post(io_, [this, r] { apply_rate(r); }); };
  }

  ~runner() {
    std::lock_guard lock(control_->mu);
    control_->sink = nullptr;
  }

  beacon_result run() {
    pool_->start();
    check_node_load();  // while the signers fill the pool
    // Fill the whole pool before the clock starts, so the run measures the node, not the
    // signers; bounded, as transactions signed first must not near their expiration.
    const auto fill_start = std::chrono::steady_clock::now();
    const auto fill_limit =
        std::chrono::seconds(std::clamp<std::uint32_t>(o_.sc.expiration_seconds / 4, 5, 60));
    prefilled_ = pool_->wait_filled(pool_options_.depth, fill_limit);
    prefill_seconds_ =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - fill_start).count();
    prefill_depth_ = pool_->depth();

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
    const auto deadline = std::chrono::steady_clock::now() + o_.connect_timeout;
    while (!all_connected() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(5ms);
    if (!all_connected()) {
      asio::post(io_, [this] { close_all(); });
      work.reset();
      std::this_thread::sleep_for(50ms);
      io_.stop();
      loop.join();
      stop_watcher();
      pool_->stop();
      throw input_error(o_.sc.nodes.front().url, "cannot open the broadcast connections");
    }

    cpu_process_ = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
    // Node load is sampled once a second on the watcher's thread, off the send path; the send
    // thread only reads the latest sample when it closes a second.
    for (auto& m : node_monitors_) {
      if (m.source) {
        m.sampler =
            std::make_unique<monitor::node_load_sampler>(watch_io_.get_executor(), *m.source);
        m.sampler->start(1s);
      }
    }
    asio::post(io_, [this] { start_schedule(); });
    loop.join();
    for (auto& m : node_monitors_) {
      if (m.sampler) m.sampler->stop();
    }
    stop_watcher();
    pool_->stop();
    if (o_.sc.watch == block_watch::all_nodes) propagation_ = propagation();
    if (started_) {
      if (!propagation_.empty()) emit(store::event_kind::note, propagation_, ended_at_);
      emit(store::event_kind::stop,
           {{"interrupted", interrupted_},
            {"sent", loop_ ? loop_->sent() : 0},
            {"duration_seconds",
             std::round(std::chrono::duration<double>(ended_at_ - started_at_).count() * 1000) /
                 1000}},
           ended_at_);
    }
    out_.close();  // every row, block and event handed to the output thread has been handled
    return result();
  }

  // tx_sender
  void send(prepared_tx& tx, std::function<void(ack_outcome)> done) override {
    connection& c = pick();
    std::size_t step = no_step;
    if (tallying_) {
      const auto intended = loop_->sending_intended();
      step = step_of(intended);
      if (step != no_step) {
        step_tally& t = steps_[step];
        ++t.sent;
        t.lag.record(
            std::chrono::duration_cast<std::chrono::microseconds>(clock_.now() - intended).count());
      }
    }
    // The params array around the pre-signed text: the send path never serializes protocol
    // structs or builds JSON values. One buffer, reused (the client copies it into the request).
    params_text_.assign("[");
    std::string_view method = "broadcast_transaction";
    if (o_.sc.broadcast_with_callback) {
      method = "broadcast_transaction_with_callback";
      params_text_.append(std::to_string(c.callback_id)).push_back(',');
    }
    params_text_.append(tx.json).push_back(']');
    c.client->async_call_raw(c.broadcast_api->load(), method, params_text_,
                             [this, step, done = std::move(done)](rpc::call_result r) {
                               ack_outcome outcome = outcome_of(r);
                               if (step < steps_.size()) {
                                 step_tally& t = steps_[step];
                                 if (outcome.type == ack_outcome::kind::accepted)
                                   ++t.accepted;
                                 else if (outcome.type == ack_outcome::kind::rejected)
                                   ++t.rejected;
                                 else
                                   ++t.unanswered;
                               }
                               done(std::move(outcome));
                               if (waiting_answer_) {
                                 waiting_answer_ = false;
                                 asio::post(io_, [this] { schedule(); });
                               }
                             });
  }

 private:
  void open_connections() {
    for (const node_endpoint& n : o_.sc.nodes) {
      for (int i = 0; i < n.connections; ++i) {
        auto c = std::make_unique<connection>();
        c->url = n.url;
        rpc::client_options co;
        co.url = n.url;
        co.call_timeout = o_.call_timeout;
        co.connect_timeout = o_.connect_timeout;
        c->client.emplace(io_.get_executor(), co);
        auto api = c->broadcast_api;
        c->client->on_connect([api](rpc::client& cl) -> asio::awaitable<void> {
          (co_await cl.call(1, "login", login_params())).value();
          const auto id = co_await cl.call(1, "network_broadcast", json::array{});
          api->store(rpc::as_uint64(id.value()));
        });
        if (o_.sc.broadcast_with_callback) {
          c->callback_id = c->client->reserve_id();
          c->client->subscribe(c->callback_id,
                               [this](json::array args) { on_inclusion_notice(args); });
        }
        c->client->start();
        weights_.push_back(n.weight / n.connections);
        connections_.push_back(std::move(c));
      }
    }
    // The inclusion watcher: its own connection to the first node.
    rpc::client_options wo;
    wo.url = o_.sc.nodes.front().url;
    wo.call_timeout = o_.call_timeout;
    wo.connect_timeout = o_.connect_timeout;
    watcher_.emplace(watch_io_.get_executor(), wo);
    block_callback_ = watcher_->reserve_id();
    const std::uint64_t cb = block_callback_;
    watcher_->on_connect([cb](rpc::client& cl) -> asio::awaitable<void> {
      (co_await cl.call(1, "login", login_params())).value();
      (co_await cl.call("database", "set_block_applied_callback", one_param(cb))).value();
    });
    watcher_->subscribe(block_callback_, [this](json::array args) { on_block_notice(args); });
    last_block_ = setup_.head.head_block_number;
    watcher_->start();
    if (o_.sc.watch == block_watch::all_nodes) open_node_watches();
  }

  bool all_connected() const {
    for (const auto& c : connections_) {
      if (!c->client->connected()) return false;
    }
    return watcher_->connected();
  }

  void close_all() {
    for (auto& c : connections_) c->client->close();
    if (watcher_) watcher_->close();
    for (auto& w : node_watches_) w->client->close();
  }

  connection& pick() {
    if (o_.sc.spread == spread_kind::weighted && connections_.size() > 1) {
      if (!weighted_) weighted_.emplace(weights_.begin(), weights_.end());
      return *connections_[(*weighted_)(spread_rng_)];
    }
    connection& c = *connections_[next_connection_];
    next_connection_ = (next_connection_ + 1) % connections_.size();
    return c;
  }

  void start_schedule() {
    const auto now = clock_.now();
    started_ = true;
    start_unix_ms_ = store::now_unix_ms();
    current_rate_ =
        o_.sc.rate.is_unlimited() ? std::nullopt : std::optional<double>(o_.sc.rate.rate_at({}));
    {
      std::lock_guard lock(control_->mu);
      if (control_->pending) early_rate_ = control_->pending;
      control_->pending.reset();
    }
    if (early_rate_) {
      // set_rate before the schedule started: it starts at that rate, without a search.
      seq_.change_profile(load::rate_profile::constant(*early_rate_));
      current_rate_ = *early_rate_;
      search_end_ = "replaced by a rate change command before the start";
    }
    seq_.start(now);
    rec_ = run_recorder(
        now, [this](stats::second_row& row, load::clock::time_point end) { fill_gauges(row, end); },
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
          return pool_->try_pop(head_.estimated_head_time(clock_.now().time_since_epoch().count()));
        },
        *this, limits);
    started_at_ = now;
    offered_at_ = now;
    if (limits.end) offered_until_ = *limits.end;
    last_cpu_wall_ = now;
    cpu_thread_ = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
    json::object start{{"rate", current_rate_ ? json::value(*current_rate_) : json::value(nullptr)},
                       {"chain_id", setup_.chain_id_hex}};
    if (o_.sc.search && search_end_.empty()) {
      start["search"] = describe(*o_.sc.search);
      searching_ = tallying_ = true;
      steps_.emplace_back();
      steps_.back().rate = *current_rate_;
      steps_.back().begin = now;
      schedule_step(now + o_.sc.search->step_duration);
    }
    emit(store::event_kind::start, std::move(start), now);
    tick();
    schedule();
  }

  // ---- live rate and the rate search (send thread) ----

  static constexpr std::size_t no_step = static_cast<std::size_t>(-1);

  // One search step's own transactions (by intended send time) and what became of them.
  struct step_tally {
    double rate = 0;
    load::clock::time_point begin{}, end = load::clock::time_point::max();
    std::uint64_t sent = 0, accepted = 0, rejected = 0, unanswered = 0, included = 0;
    std::uint64_t pool_misses_at_begin = 0, pool_misses = 0, window_full = 0;
    stats::latency_histogram inclusion, lag;  // inclusion_corrected and schedule lag, µs
    bool judged = false, good = false;
    std::string reason;
  };

  std::size_t step_of(load::clock::time_point intended) const {
    for (std::size_t i = steps_.size(); i-- > 0;) {
      if (steps_[i].begin <= intended) return intended < steps_[i].end ? i : no_step;
    }
    return steps_.empty() ? no_step : 0;  // due before the first step began: the first's
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

  static json::value rate_json(std::optional<double> r) {
    return r ? json::value(*r) : json::value("unlimited");
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
    if (searching_) end_search(now, std::nullopt, "ended by a rate change command");
    if (pace_timer_waiting_) {
      // The next send's time moved: wake the pacing loop.
      pace_timer_.cancel();
    }
    emit(store::event_kind::rate_change, {{"from", rate_json(from)}, {"to", r}, {"by", "command"}},
         now);
  }

  void schedule_step(load::clock::time_point at) {
    step_timer_.expires_at(to_steady(at));
    step_timer_.async_wait([this, at](boost::system::error_code ec) {
      if (!ec) next_step(at);
    });
  }

  // A step ended (due at `due`): the next rate, unless the last (max) step is running. The
  // boundary is the moment the change takes effect (now), so every send is tallied to the
  // step whose rate it was paced at.
  void next_step(load::clock::time_point due) {
    if (!searching_ || draining_) return;
    const auto at = std::max(due, clock_.now());
    step_tally& last = steps_.back();
    last.end = at;
    last.pool_misses = loop_->pool_misses() - last.pool_misses_at_begin;
    const rate_search& rs = *o_.sc.search;
    if (last.rate >= rs.max) return;  // judged in tick(); held or fallen back then
    const double from = last.rate;    // `last` dangles once the next step is added
    const double next = std::min(rs.max, from + rs.step);
    seq_.change_rate(next);
    current_rate_ = next;
    if (pace_timer_waiting_) pace_timer_.cancel();
    step_tally t;
    t.rate = next;
    t.begin = at;
    t.pool_misses_at_begin = loop_->pool_misses();
    steps_.push_back(std::move(t));
    emit(store::event_kind::rate_change, {{"from", from}, {"to", next}, {"step", steps_.size()}},
         at);
    schedule_step(due + rs.step_duration);
  }

  // Judges every step whose settle time has passed, oldest first (tick()).
  void judge_steps(load::clock::time_point now) {
    if (!searching_) return;
    for (std::size_t i = 0; i < steps_.size() && searching_; ++i) {
      step_tally& t = steps_[i];
      if (t.judged) continue;
      if (t.end == load::clock::time_point::max() || now < t.end + settle_) return;
      judge(t);
      if (!t.good) {
        json::object data{{"rate", t.rate},
                          {"reason", t.reason},
                          {"step", i + 1},
                          {"beacon_bottleneck", beacon_side_},
                          {"sustained_rate", last_good_ ? json::value(*last_good_) : nullptr}};
        step_figures(t, data);
        break_ = data;
        emit(store::event_kind::break_point, std::move(data), now);
        end_search(now, last_good_, "break point at step " + std::to_string(i + 1));
        return;
      }
      last_good_ = t.rate;
      if (t.rate >= o_.sc.search->max) {
        end_search(now, t.rate, "reached max without crossing a threshold");
        return;
      }
    }
  }

  void step_figures(const step_tally& t, json::object& o) const {
    const double sent = static_cast<double>(t.sent);
    o["sent"] = t.sent;
    o["accepted"] = t.accepted;
    o["rejected"] = t.rejected;
    o["unanswered"] = t.unanswered;
    o["included"] = t.included;
    o["pool_misses"] = t.pool_misses;
    o["inclusion_ratio"] = sent > 0 ? std::round(t.included / sent * 10000) / 10000 : 0.0;
    o["error_rate"] =
        sent > 0 ? std::round((t.rejected + t.unanswered) / sent * 10000) / 10000 : 0.0;
    o["inclusion_p99_us"] =
        t.inclusion.empty() ? json::value(nullptr) : json::value(t.inclusion.percentile(99));
    o["schedule_lag_p99_us"] = t.lag.percentile(99);
  }

  void judge(step_tally& t) {
    t.judged = true;
    const search_thresholds& th = o_.sc.thresholds;
    const std::string at = " at " + grouped(t.rate) + " tx/s";
    const double sent = static_cast<double>(t.sent);
    beacon_side_ = false;
    const auto us = [](load::duration d) {
      return static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
    };
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
    if (misses > th.max_pool_miss_ratio) {
      beacon_side_ = true;
      t.reason = "beacon bottleneck: " + grouped(static_cast<double>(t.pool_misses)) +
                 " sends found no pre-signed transaction" + at +
                 " (the signers could not keep up; the node's limit was not reached)";
    } else if (lag > us(th.max_p99_schedule_lag)) {
      beacon_side_ = t.window_full == 0;
      t.reason = "schedule lag p99 " + seconds_text(lag) + " above " +
                 seconds_text(us(th.max_p99_schedule_lag)) + at +
                 (beacon_side_ ? " (beacon bottleneck: the send thread could not keep up)"
                               : " (the in-flight window of " +
                                     grouped(static_cast<double>(o_.sc.max_in_flight)) +
                                     " stayed full: the node answered too slowly)");
    } else if (errors > th.max_error_rate) {
      t.reason = "error rate " + percent_text(errors) + " above " +
                 percent_text(th.max_error_rate) + at + " (" + grouped(t.rejected) + " rejected, " +
                 grouped(t.unanswered) + " unanswered of " + grouped(sent) + ")";
    } else if (included < th.min_inclusion_ratio) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "inclusion ratio %.3f below %.3g", included,
                    th.min_inclusion_ratio);
      t.reason = buf + at + " (" + grouped(t.included) + " of " + grouped(sent) +
                 " included within " + seconds_text(us(settle_)) + " after the step)";
    } else if (p99 > us(th.max_p99_inclusion)) {
      t.reason = "inclusion p99 " + seconds_text(p99) + " above " +
                 seconds_text(us(th.max_p99_inclusion)) + at;
    } else {
      t.good = true;
    }
  }

  // Ends the search: holds `hold_rate` for `hold` (none: ends the schedule now).
  void end_search(load::clock::time_point now, std::optional<double> hold_rate, std::string why) {
    searching_ = false;
    search_end_ = std::move(why);
    step_timer_.cancel();
    if (!steps_.empty() && steps_.back().end == load::clock::time_point::max()) {
      steps_.back().end = now;  // later sends belong to no step
      steps_.back().pool_misses = loop_->pool_misses() - steps_.back().pool_misses_at_begin;
    }
    if (!o_.sc.search || search_end_.find("command") != std::string::npos) return;
    if (!hold_rate) {
      loop_->stop();
      begin_drain();
      return;
    }
    if (current_rate_ != hold_rate) {
      emit(store::event_kind::rate_change,
           {{"from", rate_json(current_rate_)}, {"to", *hold_rate}, {"hold", true}}, now);
      seq_.change_rate(*hold_rate);
      current_rate_ = hold_rate;
      if (pace_timer_waiting_) pace_timer_.cancel();
    }
    hold_from_ = now;
    const auto until = now + o_.sc.search->hold;
    loop_->set_end(loop_->end() ? std::min(*loop_->end(), until) : until);
    offered_until_ = std::min(offered_until_, *loop_->end());
  }

  json::object search_result() const {
    json::object o;
    const rate_search& rs = *o_.sc.search;
    o["profile"] = describe(rs);
    o["settle_seconds"] = std::chrono::duration<double>(settle_).count();
    o["sustained_rate"] = last_good_ ? json::value(*last_good_) : nullptr;
    o["break_point"] = break_.empty() ? json::value(nullptr) : json::value(break_);
    o["ended"] = search_end_.empty() ? std::string("the run ended during the search") : search_end_;
    if (hold_from_ != load::clock::time_point{}) {
      // From the fall back (or max) to the end of the schedule, not of the drain.
      const auto end = std::min(offered_until_, ended_at_);
      o["hold_seconds"] =
          std::round(std::chrono::duration<double>(end - hold_from_).count() * 1000) / 1000;
    }
    json::array steps;
    for (std::size_t i = 0; i < steps_.size(); ++i) {
      const step_tally& t = steps_[i];
      json::object s{{"step", i + 1}, {"rate", t.rate}};
      s["verdict"] = !t.judged ? "not judged" : t.good ? "good" : "broke";
      if (!t.reason.empty()) s["reason"] = t.reason;
      step_figures(t, s);
      steps.push_back(std::move(s));
    }
    o["steps"] = std::move(steps);
    return o;
  }

  // The pacing timer: sends what is due and sleeps until the next intended time.
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
        waiting_answer_ = true;
        if (tallying_ && !steps_.empty()) ++steps_.back().window_full;
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
    offered_until_ = std::min(offered_until_, clock_.now());
    pace_timer_.cancel();
    interrupted_ = stop_requests_.load() > 0;
    drain_deadline_ = clock_.now() + (interrupted_ ? o_.drain_timeout / 3 : o_.drain_timeout);
  }

  // Every 100 ms: close seconds, watch for stop requests, refresh the reference block, end the
  // drain.
  void tick() {
    const auto now = clock_.now();
    rec_.advance(now);
    const int stops = stop_requests_.load();
    if (stops > 0 && !draining_) {
      loop_->stop();
      begin_drain();
    }
    if (searching_ && draining_) {
      searching_ = false;
      if (search_end_.empty())
        search_end_ = interrupted_ ? "stopped during step " + std::to_string(steps_.size())
                                   : "the run ended during step " + std::to_string(steps_.size());
    }
    judge_steps(now);
    if (now - last_head_refresh_ >=
        std::chrono::seconds(std::max<std::uint32_t>(1, setup_.parameters.block_interval))) {
      last_head_refresh_ = now;
      refresh_head();
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
    close_all();
    io_.stop();
  }

  void refresh_head() {
    watcher_->async_call("database", "get_dynamic_global_properties", {},
                         [this](rpc::call_result r) {
                           if (!r.ok()) return;
                           try {
                             const head_info h = parse_dynamic_global_properties(r.value());
                             head_.set(h, clock_.now().time_since_epoch().count());
                             ids_.expire(h.head_time);
                           } catch (const std::exception&) {
                             ++bad_answers_;
                           }
                         });
  }

  void fill_gauges(stats::second_row& row, load::clock::time_point end) {
    // Nothing is offered after the schedule ended (duration, count or stop).
    const auto at = std::min(end - 1ns, offered_until_ - 1ns);
    auto offered = seq_.started() ? std::max<std::uint64_t>(
                                        offered_so_far_, seq_.offered_by(std::max(at, offered_at_)))
                                  : 0;
    offered_at_ = std::max(at, offered_at_);
    if (o_.sc.count) offered = std::min<std::uint64_t>(offered, *o_.sc.count);
    row.offered = static_cast<std::int64_t>(offered - offered_so_far_);
    offered_so_far_ = offered;
    // Unlimited mode offers what it sends.
    if (seq_.profile().is_unlimited()) row.offered = row.sent;
    row.pool_depth = static_cast<std::int64_t>(pool_->depth());
    const auto expired = pool_->expired();
    row.expired += static_cast<std::int64_t>(expired - expired_so_far_);
    expired_so_far_ = expired;
    std::uint64_t disconnects = 0, reconnects = 0;
    for (const auto& c : connections_) {
      disconnects += c->client->counters().disconnects.load();
      reconnects += c->client->counters().reconnects.load();
    }
    row.disconnects += static_cast<std::int64_t>(disconnects - disconnects_so_far_);
    row.reconnects += static_cast<std::int64_t>(reconnects - reconnects_so_far_);
    disconnects_so_far_ = disconnects;
    reconnects_so_far_ = reconnects;
    const double wall = std::chrono::duration<double>(clock_.now() - last_cpu_wall_).count();
    if (wall > 0.2) {
      const double proc = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID),
                   thread = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
      row.beacon_cpu_percent = std::round(1000 * (proc - cpu_process_) / wall) / 10;
      row.send_cpu_percent = std::round(1000 * (thread - cpu_thread_) / wall) / 10;
      cpu_process_ = proc;
      cpu_thread_ = thread;
      last_cpu_wall_ = clock_.now();
    }
    fill_node_load(row);
  }

  // ---- node load ----

  // One node's CPU source: an explicit node_load spec must be readable (else bad
  // configuration); the default (the node's own /metrics, as the bts-infra devnet serves it) is
  // used only when it answers.
  void check_node_load() {
    std::set<std::string> seen;
    for (std::size_t i = 0; i < o_.sc.nodes.size(); ++i) {
      const node_endpoint& n = o_.sc.nodes[i];
      if (!seen.insert(n.url).second) continue;
      node_monitor m;
      m.node = n.url;
      if (n.node_load == "none") {
        m.status = "off (node_load: none)";
      } else if (!n.node_load.empty()) {
        const std::string where = "nodes[" + std::to_string(i) + "].node_load";
        monitor::load_source src = monitor::parse_load_source(n.node_load, where);
        try {
          monitor::check_load_source(src);
        } catch (const input_error& e) {
          throw input_error(where, src.to_string() + ": " + e.problem());
        }
        m.spec = src.to_string();
        m.source = std::move(src);
        m.status = "sampled";
      } else {
        rpc::url u = rpc::parse_url(n.url);
        const std::string spec = std::string("metrics:") + (u.tls() ? "https://" : "http://") +
                                 u.host_header() + "/metrics";
        m.spec = spec;
        try {
          monitor::load_source src = monitor::parse_load_source(spec, "default node_load");
          monitor::check_load_source(src);
          m.source = std::move(src);
          m.status = "sampled (default: the node's /metrics)";
        } catch (const std::exception& e) {
          m.status = std::string("not measured: the node serves no process /metrics (") + e.what() +
                     "); set node_load";
        }
      }
      node_monitors_.push_back(std::move(m));
    }
  }

  // Each sampled node's latest reading (no older than 3 s) into row.node_load, and the highest
  // node CPU into row.node_cpu_percent (nullopt when no node has a reading).
  void fill_node_load(stats::second_row& row) const {
    const auto now = std::chrono::system_clock::now();
    for (const auto& m : node_monitors_) {
      if (!m.sampler) continue;
      const auto s = m.sampler->latest();
      if (!s || !s->ok() || now - s->at > 3s) continue;
      const stats::node_load_row r = to_row(s->load);
      if (!r.empty()) row.add_node_load(m.node, r);
    }
  }

  // ---- inclusion ----
  // on_block_notice and fetch_block run on the watcher's thread; on_block_read on the send
  // thread.

  void on_block_notice(const json::array& args) {
    if (args.empty() || !args[0].is_string()) return;
    protocol::block_id_type id{};
    try {
      from_hex_exact(args[0].as_string(), id);
    } catch (const std::exception&) {
      ++bad_answers_;
      return;
    }
    const std::uint32_t num = (std::uint32_t{id[0]} << 24) | (std::uint32_t{id[1]} << 16) |
                              (std::uint32_t{id[2]} << 8) | std::uint32_t{id[3]};
    // Fetch every block since the last one seen: notices missed during a reconnect leave gaps.
    std::uint32_t from = last_block_ + 1;
    if (num < from) from = num;  // a fork switch or a restarted node: look at it again
    if (num - from > 1000) from = num - 1000;
    for (std::uint32_t n = from; n <= num; ++n) fetch_block(n, 0);
    last_block_ = std::max(last_block_, num);
  }

  void fetch_block(std::uint32_t num, int attempt) {
    watcher_->async_call("database", "get_block", {num}, [this, num, attempt](rpc::call_result r) {
      if (r.ok() && r.value().is_object()) {
        const auto at = clock_.now();  // when the block became known: the inclusion time
        // Decoding and sizing happen here, off the send thread.
        asio::post(io_, [this, at, b = read_block(r.value().as_object(), num)]() mutable {
          on_block_read(std::move(b), at);
        });
      } else if (attempt < 3) {
        fetch_block(num, attempt + 1);
      } else {
        ++blocks_missed_;
      }
    });
  }

  void on_block_read(block_contents b, load::clock::time_point at) {
    ++blocks_seen_;
    std::int64_t ours = 0;
    for (const block_transaction& t : b.transactions) {
      if (!t.id_known) {
        ++foreign_undecodable_;  // someone else's operation we do not support
        continue;
      }
      if (const sent_record* r = rec_.on_included(t.id, at)) {
        ++ours;
        tally_included(*r, at);
        if (!r->order_creates.empty()) {
          if (t.orders_created.empty()) {
            ask_open_orders(*r);  // witness_node's get_block carries no operation_results
          } else {
            learn_orders(*r, t.orders_created);
          }
        }
      } else if (included_by_notice_.erase(t.id) != 0) {
        ++ours;  // broadcast_transaction_with_callback told us first
      }
    }
    if (!recorded_blocks_.insert(b.record.block_num).second) return;  // fetched again
    if (b.size_estimated) ++blocks_size_estimated_;
    b.record.run_transactions = ours;
    b.record.max_block_size = setup_.parameters.maximum_block_size;
    blocks_.push_back(b.record);
    if (o_.on_block) out_.post([this, block = std::move(b.record)] { o_.on_block(block); });
  }

  void on_inclusion_notice(const json::array& args) {
    // [{"id","block_num","trx_num","trx"}]
    if (args.empty() || !args[0].is_object()) return;
    const auto* id = args[0].as_object().if_contains("id");
    if (id == nullptr || !id->is_string()) return;
    protocol::transaction_id_type tid{};
    try {
      from_hex_exact(id->as_string(), tid);
    } catch (const std::exception&) {
      return;
    }
    const auto at = clock_.now();
    const sent_record* r = rec_.on_included(tid, at);
    if (r == nullptr) return;
    tally_included(*r, at);
    // Counted as this run's when its block is read; bounded should a block never come.
    if (included_by_notice_.size() > 1'000'000) included_by_notice_.clear();
    included_by_notice_.insert(tid);
    if (!r->order_creates.empty()) {
      const auto* trx = args[0].as_object().if_contains("trx");
      const auto* results = trx != nullptr && trx->is_object()
                                ? trx->as_object().if_contains("operation_results")
                                : nullptr;
      if (results == nullptr || !results->is_array() || results->as_array().empty()) {
        ask_open_orders(*r);  // witness_node sends no operation_results
        return;
      }
      std::vector<std::pair<std::uint32_t, protocol::limit_order_id_type>> created;
      for (std::size_t i = 0; i < results->as_array().size(); ++i) {
        // [1, "1.7.N"]: the new order's id.
        const auto& res = results->as_array()[i];
        if (!res.is_array() || res.as_array().size() != 2 || !res.as_array()[1].is_string())
          continue;
        try {
          protocol::limit_order_id_type oid;
          oid.instance = protocol::parse_object_id(res.as_array()[1].as_string(), 1, 7);
          created.emplace_back(static_cast<std::uint32_t>(i), oid);
        } catch (const std::exception&) {
        }
      }
      learn_orders(*r, created);
    }
  }

  void tally_included(const sent_record& r, load::clock::time_point at) {
    if (steps_.empty()) return;
    const std::size_t i = step_of(r.intended);
    if (i == no_step) return;
    ++steps_[i].included;
    steps_[i].inclusion.record(
        std::chrono::duration_cast<std::chrono::microseconds>(at - r.intended).count());
  }

  // ---- block_watch all_nodes: did the run's blocks reach every node? ----
  // Watches run on the watcher's thread; propagation() reads them after it has stopped.

  void open_node_watches() {
    std::set<std::string> seen{o_.sc.nodes.front().url};
    for (const node_endpoint& n : o_.sc.nodes) {
      if (!seen.insert(n.url).second) continue;
      auto w = std::make_unique<node_watch>();
      w->url = n.url;
      rpc::client_options wo;
      wo.url = n.url;
      wo.call_timeout = o_.call_timeout;
      wo.connect_timeout = o_.connect_timeout;
      w->client.emplace(watch_io_.get_executor(), wo);
      const std::uint64_t cb = w->client->reserve_id();
      w->client->on_connect([cb](rpc::client& cl) -> asio::awaitable<void> {
        (co_await cl.call(1, "login", login_params())).value();
        (co_await cl.call("database", "set_block_applied_callback", one_param(cb))).value();
      });
      node_watch* raw = w.get();
      w->client->subscribe(cb, [this, raw](json::array args) { on_node_block(*raw, args); });
      w->last_block = setup_.head.head_block_number;
      w->client->start();
      node_watches_.push_back(std::move(w));
    }
  }

  struct node_watch {
    std::string url;
    std::optional<rpc::client> client;
    std::uint32_t last_block = 0;
    std::map<std::uint32_t, std::int64_t> sizes;  // block number -> packed bytes
  };

  void on_node_block(node_watch& w, const json::array& args) {
    if (args.empty() || !args[0].is_string()) return;
    protocol::block_id_type id{};
    try {
      from_hex_exact(args[0].as_string(), id);
    } catch (const std::exception&) {
      return;
    }
    const std::uint32_t num = (std::uint32_t{id[0]} << 24) | (std::uint32_t{id[1]} << 16) |
                              (std::uint32_t{id[2]} << 8) | std::uint32_t{id[3]};
    std::uint32_t from = std::max(w.last_block + 1, num > 1000 ? num - 1000 : 1);
    if (num < from) from = num;
    for (std::uint32_t n = from; n <= num; ++n) {
      w.client->async_call("database", "get_block", {n}, [&w, n](rpc::call_result r) {
        if (!r.ok() || !r.value().is_object()) return;
        try {
          w.sizes[n] = read_block(r.value().as_object(), n).record.bytes;
        } catch (const std::exception&) {
        }
      });
    }
    w.last_block = std::max(w.last_block, num);
  }

  // Per node, the largest block seen and the run's blocks (as the first node saw them) it
  // missed; `propagated` when every node saw every one of them.
  json::object propagation() {
    std::map<std::uint32_t, std::int64_t> primary;
    for (const auto& b : blocks_) primary[static_cast<std::uint32_t>(b.block_num)] = b.bytes;
    const std::int64_t max_size = setup_.parameters.maximum_block_size;
    json::array nodes;
    bool all = true;
    std::int64_t largest = 0;
    for (const auto& [num, bytes] : primary) largest = std::max(largest, bytes);
    std::string missed_text;
    const auto node_json = [&](const std::string& url,
                               const std::map<std::uint32_t, std::int64_t>& sizes) {
      json::object o{{"url", url}, {"blocks_seen", sizes.size()}};
      std::int64_t big = 0, big_num = 0;
      for (const auto& [num, bytes] : sizes) {
        if (bytes > big) big = bytes, big_num = num;
      }
      o["largest_block_bytes"] = big;
      o["largest_block_num"] = big_num;
      json::array missed;
      std::size_t count = 0;
      // The first node's last two blocks may still have been on their way to the others when
      // the watchers stopped: missed only when the node saw a later block.
      const std::uint32_t primary_last = primary.empty() ? 0 : primary.rbegin()->first;
      const std::uint32_t cutoff = std::max(sizes.empty() ? 0 : sizes.rbegin()->first,
                                            primary_last >= 2 ? primary_last - 2 : 0);
      std::int64_t worst = -1, worst_num = 0;
      for (const auto& [num, bytes] : primary) {
        if (num > cutoff || sizes.count(num) != 0) continue;
        ++count;
        if (missed.size() < 10) missed.push_back({{"block_num", num}, {"bytes", bytes}});
        if (bytes > worst) worst = bytes, worst_num = num;
      }
      o["missed"] = std::move(missed);
      o["missed_count"] = count;
      if (count > 0) {
        all = false;
        if (missed_text.size() < 600) {
          missed_text += (missed_text.empty() ? "" : "; ") + url + " missed " +
                         std::to_string(count) + " of " + std::to_string(primary.size()) +
                         " blocks, the largest #" + std::to_string(worst_num) + " (" +
                         grouped(static_cast<double>(worst)) + " bytes)";
        }
      }
      nodes.push_back(std::move(o));
    };
    node_json(o_.sc.nodes.front().url, primary);
    for (const auto& w : node_watches_) node_json(w->url, w->sizes);
    json::object out;
    out["propagated"] = all && !primary.empty();
    out["largest_block_bytes"] = largest;
    out["maximum_block_size"] = max_size;
    out["nodes"] = std::move(nodes);
    const double pct = max_size > 0 ? 100.0 * static_cast<double>(largest) / max_size : 0;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", pct);
    const std::size_t k = node_watches_.size() + 1;
    std::string text;
    if (primary.empty())
      text = "no block seen on " + o_.sc.nodes.front().url + ": propagation not measured";
    else if (all)
      text = "blocks up to " + grouped(static_cast<double>(largest)) + " bytes (" + buf +
             " of maximum_block_size) seen on all " + std::to_string(k) + " nodes";
    else
      text = "blocks up to " + grouped(static_cast<double>(largest)) + " bytes (" + buf +
             " of maximum_block_size) on " + o_.sc.nodes.front().url + ", but " + missed_text;
    out["summary"] = text;
    return out;
  }

  // The order ids our limit_order_creates got, from the operation results of their transaction.
  void learn_orders(
      const sent_record& r,
      const std::vector<std::pair<std::uint32_t, protocol::limit_order_id_type>>& created) {
    for (const auto& [op_index, account_index] : r.order_creates) {
      for (const auto& [result_index, order] : created) {
        if (result_index == op_index && orders_seen_.insert(order.instance).second)
          orders_.add(account_index, order);
      }
    }
  }

  // witness_node's get_block (and its inclusion notices) carry empty operation_results, so the
  // ids of new orders are read from the sellers' open orders instead (get_full_accounts, on the
  // watcher's connection, off the send path): every open order not seen before becomes
  // cancellable. Runs on the send thread; at most one question per account in flight.
  void ask_open_orders(const sent_record& r) {
    for (const auto& [op_index, account_index] : r.order_creates) {
      if (!asking_orders_.insert(account_index).second) continue;
      const std::string id = "1.2." + std::to_string((*setup_.accounts)[account_index].id.instance);
      watcher_->async_call(
          "database", "get_full_accounts", {json::array{json::value(id)}, false},
          [this, account_index](rpc::call_result res) {
            std::vector<protocol::limit_order_id_type> open;
            if (res.ok() && res.value().is_array() && !res.value().as_array().empty()) {
              const auto& entry = res.value().as_array()[0];
              const json::value* full =
                  entry.is_array() && entry.as_array().size() == 2 ? &entry.as_array()[1] : nullptr;
              const json::value* orders =
                  full && full->is_object() ? full->as_object().if_contains("limit_orders")
                                            : nullptr;
              if (orders != nullptr && orders->is_array()) {
                for (const auto& o : orders->as_array()) {
                  const auto* oid = o.is_object() ? o.as_object().if_contains("id") : nullptr;
                  if (oid == nullptr || !oid->is_string()) continue;
                  try {
                    protocol::limit_order_id_type order;
                    order.instance = protocol::parse_object_id(oid->as_string(), 1, 7);
                    open.push_back(order);
                  } catch (const std::exception&) {
                  }
                }
              }
            } else if (!res.ok()) {
              ++bad_answers_;
            }
            asio::post(io_, [this, account_index, open = std::move(open)] {
              asking_orders_.erase(account_index);
              for (const auto& order : open) {
                if (orders_seen_.insert(order.instance).second) orders_.add(account_index, order);
              }
            });
          });
    }
  }

  beacon_result result() {
    beacon_result out;
    out.series = rec_.series();
    out.cumulative = rec_.cumulative();
    out.blocks = blocks_;
    out.duration_seconds = std::chrono::duration<double>(ended_at_ - started_at_).count();
    out.interrupted = interrupted_;
    json::object& info = out.info;
    info["beacon"] = o_.name;
    info["chain_id"] = setup_.chain_id_hex;
    info["node"] = o_.sc.nodes.front().url;
    info["head_block_at_start"] = setup_.head.head_block_number;
    info["chain_parameters"] = setup_.raw_parameters;
    info["key_prefix"] = setup_.key_prefix;
    json::array names;
    for (const auto& a : *setup_.accounts) names.emplace_back(a.name);
    info["accounts"] = std::move(names);
    const auto fcnt = factory_->counters();
    info["factory"] = {{"built", fcnt.built},
                       {"cancel_fallbacks", fcnt.cancel_fallbacks},
                       {"ops_dropped_for_size", fcnt.too_large},
                       {"id_collisions_retried", ids_.collisions()}};
    info["pool"] = {{"depth", pool_options_.depth},
                    {"signer_threads", pool_options_.threads},
                    {"produced", pool_->produced()},
                    {"expired", pool_->expired()},
                    {"sign_errors", pool_->sign_errors()},
                    {"misses", loop_ ? loop_->pool_misses() : 0},
                    {"prefilled", prefill_depth_},
                    {"prefill_seconds", std::round(prefill_seconds_ * 100) / 100}};
    json::array conns;
    for (const auto& c : connections_) {
      const auto s = c->client->counters().snapshot();
      conns.push_back({{"url", c->url},
                       {"connect_attempts", s.connect_attempts},
                       {"connect_failures", s.connect_failures},
                       {"disconnects", s.disconnects},
                       {"reconnects", s.reconnects},
                       {"calls", s.calls},
                       {"timeouts", s.timeouts},
                       {"disconnected_calls", s.disconnected}});
    }
    info["connections"] = std::move(conns);
    const auto ws = watcher_->counters().snapshot();
    info["inclusion_watcher"] = {{"blocks_seen", blocks_seen_},
                                 {"blocks_recorded", blocks_.size()},
                                 {"blocks_size_estimated", blocks_size_estimated_},
                                 {"blocks_missed", blocks_missed_.load()},
                                 {"foreign_undecodable_transactions", foreign_undecodable_},
                                 {"reconnects", ws.reconnects},
                                 {"bad_answers", bad_answers_.load()}};
    json::array loads;
    for (const auto& m : node_monitors_) {
      json::object l{{"node", m.node}, {"source", m.spec}, {"status", m.status}};
      if (m.sampler) {
        const auto c = m.sampler->counters();
        l["readings"] = c.readings;
        l["errors"] = c.errors;
        if (!c.last_error.empty()) l["last_error"] = c.last_error;
      }
      loads.push_back(std::move(l));
    }
    info["node_load"] = std::move(loads);
    info["output"] = {{"full_waits", out_.full_waits()}, {"peak_depth", out_.peak_depth()}};
    if (o_.sc.search) {
      const json::object search = search_result();
      std::string note = "rate search: ";
      if (last_good_)
        note += "sustained " + grouped(*last_good_) + " tx/s";
      else
        note += "no step was sustained";
      if (!break_.empty())
        note += "; broke at step " + std::to_string(break_.at("step").to_number<std::int64_t>()) +
                ": " + std::string(break_.at("reason").as_string());
      else
        note += " (" + std::string(search.at("ended").as_string()) + ")";
      out.notes.push_back(std::move(note));
      info["search"] = search;
    }
    if (!propagation_.empty()) {
      out.notes.push_back("block propagation: " +
                          std::string(propagation_.at("summary").as_string()));
      info["propagation"] = propagation_;
    }
    if (loop_ && loop_->pool_misses() > 0) {
      out.notes.push_back(
          std::to_string(loop_->pool_misses()) +
          " sends found no pre-signed transaction ready: the signers could not keep up "
          "(a beacon bottleneck; raise presign_depth or signer_threads)");
    }
    for (const auto& m : node_monitors_) {
      if (!m.sampler && m.status.rfind("not measured", 0) == 0) {
        out.notes.push_back("node CPU of " + m.node + " " + m.status);
      }
    }
    if (!prefilled_) {
      out.notes.push_back("the signers filled " + std::to_string(prefill_depth_) + " of " +
                          std::to_string(pool_options_.depth) + " pre-signed transactions in " +
                          std::to_string(static_cast<int>(prefill_seconds_)) +
                          " s before the run started (signer_threads " +
                          std::to_string(pool_options_.threads) + ")");
    }
    if (pool_->expired() > 0) {
      out.notes.push_back(
          std::to_string(pool_->expired()) +
          " pre-signed transactions expired unsent (expiration_seconds too short for the pool)");
    }
    if (out_.full_waits() > 0) {
      out.notes.push_back("the send thread waited " + std::to_string(out_.full_waits()) +
                          " times for the output thread (run directory or results store too slow)");
    }
    if (blocks_missed_ > 0) {
      out.notes.push_back(std::to_string(blocks_missed_.load()) +
                          " blocks could not be fetched: inclusion may be undercounted");
    }
    return out;
  }

  const beacon_options& o_;
  std::atomic<int>& stop_requests_;
  std::shared_ptr<beacon::control> control_;
  setup_result setup_;
  load::clock& clock_;
  asio::io_context io_{1};        // the send thread
  asio::io_context watch_io_{1};  // the inclusion watcher's thread; outlives watcher_
  asio::steady_timer pace_timer_{io_};
  asio::steady_timer tick_timer_{io_};
  asio::steady_timer step_timer_{io_};
  bool pace_timer_waiting_ = false;
  // Live rate and search state (send thread).
  bool started_ = false;
  std::int64_t start_unix_ms_ = 0;
  std::optional<double> current_rate_;  // nullopt: unlimited
  std::optional<double> early_rate_;    // set_rate before the schedule started
  std::vector<step_tally> steps_;
  bool searching_ = false, tallying_ = false, beacon_side_ = false;
  std::optional<double> last_good_;
  json::object break_;
  std::string search_end_;
  load::duration settle_{0};
  load::clock::time_point hold_from_{};
  std::vector<std::unique_ptr<node_watch>> node_watches_;  // on watch_io_
  json::object propagation_;
  load::sequencer seq_;
  run_recorder rec_;
  reference_block_cell head_;
  open_orders orders_;
  // Send thread only: order ids ever made cancellable, and accounts whose open orders are being
  // read (ask_open_orders).
  std::unordered_set<std::uint64_t> orders_seen_;
  std::unordered_set<std::uint32_t> asking_orders_;
  id_registry ids_;
  std::optional<tx_factory> factory_;
  presign_options pool_options_;
  std::optional<presign_pool> pool_;
  std::optional<send_loop> loop_;
  std::vector<std::unique_ptr<connection>> connections_;
  std::vector<double> weights_;
  std::optional<std::discrete_distribution<std::size_t>> weighted_;
  std::mt19937_64 spread_rng_{42};
  std::size_t next_connection_ = 0;
  std::optional<rpc::client> watcher_;
  std::uint64_t block_callback_ = 0;
  std::uint32_t last_block_ = 0;
  struct node_monitor {
    std::string node, spec, status;
    std::optional<monitor::load_source> source;
    std::unique_ptr<monitor::node_load_sampler> sampler;  // on watch_io_
  };
  std::vector<node_monitor> node_monitors_;
  std::string params_text_;  // send(): the broadcast params, reused
  bool prefilled_ = false;
  double prefill_seconds_ = 0;
  std::size_t prefill_depth_ = 0;
  bool waiting_answer_ = false;
  bool draining_ = false;
  bool interrupted_ = false;
  load::clock::time_point offered_until_ = load::clock::time_point::max(), offered_at_{};
  load::clock::time_point started_at_{}, ended_at_{}, drain_deadline_{}, last_head_refresh_{},
      last_cpu_wall_{};
  std::uint64_t offered_so_far_ = 0, expired_so_far_ = 0, disconnects_so_far_ = 0,
                reconnects_so_far_ = 0;
  double cpu_process_ = 0, cpu_thread_ = 0;
  std::uint64_t blocks_seen_ = 0, foreign_undecodable_ = 0, blocks_size_estimated_ = 0;
  std::atomic<std::uint64_t> blocks_missed_{0}, bad_answers_{0};  // also the watcher's thread
  std::unordered_set<std::int64_t> recorded_blocks_;
  std::vector<store::block_record> blocks_;
  std::unordered_set<protocol::transaction_id_type, id_hash> included_by_notice_;
  output_queue out_;  // last: destroyed (drained) first
};

}  // namespace

beacon::beacon(beacon_options options)
    : options_(std::move(options)), control_(std::make_shared<control>()) {
  if (options_.sc.nodes.empty())
    throw input_error("nodes", "no node to send to (give --node or nodes:)");
}

beacon::~beacon() = default;

beacon_result beacon::run() {
  setup_result s = setup(options_);
  runner r(options_, stop_requests_, std::move(s), control_);
  return r.run();
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
