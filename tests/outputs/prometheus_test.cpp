// The Prometheus exposition (prometheus.hpp): names, label escaping, histogram buckets
// (cumulative, +Inf = _count), counters monotonic over seconds, and /metrics over loopback.
#include "outputs/prometheus.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <regex>
#include <sstream>

#include "rpc/url.hpp"
#include "stats/latency_histogram.hpp"
#include "util/error.hpp"

namespace bts::outputs {
namespace {

// sample line -> value, keyed by "name{labels}" exactly as written. Also checks every line's
// syntax and that # TYPE precedes the family's samples.
std::map<std::string, double> parse(const std::string& text) {
  static const std::regex sample_re(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})? (\S+)$)");
  static const std::regex type_re(
      R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$)");
  std::map<std::string, double> out;
  std::map<std::string, std::string> types;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::smatch m;
    if (line.rfind("# HELP ", 0) == 0) continue;
    if (line.rfind("# TYPE ", 0) == 0) {
      EXPECT_TRUE(std::regex_match(line, m, type_re)) << "line " << n << ": " << line;
      EXPECT_EQ(types.count(m[1]), 0u) << "second TYPE for " << m[1];
      types[m[1]] = m[2];
      continue;
    }
    EXPECT_TRUE(std::regex_match(line, m, sample_re)) << "line " << n << ": " << line;
    if (m.empty()) continue;
    std::string name = m[1];
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s(suffix);
      if (family.size() > s.size() && family.ends_with(s) &&
          types.count(family.substr(0, family.size() - s.size())) &&
          types[family.substr(0, family.size() - s.size())] == "histogram") {
        family = family.substr(0, family.size() - s.size());
      }
    }
    EXPECT_TRUE(types.count(family)) << "no TYPE before line " << n << ": " << line;
    const std::string v = m[m.size() - 1];
    out[name + m[2].str()] = v == "+Inf" ? INFINITY : std::stod(v);
  }
  return out;
}

stats::second_row row_with_latency(std::int64_t second, std::vector<std::int64_t> inclusion_us) {
  stats::second_row r;
  r.second = second;
  r.offered = 10;
  r.sent = 9;
  r.accepted = 7;
  r.rejected = 2;
  r.rejected_by_reason["fc:10 insufficient_balance"] = 1;
  r.rejected_by_reason["timeout\"x"] = 1;
  r.included = static_cast<std::int64_t>(inclusion_us.size());
  r.bytes_sent = 1800;
  r.in_flight = 3 + second;
  r.pool_depth = 100 - second;
  r.beacon_cpu_percent = 12.5;
  stats::latency_set w;
  for (auto us : inclusion_us) w[stats::latency_kind::inclusion_corrected].record(us);
  w[stats::latency_kind::schedule_lag].record(200);
  r.set_latency(w);
  return r;
}

struct http_reply {
  unsigned status = 0;
  std::string body;
};

// One HTTP/1.0 request over a loopback socket, bounded by 5 s receive/send timeouts.
http_reply http(std::uint16_t port, const std::string& method, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  http_reply r;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return r;
  }
  const std::string req =
      method + " " + path +
      " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
    close(fd);
    return r;
  }
  std::string all;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;)
    all.append(buf, static_cast<std::size_t>(n));
  close(fd);
  if (all.size() > 12) r.status = static_cast<unsigned>(std::stoi(all.substr(9, 3)));
  const auto body = all.find("\r\n\r\n");
  if (body != std::string::npos) r.body = all.substr(body + 4);
  return r;
}

const std::string labels = R"({run="r1",beacon="b1",node="ws://n:1"})";

