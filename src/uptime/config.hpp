// The uptime tracker's configuration: a YAML file (documented in docs/uptime.md).
//
//   storage: {path: uptime.sqlite, retention: 7d}
//   defaults: {interval: 30s, timeout: 10s}
//   alerts: {webhook: {url: http://127.0.0.1:9000/hook}, failure_threshold: 3,
//            success_threshold: 2, cooldown: 10m}
//   endpoints:
//     - name: node-1
//       group: devnet
//       url: ws://127.0.0.1:8090
//       conditions: ["[CONNECTED] == true", "[HEAD_BLOCK_AGE] < 30s"]
//     - name: es                          # an Elasticsearch endpoint ([ES_LAG] vs the chain head)
//       group: devnet
//       url: http://127.0.0.1:9200
//       elasticsearch: {index: bitshares-*, chain_group: devnet, username: reader,
//                       password_env: ES_PASSWORD}
//       conditions: ["[ES_LAG] < 100"]
//
// Plain values; any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "uptime/condition.hpp"

namespace bts::uptime {

using std::chrono::milliseconds;

enum class endpoint_kind { websocket, http, http_jsonrpc, tcp, elasticsearch };

// An Elasticsearch endpoint (`elasticsearch:` in the endpoint): the bitshares-core
// elasticsearch plugin's operation-history indices, searched for the newest
// block_data.block_num, compared with the head of a chain the tracker follows.
struct elasticsearch_config {
  std::string index = "bitshares-*";  // operation-history indices
  std::string objects_index;          // es_objects indices ("objects-*"); empty: not checked
  // The chain head comes from the tracked nodes with this chain id, or else from the
  // websocket/JSON-RPC nodes of `chain_group` (default: the endpoint's own group).
  std::string chain_id;
  std::string chain_group;
  std::string username;
  std::string password;  // read from password_env / password_file; never in the file or logs
};

struct endpoint_config {
  std::string name;
  std::string group = "default";
  std::string url;
  endpoint_kind kind = endpoint_kind::websocket;
  std::string host;  // from the URL
  std::uint16_t port = 0;
  bool tls = false;
  milliseconds interval{30'000};
  milliseconds timeout{10'000};
  std::vector<condition> conditions;
  // Wallet node-list metadata (bitshares-ui's WS_NODE_LIST entries).
  std::string location, region, country, operator_name, contact;
  // Optional JSON-RPC call whose answer becomes [BODY] as {"result": ...}.
  std::optional<std::string> call_api, call_method;
  std::string call_params = "[]";  // JSON array text
  bool public_list = true;         // listed in /nodes.json when healthy
  elasticsearch_config es;         // kind == elasticsearch only
  int line = 0;                    // where it was declared

  // "group/name" made URL-safe: lower case, [a-z0-9-_] ("devnet_node-1").
  std::string key() const;
};

struct alert_config {
  std::string webhook_url;  // empty: no webhook
  std::vector<std::pair<std::string, std::string>> headers;
  std::string token_env;  // environment variable holding a bearer token (never in the file)
  int failure_threshold = 3;
  int success_threshold = 2;
  milliseconds cooldown{10 * 60'000};  // at least this between a resolve and the next trigger
};

// Several probe locations: remote `uptime probe` processes report to the tracker over its HTTP
// port (JSON-RPC "uptime.report", bearer token), and "down" needs `quorum` locations agreeing.
struct probes_config {
  std::string location = "local";  // this tracker's own location
  std::string token_env;           // environment variable with the remote probes' token
  int quorum = 1;                  // locations that must see an endpoint down (local included)
};

struct uptime_config {
  std::string source;  // file name, for messages
  std::string storage_path = "uptime.sqlite";
  milliseconds retention{7 * 86'400'000LL};  // raw results kept this long, then rolled up
  alert_config alerts;
  probes_config probes;
  std::string title = "BitShares node status";
  std::vector<endpoint_config> endpoints;
};

// Throws input_error("FILE:LINE", "what was expected") for bad YAML, unknown keys, bad values or
// conditions, and duplicate endpoint names.
uptime_config parse_config(const std::string& yaml_text, const std::string& source);
uptime_config load_config(const std::string& path);

// The conditions an endpoint gets when it lists none: websocket/JSON-RPC nodes must be
// connected; HTTP endpoints must answer 200; TCP must connect.
std::vector<condition> default_conditions(endpoint_kind kind);

}  // namespace bts::uptime
