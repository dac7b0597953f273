// One probe of one endpoint: phases timed (DNS, TCP connect, TLS handshake, websocket upgrade,
// first call), the TLS certificate kept, and for BitShares nodes the chain facts conditions
// need (chain id, head block, participation, API sets, last irreversible block).
//
// Websocket (and `jsonrpc: true` HTTP) endpoints are probed in two steps: a timed
// resolve/connect/TLS handshake that reads the certificate, then a fresh rpc::client session:
// `login`, then get_chain_id, get_dynamic_global_properties and get_available_api_sets
// pipelined (and the endpoint's own `call`). The websocket-upgrade phase is the client's
// connect time minus the TCP and TLS phases measured just before.
//
// Elasticsearch endpoints: the timed connect/TLS phases, then one POST <url>/<index>/_search for
// the document with the highest block_data.block_num (sort desc, size 1; its block_time too),
// and with objects_index a second one for the highest block_number. The tracker turns them into
// [ES_LAG] against the chain head.
//
// Threads: a coroutine on the caller's executor (an io_context); many run at once.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "uptime/condition.hpp"
#include "uptime/config.hpp"
#include "uptime/detail/fetch.hpp"

namespace bts::uptime {

using detail::certificate_info;

struct phase_timings {
  std::optional<double> dns_ms, tcp_ms, tls_ms, ws_upgrade_ms, first_call_ms;
};

struct probe_result {
  std::int64_t started_ms = 0;  // unix milliseconds
  facts found;                  // head_block_lag is filled in by the tracker
  phase_timings phases;
  std::optional<certificate_info> certificate;
  std::optional<std::int64_t> head_block_num, head_block_time_ms, last_irreversible_block_num;
  std::string error;  // the first thing that failed, empty if nothing did
  // Elasticsearch endpoints: the newest indexed block (and its time), the newest objects-*
  // block_number, and the chain head the tracker compared them with.
  std::optional<std::int64_t> es_block_num, es_block_time_ms, es_objects_block_num;
  std::optional<double> es_chain_head;
};

boost::asio::awaitable<probe_result> probe(const endpoint_config& e);

// The _search body asking for the newest document by `field` (a block number field).
std::string es_newest_query(const std::string& field, const std::string& time_field);
// The newest `field` (and `time_field`, as unix ms, if present and parseable) from an
// Elasticsearch _search answer; nullopt block when the index has no such document. Throws
// std::runtime_error with a one-line reason for an answer that is not a search result.
struct es_newest {
  std::optional<std::int64_t> block;
  std::optional<std::int64_t> time_ms;
};
es_newest parse_es_newest(const std::string& body, const std::string& field,
                          const std::string& time_field);

// popcount of bitshares-core's recent_slots_filled (a uint128, printed as a decimal string)
// as a percentage of 128 slots; nullopt if it is not such a number.
std::optional<double> participation_percent(const boost::json::value& recent_slots_filled);

}  // namespace bts::uptime
