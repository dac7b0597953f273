// A beacon's scenario (read by the beacon, the control agent and the overseer): which nodes, which
// accounts, which operations in which mix, how many per transaction, how large, at what rate, for
// how long. Read from YAML (docs/scenarios.md documents every field); command-line flags override
// single fields after parsing.
//
//   scenarios::scenario s = scenarios::parse_scenario(text, "max.yaml");  // throws input_error
//   s.rate = load::rate_profile::parse(...);                         // a flag overriding it
//
// Errors name the file, line and column (yaml-cpp's Mark, 1-based) and what was expected:
//   "max.yaml:7:11: mix.transfer: expected a non-negative number, got \"lots\"".
// Keys are never part of a scenario: the accounts file (or an environment variable) holds them.
//
// Threads: plain values; parse functions are pure.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "load/rate_profile.hpp"
#include "monitor/node_load.hpp"

namespace bts::scenarios {

enum class spread_kind { round_robin, weighted };

struct node_endpoint {
  std::string url;
  double weight = 1;    // used by spread_kind::weighted
  int connections = 1;  // websocket connections the beacon opens to this node
  // Where this node's CPU load is read (monitor/node_load.hpp spec: node_exporter:URL,
  // metrics:URL, http(s)://.../metrics, proc:PID, proc:/path/to/pidfile), "none" for nowhere.
  // Empty: the node's own /metrics on the same host and port (what the bts-infra devnet
  // serves), used only if it answers at start.
  std::string node_load;
};

// Weights of each operation type; they need not sum to anything, only one must be positive.
struct operation_mix {
  double transfer = 1;
  double transfer_with_memo = 0;
  double limit_order_create = 0;
  double limit_order_cancel = 0;  // of the beacon's own open orders; a transfer when it has none
  double total() const {
    return transfer + transfer_with_memo + limit_order_create + limit_order_cancel;
  }
};

// Operations per transaction. `max` fills every transaction with operations up to the chain's
// maximum_transaction_size (signatures included): as many as the limits allow.
struct ops_per_tx {
  enum class kind { fixed, uniform, weighted, max };
  kind type = kind::fixed;
  std::uint32_t fixed = 1;
  std::uint32_t min = 1, max = 1;                         // uniform, inclusive
  std::vector<std::pair<std::uint32_t, double>> choices;  // weighted: (count, weight)
};

// A distribution of positive integers (amounts in the asset's smallest unit).
struct int_distribution {
  enum class kind { fixed, uniform, log_uniform };
  kind type = kind::uniform;
  std::int64_t min = 1, max = 100000;  // fixed uses min
};

// Prices of limit orders, in test asset per core asset unit (satoshi/satoshi), uniform in
// [min, max].
struct price_distribution {
  double min = 0.5, max = 2.0;
};

// A maximum-throughput search (docs/scenarios.md "Rate search"): the offered rate starts at
// `start` (scenario::rate is constant(start)) and rises by `step` every `step_duration` up to
// `max`, each change a live rate change of the sequencer. Each step is judged against
// the thresholds `settle` after it ended (so its transactions had time to be included); the
// first step that crosses one is the break point, the rate falls back to the last good step's
// and is held for `hold`, then the run ends. When `max` is judged good it is held instead.
struct rate_search {
  double start = 100;
  double step = 100;
  std::chrono::nanoseconds step_duration = std::chrono::seconds(10);
  double max = 20000;
  std::chrono::nanoseconds hold = std::chrono::seconds(30);
  // 0: three block intervals of the chain (read at setup), at least 1 s.
  std::chrono::nanoseconds settle{0};
};

// What a search step must meet to count as sustained.
struct search_thresholds {
  double min_inclusion_ratio = 0.99;  // included / sent, of the step's own transactions
  std::chrono::nanoseconds max_p99_inclusion = std::chrono::seconds(5);  // corrected latency
  double max_error_rate = 0.01;  // (rejected + unanswered) / sent
  // Beacon-side limits: a step that crosses these broke on the beacon, not on the node.
  std::chrono::nanoseconds max_p99_schedule_lag = std::chrono::seconds(1);
  double max_pool_miss_ratio = 0.001;  // pool misses / sent
};

// Which nodes' blocks the beacon watches. all_nodes (the p2p-limit preset): besides the
// inclusion watcher on the first node, every other node is watched for blocks, and the run says
// per node the largest block it saw and which blocks it missed (did large blocks propagate?).
enum class block_watch { first_node, all_nodes };

// `propagation:` (used with block_watch all_nodes). After the run, the beacon waits until every
// node's head passed the run's last block, at most `grace`, then asks each node for the run's
// blocks it has not announced; only blocks it still does not return (with the same id) are
// missed. A missed block larger than `p2p_max_message_size` (graphene's MAX_MESSAGE_SIZE,
// 2 MiB) is said to be above the P2P message limit.
struct propagation_settings {
  std::chrono::milliseconds grace{30000};
  std::int64_t p2p_max_message_size = 2 * 1024 * 1024;
};

struct scenario {
  std::string name;  // from the file name or `name:`; for manifests
  std::vector<node_endpoint> nodes;
  spread_kind spread = spread_kind::round_robin;

