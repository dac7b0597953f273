#include "monitor/node_load_row.hpp"

#include <cmath>

namespace bts::monitor {

stats::node_load_row to_row(const node_load& l) {
  auto whole = [](const std::optional<double>& v) -> std::optional<double> {
    if (!v) return v;
    return std::round(*v);
  };
  stats::node_load_row r;
  if (l.cpu_percent) r.cpu_percent = std::round(*l.cpu_percent * 10) / 10;
  r.cpu_cores = l.cpu_cores;
  r.memory_bytes = whole(l.memory_bytes);
  r.net_rx_bytes_per_s = whole(l.net_rx_bytes_per_s);
  r.net_tx_bytes_per_s = whole(l.net_tx_bytes_per_s);
  r.disk_read_bytes_per_s = whole(l.disk_read_bytes_per_s);
  r.disk_write_bytes_per_s = whole(l.disk_write_bytes_per_s);
  return r;
}

}  // namespace bts::monitor
