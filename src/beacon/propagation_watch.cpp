#include "beacon/propagation_watch.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <future>
#include <set>
#include <thread>

#include "beacon/block_reader.hpp"
#include "beacon/node_calls.hpp"
#include "beacon/number_text.hpp"
#include "stats/latency_histogram.hpp"

namespace bts::beacon {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

// A node's head may run this far ahead of what it announced before: the blocks in between are
// marked seen and their ids fetched, at most this many at once.
constexpr std::uint32_t max_gap = 1000;
// At the end, at most this many get_block calls per node for blocks it did not announce.
constexpr std::uint32_t max_checks = 5000;

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

json::object digest(const stats::latency_histogram& h) {
  const double ps[] = {50, 90, 99};
  std::int64_t out[3] = {0, 0, 0};
  h.percentiles(ps, out, nullptr);
  return {{"count", h.count()}, {"p50", out[0]},  {"p90", out[1]},
          {"p99", out[2]},      {"max", h.max()}, {"hdr", h.encode()}};
}

std::string limit_text(std::int64_t bytes) {
  if (bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + " MiB";
  return grouped(static_cast<double>(bytes)) + " bytes";
}

}  // namespace

struct propagation_watch::poll_timer {
  explicit poll_timer(asio::any_io_executor ex) : t(std::move(ex)) {}
  asio::steady_timer t;
};

propagation_watch::propagation_watch(asio::any_io_executor executor,
                                     std::chrono::milliseconds call_timeout,
                                     std::chrono::milliseconds connect_timeout,
                                     scenarios::propagation_settings settings)
    : executor_(std::move(executor)),
      call_timeout_(call_timeout),
      connect_timeout_(connect_timeout),
      settings_(settings) {}

propagation_watch::~propagation_watch() = default;

void propagation_watch::open(const std::vector<scenarios::node_endpoint>& nodes,
                             std::uint32_t head_block_number) {
  start_head_ = head_block_number;
  std::set<std::string> seen;
  for (const scenarios::node_endpoint& e : nodes) {
    if (!seen.insert(e.url).second) continue;
    auto n = std::make_unique<node_blocks>();
    n->url = e.url;
    n->head = head_block_number;
    rpc::client_options wo;
    wo.url = e.url;
    wo.call_timeout = call_timeout_;
    wo.connect_timeout = connect_timeout_;
    n->client.emplace(executor_, wo);
    node_blocks* raw = n.get();
    watch_blocks(*n->client, executor_, [this, raw](const json::array& args) {
      const std::optional<std::uint32_t> num = block_number_of_notice(args);
      if (num) on_head(*raw, *num, std::string(args[0].as_string()));
    });
    n->client->start();
    nodes_.push_back(std::move(n));
  }
  timer_ = std::make_unique<poll_timer>(executor_);
  asio::post(executor_, [this] { poll(); });
}

void propagation_watch::on_head(node_blocks& n, std::uint32_t num, const std::string& id) {
  n.reported = std::max(n.reported, num);
  if (num <= n.head && n.seen.contains(num)) return;
  const std::int64_t at = now_us();
  std::uint32_t from = std::max(n.head, start_head_) + 1;
  if (num >= max_gap && from + max_gap <= num) from = num - max_gap + 1;
  if (num < from) from = num;  // a block at or below the head it had not announced (a fork)
  if (num <= start_head_) return;
  for (std::uint32_t k = from; k <= num; ++k) {
    const auto [it, fresh] = n.seen.try_emplace(k);
    if (!fresh) continue;
    it->second.seen_us = at;
    it->second.after_run = run_last_.has_value();
    if (k == num) it->second.id = id;
    if (k != num || !facts_.contains(k)) fetch(n, k, k != num);
  }
  n.head = std::max(n.head, num);
}

void propagation_watch::fetch(node_blocks& n, std::uint32_t num, bool fill_id) {
  ++pending_checks_;
  n.client->async_call(
      "database", "get_block", {num}, [this, &n, num, fill_id](rpc::call_result r) {
        --pending_checks_;
        if (!r.ok() || !r.value().is_object()) return;
        const block_contents b = read_block(r.value().as_object(), num);
        if (!facts_.contains(num)) facts_[num] = {b.record.time_ms * 1000, b.record.bytes};
        const auto it = n.seen.find(num);
        if (it == n.seen.end()) return;
        if (!fill_id && !it->second.id.empty() && !it->second.id_computed && !ids_computable_)
          ids_computable_ = it->second.id == b.id;
        if (fill_id && it->second.id.empty()) {
          it->second.id = b.id;
          it->second.id_computed = true;
        }
      });
}

// Once a second, each node's head: catches nodes whose block notices do not come.
void propagation_watch::poll() {
  for (auto& n : nodes_) {
    if (!n->client->connected() || n->polling) continue;
    n->polling = true;
    node_blocks* raw = n.get();
    raw->client->async_call(
        "database", "get_dynamic_global_properties", {}, [this, raw](rpc::call_result r) {
          raw->polling = false;
          if (!r.ok() || !r.value().is_object()) return;
          const json::object& o = r.value().as_object();
          const auto* num = o.if_contains("head_block_number");
          const auto* id = o.if_contains("head_block_id");
          if (num == nullptr || !num->is_number() || id == nullptr || !id->is_string()) return;
          on_head(*raw, num->to_number<std::uint32_t>(), std::string(id->as_string()));
        });
  }
  timer_->t.expires_after(1s);
  timer_->t.async_wait([this](boost::system::error_code ec) {
    if (!ec) poll();
  });
}

// Every block of the run a node did not announce (or whose id is still unknown): get_block.
void propagation_watch::check_missing() {
  for (auto& n : nodes_) {
    std::uint32_t asked = 0;
    for (std::uint32_t k = start_head_ + 1; k <= *run_last_ && asked < max_checks; ++k) {
      const auto it = n->seen.find(k);
      if (it != n->seen.end() && !it->second.id.empty()) continue;
      ++asked;
      ++pending_checks_;
      node_blocks* raw = n.get();
      raw->client->async_call("database", "get_block", {k}, [this, raw, k](rpc::call_result r) {
        --pending_checks_;
        if (!r.ok() || !r.value().is_object()) return;
        const block_contents b = read_block(r.value().as_object(), k);
        if (!facts_.contains(k)) facts_[k] = {b.record.time_ms * 1000, b.record.bytes};
        const auto [s, fresh] = raw->seen.try_emplace(k);
        if (fresh) {
          s->second.seen_us = now_us();
          s->second.after_run = true;
          s->second.by_get_block = true;
        }
        if (s->second.id.empty()) {
          s->second.id = b.id;
          s->second.id_computed = true;
        }
      });
    }
  }
}

template <class F>
auto propagation_watch::on_watch_thread(F f) {
  using R = decltype(f());
  auto p = std::make_shared<std::promise<R>>();
  std::future<R> fut = p->get_future();
  asio::post(executor_, [p, f = std::move(f)]() mutable { p->set_value(f()); });
  if (fut.wait_for(call_timeout_ + 5s) != std::future_status::ready) return R{};
  return fut.get();
}

void propagation_watch::settle(const std::function<bool()>& give_up) {
  if (nodes_.empty()) return;
  const auto t0 = std::chrono::steady_clock::now();
  on_watch_thread([this] {
    std::uint32_t last = start_head_;
    for (const auto& n : nodes_) last = std::max(last, n->head);
    run_last_ = last;
    return 0;
  });
  if (!run_last_) return;
  const auto deadline = t0 + settings_.grace;
  for (;;) {
    const bool all = on_watch_thread([this] {
      return std::all_of(nodes_.begin(), nodes_.end(),
                         [this](const auto& n) { return n->head >= *run_last_; });
    });
    if (all) caught_up_ = true;
    if (all || std::chrono::steady_clock::now() >= deadline || (give_up && give_up())) break;
    std::this_thread::sleep_for(100ms);
  }
  grace_waited_ms_ =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  on_watch_thread([this] {
    check_missing();
    return 0;
  });
  const auto answers_by = std::chrono::steady_clock::now() + call_timeout_ + 1s;
  while (std::chrono::steady_clock::now() < answers_by &&
         on_watch_thread([this] { return pending_checks_; }) > 0)
    std::this_thread::sleep_for(20ms);
}

void propagation_watch::close() {
  for (auto& n : nodes_) n->client->close();
  if (timer_) asio::post(executor_, [this] { timer_->t.cancel(); });
}

namespace {

std::string block_list(const std::vector<std::uint32_t>& nums, std::size_t total) {
  std::string s;
  for (std::size_t i = 0; i < nums.size() && i < 5; ++i)
    s += (i == 0 ? "#" : ", #") + std::to_string(nums[i]);
  if (total > 5) s += " and " + grouped(static_cast<double>(total - 5)) + " more";
  return s;
}

}  // namespace

json::object propagation_watch::summary(const std::string& first_url,
                                        std::int64_t maximum_block_size) const {
  json::object out;
  const std::uint32_t first = start_head_ + 1;
  const std::uint32_t last = run_last_.value_or(start_head_);
  out["first_block"] = first;
  out["last_block"] = last;
  out["run_blocks"] = last >= first ? last - first + 1 : 0;
  out["maximum_block_size"] = maximum_block_size;
  out["p2p_max_message_size"] = settings_.p2p_max_message_size;
  out["grace"] = {{"bound_ms", settings_.grace.count()},
                  {"waited_ms", grace_waited_ms_},
                  {"caught_up", caught_up_}};

  // Per block: the reference id (the first node's, else any node's) and when it was first had.
  std::map<std::uint32_t, std::pair<std::string, bool>> ref;  // id, computed
  std::map<std::uint32_t, std::int64_t> first_us;
  const bool compare_computed = ids_computable_.value_or(false);
  // Whether node sighting `s` of block k has another id than the reference.
  const auto differs = [&](std::uint32_t k, const sighting& s) {
    const auto r = ref.find(k);
    if (r == ref.end() || s.id.empty() || s.id == r->second.first) return false;
    return compare_computed || (!s.id_computed && !r->second.second);
  };
  for (std::uint32_t k = first; k <= last; ++k) {
    for (int pass = 0; pass < 2 && !ref.contains(k); ++pass) {
      for (const auto& n : nodes_) {
        const auto it = n->seen.find(k);
        if (it == n->seen.end() || it->second.id.empty()) continue;
        if (pass == 0 && it->second.id_computed) continue;  // announced ids first
        ref[k] = {it->second.id, it->second.id_computed};
        break;
      }
    }
    for (const auto& n : nodes_) {
      const auto it = n->seen.find(k);
      if (it == n->seen.end() || it->second.by_get_block) continue;
      if (differs(k, it->second)) continue;
      auto [f, fresh] = first_us.try_emplace(k, it->second.seen_us);
      if (!fresh) f->second = std::min(f->second, it->second.seen_us);
    }
  }
  std::int64_t largest = 0;
  for (const auto& [k, f] : facts_)
    if (k >= first && k <= last) largest = std::max(largest, f.bytes);
  out["largest_block_bytes"] = largest;

  json::array rows;
  stats::latency_histogram all_vs_first;
  std::int64_t worst_max = -1;
  std::string worst_url;
  std::string missed_text;
  bool propagated = last >= first;
  for (const auto& n : nodes_) {
    stats::latency_histogram vs_time, vs_first;
    std::int64_t seen = 0, after = 0, by_get = 0;
    std::vector<std::uint32_t> missed, other;
    std::size_t missed_count = 0, other_count = 0;
    std::int64_t big = -1, big_num = 0;
    json::array missed_rows;
    for (std::uint32_t k = first; k <= last; ++k) {
      const auto it = n->seen.find(k);
      const auto f = facts_.find(k);
      const std::int64_t bytes = f != facts_.end() ? f->second.bytes : 0;
      if (it == n->seen.end() || it->second.id.empty()) {
        ++missed_count;
        if (missed.size() < 10) {
          missed.push_back(k);
          missed_rows.push_back({{"block_num", k}, {"bytes", bytes}});
        }
        if (bytes > big) big = bytes, big_num = k;
        continue;
      }
      const sighting& s = it->second;
      if (differs(k, s)) {
        ++other_count;
        if (other.size() < 10) other.push_back(k);
        continue;
      }
      ++seen;
      if (s.after_run) ++after;
      if (s.by_get_block) {
        ++by_get;
        continue;
      }
      if (f != facts_.end() && f->second.time_us > 0)
        vs_time.record(std::max<std::int64_t>(0, s.seen_us - f->second.time_us));
      if (const auto fu = first_us.find(k); fu != first_us.end())
        vs_first.record(std::max<std::int64_t>(0, s.seen_us - fu->second));
    }
    json::object o{{"url", n->url},
                   {"blocks_seen", seen},
                   {"seen_after_run", after},
                   {"found_by_get_block", by_get},
                   {"missed_count", missed_count},
                   {"missed", std::move(missed_rows)},
                   {"other_id_count", other_count},
                   {"head_at_end", n->reported}};
    json::array other_nums;
    for (auto k : other) other_nums.push_back(k);
    o["other_id"] = std::move(other_nums);
    std::string reason;
    if (missed_count > 0) {
      if (big > settings_.p2p_max_message_size)
        reason = "largest " + grouped(static_cast<double>(big)) + " bytes (#" +
                 std::to_string(big_num) + ") > the " + limit_text(settings_.p2p_max_message_size) +
                 " P2P message limit";
      else if (n->reported < missed.front())
        reason = "its head stayed at #" + std::to_string(n->reported);
      else
        reason = "get_block did not return them";
      if (missed_text.size() < 600)
        missed_text += (missed_text.empty() ? "" : "; ") + n->url + " never got " +
                       (missed_count == 1 ? "block " : "blocks ") +
                       block_list(missed, missed_count) + " (" + reason + ")";
    }
    if (other_count > 0 && missed_text.size() < 600)
      missed_text += (missed_text.empty() ? "" : "; ") + n->url + " has other ids for " +
                     (other_count == 1 ? "block " : "blocks ") + block_list(other, other_count);
    o["missed_reason"] = reason;
    if (missed_count > 0 || other_count > 0) propagated = false;
    if (!vs_first.empty() && vs_first.max() > worst_max && n->url != first_url) {
      worst_max = vs_first.max();
      worst_url = n->url;
    }
    all_vs_first.merge(vs_first);
    o["vs_block_time_us"] = digest(vs_time);
    o["vs_first_node_us"] = digest(vs_first);
    rows.push_back(std::move(o));
  }
  out["propagated"] = propagated;
  out["nodes"] = std::move(rows);

  std::string latency;
  if (!all_vs_first.empty()) {
    latency = "p99 of propagation " +
              seconds_text(static_cast<double>(all_vs_first.percentile(99))) +
              " behind the first node";
    if (!worst_url.empty())
      latency += ", up to " + seconds_text(static_cast<double>(worst_max)) + " on " + worst_url;
  }
  out["latency_summary"] = latency;
  out["missed_summary"] = missed_text;
  const double pct = maximum_block_size > 0 ? static_cast<double>(largest) / maximum_block_size : 0;
  std::string text;
  if (last < first) {
    text = "no block in the run: propagation not measured";
  } else {
    text = "blocks up to " + grouped(static_cast<double>(largest)) + " bytes (" +
           percent_text(pct) + " of maximum_block_size): ";
    if (propagated)
      text += "blocks reached every node (" + std::to_string(nodes_.size()) + ")";
    else
      text += missed_text;
    if (!latency.empty()) text += "; " + latency;
  }
  out["summary"] = text;
  return out;
}

}  // namespace bts::beacon
