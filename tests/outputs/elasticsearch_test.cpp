// The Elasticsearch output against a loopback fake cluster (fake_es.hpp): the bytes of every
// request, start-up errors, outages (refused connections, 500, 429, stalls) with nothing lost
// and order kept, item-level retries and rejections, the spool cap, replay after a restart,
// and Elasticsearch 8 vs OpenSearch 2.
#include "outputs/elasticsearch.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>
#include <thread>

#include "fake_es.hpp"
#include "util/error.hpp"

namespace bts::outputs {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::fake_es;

constexpr store::unix_ms t0 = 1714564800000;  // 2024-05-01T12:00:00.000Z

struct temp_dir {
  fs::path path;
  temp_dir() {
    path = fs::temp_directory_path() /
           ("bts-es-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path);
  }
  ~temp_dir() { fs::remove_all(path); }
};

struct log_capture {
  std::mutex m;
  std::vector<std::string> lines;
  elasticsearch_output::log_function fn() {
    return [this](std::string_view l) {
      std::lock_guard lock(m);
      lines.emplace_back(l);
    };
  }
  std::size_t count(std::string_view needle) {
    std::lock_guard lock(m);
    std::size_t n = 0;
    for (auto& l : lines) n += l.find(needle) != std::string::npos;
    return n;
  }
};

elasticsearch_options options_for(const fake_es& es, const temp_dir& d) {
  elasticsearch_options o;
  o.url = es.url();
  o.prefix = "bts";
  o.spool_dir = d.path.string();
  o.flush_interval = 20ms;
  o.connect_timeout = 500ms;
  o.request_timeout = 500ms;
  o.backoff = {.initial = 20ms, .max = 150ms, .multiplier = 2.0, .jitter = 0.5};
  o.where = "--out elasticsearch";
  return o;
}

stats_document row(int second, std::string beacon = "alpha") {
  stats_document d;
  d.run = "r1";
  d.beacon = std::move(beacon);
  d.whole_run = false;
  d.time = t0 + second * 1000;
  d.row.second = second;
  d.row.sent = 10 + second;
  d.row.accepted = 10 + second;
  return d;
}

std::string records_of(const stats_document& d, const elasticsearch_options& o) {
  std::string out;
  std::size_t n = 0;
  append_records(d, o, out, n);
  return out;
}

// The _ids of the documents the fake indexed, first arrival order, repeats removed.
std::vector<std::string> distinct_ids(const fake_es& es) {
  std::vector<std::string> ids;
  std::set<std::string> seen;
  for (auto& d : es.documents()) {
    if (seen.insert(d.id).second) ids.push_back(d.id);
  }
  return ids;
}

std::vector<std::string> expected_ids(int from, int to) {
  std::vector<std::string> ids;
  for (int i = from; i < to; ++i) ids.push_back("r1:alpha:" + std::to_string(i));
  return ids;
}

bool wait_for(auto pred, std::chrono::milliseconds limit = 5s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

TEST(ElasticsearchOutput, StartChecksTheServerInstallsTemplatesOnceAndSendsDocumentedBytes) {
  fake_es es;
  temp_dir d;
  log_capture log;
  const elasticsearch_options o = options_for(es, d);
  elasticsearch_output out(o, log.fn());
  out.start();
  EXPECT_EQ(out.server().distribution, "elasticsearch");
  EXPECT_EQ(out.server().version, "8.13.4");

  auto reqs = es.requests();
  ASSERT_EQ(reqs.size(), 5u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].target, "/");
  const auto templates = index_templates(o);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(reqs[i + 1].method, "PUT");
    EXPECT_EQ(reqs[i + 1].target, "/_index_template/" + templates[i].name);
    EXPECT_EQ(reqs[i + 1].content_type, "application/json");
    EXPECT_EQ(reqs[i + 1].body, boost::json::serialize(templates[i].body));
  }
  // Then the stats indices that already exist get the stats template's mappings (new fields).
  EXPECT_EQ(reqs[4].method, "PUT");
  EXPECT_EQ(reqs[4].target, "/bts-stats-*/_mapping?allow_no_indices=true");
  EXPECT_EQ(reqs[4].content_type, "application/json");
  EXPECT_EQ(reqs[4].body, boost::json::serialize(templates[0].body.at("template").at("mappings")));
  EXPECT_NE(reqs[4].body.find(R"("node":{"type":"keyword"})"), std::string::npos);

