// Settings of the Elasticsearch / OpenSearch output (see elasticsearch.hpp and docs/outputs.md).
//
// Plain values; any thread. Filled by parse_out_flag / parse_outputs_yaml (spec.hpp) or by hand.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "rpc/backoff.hpp"

namespace bts::outputs {

// Where documents go: one index per UTC day of the document's @timestamp, or one per run.
enum class index_mode { daily, per_run };

struct elasticsearch_options {
  // http:// or https://host[:port][/base-path] without credentials or query; the base path (a
  // reverse proxy's prefix) is kept in front of every API path.
  std::string url;
  // Basic auth. The password never comes from argv: spec.cpp reads it from an environment
  // variable (BTS_ES_PASSWORD) or a file. Empty user: no Authorization header.
  std::string user;
  std::string password;
  // TLS (https only): verify against `ca_file` (PEM) when set, else the system store;
  // `insecure` accepts any certificate (test clusters with self-signed certificates).
  std::string ca_file;
  bool insecure = false;

  // Index names: <prefix>-stats-YYYY.MM.DD, <prefix>-events-YYYY.MM.DD, <prefix>-runs (daily) or
  // <prefix>-stats-<run>, <prefix>-events-<run>, <prefix>-runs (per run). Lower case, see
  // check_index_prefix.
  std::string prefix = "bts-infra";
  index_mode index = index_mode::daily;
  // Keep the encoded HDR histograms (`latency_us.*.hdr`) in stats documents. They are stored,
  // not indexed; dropping them makes documents about 5x smaller on busy runs.
  bool include_hdr = true;

  // Disk spool: every document is appended here before it is sent and removed once
  // Elasticsearch acknowledged it. Empty: "./bts-es-spool". One process per directory.
  std::string spool_dir;
  std::uint64_t spool_max_bytes =
      1024ull * 1024 * 1024;                         // cap; beyond it new documents are dropped
  std::uint64_t segment_bytes = 4ull * 1024 * 1024;  // segment files rotate at this size
  // fdatasync of the spool at most this often (and when a segment is closed); 0: after every
  // batch of appends. Appends are write(2)n at once, so a killed process loses nothing; the
  // interval bounds what a power failure can lose.
  std::chrono::milliseconds fsync_interval{1000};

  // push() queue between the caller's threads and the output thread; beyond it documents are
  // dropped and counted (only if the output thread cannot even write to disk).
  std::size_t queue_capacity = 100'000;
  std::size_t max_batch_documents = 1000;            // per _bulk request
  std::size_t max_batch_bytes = 5ull * 1024 * 1024;  // per _bulk request body
  std::chrono::milliseconds flush_interval{1000};    // how long documents may wait for a batch
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{15000};
  rpc::backoff_options backoff{.initial = std::chrono::milliseconds(250),
                               .max = std::chrono::milliseconds(30'000),
                               .multiplier = 2.0,
                               .jitter = 0.5};

  // Names the output in errors: "--out elasticsearch" or "scenario.yaml:12:5".
  std::string where = "elasticsearch";
};

// Throws bts::input_error(where, ...) unless `prefix` is a valid index name start: 1-100
// characters from [a-z0-9._-], not starting with '-', '_', '+' or '.'.
void check_index_prefix(std::string_view prefix, const std::string& where);

}  // namespace bts::outputs
