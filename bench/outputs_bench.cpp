// What shipping statistics to Elasticsearch costs: 100 beacons' per-second rows (100 rows/s,
// each with five encoded latency histograms, one rejection reason and two measured nodes'
// node_load, so 4 bulk records per row) pushed into the Elasticsearch output, which spools
// them and POSTs /_bulk to a loopback server that acknowledges every item (on its own thread,
// not measured). The goal (issue 7): under 2% of one core.
//
// Prints (key=value):
//   outputs.es_paced_cpu_percent      output thread CPU over a paced run, % of one core
//   outputs.es_paced_ratio_to_2pct    that / 2 (below 1 meets the goal)
//   outputs.es_push_us_per_row        caller's cost of push()
//   outputs.es_burst_us_per_row       output thread CPU per row when pushed flat out
//   outputs.es_burst_projected_percent that cost at 100 rows/s, % of one core
//   outputs.es_bytes_per_row          bulk bytes per row
//
//   outputs_bench [--seconds N] [--nodes N]   (defaults 5 and 2: measured nodes per row)
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "outputs/elasticsearch.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;

namespace {

// Acknowledges GET /, templates and every bulk item (201), as Elasticsearch does.
class ack_server {
 public:
  ack_server() : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ack_server() {
    io_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::uint64_t bulk_bytes() const { return bulk_bytes_.load(); }

 private:
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, asio::ip::tcp::socket s) {
      if (ec) return;
      serve(std::make_shared<asio::ip::tcp::socket>(std::move(s)),
            std::make_shared<beast::flat_buffer>());
      accept();
    });
  }
  void serve(std::shared_ptr<asio::ip::tcp::socket> s, std::shared_ptr<beast::flat_buffer> b) {
    // Elasticsearch accepts bodies up to http.max_content_length (100 MB by default).
    auto parser = std::make_shared<http::request_parser<http::string_body>>();
    parser->body_limit(100 * 1024 * 1024);
    http::async_read(
        *s, *b, *parser, [this, s, b, parser](boost::system::error_code ec, std::size_t) {
          if (ec) return;
          auto req = std::make_shared<http::request<http::string_body>>(parser->release());
          auto res = std::make_shared<http::response<http::string_body>>(http::status::ok, 11);
          res->set(http::field::content_type, "application/json");
          if (req->target() == "/") {
            res->body() = R"({"version":{"number":"8.13.4"}})";
          } else if (req->target() == "/_bulk") {
            bulk_bytes_ += req->body().size();
            std::string body = R"({"took":1,"errors":false,"items":[)";
            const std::string& in = req->body();
            bool first = true;
            for (std::size_t pos = 0; pos < in.size();) {
              const std::size_t a = in.find('\n', pos);
              const std::size_t s2 = in.find('\n', a + 1);
              if (!first) body += ',';
              first = false;
              body += R"({"index":{"_index":"x","_id":"x","status":201}})";
              pos = s2 + 1;
            }
            body += "]}";
            res->body() = std::move(body);
          } else {
            res->body() = R"({"acknowledged":true})";
          }
          res->keep_alive(true);
          res->prepare_payload();
          http::async_write(*s, *res,
                            [this, s, b, res](boost::system::error_code wec, std::size_t) {
                              if (!wec) serve(s, b);
                            });
        });
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<std::uint64_t> bulk_bytes_{0};
};

// A beacon's second at about 50 tx/s: histograms with that many realistic samples.
bts::stats::second_row beacon_row(std::mt19937_64& rng, std::int64_t second, int nodes) {
  bts::stats::latency_set set;
  std::lognormal_distribution<double> ack(std::log(3000.0), 0.4);
  std::lognormal_distribution<double> inclusion(std::log(2'000'000.0), 0.3);
  std::uniform_int_distribution<int> lag(10, 400);
  for (int i = 0; i < 50; ++i) {
    set[bts::stats::latency_kind::schedule_lag].record(lag(rng));
    const auto a = static_cast<std::int64_t>(ack(rng));
    set[bts::stats::latency_kind::ack_corrected].record(a + 100);
    set[bts::stats::latency_kind::ack_uncorrected].record(a);
    const auto inc = static_cast<std::int64_t>(inclusion(rng));
    set[bts::stats::latency_kind::inclusion_corrected].record(inc + 100);
    set[bts::stats::latency_kind::inclusion_uncorrected].record(inc);
  }
  bts::stats::second_row r;
  r.second = second;
  r.offered = r.sent = 50;
  r.accepted = 49;
  r.rejected = 1;
  r.rejected_by_reason["fc:3030001"] = 1;
  r.included = 48;
  r.ops_sent = r.ops_included = 50;
  r.bytes_sent = 50 * 180;
  r.in_flight = 3;
  r.pool_depth = 2000;
  r.beacon_cpu_percent = 4.5;
  r.send_cpu_percent = 1.25;
  r.node_cpu_percent = 35.0;
  // The nodes the beacon sends to, measured through node_exporter (every member given): each
  // row also becomes one node_load record per node.
  for (int n = 0; n < nodes; ++n) {
    bts::stats::node_load_row& l = r.node_load["ws://10.0.0." + std::to_string(5 + n) + ":8090"];
    l.cpu_percent = 35.0;
    l.cpu_cores = 8;
    l.memory_bytes = 6.4e9;
    l.net_rx_bytes_per_s = 1.25e6;
    l.net_tx_bytes_per_s = 3.5e6;
    l.disk_read_bytes_per_s = 4096;
    l.disk_write_bytes_per_s = 2.1e6;
  }
  r.set_latency(set);
  return r;
}

