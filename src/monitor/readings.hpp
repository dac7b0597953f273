// The pure half of node_load_sampler: raw totals from one source reading, and the rates between
// two of them. No I/O except read_proc(); time is passed in, so rates are tested without sleeping.
//
// Plain values; any thread.
#pragma once

#include "monitor/exposition.hpp"
#include "monitor/node_load.hpp"

#include <chrono>
#include <optional>

namespace bts::monitor {

// Totals as a source reports them (counters since boot or process start).
struct raw_reading {
  std::optional<double> cpu_seconds;  // busy CPU seconds, summed over cores
  std::optional<double> cpu_cores;
  std::optional<double> memory_bytes;
  std::optional<double> net_rx_bytes;
  std::optional<double> net_tx_bytes;
  std::optional<double> disk_read_bytes;
  std::optional<double> disk_write_bytes;
};

// node_exporter: busy = every node_cpu_seconds_total mode except idle and iowait (iowait is
// idle time), summed over CPUs; memory = MemTotal - MemAvailable; network over every device but
// lo; disk over devices other than device-mapper (dm-*) and md RAID (md*), which would count the
// same I/O twice. Throws input_error(source, ...) when node_cpu_seconds_total is absent.
raw_reading node_exporter_reading(const exposition& e, const std::string& source);

// process_cpu_seconds_total and process_resident_memory_bytes. Throws input_error(source, ...)
// when process_cpu_seconds_total is absent.
raw_reading process_metrics_reading(const exposition& e, const std::string& source);

// /proc/PID/stat (utime + stime, RSS) and /proc/PID/io (read_bytes, write_bytes; left null when
// not readable). Throws input_error("proc:PID", ...) when the process does not exist.
raw_reading read_proc(int pid);

// Reads a pid file (first token, a positive integer). Throws input_error(path, ...).
int read_pid_file(const std::string& path);

// Turns consecutive readings into node_load. The first reading gives no rates; a counter that
// went backwards (restart) gives no rate for it and becomes the new baseline.
class rate_tracker {
 public:
  node_load update(const raw_reading& r, std::chrono::steady_clock::time_point at);
  // Forget the previous reading (e.g. the pid behind a pid file changed).
  void reset() { previous_.reset(); }

 private:
  struct point {
    raw_reading reading;
    std::chrono::steady_clock::time_point at;
  };
  std::optional<point> previous_;
};

}  // namespace bts::monitor
