// A real prometheus-node-exporter (Debian package) on an ephemeral loopback port, for tests of
// node load readings. The child dies with the test process (PR_SET_PDEATHSIG).
//
//   test::node_exporter_process exporter;   // after test::require_node_exporter()
//   ASSERT_EQ(exporter.wait_ready(), "");
//   ... "node_exporter:" + exporter.url() ...
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>

#include "monitor/node_load.hpp"
#include "util/error.hpp"

namespace bts::test {

// A loopback port nothing listens on (bound, read back, closed).
inline std::uint16_t unused_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

class node_exporter_process {
 public:
  static constexpr const char* binary = "/usr/bin/prometheus-node-exporter";

  node_exporter_process() {
    port_ = unused_loopback_port();
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      const std::string listen = "--web.listen-address=127.0.0.1:" + std::to_string(port_);
      const int null = open("/dev/null", O_WRONLY);
      dup2(null, 1);
      dup2(null, 2);
      execl(binary, binary, listen.c_str(), "--collector.disable-defaults", "--collector.cpu",
            "--collector.meminfo", "--collector.netdev", "--collector.diskstats",
            static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~node_exporter_process() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  node_exporter_process(const node_exporter_process&) = delete;
  node_exporter_process& operator=(const node_exporter_process&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/metrics"; }
  // Waits (bounded: 10 s) until it answers; returns the last error otherwise.
  std::string wait_ready() const {
    monitor::sampler_options o;
    o.timeout = std::chrono::milliseconds(500);
    std::string error;
    for (int i = 0; i < 100; ++i) {
      try {
        monitor::check_load_source(monitor::parse_load_source("node_exporter:" + url()), o);
        return "";
      } catch (const input_error& e) {
        error = e.what();
      }
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) return "node_exporter exited: " + error;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return error;
  }

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

// At the top of a test that needs the exporter: a missing one fails the test (make test installs
// it) unless BTS_ALLOW_MISSING_NODE_EXPORTER is set, which skips the test instead.
#define BTS_REQUIRE_NODE_EXPORTER()                                      \
  do {                                                                   \
    if (access(::bts::test::node_exporter_process::binary, X_OK) != 0) { \
      if (std::getenv("BTS_ALLOW_MISSING_NODE_EXPORTER") != nullptr) {   \
        GTEST_SKIP() << "prometheus-node-exporter is not installed";     \
      }                                                                  \
      FAIL() << ::bts::test::node_exporter_process::binary               \
             << " is missing: run scripts/install-deps.sh test (or set " \
                "BTS_ALLOW_MISSING_NODE_EXPORTER=1 to skip)";            \
    }                                                                    \
  } while (0)

}  // namespace bts::test
