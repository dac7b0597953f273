#include "monitor/readings.hpp"

#include "util/error.hpp"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace bts::monitor {

namespace {

// Sum of `name` over samples whose label `label` passes `keep`; null when no sample passes.
template <class Keep>
std::optional<double> sum_where(const exposition& e, std::string_view name, std::string_view label,
                                Keep keep) {
  std::optional<double> total;
  for (const metric_sample* s : e.find(name)) {
    const std::string* v = s->label(label);
    if (!keep(v == nullptr ? std::string_view() : std::string_view(*v))) continue;
    total = total.value_or(0) + s->value;
  }
  return total;
}

std::optional<double> finite(std::optional<double> v) {
  if (v && !std::isfinite(*v)) return std::nullopt;
  return v;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

}  // namespace

raw_reading node_exporter_reading(const exposition& e, const std::string& source) {
  if (!e.has("node_cpu_seconds_total")) {
    throw input_error(source,
                      "no node_cpu_seconds_total in the reply (is this a node_exporter with the "
                      "cpu collector?)");
  }
  raw_reading r;
  r.cpu_seconds = finite(sum_where(e, "node_cpu_seconds_total", "mode", [](std::string_view m) {
    return m != "idle" && m != "iowait";
  }));
  std::set<std::string> cpus;
  for (const metric_sample* s : e.find("node_cpu_seconds_total")) {
    if (const std::string* c = s->label("cpu")) cpus.insert(*c);
  }
  if (!cpus.empty()) r.cpu_cores = double(cpus.size());

  const auto total = finite(e.value("node_memory_MemTotal_bytes"));
  const auto available = finite(e.value("node_memory_MemAvailable_bytes"));
  if (total && available) r.memory_bytes = *total - *available;

  const auto not_lo = [](std::string_view d) { return d != "lo"; };
  r.net_rx_bytes = finite(sum_where(e, "node_network_receive_bytes_total", "device", not_lo));
  r.net_tx_bytes = finite(sum_where(e, "node_network_transmit_bytes_total", "device", not_lo));
  const auto physical = [](std::string_view d) {
    return !starts_with(d, "dm-") && !starts_with(d, "md");
  };
  r.disk_read_bytes = finite(sum_where(e, "node_disk_read_bytes_total", "device", physical));
  r.disk_write_bytes = finite(sum_where(e, "node_disk_written_bytes_total", "device", physical));
  return r;
}

raw_reading process_metrics_reading(const exposition& e, const std::string& source) {
  if (!e.has("process_cpu_seconds_total")) {
    throw input_error(source, "no process_cpu_seconds_total in the reply");
  }
  raw_reading r;
  r.cpu_seconds = finite(e.value("process_cpu_seconds_total"));
  r.memory_bytes = finite(e.value("process_resident_memory_bytes"));
  return r;
}

raw_reading read_proc(int pid) {
  const std::string where = "proc:" + std::to_string(pid);
  const std::string dir = "/proc/" + std::to_string(pid);
  std::ifstream stat_file(dir + "/stat");
  std::string stat;
  if (!stat_file || !std::getline(stat_file, stat)) {
    throw input_error(where, "no such process (" + dir + "/stat: " + std::strerror(errno) + ")");
  }
  // "pid (comm) state ppid ..." where comm may contain spaces and parentheses: fields start
  // after the last ')'. utime and stime are fields 14 and 15, rss field 24 (1-based).
  const std::size_t close = stat.rfind(')');
  if (close == std::string::npos) throw input_error(where, "unreadable " + dir + "/stat");
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  double utime = 0, stime = 0, rss = 0;
  for (int n = 3; n <= 24 && fields >> field; ++n) {
    try {
      if (n == 14) utime = std::stod(field);
      if (n == 15) stime = std::stod(field);
      if (n == 24) rss = std::stod(field);
    } catch (const std::exception&) {
      throw input_error(where, "unreadable " + dir + "/stat");
    }
    if (n == 3 && (field == "Z" || field == "X")) {
      throw input_error(where, "process is a zombie (exited, not yet reaped)");
    }
  }
  if (!fields) throw input_error(where, "unreadable " + dir + "/stat");
  static const double ticks = double(sysconf(_SC_CLK_TCK));
  static const double page = double(sysconf(_SC_PAGESIZE));
  static const double cores = double(sysconf(_SC_NPROCESSORS_ONLN));
  raw_reading r;
  r.cpu_seconds = (utime + stime) / ticks;
  r.memory_bytes = rss * page;
  r.cpu_cores = cores;

  std::ifstream io(dir + "/io");  // needs the right to ptrace the process; optional
  std::string key;
  double value = 0;
  while (io >> key >> value) {
    if (key == "read_bytes:") r.disk_read_bytes = value;
    if (key == "write_bytes:") r.disk_write_bytes = value;
  }
  return r;
}

int read_pid_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw input_error(path, std::string("cannot read pid file: ") + std::strerror(errno));
  std::string token;
  in >> token;
  int pid = 0;
  try {
    std::size_t used = 0;
    pid = std::stoi(token, &used);
    if (used != token.size()) pid = 0;
  } catch (const std::exception&) {
    pid = 0;
  }
  if (pid <= 0) throw input_error(path, "pid file does not start with a process id");
  return pid;
}

node_load rate_tracker::update(const raw_reading& r, std::chrono::steady_clock::time_point at) {
  node_load out;
  out.memory_bytes = r.memory_bytes;
  out.cpu_cores = r.cpu_cores;
  std::optional<point> prev = std::move(previous_);
  previous_ = point{r, at};
  if (!prev) return out;
  const double dt = std::chrono::duration<double>(at - prev->at).count();
  if (dt <= 0) return out;
  const auto rate = [&](const std::optional<double>& now, const std::optional<double>& before,
                        double scale) -> std::optional<double> {
    if (!now || !before || *now < *before) return std::nullopt;
    return (*now - *before) / dt * scale;
  };
  out.cpu_percent = rate(r.cpu_seconds, prev->reading.cpu_seconds, 100.0);
  out.net_rx_bytes_per_s = rate(r.net_rx_bytes, prev->reading.net_rx_bytes, 1.0);
  out.net_tx_bytes_per_s = rate(r.net_tx_bytes, prev->reading.net_tx_bytes, 1.0);
  out.disk_read_bytes_per_s = rate(r.disk_read_bytes, prev->reading.disk_read_bytes, 1.0);
  out.disk_write_bytes_per_s = rate(r.disk_write_bytes, prev->reading.disk_write_bytes, 1.0);
  return out;
}

}  // namespace bts::monitor
