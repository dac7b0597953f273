// Ships a run's per-second statistics, events and manifest to Elasticsearch (7.8+, 8) or
// OpenSearch (1, 2) through the `_bulk` API, with a disk spool so nothing is lost while the
// cluster is unreachable. Formats, index names, mappings and the spool: docs/outputs.md and
// documents.hpp.
//
//   outputs::elasticsearch_output es(options);
//   es.start();                       // throws bts::input_error: wrong URL, 401/403, old version
//   es.push(outputs::stats_document{.run = "r1", .beacon = "", .time = t, .row = row});
//   ...
//   es.flush(std::chrono::seconds(10));  // at the end of a run: wait until acknowledged
//   es.stop();
//
// How it works: push() moves the document into a bounded in-memory queue and returns. The
// output's own thread (an asio io_context) turns queued documents into `_bulk` records, appends
// them to the spool (write-ahead: every record goes to disk first), and a sender reads the spool
// in order, batches up to max_batch_documents / max_batch_bytes or flush_interval, and POSTs
// `/_bulk`. Acknowledged records are released from the spool. A failed request (no answer,
// timeout, 429, 5xx, 401/403 after start) is retried with jittered exponential backoff from the
// same spool position, so order is kept; items of a 200 answer with `errors: true` are retried
// (429, 5xx) ahead of newer records, or counted as rejected (other statuses). Documents carry
// fixed _ids, so a replay after a crash overwrites instead of duplicating.
//
// Threads: push(), status() and flush() may be called from any thread; push() never blocks on
// the network or the disk (a mutex held for one deque push). start() and stop() from one
// controlling thread. The log function is called from the output thread and, once, from a
// pushing thread when the queue overflows; it must be thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "outputs/documents.hpp"
#include "outputs/elasticsearch_options.hpp"

namespace bts::outputs {

struct elasticsearch_status {
  bool started = false;
  bool available = false;              // the last request was answered 200
  std::uint64_t documents_pushed = 0;  // accepted by push()
  std::uint64_t records_spooled = 0;   // _bulk records written to the spool
  std::uint64_t records_indexed = 0;   // acknowledged by the cluster (2xx items)
  std::uint64_t records_rejected = 0;  // refused item by item (not retriable), e.g. mapping errors
  std::uint64_t item_retries = 0;      // items answered 429/5xx in a 200 response, sent again
  std::uint64_t requests = 0;          // _bulk requests sent
  std::uint64_t request_failures = 0;  // no answer, timeout or non-200 status
  std::uint64_t queue_dropped = 0;     // documents: the push() queue was full
  std::uint64_t spool_dropped = 0;     // records: the spool was at its cap
  std::uint64_t spool_bytes = 0;       // on disk now
  std::uint64_t spool_unsent_bytes = 0;
  std::string last_error;  // the latest failure, e.g. "connect: Connection refused"
};

class elasticsearch_output {
 public:
  using log_function = std::function<void(std::string_view line)>;

  // `log` receives one line per noteworthy change (outage, recovery, spool cap, rejections);
  // default: stderr. Nothing is sent before start().
  explicit elasticsearch_output(elasticsearch_options options, log_function log = {});
  ~elasticsearch_output();  // stop()
  elasticsearch_output(const elasticsearch_output&) = delete;
  elasticsearch_output& operator=(const elasticsearch_output&) = delete;

  // Opens (and locks) the spool, checks `GET /` (reachable, credentials accepted, a supported
  // version) and installs the index templates, then starts shipping (spooled records of an
  // earlier run first). Blocks for at most about connect_timeout + 4 request timeouts.
  // Throws bts::input_error(options.where, one line) on any failure; then nothing runs.
  void start();

  void push(stats_document d);
  void push(event_document d);
  void push(run_document d);

  // Waits until everything pushed so far is acknowledged (or rejected), at most `timeout`.
  // Returns false on timeout; what is not acknowledged stays in the spool.
  bool flush(std::chrono::milliseconds timeout);
  // Stops the thread; unsent records stay in the spool for the next start with the same
  // directory. Idempotent.
  void stop();

  elasticsearch_status status() const;
  // What GET / reported. REQUIRES: start() succeeded.
  const server_info& server() const;
  // CPU time used by the output thread so far (for benchmarks).
  std::chrono::nanoseconds thread_cpu_time() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

}  // namespace bts::outputs
