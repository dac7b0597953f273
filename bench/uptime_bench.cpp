// uptime_bench: one tracker probing 1,000 websocket endpoints every 30 s (the target)
// against loopback fake nodes in a child process, for UPTIME_BENCH_SECONDS (default 60, two full
// rounds). Each probe is a full one: DNS, TCP connect, a fresh websocket session, login,
// get_chain_id, get_dynamic_global_properties, get_available_api_sets, 6 conditions, one SQLite
// row. Prints key=value lines: CPU of the tracker process as % of one core and the ratio to the
// 100 % (one core) limit, peak RSS and its ratio to the 100 MB limit, and probes/s achieved vs
// scheduled. UPTIME_BENCH_ENDPOINTS changes the endpoint count.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "rpc/server.hpp"
#include "uptime/config.hpp"
#include "uptime/store.hpp"
#include "uptime/tracker.hpp"

namespace asio = boost::asio;
namespace json = boost::json;
using namespace bts;

namespace {

constexpr const char* chain_id = "4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8";

rpc::server_options fake_node() {
  rpc::server_options o;
  o.handler = [](std::shared_ptr<rpc::session>,
                 rpc::rpc_request r) -> asio::awaitable<rpc::call_result> {
    std::string method = r.method;
    if (r.method == "call" && r.params.size() >= 2 && r.params[1].is_string())
      method = r.params[1].get_string();
    if (method == "login") co_return json::value(true);
    if (method == "get_chain_id") co_return json::value(chain_id);
    if (method == "get_available_api_sets")
      co_return json::value(json::array{"database", "network_broadcast", "history"});
    if (method == "get_dynamic_global_properties") {
      const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      std::time_t t = static_cast<std::time_t>(now - 1);
      char buf[32];
      std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", std::gmtime(&t));
      co_return json::value(
          json::object{{"head_block_number", now / 3},
                       {"time", buf},
                       {"recent_slots_filled", "340282366920938463463374607431768211455"},
                       {"last_irreversible_block_num", now / 3 - 10}});
    }
    co_return rpc::rpc_error::server(-32601, "method not found");
  };
  return o;
}

double seconds(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

long status_kb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field));
  }
  return 0;
}

}  // namespace

int main() {
  const int endpoints = std::getenv("UPTIME_BENCH_ENDPOINTS")
                            ? std::atoi(std::getenv("UPTIME_BENCH_ENDPOINTS"))
                            : 1000;
  const int run_s =
      std::getenv("UPTIME_BENCH_SECONDS") ? std::atoi(std::getenv("UPTIME_BENCH_SECONDS")) : 60;
  constexpr int servers = 4;
  constexpr int interval_s = 30;

  // Targets in a child process, so the tracker's CPU and memory are measured alone.
  int ports_pipe[2];
  if (pipe(ports_pipe) != 0) return 1;
  const pid_t child = fork();
  if (child == 0) {
    close(ports_pipe[0]);
    asio::io_context io(1);
    std::vector<std::unique_ptr<rpc::server>> s;
    std::string ports;
    for (int i = 0; i < servers; ++i) {
      s.push_back(std::make_unique<rpc::server>(io.get_executor(), fake_node()));
      ports += std::to_string(s.back()->port()) + "\n";
    }
    if (write(ports_pipe[1], ports.data(), ports.size()) < 0) _exit(1);
    close(ports_pipe[1]);
    io.run();
    _exit(0);
  }
  close(ports_pipe[1]);
  FILE* f = fdopen(ports_pipe[0], "r");
  std::vector<int> ports;
  for (int i = 0; i < servers; ++i) {
    int p = 0;
    if (std::fscanf(f, "%d", &p) != 1) return 1;
    ports.push_back(p);
  }
  fclose(f);

  std::string yaml =
      "defaults: {interval: " + std::to_string(interval_s) + "s, timeout: 10s}\nendpoints:\n";
  for (int i = 0; i < endpoints; ++i) {
    yaml +=
        "  - name: node-" + std::to_string(i) + "\n    group: g" + std::to_string(i % 20) +
        "\n    url: ws://127.0.0.1:" +
        std::to_string(ports[static_cast<std::size_t>(i % servers)]) + "/ws" + std::to_string(i) +
        "\n    conditions: [\"[CONNECTED] == true\", \"[CHAIN_ID] == " + chain_id +
        "\", \"[HEAD_BLOCK_AGE] < 30s\", \"[HEAD_BLOCK_LAG] <= 3\", \"[API_SETS] has history\", "
        "\"[RESPONSE_TIME] < 1s\"]\n";
  }
  const auto db = std::filesystem::temp_directory_path() /
                  ("uptime-bench-" + std::to_string(getpid()) + ".sqlite");
  std::filesystem::remove(db);
  const long rss_before_kb = status_kb("VmRSS:");
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t probes = 0, up = 0;
  long peak_kb = 0;
  {
    uptime::uptime_store store(db);
    asio::io_context io(1);
    uptime::tracker t(io.get_executor(), uptime::parse_config(yaml, "bench"), &store);
    t.start();
    asio::steady_timer stop(io, std::chrono::seconds(run_s));
    stop.async_wait([&](boost::system::error_code) {
      t.stop();
      io.stop();
    });
    io.run();
    probes = t.counters().probes.load();
    for (const auto& s : t.snapshot()) up += s.state == uptime::endpoint_state::up;
    peak_kb = status_kb("VmHWM:");
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;
  kill(child, SIGTERM);
  waitpid(child, nullptr, 0);
  std::filesystem::remove(db);
  std::filesystem::remove(db.string() + "-wal");
  std::filesystem::remove(db.string() + "-shm");

  const double cpu_pct = 100.0 * cpu / wall;
  const double rss_mb = static_cast<double>(peak_kb) / 1024.0;
  const double scheduled = static_cast<double>(endpoints) / interval_s;
  // Keys match bench/run.sh's ^[a-z_.]+= filter; the limits are one core and 100 MB.
  std::printf("uptime.endpoints=%d\nuptime.interval_s=%d\nuptime.run_s=%.1f\n", endpoints,
              interval_s, wall);
  std::printf("uptime.probes=%llu\nuptime.probes_per_s=%.2f\nuptime.probes_scheduled_per_s=%.2f\n",
              static_cast<unsigned long long>(probes), static_cast<double>(probes) / wall,
              scheduled);
  std::printf("uptime.probes_ratio_vs_scheduled=%.3f\n",
              static_cast<double>(probes) / wall / scheduled);
  std::printf("uptime.endpoints_up=%llu\n", static_cast<unsigned long long>(up));
  std::printf("uptime.cpu_pct_of_one_core=%.2f\nuptime.cpu_ratio_vs_one_core_limit=%.4f\n", cpu_pct,
              cpu_pct / 100.0);
  std::printf("uptime.cpu_ms_per_probe=%.3f\n",
              probes ? 1000.0 * cpu / static_cast<double>(probes) : 0.0);
  std::printf(
      "uptime.peak_rss_mb=%.1f\nuptime.rss_before_mb=%.1f\nuptime.rss_ratio_vs_limit=%.3f\n",
      rss_mb, static_cast<double>(rss_before_kb) / 1024.0, rss_mb / 100.0);
  return up == static_cast<std::uint64_t>(endpoints) ? 0 : 1;
}
