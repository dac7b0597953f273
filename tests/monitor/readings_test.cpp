#include "monitor/readings.hpp"

#include "util/error.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace bts::monitor {
namespace {

using namespace std::chrono_literals;

// Shaped like prometheus-node-exporter 1.5 output with the cpu, meminfo, netdev and diskstats
// collectors (trimmed).
std::string node_exporter_text(double user0, double user1, double rx_eth0, double read_vda) {
  return "# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.\n"
         "# TYPE node_cpu_seconds_total counter\n"
         "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 11704.87\n"
         "node_cpu_seconds_total{cpu=\"0\",mode=\"iowait\"} 5.53\n"
         "node_cpu_seconds_total{cpu=\"0\",mode=\"system\"} 552\n"
         "node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} " +
         std::to_string(user0) +
         "\n"
         "node_cpu_seconds_total{cpu=\"1\",mode=\"idle\"} 11456.39\n"
         "node_cpu_seconds_total{cpu=\"1\",mode=\"steal\"} 4\n"
         "node_cpu_seconds_total{cpu=\"1\",mode=\"user\"} " +
         std::to_string(user1) +
         "\n"
         "node_memory_MemAvailable_bytes 2.3e+10\n"
         "node_memory_MemTotal_bytes 2.5e+10\n"
         "node_network_receive_bytes_total{device=\"eth0\"} " +
         std::to_string(rx_eth0) +
         "\n"
         "node_network_receive_bytes_total{device=\"lo\"} 9e12\n"
         "node_network_transmit_bytes_total{device=\"eth0\"} 1000\n"
         "node_disk_read_bytes_total{device=\"vda\"} " +
         std::to_string(read_vda) +
         "\n"
         "node_disk_read_bytes_total{device=\"dm-0\"} 7e12\n"
         "node_disk_read_bytes_total{device=\"md0\"} 7e12\n"
         "node_disk_written_bytes_total{device=\"vda\"} 500\n"
         "process_cpu_seconds_total 0.5\n";
}

TEST(NodeExporterReading, SumsBusyModesOverCpusAndSkipsLoopbackAndLayeredDisks) {
  const auto r =
      node_exporter_reading(parse_exposition(node_exporter_text(100, 200, 5000, 4096)), "ne");
  // Busy = system + user + steal; idle and iowait excluded.
  EXPECT_DOUBLE_EQ(*r.cpu_seconds, 552 + 100 + 4 + 200);
  EXPECT_EQ(r.cpu_cores, 2.0);
  EXPECT_DOUBLE_EQ(*r.memory_bytes, 2e9);
  EXPECT_EQ(r.net_rx_bytes, 5000.0);
  EXPECT_EQ(r.net_tx_bytes, 1000.0);
  EXPECT_EQ(r.disk_read_bytes, 4096.0);
  EXPECT_EQ(r.disk_write_bytes, 500.0);
}

TEST(NodeExporterReading, MissingCollectorsGiveNullsAndMissingCpuIsAnError) {
  const auto r = node_exporter_reading(
      parse_exposition("node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 3\n"), "ne");
  EXPECT_EQ(r.cpu_seconds, 3.0);
  EXPECT_FALSE(r.memory_bytes);
  EXPECT_FALSE(r.net_rx_bytes);
  EXPECT_FALSE(r.disk_write_bytes);
  try {
    node_exporter_reading(parse_exposition("process_cpu_seconds_total 1\n"), "http://h:1/metrics");
    FAIL() << "expected an error";
  } catch (const input_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "http://h:1/metrics: no node_cpu_seconds_total in the reply (is this a "
              "node_exporter with the cpu collector?)");
  }
}

