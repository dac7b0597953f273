#include "devnet/metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace bts::devnet {

double process_cpu_seconds() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  const auto seconds = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::size_t process_resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0;
  std::size_t resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

std::string render_metrics(const network_metrics& m, std::size_t node,
                           const rpc::server_stats& server, std::size_t open_sessions) {
  std::ostringstream out;
  const std::string label = "{node=\"" + std::to_string(node) + "\"}";
  const auto metric = [&](const char* name, const char* type, const char* help) {
    out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
  };
  metric("process_cpu_seconds_total", "counter",
         "User and system CPU time spent by the devnet process.");
  out << "process_cpu_seconds_total " << process_cpu_seconds() << '\n';
  metric("process_resident_memory_bytes", "gauge", "Resident memory of the devnet process.");
  out << "process_resident_memory_bytes " << process_resident_bytes() << '\n';

  const node_metrics& n = m.nodes.at(node);
  metric("devnet_head_block_number", "gauge", "Head block number of this endpoint's chain state.");
  out << "devnet_head_block_number" << label << ' ' << n.head_block_num << '\n';
  metric("devnet_last_irreversible_block_number", "gauge",
         "Last irreversible block number of this endpoint.");
  out << "devnet_last_irreversible_block_number" << label << ' ' << n.last_irreversible_block_num
      << '\n';
  metric("devnet_pending_transactions", "gauge", "Transactions in this endpoint's pending pool.");
  out << "devnet_pending_transactions" << label << ' ' << n.pending << '\n';
  metric("devnet_transactions_accepted_total", "counter",
         "Transactions from clients accepted into the pending pool.");
  out << "devnet_transactions_accepted_total" << label << ' ' << n.accepted << '\n';
  metric("devnet_transactions_rejected_total", "counter",
         "Transactions from clients rejected, by fc error code.");
  for (const auto& [code, count] : n.rejected_by_code) {
    out << "devnet_transactions_rejected_total{node=\"" << node << "\",code=\"" << code << "\"} "
        << count << '\n';
  }
  metric("devnet_transactions_relayed_in_total", "counter",
         "Transactions received from other endpoints and applied.");
  out << "devnet_transactions_relayed_in_total" << label << ' ' << n.relayed_in << '\n';
  metric("devnet_blocks_applied_total", "counter", "Blocks applied by this endpoint.");
  out << "devnet_blocks_applied_total" << label << ' ' << n.blocks_applied << '\n';
  metric("devnet_blocks_not_applied_total", "counter",
         "Blocks this endpoint received but could not link or apply.");
  out << "devnet_blocks_not_applied_total" << label << ' ' << n.blocks_not_applied << '\n';

  metric("devnet_blocks_produced_total", "counter", "Blocks produced (by endpoint 0).");
  out << "devnet_blocks_produced_total " << m.blocks_produced << '\n';
  metric("devnet_transactions_included_total", "counter",
         "Transactions included in produced blocks.");
  out << "devnet_transactions_included_total " << m.transactions_included << '\n';
  metric("devnet_last_block_bytes", "gauge", "Packed size of the last produced block.");
  out << "devnet_last_block_bytes " << m.last_block_bytes << '\n';
  metric("devnet_last_block_transactions", "gauge", "Transactions in the last produced block.");
  out << "devnet_last_block_transactions " << m.last_block_transactions << '\n';
  metric("devnet_maximum_block_size_bytes", "gauge", "The chain parameter maximum_block_size.");
  out << "devnet_maximum_block_size_bytes " << m.maximum_block_size << '\n';
  metric("devnet_block_fill_ratio", "gauge", "Last produced block's size over maximum_block_size.");
  out << "devnet_block_fill_ratio "
      << (m.maximum_block_size == 0 ? 0.0
                                    : double(m.last_block_bytes) / double(m.maximum_block_size))
      << '\n';
  metric("devnet_blocks_not_propagated_total", "counter",
         "Produced blocks larger than the P2P message limit, never delivered to other endpoints.");
  out << "devnet_blocks_not_propagated_total " << m.blocks_not_propagated << '\n';

  metric("devnet_rpc_sessions", "gauge", "Open websocket sessions on this endpoint.");
  out << "devnet_rpc_sessions" << label << ' ' << open_sessions << '\n';
  metric("devnet_rpc_requests_total", "counter", "JSON-RPC requests received by this endpoint.");
  out << "devnet_rpc_requests_total" << label << ' ' << server.requests << '\n';
  return out.str();
}

}  // namespace bts::devnet