TEST(PrometheusText, EscapesLabelValuesAndFormatsValues) {
  EXPECT_EQ(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(format_sample_value(3), "3");
  EXPECT_EQ(format_sample_value(0.25), "0.25");
  EXPECT_EQ(format_sample_value(1e-4), "0.0001");  // as Go's FormatFloat(v, 'g', -1, 64)
  EXPECT_EQ(format_sample_value(0.0005), "0.0005");
  EXPECT_EQ(format_sample_value(1.5e-5), "1.5e-05");
  EXPECT_EQ(format_sample_value(1234567.5), "1.2345675e+06");
  EXPECT_EQ(format_sample_value(INFINITY), "+Inf");
  EXPECT_EQ(format_sample_value(-INFINITY), "-Inf");
  EXPECT_EQ(format_sample_value(NAN), "NaN");

  exposition_builder b;
  b.add("x_total", "counter", "Help with \\ and\nnewline.", {{"path", "/a\"b\\c\nd"}}, 2);
  b.add("x_total", "counter", "Help with \\ and\nnewline.", {{"path", "e"}}, 3);
  b.add("y", "gauge", "Y.", {}, 1.5);
  EXPECT_EQ(b.str(),
            "# HELP x_total Help with \\\\ and\\nnewline.\n# TYPE x_total counter\n"
            "x_total{path=\"/a\\\"b\\\\c\\nd\"} 2\nx_total{path=\"e\"} 3\n"
            "# HELP y Y.\n# TYPE y gauge\ny 1.5\n");
}

TEST(PrometheusText, BeaconFamiliesNamesAndLabels) {
  beacon_metrics m;
  m.add_row({"r1", "b1", "ws://n:1"}, row_with_latency(0, {1000, 400'000, 2'500'000}));
  const std::string text = m.render();
  const auto v = parse(text);
  EXPECT_EQ(v.at("bts_infra_beacon_up"), 1);
  EXPECT_EQ(v.at("bts_infra_beacon_tx_sent_total" + labels), 9);
  EXPECT_EQ(v.at("bts_infra_beacon_tx_offered_total" + labels), 10);
  EXPECT_EQ(v.at("bts_infra_beacon_tx_accepted_total" + labels), 7);
  EXPECT_EQ(v.at("bts_infra_beacon_tx_included_total" + labels), 3);
  EXPECT_EQ(v.at("bts_infra_beacon_sent_bytes_total" + labels), 1800);
  EXPECT_EQ(
      v.at(
          R"(bts_infra_beacon_tx_rejected_total{run="r1",beacon="b1",node="ws://n:1",code="fc:10",reason="insufficient_balance",side="beacon"})"),
      1);
  EXPECT_EQ(
      v.at(
          R"(bts_infra_beacon_tx_rejected_total{run="r1",beacon="b1",node="ws://n:1",code="timeout\"x",reason="",side="network"})"),
      1);
  EXPECT_EQ(v.at("bts_infra_beacon_in_flight" + labels), 3);
  EXPECT_EQ(v.at("bts_infra_beacon_cpu_ratio" + labels), 0.125);
  EXPECT_EQ(v.count("bts_infra_beacon_node_cpu_ratio" + labels), 0u);  // not measured: absent
  EXPECT_NE(text.find("# TYPE bts_infra_beacon_tx_sent_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE bts_infra_beacon_inclusion_latency_seconds histogram\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE bts_infra_beacon_in_flight gauge\n"), std::string::npos);
  for (const char* h :
       {"schedule_lag_seconds", "ack_latency_seconds", "ack_latency_uncorrected_seconds",
        "inclusion_latency_seconds", "inclusion_latency_uncorrected_seconds"}) {
    EXPECT_TRUE(v.count(std::string("bts_infra_beacon_") + h + "_count" + labels)) << h;
  }
}

TEST(PrometheusText, HistogramBucketsAreCumulativeWithInfEqualCount) {
  beacon_metrics m;
  m.add_row({"r1", "b1", "ws://n:1"}, row_with_latency(0, {1000, 400'000, 2'500'000}));
  m.add_row({"r1", "b1", "ws://n:1"}, row_with_latency(1, {3'000'000, 200'000'000}));
  const auto v = parse(m.render());
  auto bucket = [&](const std::string& le) {
    return v.at(
        R"(bts_infra_beacon_inclusion_latency_seconds_bucket{run="r1",beacon="b1",node="ws://n:1",le=")" +
        le + "\"}");
  };
  EXPECT_EQ(bucket("0.0005"), 0);
  EXPECT_EQ(bucket("0.001"), 1);  // 1000 us is exactly 0.001 s
  EXPECT_EQ(bucket("0.25"), 1);
  EXPECT_EQ(bucket("0.5"), 2);
  EXPECT_EQ(bucket("2"), 2);
  EXPECT_EQ(bucket("3"), 4);
  EXPECT_EQ(bucket("120"), 4);
  EXPECT_EQ(bucket("+Inf"), 5);  // 200 s is above the last bound
  EXPECT_EQ(v.at("bts_infra_beacon_inclusion_latency_seconds_count" + labels), 5);
  EXPECT_NEAR(v.at("bts_infra_beacon_inclusion_latency_seconds_sum" + labels),
              0.001 + 0.4 + 2.5 + 3 + 200, 0.3);  // HDR keeps 3 significant digits
  // Non-decreasing over every bound.
  double prev = 0;
  for (double le : latency_bounds_seconds()) {
    const double c = bucket(format_sample_value(le));
    EXPECT_GE(c, prev) << le;
    prev = c;
  }
  EXPECT_LE(prev, bucket("+Inf"));
  EXPECT_EQ(v.at("bts_infra_beacon_schedule_lag_seconds_count" + labels), 2);
}

TEST(PrometheusText, CountersAreMonotonicOverSeconds) {
  beacon_metrics m;
  double sent = -1, included = -1, inf = -1;
  for (int s = 0; s < 20; ++s) {
    m.add_row({"r1", "b1", "ws://n:1"},
              row_with_latency(s, {static_cast<std::int64_t>(1000 * (s + 1))}));
    const auto v = parse(m.render());
    const double now_sent = v.at("bts_infra_beacon_tx_sent_total" + labels);
    const double now_inc = v.at("bts_infra_beacon_tx_included_total" + labels);
    const double now_inf = v.at(
        R"(bts_infra_beacon_inclusion_latency_seconds_bucket{run="r1",beacon="b1",node="ws://n:1",le="+Inf"})");
    EXPECT_GT(now_sent, sent);
    EXPECT_GT(now_inc, included);
    EXPECT_GT(now_inf, inf);
    EXPECT_EQ(now_sent, 9.0 * (s + 1));
    EXPECT_EQ(v.at("bts_infra_beacon_pool_depth" + labels), 100 - s);  // gauge: the last row
    EXPECT_EQ(v.at("bts_infra_beacon_last_second" + labels), s);
    sent = now_sent;
    included = now_inc;
    inf = now_inf;
  }
}

TEST(PrometheusText, KeepsTheRecentRunsOnly) {
  beacon_metrics m(2);
  for (int r = 0; r < 4; ++r)
    m.add_row({"r" + std::to_string(r), "b1", "n"}, row_with_latency(0, {}));
  const std::string text = m.render();
  EXPECT_EQ(text.find("run=\"r1\""), std::string::npos);
  EXPECT_NE(text.find("run=\"r2\""), std::string::npos);
  EXPECT_NE(text.find("run=\"r3\""), std::string::npos);
}

TEST(PrometheusText, RunScopeFromCumulativeHistograms) {
  scope_metrics s;
  stats::second_row r = row_with_latency(0, {5000});
  s.add_row(r, false);
  stats::latency_histogram h;
  h.record(1000);
  h.record(5'000'000);
  std::array<std::string, stats::latency_kind_count> enc;
  enc[static_cast<std::size_t>(stats::latency_kind::inclusion_corrected)] = h.encode();
  s.set_latency(enc);
  exposition_builder b;
  s.write(b, "bts_infra_run", {{"run", "r1"}});
  const auto v = parse(b.str());
  EXPECT_EQ(v.at(R"(bts_infra_run_inclusion_latency_seconds_count{run="r1"})"), 2);
  EXPECT_EQ(v.at(R"(bts_infra_run_inclusion_latency_seconds_bucket{run="r1",le="0.001"})"), 1);
  EXPECT_EQ(v.at(R"(bts_infra_run_inclusion_latency_seconds_bucket{run="r1",le="6"})"), 2);
  EXPECT_EQ(v.at(R"(bts_infra_run_beacons{run="r1"})"), 1);
  EXPECT_EQ(v.at(R"(bts_infra_run_tx_sent_total{run="r1"})"), 9);
}

// Two nodes, one with every member and one (its URL needing escapes) with CPU only.
stats::second_row row_with_node_load(std::int64_t second) {
  stats::second_row r = row_with_latency(second, {1000});
  stats::node_load_row a;
  a.cpu_percent = 150;
  a.cpu_cores = 4;
  a.memory_bytes = 2147483648.0;
  a.net_rx_bytes_per_s = 125000;
  a.net_tx_bytes_per_s = 64000;
  a.disk_read_bytes_per_s = 0;
  a.disk_write_bytes_per_s = 1048576;
  r.node_load["ws://a.example:8090"] = a;
  stats::node_load_row b;
  b.cpu_percent = 0.7;
  r.node_load["ws://b:1/p\"q\\"] = b;
  return r;
}

TEST(PrometheusText, NodeLoadIsOneGaugePerNodeWithItsOwnNodeLabel) {
  beacon_metrics m;
  const beacon_scope scope{"r1", "b1", "ws://a.example:8090,ws://b:1/p\"q\\"};
  m.add_row(scope, row_with_node_load(0));
  const std::string text = m.render();
  parse(text);  // every line well-formed
  const std::string a = R"({run="r1",beacon="b1",node="ws://a.example:8090"})";
  const std::string b = R"({run="r1",beacon="b1",node="ws://b:1/p\"q\\"})";
  for (const std::string& line : {
           "# HELP bts_infra_beacon_node_load_cpu_ratio CPU of the node under test (host or "
           "process), in cores (1 = one core busy).\n"
           "# TYPE bts_infra_beacon_node_load_cpu_ratio gauge\n"
           "bts_infra_beacon_node_load_cpu_ratio" +
               a +
               " 1.5\n"
               "bts_infra_beacon_node_load_cpu_ratio" +
               b + " 0.007\n",
           "# TYPE bts_infra_beacon_node_load_cpu_cores gauge\n"
           "bts_infra_beacon_node_load_cpu_cores" +
               a + " 4\n#",
           "# TYPE bts_infra_beacon_node_load_memory_bytes gauge\n"
           "bts_infra_beacon_node_load_memory_bytes" +
               a + " 2147483648\n#",
           "# TYPE bts_infra_beacon_node_load_network_receive_bytes_per_second gauge\n"
           "bts_infra_beacon_node_load_network_receive_bytes_per_second" +
               a + " 125000\n#",
           "# TYPE bts_infra_beacon_node_load_network_transmit_bytes_per_second gauge\n"
           "bts_infra_beacon_node_load_network_transmit_bytes_per_second" +
               a + " 64000\n#",
           "# TYPE bts_infra_beacon_node_load_disk_read_bytes_per_second gauge\n"
           "bts_infra_beacon_node_load_disk_read_bytes_per_second" +
               a + " 0\n#",
           "# TYPE bts_infra_beacon_node_load_disk_written_bytes_per_second gauge\n"
           "bts_infra_beacon_node_load_disk_written_bytes_per_second" +
               a + " 1048576\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin:\n" << text;
  }
  // The node families come last and never carry the comma-joined scope label or two `node`s.
  EXPECT_TRUE(text.ends_with("bts_infra_beacon_node_load_disk_written_bytes_per_second" + a +
                             " 1048576\n"));
  const std::string families = text.substr(text.find("# HELP bts_infra_beacon_node_load_"));
  EXPECT_EQ(families.find("a.example:8090,"), std::string::npos);
  std::istringstream lines(families);
  for (std::string line; std::getline(lines, line);) {
    if (line[0] == '#') continue;
    const auto first = line.find("node=");
    ASSERT_NE(first, std::string::npos) << line;
    EXPECT_EQ(line.find("node=", first + 1), std::string::npos) << line;
  }
  EXPECT_EQ(std::count(families.begin(), families.end(), '\n'), 7 * 2 + 8);  // 8 samples
  // The scope's own families keep the joined label.
  EXPECT_NE(
      text.find(
          R"(bts_infra_beacon_tx_sent_total{run="r1",beacon="b1",node="ws://a.example:8090,ws://b:1/p\"q\\"} 9)"),
      std::string::npos);

  // A later row without node b: b drops out; a's nulls drop their gauges.
  stats::second_row next = row_with_latency(1, {1000});
  next.node_load["ws://a.example:8090"].cpu_percent = 25;
  m.add_row(scope, next);
  const std::string later = m.render();
  EXPECT_EQ(later.find("node=\"ws://b:1"), std::string::npos);
  EXPECT_NE(later.find("bts_infra_beacon_node_load_cpu_ratio" + a + " 0.25\n"), std::string::npos);
  EXPECT_EQ(later.find("node_load_memory_bytes"), std::string::npos);
  EXPECT_EQ(later.find("node_load_cpu_cores"), std::string::npos);
  // A row without node_load: no node_load family at all.
  m.add_row(scope, row_with_latency(2, {1000}));
  EXPECT_EQ(m.render().find("node_load"), std::string::npos);
}

TEST(PrometheusText, RunScopeNodeLoadAddsTheNodeLabel) {
  scope_metrics s;
  s.add_row(row_with_node_load(4), false);
  s.add_row(row_with_latency(3, {1000}), false);  // an older second does not replace the gauges
  exposition_builder b;
  s.write(b, "bts_infra_run", {{"run", "r1"}});
  const std::string text = b.str();
  EXPECT_NE(text.find("\nbts_infra_run_node_load_cpu_ratio{run=\"r1\",node=\"ws://a.example:"
                      "8090\"} 1.5\nbts_infra_run_node_load_cpu_ratio{run=\"r1\",node=\"ws://"
                      "b:1/p\\\"q\\\\\"} 0.007\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\nbts_infra_run_node_load_memory_bytes{run=\"r1\",node=\"ws://"
                      "a.example:8090\"} 2147483648\n"),
            std::string::npos);
  const auto v = parse(text);
  EXPECT_EQ(v.at(R"(bts_infra_run_tx_sent_total{run="r1"})"), 18);
}

TEST(PrometheusServer, ServesMetricsOnLoopback) {
  beacon_metrics m;
  m.add_row({"r1", "b1", "ws://n:1"}, row_with_latency(0, {1000}));
  metrics_server srv("127.0.0.1:0", [&m] { return m.render(); });
  ASSERT_NE(srv.port(), 0);
  auto r = http(srv.port(), "GET", "/metrics");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(parse(r.body).at("bts_infra_beacon_tx_sent_total" + labels), 9);
  EXPECT_EQ(http(srv.port(), "GET", "/other").status, 404u);
  EXPECT_EQ(http(srv.port(), "POST", "/metrics").status, 405u);
}

TEST(PrometheusServer, BadListenAddressIsOneError) {
  auto f = [] { return std::string(); };
  EXPECT_THROW(metrics_server("nohostport", f), input_error);
  EXPECT_THROW(metrics_server("127.0.0.1:99999", f), input_error);
  metrics_server a("127.0.0.1:0", f);
  try {
    metrics_server b("127.0.0.1:" + std::to_string(a.port()), f);
    FAIL() << "bound a taken port";
  } catch (const input_error& e) {
    EXPECT_NE(std::string(e.what()).find("--metrics-listen"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cannot listen"), std::string::npos) << e.what();
  }
}

// The --listen flags of every command share this parser (rpc/url.hpp).
TEST(PrometheusServer, ListenAddressIsHostColonPort) {
  using P = std::pair<std::string, std::uint16_t>;
  EXPECT_EQ(rpc::parse_host_port("127.0.0.1:9464", "--x"), (P{"127.0.0.1", 9464}));
  EXPECT_EQ(rpc::parse_host_port("[::1]:0", "--x"), (P{"::1", 0}));
  EXPECT_EQ(rpc::parse_host_port("localhost:65535", "--x"), (P{"localhost", 65535}));
  auto error = [](const std::string& text) {
    try {
      rpc::parse_host_port(text, "--x");
    } catch (const input_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error("nohostport"), "--x: expected HOST:PORT, got \"nohostport\"");
  EXPECT_EQ(error(":80"), "--x: expected HOST:PORT, got \":80\"");
  EXPECT_EQ(error("h:"), "--x: expected HOST:PORT, got \"h:\"");
  for (const char* bad : {"h:65536", "h:-1", "h: 80", "h:80x", "h:+80"}) {
    EXPECT_EQ(error(bad),
              "--x: expected HOST:PORT with a port from 0 to 65535, got \"" + std::string(bad) +
                  "\"");
  }
}

}  // namespace
}  // namespace bts::outputs
