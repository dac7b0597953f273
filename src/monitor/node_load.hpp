// Node load readings: CPU, memory, network and disk of the node under test, sampled from one
// configured source per node.
//
// Sources, written as one spec string (scenario files, flags; see parse_load_source):
//   node_exporter:http://host:9100/metrics  a Prometheus node_exporter (Debian
//       `prometheus-node-exporter`): whole-host CPU busy, memory used (MemTotal - MemAvailable),
//       network rx/tx (every interface but lo) and disk read/write (physical devices).
//   metrics:http://host:8090/metrics        a process exposing process_cpu_seconds_total and
//       process_resident_memory_bytes (the bts-infra devnet serves them at /metrics on every
//       endpoint; so do Go and Python Prometheus clients). Network and disk stay null.
//   http://host:port/metrics                either of the two, decided from the first reply:
//       node_exporter when node_cpu_seconds_total is present, else process metrics.
//   proc:PID  or  proc:/path/to/pidfile      a process on this host, from /proc/PID/stat
//       (utime + stime, RSS) and /proc/PID/io (disk, when readable). A pid file is read again at
//       every sample, so a restarted node is followed (its first reading has no rates).
// https:// works too (TLS verification from sampler_options::tls); credentials go in
// sampler_options::authorization, never in the spec.
//
// CPU is in percent of one core: two busy cores read 200 (docs/formats.md). Rates come from two
// consecutive readings of the same source: the first reading, and the first after a counter went
// backwards (a restart), has null rates; a value is never faked as 0. Memory needs one reading.
//
// Failures (unreachable, timeout, HTTP status other than 200, malformed exposition, missing
// metrics, no such process) are counted in sampler_counters and give a sample with an error text
// and null values; nothing is thrown into the caller's loop. A bad spec is an input_error at
// parse time; check_load_source() turns "the source cannot be read at all" (wrong URL, refused
// credentials, no such process) into one clear input_error at start.
//
// Usage, on the io_context of a beacon (never blocks it: HTTP is asynchronous, /proc reads are a
// few microseconds):
//
//   auto source = monitor::parse_load_source("node_exporter:http://10.0.0.5:9100/metrics");
//   monitor::check_load_source(source);                 // at start: throws input_error
//   monitor::node_load_sampler sampler(io.get_executor(), source);
//   sampler.start(std::chrono::seconds(1));             // one reading per second
//   ...
//   if (auto s = sampler.latest(); s && s->load.cpu_percent) row.node_cpu = *s->load.cpu_percent;
//   sampler.stop();
//
// or one reading at a time: sampler.async_sample([](monitor::load_sample s) { ... });
// Tools without an io_context: monitor::node_load_sampler s(source); s.sample_once(); ...
//
// Ownership: the sampler owns its state; the executor must outlive it. Destroying the sampler
// (or stop()) cancels the reading in flight; callbacks not yet called are then dropped. A
// callback already running on another thread when the destructor runs may still finish, so
// destroy the sampler on its executor's thread or after that executor stopped if the callback
// touches objects that die with it.
//
// Threads: the sampler works on its own strand over the executor, which any number of threads
// may run. Callbacks run on that strand and must not block. latest(), counters(), start(),
// stop() and async_sample() may be called from any thread.
#pragma once

#include "rpc/tls.hpp"
#include "rpc/url.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace boost::asio {
class io_context;
}

namespace bts::monitor {

// One reading. Every field is null when the source does not provide it or it could not be
// computed (yet).
struct node_load {
  std::optional<double> cpu_percent;   // percent of one core, summed over cores (2 cores = 200)
  std::optional<double> cpu_cores;     // cores the CPU figure is out of (node_exporter, proc)
  std::optional<double> memory_bytes;  // used (node_exporter) or resident (process) bytes
  std::optional<double> net_rx_bytes_per_s;
  std::optional<double> net_tx_bytes_per_s;
  std::optional<double> disk_read_bytes_per_s;
  std::optional<double> disk_write_bytes_per_s;

  bool operator==(const node_load&) const = default;
};

enum class load_source_kind {
  node_exporter,    // node_exporter:URL
  process_metrics,  // metrics:URL
  detect,           // a bare http(s) URL: node_exporter or process metrics, from the reply
  proc,             // proc:PID or proc:/path/to/pidfile
};

struct load_source {
  load_source_kind kind = load_source_kind::proc;
  rpc::url endpoint;     // the HTTP kinds
  int pid = 0;           // proc:PID
  std::string pid_file;  // proc:/path (read at every sample)