  std::string expected;
  for (int s = 0; s < 30; ++s) {
    out.push(row(s));
    expected += records_of(row(s), o);
  }
  ASSERT_TRUE(out.flush(5s));
  std::string sent;
  for (auto& r : es.requests_to("/_bulk")) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.content_type, "application/x-ndjson");
    ASSERT_FALSE(r.body.empty());
    EXPECT_EQ(r.body.back(), '\n');
    EXPECT_TRUE(r.authorization.empty());
    sent += r.body;
  }
  EXPECT_EQ(sent, expected);  // byte for byte, in push order, nothing twice
  EXPECT_EQ(distinct_ids(es), expected_ids(0, 30));
  const auto st = out.status();
  EXPECT_EQ(st.records_indexed, 30u);
  EXPECT_EQ(st.request_failures, 0u);
  EXPECT_EQ(st.spool_unsent_bytes, 0u);
  out.stop();
  EXPECT_EQ(es.requests_to("/_index_template/").size(), 3u);
  EXPECT_EQ(log.count("WARNING"), 0u);
}

TEST(ElasticsearchOutput, EventsAndManifestsGoToTheirIndices) {
  fake_es es;
  temp_dir d;
  elasticsearch_output out(options_for(es, d), [](std::string_view) {});
  out.start();
  run_document run;
  run.info.id = "r1";
  run.info.created_at = t0;
  out.push(run);
  event_document ev{.run = "r1", .event = {}};
  ev.event.time = t0 + 1500;
  ev.event.kind = store::event_kind::start;
  out.push(ev);
  ASSERT_TRUE(out.flush(5s));
  const auto docs = es.documents();
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].index, "bts-runs");
  EXPECT_EQ(docs[0].id, "r1");
  EXPECT_EQ(docs[1].index, "bts-events-2024.05.01");
}

TEST(ElasticsearchOutput, RefusedCredentialsAreOneClearErrorAtStart) {
  fake_es es;
  es.require_authorization("Basic YnRzOnJpZ2h0");  // bts:right
  temp_dir d;
  elasticsearch_options o = options_for(es, d);
  o.user = "bts";
  o.password = "wrong";
  {
    elasticsearch_output out(o, [](std::string_view) {});
    try {
      out.start();
      FAIL() << "start() accepted refused credentials";
    } catch (const input_error& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.rfind("--out elasticsearch: http://127.0.0.1:" + std::to_string(es.port()) +
                               " refused the credentials (401 security_exception",
                           0),
                0u)
          << what;
      EXPECT_NE(what.find("check user \"bts\""), std::string::npos) << what;
      EXPECT_EQ(what.find("wrong"), std::string::npos);  // the password never shows
    }
    EXPECT_EQ(es.requests().size(), 1u);  // GET / only: no template, no bulk
  }
  o.password = "right";
  elasticsearch_output out(o, [](std::string_view) {});
  out.start();
  out.push(row(0));
  ASSERT_TRUE(out.flush(5s));
  EXPECT_EQ(es.requests_to("/_bulk").at(0).authorization, "Basic YnRzOnJpZ2h0");
}

TEST(ElasticsearchOutput, WrongUrlOrOldServerIsAnErrorAtStart) {
  temp_dir d;
  std::uint16_t dead_port;
  {
    fake_es gone;
    dead_port = gone.port();
  }
  elasticsearch_options o;
  o.url = "http://127.0.0.1:" + std::to_string(dead_port);
  o.spool_dir = d.path.string();
  o.connect_timeout = 500ms;
  o.where = "--out elasticsearch";
  {
    elasticsearch_output out(o, [](std::string_view) {});
    try {
      out.start();
      FAIL();
    } catch (const input_error& e) {
      EXPECT_EQ(std::string(e.what()),
                "--out elasticsearch: cannot reach http://127.0.0.1:" + std::to_string(dead_port) +
                    " (connect: Connection refused)");
    }
  }
  fake_es old;
  old.version("7.7.0");
  o.url = old.url();
  elasticsearch_output out(o, [](std::string_view) {});
  EXPECT_THROW(out.start(), input_error);
}

