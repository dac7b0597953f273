// Call bookkeeping of the client: ids, pending calls, held calls, timeouts, notices, reconnects.
// Bytes move in detail/client_transport.cpp.
#include "rpc/client.hpp"

#include "rpc/detail/client_transport.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <deque>
#include <mutex>
#include <unordered_map>

namespace bts::rpc {
namespace detail {

namespace {
constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

std::uint64_t seed_from(const client_options& o) {
  if (o.backoff_seed != 0) return o.backoff_seed;
  return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}
}  // namespace

class client_impl final : public transport_sink, public std::enable_shared_from_this<client_impl> {
 public:
  client_impl(asio::any_io_executor executor, client_options options)
      : strand_(asio::make_strand(executor)),
        options_(std::move(options)),
        endpoint_(parse_url(options_.url)),
        clock_(options_.time ? *options_.time : util::real_clock()),
        backoff_(options_.backoff, seed_from(options_)),
        sleep_timer_(strand_),
        signal_timer_(strand_),
        sweep_timer_(strand_) {
    if (endpoint_.tls()) tls_ = make_client_tls_context(options_.tls);
  }

  // ---- any thread ---------------------------------------------------------------------------

  void set_hook(connect_hook hook) { hook_ = std::move(hook); }

  void start() {
    asio::dispatch(strand_, [self = shared_from_this()] {
      if (self->phase_ != phase::idle) return;
      self->phase_ = phase::connecting;
      if (self->endpoint_.websocket()) {
        asio::co_spawn(self->strand_, self->run_websocket(), asio::detached);
      } else {
        asio::co_spawn(self->strand_, self->run_http(), asio::detached);
      }
    });
  }

  void close() {
    asio::dispatch(strand_, [self = shared_from_this()] { self->close_on_strand(); });
  }

  void submit(api_ref api, std::string_view method, json::array params, call_handler done,
              std::optional<std::chrono::milliseconds> timeout) {
    if (strand_.running_in_this_thread()) {
      submit_on_strand(api, method, &params, {}, std::move(done), timeout);
      return;
    }
    asio::post(strand_,
               [self = shared_from_this(), api = std::move(api), method = std::string(method),
                params = std::move(params), done = std::move(done), timeout]() mutable {
                 self->submit_on_strand(api, method, &params, {}, std::move(done), timeout);
               });
  }

  // `params_json`: the params array as JSON text, written as is.
  void submit_raw(api_ref api, std::string_view method, std::string_view params_json,
                  call_handler done, std::optional<std::chrono::milliseconds> timeout) {
    if (strand_.running_in_this_thread()) {
      submit_on_strand(api, method, nullptr, params_json, std::move(done), timeout);
      return;
    }
    asio::post(strand_,
               [self = shared_from_this(), api = std::move(api), method = std::string(method),
                params = std::string(params_json), done = std::move(done), timeout]() mutable {
                 self->submit_on_strand(api, method, nullptr, params, std::move(done), timeout);
               });
  }

  void subscribe(std::uint64_t callback_id, notice_handler handler) {
    asio::dispatch(
        strand_, [self = shared_from_this(), callback_id, handler = std::move(handler)]() mutable {
          self->subscribers_[callback_id] = std::move(handler);
        });
  }

  void unsubscribe(std::uint64_t callback_id) {
    asio::dispatch(strand_, [self = shared_from_this(), callback_id] {
      self->subscribers_.erase(callback_id);
    });
  }

  std::uint64_t reserve_id() { return next_id_.fetch_add(1, std::memory_order_relaxed); }

  std::string last_error() const {
    std::lock_guard lock(error_mu_);
    return error_copy_;
  }

  // ---- transport_sink (strand) --------------------------------------------------------------

