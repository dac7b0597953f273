// `bts-infra uptime`: chain-aware uptime tracking of BitShares API nodes (docs/uptime.md).
//
//   uptime check --config FILE [--json]
//       probes every endpoint once, concurrently, and prints one line per endpoint (or JSON);
//       exit 0 when all are up, 1 when any is not, 2 for a bad config.
//   uptime serve --config FILE [--listen 127.0.0.1:8080] [--db FILE] [--tls-cert F --tls-key F]
//       tracks the endpoints, stores every result, serves the status page, JSON API, badges,
//       the healthy-node list and /metrics; first stdout line "uptime listening http://HOST:PORT
//       endpoints N db FILE"; stops on SIGINT/SIGTERM with exit 0. With `probes.token_env` in the
//       config, remote probes holding that token may report to it.
//   uptime probe --config FILE --tracker URL --location NAME [--token-env VAR | --token-file F]
//       a remote probe location: probes the config's endpoints on their intervals and reports
//       each verdict to the tracker (JSON-RPC uptime.report over ws(s):// or http(s)://, with
//       "Authorization: Bearer <token>"). The token never comes from argv.
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json.hpp>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <ostream>
#include <string>

#include "cli/command.hpp"
#include "rpc/client.hpp"
#include "uptime/config.hpp"
#include "uptime/status_server.hpp"
#include "uptime/store.hpp"
#include "uptime/tracker.hpp"
#include "rpc/url.hpp"
#include "util/error.hpp"

namespace bts::cli {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

struct uptime_flags {
  std::string config;
  std::string listen = "127.0.0.1:8080";
  std::string db;
  std::string tls_cert, tls_key;
  bool json_out = false;
  std::string tracker_url, location, token_env = "UPTIME_PROBE_TOKEN", token_file;
};

std::string env_token(const std::string& var, const std::string& what) {
  const char* v = std::getenv(var.c_str());
  if (!v || !*v) throw input_error(what, "environment variable " + var + " is not set");
  return v;
}

std::string ms_text(const std::optional<double>& v) {
  if (!v) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fms", *v);
  return buf;
}

int run_check(const uptime_flags& f, io& s) {
  uptime::uptime_config cfg = uptime::load_config(f.config);
  std::unique_ptr<uptime::uptime_store> store;
  if (!f.db.empty()) store = std::make_unique<uptime::uptime_store>(f.db);
  asio::io_context io(1);
  uptime::tracker t(io.get_executor(), std::move(cfg), store.get());
  asio::co_spawn(io, t.probe_all_once(), asio::detached);
  io.run();
  const auto snap = t.snapshot();
  bool all_up = true;
  if (f.json_out) {
    s.out << uptime::status_json(t) << "\n";
  }
  for (std::size_t i = 0; i < snap.size(); ++i) {
    const auto& e = t.config().endpoints[i];
    const auto& st = snap[i];
    all_up = all_up && st.state == uptime::endpoint_state::up;
    if (f.json_out) continue;
    s.out << e.group << "/" << e.name << "  " << uptime::to_string(st.state) << "  " << e.url;
    if (st.last) {
      const auto& r = *st.last;
      s.out << "  response " << ms_text(r.found.response_time_ms) << " (dns "
            << ms_text(r.phases.dns_ms) << ", tcp " << ms_text(r.phases.tcp_ms) << ", tls "
            << ms_text(r.phases.tls_ms) << ", ws " << ms_text(r.phases.ws_upgrade_ms)
            << ", first call " << ms_text(r.phases.first_call_ms) << ")";
      if (r.head_block_num) s.out << "  head " << *r.head_block_num;
      if (r.found.head_block_age_ms)
        s.out << " age " << uptime::format_duration_ms(*r.found.head_block_age_ms);
      if (r.es_block_num) {
        s.out << "  newest indexed block " << *r.es_block_num;
        if (r.found.es_lag) s.out << " lag " << *r.found.es_lag << " blocks";
      }
      if (r.certificate) {
        s.out << "  certificate expires in "
              << uptime::format_duration_ms(
                     static_cast<double>(*r.found.certificate_expiration_ms));
      }
    }
    s.out << "\n";
    for (const auto& fail : st.failed) s.out << "    failed: " << fail << "\n";
  }
  return all_up ? 0 : 1;
}

int run_serve(const uptime_flags& f, io& s) {
  uptime::uptime_config cfg = uptime::load_config(f.config);
  const auto [host, port] = rpc::parse_host_port(f.listen, "--listen");
  if (f.tls_cert.empty() != f.tls_key.empty())
    throw input_error("--tls-cert", "give both --tls-cert and --tls-key");
  const std::string db = f.db.empty() ? cfg.storage_path : f.db;
  uptime::uptime_store store(db);
  asio::io_context io(1);
  uptime::tracker t(io.get_executor(), std::move(cfg), &store);
  std::optional<rpc::tls_server_options> tls;
  if (!f.tls_cert.empty()) tls = rpc::tls_server_options{f.tls_cert, f.tls_key, "", ""};
  std::string probe_token;
  if (!t.config().probes.token_env.empty())
    probe_token = env_token(t.config().probes.token_env, "probes.token_env");
  uptime::status_server server(io.get_executor(), t, host, port, tls, probe_token);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    t.stop();
    server.stop();
    io.stop();
  });
  t.start();
  s.out << "uptime listening " << (tls ? "https" : "http") << "://" << host << ":" << server.port()
        << " endpoints " << t.config().endpoints.size() << " db " << db << std::endl;
  io.run();
  s.err << "uptime: stopped after " << t.counters().probes.load() << " probes\n";
  return 0;
}

