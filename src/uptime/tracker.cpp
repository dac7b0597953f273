#include "uptime/tracker.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <map>

#include "rpc/url.hpp"
#include "uptime/detail/fetch.hpp"

namespace bts::uptime {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using clock_type = std::chrono::steady_clock;

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double median_of(std::vector<std::int64_t> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size();
  return m % 2 ? static_cast<double>(v[m / 2])
               : (static_cast<double>(v[m / 2 - 1]) + static_cast<double>(v[m / 2])) / 2.0;
}

bool is_node(const endpoint_config& e) {
  return e.kind == endpoint_kind::websocket || e.kind == endpoint_kind::http_jsonrpc;
}

// Whether endpoint j is one of the nodes an Elasticsearch endpoint takes its chain head from.
bool is_chain_source(const endpoint_config& es, const endpoint_config& j) {
  return is_node(j) && (es.es.chain_id.empty() ? j.group == es.es.chain_group : true);
}

bool is_down_condition(const condition& c) {
  return c.uses(placeholder::connected) || c.uses(placeholder::status);
}

}  // namespace

verdict judge(const endpoint_config& e, const probe_result& r) {
  verdict v;
  bool down = false, wrong = false;
  for (const auto& c : e.conditions) {
    const evaluation ev = evaluate(c, r.found);
    if (ev.passed) continue;
    v.failed.push_back(ev.description);
    if (is_down_condition(c))
      down = true;
    else if (c.uses(placeholder::chain_id))
      wrong = true;
  }
  const bool reachable =
      r.found.connected && (e.kind != endpoint_kind::http || r.found.status.has_value());
  if (!reachable) {
    down = true;
    if (v.failed.empty() || !r.error.empty())
      v.failed.insert(v.failed.begin(), r.error.empty() ? "not connected" : r.error);
  }
  if (down)
    v.state = endpoint_state::down;
  else if (wrong)
    v.state = endpoint_state::wrong_network;
  else if (!v.failed.empty())
    v.state = endpoint_state::degraded;
  else
    v.state = endpoint_state::up;
  return v;
}

std::string alert_json(const alert_event& a) {
  json::array failed;
  for (const auto& f : a.failed) failed.emplace_back(f);
  json::object o{{"event", a.kind},
                 {"endpoint", a.name},
                 {"group", a.group},
                 {"key", a.key},
                 {"url", a.url},
                 {"state", std::string(to_string(a.state))},
                 {"failed_conditions", std::move(failed)},
                 {"error", a.error},
                 {"consecutive", a.consecutive},
                 {"time_ms", a.time_ms}};
  std::string text;
  if (a.kind == "triggered") {
    text = a.group + "/" + a.name + " is " + std::string(to_string(a.state));
    if (!a.failed.empty()) text += ": " + a.failed.front();
  } else {
    text = a.group + "/" + a.name + " is up again";
  }
  o["text"] = text;
  return json::serialize(o);
}

tracker::tracker(asio::any_io_executor executor, uptime_config config, uptime_store* store)
    : executor_(std::move(executor)), config_(std::move(config)), store_(store) {
  status_.resize(config_.endpoints.size());
  for (std::size_t i = 0; i < config_.endpoints.size(); ++i) {
    status_[i].key = config_.endpoints[i].key();
    if (store_) {
      try {
        if (auto open = store_->open_incident_of(status_[i].key)) {
          status_[i].incident_open = true;
          status_[i].incident_id = open->id;
        }
      } catch (const std::exception&) {
        ++counters_.store_errors;
      }
    }
  }
  if (!config_.alerts.token_env.empty()) {
    if (const char* t = std::getenv(config_.alerts.token_env.c_str())) webhook_token_ = t;
  }
}

tracker::~tracker() { stopped_ = true; }

void tracker::start() {
  for (std::size_t i = 0; i < config_.endpoints.size(); ++i) {
    asio::co_spawn(executor_, run_endpoint(i), asio::detached);
  }
  if (store_) asio::co_spawn(executor_, run_rollup(), asio::detached);
}

void tracker::stop() {
  stopped_ = true;
  asio::post(executor_, [this] {
    for (auto& t : timers_) t->cancel();
  });
}

