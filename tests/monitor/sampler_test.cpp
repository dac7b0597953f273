// node_load_sampler against real sources on this host: child processes through /proc, HTTP
// servers on loopback (rpc::server, a listener that never answers, a closed port) and a real
// prometheus-node-exporter on an ephemeral loopback port.
#include "monitor/node_load.hpp"

#include "monitor/readings.hpp"
#include "rpc/server.hpp"
#include "support/loopback_listener.hpp"
#include "support/node_exporter.hpp"
#include "util/error.hpp"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

namespace bts::monitor {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

sampler_options auth(std::string value) {
  sampler_options o;
  o.authorization = std::move(value);
  return o;
}
sampler_options timeout(std::chrono::milliseconds t) {
  sampler_options o;
  o.timeout = t;
  return o;
}
sampler_options max_body(std::size_t bytes) {
  sampler_options o;
  o.max_body_bytes = bytes;
  return o;
}

// A child process that burns one core or sleeps until killed. A busy child publishes its own
// CPU time (CLOCK_PROCESS_CPUTIME_ID) in shared memory: the ground truth for /proc readings,
// whatever share of a core this (shared, loaded) machine gives it.
class child_process {
 public:
  explicit child_process(bool busy) {
    void* page = mmap(nullptr, sizeof(std::atomic<std::int64_t>), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    cpu_ns_ = new (page) std::atomic<std::int64_t>(0);
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
      while (busy) {
        for (int i = 0; i < 20000; ++i) spin_ = spin_ + 1;
        timespec ts{};
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        cpu_ns_->store(std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec);
      }
      for (;;) pause();
    }
  }
  ~child_process() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    munmap(cpu_ns_, sizeof(std::atomic<std::int64_t>));
  }
  pid_t pid() const { return pid_; }
  // CPU seconds the child has used, as it last saw them itself (busy children only).
  double cpu_seconds() const { return double(cpu_ns_->load()) / 1e9; }

 private:
  pid_t pid_ = -1;
  std::atomic<std::int64_t>* cpu_ns_ = nullptr;
  static inline volatile unsigned spin_ = 0;
};

// An io_context run by one thread for the test's lifetime.
class io_thread {
 public:
  io_thread() : work_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~io_thread() {
    work_.reset();
    io_.stop();
    thread_.join();
  }
  asio::any_io_executor executor() { return io_.get_executor(); }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

// A loopback HTTP server whose GET answer the test sets.
class metrics_server {
 public:
  explicit metrics_server(asio::any_io_executor ex) : server_(ex, options()) {}

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(server_.port()) + "/metrics";
  }
  void answer(unsigned status, std::function<std::string()> body) {
    std::lock_guard lock(mutex_);
    status_ = status;
    body_ = std::move(body);
  }
  void require_authorization(std::string value) {
    std::lock_guard lock(mutex_);
    required_authorization_ = std::move(value);
  }
  int requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  rpc::server_options options() {
    rpc::server_options o;
    o.http = [this](const rpc::http_request_info& r) {
      std::lock_guard lock(mutex_);
      ++requests_;
      rpc::http_response res;
      if (!required_authorization_.empty() &&
          r.header("authorization") != required_authorization_) {
        res.status = 401;
        res.body = "unauthorized\n";
      } else if (r.target != "/metrics") {
        res.status = 404;
      } else {
        res.status = status_;
        res.content_type = "text/plain; version=0.0.4; charset=utf-8";
        res.body = body_ ? body_() : std::string();
      }
      return res;
    };
    return o;
  }

  mutable std::mutex mutex_;
  unsigned status_ = 200;
  std::function<std::string()> body_;
  std::string required_authorization_;
  int requests_ = 0;
  rpc::server server_;  // last: its handler uses the members above
};

// This process's CPU time and RSS, as the devnet's /metrics prints them (src/devnet/metrics.cpp).
std::string own_process_metrics() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const double cpu = double(u.ru_utime.tv_sec) + double(u.ru_utime.tv_usec) / 1e6 +
                     double(u.ru_stime.tv_sec) + double(u.ru_stime.tv_usec) / 1e6;
  const raw_reading r = read_proc(getpid());
  return "# HELP process_cpu_seconds_total User and system CPU time.\n"
         "# TYPE process_cpu_seconds_total counter\n"
         "process_cpu_seconds_total " +
         std::to_string(cpu) +
         "\n"
         "# TYPE process_resident_memory_bytes gauge\n"
         "process_resident_memory_bytes " +
         std::to_string(*r.memory_bytes) + "\n";
}

