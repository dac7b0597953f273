// The overseer at fleet scale: 200 simulated beacons, each streaming one stats row (with its
// five HDR histograms) every second, over real loopback websockets.
//
// Prints (key=value, ratios against the issue's limits):
//   overseer_cpu_percent        the overseer process's CPU (all its threads) while the 200
//                               beacons stream, as % of one core; ratio to the 5% limit
//   command_fanout_ms           POST /api/runs/ID/rate until the change_rate command has reached
//                               all 200 beacons (worst of several); ratio to the 1 s limit
// The overseer runs in a child process (fork before any thread exists), so its CPU is measured
// from /proc alone, apart from the simulated beacons'.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "overseer/agent.hpp"
#include "overseer/api_client.hpp"
#include "overseer/overseer.hpp"

namespace ov = bts::overseer;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr int beacons = 200;
constexpr const char* beacon_token = "bench-beacon-token";
constexpr const char* admin_token = "bench-admin-token";

double cpu_seconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), {});
  // Fields after the command name (which may hold spaces) start after the last ')'.
  std::istringstream in(s.substr(s.rfind(')') + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

[[noreturn]] void run_overseer(int fd, const std::filesystem::path& store) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // inherited by the overseer's threads
  {
    ov::overseer_options o;
    o.store = store;
    o.beacon_token = beacon_token;
    o.admin_token = admin_token;
    o.log = [](const std::string&) {};
    ov::overseer s(std::move(o));
    const std::uint16_t port = s.port();
    if (write(fd, &port, sizeof port) != sizeof port) std::_Exit(1);
    close(fd);
    int sig = 0;
    sigwait(&set, &sig);
    s.stop();
  }
  std::_Exit(0);
}

}  // namespace

int main() {
  const auto dir =
      std::filesystem::temp_directory_path() / ("overseer-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  int fds[2];
  if (pipe(fds) != 0) return 1;
  const pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    run_overseer(fds[1], dir / "results.db");
  }
  close(fds[1]);
  std::uint16_t port = 0;
  if (read(fds[0], &port, sizeof port) != sizeof port) {
    std::cerr << "overseer did not start\n";
    return 1;
  }
  close(fds[0]);
  const std::string http = "http://127.0.0.1:" + std::to_string(port);

  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::thread net([&io] { io.run(); });

  using clock = std::chrono::steady_clock;
  std::atomic<int> rate_seen{0};
  std::atomic<std::int64_t> last_seen_ns{0};
  std::vector<std::unique_ptr<ov::agent>> fleet;
  for (int i = 0; i < beacons; ++i) {
    ov::agent_options o;
    o.overseer = "ws://127.0.0.1:" + std::to_string(port);
    o.name = "sim-" + std::to_string(i);
    o.token = beacon_token;
    o.make_runner = ov::simulated_runner({1000ms, 20});
    o.log = [](const std::string&) {};
    o.on_command = [&](const ov::command& c) {
      if (std::holds_alternative<ov::change_rate_cmd>(c.body)) {
        const std::int64_t t = clock::now().time_since_epoch().count();
        std::int64_t prev = last_seen_ns.load();
        while (prev < t && !last_seen_ns.compare_exchange_weak(prev, t)) {
        }
        rate_seen.fetch_add(1);
      }
    };
    fleet.push_back(std::make_unique<ov::agent>(io.get_executor(), std::move(o)));
    fleet.back()->start();
  }

  auto connected = [&] {
    auto r = ov::api_request(http, "GET", "/api/beacons");
    int n = 0;
    for (const auto& b : json::parse(r.body).as_array()) {
      n += b.at("connection").as_string() == "connected" ? 1 : 0;
    }
    return n;
  };
  const auto deadline = clock::now() + 60s;
  while (connected() < beacons && clock::now() < deadline) std::this_thread::sleep_for(200ms);
  const int up = connected();

  json::object create;
  create["scenario"] =
      "name: fleet-bench\nnodes:\n  - url: ws://127.0.0.1:1\n  - url: ws://127.0.0.1:2\n"
      "  - url: ws://127.0.0.1:3\nload: {kind: constant, rate: 4000}\nduration: 120s\n";
  auto r = ov::api_request(http, "POST", "/api/runs", json::serialize(create), admin_token);
  if (r.status != 201) {
    std::cerr << "create: " << r.status << " " << r.body;
    return 1;
  }
  const std::string id(json::parse(r.body).at("id").as_string());
  std::this_thread::sleep_for(1s);
  r = ov::api_request(http, "POST", "/api/runs/" + id + "/start", R"({"delay_ms":200})",
                      admin_token);
  std::this_thread::sleep_for(4s);  // every beacon streaming

  const double window = 15;
  const double cpu0 = cpu_seconds(child);
  const auto t0 = clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(window));
  const double cpu1 = cpu_seconds(child);
  const double elapsed = std::chrono::duration<double>(clock::now() - t0).count();
  const double cpu_percent = 100.0 * (cpu1 - cpu0) / elapsed;

  std::vector<double> fanout;
  for (int k = 0; k < 5; ++k) {
    rate_seen = 0;
    last_seen_ns = 0;
    const auto sent = clock::now();
    json::object b;
    b["rate"] = 4000 + 200 * (k + 1);
    ov::api_request(http, "POST", "/api/runs/" + id + "/rate", json::serialize(b), admin_token);
    while (rate_seen.load() < up && clock::now() - sent < 10s) std::this_thread::sleep_for(1ms);
    if (rate_seen.load() < up) {
      fanout.push_back(10'000);
      continue;
    }
    const auto last = clock::time_point(clock::duration(last_seen_ns.load()));
    fanout.push_back(std::chrono::duration<double, std::milli>(last - sent).count());
    std::this_thread::sleep_for(300ms);
  }
  const double worst = *std::max_element(fanout.begin(), fanout.end());
  std::sort(fanout.begin(), fanout.end());

  r = ov::api_request(http, "GET", "/api/runs/" + id);
  const auto merged_upto = json::parse(r.body).at("merged_up_to").as_int64();

  std::printf("overseer_beacons=%d\n", up);
  std::printf("overseer_rows_per_s=%d\n", up);
  std::printf("overseer_cpu_percent=%.2f\n", cpu_percent);
  std::printf("overseer_cpu_ratio_to_5pct_limit=%.3f\n", cpu_percent / 5.0);
  std::printf("command_fanout_ms_median=%.1f\n", fanout[fanout.size() / 2]);
  std::printf("command_fanout_ms_worst=%.1f\n", worst);
  std::printf("command_fanout_ratio_to_1s_limit=%.4f\n", worst / 1000.0);
  std::printf("overseer_merged_seconds=%lld\n", static_cast<long long>(merged_upto + 1));

  ov::api_request(http, "POST", "/api/runs/" + id + "/stop", "", admin_token);
  fleet.clear();
  work.reset();
  io.stop();
  net.join();
  kill(child, SIGTERM);
  int status = 0;
  waitpid(child, &status, 0);
  std::filesystem::remove_all(dir);
  return (cpu_percent < 5.0 && worst < 1000.0 && up == beacons) ? 0 : 3;
}