TEST(ProcessMetricsReading, ReadsCpuAndResidentMemory) {
  const auto r = process_metrics_reading(
      parse_exposition("process_cpu_seconds_total 12.5\nprocess_resident_memory_bytes 1048576\n"),
      "m");
  EXPECT_EQ(r.cpu_seconds, 12.5);
  EXPECT_EQ(r.memory_bytes, 1048576.0);
  EXPECT_FALSE(r.net_rx_bytes);
  EXPECT_THROW(process_metrics_reading(parse_exposition("up 1\n"), "m"), input_error);
}

TEST(RateTracker, FirstReadingHasNoRatesThenRatesFromTwoReadings) {
  rate_tracker t;
  const auto t0 = std::chrono::steady_clock::time_point(100s);
  raw_reading a;
  a.cpu_seconds = 10;
  a.memory_bytes = 1e6;
  a.net_rx_bytes = 1000;
  a.disk_write_bytes = 0;
  const node_load first = t.update(a, t0);
  EXPECT_FALSE(first.cpu_percent) << "the first reading must not fake a rate";
  EXPECT_FALSE(first.net_rx_bytes_per_s);
  EXPECT_EQ(first.memory_bytes, 1e6);  // a gauge needs one reading

  raw_reading b = a;
  b.cpu_seconds = 13;  // 3 core-seconds in 2 s = 1.5 cores
  b.net_rx_bytes = 5000;
  b.disk_write_bytes = 8192;
  const node_load second = t.update(b, t0 + 2s);
  EXPECT_DOUBLE_EQ(*second.cpu_percent, 150.0);
  EXPECT_DOUBLE_EQ(*second.net_rx_bytes_per_s, 2000.0);
  EXPECT_DOUBLE_EQ(*second.disk_write_bytes_per_s, 4096.0);
  EXPECT_FALSE(second.net_tx_bytes_per_s);  // never reported
  EXPECT_FALSE(second.disk_read_bytes_per_s);
}

TEST(RateTracker, CounterGoingBackwardsIsARestartNotANegativeRate) {
  rate_tracker t;
  const auto t0 = std::chrono::steady_clock::time_point(100s);
  raw_reading r;
  r.cpu_seconds = 500;
  t.update(r, t0);
  r.cpu_seconds = 1;  // the node restarted
  EXPECT_FALSE(t.update(r, t0 + 1s).cpu_percent);
  r.cpu_seconds = 1.5;  // the restart reading is the new baseline
  EXPECT_DOUBLE_EQ(*t.update(r, t0 + 2s).cpu_percent, 50.0);
  t.reset();
  r.cpu_seconds = 2;
  EXPECT_FALSE(t.update(r, t0 + 3s).cpu_percent);
  // No time elapsed: no rate rather than a division by zero.
  EXPECT_FALSE(t.update(r, t0 + 3s).cpu_percent);
}

TEST(ReadProc, ReadsThisProcess) {
  const raw_reading r = read_proc(getpid());
  ASSERT_TRUE(r.cpu_seconds);
  EXPECT_GE(*r.cpu_seconds, 0.0);
  ASSERT_TRUE(r.memory_bytes);
  EXPECT_GT(*r.memory_bytes, 1024.0 * 1024);  // a gtest binary has more than 1 MiB resident
  EXPECT_GE(r.cpu_cores.value_or(0), 1.0);
}