  void on_message(std::string_view text) override {
    boost::system::error_code ec;
    parser_.reset();
    parser_.write(text.data(), text.size(), ec);
    if (ec) {
      bump(counters_->invalid_messages);
      return;
    }
    incoming_message m = classify_incoming(parser_.release());
    switch (m.type) {
      case incoming_message::kind::response: {
        call_handler h = take(m.id);
        if (!h) {
          bump(counters_->late_responses);
          return;
        }
        complete(std::move(h), std::move(m.result));
        return;
      }
      case incoming_message::kind::notice: {
        const auto it = subscribers_.find(m.callback_id);
        if (it == subscribers_.end()) {
          bump(counters_->unhandled_notices);
          return;
        }
        bump(counters_->notices);
        notice_handler h = it->second;  // a copy: the handler may unsubscribe itself
        try {
          h(std::move(m.notice_args));
        } catch (...) {
          bump(counters_->callback_exceptions);  // must not stop the read loop
        }
        return;
      }
      case incoming_message::kind::invalid:
        bump(counters_->invalid_messages);
        return;
    }
  }

  void on_closed(const std::string& reason) override {
    if (!transport_live_) return;
    transport_live_ = false;
    connected_.store(false);
    set_error(reason);
    signal_timer_.cancel();
    fail_pending(/*include_held=*/false, reason);
  }

  void recycle(std::string&& buffer) override {
    if (spare_.size() < 1024 && buffer.capacity() <= 64 * 1024) {
      buffer.clear();
      spare_.push_back(std::move(buffer));
    }
  }

  // ---- fields read by the handle ------------------------------------------------------------

  strand_type strand_;
  const client_options options_;
  const url endpoint_;
  // Shared with the transports, which must not keep the whole client alive.
  const std::shared_ptr<client_counters> counters_ = std::make_shared<client_counters>();
  std::atomic<bool> connected_{false};

 private:
  enum class phase { idle, connecting, hooking, ready, closed };

  struct slot {
    call_handler handler;
    util::clock::time_point deadline{};
    bool live = false;
    bool held = false;
  };
  struct held_request {
    std::uint64_t id;
    std::string message;
  };

  // ---- submission and completion ------------------------------------------------------------

  // Exactly one of `params` (non-null) and `params_json` gives the call's parameters.
  void submit_on_strand(const api_ref& api, std::string_view method, const json::array* params,
                        std::string_view params_json, call_handler done,
                        std::optional<std::chrono::milliseconds> timeout) {
    bump(counters_->calls);
    if (phase_ == phase::closed) {
      complete(std::move(done), rpc_error::disconnected(closed_reason()));
      return;
    }
    const std::uint64_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
    std::string message = take_buffer();
    if (params != nullptr) {
      append_call_request(message, id, api, method, *params);
    } else {
      // append_call_request's bytes with an empty array, which ends "[]]}", then the text.
      append_call_request(message, id, api, method, json::array());
      message.resize(message.size() - 4);
      message.append(params_json);
      message.append("]}");
    }
    slot& s = insert(id);
    // Not `s.handler = std::move(done)`: Boost 1.81's any_completion_handler move assignment
    // recurses forever (it copies from an lvalue). Construction and swap are fine.
    s.handler.swap(done);
    s.live = true;
    const std::chrono::milliseconds t = timeout.value_or(options_.call_timeout);
    if (t.count() > 0) {
      s.deadline = clock_.now() + t;
      if (t == options_.call_timeout) {
        default_deadlines_.emplace_back(s.deadline, id);  // in deadline order already
      } else {
        deadlines_.emplace_back(s.deadline, id);
        std::push_heap(deadlines_.begin(), deadlines_.end(), std::greater<>());
      }
      if (!sweeping_) {
        sweeping_ = true;
        asio::co_spawn(strand_, sweep(shared_from_this()), asio::detached);
      }
    }
    const bool can_send = endpoint_.websocket() && transport_live_ &&
                          (phase_ == phase::hooking || phase_ == phase::ready);
    if (can_send) {
      transport_->send(std::move(message));
    } else {
      s.held = true;
      held_.push_back({id, std::move(message)});
      if (!endpoint_.websocket()) signal_timer_.cancel();  // wake the HTTP loop
    }
  }