double seconds_of(std::chrono::nanoseconds ns) { return static_cast<double>(ns.count()) / 1e9; }

}  // namespace

int main(int argc, char** argv) {
  int seconds = 5;
  int nodes = 2;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = std::max(1, std::atoi(argv[++i]));
    } else if (std::strcmp(argv[i], "--nodes") == 0 && i + 1 < argc) {
      nodes = std::max(0, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr,
                   "outputs_bench: unknown argument %s (usage: outputs_bench [--seconds N] "
                   "[--nodes N])\n",
                   argv[i]);
      return 2;
    }
  }
  constexpr int beacons = 100;
  ack_server server;
  const auto spool =
      std::filesystem::temp_directory_path() / ("bts-outputs-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(spool);

  bts::outputs::elasticsearch_options o;
  o.url = "http://127.0.0.1:" + std::to_string(server.port());
  o.spool_dir = spool.string();
  o.flush_interval = 1000ms;
  bts::outputs::elasticsearch_output out(o, [](std::string_view line) {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
  });
  out.start();

  std::mt19937_64 rng(42);
  std::vector<bts::stats::second_row> rows;
  for (int b = 0; b < beacons; ++b) rows.push_back(beacon_row(rng, 0, nodes));
  std::vector<std::string> names;
  for (int b = 0; b < beacons; ++b) names.push_back("beacon-" + std::to_string(b));
  const bts::store::unix_ms t0 = bts::store::now_unix_ms();

  auto push_second = [&](std::int64_t s, std::chrono::nanoseconds& push_cost) {
    const auto begin = std::chrono::steady_clock::now();
    for (int b = 0; b < beacons; ++b) {
      bts::outputs::stats_document d;
      d.run = "bench";
      d.beacon = names[b];
      d.whole_run = false;
      d.time = t0 + s * 1000;
      d.row = rows[b];
      d.row.second = s;
      out.push(std::move(d));
    }
    push_cost += std::chrono::steady_clock::now() - begin;
  };

  // Paced: 100 rows at each second, as 100 beacons report.
  std::chrono::nanoseconds push_cost{0};
  const auto cpu0 = out.thread_cpu_time();
  const auto wall0 = std::chrono::steady_clock::now();
  for (int s = 0; s < seconds; ++s) {
    push_second(s, push_cost);
    std::this_thread::sleep_until(wall0 + std::chrono::seconds(s + 1));
  }
  out.flush(10s);
  const double paced_cpu = seconds_of(out.thread_cpu_time() - cpu0);
  const double paced_wall = seconds_of(std::chrono::steady_clock::now() - wall0);
  const double paced_percent = 100.0 * paced_cpu / paced_wall;
  const auto st = out.status();
  const double bytes_per_row =
      static_cast<double>(server.bulk_bytes()) / static_cast<double>(seconds * beacons);

  // Burst: as fast as possible, to see the cost per row without pacing.
  const int burst_seconds = 100;
  std::chrono::nanoseconds burst_push{0};
  const auto cpu1 = out.thread_cpu_time();
  for (int s = seconds; s < seconds + burst_seconds; ++s) push_second(s, burst_push);
  const bool flushed = out.flush(60s);
  const double burst_cpu = seconds_of(out.thread_cpu_time() - cpu1);
  const double burst_us_per_row = 1e6 * burst_cpu / (burst_seconds * beacons);
  const auto st2 = out.status();
  out.stop();
  std::filesystem::remove_all(spool);

  const double rows_total = static_cast<double>(seconds * beacons);
  std::printf("outputs.es_rows_per_sec=%d\n", beacons);
  std::printf("outputs.es_nodes_per_row=%d\n", nodes);
  std::printf("outputs.es_paced_seconds=%.2f\n", paced_wall);
  std::printf("outputs.es_paced_cpu_percent=%.3f\n", paced_percent);
  std::printf("outputs.es_paced_ratio_to_2pct=%.3f\n", paced_percent / 2.0);
  std::printf("outputs.es_push_us_per_row=%.2f\n", 1e6 * seconds_of(push_cost) / rows_total);
  std::printf("outputs.es_bytes_per_row=%.0f\n", bytes_per_row);
  std::printf("outputs.es_burst_us_per_row=%.2f\n", burst_us_per_row);
  std::printf("outputs.es_burst_projected_percent=%.3f\n", burst_us_per_row * beacons / 1e4);
  std::printf("outputs.es_indexed=%llu\n", static_cast<unsigned long long>(st2.records_indexed));
  std::printf("outputs.es_lost=%llu\n",
              static_cast<unsigned long long>(st2.records_spooled - st2.records_indexed));
  std::printf("outputs.es_requests_paced=%llu\n", static_cast<unsigned long long>(st.requests));
  if (!flushed) std::fprintf(stderr, "outputs_bench: burst not acknowledged within 60 s\n");
  return 0;
}
