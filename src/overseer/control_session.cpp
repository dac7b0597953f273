#include "overseer/control_session.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <type_traits>
#include <variant>

#include "util/error.hpp"

namespace bts::overseer {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace control;  // the protocol's messages and commands
using detail::beacon_entry;
using detail::run_beacon;

namespace {

// A control call, read and checked (plain function: no coroutine frame involved).
struct parsed_call {
  std::optional<rpc::rpc_error> error;
  std::shared_ptr<stats_msg> stats;
  beacon_message msg;
};

parsed_call parse_call(const control_session& cs, const rpc::rpc_request& req) {
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
    if (!std::holds_alternative<register_msg>(out.msg) && cs.name().empty()) {
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

// The session's control_session, created by its first message. REQUIRES: on the strand.
std::shared_ptr<control_session> session_of(detail::core& c, run_merger& merger,
                                            rpc::session& s) {
  auto* p = std::any_cast<std::shared_ptr<control_session>>(&s.state());
  if (p) return *p;
  auto cs = std::make_shared<control_session>(c, merger);
  s.state() = cs;
  return cs;
}

}  // namespace

asio::awaitable<rpc::call_result> control_session::handle(detail::core& c, run_merger& merger,
                                                          std::shared_ptr<rpc::session> s,
                                                          rpc::rpc_request req) {
  std::shared_ptr<control_session> cs = session_of(c, merger, *s);
  auto parsed = std::make_shared<parsed_call>(parse_call(*cs, req));
  if (parsed->error) co_return rpc::call_result(*parsed->error);
  if (parsed->stats) co_return co_await cs->on_stats(parsed->stats);
  co_return cs->dispatch(s, parsed->msg);
}

void control_session::closed(rpc::session& s) {
  if (auto* p = std::any_cast<std::shared_ptr<control_session>>(&s.state())) {
    (*p)->on_closed(s);
  }
}

rpc::call_result control_session::dispatch(const std::shared_ptr<rpc::session>& s,
                                           const beacon_message& m) {
  try {
    return std::visit(
        [&](const auto& msg) -> json::value {
          using T = std::decay_t<decltype(msg)>;
          if constexpr (std::is_same_v<T, register_msg>) {
            return on_register(s, msg);
          } else if constexpr (std::is_same_v<T, heartbeat_msg>) {
            return on_heartbeat(msg);
          } else if constexpr (std::is_same_v<T, pong_msg>) {
            return on_pong(msg);
          } else if constexpr (std::is_same_v<T, event_msg>) {
            return on_event(msg);
          } else if constexpr (std::is_same_v<T, ack_msg>) {
            return on_ack(msg);
          } else {
            static_assert(std::is_same_v<T, stats_msg>, "a control message without a handler");
            return json::object{};  // never here: handle() sends stats to on_stats
          }
        },
        m);
  } catch (const input_error& e) {
    return rpc::rpc_error::server(rpc::error_codes::invalid_params, e.what());
  }
}

beacon_entry& control_session::seen(unix_us t) {
  beacon_entry& b = c_.beacons[name_];
  b.last_seen = t;
  return b;
}

json::value control_session::on_register(const std::shared_ptr<rpc::session>& sp,
                                         const register_msg& reg) {
  rpc::session& s = *sp;
  std::lock_guard lock(c_.mu);
  const unix_us t = c_.now();
  beacon_entry& b = c_.beacons[reg.name];
  if (b.session && b.session->id() != s.id()) {
    c_.log("beacon " + reg.name + " registered again from " + s.request().remote +
           ": closing its previous connection from " + b.remote);
    b.session->close();
  }
  const bool was_known = b.connections > 0 || !b.run.empty();
  const bool was_lost = !b.session && was_known;
  b.reg = reg;
  b.session = sp;
  b.remote = s.request().remote;
  b.connected_at = t;
  b.last_seen = t;
  ++b.connections;
  b.state = reg.state;
  b.last_second = reg.last_second;
  if (!reg.run.empty()) b.run = reg.run;
  name_ = reg.name;
  json::object result;
  result["overseer_time"] = t;
  result["protocol"] = protocol_version;
  bool resumed = false;
  if (!reg.run.empty()) {
    auto r = c_.runs.find(reg.run);
    if (r != c_.runs.end() && r->second.beacons.count(reg.name)) {
      run_beacon& rb = r->second.beacons[reg.name];
      if (reg.state == beacon_state::finished || reg.state == beacon_state::failed) {
        rb.finished = true;
        rb.failed = reg.state == beacon_state::failed;
        rb.final_second = reg.last_second;
      }
      if (was_lost && !r->second.finished) {
        resumed = true;
        json::object d;
        d["resumed"] = true;
        d["last_second"] = reg.last_second;
        c_.add_event(reg.run, store::event_kind::beacon_joined, reg.name, std::move(d));
      }
      result["stored_second"] = rb.reported;
    } else {
      result["run_unknown"] = true;
    }
  }
  result["resumed"] = resumed;
  c_.log("beacon " + reg.name + (resumed ? " resumed run " + reg.run : " connected") + " from " +
         b.remote + " (version " + reg.version + ", host " + reg.host + ", " +
         std::to_string(reg.cores) + " cores)");
  return result;
}

json::value control_session::on_heartbeat(const heartbeat_msg& h) {
  std::lock_guard lock(c_.mu);
  const unix_us t = c_.now();
  beacon_entry& b = seen(t);
  b.state = h.state;
  if (!h.run.empty()) b.run = h.run;
  b.last_second = h.last_second;
  b.rate = h.rate;
  b.error = h.error;
  if (h.run.empty()) return json::object{{"overseer_time", t}};
  auto r = c_.runs.find(h.run);
  if (r == c_.runs.end() || !r->second.beacons.count(name_)) {
    return json::object{{"overseer_time", t}};
  }
  run_beacon& rb = r->second.beacons[name_];
  if ((h.state == beacon_state::finished || h.state == beacon_state::failed) && !rb.finished) {
    rb.finished = true;
    rb.failed = h.state == beacon_state::failed;
    rb.final_second = h.last_second;
    if (rb.failed) {
      json::object d;
      d["error"] = h.error;
      c_.add_event(h.run, store::event_kind::error, name_, std::move(d));
    }
    merger_.try_merge(h.run, r->second);
    merger_.check_finish(h.run, r->second);
  }
  return json::object{{"overseer_time", t}};
}

json::value control_session::on_pong(const pong_msg& p) {
  std::lock_guard lock(c_.mu);
  const unix_us t = c_.now();
  beacon_entry& b = seen(t);
  b.pending.erase(p.command);
  b.clock.add(measure_clock(p.t0, p.t1, p.t2, t));
  return json::object{};
}

json::value control_session::on_event(const event_msg& e) {
  std::lock_guard lock(c_.mu);
  seen(c_.now());
  auto r = c_.runs.find(e.run);
  if (r == c_.runs.end() || !r->second.beacons.count(name_)) {
    throw input_error("event.run", "beacon " + name_ + " is not part of run \"" + e.run + "\"");
  }
  c_.add_event(e.run, e.kind, name_, e.data, e.time);
  return json::object{};
}

json::value control_session::on_ack(const ack_msg& a) {
  std::lock_guard lock(c_.mu);
  beacon_entry& b = seen(c_.now());
  auto it = b.pending.find(a.command);
  const std::string what = it == b.pending.end() ? "command" : it->second.first;
  if (it != b.pending.end()) b.pending.erase(it);
  if (!a.ok) {
    b.last_command_error = what + ": " + a.error;
    c_.log("beacon " + name_ + " refused " + what + " (command " + std::to_string(a.command) +
           "): " + a.error);
  }
  return json::object{};
}

void control_session::on_closed(const rpc::session& s) {
  std::lock_guard lock(c_.mu);
  if (name_.empty()) return;
  auto it = c_.beacons.find(name_);
  if (it == c_.beacons.end() || !it->second.session || it->second.session->id() != s.id()) return;
  beacon_entry& b = it->second;
  b.session.reset();
  b.lost_since = c_.now();
  ++b.losses;
  b.pending.clear();
  c_.log("beacon " + name_ + " lost (" + b.remote + ")");
  if (!b.run.empty()) {
    auto r = c_.runs.find(b.run);
    if (r != c_.runs.end() && !r->second.finished && r->second.beacons.count(name_)) {
      c_.add_event(b.run, store::event_kind::beacon_lost, name_, {});
    }
  }
}

// ---- stats -------------------------------------------------------------------------------------

std::optional<rpc::rpc_error> control_session::stats_check(const stats_msg& m) {
  std::lock_guard lock(c_.mu);
  auto r = c_.runs.find(m.run);
  if (r == c_.runs.end() || !r->second.beacons.count(name_)) {
    return rpc::rpc_error::server(
        rpc::error_codes::invalid_params,
        "stats.run: beacon " + name_ + " is not part of run \"" + m.run + "\"");
  }
  seen(c_.now());
  return std::nullopt;
}

// Stores the rows and blocks on the store thread; completes once committed.
asio::awaitable<rpc::call_result> control_session::stats_store(const stats_msg& m) {
  auto records = std::make_shared<std::vector<store::second_record>>();
  records->reserve(m.rows.size());
  for (const auto& row : m.rows) records->push_back({name_, row, std::nullopt});
  auto blocks = std::make_shared<std::vector<store::block_record>>(m.blocks);
  auto run = std::make_shared<std::string>(m.run);
  auto initiate = [this, run, records, blocks](auto handler) {
    auto h = std::make_shared<decltype(handler)>(std::move(handler));
    c_.store->post(
        [w = c_.store.get(), h, run, records, blocks, cb = c_.opt.on_rows](store::results_store& db) {
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

// After the rows are stored: the merger queues them and merges what is complete.
rpc::call_result control_session::stats_stored(const stats_msg& m,
                                               const rpc::call_result& stored) {
  if (!stored.ok()) return stored;
  {
    std::lock_guard lock(c_.mu);
    merger_.rows_stored(m.run, name_, m.rows);
  }
  json::object res = stored.value().as_object();
  res["last_second"] = m.rows.empty() ? -1 : m.rows.back().second;
  return json::value(std::move(res));
}

asio::awaitable<rpc::call_result> control_session::on_stats(std::shared_ptr<stats_msg> m) {
  std::optional<rpc::rpc_error> refused = stats_check(*m);
  if (refused) co_return rpc::call_result(*refused);
  rpc::call_result stored = json::value(json::object{{"stored", 0}});
  if (!m->rows.empty() || !m->blocks.empty()) stored = co_await stats_store(*m);
  co_return stats_stored(*m, stored);
}

}  // namespace bts::overseer