asio::awaitable<void> tracker::run_endpoint(std::size_t i) {
  const endpoint_config& e = config_.endpoints[i];
  auto timer = std::make_shared<asio::steady_timer>(executor_);
  timers_.push_back(timer);
  // Stagger the first probes over the first interval so 1,000 endpoints do not start at once.
  const auto n = std::max<std::size_t>(config_.endpoints.size(), 1);
  auto next =
      clock_type::now() + e.interval * static_cast<std::int64_t>(i) / static_cast<std::int64_t>(n);
  if (e.kind == endpoint_kind::elasticsearch) {
    // The first probe waits (up to one interval plus timeout) for the chain's nodes to have a
    // result, so a fresh tracker does not report "no chain head known" before it probed them.
    const auto limit = clock_type::now() + e.interval + e.timeout;
    auto ready = [&] {
      std::lock_guard lock(mu_);
      for (std::size_t j = 0; j < status_.size(); ++j) {
        if (j != i && is_chain_source(e, config_.endpoints[j]) && !status_[j].last) return false;
      }
      return true;
    };
    while (!stopped_ && !ready() && clock_type::now() < limit) {
      timer->expires_after(std::chrono::milliseconds(50));
      boost::system::error_code ec;
      co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    next = std::max(next, clock_type::now());
  }
  while (!stopped_) {
    timer->expires_at(next);
    boost::system::error_code ec;
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stopped_) break;
    next += e.interval;
    probe_result r;
    try {
      r = co_await probe(e);
    } catch (const std::exception& ex) {
      r.started_ms = unix_ms();
      r.error = std::string("probe: ") + ex.what();
    }
    if (stopped_) break;
    record(i, std::move(r));
    if (next < clock_type::now()) next = clock_type::now();
  }
}