  // Accounts: a file of "name WIF" lines, or an environment variable holding the same text
  // (lines or ';'-separated). Never the keys themselves.
  std::string accounts_file;
  std::string accounts_env;

  operation_mix mix;
  ops_per_tx ops;
  int_distribution amount;  // transfers and orders' amount_to_sell (core asset)
  price_distribution price;
  std::string order_asset;  // symbol of the test asset limit orders buy ("BEACON")

  load::rate_profile rate = load::rate_profile::constant(10);
  std::string rate_text = "constant 10";             // as given, for manifests
  std::optional<std::chrono::nanoseconds> duration;  // stop after this long ...
  std::optional<std::uint64_t> count;                // ... or after this many transactions
  std::size_t max_in_flight = 1000;                  // window (required > 0 for unlimited)
  // `load: {search: ...}`: the rate profile is then the search's steps (see rate_search).
  std::optional<rate_search> search;
  search_thresholds thresholds;
  block_watch watch = block_watch::first_node;
  propagation_settings propagation;

  std::size_t presign_depth = 0;     // pre-signed pool size; 0 = from rate x refill lead time
  std::uint32_t signer_threads = 0;  // 0 = hardware threads - 1 (at least 1)
  std::uint32_t expiration_seconds = 120;
  std::uint64_t seed = 1;
  bool broadcast_with_callback = false;  // broadcast_transaction_with_callback instead
  std::string node_metrics_url;          // older spelling of nodes[0].node_load (as given)
  // Run even when the accounts cannot pay the fee budget (beacon/fee_budget.hpp): the refusal
  // at start becomes a note. --ignore-fee-budget sets it.
  bool ignore_fee_budget = false;
};

// Parses a scenario from YAML text. `source` names it in errors ("max.yaml", "preset max").
// Missing fields keep the defaults above. Throws bts::input_error.
scenario parse_scenario(std::string_view yaml_text, const std::string& source);

// The built-in presets (scenarios/*.yaml, compiled in): names in order, and their text.
std::vector<std::string> preset_names();
// Throws input_error("--preset", "unknown preset \"x\"; known: ...").
std::string preset_text(std::string_view name);

// "search from 100 tx/s by 100 every 10s up to 20000, hold 30s" (manifests, rate_text).
std::string describe(const rate_search& r);
// "1600", "2.5": a rate as the search's texts write it.
std::string format_rate(double tx_per_s);

// "30s", "1.5m" etc. for duration, integers with optional k/M suffix for count.
std::uint64_t parse_count(std::string_view text, const std::string& where);

// Pool size that sustains the peak rate for 2 s of refill time, within [256, 200000]; unlimited
// mode assumes 20 x max_in_flight tx/s (at least 10,000). A run of `count` transactions never
// needs more than count; in unlimited mode it gets all of them (up to 200,000) so that, signed
// before the clock starts, the run measures the node and not the signers.
// The scenario's nodes with an explicit node_load (not "none"), once per URL: the sources the
// overseer samples itself (monitor/node_load_watch.hpp). With `check`, takes one reading of each
// first. Throws input_error("nodes[i].node_load", "<spec>: <reason>") for a bad spec or
// (checking) a source that cannot be read.
std::vector<monitor::named_source> node_load_sources(const scenario& sc, bool check);

std::size_t default_presign_depth(const load::rate_profile& rate, std::size_t max_in_flight,
                                  std::optional<std::uint64_t> count = std::nullopt);

}  // namespace bts::scenarios