  // The spec back as text, without credentials ("node_exporter:http://h:9100/metrics").
  std::string to_string() const;
};

// Parses a spec (see the top of this file). `where` names it in errors (a flag, "file.yaml:
// node_load"). Throws bts::input_error, e.g.
//   --node-load: unknown source "exporter:..." (expected node_exporter:URL, metrics:URL,
//   http(s)://..., proc:PID or proc:/path/to/pidfile)
// Credentials in the URL ("user:pass@host") are rejected: they would show in process lists.
// A node (its URL as a scenario names it) and where its load is read.
struct named_source {
  std::string node;
  load_source load;
};

load_source parse_load_source(std::string_view spec, const std::string& where = "node load source");

struct sampler_options {
  std::chrono::milliseconds timeout{2000};        // one whole HTTP GET: connect to last byte
  std::size_t max_body_bytes = 16 * 1024 * 1024;  // larger replies are malformed
  rpc::tls_client_options tls;                    // for https://
  std::string authorization;  // value of the Authorization header (e.g. "Bearer ..." read from
                              // a file); never logged, never in errors
};

// One sample: when it was taken, the values, and why they are missing if the reading failed.
struct load_sample {
  std::chrono::system_clock::time_point at;  // when the reading completed
  node_load load;
  std::string error;  // empty on success; one line, e.g. "connect: Connection refused"
  bool ok() const { return error.empty(); }
};

// Plain snapshot of a sampler's counters.
struct sampler_counters {
  std::uint64_t readings = 0;     // successful readings
  std::uint64_t errors = 0;       // failed readings, the sum of the categories below
  std::uint64_t unreachable = 0;  // resolve, connect, TLS, timeout, connection errors
  std::uint64_t http_status = 0;  // a reply with a status other than 200 (401, 404, ...)
  std::uint64_t malformed = 0;    // unparsable exposition, missing metrics, too large
  std::uint64_t process = 0;      // no such process, unreadable /proc or pid file
  std::string last_error;         // the most recent failure (empty if none)
};

namespace detail {
struct sampler_state;
}

class node_load_sampler {
 public:
  using callback = std::function<void(load_sample)>;

  // Samples on `executor` (through a strand of its own).
  node_load_sampler(boost::asio::any_io_executor executor, load_source source,
                    sampler_options options = {});
  // Owns a private io_context, run by sample_once(); for tools. start() is not available.
  explicit node_load_sampler(load_source source, sampler_options options = {});
  ~node_load_sampler();  // stop()
  node_load_sampler(const node_load_sampler&) = delete;
  node_load_sampler& operator=(const node_load_sampler&) = delete;

  // Takes one reading and calls `done` with it on the sampler's strand. A call made while a
  // reading is in flight gets that reading's result (readings never overlap).
  void async_sample(callback done);

  // Takes one reading and waits for it.
  // REQUIRES: constructed without an executor, or the executor is run by threads other than
  // the caller's.
  load_sample sample_once();

  // Samples every `period` (first reading at once), keeping latest() current and calling
  // `on_sample` (optional) with each sample. A reading that outlasts the period delays the next
  // one (never overlaps). Calling start() again replaces the period and callback.
  // REQUIRES: constructed with an executor.
  void start(std::chrono::milliseconds period, callback on_sample = nullptr);
  // Stops periodic sampling and cancels the reading in flight. Idempotent.
  void stop();

  // The most recent sample (successful or not), if any.
  std::optional<load_sample> latest() const;
  sampler_counters counters() const;
  const load_source& source() const { return source_; }

 private:
  load_source source_;
  std::unique_ptr<boost::asio::io_context> own_io_;  // declared first: outlives state_
  std::shared_ptr<detail::sampler_state> state_;
};

// Takes one reading (a private io_context, at most options.timeout) and throws
// bts::input_error(source.to_string(), reason) when the source cannot be read: wrong URL,
// refused connection, HTTP 401/404, a reply without the expected metrics, no such process.
// For start-up checks; rates are not needed (one reading suffices).
void check_load_source(const load_source& source, const sampler_options& options = {});

}  // namespace bts::monitor