// Burns CPU on the calling thread for `d`.
void burn(std::chrono::milliseconds d) {
  const auto end = std::chrono::steady_clock::now() + d;
  volatile unsigned long x = 0;
  while (std::chrono::steady_clock::now() < end) {
    for (int i = 0; i < 10000; ++i) x = x + 1;
  }
}

// A port on 127.0.0.1 that nothing listens on (bound, then closed).
std::uint16_t closed_port() { return test::unused_loopback_port(); }

// Listens on 127.0.0.1 but never accepts: connections complete (kernel backlog), requests are
// never answered.
class silent_listener {
 public:
  silent_listener() { fd_ = test::listen_on_loopback(port_); }
  ~silent_listener() { close(fd_); }
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

TEST(ProcSource, BusyChildMatchesItsOwnCpuClockAndSleepingChildReadsAboutZero) {
  child_process busy(true);
  child_process sleeping(false);
  node_load_sampler busy_sampler(parse_load_source("proc:" + std::to_string(busy.pid())));
  node_load_sampler sleeping_sampler(parse_load_source("proc:" + std::to_string(sleeping.pid())));
  std::this_thread::sleep_for(100ms);  // the busy child has published its clock
  const auto truth = [&] {
    return std::pair(busy.cpu_seconds(), std::chrono::steady_clock::now());
  };
  const auto [cpu0, at0] = truth();
  const load_sample b0 = busy_sampler.sample_once();
  const load_sample s0 = sleeping_sampler.sample_once();
  ASSERT_TRUE(b0.ok()) << b0.error;
  ASSERT_TRUE(s0.ok()) << s0.error;
  EXPECT_FALSE(b0.load.cpu_percent) << "the first reading must not fake a rate";
  EXPECT_GT(b0.load.memory_bytes.value_or(0), 0.0);
  std::this_thread::sleep_for(2s);
  const auto [cpu1, at1] = truth();
  const load_sample b1 = busy_sampler.sample_once();
  const load_sample s1 = sleeping_sampler.sample_once();
  ASSERT_TRUE(b1.ok()) << b1.error;
  ASSERT_TRUE(s1.ok()) << s1.error;
  ASSERT_TRUE(b1.load.cpu_percent);
  ASSERT_TRUE(s1.load.cpu_percent);
  // The child's own clock over (about) the same interval; /proc counts in 10 ms ticks and the
  // two intervals differ by the time a sample takes, so allow 5 points or 10%.
  const double expected = (cpu1 - cpu0) / std::chrono::duration<double>(at1 - at0).count() * 100;
  std::printf("busy child: sampler %.1f%%, child's own clock %.1f%%\n", *b1.load.cpu_percent,
              expected);
  EXPECT_NEAR(*b1.load.cpu_percent, expected, std::max(5.0, expected * 0.1));
  EXPECT_GT(*b1.load.cpu_percent, 5.0);
  EXPECT_LT(*b1.load.cpu_percent, 110.0);  // one thread never exceeds one core
  EXPECT_LT(*s1.load.cpu_percent, 2.0);
  EXPECT_FALSE(b1.load.net_rx_bytes_per_s);  // /proc gives no per-process network
  EXPECT_EQ(busy_sampler.counters().readings, 2u);
  EXPECT_EQ(busy_sampler.counters().errors, 0u);
}

TEST(ProcSource, PidFileIsFollowedAcrossARestartAndAGoneProcessIsCounted) {
  const std::string path = ::testing::TempDir() + "/monitor_sampler_test.pid";
  auto first = std::make_unique<child_process>(true);
  std::ofstream(path) << first->pid() << "\n";
  node_load_sampler sampler(parse_load_source("proc:" + path));
  ASSERT_TRUE(sampler.sample_once().ok());
  std::this_thread::sleep_for(300ms);
  const load_sample a = sampler.sample_once();
  ASSERT_TRUE(a.ok()) << a.error;
  EXPECT_TRUE(a.load.cpu_percent);

  child_process second(false);  // the "restarted node"
  std::ofstream(path) << second.pid() << "\n";
  const load_sample b = sampler.sample_once();
  ASSERT_TRUE(b.ok()) << b.error;
  EXPECT_FALSE(b.load.cpu_percent) << "a new process starts a new baseline";
  std::this_thread::sleep_for(300ms);
  const load_sample c = sampler.sample_once();
  ASSERT_TRUE(c.load.cpu_percent);
  EXPECT_LT(*c.load.cpu_percent, 5.0);

  first.reset();  // killed and reaped
  std::ofstream(path) << "999999999\n";
  const load_sample d = sampler.sample_once();
  EXPECT_FALSE(d.ok());
  EXPECT_EQ(d.load, node_load{});
  EXPECT_EQ(d.error.rfind("proc:999999999: no such process", 0), 0u) << d.error;
  std::remove(path.c_str());
  const load_sample e = sampler.sample_once();
  EXPECT_EQ(e.error, path + ": cannot read pid file: No such file or directory");
  const sampler_counters n = sampler.counters();
  EXPECT_EQ(n.process, 2u);
  EXPECT_EQ(n.errors, 2u);
  EXPECT_EQ(n.readings, 4u);
  EXPECT_EQ(n.last_error, e.error);
  EXPECT_THROW(check_load_source(parse_load_source("proc:" + path)), input_error);
}

TEST(MetricsSource, ReadsProcessCpuFromALoopbackMetricsEndpoint) {
  io_thread io;
  metrics_server server(io.executor());
  server.answer(200, own_process_metrics);
  for (const std::string& spec : {"metrics:" + server.url(), server.url()}) {
    SCOPED_TRACE(spec);
    node_load_sampler sampler(io.executor(), parse_load_source(spec));
    const load_sample first = sampler.sample_once();
    ASSERT_TRUE(first.ok()) << first.error;
    EXPECT_FALSE(first.load.cpu_percent);
    EXPECT_GT(first.load.memory_bytes.value_or(0), 1e6);
    burn(1000ms);  // this process is the "node": one thread busy for the whole interval
    const load_sample second = sampler.sample_once();
    ASSERT_TRUE(second.ok()) << second.error;
    ASSERT_TRUE(second.load.cpu_percent);
    // At least the burning thread's share of a loaded machine; at most two cores.
    EXPECT_GT(*second.load.cpu_percent, 5.0);
    EXPECT_LT(*second.load.cpu_percent, 250.0);  // two cores at most, plus rounding
    EXPECT_FALSE(second.load.net_rx_bytes_per_s);
    EXPECT_FALSE(second.load.disk_read_bytes_per_s);
    EXPECT_EQ(sampler.counters().readings, 2u);
  }
  EXPECT_EQ(server.requests(), 4);
}

TEST(MetricsSource, AuthorizationHeaderIsSentAndARefusalIsOneClearError) {
  io_thread io;
  metrics_server server(io.executor());
  server.answer(200, own_process_metrics);
  server.require_authorization("Bearer t0ken");
  const load_source source = parse_load_source("metrics:" + server.url());
  node_load_sampler refused(io.executor(), source);
  const load_sample r = refused.sample_once();
  EXPECT_EQ(r.error, "HTTP 401 Unauthorized (credentials refused)");
  EXPECT_EQ(r.load, node_load{});
  EXPECT_EQ(refused.counters().http_status, 1u);
  try {
    check_load_source(source, auth("Bearer wrong"));
    FAIL() << "expected an error";
  } catch (const input_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "metrics:" + server.url() + ": HTTP 401 Unauthorized (credentials refused)");
    EXPECT_EQ(std::string(e.what()).find("wrong"), std::string::npos);
  }
  EXPECT_NO_THROW(check_load_source(source, auth("Bearer t0ken")));
  node_load_sampler accepted(io.executor(), source, auth("Bearer t0ken"));
  EXPECT_TRUE(accepted.sample_once().ok());
}

