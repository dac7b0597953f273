// What the Elasticsearch output writes, byte for byte: the documents (per-second statistics,
// rejections by reason, node load per node, events, run manifests), their `_bulk` action lines,
// index names, the composable index templates, and the reading of a `_bulk` response.
// docs/outputs.md is the prose form of this file; tests/outputs checks both against each other.
//
// Plain functions of values; any thread.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "outputs/elasticsearch_options.hpp"
#include "stats/second_series.hpp"
#include "store/run_record.hpp"

namespace bts::outputs {

// One beacon's second, or a second merged over a run's beacons.
struct stats_document {
  std::string run;
  // The beacon the row belongs to; empty for a row merged over several beacons.
  std::string beacon;
  // True when the row covers the whole run: a merged row, or the row of a beacon running alone.
  // Kibana's run-level panels show only these, so per-beacon rows are never counted twice.
  bool whole_run = true;
  store::unix_ms time = 0;  // start of the second (run start + row.second s)
  stats::second_row row;
};

struct event_document {
  std::string run;
  store::event event;
};

// The run's manifest; sent again whenever it changes (same _id: the newest wins).
struct run_document {
  store::run_info info;
  std::vector<store::beacon_info> beacons;
};

// One `_bulk` entry: the action line and the source line, each ending in '\n'.
// A stats document becomes 1 + (number of rejection reasons) + (number of nodes in node_load)
// records: the row, then its rejections, then one record per node.
void append_records(const stats_document& d, const elasticsearch_options& o, std::string& out,
                    std::size_t& records);
void append_records(const event_document& d, const elasticsearch_options& o, std::string& out,
                    std::size_t& records);
void append_records(const run_document& d, const elasticsearch_options& o, std::string& out,
                    std::size_t& records);

// Index names (see elasticsearch_options::prefix). `time` picks the day in daily mode.
std::string stats_index(const elasticsearch_options& o, std::string_view run, store::unix_ms time);
std::string events_index(const elasticsearch_options& o, std::string_view run, store::unix_ms time);
std::string runs_index(const elasticsearch_options& o);

// The composable index templates (`PUT _index_template/<name>`), in installation order.
struct index_template {
  std::string name;  // <prefix>-stats, <prefix>-events, <prefix>-runs
  boost::json::object body;
};
std::vector<index_template> index_templates(const elasticsearch_options& o);
// Bumped whenever a mapping changes; stored as the templates' `version` and `_meta.bts_infra`.
inline constexpr int template_version = 3;

// A template shapes only indices created after it. This request gives the stats indices that
// already exist (a daily index created by an older version earlier today) the template's
// mappings: `PUT <prefix>-stats-*/_mapping?allow_no_indices=true`, body the stats template's
// mappings. Mappings only ever gain fields between versions, which existing indices accept.
struct mapping_update {
  std::string path;  // "/bts-infra-stats-*/_mapping?allow_no_indices=true"
  boost::json::object body;
};
mapping_update stats_mapping_update(const elasticsearch_options& o);

// The outcome of one `_bulk` request, item by item (in request order).
enum class item_outcome { indexed, retry, rejected };
struct bulk_reply {
  bool valid = false;  // the body parsed and had one item per record
  std::vector<item_outcome> items;
  std::vector<std::string> errors;  // for rejected/retried items: "status type: reason"
};
// Reads a 200 response body. 2xx items are indexed; 429 and 5xx items are retried; any other
// status is a rejection (e.g. 400 mapper_parsing_exception).
bulk_reply parse_bulk_reply(std::string_view body, std::size_t records);

// What GET / says about the server.
struct server_info {
  std::string distribution;  // "elasticsearch" or "opensearch"
  std::string version;       // "8.13.4"
  int major = 0;
  int minor = 0;
};
// Throws bts::input_error(where, ...) when `body` is not an Elasticsearch/OpenSearch root
// answer, or the version has no composable index templates (Elasticsearch < 7.8).
server_info parse_server_info(std::string_view body, const std::string& where);

}  // namespace bts::outputs
