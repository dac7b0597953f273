// `bts-infra beacon`: the load generator on its own, without an overseer.
//
//   beacon run --node ws://127.0.0.1:8090 [--node-load SPEC] [--scenario FILE | --preset NAME]
//              [--rate N | --unlimited] [--duration 30s | --count N] --accounts FILE
//              [--run-dir DIR] [--store FILE] [--out prometheus] [--out elasticsearch=URL]
//              [--out json=FILE] [--metrics-listen HOST:PORT]
//       runs one beacon; a live progress line on a terminal (stderr); writes a run directory
//       (manifest.json, series.jsonl, blocks.jsonl, histograms/, summary.json) and, with
//       --store, the same run into the SQLite results store; prints summary.json on stdout.
//       Ctrl-C stops the schedule, waits briefly for inclusions and writes everything; a second
//       Ctrl-C cuts the wait. Outputs (k6-style --out, docs/outputs.md): prometheus serves
//       GET /metrics on --metrics-listen (default 127.0.0.1:9464); elasticsearch=URL ships
//       rows, events and the manifest (checked at start: a wrong URL or refused credentials is
//       one error before the run); json=FILE appends the rows as JSON lines. `--out DIR` (any
//       value that is not an output) is still read as the run directory, as before --run-dir.
//       Before anything is written, the fee budget (beacon/fee_budget.hpp): a run the accounts
//       cannot pay is refused with one line and exit 2, leaving no run directory, unless
//       --ignore-fee-budget.
//   beacon provision --node URL --registrar nathan --registrar-wif-file F --count N
//                    --accounts-out FILE
//       [--claim-genesis-balance] [--fund UNITS | --for-scenario FILE]
//       creates (or completes) N funded accounts and the test asset; see beacon/provision.hpp.
//       --for-scenario funds each account for the scenario's fee budget (provision.hpp).
//   beacon presets
//       lists the built-in scenario presets.
//
// Keys come from files or environment variables only, never from argv, and are never printed.
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "beacon/beacon.hpp"
#include "beacon/chain_context.hpp"
#include "beacon/provision.hpp"
#include "scenario/scenario.hpp"
#include "cli/beacon_serve.hpp"
#include "cli/command.hpp"
#include "monitor/node_load.hpp"
#include "outputs/elasticsearch.hpp"
#include "outputs/prometheus.hpp"
#include "outputs/spec.hpp"
#include "stats/run_summary.hpp"
#include "store/results_store.hpp"
#include "store/run_directory.hpp"
#include "util/error.hpp"