TEST(MetricsSource, UnreachableSourceGivesNullAndACountedError) {
  io_thread io;
  const std::string url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/metrics";
  node_load_sampler sampler(io.executor(), parse_load_source("node_exporter:" + url));
  for (int i = 0; i < 3; ++i) {
    const load_sample s = sampler.sample_once();
    EXPECT_EQ(s.error, "connect: Connection refused");
    EXPECT_EQ(s.load, node_load{});
  }
  const sampler_counters c = sampler.counters();
  EXPECT_EQ(c.unreachable, 3u);
  EXPECT_EQ(c.errors, 3u);
  EXPECT_EQ(c.readings, 0u);
  EXPECT_EQ(c.last_error, "connect: Connection refused");
  ASSERT_TRUE(sampler.latest());
  EXPECT_FALSE(sampler.latest()->ok());
  try {
    check_load_source(parse_load_source("node_exporter:" + url));
    FAIL() << "expected an error";
  } catch (const input_error& e) {
    EXPECT_EQ(std::string(e.what()), "node_exporter:" + url + ": connect: Connection refused");
  }
}

TEST(MetricsSource, SilentServerTimesOutWithinTheLimit) {
  silent_listener silent;
  const std::string url = "http://127.0.0.1:" + std::to_string(silent.port()) + "/metrics";
  node_load_sampler sampler(parse_load_source(url), timeout(300ms));
  const auto start = std::chrono::steady_clock::now();
  const load_sample s = sampler.sample_once();
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(s.error, "read: timeout after 300 ms");
  EXPECT_GE(took, 290ms);
  EXPECT_LT(took, 2s);
  EXPECT_EQ(sampler.counters().unreachable, 1u);
}

