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
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <unordered_set>

#include "beacon/block_reader.hpp"
#include "beacon/factory.hpp"
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

// Everything the event loop owns.
class runner : public tx_sender {
 public:
  runner(const beacon_options& o, std::atomic<int>& stop_requests, setup_result s)
      : o_(o),
        stop_requests_(stop_requests),
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
                   : default_presign_depth(o.sc.rate, o.sc.max_in_flight, o.sc.count);
    const unsigned hw = std::max(2u, std::thread::hardware_concurrency());
    po.threads = o.sc.signer_threads != 0 ? o.sc.signer_threads : hw - 1;
    po.min_remaining_seconds = std::min<std::uint32_t>(15, o.sc.expiration_seconds / 4);
    po.limit = o.sc.count.value_or(0);
    pool_options_ = po;
    pool_.emplace(*factory_, po, clock_);
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
    out_.close();  // every row and block handed to on_second / on_block has been written
    return result();
  }

  // tx_sender
  void send(prepared_tx& tx, std::function<void(ack_outcome)> done) override {
    connection& c = pick();
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
                             [this, done = std::move(done)](rpc::call_result r) {
                               done(outcome_of(r));
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
    tick();
    schedule();
  }

  // The pacing timer: sends what is due and sleeps until the next intended time.
  void schedule() {
    if (draining_) return;
    const auto r = loop_->poll();
    switch (r.what) {
      case send_loop::wait::until:
        pace_timer_.expires_at(to_steady(r.at));
        pace_timer_.async_wait([this](boost::system::error_code ec) {
          if (!ec) schedule();
        });
        break;
      case send_loop::wait::answer:
        waiting_answer_ = true;
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
    if (o_.sc.rate.is_unlimited()) row.offered = row.sent;
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
    row.node_cpu_percent = node_cpu_percent();
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

  // The highest CPU of the nodes sampled in the last 3 s; nullopt when none has a reading.
  std::optional<double> node_cpu_percent() const {
    std::optional<double> cpu;
    const auto now = std::chrono::system_clock::now();
    for (const auto& m : node_monitors_) {
      if (!m.sampler) continue;
      const auto s = m.sampler->latest();
      if (!s || !s->ok() || !s->load.cpu_percent || now - s->at > 3s) continue;
      cpu = std::max(cpu.value_or(0), *s->load.cpu_percent);
    }
    if (cpu) cpu = std::round(*cpu * 10) / 10;
    return cpu;
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
        if (!r->order_creates.empty()) learn_orders(*r, t.orders_created);
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
    const sent_record* r = rec_.on_included(tid, clock_.now());
    if (r == nullptr) return;
    // Counted as this run's when its block is read; bounded should a block never come.
    if (included_by_notice_.size() > 1'000'000) included_by_notice_.clear();
    included_by_notice_.insert(tid);
    if (!r->order_creates.empty()) {
      const auto* trx = args[0].as_object().if_contains("trx");
      if (trx == nullptr || !trx->is_object()) return;
      const auto* results = trx->as_object().if_contains("operation_results");
      if (results == nullptr || !results->is_array()) return;
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

  // The order ids our limit_order_creates got, from the operation results of their transaction.
  void learn_orders(
      const sent_record& r,
      const std::vector<std::pair<std::uint32_t, protocol::limit_order_id_type>>& created) {
    for (const auto& [op_index, account_index] : r.order_creates) {
      for (const auto& [result_index, order] : created) {
        if (result_index == op_index) orders_.add(account_index, order);
      }
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
  setup_result setup_;
  load::clock& clock_;
  asio::io_context io_{1};        // the send thread
  asio::io_context watch_io_{1};  // the inclusion watcher's thread; outlives watcher_
  asio::steady_timer pace_timer_{io_};
  asio::steady_timer tick_timer_{io_};
  load::sequencer seq_;
  run_recorder rec_;
  reference_block_cell head_;
  open_orders orders_;
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

beacon::beacon(beacon_options options) : options_(std::move(options)) {
  if (options_.sc.nodes.empty())
    throw input_error("nodes", "no node to send to (give --node or nodes:)");
}

beacon::~beacon() = default;

beacon_result beacon::run() {
  setup_result s = setup(options_);
  runner r(options_, stop_requests_, std::move(s));
  return r.run();
}

}  // namespace bts::beacon