namespace bts::cli {
namespace {

std::atomic<beacon::beacon*> running_beacon{nullptr};

extern "C" void on_sigint(int) {
  if (auto* b = running_beacon.load()) b->request_stop();
}

std::string read_file(const std::string& path, const std::string& what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw input_error(what + " " + path, std::string("cannot open: ") + std::strerror(errno));
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

struct run_options {
  std::vector<std::string> nodes;
  std::vector<std::string> node_loads;
  std::string scenario_file;
  std::string preset;
  std::string rate;
  bool unlimited = false;
  std::string duration;
  std::string count;
  std::string accounts;
  std::string accounts_env;
  std::vector<std::string> outs;  // --out: outputs, or (compatibility) the run directory
  std::string run_dir;
  std::string metrics_listen;
  std::string store;
  std::string name = "beacon";
  std::optional<std::uint64_t> seed;
  std::optional<std::size_t> max_in_flight;
  bool quiet = false;
  bool ignore_fee_budget = false;
};

std::string fmt_latency(std::int64_t us) {
  std::ostringstream s;
  if (us >= 1'000'000)
    s << std::fixed << std::setprecision(2) << us / 1e6 << "s";
  else
    s << std::fixed << std::setprecision(1) << us / 1e3 << "ms";
  return s.str();
}

// `--out` takes k6-style outputs; a value that is none (no "name=" in front and not
// "prometheus") is the run directory, as `--out DIR` meant before --run-dir.
bool is_output_spec(const std::string& v) {
  if (v == "prometheus") return true;
  const auto eq = v.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  for (std::size_t i = 0; i < eq; ++i)
    if (!(v[i] >= 'a' && v[i] <= 'z')) return false;
  return true;
}

int run_beacon(const run_options& opt, io& s) {
  // Outputs first: a bad --out is an error before anything else happens.
  std::vector<outputs::output_spec> specs;
  std::string out_dir = opt.run_dir;
  for (const auto& v : opt.outs) {
    if (is_output_spec(v)) {
      specs.push_back(outputs::parse_out_flag(v));
    } else if (!out_dir.empty()) {
      throw input_error("--out", "\"" + v +
                                     "\" is not an output (prometheus, elasticsearch=URL, "
                                     "json=FILE) and the run directory is already " +
                                     out_dir);
    } else {
      out_dir = v;
    }
  }
  outputs::check_outputs(specs);
  // Scenario: a file, a preset, or the defaults; flags override single fields.
  std::string scenario_text, scenario_name;
  if (!opt.scenario_file.empty() && !opt.preset.empty())
    throw input_error("--scenario", "give --scenario or --preset, not both");
  if (!opt.scenario_file.empty()) {
    scenario_text = read_file(opt.scenario_file, "--scenario");
    scenario_name = opt.scenario_file;
  } else if (!opt.preset.empty()) {
    scenario_text = scenarios::preset_text(opt.preset);
    scenario_name = opt.preset;
  }
  scenarios::scenario sc =
      scenarios::parse_scenario(scenario_text, scenario_name.empty() ? "defaults" : scenario_name);
  // The scenario's `outputs:` list, after the --out flags (docs/outputs.md, "Choosing outputs").
  for (auto& sp : outputs::parse_outputs_yaml(scenario_text,
                                              scenario_name.empty() ? "defaults" : scenario_name)) {
    specs.push_back(std::move(sp));
  }
  outputs::check_outputs(specs);
  if (sc.name.empty()) sc.name = scenario_name.empty() ? "default" : scenario_name;
  if (!opt.nodes.empty()) {
    // The i-th --node takes the place of the scenario's i-th node (keeping its weight and
    // connections, not its node_load); extra ones get the defaults.
    std::vector<scenarios::node_endpoint> nodes;
    for (std::size_t i = 0; i < opt.nodes.size(); ++i) {
      const std::string& n = opt.nodes[i];
      if (n.rfind("ws://", 0) != 0 && n.rfind("wss://", 0) != 0)
        throw input_error("--node", "expected a ws:// or wss:// URL, got \"" + n + "\"");
      scenarios::node_endpoint e;
      if (i < sc.nodes.size()) {
        e.weight = sc.nodes[i].weight;
        e.connections = sc.nodes[i].connections;
      }
      e.url = n;
      nodes.push_back(std::move(e));
    }
    sc.nodes = std::move(nodes);
  }
  if (sc.nodes.empty())
    throw input_error("--node", "no node given (--node URL or nodes: in the scenario)");
  if (!sc.node_metrics_url.empty() && sc.nodes.front().node_load.empty()) {
    sc.nodes.front().node_load = sc.node_metrics_url;
  }
  // The i-th --node-load goes with the i-th node (as given by --node or the scenario).
  if (opt.node_loads.size() > sc.nodes.size()) {
    throw input_error("--node-load", std::to_string(opt.node_loads.size()) + " given for " +
                                         std::to_string(sc.nodes.size()) + " node(s)");
  }
  for (std::size_t i = 0; i < opt.node_loads.size(); ++i) {
    const std::string& spec = opt.node_loads[i];
    if (spec != "none") monitor::parse_load_source(spec, "--node-load");
    sc.nodes[i].node_load = spec;
  }
  if (opt.unlimited && !opt.rate.empty())
    throw input_error("--rate", "give --rate or --unlimited, not both");
  if (opt.unlimited || !opt.rate.empty()) sc.search.reset();  // a fixed rate instead of a search
  if (opt.unlimited) sc.rate = load::rate_profile::unlimited();
  if (!opt.rate.empty())
    sc.rate = load::rate_profile::constant(load::parse_sending_rate(opt.rate, "--rate"));
  if (!opt.duration.empty() && !opt.count.empty())
    throw input_error("--duration", "give --duration or --count, not both");
  if (!opt.duration.empty()) {
    sc.duration = load::parse_duration(opt.duration, "--duration");
    sc.count.reset();
  }
  if (!opt.count.empty()) {
    sc.count = scenarios::parse_count(opt.count, "--count");
    sc.duration.reset();
  }
  if (opt.seed) sc.seed = *opt.seed;
  if (opt.ignore_fee_budget) sc.ignore_fee_budget = true;
  if (opt.max_in_flight) sc.max_in_flight = *opt.max_in_flight;
  // A search ends itself (break point or max, then its hold); --duration caps it.
  if (!sc.duration && !sc.count && !sc.rate.length() && !sc.search)
    sc.duration = std::chrono::seconds(30);

  // Accounts: never from argv.
  std::vector<beacon::account_entry> accounts;
  if (!opt.accounts_env.empty() || (opt.accounts.empty() && !sc.accounts_env.empty())) {
    const std::string var = opt.accounts_env.empty() ? sc.accounts_env : opt.accounts_env;
    const char* v = std::getenv(var.c_str());
    if (v == nullptr)
      throw input_error("--accounts-env", "environment variable " + var + " is not set");
    accounts = beacon::parse_accounts(v, "$" + var);
  } else {
    const std::string path = opt.accounts.empty() ? sc.accounts_file : opt.accounts;
    if (path.empty())
      throw input_error("--accounts", "no accounts: give --accounts FILE (see `beacon provision`)");
    accounts = beacon::parse_accounts(read_file(path, "--accounts"), path);
  }
  store::check_beacon_name(opt.name, "--name");

  // The run's identity and outputs.
  char stamp[32];
  const std::time_t now_t = std::time(nullptr);
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::gmtime(&now_t));
  store::run_info info;
  info.id = std::string(stamp) + "-" + opt.name;
  info.name = sc.name;
  info.scenario_name = scenario_name.empty() ? "default" : scenario_name;
  info.scenario_text = scenario_text;
  info.created_at = store::now_unix_ms();
  info.manifest["version"] = BTS_INFRA_VERSION;
  info.manifest["seed"] = sc.seed;
  info.manifest["rate"] = sc.search ? scenarios::describe(*sc.search) : sc.rate.describe();
  if (sc.duration) info.manifest["duration"] = load::format_duration(*sc.duration);
  if (sc.count) info.manifest["count"] = *sc.count;
  boost::json::array node_urls;
  for (const auto& n : sc.nodes) node_urls.emplace_back(n.url);
  info.manifest["nodes"] = std::move(node_urls);
  std::vector<store::beacon_info> beacons{{opt.name, {{"version", BTS_INFRA_VERSION}}}};

  const std::filesystem::path dir =
      out_dir.empty() ? std::filesystem::path("runs") / info.id : std::filesystem::path(out_dir);
  // Created once the fee budget allowed the run (below): a refused run leaves nothing behind.
  std::optional<store::run_directory_writer> writer;
  std::optional<store::results_store> db;

  // Outputs. Elasticsearch is checked now (reachable, credentials, version): one error at start.
  std::unique_ptr<outputs::elasticsearch_output> es;
  std::unique_ptr<std::ofstream> json_out;
  std::shared_ptr<outputs::beacon_metrics> metrics;
  std::unique_ptr<outputs::metrics_server> metrics_srv;
  std::string metrics_listen = opt.metrics_listen;
  for (const auto& sp : specs) {
    if (sp.kind == outputs::output_kind::prometheus && metrics_listen.empty())
      metrics_listen = "127.0.0.1:9464";
    if (sp.kind == outputs::output_kind::elasticsearch) {
      es = std::make_unique<outputs::elasticsearch_output>(sp.elasticsearch);
      es->start();
    }
    if (sp.kind == outputs::output_kind::json) {
      json_out = std::make_unique<std::ofstream>(sp.json_file, std::ios::app);
      if (!*json_out)
        throw input_error("--out json=" + sp.json_file,
                          std::string("cannot open: ") + std::strerror(errno));
    }
  }
  std::string node_list;
  for (const auto& n : sc.nodes) node_list += (node_list.empty() ? "" : ",") + n.url;
  if (!metrics_listen.empty()) {
    metrics = std::make_shared<outputs::beacon_metrics>();
    metrics_srv = std::make_unique<outputs::metrics_server>(
        metrics_listen, [metrics] { return metrics->render(); });
    s.err << "beacon: metrics on http://" << metrics_srv->host() << ":" << metrics_srv->port()
          << "/metrics\n";
  }

  const bool tty = !opt.quiet && isatty(STDERR_FILENO) == 1;
  const double target = sc.rate.is_unlimited() ? 0 : sc.rate.rate_at({});
  beacon::beacon_options bo;
  bo.sc = sc;
  bo.name = opt.name;
  bo.accounts = std::move(accounts);
  // Both run on the beacon's output thread, never on its send thread; writer and db are used by
  // that thread alone until b.run() returns.
  bo.on_block = [&](const store::block_record& block) {
    writer->append_block(block);
    if (db) db->append_blocks(info.id, std::span(&block, 1));
  };
  // Events (start, rate changes, break point, stop, propagation) go to events.jsonl and the
  // store; the start event carries the moment the schedule started, which is second 0 of the
  // rows (setup and pre-signing come before it).
  bool rate_changed = false;     // output thread until run() returns
  double shown_target = target;  // the progress line follows rate changes (search steps)
  bo.on_event = [&](const store::event& e) {
    if (e.kind == store::event_kind::start) {
      info.started_at = e.time;
      writer->update_manifest(info, beacons);
      if (db) db->start_run(info.id, e.time);
    }
    if (e.kind == store::event_kind::rate_change) {
      rate_changed = true;
      if (const auto* to = e.data.if_contains("to"); to && to->is_number())
        shown_target = to->to_number<double>();
    }
    writer->add_event(e);
    if (db) db->add_event(info.id, e);
    if (es) {
      if (e.kind == store::event_kind::start) es->push(outputs::run_document{info, beacons});
      es->push(outputs::event_document{info.id, e});
    }
  };
  bo.on_second = [&](const stats::second_row& row, const stats::second_row& totals) {
    writer->append_second(row);
    if (db) db->append_second(info.id, store::results_store::merged, row);
    if (metrics) metrics->add_row({info.id, opt.name, node_list}, row);
    if (es) {
      es->push(outputs::stats_document{
          info.id, opt.name, true, info.started_at.value_or(info.created_at) + row.second * 1000,
          row});
    }
    if (json_out) *json_out << boost::json::serialize(stats::to_json(row)) << "\n" << std::flush;
    if (tty) {
      const auto& inc = row[stats::latency_kind::inclusion_corrected];
      std::fprintf(stderr,
                   "\r\033[K%4llds  target %s  sent %lld/s  accepted %lld  included %lld  incl p50 "
                   "%s p99 %s  "
                   "rejected %lld  pool %lld",
                   static_cast<long long>(row.second + 1),
                   shown_target > 0
                       ? (std::to_string(static_cast<long long>(shown_target)) + "/s").c_str()
                       : "unlimited",
                   static_cast<long long>(row.sent), static_cast<long long>(totals.accepted),
                   static_cast<long long>(totals.included), fmt_latency(inc.p50).c_str(),
                   fmt_latency(inc.p99).c_str(), static_cast<long long>(totals.rejected),
                   static_cast<long long>(row.pool_depth));
      std::fflush(stderr);
    }
  };

  beacon::beacon b(std::move(bo));
  // Chain facts and the fee budget first: a run the accounts cannot pay ends here, with exit 2
  // and one line ("fee budget: the run needs ~..."), before any run directory or stored run.
  const beacon::fee_budget budget = b.prepare();
  s.err << "beacon: " << budget.describe()
        << (budget.affordable() ? "" : "; going on (--ignore-fee-budget)") << "\n";
  writer.emplace(dir, info, beacons);
  if (!opt.store.empty()) {
    db.emplace(opt.store);
    db->create_run(info);
    db->put_beacon(info.id, beacons[0]);
  }
  if (es) es->push(outputs::run_document{info, beacons});
  if (db) db->start_run(info.id, store::now_unix_ms());
  info.started_at = store::now_unix_ms();
  info.status = store::run_status::running;
  writer->update_manifest(info, beacons);

  running_beacon.store(&b);
  auto previous = std::signal(SIGINT, on_sigint);
  std::signal(SIGTERM, on_sigint);
  beacon::beacon_result r;
  try {
    r = b.run();
  } catch (...) {
    running_beacon.store(nullptr);
    std::signal(SIGINT, previous);
    std::signal(SIGTERM, SIG_DFL);
    info.status = store::run_status::failed;
    info.ended_at = store::now_unix_ms();
    writer->update_manifest(info, beacons);
    if (es) {
      es->push(outputs::run_document{info, beacons});
      es->flush(std::chrono::seconds(10));
    }
    throw;
  }
  running_beacon.store(nullptr);
  std::signal(SIGINT, previous);
  std::signal(SIGTERM, SIG_DFL);
  if (tty) std::fprintf(stderr, "\n");

  stats::summary_options so;
  // A search or a live rate change has no single target rate.
  if (!sc.search && !sc.rate.is_unlimited() &&
      sc.rate.type() == load::rate_profile::kind::constant && !rate_changed)
    so.target_rate = target;
  so.unlimited = sc.rate.is_unlimited();
  so.duration_seconds = r.duration_seconds;
  so.node_tx = r.node_tx;
  const stats::run_summary summary = stats::summarize(r.series, r.cumulative, so);
  boost::json::object sj = stats::to_json(summary);
  boost::json::array notes;
  if (auto* existing = sj.if_contains("notes"); existing && existing->is_array())
    notes = existing->as_array();
  for (const auto& n : r.notes) notes.emplace_back(n);
  sj["notes"] = std::move(notes);
  sj["interrupted"] = r.interrupted;
  // A rate search's outcome (sustained rate, break point, steps) and p2p propagation.
  if (const auto* search = r.info.if_contains("search")) sj["search"] = *search;
  if (const auto* prop = r.info.if_contains("propagation")) sj["propagation"] = *prop;
  if (const auto* fb = r.info.if_contains("fee_budget")) sj["fee_budget"] = *fb;

  for (auto& [k, v] : r.info) info.manifest[k] = v;
  info.ended_at = store::now_unix_ms();
  info.status = r.interrupted ? store::run_status::stopped : store::run_status::completed;
  const auto histograms = store::encode(r.cumulative);
  writer->write_histograms("", histograms);
  writer->write_summary(sj);
  writer->update_manifest(info, beacons);
  if (db) db->finish_run(info.id, info.status, *info.ended_at, sj);
  if (es) {
    es->push(outputs::run_document{info, beacons});
    if (!es->flush(std::chrono::seconds(10))) {
      s.err << "beacon: elasticsearch has not acknowledged everything yet; the rest stays in its "
               "spool and is sent by the next run with the same spool\n";
    }
    es->stop();
  }

  s.out << boost::json::serialize(sj) << "\n";
  s.err << "beacon: run " << info.id << " written to " << dir.string()
        << (db ? " and " + opt.store : "") << "\n";
  return 0;
}

}  // namespace

command make_beacon_command() {
  return {
      "beacon",
      "Stress beacon: pre-signed transactions broadcast at a set rate, with inclusion tracking",
      [](CLI::App& app) -> std::function<int(io&)> {
        app.require_subcommand(1);
        auto ro = std::make_shared<run_options>();
        CLI::App* run =
            app.add_subcommand("run", "Run one beacon against node(s) and write the run");
        run->add_option("--node", ro->nodes,
                        "Node websocket URL (repeat for several; overrides the scenario)");
        run->add_option("--node-load", ro->node_loads,
                        "Where the node's CPU is read, per --node in order: node_exporter:URL, "
                        "metrics:URL, proc:PID, proc:PIDFILE or none (default: the node's own "
                        "/metrics, which the devnet serves)");
        run->add_option("--scenario", ro->scenario_file, "Scenario YAML file (docs/scenarios.md)");
        run->add_option("--preset", ro->preset, "Built-in scenario (see `beacon presets`)");
        run->add_option("--rate", ro->rate,
                        "Constant rate in tx/s (overrides the scenario's load)");
        run->add_flag("--unlimited", ro->unlimited,
                      "As fast as the node answers, within max_in_flight");
        run->add_option("--duration", ro->duration, "Run length such as 30s or 2m");
        run->add_option("--count", ro->count, "Number of transactions to send");
        run->add_option("--accounts", ro->accounts,
                        "Accounts file: \"<name> <WIF>\" lines (beacon provision writes one)");
        run->add_option("--accounts-env", ro->accounts_env,
                        "Environment variable holding the accounts text");
        run->add_option("--run-dir", ro->run_dir, "Run directory (default runs/<run id>)");
        run->add_option("--out", ro->outs,
                        "Output, k6-style, repeatable: prometheus, elasticsearch=URL?options, "
                        "json=FILE (docs/outputs.md); any other value is the run directory");
        run->add_option("--metrics-listen", ro->metrics_listen,
                        "Serve Prometheus GET /metrics on HOST:PORT (implies --out prometheus)");
        run->add_option("--store", ro->store, "SQLite results store to add the run to");
        run->add_option("--name", ro->name, "Beacon name (seeds its transactions; default beacon)");
        run->add_option("--seed", ro->seed, "Random seed (overrides the scenario's)");
        run->add_option("--max-in-flight", ro->max_in_flight, "Window of unanswered broadcasts");
        run->add_flag("--quiet", ro->quiet, "No progress line");
        run->add_flag("--ignore-fee-budget", ro->ignore_fee_budget,
                      "Run even when the accounts cannot pay the scenario's fees (the budget "
                      "is still computed and recorded)");

        auto po = std::make_shared<beacon::provision_options>();
        CLI::App* prov = app.add_subcommand(
            "provision", "Create and fund beacon accounts and the test asset (idempotent)");
        prov->add_option("--node", po->node, "Node websocket URL")->required();
        prov->add_option("--registrar", po->registrar,
                         "Lifetime-member account that registers the accounts")
            ->required();
        prov->add_option("--registrar-wif-file", po->registrar_wif_file,
                         "File holding the registrar's active WIF key")
            ->required();
        prov->add_option("--count", po->count, "Number of accounts")->required();
        prov->add_option("--accounts-out", po->accounts_out, "Accounts file to write (mode 0600)")
            ->required();
        prov->add_option("--prefix", po->name_prefix, "Account name prefix (default beacon-)");
        prov->add_option("--fund", po->fund,
                         "Core asset (smallest units) each account should hold");
        prov->add_option("--asset", po->asset_symbol,
                         "Test asset symbol for limit orders (default BEACON)");
        auto for_scenario = std::make_shared<std::string>();
        prov->add_option("--for-scenario", *for_scenario,
                         "Fund each account with its share of this scenario's fee budget, plus "
                         "its random spread and 10% (instead of --fund)");
        prov->add_flag("--claim-genesis-balance", po->claim_genesis_balance,
                       "First claim the registrar key's genesis balances (balance_claim), as a "
                       "fresh witness_node testnet needs");

        app.add_subcommand("presets", "List the built-in scenario presets");

        CLI::App* serve = app.add_subcommand(
            "serve", "Connect out to an overseer (ws:// or wss://) and run the beacon it commands");
        auto serve_action = setup_beacon_serve(*serve);

        return [&app, ro, po, for_scenario, serve_action](io& s) -> int {
          if (app.got_subcommand("run")) return run_beacon(*ro, s);
          if (app.got_subcommand("serve")) return serve_action(s);
          if (app.got_subcommand("provision")) {
            if (!for_scenario->empty()) {
              po->for_scenario = scenarios::parse_scenario(
                  read_file(*for_scenario, "--for-scenario"), *for_scenario);
              po->for_scenario_source = *for_scenario;
            }
            const beacon::provision_report r = beacon::provision(*po);
            s.out << boost::json::serialize(r.to_json()) << "\n";
            return 0;
          }
          for (const auto& n : scenarios::preset_names()) s.out << n << "\n";
          return 0;
        };
      }};
}

}  // namespace bts::cli
