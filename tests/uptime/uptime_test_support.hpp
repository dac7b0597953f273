// Loopback helpers for the uptime tests: a fake BitShares node on rpc::server whose answers the
// test controls, `bts-infra devnet` as a child process, a short-lived self-signed certificate,
// and a webhook receiver.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "rpc/server.hpp"
#include "support/self_signed.hpp"
#include "util/time.hpp"

namespace bts::uptime::testing {

namespace asio = boost::asio;
namespace json = boost::json;

// The bts-infra binary that runs the devnets: this build's, or $BTS_DEVNET_BIN.
inline std::string bts_binary() {
  if (const char* b = std::getenv("BTS_DEVNET_BIN")) return b;
  return std::string(BTS_BINARY_DIR) + "/bin/bts-infra";
}

// An io_context run by one background thread.
struct io_thread {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{asio::make_work_guard(io)};
  std::thread thread{[this] { io.run(); }};
  ~io_thread() {
    work.reset();
    io.stop();
    thread.join();
  }
};

// `bts-infra devnet ARGS...` with stdout read up to its banner line.
class devnet_process {
 public:
  explicit devnet_process(std::vector<std::string> args) {
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe");
    std::vector<std::string> all{bts_binary(), "devnet"};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      close(out[0]);
      close(out[1]);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    out_ = fdopen(out[0], "r");
    char line[4096];
    if (!fgets(line, sizeof line, out_))
      throw std::runtime_error("devnet printed no banner (is " + bts_binary() + " built?)");
    banner_ = line;
    // "devnet listening <ws url> chain_id <hex> endpoints <url,...> block_interval <s>"
    std::istringstream in(banner_);
    std::string word, endpoints;
    while (in >> word) {
      if (word == "chain_id") in >> chain_id_;
      if (word == "endpoints") in >> endpoints;
    }
    std::stringstream es(endpoints);
    for (std::string u; std::getline(es, u, ',');) endpoints_.push_back(u);
  }
  ~devnet_process() { stop(); }
  void stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    if (out_) fclose(out_);
    out_ = nullptr;
  }
  const std::string& chain_id() const { return chain_id_; }
  const std::vector<std::string>& endpoints() const { return endpoints_; }
  std::string port(std::size_t i) const {
    return endpoints_.at(i).substr(endpoints_.at(i).rfind(':') + 1);
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  std::string banner_, chain_id_;
  std::vector<std::string> endpoints_;
};

// What the fake node answers; change it while it runs.
struct fake_chain {
  std::mutex mu;
  std::string chain_id = "4018d7844c78f6a6c41c6a552b898022310fc5dec06da467ee7905a8dad512c8";
  std::int64_t head_block_number = 100;
  std::chrono::seconds head_age{1};
  bool fail_dgp = false;
  std::atomic<int> dgp_calls{0};
  // Called per get_dynamic_global_properties; may change the fields above.
  std::function<void(fake_chain&)> on_dgp;
};

inline std::string now_minus(std::chrono::seconds age) {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return format_time_point_sec(static_cast<std::uint32_t>((now - age).count()));
}

inline rpc::server_options fake_node_options(std::shared_ptr<fake_chain> chain) {
  rpc::server_options o;
  o.handler = [chain](std::shared_ptr<rpc::session>,
                      rpc::rpc_request r) -> asio::awaitable<rpc::call_result> {
    std::string method = r.method;
    if (r.method == "call" && r.params.size() >= 2 && r.params[1].is_string())
      method = r.params[1].get_string();
    std::lock_guard lock(chain->mu);
    if (method == "login") co_return json::value(true);
    if (method == "get_chain_id") co_return json::value(chain->chain_id);
    if (method == "get_available_api_sets")
      co_return json::value(json::array{"database", "network_broadcast", "history"});
    if (method == "get_dynamic_global_properties") {
      ++chain->dgp_calls;
      if (chain->on_dgp) chain->on_dgp(*chain);
      if (chain->fail_dgp) co_return rpc::rpc_error::server(1, "unavailable");
      co_return json::value(
          json::object{{"id", "2.1.0"},
                       {"head_block_number", chain->head_block_number},
                       {"time", now_minus(chain->head_age)},
                       {"recent_slots_filled", "340282366920938463463374607431768211455"},
                       {"last_irreversible_block_num", chain->head_block_number - 10}});
    }
    co_return rpc::rpc_error::server(-32601, "method not found: " + method);
  };
  return o;
}

// A self-signed certificate (CN=uptime-test) for 127.0.0.1/localhost valid for `days` more days.
using test_certificate = ::bts::test::self_signed;
inline test_certificate make_certificate(int days) {
  return ::bts::test::make_self_signed_certificate(std::chrono::hours(24 * days), "uptime-test");
}

// Receives webhook POSTs (through the server's authenticate hook, which sees every request).
struct webhook_receiver {
  std::mutex mu;
  std::vector<json::value> bodies;
  std::unique_ptr<rpc::server> server;
  explicit webhook_receiver(asio::any_io_executor ex) {
    rpc::server_options o;
    o.authenticate = [this](const rpc::http_request_info& r) -> std::optional<rpc::http_response> {
      if (r.method == "POST" && r.target == "/hook") {
        boost::system::error_code ec;
        json::value v = json::parse(r.body, ec);
        std::lock_guard lock(mu);
        bodies.push_back(ec ? json::value(r.body) : v);
      }
      rpc::http_response ok;
      ok.body = "ok";
      return ok;
    };
    server = std::make_unique<rpc::server>(ex, std::move(o));
  }
  std::vector<json::value> received() {
    std::lock_guard lock(mu);
    return bodies;
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server->port()) + "/hook"; }
};

// Polls `done` every 20 ms until it holds or `limit` passes; returns whether it held.
template <class F>
bool wait_for(F done, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

}  // namespace bts::uptime::testing