asio::awaitable<void> tracker::run_rollup() {
  auto timer = std::make_shared<asio::steady_timer>(executor_);
  timers_.push_back(timer);
  while (!stopped_) {
    try {
      store_->roll_up(unix_ms(), config_.retention.count());
    } catch (const std::exception&) {
      ++counters_.store_errors;
    }
    timer->expires_after(std::chrono::minutes(10));
    boost::system::error_code ec;
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<void> tracker::probe_all_once() {
  using namespace asio::experimental::awaitable_operators;
  std::size_t remaining = config_.endpoints.size();
  if (remaining == 0) co_return;
  asio::steady_timer done(executor_, clock_type::time_point::max());
  // Elasticsearch results are recorded after the nodes', whose heads they are compared with.
  std::vector<std::pair<std::size_t, probe_result>> deferred;
  for (std::size_t i = 0; i < config_.endpoints.size(); ++i) {
    asio::co_spawn(
        executor_,
        [this, i, &remaining, &done, &deferred]() -> asio::awaitable<void> {
          probe_result r;
          try {
            r = co_await probe(config_.endpoints[i]);
          } catch (const std::exception& ex) {
            r.started_ms = unix_ms();
            r.error = std::string("probe: ") + ex.what();
          }
          if (config_.endpoints[i].kind == endpoint_kind::elasticsearch)
            deferred.emplace_back(i, std::move(r));
          else
            record(i, std::move(r));
          if (--remaining == 0) {
            for (auto& [j, dr] : deferred) record(j, std::move(dr));
            done.cancel();
          }
        },
        asio::detached);
  }
  boost::system::error_code ec;
  co_await done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

void tracker::record(std::size_t i, probe_result r) {
  const endpoint_config& e = config_.endpoints[i];
  ++counters_.probes;
  const std::int64_t now = unix_ms();
  // [HEAD_BLOCK_LAG]: behind the median head of the chain's nodes seen in the last two intervals.
  if (r.head_block_num && r.found.chain_id) {
    std::vector<std::int64_t> heads{*r.head_block_num};
    {
      std::lock_guard lock(mu_);
      for (std::size_t j = 0; j < status_.size(); ++j) {
        if (j == i || !status_[j].last) continue;
        const probe_result& o = *status_[j].last;
        if (!o.head_block_num || o.found.chain_id != r.found.chain_id) continue;
        if (now - o.started_ms >
            2 * config_.endpoints[j].interval.count() + config_.endpoints[j].timeout.count())
          continue;
        heads.push_back(*o.head_block_num);
      }
    }
    std::sort(heads.begin(), heads.end());
    const std::size_t m = heads.size();
    const double median =
        m % 2 ? static_cast<double>(heads[m / 2])
              : (static_cast<double>(heads[m / 2 - 1]) + static_cast<double>(heads[m / 2])) / 2.0;
    r.found.head_block_lag = std::max(0.0, median - static_cast<double>(*r.head_block_num));
  }
  if (e.kind == endpoint_kind::elasticsearch && r.found.connected) es_lag(i, r, now);
  verdict v = judge(e, r);
  if (v.state == endpoint_state::down && config_.probes.quorum > 1) {
    const std::int64_t fresh = 2 * e.interval.count() + e.timeout.count();
    int seen_down = 1, locations = 1;
    {
      std::lock_guard lock(mu_);
      for (const auto& [where, view] : status_[i].remote) {
        if (now - view.ts_ms > fresh) continue;
        ++locations;
        if (view.state == endpoint_state::down) ++seen_down;
      }
    }
    if (seen_down < config_.probes.quorum) {
      v.state = endpoint_state::degraded;
      v.failed.push_back("down from " + std::to_string(seen_down) + " of " +
                         std::to_string(locations) + " locations (quorum " +
                         std::to_string(config_.probes.quorum) + ")");
    }
  }

  stored_result sr;
  sr.ts_ms = r.started_ms;
  sr.state = v.state;
  sr.response_ms = r.found.response_time_ms;
  sr.dns_ms = r.phases.dns_ms;
  sr.tcp_ms = r.phases.tcp_ms;
  sr.tls_ms = r.phases.tls_ms;
  sr.ws_ms = r.phases.ws_upgrade_ms;
  sr.call_ms = r.phases.first_call_ms;
  sr.head_block = r.head_block_num ? r.head_block_num : r.es_block_num;  // ES: newest indexed
  json::array failed;
  for (const auto& f : v.failed) failed.emplace_back(f);
  sr.failed = json::serialize(failed);
  sr.error = r.error;

  std::optional<alert_event> event;
  endpoint_status copy;
  {
    std::lock_guard lock(mu_);
    endpoint_status& s = status_[i];
    s.state = v.state;
    s.failed = v.failed;
    s.last = std::move(r);
    ++s.probes;
    ++s.by_state[static_cast<int>(v.state)];
    if (v.state == endpoint_state::up) {
      ++s.consecutive_successes;
      s.consecutive_failures = 0;
    } else {
      ++s.consecutive_failures;
      s.consecutive_successes = 0;
    }
    const auto& a = config_.alerts;
    if (!s.incident_open && s.consecutive_failures >= a.failure_threshold) {
      if (s.last_resolved_ms == 0 || now - s.last_resolved_ms >= a.cooldown.count()) {
        s.incident_open = true;
        event = alert_event{"triggered", s.key,    e.name,        e.group, e.url,
                            v.state,     v.failed, s.last->error, now,     s.consecutive_failures};
      } else if (s.consecutive_failures == a.failure_threshold) {
        ++s.suppressed_triggers;
      }
    } else if (s.incident_open && s.consecutive_successes >= a.success_threshold) {
      s.incident_open = false;
      s.last_resolved_ms = now;
      event = alert_event{"resolved", s.key, e.name, e.group, e.url,
                          v.state,    {},    {},     now,     s.consecutive_successes};
    }
    copy = s;
  }
  if (store_) {
    try {
      store_->record(copy.key, sr);
      if (copy.last && copy.last->certificate) {
        const auto& c = *copy.last->certificate;
        stored_certificate sc{e.host + ":" + std::to_string(e.port),
                              c.subject,
                              c.issuer,
                              "",
                              c.not_after_ms,
                              now,
                              c.verified,
                              c.verify_error};
        for (const auto& s : c.sans) sc.sans += (sc.sans.empty() ? "" : ", ") + s;
        store_->put_certificate(sc);
      }
      if (event && event->kind == "triggered") {
        std::string reason = event->failed.empty() ? event->error : event->failed.front();
        const std::int64_t id = store_->open_incident(copy.key, now, event->state, reason);
        std::lock_guard lock(mu_);
        status_[i].incident_id = id;
      } else if (event && event->kind == "resolved" && copy.incident_id) {
        store_->close_incident(copy.incident_id, now);
      }
    } catch (const std::exception& ex) {
      ++counters_.store_errors;
      static std::atomic<int> logged{0};
      if (logged++ < 5) std::cerr << "uptime: store: " << ex.what() << "\n";
    }
  }
  if (event) alert(*event);
  if (on_result) on_result(e, copy);
}

// [ES_LAG]: the chain head (the median head of the chain's nodes seen within two intervals, as
// for [HEAD_BLOCK_LAG]) minus the newest indexed block. No fresh node: the lag stays missing,
// with the reason, so an [ES_LAG] condition fails rather than passing silently.
void tracker::es_lag(std::size_t i, probe_result& r, std::int64_t now) {
  const endpoint_config& e = config_.endpoints[i];
  std::map<std::string, std::vector<std::int64_t>> by_chain;
  {
    std::lock_guard lock(mu_);
    for (std::size_t j = 0; j < status_.size(); ++j) {
      const endpoint_config& n = config_.endpoints[j];
      if (j == i || !status_[j].last || !is_chain_source(e, n)) continue;
      const probe_result& o = *status_[j].last;
      if (!o.head_block_num || !o.found.chain_id) continue;
      if (!e.es.chain_id.empty() && *o.found.chain_id != e.es.chain_id) continue;
      if (now - o.started_ms > 2 * n.interval.count() + n.timeout.count()) continue;
      by_chain[*o.found.chain_id].push_back(*o.head_block_num);
    }
  }
  // A group's nodes on several chains (one on the wrong network): the chain most of them are on.
  const std::vector<std::int64_t>* heads = nullptr;
  for (const auto& [id, h] : by_chain) {
    if (!heads || h.size() > heads->size()) heads = &h;
  }
  if (!heads) {
    const std::string what = e.es.chain_id.empty() ? "group \"" + e.es.chain_group + "\""
                                                   : e.es.chain_id.substr(0, 12) + "...";
    const std::string reason =
        "no chain head known for chain " + what + " (no node of it answered within two intervals)";
    if (r.es_block_num) r.found.es_lag_missing = reason;
    if (r.es_objects_block_num) r.found.es_objects_lag_missing = reason;
    return;
  }
  const double head = median_of(*heads);
  r.es_chain_head = head;
  if (r.es_block_num) r.found.es_lag = std::max(0.0, head - static_cast<double>(*r.es_block_num));
  if (r.es_objects_block_num)
    r.found.es_objects_lag = std::max(0.0, head - static_cast<double>(*r.es_objects_block_num));
}

void tracker::alert(const alert_event& a) {
  if (on_alert) on_alert(a);
  if (config_.alerts.webhook_url.empty()) return;
  rpc::url u = rpc::parse_url(config_.alerts.webhook_url);
  detail::fetch_options fo;
  fo.host = u.host;
  fo.port = u.port;
  fo.tls = u.tls();
  fo.deadline = clock_type::now() + std::chrono::seconds(10);
  detail::http_request req;
  req.method = "POST";
  req.target = u.target;
  req.body = alert_json(a);
  req.headers = config_.alerts.headers;
  if (!webhook_token_.empty())
    req.headers.emplace_back("Authorization", "Bearer " + webhook_token_);
  fo.request = std::move(req);
  asio::co_spawn(
      executor_,
      [this, fo]() -> asio::awaitable<void> {
        detail::fetch_result r = co_await detail::fetch(fo);
        if (r.error.empty() && r.status && *r.status < 300)
          ++counters_.webhooks_sent;
        else
          ++counters_.webhooks_failed;
      },
      asio::detached);
}

bool tracker::remote_result(const std::string& location, const std::string& key, endpoint_state s,
                            std::vector<std::string> failed, std::int64_t ts_ms) {
  std::lock_guard lock(mu_);
  for (auto& st : status_) {
    if (st.key != key) continue;
    st.remote[location] = endpoint_status::remote_view{s, std::move(failed), ts_ms};
    return true;
  }
  return false;
}

std::vector<endpoint_status> tracker::snapshot() const {
  std::lock_guard lock(mu_);
  return status_;
}

}  // namespace bts::uptime