int run_probe(const uptime_flags& f, io& s) {
  uptime::uptime_config cfg = uptime::load_config(f.config);
  std::string token;
  if (!f.token_file.empty()) {
    std::ifstream in(f.token_file);
    if (!in || !std::getline(in, token) || token.empty())
      throw input_error("--token-file " + f.token_file, "cannot read a token");
  } else {
    token = env_token(f.token_env, "--token-env");
  }
  asio::io_context io(1);
  rpc::client_options co;
  co.url = f.tracker_url;
  co.headers.emplace_back("Authorization", "Bearer " + token);
  co.call_timeout = std::chrono::seconds(10);
  rpc::client report(io.get_executor(), co);
  report.start();
  uptime::tracker t(io.get_executor(), std::move(cfg), nullptr);
  std::uint64_t sent = 0, failed = 0;
  t.on_result = [&](const uptime::endpoint_config&, const uptime::endpoint_status& st) {
    json::array fails;
    for (const auto& x : st.failed) fails.emplace_back(x);
    json::array args{f.location, st.key, static_cast<std::int64_t>(st.state), std::move(fails),
                     st.last ? st.last->started_ms : std::int64_t{0}};
    report.async_call("uptime", "report", std::move(args), [&](rpc::call_result r) {
      if (r.ok())
        ++sent;
      else if (failed++ < 5)
        s.err << "uptime probe: report: " << r.error().to_string() << "\n";
    });
  };
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    t.stop();
    report.close();
    io.stop();
  });
  t.start();
  s.out << "uptime probe " << f.location << " reporting to " << f.tracker_url << " endpoints "
        << t.config().endpoints.size() << std::endl;
  io.run();
  s.err << "uptime probe: " << sent << " reports sent, " << failed << " failed\n";
  return 0;
}

}  // namespace

command make_uptime_command() {
  return {
      "uptime",
      "Chain-aware uptime tracking of BitShares nodes: probes, history, status page, alerts",
      [](CLI::App& app) -> std::function<int(io&)> {
        app.require_subcommand(1);
        app.footer("Config format, conditions and the HTTP API: docs/uptime.md.");
        auto f = std::make_shared<uptime_flags>();
        CLI::App* check = app.add_subcommand(
            "check", "Probe every endpoint once and print the results (exit 1 if any is not up)");
        check->add_option("--config", f->config, "YAML config (docs/uptime.md)")->required();
        check->add_option("--db", f->db, "Also record the results in this SQLite file");
        check->add_flag("--json", f->json_out, "Print the status as JSON (as /api/v1/status)");
        CLI::App* serve = app.add_subcommand(
            "serve", "Track the endpoints and serve the status page, API, badges and /metrics");
        serve->add_option("--config", f->config, "YAML config (docs/uptime.md)")->required();
        serve->add_option("--listen", f->listen, "HOST:PORT to serve on (port 0: ephemeral)")
            ->capture_default_str();
        serve->add_option("--db", f->db, "SQLite file (default: the config's storage.path)");
        serve->add_option("--tls-cert", f->tls_cert, "PEM certificate chain: serve https");
        serve->add_option("--tls-key", f->tls_key, "PEM private key for --tls-cert");
        CLI::App* probe =
            app.add_subcommand("probe", "A remote probe location reporting to a tracker (`serve`)");
        probe->add_option("--config", f->config, "YAML config (the endpoints to probe)")
            ->required();
        probe
            ->add_option("--tracker", f->tracker_url,
                         "The tracker's URL, e.g. wss://status.example:8080")
            ->required();
        probe->add_option("--location", f->location, "This probe's location name")->required();
        probe
            ->add_option("--token-env", f->token_env,
                         "Environment variable holding the probe token")
            ->capture_default_str();
        probe->add_option("--token-file", f->token_file,
                          "File holding the probe token (first line)");
        return [&app, f](io& s) -> int {
          if (app.got_subcommand("check")) return run_check(*f, s);
          if (app.got_subcommand("probe")) return run_probe(*f, s);
          return run_serve(*f, s);
        };
      }};
}

}  // namespace bts::cli
