// The bulk records, index names, templates and answers of documents.hpp, byte for byte against
// docs/outputs.md.
#include "outputs/documents.hpp"

#include <gtest/gtest.h>

#include <set>

#include "util/error.hpp"

namespace bts::outputs {
namespace {

constexpr store::unix_ms t0 = 1714564800000;  // 2024-05-01T12:00:00.000Z

elasticsearch_options opts() {
  elasticsearch_options o;
  o.prefix = "bts";
  return o;
}

stats::second_row sample_row() {
  stats::second_row r;
  r.second = 3;
  r.offered = 10;
  r.sent = 9;
  r.accepted = 7;
  r.rejected = 1;
  r.rejected_by_reason["fc:10 insufficient_balance"] = 1;
  r.included = 6;
  r.ops_sent = 18;
  r.ops_included = 12;
  r.bytes_sent = 1800;
  r.pool_misses = 1;
  r.in_flight = 1;
  r.pool_depth = 4990;
  r.beacon_cpu_percent = 12.5;
  r.send_cpu_percent = 3.25;
  return r;
}

const std::string zero_digest =
    R"({"count":0,"min":0,"p50":0,"p90":0,"p99":0,"p999":0,"max":0,"mean":0})";

// sample_row()'s bulk action and its document up to beacon_cpu_percent, as alpha's second 3.
const std::string sample_row_head =
    R"({"index":{"_index":"bts-stats-2024.05.01","_id":"r1:alpha:3"}})"
    "\n"
    R"({"@timestamp":"2024-05-01T12:00:03.000Z","run":"r1","beacon":"alpha","scope":"beacon","record":"second",)"
    R"("second":3,"beacons":1,"offered":10,"sent":9,"accepted":7,"rejected":1,)"
    R"("rejected_by_reason":{"fc:10 insufficient_balance":1},"rejected_by_side":{"beacon":1,"network":0},)"
    R"("included":6,"ops_sent":18,"ops_included":12,"bytes_sent":1800,"pool_misses":1,"expired":0,"timeouts":0,)"
    R"("disconnects":0,"reconnects":0,"in_flight":1,"pool_depth":4990,"beacon_cpu_percent":12.5,)";

// sample_row()'s document from latency_us to its end, then its rejection record.
const std::string sample_row_tail =
    R"("latency_us":{"schedule_lag":)" + zero_digest + R"(,"ack_corrected":)" + zero_digest +
    R"(,"ack_uncorrected":)" + zero_digest + R"(,"inclusion_corrected":)" + zero_digest +
    R"(,"inclusion_uncorrected":)" + zero_digest +
    "}}\n"
    R"({"index":{"_index":"bts-stats-2024.05.01","_id":"r1:alpha:3:fc:10 insufficient_balance"}})"
    "\n"
    R"({"@timestamp":"2024-05-01T12:00:03.000Z","run":"r1","beacon":"alpha","scope":"beacon","record":"rejection",)"
    R"("second":3,"reason":"fc:10 insufficient_balance","code":"fc:10","kind":"insufficient_balance",)"
    R"("side":"beacon","count":1})"
    "\n";

TEST(Documents, StatsRowAndItsRejectionsAreTwoRecordsInTheDocumentedBytes) {
  stats_document d{
      .run = "r1", .beacon = "alpha", .whole_run = false, .time = t0 + 3000, .row = sample_row()};
  std::string out;
  std::size_t n = 0;
  append_records(d, opts(), out, n);
  EXPECT_EQ(n, 2u);
  const std::string expected =
      sample_row_head + R"("send_cpu_percent":3.25,"node_cpu_percent":null,)" + sample_row_tail;
  EXPECT_EQ(out, expected);
}

// Two measured nodes (one with nulls): the row keeps node_load as series.jsonl has it, then come
// its rejection, then one record per node in URL order, each _id ending in ":node:<url>".
TEST(Documents, NodeLoadIsOneRecordPerNodeAfterTheRejections) {
  stats::second_row row = sample_row();
  stats::node_load_row a;
  a.cpu_percent = 150.25;
  a.cpu_cores = 8;
  a.memory_bytes = 2147483648.4;
  a.net_rx_bytes_per_s = 125000;
  a.net_tx_bytes_per_s = 64000;
  a.disk_read_bytes_per_s = 0;
  a.disk_write_bytes_per_s = 1048576;
  a.head_block_num = 1234;
  a.head_lag_blocks = 2;
  a.head_age_seconds = 0.5;
  a.irreversible_lag_blocks = 15;
  row.node_load["ws://10.0.0.5:8090"] = a;
  stats::node_load_row b;
  b.cpu_percent = 40;
  row.node_load["wss://node.example.org/ws"] = b;
  row.node_cpu_percent = 150.25;
  stats_document d{
      .run = "r1", .beacon = "alpha", .whole_run = false, .time = t0 + 3000, .row = row};
  std::string out;
  std::size_t n = 0;
  append_records(d, opts(), out, n);
  EXPECT_EQ(n, 4u);
  const std::string expected =
      sample_row_head +
      R"("send_cpu_percent":3.25,"node_cpu_percent":150.25,"node_load":[)"
      R"({"node":"ws://10.0.0.5:8090","cpu_percent":150.25,"cpu_cores":8,"memory_bytes":2147483648,)"
      R"("net_rx_bytes_per_s":125000,"net_tx_bytes_per_s":64000,"disk_read_bytes_per_s":0,"disk_write_bytes_per_s":1048576,)"
      R"("head_block_num":1234,"head_lag_blocks":2,"head_age_seconds":0.5,"irreversible_lag_blocks":15},)"
      R"({"node":"wss://node.example.org/ws","cpu_percent":40,"cpu_cores":null,"memory_bytes":null,)"
      R"("net_rx_bytes_per_s":null,"net_tx_bytes_per_s":null,"disk_read_bytes_per_s":null,"disk_write_bytes_per_s":null,)"
      R"("head_block_num":null,"head_lag_blocks":null,"head_age_seconds":null,"irreversible_lag_blocks":null}],)" +
      sample_row_tail +
      R"({"index":{"_index":"bts-stats-2024.05.01","_id":"r1:alpha:3:node:ws://10.0.0.5:8090"}})"
      "\n"
      R"({"@timestamp":"2024-05-01T12:00:03.000Z","run":"r1","beacon":"alpha","scope":"beacon","record":"node_load",)"
      R"("second":3,"node":"ws://10.0.0.5:8090","cpu_percent":150.25,"cpu_cores":8,"memory_bytes":2147483648,)"
      R"("net_rx_bytes_per_s":125000,"net_tx_bytes_per_s":64000,"disk_read_bytes_per_s":0,"disk_write_bytes_per_s":1048576,)"
      R"("head_block_num":1234,"head_lag_blocks":2,"head_age_seconds":0.5,"irreversible_lag_blocks":15})"
      "\n"
      R"({"index":{"_index":"bts-stats-2024.05.01","_id":"r1:alpha:3:node:wss://node.example.org/ws"}})"
      "\n"
      R"({"@timestamp":"2024-05-01T12:00:03.000Z","run":"r1","beacon":"alpha","scope":"beacon","record":"node_load",)"
      R"("second":3,"node":"wss://node.example.org/ws","cpu_percent":40,"cpu_cores":null,"memory_bytes":null,)"
      R"("net_rx_bytes_per_s":null,"net_tx_bytes_per_s":null,"disk_read_bytes_per_s":null,"disk_write_bytes_per_s":null,)"
      R"("head_block_num":null,"head_lag_blocks":null,"head_age_seconds":null,"irreversible_lag_blocks":null})"
      "\n";
  EXPECT_EQ(out, expected);

  // A merged row: scope run, beacon "", _id r1::3:node:<url>; no rejections, so the node
  // records follow the row directly.
  d.beacon = "";
  d.whole_run = true;
  d.row.rejected = 0;
  d.row.rejected_by_reason.clear();
  out.clear();
  n = 0;
  append_records(d, opts(), out, n);
  EXPECT_EQ(n, 3u);
  const std::size_t second_action = out.find("{\"index\"", 1);
  const std::string node_action =
      R"({"index":{"_index":"bts-stats-2024.05.01","_id":"r1::3:node:ws://10.0.0.5:8090"}})"
      "\n";
  EXPECT_EQ(out.substr(second_action, node_action.size()), node_action);
  EXPECT_NE(
      out.find(
          R"("scope":"run","record":"node_load","second":3,"node":"wss://node.example.org/ws")"),
      std::string::npos);
}

TEST(Documents, HdrIsKeptOrDroppedByOption) {
  stats::latency_set set;
  set[stats::latency_kind::ack_corrected].record(1500);
  stats_document d{.run = "r1", .beacon = "", .whole_run = true, .time = t0, .row = {}};
  d.row.set_latency(set);
  std::string with, without;
  std::size_t n = 0;
  append_records(d, opts(), with, n);
  elasticsearch_options o = opts();
  o.include_hdr = false;
  append_records(d, o, without, n);
  EXPECT_NE(with.find(R"("hdr":"HISTFAA)"), std::string::npos);
  EXPECT_EQ(without.find("hdr"), std::string::npos);
  EXPECT_NE(without.find(R"("scope":"run")"), std::string::npos);
  EXPECT_NE(without.find(R"("_id":"r1::0")"), std::string::npos);
}

TEST(Documents, EventRecord) {
  event_document d{.run = "r1", .event = {}};
  d.event.time = t0 + 2500;
  d.event.kind = store::event_kind::rate_change;
  d.event.data = {{"from", 30}, {"to", 60}};
  std::string out;
  std::size_t n = 0;
  append_records(d, opts(), out, n);
  // _id ends in FNV-1a-64 of the data's JSON, {"from":30,"to":60} (docs/outputs.md).
  EXPECT_EQ(
      out,
      R"({"index":{"_index":"bts-events-2024.05.01","_id":"r1:e:1714564802500:rate_change::377efe1591bb5743"}})"
      "\n"
      R"({"@timestamp":"2024-05-01T12:00:02.500Z","run":"r1","beacon":"","kind":"rate_change","data":{"from":30,"to":60}})"
      "\n");
  const std::size_t nl = out.find('\n');
  // The same event gets the same _id (a replay overwrites); different data another.
  std::string again, other;
  append_records(d, opts(), again, n);
  d.event.data["to"] = 90;
  append_records(d, opts(), other, n);
  EXPECT_EQ(again, out);
  EXPECT_NE(other.substr(0, nl), out.substr(0, nl));
}

TEST(Documents, RunManifestRecord) {
  run_document d;
  d.info.id = "r1";
  d.info.name = "demo";
  d.info.scenario_name = "real-user-activity";
  d.info.scenario_text = "load: 10\n";
  d.info.manifest = {{"seed", 42}};
  d.info.created_at = t0;
  d.info.started_at = t0 + 1000;
  d.info.status = store::run_status::running;
  d.beacons.push_back({"alpha", {{"cores", 4}}});
  std::string out;
  std::size_t n = 0;
  append_records(d, opts(), out, n);
  EXPECT_EQ(
      out,
      R"({"index":{"_index":"bts-runs","_id":"r1"}})"
      "\n"
      R"({"@timestamp":"2024-05-01T12:00:00.000Z","run":"r1","name":"demo","status":"running",)"
      R"("created_at":"2024-05-01T12:00:00.000Z","started_at":"2024-05-01T12:00:01.000Z","ended_at":null,)"
      R"("scenario":{"name":"real-user-activity","text":"load: 10\n"},"beacons":[{"name":"alpha","info":{"cores":4}}],)"
      R"("manifest":{"seed":42}})"
      "\n");
}

TEST(Documents, IndexNames) {
  elasticsearch_options o = opts();
  EXPECT_EQ(stats_index(o, "R1", 0), "bts-stats-1970.01.01");
  EXPECT_EQ(stats_index(o, "R1", -1), "bts-stats-1969.12.31");
  EXPECT_EQ(stats_index(o, "R1", 1709251199999), "bts-stats-2024.02.29");
  EXPECT_EQ(events_index(o, "R1", 1709251200000), "bts-events-2024.03.01");
  EXPECT_EQ(runs_index(o), "bts-runs");
  o.index = index_mode::per_run;
  EXPECT_EQ(stats_index(o, "Run_2.A", t0), "bts-stats-run_2.a");
  EXPECT_EQ(events_index(o, "Run_2.A", t0), "bts-events-run_2.a");
  EXPECT_EQ(runs_index(o), "bts-runs");
}

TEST(Documents, PrefixRules) {
  EXPECT_NO_THROW(check_index_prefix("bts-infra", "x"));
  EXPECT_NO_THROW(check_index_prefix("a.b_c-1", "x"));
  EXPECT_THROW(check_index_prefix("BTS", "x"), input_error);
  EXPECT_THROW(check_index_prefix("_bts", "x"), input_error);
  EXPECT_THROW(check_index_prefix("bts*", "x"), input_error);
  EXPECT_THROW(check_index_prefix("", "x"), input_error);
}

// Every member a stats document can carry is mapped (so Kibana sees numbers, not unmapped
// fields), and the templates have the composable shape (no _type, no legacy "template" key).
TEST(Documents, TemplatesMapEveryStatsMember) {
  const auto templates = index_templates(opts());
  ASSERT_EQ(templates.size(), 3u);
  EXPECT_EQ(templates[0].name, "bts-stats");
  EXPECT_EQ(templates[1].name, "bts-events");
  EXPECT_EQ(templates[2].name, "bts-runs");
  const auto& stats = templates[0].body;
  EXPECT_EQ(stats.at("index_patterns").as_array().at(0).as_string(), "bts-stats-*");
  EXPECT_EQ(templates[2].body.at("index_patterns").as_array().at(0).as_string(), "bts-runs");
  EXPECT_EQ(stats.at("priority").as_int64(), 200);
  const auto& mappings = stats.at("template").as_object().at("mappings").as_object();
  EXPECT_FALSE(mappings.contains("_doc"));  // typeless (ES 8 / OpenSearch 2)
  const auto& props = mappings.at("properties").as_object();

  stats::latency_set set;
  set[stats::latency_kind::inclusion_corrected].record(2000);
  stats_document d{.run = "r", .beacon = "b", .whole_run = true, .time = t0, .row = sample_row()};
  d.row.set_latency(set);
  d.row.node_cpu_percent = 50;
  d.row.node_load["ws://n.example:8090"].cpu_percent = 50;
  d.row.node_load["ws://n.example:8090"].memory_bytes = 1e9;
  d.row.node_load["ws://m:1"] = {};  // every member null
  std::string out;
  std::size_t n = 0;
  append_records(d, opts(), out, n);
  std::size_t pos = 0;
  int sources = 0;
  while (pos < out.size()) {
    const std::size_t a = out.find('\n', pos);
    const std::size_t s = out.find('\n', a + 1);
    const auto source = boost::json::parse(out.substr(a + 1, s - a - 1)).as_object();
    for (const auto& m : source) {
      ASSERT_TRUE(props.contains(m.key())) << m.key();
      // Nothing keyed by a node URL is ever indexed: node_load in a row is stored only.
      if (m.key() == "node_load") {
        EXPECT_EQ(props.at("node_load"),
                  (boost::json::object{{"type", "object"}, {"enabled", false}}));
      }
      if (m.key() == "latency_us") {
        for (const auto& k : m.value().as_object()) {
          const auto& kp = props.at("latency_us").at("properties").at(k.key()).at("properties");
          for (const auto& f : k.value().as_object())
            EXPECT_TRUE(kp.as_object().contains(f.key())) << f.key();
        }
      }
    }
    ++sources;
    pos = s + 1;
  }
  EXPECT_EQ(sources, 4);  // the row, its rejection, two nodes
  // Reason keys hold dots ("fc:10 now <= trx.expiration"): the map is stored, not indexed; the
  // rejection records carry code, kind and side as keywords.
  EXPECT_EQ(props.at("rejected_by_reason"),
            (boost::json::object{{"type", "object"}, {"enabled", false}}));
  EXPECT_FALSE(mappings.contains("dynamic_templates"));
  for (const char* k : {"reason", "code", "kind", "side"})
    EXPECT_EQ(props.at(k).at("type"), "keyword") << k;
  EXPECT_EQ(props.at("rejected_by_side").at("properties").at("beacon").at("type"), "long");
  EXPECT_EQ(props.at("node").at("type"), "keyword");
  EXPECT_EQ(props.at("cpu_percent").at("type"), "float");
  EXPECT_EQ(props.at("disk_write_bytes_per_s").at("type"), "long");
  // The version the templates carry is documents.hpp's (a start re-installs them every time, so
  // a bumped version replaces an older one).
  EXPECT_EQ(stats.at("version").as_int64(), template_version);
  EXPECT_EQ(stats.at("_meta").at("bts_infra").as_int64(), template_version);
  EXPECT_EQ(mappings.at("_meta").at("bts_infra").as_int64(), template_version);
  EXPECT_EQ(template_version, 3);
}

TEST(Documents, BulkReplyItemByItem) {
  const auto r = parse_bulk_reply(
      R"({"took":3,"errors":true,"items":[)"
      R"({"index":{"_index":"a","_id":"1","status":201}},)"
      R"({"index":{"_index":"a","_type":"_doc","_id":"2","status":429,"error":{"type":"es_rejected_execution_exception","reason":"queue full"}}},)"
      R"({"index":{"_index":"a","_id":"3","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse"}}},)"
      R"({"index":{"_index":"a","_id":"4","status":503}},)"
      R"({"index":{"_index":"a","_id":"5","status":200}}]})",
      5);
  ASSERT_TRUE(r.valid);
  EXPECT_EQ(r.items, (std::vector<item_outcome>{item_outcome::indexed, item_outcome::retry,
                                                item_outcome::rejected, item_outcome::retry,
                                                item_outcome::indexed}));
  ASSERT_EQ(r.errors.size(), 3u);
  EXPECT_EQ(r.errors[0], "429 es_rejected_execution_exception: queue full");
  EXPECT_EQ(r.errors[1], "400 mapper_parsing_exception: failed to parse");
  EXPECT_FALSE(parse_bulk_reply(R"({"errors":false,"items":[]})", 1).valid);
  EXPECT_FALSE(parse_bulk_reply("<html>", 1).valid);
}

TEST(Documents, ServerVersions) {
  auto es = parse_server_info(R"({"version":{"number":"8.13.4","build_flavor":"default"}})", "x");
  EXPECT_EQ(es.distribution, "elasticsearch");
  EXPECT_EQ(es.major, 8);
  auto os =
      parse_server_info(R"({"version":{"distribution":"opensearch","number":"2.11.0"}})", "x");
  EXPECT_EQ(os.distribution, "opensearch");
  EXPECT_EQ(os.major, 2);
  EXPECT_NO_THROW(parse_server_info(R"({"version":{"number":"7.8.0"}})", "x"));
  try {
    parse_server_info(R"({"version":{"number":"7.7.1"}})", "es");
    FAIL();
  } catch (const input_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "es: Elasticsearch 7.7.1 has no composable index templates; version 7.8 or newer "
              "(or OpenSearch 1/2) is needed");
  }
  EXPECT_THROW(parse_server_info("<html>hello</html>", "x"), input_error);
}

}  // namespace
}  // namespace bts::outputs
