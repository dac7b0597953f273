// Prometheus text exposition of one devnet endpoint (GET /metrics on its port): the process's CPU
// time and memory, the endpoint's chain head, pending pool and transaction verdicts by fc code,
// and the producer's blocks and their fill.
#pragma once

#include <cstddef>
#include <string>

#include "devnet/network.hpp"
#include "rpc/counters.hpp"

namespace bts::devnet {

// Process CPU seconds (user + system) and resident memory, read from the kernel.
double process_cpu_seconds();
std::size_t process_resident_bytes();

std::string render_metrics(const network_metrics& metrics, std::size_t node,
                           const rpc::server_stats& server, std::size_t open_sessions);

}  // namespace bts::devnet