  slot& insert(std::uint64_t id) {
    if (slots_.empty()) base_id_ = id;
    while (base_id_ + slots_.size() <= id) slots_.emplace_back();
    return slots_[id - base_id_];
  }

  slot* find(std::uint64_t id) {
    if (id < base_id_ || id - base_id_ >= slots_.size()) return nullptr;
    slot& s = slots_[id - base_id_];
    return s.live ? &s : nullptr;
  }

  // Removes a live call and returns its handler; empty if the id is not pending.
  call_handler take(std::uint64_t id) {
    slot* s = find(id);
    if (!s) return {};
    call_handler h = std::move(s->handler);
    s->live = false;
    while (!slots_.empty() && !slots_.front().live) {
      slots_.pop_front();
      ++base_id_;
    }
    return h;
  }

  // Counts the outcome and runs the handler on its associated executor (inline on the strand
  // for handlers without one). Callers must not be iterating over state the handler may change.
  void complete(call_handler h, call_result r) {
    if (r.ok()) {
      bump(counters_->succeeded);
    } else {
      switch (r.error().kind) {
        case error_kind::server:
          bump(counters_->server_errors);
          counters_->count_error_code(r.error().code);
          break;
        case error_kind::timeout:
          bump(counters_->timeouts);
          break;
        case error_kind::disconnected:
          bump(counters_->disconnected);
          break;
        case error_kind::protocol:
          bump(counters_->protocol_errors);
          break;
      }
    }
    // Handlers without an executor of their own run right here (on the strand), guarded: a
    // throwing callback must not break the client (and asio would terminate if it threw from
    // inside an executor). Others (e.g. coroutines) are dispatched to their executor.
    if (asio::get_associated_executor(h, strand_) == asio::any_completion_executor(strand_)) {
      try {
        std::move(h)(std::move(r));
      } catch (...) {
        bump(counters_->callback_exceptions);
      }
      return;
    }
    asio::dispatch(asio::append(std::move(h), std::move(r)));
  }

  // Fails every live call that was sent (and held ones too when asked).
  void fail_pending(bool include_held, const std::string& reason) {
    std::vector<call_handler> failed;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      slot& s = slots_[i];
      if (s.live && (include_held || !s.held)) {
        failed.push_back(std::move(s.handler));
        s.live = false;
      }
    }
    while (!slots_.empty() && !slots_.front().live) {
      slots_.pop_front();
      ++base_id_;
    }
    if (include_held) {
      for (held_request& r : held_) recycle(std::move(r.message));
      held_.clear();
    }
    for (call_handler& h : failed) complete(std::move(h), rpc_error::disconnected(reason));
  }

  std::string take_buffer() {
    if (spare_.empty()) {
      std::string s;
      s.reserve(256);
      return s;
    }
    std::string s = std::move(spare_.back());
    spare_.pop_back();
    return s;
  }

  void set_error(std::string error) {
    last_error_ = error;
    std::lock_guard lock(error_mu_);
    error_copy_ = std::move(error);
  }

  std::string closed_reason() const {
    return last_error_.empty() ? std::string("client closed") : "disconnected: " + last_error_;
  }

  // ---- timeouts -----------------------------------------------------------------------------

  asio::awaitable<void> sweep([[maybe_unused]] std::shared_ptr<client_impl> self) {
    const auto step =
        std::min<util::clock::duration>(options_.timeout_resolution, clock_.poll_interval());
    while (!deadlines_.empty() || !default_deadlines_.empty()) {
      expire_due();
      if (deadlines_.empty() && default_deadlines_.empty()) break;
      sweep_timer_.expires_after(step);
      co_await sweep_timer_.async_wait(tuple_awaitable);
    }
    sweeping_ = false;
  }

