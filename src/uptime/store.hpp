// The tracker's SQLite file (WAL): every probe result, hourly rollups, incidents and the
// certificate inventory. Raw results older than the retention period are deleted only after
// they were counted in the hourly rollup (which every insert keeps up to date), so uptime over
// 30 days stays exact to the probe even when raw rows are gone. Schema in docs/uptime.md.
//
// Threads: one thread at a time (the tracker's); open a second uptime_store for readers in
// another thread (WAL lets them read while the tracker writes).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "uptime/state.hpp"

namespace bts::store::sqlite {
class connection;
}

namespace bts::uptime {

struct stored_result {
  std::int64_t ts_ms = 0;
  endpoint_state state = endpoint_state::unknown;
  std::optional<double> response_ms;
  std::optional<double> dns_ms, tcp_ms, tls_ms, ws_ms, call_ms;
  std::optional<std::int64_t> head_block;
  std::string failed;  // JSON array of failed condition descriptions
  std::string error;
};

struct state_counts {
  std::int64_t total = 0, up = 0, degraded = 0, wrong_network = 0, down = 0;
  double response_sum_ms = 0;
  std::int64_t response_n = 0;
  // Share of results that were up (degraded, wrong network and down count against it); nullopt
  // without results.
  std::optional<double> uptime_ratio() const {
    if (total == 0) return std::nullopt;
    return static_cast<double>(up) / static_cast<double>(total);
  }
};

struct history_point {
  std::int64_t ts_ms = 0;             // bucket start
  std::optional<double> response_ms;  // mean of the bucket's answered probes
  endpoint_state worst = endpoint_state::unknown;
};

struct incident {
  std::int64_t id = 0;
  std::string key;
  std::int64_t started_ms = 0;
  std::optional<std::int64_t> ended_ms;
  endpoint_state state = endpoint_state::down;
  std::string reason;
};

struct stored_certificate {
  std::string host;  // host:port
  std::string subject, issuer, sans;
  std::int64_t not_after_ms = 0;
  std::int64_t checked_ms = 0;
  bool verified = false;
  std::string verify_error;
};

class uptime_store {
 public:
  // Creates the file and schema if needed. Throws store::store_error naming the file.
  explicit uptime_store(const std::filesystem::path& path);
  ~uptime_store();
  uptime_store(const uptime_store&) = delete;
  uptime_store& operator=(const uptime_store&) = delete;

  void record(const std::string& key, const stored_result& r);
  // Counts over [from_ms, now]: rollups for hours before the raw-retention boundary, raw rows
  // after it.
  state_counts counts(const std::string& key, std::int64_t from_ms) const;
  // Response time and worst state per bucket since from_ms (raw rows where kept, then hourly
  // rollups), oldest first.
  std::vector<history_point> history(const std::string& key, std::int64_t from_ms,
                                     std::int64_t bucket_ms) const;
  std::vector<stored_result> latest(const std::string& key, int n) const;
  std::int64_t raw_count() const;
  std::int64_t rollup_count() const;

  // Deletes raw rows older than now - retention (at an hour boundary); they are already in the
  // rollups. Returns how many were deleted.
  std::int64_t roll_up(std::int64_t now_ms, std::int64_t retention_ms);

  std::int64_t open_incident(const std::string& key, std::int64_t started_ms, endpoint_state s,
                             const std::string& reason);
  void close_incident(std::int64_t id, std::int64_t ended_ms);
  std::vector<incident> incidents(int limit) const;  // newest first
  std::optional<incident> open_incident_of(const std::string& key) const;

  void put_certificate(const stored_certificate& c);
  std::vector<stored_certificate> certificates() const;

 private:
  std::int64_t raw_from() const;
  std::unique_ptr<store::sqlite::connection> db_;
};

}  // namespace bts::uptime