// Refused connections, then 500, then 429, then a stall: every document arrives, in order, and
// the templates are not installed again.
TEST(ElasticsearchOutput, NothingLostAndOrderKeptAcrossOutages) {
  fake_es es;
  temp_dir d;
  log_capture log;
  elasticsearch_output out(options_for(es, d), log.fn());
  out.start();
  int next = 0;
  auto push_some = [&](int n) {
    for (int i = 0; i < n; ++i) out.push(row(next++));
  };
  push_some(10);
  ASSERT_TRUE(out.flush(5s));

  es.down();
  push_some(10);
  ASSERT_TRUE(wait_for([&] { return out.status().request_failures >= 2; }));
  push_some(10);
  EXPECT_FALSE(out.status().available);
  es.up();
  ASSERT_TRUE(out.flush(10s));
  EXPECT_EQ(distinct_ids(es), expected_ids(0, 30));

  for (unsigned status : {500u, 429u}) {
    es.bulk(fake_es::bulk_mode::fail_status, status);
    const auto failures = out.status().request_failures;
    push_some(10);
    ASSERT_TRUE(wait_for([&] { return out.status().request_failures >= failures + 2; }));
    es.bulk(fake_es::bulk_mode::ok);
    ASSERT_TRUE(out.flush(10s));
  }
  EXPECT_EQ(distinct_ids(es), expected_ids(0, 50));

  es.bulk(fake_es::bulk_mode::stall);
  const auto failures = out.status().request_failures;
  push_some(10);
  ASSERT_TRUE(wait_for([&] { return out.status().request_failures >= failures + 1; }));
  EXPECT_NE(out.status().last_error.find("timeout"), std::string::npos) << out.status().last_error;
  es.bulk(fake_es::bulk_mode::ok);
  ASSERT_TRUE(out.flush(10s));
  EXPECT_EQ(distinct_ids(es), expected_ids(0, 60));
  EXPECT_EQ(es.requests_to("/_index_template/").size(), 3u);
  EXPECT_EQ(out.status().records_indexed, 60u);
  EXPECT_GE(log.count("unavailable"), 1u);
  EXPECT_GE(log.count("available again"), 1u);
}

TEST(ElasticsearchOutput, ItemErrorsAreRetriedOrRejected) {
  fake_es es;
  temp_dir d;
  log_capture log;
  std::mutex m;
  std::map<std::string, int> tries;
  es.item_status([&](const std::string& id) -> unsigned {
    std::lock_guard lock(m);
    const int n = ++tries[id];
    if (id == "r1:alpha:3") return 400;            // a mapping error: never indexed
    if (id == "r1:alpha:5" && n <= 2) return 429;  // overloaded twice, then fine
    if (id == "r1:alpha:7" && n == 1) return 503;
    return 0;
  });
  elasticsearch_output out(options_for(es, d), log.fn());
  out.start();
  for (int i = 0; i < 10; ++i) out.push(row(i));
  ASSERT_TRUE(out.flush(10s));
  auto ids = expected_ids(0, 10);
  ids.erase(ids.begin() + 3);
  auto got = distinct_ids(es);
  std::sort(got.begin(), got.end());
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(got, ids);
  const auto st = out.status();
  EXPECT_EQ(st.records_rejected, 1u);
  EXPECT_EQ(st.item_retries, 3u);
  EXPECT_EQ(st.records_indexed, 9u);
  EXPECT_EQ(tries["r1:alpha:3"], 1);  // not sent again
  EXPECT_EQ(log.count("document rejected (400 mapper_parsing_exception"), 1u);
}

TEST(ElasticsearchOutput, SpoolCapWarnsOnceCountsDropsAndRecovers) {
  fake_es es;
  temp_dir d;
  log_capture log;
  elasticsearch_options o = options_for(es, d);
  const std::size_t record_size = records_of(row(10), o).size();
  o.spool_max_bytes = record_size * 20;
  o.segment_bytes = record_size * 4;
  elasticsearch_output out(o, log.fn());
  out.start();
  es.down();
  for (int i = 10; i < 60; ++i) out.push(row(i));
  ASSERT_TRUE(wait_for([&] {
    return out.status().spool_dropped > 0 &&
           out.status().records_spooled + out.status().spool_dropped == 50;
  }));
  const auto st = out.status();
  EXPECT_EQ(st.records_spooled, 20u);
  EXPECT_EQ(st.spool_dropped, 30u);
  EXPECT_LE(st.spool_bytes, o.spool_max_bytes);
  EXPECT_EQ(log.count("WARNING spool"), 1u);
  EXPECT_EQ(log.count("reached its cap"), 1u);
  es.up();
  ASSERT_TRUE(out.flush(10s));
  EXPECT_EQ(distinct_ids(es), expected_ids(10, 30));  // the oldest are kept, in order
  EXPECT_EQ(log.count("has room again; 30 records were dropped"), 1u);
}