  void expire_due() {
    const util::clock::time_point now = clock_.now();
    std::vector<call_handler> expired;
    // Calls with the default timeout: a FIFO; answered calls at its front are dropped too,
    // so it stays about as long as the number of calls in flight.
    while (!default_deadlines_.empty()) {
      const auto [deadline, id] = default_deadlines_.front();
      slot* s = find(id);
      const bool live = s && s->deadline == deadline;
      if (live && deadline > now) break;
      default_deadlines_.pop_front();
      if (!live) continue;
      if (id == http_in_flight_ && http_) http_->close();  // the loop must not wait for it
      expired.push_back(take(id));
    }
    // Other timeouts: a min-heap, entries of answered calls removed when they come due.
    while (!deadlines_.empty() && deadlines_.front().first <= now) {
      std::pop_heap(deadlines_.begin(), deadlines_.end(), std::greater<>());
      const auto [deadline, id] = deadlines_.back();
      deadlines_.pop_back();
      slot* s = find(id);
      if (!s || s->deadline != deadline) continue;
      if (id == http_in_flight_ && http_) http_->close();  // the loop must not wait for it
      expired.push_back(take(id));
    }
    for (call_handler& h : expired) complete(std::move(h), rpc_error::timeout());
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  void close_on_strand() {
    if (phase_ == phase::closed) return;
    phase_ = phase::closed;
    last_error_.clear();
    sleep_timer_.cancel();
    signal_timer_.cancel();
    if (transport_live_) transport_->close();  // fails calls in flight via on_closed
    if (http_) http_->close();
    shut_down("client closed");
  }

  // Final state: every remaining call fails, later calls fail at once.
  void shut_down(const std::string& reason) {
    phase_ = phase::closed;
    connected_.store(false);
    deadlines_.clear();
    default_deadlines_.clear();
    sweep_timer_.cancel();
    fail_pending(/*include_held=*/true, reason);
  }

  // Waits `d` on the injectable clock; returns early when closed.
  asio::awaitable<void> sleep_for(util::clock::duration d) {
    const util::clock::time_point until = clock_.now() + d;
    while (phase_ != phase::closed) {
      const util::clock::time_point now = clock_.now();
      if (now >= until) break;
      sleep_timer_.expires_after(std::min(until - now, clock_.poll_interval()));
      co_await sleep_timer_.async_wait(tuple_awaitable);
    }
  }

  // Waits until signal_timer_ is cancelled (connection closed, work queued, close()).
  asio::awaitable<void> wait_signal() {
    signal_timer_.expires_at(asio::steady_timer::time_point::max());
    co_await signal_timer_.async_wait(tuple_awaitable);
  }

  connect_options transport_options() {
    return connect_options{&endpoint_, &options_, tls_.get(), counters_};
  }

  asio::awaitable<void> run_websocket() {
    auto self = shared_from_this();
    bool ever_connected = false;
    while (phase_ != phase::closed) {
      phase_ = phase::connecting;
      bump(counters_->connect_attempts);
      ws_connect_result r = co_await connect_websocket(strand_, transport_options(), self);
      if (phase_ == phase::closed) {
        if (r.transport) r.transport->close();
        break;
      }
      bool ready = false;
      if (r.error.empty()) {
        transport_ = std::move(r.transport);
        transport_live_ = true;
        phase_ = phase::hooking;
        ready = co_await run_hook(self);
      } else {
        set_error(r.error);
      }
      if (ready && transport_live_ && phase_ != phase::closed) {
        phase_ = phase::ready;
        connected_.store(true);
        bump(counters_->connects);
        if (ever_connected) bump(counters_->reconnects);
        ever_connected = true;
        backoff_.reset();
        flush_held();
        if (transport_live_) co_await wait_signal();  // until on_closed or close()
        if (phase_ != phase::closed) bump(counters_->disconnects);
      } else if (phase_ != phase::closed) {
        bump(counters_->connect_failures);
        if (transport_live_) {
          const std::string why = last_error_;  // keep the hook's error, not "closed by client"
          transport_->close();
          set_error(why);
        }
      }
      transport_.reset();
      if (phase_ == phase::closed || !options_.reconnect) break;
      phase_ = phase::connecting;
      co_await sleep_for(backoff_.next());
    }
    shut_down(phase_ == phase::closed ? std::string("client closed") : closed_reason());
  }

  // Runs the on_connect hook; false if it threw.
  asio::awaitable<bool> run_hook([[maybe_unused]] std::shared_ptr<client_impl> self) {
    if (!hook_) co_return true;
    try {
      client handle(self);
      co_await hook_(handle);
      co_return true;
    } catch (const std::exception& e) {
      set_error(std::string("on_connect hook failed: ") + e.what());
    }
    co_return false;
  }

  void flush_held() {
    std::deque<held_request> held;
    held.swap(held_);
    for (held_request& r : held) {
      slot* s = find(r.id);
      if (!s || !transport_live_) {
        if (s) {  // the connection dropped while flushing: keep it held for the next one
          held_.push_back(std::move(r));
        } else {
          recycle(std::move(r.message));
        }
        continue;
      }
      s->held = false;
      transport_->send(std::move(r.message));
    }
  }

  asio::awaitable<void> run_http() {
    auto self = shared_from_this();
    bool ever_connected = false;
    while (phase_ != phase::closed) {
      while (!held_.empty() && !find(held_.front().id)) {
        recycle(std::move(held_.front().message));
        held_.pop_front();
      }
      if (held_.empty()) {
        co_await wait_signal();
        continue;
      }
      if (!http_ || !http_->reusable()) {
        http_.reset();
        connected_.store(false);
        bump(counters_->connect_attempts);
        http_connect_result r = co_await connect_http(strand_, transport_options());
        if (phase_ == phase::closed) break;
        if (!r.error.empty()) {
          bump(counters_->connect_failures);
          set_error(r.error);
          if (!options_.reconnect) break;
          co_await sleep_for(backoff_.next());
          continue;
        }
        bump(counters_->connects);
        if (ever_connected) bump(counters_->reconnects);
        ever_connected = true;
        backoff_.reset();
        http_ = std::move(r.transport);
        connected_.store(true);
      }
      held_request request = std::move(held_.front());
      held_.pop_front();
      if (slot* s = find(request.id)) s->held = false;
      // A reused keep-alive connection may have been closed by the server meanwhile; such a
      // request is resent once on a new connection if nothing came back (reply.retryable).
      std::string copy = http_->used() ? request.message : std::string();
      std::shared_ptr<http_transport> conn = http_;
      http_in_flight_ = request.id;
      http_reply reply = co_await conn->post(std::move(request.message));
      http_in_flight_ = 0;
      if (phase_ == phase::closed) break;
      if (!reply.error.empty()) {
        if (http_ == conn) http_.reset();
        connected_.store(false);
        slot* s = find(request.id);
        if (!s) continue;  // timed out: expire_due closed the connection
        if (reply.retryable) {
          s->held = true;
          held_.push_front({request.id, std::move(copy)});
          continue;
        }
        set_error(reply.error);
        bump(counters_->disconnects);
        complete(take(request.id), rpc_error::disconnected(reply.error));
        continue;
      }
      recycle(std::move(copy));
      if (!conn->reusable()) {
        conn->close();
        if (http_ == conn) http_.reset();
        connected_.store(false);
      }
      handle_http_reply(request.id, reply);
    }
    if (http_) http_->close();
    http_.reset();
    shut_down(phase_ == phase::closed ? std::string("client closed") : closed_reason());
  }

  void handle_http_reply(std::uint64_t id, http_reply& reply) {
    call_handler h = take(id);
    if (!h) {
      bump(counters_->late_responses);
      return;
    }
    boost::system::error_code ec;
    json::value v = json::parse(reply.body, ec, {}, wire_parse_options());
    if (ec) {
      bump(counters_->invalid_messages);
      const std::string head = reply.body.substr(0, 200);
      complete(std::move(h), rpc_error::protocol("HTTP " + std::to_string(reply.status) +
                                                 " with a body that is not JSON: " + head));
      return;
    }
    incoming_message m = classify_incoming(std::move(v));
    if (m.type == incoming_message::kind::response && m.id == id) {
      complete(std::move(h), std::move(m.result));
      return;
    }
    bump(counters_->invalid_messages);
    if (m.type == incoming_message::kind::invalid) {
      complete(std::move(h),
               rpc_error::protocol("HTTP " + std::to_string(reply.status) + ": " + m.problem));
    } else {
      complete(std::move(h), rpc_error::protocol("response does not answer the request"));
    }
  }

  // ---- state (strand only) ------------------------------------------------------------------

  const util::clock& clock_;
  std::shared_ptr<asio::ssl::context> tls_;
  backoff backoff_;
  connect_hook hook_;  // set before start(), then read-only
  std::atomic<std::uint64_t> next_id_{1};

  phase phase_ = phase::idle;
  std::string last_error_;  // why the connection is down; cleared by close()
  mutable std::mutex error_mu_;
  std::string error_copy_;  // last_error_ for other threads, never cleared
  std::shared_ptr<ws_transport> transport_;
  bool transport_live_ = false;
  std::shared_ptr<http_transport> http_;
  std::uint64_t http_in_flight_ = 0;

  std::deque<slot> slots_;  // slot i is request id base_id_ + i
  std::uint64_t base_id_ = 0;
  std::deque<std::pair<util::clock::time_point, std::uint64_t>> default_deadlines_;  // FIFO
  std::vector<std::pair<util::clock::time_point, std::uint64_t>> deadlines_;         // min-heap
  bool sweeping_ = false;
  std::deque<held_request> held_;
  std::vector<std::string> spare_;
  std::unordered_map<std::uint64_t, notice_handler> subscribers_;
  json::parser parser_{json::storage_ptr(), wire_parse_options()};

  asio::steady_timer sleep_timer_;   // backoff sleeps
  asio::steady_timer signal_timer_;  // "something happened" for the run loops
  asio::steady_timer sweep_timer_;
};

class client_owner {
 public:
  explicit client_owner(std::shared_ptr<client_impl> impl) : impl_(std::move(impl)) {}
  ~client_owner() { impl_->close(); }

