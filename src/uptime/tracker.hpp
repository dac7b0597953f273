// The tracker: probes every endpoint at its interval on one executor, evaluates its conditions
// (with [HEAD_BLOCK_LAG] against the median head of the chain's other tracked nodes, and an
// Elasticsearch endpoint's [ES_LAG] against the median head of its chain's nodes), stores
// each result, keeps incidents and sends alert webhooks.
//
//   uptime::tracker t(io.get_executor(), cfg, &store);
//   t.start();      // probes begin, staggered over the first interval
//   io.run();
//
// Alerts: an incident opens after `failure_threshold` consecutive results that are not up
// (webhook "triggered"), and closes after `success_threshold` consecutive up results (webhook
// "resolved"). A new incident of the same endpoint cannot open within `cooldown` of the last
// resolve: a flapping node sends one pair of messages per cooldown, not one per flap.
//
// Ownership: the tracker borrows the store (may be null: results are kept in memory only) and
// must outlive the coroutines it started: call stop() and let the executor finish (or stop it)
// before destroying it.
// Threads: probes, evaluation and store writes run on the executor (run it on one thread);
// snapshot(), counters and stop() may be called from any thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "uptime/config.hpp"
#include "uptime/probe.hpp"
#include "uptime/state.hpp"
#include "uptime/store.hpp"

namespace bts::uptime {

struct endpoint_status {
  std::string key;
  endpoint_state state = endpoint_state::unknown;
  std::vector<std::string> failed;  // descriptions of the failed conditions
  std::optional<probe_result> last;
  std::uint64_t probes = 0;
  std::uint64_t by_state[4] = {0, 0, 0, 0};  // results since start, by endpoint_state
  int consecutive_failures = 0;
  int consecutive_successes = 0;
  bool incident_open = false;
  std::int64_t incident_id = 0;
  std::int64_t last_resolved_ms = 0;
  std::uint64_t suppressed_triggers = 0;  // incidents held back by the cooldown
  // The latest verdict each remote probe location reported.
  struct remote_view {
    endpoint_state state = endpoint_state::unknown;
    std::vector<std::string> failed;
    std::int64_t ts_ms = 0;
  };
  std::map<std::string, remote_view> remote;
};

struct alert_event {
  std::string kind;  // "triggered" or "resolved"
  std::string key, name, group, url;
  endpoint_state state = endpoint_state::unknown;
  std::vector<std::string> failed;
  std::string error;
  std::int64_t time_ms = 0;
  int consecutive = 0;
};
// The webhook's JSON body.
std::string alert_json(const alert_event& a);

struct tracker_counters {
  std::atomic<std::uint64_t> probes{0};
  std::atomic<std::uint64_t> webhooks_sent{0};
  std::atomic<std::uint64_t> webhooks_failed{0};
  std::atomic<std::uint64_t> store_errors{0};
};

// The verdict of a probe: which conditions failed and what that makes the endpoint.
struct verdict {
  endpoint_state state = endpoint_state::up;
  std::vector<std::string> failed;
};
verdict judge(const endpoint_config& e, const probe_result& r);

class tracker {
 public:
  tracker(boost::asio::any_io_executor executor, uptime_config config, uptime_store* store);
  ~tracker();
  tracker(const tracker&) = delete;
  tracker& operator=(const tracker&) = delete;

  void start();
  void stop();  // no probe starts after it; probes under way finish (bounded by their timeouts)

  // Probes every endpoint once, concurrently, and records the results (as start() would).
  boost::asio::awaitable<void> probe_all_once();

  const uptime_config& config() const { return config_; }
  std::vector<endpoint_status> snapshot() const;
  const tracker_counters& counters() const { return counters_; }
  uptime_store* store() const { return store_; }

  // Called on the executor after every result (tests, logs).
  std::function<void(const endpoint_config&, const endpoint_status&)> on_result;
  // Called on the executor for every alert, whether or not a webhook is configured.
  std::function<void(const alert_event&)> on_alert;

  // A verdict from a remote probe location (`uptime probe`). With probes.quorum K > 1, a local
  // "down" stands only when at least K locations (this one included) saw the endpoint down
  // within two intervals; otherwise it is reported as degraded ("down from 1 of 3 locations").
  // Returns false for an unknown endpoint key. Any thread.
  bool remote_result(const std::string& location, const std::string& key, endpoint_state s,
                     std::vector<std::string> failed, std::int64_t ts_ms);

 private:
  boost::asio::awaitable<void> run_endpoint(std::size_t i);
  boost::asio::awaitable<void> run_rollup();
  void record(std::size_t i, probe_result r);
  void es_lag(std::size_t i, probe_result& r, std::int64_t now);
  void alert(const alert_event& a);

  boost::asio::any_io_executor executor_;
  uptime_config config_;
  uptime_store* store_;
  mutable std::mutex mu_;
  std::vector<endpoint_status> status_;  // guarded by mu_
  std::atomic<bool> stopped_{false};
  std::vector<std::shared_ptr<boost::asio::steady_timer>> timers_;  // touched on the executor
  tracker_counters counters_;
  std::string webhook_token_;
};

}  // namespace bts::uptime
