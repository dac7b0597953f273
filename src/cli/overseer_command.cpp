// `bts-infra overseer serve`: the control plane for a fleet of beacons, and
// `bts-infra overseer agent` (its beacon side; setup_beacon_serve also backs `beacon serve`).
//
//   overseer serve [--listen 127.0.0.1:8700] [--store results.db] --token-file F
//                  --admin-token-file F [--tls-cert PEM --tls-key PEM]
//   overseer agent --overseer ws://host:8700 --name NAME [--token-file F]
//                  (--accounts FILE | --accounts-env VAR | --simulate)   two accounts at least,
//                  checked at start [--tls-ca-file PEM | --tls-insecure]
//                  [--metrics-listen HOST:PORT] [--out prometheus]
//
// The agent serves its rows on GET http://HOST:PORT/metrics (Prometheus text format,
// docs/outputs.md "Prometheus") with --metrics-listen (or --out prometheus, default
// 127.0.0.1:9464). The overseer serves /metrics on its own port; `overseer serve --out
// prometheus` is accepted and means just that.
//
// Tokens come from files or the environment (BTS_BEACON_TOKEN, BTS_ADMIN_TOKEN), never argv.
// Both run until SIGINT or SIGTERM.
#include <CLI/CLI.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <thread>
#include <tuple>

#include "beacon/chain_context.hpp"
#include "cli/beacon_serve.hpp"
#include "cli/command.hpp"
#include "outputs/elasticsearch.hpp"
#include "outputs/prometheus.hpp"
#include "outputs/spec.hpp"
#include "beacon/agent_runner.hpp"
#include "control/agent.hpp"
#include "overseer/overseer.hpp"
#include "rpc/url.hpp"
#include "util/error.hpp"