TEST(MetricsSource, MalformedRepliesAreCountedWithTheReason) {
  io_thread io;
  metrics_server server(io.executor());
  const load_source source = parse_load_source("metrics:" + server.url());
  node_load_sampler sampler(io.executor(), source, max_body(4096));

  server.answer(200, [] { return std::string("process_cpu_seconds_total 1\nbroken{ 2\n"); });
  load_sample s = sampler.sample_once();
  EXPECT_EQ(s.error, server.url() + " line 2: expected a label name at \"2\"");
  EXPECT_EQ(s.load, node_load{});

  server.answer(200, [] { return std::string("up 1\n"); });
  s = sampler.sample_once();
  EXPECT_EQ(s.error, server.url() + ": no process_cpu_seconds_total in the reply");

  server.answer(200, [] { return std::string(5000, '#'); });
  s = sampler.sample_once();
  EXPECT_EQ(s.error, "reply larger than 4096 bytes");

  server.answer(500, [] { return std::string("oops"); });
  s = sampler.sample_once();
  EXPECT_EQ(s.error, "HTTP 500 Internal Server Error");

  const sampler_counters c = sampler.counters();
  EXPECT_EQ(c.malformed, 3u);
  EXPECT_EQ(c.http_status, 1u);
  EXPECT_EQ(c.errors, 4u);
  EXPECT_EQ(c.readings, 0u);

  // A source that recovers reads again; its first good reading has no rate yet.
  server.answer(200, own_process_metrics);
  s = sampler.sample_once();
  EXPECT_TRUE(s.ok()) << s.error;
  EXPECT_FALSE(s.load.cpu_percent);
  s = sampler.sample_once();
  EXPECT_TRUE(s.load.cpu_percent);

  // A URL without /metrics answers 404 here; node_exporter's root page is HTML: both fail at
  // start with the reason.
  const std::string root = server.url().substr(0, server.url().size() - 8) + "/";
  EXPECT_THROW(check_load_source(parse_load_source(root)), input_error);
}

