#include "beacon/head_sampling.hpp"

#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <set>

#include "beacon/node_calls.hpp"
#include "util/time.hpp"

namespace bts::beacon {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

std::optional<head_sample> read_head_sample(const json::value& v,
                                            std::chrono::system_clock::time_point at) {
  const json::object* o = v.if_object();
  if (o == nullptr) return std::nullopt;
  const auto number = [o](const char* key) -> std::optional<std::uint32_t> {
    const json::value* m = o->if_contains(key);
    if (m == nullptr) return std::nullopt;
    if (const auto* u = m->if_uint64(); u && *u <= UINT32_MAX)
      return static_cast<std::uint32_t>(*u);
    if (const auto* i = m->if_int64(); i && *i >= 0 && *i <= UINT32_MAX)
      return static_cast<std::uint32_t>(*i);
    return std::nullopt;
  };
  const auto head = number("head_block_number");
  const auto lib = number("last_irreversible_block_num");
  const json::value* id = o->if_contains("head_block_id");
  const json::value* time = o->if_contains("time");
  if (!head || !lib || id == nullptr || !id->is_string() || time == nullptr || !time->is_string())
    return std::nullopt;
  head_sample s;
  s.at = at;
  s.head_block_num = *head;
  s.head_block_id = std::string(id->get_string());
  s.last_irreversible_block_num = *lib;
  try {
    s.head_block_time = parse_time_point_sec(time->get_string());
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return s;
}

void fill_heads(stats::second_row& row,
                const std::vector<std::pair<std::string, head_sample>>& latest,
                std::chrono::system_clock::time_point now, std::chrono::milliseconds fresh_for) {
  const auto fresh = [&](const head_sample& s) { return now - s.at <= fresh_for; };
  std::optional<std::uint32_t> freshest;
  for (const auto& [url, s] : latest) {
    if (fresh(s)) freshest = std::max(freshest.value_or(0), s.head_block_num);
  }
  if (!freshest) return;  // nothing answered lately: no node can be said to lag
  for (const auto& [url, s] : latest) {
    stats::node_load_row r;
    r.head_lag_blocks = s.head_block_num >= *freshest ? 0.0 : double(*freshest - s.head_block_num);
    if (fresh(s)) {
      r.head_block_num = s.head_block_num;
      const auto sampled =
          std::chrono::duration<double>(s.at.time_since_epoch()).count() - s.head_block_time;
      r.head_age_seconds = std::max(0.0, std::round(sampled * 100) / 100);
      r.irreversible_lag_blocks = s.last_irreversible_block_num >= s.head_block_num
                                      ? 0.0
                                      : double(s.head_block_num - s.last_irreversible_block_num);
    }
    row.node_load[url].merge(r);
  }
}

head_sampling::head_sampling(asio::any_io_executor executor, std::chrono::milliseconds call_timeout,
                             std::chrono::milliseconds connect_timeout)
    : executor_(std::move(executor)),
      call_timeout_(std::min<std::chrono::milliseconds>(call_timeout, 3s)),
      connect_timeout_(connect_timeout) {}

head_sampling::~head_sampling() { stop(); }

void head_sampling::start(const std::vector<scenarios::node_endpoint>& nodes,
                          std::chrono::milliseconds period) {
  period_ = period;
  std::set<std::string> seen;
  {
    std::lock_guard lock(state_->mu);
    for (const scenarios::node_endpoint& e : nodes) {
      if (!seen.insert(e.url).second) continue;
      auto n = std::make_unique<node>();
      n->url = e.url;
      rpc::client_options co;
      co.url = e.url;
      co.call_timeout = call_timeout_;
      co.connect_timeout = connect_timeout_;
      n->client.emplace(executor_, co);
      n->client->on_connect([](rpc::client& cl) -> asio::awaitable<void> {
        (co_await cl.call(1, "login", login_params())).value();
      });
      n->client->start();
      state_->nodes.push_back(std::move(n));
    }
  }
  asio::post(executor_, [this] {
    timer_.emplace(executor_);
    tick();
  });
}

void head_sampling::stop() {
  std::lock_guard lock(state_->mu);
  if (stopped_) return;
  stopped_ = true;
  for (auto& n : state_->nodes) {
    if (n->client) n->client->close();
  }
}

void head_sampling::tick() {
  std::vector<node*> due;
  {
    std::lock_guard lock(state_->mu);
    if (stopped_) return;
    for (auto& n : state_->nodes) {
      if (n->pending) continue;  // a slow or stalled node gets no second call
      n->pending = true;
      due.push_back(n.get());
    }
  }
  // Outside the lock: a completion may take it.
  for (node* n : due) sample(*n);
  timer_->expires_after(period_);
  timer_->async_wait([this](boost::system::error_code ec) {
    if (!ec) tick();
  });
}

// REQUIRES: n.pending was set for this call.
void head_sampling::sample(node& n) {
  n.client->async_call("database", "get_dynamic_global_properties", json::array{},
                       [st = state_, np = &n](rpc::call_result r) {
                         const auto at = std::chrono::system_clock::now();
                         std::optional<head_sample> s;
                         if (r.ok()) s = read_head_sample(r.value(), at);
                         std::lock_guard lock(st->mu);
                         np->pending = false;
                         if (s) {
                           np->latest = std::move(s);
                           ++np->readings;
                         } else {
                           ++np->errors;
                           np->last_error =
                               r.ok() ? "unexpected answer to get_dynamic_global_properties"
                                      : r.error().message;
                         }
                       });
}

void head_sampling::fill(stats::second_row& row) const {
  std::vector<std::pair<std::string, head_sample>> latest;
  {
    std::lock_guard lock(state_->mu);
    for (const auto& n : state_->nodes) {
      if (n->latest) latest.emplace_back(n->url, *n->latest);
    }
  }
  fill_heads(row, latest, std::chrono::system_clock::now());
}

json::array head_sampling::info_json() const {
  json::array out;
  std::lock_guard lock(state_->mu);
  for (const auto& n : state_->nodes) {
    json::object o{{"node", n->url}, {"readings", n->readings}, {"errors", n->errors}};
    if (!n->last_error.empty()) o["last_error"] = n->last_error;
    if (n->latest) o["head_block_num"] = n->latest->head_block_num;
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace bts::beacon