 private:
  std::shared_ptr<client_impl> impl_;
};

}  // namespace detail

client::client(asio::any_io_executor executor, client_options options)
    : impl_(std::make_shared<detail::client_impl>(std::move(executor), std::move(options))),
      owner_(std::make_shared<detail::client_owner>(impl_)) {}

client::client(std::shared_ptr<detail::client_impl> impl) : impl_(std::move(impl)) {}

client::~client() = default;

void client::on_connect(connect_hook hook) { impl_->set_hook(std::move(hook)); }
void client::start() { impl_->start(); }
void client::close() { impl_->close(); }

asio::awaitable<call_result> client::call(api_ref api, std::string method, json::array params,
                                          std::optional<std::chrono::milliseconds> timeout) {
  auto impl = impl_;
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(call_result)>(
      [&](auto handler) {
        impl->submit(std::move(api), method, std::move(params), call_handler(std::move(handler)),
                     timeout);
      },
      asio::use_awaitable);
}

void client::async_call_erased(api_ref api, std::string_view method, json::array params,
                               call_handler done,
                               std::optional<std::chrono::milliseconds> timeout) {
  impl_->submit(std::move(api), method, std::move(params), std::move(done), timeout);
}

void client::async_call_raw_erased(api_ref api, std::string_view method,
                                   std::string_view params_json, call_handler done,
                                   std::optional<std::chrono::milliseconds> timeout) {
  impl_->submit_raw(std::move(api), method, params_json, std::move(done), timeout);
}

void client::subscribe(std::uint64_t callback_id, notice_handler handler) {
  impl_->subscribe(callback_id, std::move(handler));
}
void client::unsubscribe(std::uint64_t callback_id) { impl_->unsubscribe(callback_id); }
std::uint64_t client::reserve_id() { return impl_->reserve_id(); }
std::string client::last_error() const { return impl_->last_error(); }
bool client::connected() const { return impl_->connected_.load(); }
const client_counters& client::counters() const { return *impl_->counters_; }
const url& client::endpoint() const { return impl_->endpoint_; }
asio::strand<asio::any_io_executor> client::get_executor() const { return impl_->strand_; }

}  // namespace bts::rpc