TEST(Sampler, PeriodicSamplingKeepsLatestCurrentAndStops) {
  io_thread io;
  metrics_server server(io.executor());
  server.answer(200, own_process_metrics);
  node_load_sampler sampler(io.executor(), parse_load_source("metrics:" + server.url()));
  std::atomic<int> calls{0};
  std::atomic<int> with_cpu{0};
  sampler.start(100ms, [&](load_sample s) {
    ++calls;
    if (s.load.cpu_percent) ++with_cpu;
  });
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (calls < 4 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  sampler.stop();
  ASSERT_GE(calls.load(), 4);
  EXPECT_EQ(with_cpu.load(), calls.load() - 1) << "only the first reading lacks a rate";
  ASSERT_TRUE(sampler.latest());
  EXPECT_TRUE(sampler.latest()->load.cpu_percent);
  std::this_thread::sleep_for(50ms);  // a reading in flight at stop() is dropped
  const int after_stop = calls;
  const int requests_after_stop = server.requests();
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(calls.load(), after_stop);
  EXPECT_EQ(server.requests(), requests_after_stop);
  // At most one reading per period: 4+ readings took at least 3 periods.
  EXPECT_LE(server.requests(), 60);
}

TEST(Sampler, DestroyedWithAReadingInFlightCallsNothingBack) {
  io_thread io;
  silent_listener silent;
  std::atomic<int> calls{0};
  {
    node_load_sampler sampler(
        io.executor(),
        parse_load_source("http://127.0.0.1:" + std::to_string(silent.port()) + "/metrics"),
        timeout(5s));
    sampler.async_sample([&](load_sample) { ++calls; });
    std::this_thread::sleep_for(100ms);
  }
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(calls.load(), 0);
  // The same with a private io_context: the destructor finishes the aborted reading itself.
  {
    node_load_sampler own(
        parse_load_source("http://127.0.0.1:" + std::to_string(silent.port()) + "/metrics"),
        timeout(5s));
    own.async_sample([&](load_sample) { ++calls; });
  }
  EXPECT_EQ(calls.load(), 0);
}

TEST(Sampler, ConcurrentRequestsShareOneReading) {
  io_thread io;
  metrics_server server(io.executor());
  server.answer(200, own_process_metrics);
  node_load_sampler sampler(io.executor(), parse_load_source("metrics:" + server.url()));
  std::atomic<int> calls{0};
  std::promise<void> all;
  // All five are asked from one handler on the sampler's own thread, so the first reading cannot
  // finish before the fifth request (from the test thread, a preempted loop let each request
  // find the previous reading done: 5 readings on a loaded host).
  asio::post(io.executor(), [&] {
    for (int i = 0; i < 5; ++i) {
      sampler.async_sample([&](load_sample s) {
        EXPECT_TRUE(s.ok());
        if (++calls == 5) all.set_value();
      });
    }
  });
  ASSERT_EQ(all.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_EQ(server.requests(), 1);
  EXPECT_EQ(sampler.counters().readings, 1u);
}

// MemTotal - MemAvailable from /proc/meminfo, in bytes.
double meminfo_used() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  double value = 0, total = 0, available = 0;
  std::string unit;
  while (in >> key >> value >> unit) {
    if (key == "MemTotal:") total = value * 1024;
    if (key == "MemAvailable:") available = value * 1024;
  }
  return total - available;
}

TEST(NodeExporterSource, RealNodeExporterShowsABusyChild) {
  BTS_REQUIRE_NODE_EXPORTER();
  child_process busy(true);
  test::node_exporter_process exporter;
  ASSERT_EQ(exporter.wait_ready(), "");

  io_thread io;
  node_load_sampler host(io.executor(), parse_load_source("node_exporter:" + exporter.url()));
  // A bare URL detects node_exporter (its reply also carries the exporter's own
  // process_cpu_seconds_total, which must not win).
  node_load_sampler detected(io.executor(), parse_load_source(exporter.url()));
  node_load_sampler child(io.executor(), parse_load_source("proc:" + std::to_string(busy.pid())));
  const load_sample h0 = host.sample_once();
  const load_sample d0 = detected.sample_once();
  const load_sample c0 = child.sample_once();
  ASSERT_TRUE(h0.ok()) << h0.error;
  ASSERT_TRUE(d0.ok()) << d0.error;
  ASSERT_TRUE(c0.ok()) << c0.error;
  EXPECT_FALSE(h0.load.cpu_percent);
  ASSERT_TRUE(h0.load.memory_bytes);
  // The same host figure read directly (other agents allocate meanwhile: within 10% of RAM).
  const double used = meminfo_used();
  EXPECT_NEAR(*h0.load.memory_bytes, used,
              0.1 * double(sysconf(_SC_PHYS_PAGES)) * double(sysconf(_SC_PAGESIZE)));
  ASSERT_TRUE(h0.load.cpu_cores);
  EXPECT_EQ(*h0.load.cpu_cores, double(sysconf(_SC_NPROCESSORS_ONLN)));

  std::this_thread::sleep_for(2s);
  const load_sample h1 = host.sample_once();
  const load_sample d1 = detected.sample_once();
  const load_sample c1 = child.sample_once();
  ASSERT_TRUE(h1.ok()) << h1.error;
  ASSERT_TRUE(d1.ok()) << d1.error;
  ASSERT_TRUE(h1.load.cpu_percent);
  ASSERT_TRUE(c1.load.cpu_percent);
  std::printf("node_exporter host cpu %.1f%% of one core (%g cores), busy child %.1f%%\n",
              *h1.load.cpu_percent, *h1.load.cpu_cores, *c1.load.cpu_percent);
  EXPECT_GE(*h1.load.cpu_percent, 50.0);
  // The host is at least as busy as the child (node_exporter reports in 10 ms steps).
  EXPECT_GE(*h1.load.cpu_percent, *c1.load.cpu_percent * 0.9);
  EXPECT_LE(*h1.load.cpu_percent, *h1.load.cpu_cores * 100 * 1.05);
  ASSERT_TRUE(d1.load.cpu_percent);
  EXPECT_GE(*d1.load.cpu_percent, 50.0);
  EXPECT_TRUE(d1.load.cpu_cores) << "detected as node_exporter, not as its own process metrics";
  // Network and disk: present when the host has a non-loopback interface and a disk; never
  // negative.
  for (const auto& v : {h1.load.net_rx_bytes_per_s, h1.load.net_tx_bytes_per_s,
                        h1.load.disk_read_bytes_per_s, h1.load.disk_write_bytes_per_s}) {
    if (v) {
      EXPECT_GE(*v, 0.0);
    }
  }
  EXPECT_EQ(host.counters().errors, 0u);
}

}  // namespace
}  // namespace bts::monitor