namespace bts::cli {
namespace {

std::atomic<bool> stop_requested{false};
extern "C" void on_stop_signal(int) { stop_requested.store(true); }

std::string read_text(const std::string& path, const std::string& what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw input_error(what + " " + path, std::string("cannot open: ") + std::strerror(errno));
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

// A token from a file (trailing whitespace trimmed) or an environment variable. Shared with
// ctl_command.cpp.
std::string read_token(const std::string& file, const char* env, const std::string& flag) {
  std::string t;
  if (!file.empty()) {
    t = read_text(file, flag);
  } else if (const char* v = std::getenv(env)) {
    t = v;
  }
  while (!t.empty() &&
         (t.back() == '\n' || t.back() == '\r' || t.back() == ' ' || t.back() == '\t')) {
    t.pop_back();
  }
  if (!file.empty() && t.empty()) throw input_error(flag + " " + file, "the token file is empty");
  if (t.find('\n') != std::string::npos) throw input_error(flag, "a token is one line");
  return t;
}

namespace {

void wait_for_signal() {
  stop_requested.store(false);
  auto prev_int = std::signal(SIGINT, on_stop_signal);
  auto prev_term = std::signal(SIGTERM, on_stop_signal);
  while (!stop_requested.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::signal(SIGINT, prev_int);
  std::signal(SIGTERM, prev_term);
}

// A runner that also feeds its rows into the beacon's /metrics.
class metered_runner final : public control::load_runner {
 public:
  metered_runner(std::unique_ptr<control::load_runner> inner,
                 std::shared_ptr<outputs::beacon_metrics> metrics, outputs::beacon_scope scope)
      : inner_(std::move(inner)), metrics_(std::move(metrics)), scope_(std::move(scope)) {}
  void prepare() override { inner_->prepare(); }
  void start(control::runner_callbacks cb) override {
    cb.on_second = [m = metrics_, scope = scope_,
                    next = std::move(cb.on_second)](stats::second_row row) {
      m->add_row(scope, row);
      if (next) next(std::move(row));
    };
    inner_->start(std::move(cb));
  }
  void stop() override { inner_->stop(); }
  bool set_rate(double r) override { return inner_->set_rate(r); }
  std::optional<double> rate() const override { return inner_->rate(); }

 private:
  std::unique_ptr<control::load_runner> inner_;
  std::shared_ptr<outputs::beacon_metrics> metrics_;
  outputs::beacon_scope scope_;
};

std::string join_nodes(const std::vector<std::string>& nodes) {
  std::string out;
  for (const auto& n : nodes) out += (out.empty() ? "" : ",") + n;
  return out;
}

// --out values a beacon or the overseer accepts: prometheus (and, for `beacon run`,
// elasticsearch and json). Returns whether prometheus was asked for.
bool wants_prometheus(const std::vector<outputs::output_spec>& specs, bool elasticsearch_ok,
                      const std::string& command) {
  bool prometheus = false;
  for (const auto& sp : specs) {
    if (sp.kind == outputs::output_kind::prometheus) prometheus = true;
    if (sp.kind != outputs::output_kind::prometheus && !elasticsearch_ok) {
      throw input_error("--out", command + " supports --out prometheus only (got " +
                                     std::string(outputs::name(sp.kind)) + ")");
    }
  }
  return prometheus;
}

struct serve_options {
  std::string listen = "127.0.0.1:8700";
  std::string store = "results.db";
  std::string token_file;
  std::string admin_token_file;
  std::string tls_cert;
  std::string tls_key;
  std::vector<std::string> outs;
};

int serve(const serve_options& o, io& s) {
  std::vector<outputs::output_spec> specs;
  for (const auto& t : o.outs) specs.push_back(outputs::parse_out_flag(t));
  outputs::check_outputs(specs);
  // /metrics is always on the overseer's port; Elasticsearch gets merged and per-beacon rows,
  // events and run manifests, started (and checked) before the overseer listens.
  std::shared_ptr<outputs::elasticsearch_output> es;
  for (const auto& sp : specs) {
    if (sp.kind == outputs::output_kind::json)
      throw input_error("--out", "overseer serve supports prometheus and elasticsearch=URL");
    if (sp.kind == outputs::output_kind::elasticsearch) {
      outputs::elasticsearch_options eo = sp.elasticsearch;
      if (eo.spool_dir.empty()) {
        const auto parent = std::filesystem::path(o.store).parent_path();
        eo.spool_dir = (parent.empty() ? std::filesystem::path(".") : parent) / "bts-es-spool";
      }
      es = std::make_shared<outputs::elasticsearch_output>(eo);
      es->start();
    }
  }
  overseer::overseer_options oo;
  if (es) {
    struct run_meta {
      std::vector<store::beacon_info> beacons;
      store::unix_ms start = 0;
    };
    auto meta = std::make_shared<std::map<std::string, run_meta>>();  // store thread only
    oo.on_run = [es, meta](const store::run_info& info,
                           const std::vector<store::beacon_info>& beacons) {
      run_meta& m = (*meta)[info.id];
      if (!beacons.empty()) m.beacons = beacons;
      m.start = info.started_at.value_or(info.created_at);
      es->push(outputs::run_document{info, m.beacons});
    };
    oo.on_rows = [es, meta](const std::string& run, const std::vector<store::second_record>& rows) {
      const run_meta& m = (*meta)[run];
      const bool alone = m.beacons.size() <= 1;
      for (const auto& r : rows) {
        es->push(outputs::stats_document{run, r.beacon, r.beacon.empty() || alone,
                                         m.start + r.row.second * 1000, r.row});
      }
    };
    oo.on_event = [es](const std::string& run, const store::event& e) {
      es->push(outputs::event_document{run, e});
    };
  }
  std::tie(oo.host, oo.port) = rpc::parse_host_port(o.listen, "--listen");
  const auto colon = o.listen.rfind(':');  // the host as written (IPv6 in brackets), for URLs
  oo.store = o.store;
  oo.beacon_token = read_token(o.token_file, "BTS_BEACON_TOKEN", "--token-file");
  if (oo.beacon_token.empty()) {
    throw input_error("--token-file",
                      "a beacon token is required (--token-file FILE or BTS_BEACON_TOKEN)");
  }
  oo.admin_token = read_token(o.admin_token_file, "BTS_ADMIN_TOKEN", "--admin-token-file");
  if (oo.admin_token.empty()) {
    throw input_error("--admin-token-file",
                      "an admin token is required (--admin-token-file FILE or BTS_ADMIN_TOKEN)");
  }
  if (o.tls_cert.empty() != o.tls_key.empty())
    throw input_error("--tls-cert", "give both --tls-cert and --tls-key");
  if (!o.tls_cert.empty()) oo.tls = rpc::tls_server_options{o.tls_cert, o.tls_key, "", ""};
  overseer::overseer ov(std::move(oo));
  const std::string http = std::string(o.tls_cert.empty() ? "http" : "https") + "://" +
                           o.listen.substr(0, colon) + ":" + std::to_string(ov.port());
  const std::string ws = std::string(o.tls_cert.empty() ? "ws" : "wss") + "://" +
                         o.listen.substr(0, colon) + ":" + std::to_string(ov.port());
  s.out << "overseer listening " << http << " control " << ws << control::control_path << " store "
        << o.store << std::endl;
  wait_for_signal();
  ov.stop();
  if (es) {
    if (!es->flush(std::chrono::seconds(10)))
      s.err << "overseer: elasticsearch has not acknowledged everything; the rest stays in its "
               "spool\n";
    es->stop();
  }
  s.err << "overseer: stopped\n";
  return 0;
}

struct beacon_serve_options {
  std::string metrics_listen;
  std::vector<std::string> outs;
  std::string overseer;
  std::string name;
  std::string token_file;
  std::string accounts;
  std::string accounts_env;
  bool simulate = false;
  std::string tls_ca_file;
  bool tls_insecure = false;
};

int beacon_serve(const beacon_serve_options& o, io& s) {
  std::vector<outputs::output_spec> specs;
  for (const auto& t : o.outs) specs.push_back(outputs::parse_out_flag(t));
  outputs::check_outputs(specs);
  std::string metrics_listen = o.metrics_listen;
  if (wants_prometheus(specs, false, "beacon serve") && metrics_listen.empty())
    metrics_listen = "127.0.0.1:9464";
  auto metrics = std::make_shared<outputs::beacon_metrics>();
  std::unique_ptr<outputs::metrics_server> metrics_srv;
  if (!metrics_listen.empty()) {
    metrics_srv = std::make_unique<outputs::metrics_server>(
        metrics_listen, [metrics] { return metrics->render(); });
  }
  control::agent_options ao;
  ao.overseer = o.overseer;
  ao.name = o.name;
  ao.token = read_token(o.token_file, "BTS_BEACON_TOKEN", "--token-file");
  if (ao.token.empty())
    throw input_error("--token-file",
                      "a token is required (--token-file FILE or BTS_BEACON_TOKEN)");
  if (!o.tls_ca_file.empty()) ao.tls = {rpc::tls_verify::ca_file, o.tls_ca_file, ""};
  if (o.tls_insecure) ao.tls.verify = rpc::tls_verify::none;
  if (o.simulate) {
    ao.make_runner = control::simulated_runner();
  } else {
    std::vector<beacon::account_entry> accounts;
    if (!o.accounts_env.empty()) {
      const char* v = std::getenv(o.accounts_env.c_str());
      if (v == nullptr)
        throw input_error("--accounts-env",
                          "environment variable " + o.accounts_env + " is not set");
      accounts = beacon::parse_accounts(v, "$" + o.accounts_env);
    } else if (!o.accounts.empty()) {
      accounts = beacon::parse_accounts(read_text(o.accounts, "--accounts"), o.accounts);
    } else {
      throw input_error("--accounts",
                        "no accounts: give --accounts FILE or --accounts-env VAR (see `beacon "
                        "provision`), or --simulate");
    }
    // Checked now, not when the overseer starts a run: a beacon that cannot run never registers.
    if (accounts.size() < 2)
      throw input_error(o.accounts_env.empty() ? o.accounts : "$" + o.accounts_env,
                        "the beacon needs at least two accounts (transfers go between them), "
                        "found 1");
    ao.make_runner = beacon::beacon_runner(std::move(accounts));
  }
  if (metrics_srv) {
    ao.make_runner =
        [inner = std::move(ao.make_runner), metrics, name = o.name](
            const control::configure_cmd& cfg,
            boost::asio::any_io_executor ex) -> std::unique_ptr<control::load_runner> {
      return std::make_unique<metered_runner>(
          inner(cfg, std::move(ex)), metrics,
          outputs::beacon_scope{cfg.run, name, join_nodes(cfg.nodes)});
    };
    s.err << "beacon " << o.name << ": metrics on http://" << metrics_srv->host() << ":"
          << metrics_srv->port() << "/metrics\n";
  }
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::thread t([&io] { io.run(); });
  {
    control::agent a(io.get_executor(), std::move(ao));
    a.start();
    s.err << "beacon " << o.name << ": serving " << o.overseer << "\n";
    wait_for_signal();
    a.close();
  }
  work.reset();
  io.stop();
  t.join();
  return 0;
}

}  // namespace

// Declares `beacon serve` on `sub` (called by beacon_command.cpp) and returns its action.
std::function<int(io&)> setup_beacon_serve(CLI::App& sub) {
  auto o = std::make_shared<beacon_serve_options>();
  sub.add_option("--overseer", o->overseer, "Overseer URL (ws:// or wss://host:port)")->required();
  sub.add_option("--name", o->name, "This beacon's name")->required();
  sub.add_option("--token-file", o->token_file,
                 "File holding the beacon token (else $BTS_BEACON_TOKEN)");
  sub.add_option("--accounts", o->accounts,
                 "Accounts file: \"<name> <WIF>\" lines (beacon provision writes one)");
  sub.add_option("--accounts-env", o->accounts_env,
                 "Environment variable holding the accounts text");
  sub.add_flag("--simulate", o->simulate, "Simulated load (no node): for trying the control plane");
  sub.add_option("--tls-ca-file", o->tls_ca_file,
                 "CA certificate (PEM) to verify a wss:// overseer");
  sub.add_flag("--tls-insecure", o->tls_insecure, "Accept any certificate from a wss:// overseer");
  sub.add_option("--metrics-listen", o->metrics_listen,
                 "Serve Prometheus GET /metrics on HOST:PORT (port 0: ephemeral)");
  sub.add_option("--out", o->outs,
                 "Output, k6-style: prometheus (serves /metrics, default 127.0.0.1:9464)");
  return [o](io& s) { return beacon_serve(*o, s); };
}

command make_overseer_command() {
  return {
      "overseer", "Control plane for a fleet of beacons: runs, live statistics, the results store",
      [](CLI::App& app) -> std::function<int(io&)> {
        app.require_subcommand(1);
        auto o = std::make_shared<serve_options>();
        CLI::App* sv =
            app.add_subcommand("serve", "Accept beacons, serve the JSON API, store every run");
        sv->add_option("--listen", o->listen, "HOST:PORT to listen on (default 127.0.0.1:8700)");
        sv->add_option("--store", o->store, "SQLite results store (default results.db)");
        sv->add_option("--token-file", o->token_file,
                       "File holding the beacon token (else $BTS_BEACON_TOKEN)");
        sv->add_option("--admin-token-file", o->admin_token_file,
                       "File holding the admin token for the API (else $BTS_ADMIN_TOKEN)");
        sv->add_option("--tls-cert", o->tls_cert,
                       "TLS certificate chain (PEM): serve https:// and wss://");
        sv->add_option("--tls-key", o->tls_key, "TLS private key (PEM)");
        sv->add_option("--out", o->outs,
                       "Output, k6-style, repeatable: prometheus (GET /metrics on the "
                       "overseer's port, always served), elasticsearch=URL?options "
                       "(docs/outputs.md)");
        CLI::App* ag = app.add_subcommand(
            "agent",
            "The beacon side: connect out to an overseer and run what it commands "
            "(the same as `beacon serve`)");
        auto agent_action = setup_beacon_serve(*ag);
        return [&app, o, agent_action](io& s) -> int {
          if (app.got_subcommand("agent")) return agent_action(s);
          return serve(*o, s);
        };
      }};
}

}  // namespace bts::cli
