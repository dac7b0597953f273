// The Prometheus output: what `--out prometheus` serves on GET /metrics, in the Prometheus text
// exposition format 0.0.4 (names, units and labels: docs/outputs.md, "Prometheus").
//
//   outputs::beacon_metrics m;                      // a beacon's registry
//   m.add_row({.run = "r1", .beacon = "b1", .node = "ws://n:8090"}, row);   // once per second
//   outputs::metrics_server srv("127.0.0.1:9464", [&m] { return m.render(); });
//   // GET http://127.0.0.1:<srv.port()>/metrics
//
// Counters are the sums of the per-second rows of a run (monotonic: a row only ever adds),
// gauges the last row's (per node for the row's node_load: `<prefix>_node_load_*{node=URL}`),
// and the five latency distributions are Prometheus histograms whose buckets come from the
// rows' HDR histograms (cumulative over the run, `+Inf` = `_count`). A bucket `le` counts HDR
// values whose lowest equivalent value is <= le, so a boundary is exact to HdrHistogram's 0.1%.
//
// Threads: exposition_builder and scope_metrics are plain values. beacon_metrics is
// thread-safe (add_row from the beacon's output thread, render from the server's). The
// metrics_server runs its own network thread.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "rpc/server.hpp"
#include "stats/second_series.hpp"

namespace bts::outputs {

// The Content-Type of a text exposition.
inline constexpr std::string_view prometheus_content_type =
    "text/plain; version=0.0.4; charset=utf-8";

using metric_labels = std::vector<std::pair<std::string, std::string>>;

// `\` -> `\\`, `"` -> `\"`, newline -> `\n` (the format's label value escapes).
std::string escape_label_value(std::string_view v);
// Shortest round-trip decimal; integers without exponent up to 2^53; NaN, +Inf, -Inf.
std::string format_sample_value(double v);

// Collects samples grouped by metric family (one # HELP / # TYPE per family, families in the
// order first added) and renders the exposition.
class exposition_builder {
 public:
  // type: "counter", "gauge" or "histogram". REQUIRES: a valid metric name; the same type and
  // help for every sample of a family.
  void add(std::string_view family, std::string_view type, std::string_view help,
           const metric_labels& labels, double value);
  // A histogram: `<family>_bucket{le=...}` (cumulative), `_sum`, `_count`. `bounds` ascending,
  // `cumulative[i]` the count <= bounds[i]; the +Inf bucket is `count`.
  void add_histogram(std::string_view family, std::string_view help, const metric_labels& labels,
                     const std::vector<double>& bounds,
                     const std::vector<std::uint64_t>& cumulative, double sum, std::uint64_t count);
  std::string str() const;

 private:
  struct family_text {
    std::string name, type, help, samples;
  };
  family_text& family(std::string_view name, std::string_view type, std::string_view help);
  void sample(family_text& f, std::string_view name, const metric_labels& labels,
              const std::pair<std::string, std::string>* extra, double value);
  std::vector<family_text> families_;
  std::unordered_map<std::string, std::size_t> index_;
};

// The latency bucket bounds, in seconds (0.5 ms .. 120 s; +Inf implied).
const std::vector<double>& latency_bounds_seconds();

// One latency distribution as Prometheus histogram counts (per bucket, not cumulative).
struct latency_buckets {
  std::vector<std::uint64_t> counts;  // one per latency_bounds_seconds() entry, plus +Inf
  double sum_seconds = 0;
  std::uint64_t count = 0;

  latency_buckets();
  // Adds an encoded HDR histogram (latency_digest::hdr, store::encoded_histograms). Returns
  // false (and adds nothing) when the text does not decode.
  bool add_encoded(std::string_view hdr);
  // Adds a digest: its histogram when present, else its count at its max (conservative).
  void add(const stats::latency_digest& d);
  std::vector<std::uint64_t> cumulative() const;
};

// One scope's metrics (a beacon in a run, or a whole run): counters summed over rows, gauges
// from the last row, latency histograms cumulative. A plain value.
struct scope_metrics {
  stats::second_row totals;  // counters summed; gauges of the last row
  std::int64_t last_second = -1;
  std::int64_t rows = 0;
  std::array<latency_buckets, stats::latency_kind_count> latency;

  // Adds a row. With `with_latency` false the row's histograms are ignored (the caller sets the
  // run's cumulative histograms itself, see set_latency).
  void add_row(const stats::second_row& row, bool with_latency = true);
  // Replaces the latency histograms with cumulative ones (encoded, by latency_kind).
  void set_latency(const std::array<std::string, stats::latency_kind_count>& encoded);

  // Writes every family with `prefix` ("bts_infra_beacon" or "bts_infra_run") and `labels`.
  // The last row's node_load comes last, one gauge per node and member (write_node_load).
  void write(exposition_builder& b, std::string_view prefix, const metric_labels& labels) const;
  // `<prefix>_node_load_*` gauges from the last row's node_load: per node, `labels` with
  // `node` = that node's URL (replacing a `node` label, else added last); a null member or a
  // node absent from the last row writes nothing.
  void write_node_load(exposition_builder& b, std::string_view prefix,
                       const metric_labels& labels) const;
};

// Who a beacon row belongs to.
struct beacon_scope {
  std::string run;
  std::string beacon;
  std::string node;  // the node URL(s) the beacon sends to, comma-separated
};

// A beacon's metrics over its recent runs (the current and up to `keep_runs - 1` before it).
class beacon_metrics {
 public:
  explicit beacon_metrics(std::size_t keep_runs = 5) : keep_runs_(keep_runs) {}
  void add_row(const beacon_scope& scope, const stats::second_row& row);
  // The exposition text (bts_infra_beacon_* families plus bts_infra_beacon_up).
  std::string render() const;

 private:
  mutable std::mutex mu_;
  std::size_t keep_runs_;
  std::vector<std::pair<beacon_scope, scope_metrics>> scopes_;  // oldest first
};

// GET /metrics answered with `render()`; any other path 404. Useful as an rpc::server http
// handler.
rpc::http_response metrics_response(const rpc::http_request_info& req,
                                    const std::function<std::string()>& render);

// Serves GET /metrics on HOST:PORT (port 0: ephemeral) on its own thread.
class metrics_server {
 public:
  // Throws input_error("--metrics-listen", ...) for a bad address, or when it cannot be bound.
  metrics_server(const std::string& listen, std::function<std::string()> render,
                 const std::string& flag = "--metrics-listen");
  ~metrics_server();
  metrics_server(const metrics_server&) = delete;
  metrics_server& operator=(const metrics_server&) = delete;
  std::uint16_t port() const;
  std::string host() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace bts::outputs