TEST(ReadProc, MissingProcessAndBadPidFilesAreInputErrors) {
  // Pids are below /proc/sys/kernel/pid_max (at most 2^22); this one cannot exist.
  EXPECT_THROW(read_proc(2'000'000'000), input_error);
  const std::string path = ::testing::TempDir() + "/monitor_readings_test.pid";
  { std::ofstream(path) << getpid() << "\n"; }
  EXPECT_EQ(read_pid_file(path), getpid());
  { std::ofstream(path) << "not-a-pid\n"; }
  try {
    read_pid_file(path);
    FAIL() << "expected an error";
  } catch (const input_error& e) {
    EXPECT_EQ(std::string(e.what()), path + ": pid file does not start with a process id");
  }
  std::remove(path.c_str());
  try {
    read_pid_file(path);
    FAIL() << "expected an error";
  } catch (const input_error& e) {
    EXPECT_EQ(std::string(e.what()), path + ": cannot read pid file: No such file or directory");
  }
}

TEST(LoadSourceSpec, ParsesEveryKind) {
  auto s = parse_load_source("node_exporter:http://10.0.0.5:9100/metrics");
  EXPECT_EQ(s.kind, load_source_kind::node_exporter);
  EXPECT_EQ(s.endpoint.host, "10.0.0.5");
  EXPECT_EQ(s.endpoint.port, 9100);
  EXPECT_EQ(s.endpoint.target, "/metrics");
  EXPECT_EQ(s.to_string(), "node_exporter:http://10.0.0.5:9100/metrics");

  s = parse_load_source("  metrics:https://node.example/metrics ");
  EXPECT_EQ(s.kind, load_source_kind::process_metrics);
  EXPECT_TRUE(s.endpoint.tls());
  EXPECT_EQ(s.to_string(), "metrics:https://node.example:443/metrics");

  s = parse_load_source("http://127.0.0.1:8090/metrics");
  EXPECT_EQ(s.kind, load_source_kind::detect);
  EXPECT_EQ(s.to_string(), "http://127.0.0.1:8090/metrics");

  s = parse_load_source("proc:4242");
  EXPECT_EQ(s.kind, load_source_kind::proc);
  EXPECT_EQ(s.pid, 4242);
  EXPECT_EQ(s.to_string(), "proc:4242");

  s = parse_load_source("proc:/run/witness_node.pid");
  EXPECT_EQ(s.pid_file, "/run/witness_node.pid");
  EXPECT_EQ(s.to_string(), "proc:/run/witness_node.pid");
}

std::string spec_error(std::string_view spec) {
  try {
    parse_load_source(spec, "--node-load");
  } catch (const input_error& e) {
    return e.what();
  }
  return "";
}

TEST(LoadSourceSpec, BadSpecsAreOneClearError) {
  EXPECT_EQ(spec_error("exporter:http://h/metrics"),
            "--node-load: unknown node load source \"exporter:http://h/metrics\" (expected "
            "node_exporter:URL, metrics:URL, http(s)://..., proc:PID or proc:/path/to/pidfile)");
  EXPECT_EQ(spec_error(""),
            "--node-load: unknown node load source \"\" (expected node_exporter:URL, metrics:URL, "
            "http(s)://..., proc:PID or proc:/path/to/pidfile)");
  EXPECT_EQ(spec_error("node_exporter:ftp://h/metrics"),
            "--node-load: unsupported scheme \"ftp\" (expected ws, wss, http or https) in "
            "\"ftp://h/metrics\"");
  EXPECT_EQ(spec_error("metrics:ws://h:8090"),
            "--node-load: \"ws://h:8090\" is a websocket URL; a metrics source needs http:// or "
            "https://");
  EXPECT_EQ(spec_error("node_exporter:http://h:99999/metrics"),
            "--node-load: port 99999 is out of range 1..65535 in \"http://h:99999/metrics\"");
  EXPECT_EQ(spec_error("node_exporter:10.0.0.5:9100"),
            "--node-load: missing scheme (expected ws://, wss://, http:// or https://) in "
            "\"10.0.0.5:9100\"");
  EXPECT_EQ(spec_error("proc:"), "--node-load: proc: needs a process id or a pid file path");
  EXPECT_EQ(spec_error("proc:0"), "--node-load: proc:0 is not a valid process id");
  EXPECT_EQ(spec_error("proc:99999999999999999999"),
            "--node-load: proc:99999999999999999999 is not a valid process id");
  const std::string creds = spec_error("node_exporter:http://admin:s3cret@h:9100/metrics");
  EXPECT_NE(creds, "");
  EXPECT_EQ(creds.find("s3cret"), std::string::npos) << "a password must never be echoed";
}

}  // namespace
}  // namespace bts::monitor