TEST(ElasticsearchOutput, SpooledDocumentsOfAStoppedOutputAreSentByTheNextOne) {
  fake_es es;
  temp_dir d;
  const elasticsearch_options o = options_for(es, d);
  {
    log_capture log;
    elasticsearch_output out(o, log.fn());
    out.start();
    es.down();
    for (int i = 0; i < 15; ++i) out.push(row(i));
    ASSERT_TRUE(wait_for([&] { return out.status().records_spooled == 15; }));
    out.stop();
    EXPECT_EQ(log.count("stay in the spool"), 1u);
  }
  EXPECT_TRUE(es.documents().empty());
  es.up();
  log_capture log;
  elasticsearch_output out(o, log.fn());
  out.start();
  EXPECT_EQ(log.count("by an earlier run are sent first"), 1u);
  out.push(row(15));
  ASSERT_TRUE(out.flush(10s));
  EXPECT_EQ(distinct_ids(es), expected_ids(0, 16));
}

// Elasticsearch 8 and OpenSearch 2 accept the same composable templates and typeless bulk
// lines, so the bytes must be identical; only GET / differs (and is read correctly).
TEST(ElasticsearchOutput, OpenSearch2GetsTheSameRequestsAsElasticsearch8) {
  std::vector<std::vector<fake_es::request>> seen;
  for (bool opensearch : {false, true}) {
    fake_es es;
    es.opensearch(opensearch);
    if (opensearch) es.version("2.11.0");
    temp_dir d;
    elasticsearch_output out(options_for(es, d), [](std::string_view) {});
    out.start();
    EXPECT_EQ(out.server().distribution, opensearch ? "opensearch" : "elasticsearch");
    for (int i = 0; i < 5; ++i) out.push(row(i));
    ASSERT_TRUE(out.flush(5s));
    seen.push_back(es.requests());
  }
  ASSERT_EQ(seen[0].size(), seen[1].size());
  for (std::size_t i = 0; i < seen[0].size(); ++i) {
    EXPECT_EQ(seen[0][i].method, seen[1][i].method);
    EXPECT_EQ(seen[0][i].target, seen[1][i].target);
    EXPECT_EQ(seen[0][i].body, seen[1][i].body);
  }
  for (const auto& r : seen[0]) EXPECT_EQ(r.body.find("_type"), std::string::npos);
}

// A user allowed to install templates but not to change existing indices' mappings: one log
// line, and the output starts and ships anyway.
TEST(ElasticsearchOutput, ARefusedMappingUpdateIsOneLineNotAnError) {
  fake_es es;
  es.mapping_status(403);
  temp_dir d;
  log_capture log;
  elasticsearch_output out(options_for(es, d), log.fn());
  out.start();
  out.push(row(0));
  ASSERT_TRUE(out.flush(5s));
  EXPECT_EQ(es.requests_to("/bts-stats-*/_mapping").size(), 1u);
  EXPECT_EQ(log.count("could not add the template's fields to the existing indices bts-stats-* "
                      "(403 security_exception: action [indices:admin/mapping/put] is "
                      "unauthorized); indices created from now on have them"),
            1u);
  EXPECT_EQ(log.lines.size(), 1u);
  EXPECT_EQ(out.status().records_indexed, 1u);
}

TEST(ElasticsearchOutput, PushNeverBlocksAndAFullQueueIsCounted) {
  fake_es es;
  es.bulk(fake_es::bulk_mode::stall);
  temp_dir d;
  log_capture log;
  elasticsearch_options o = options_for(es, d);
  o.queue_capacity = 100;
  elasticsearch_output out(o, log.fn());
  // Before start() nothing drains the queue: the 101st push is dropped, not waited for.
  const auto begin = std::chrono::steady_clock::now();
  for (int i = 0; i < 150; ++i) out.push(row(i));
  EXPECT_LT(std::chrono::steady_clock::now() - begin, 100ms);
  EXPECT_EQ(out.status().queue_dropped, 50u);
  EXPECT_EQ(log.count("queue full"), 1u);
}

}  // namespace
}  // namespace bts::outputs
