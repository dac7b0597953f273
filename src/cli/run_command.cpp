// `bts-infra run PRESET|FILE`: the whole stress test in one command — the overseer (store and
// dashboard) and N real beacons running one scenario against a devnet with several endpoints, or
// against existing nodes — then printing where the results are.
//
//   run real-user-activity [--beacons 3] [--nodes 3] [--rate R] [--duration D] [--out DIR]
//       [--listen 127.0.0.1:0] [--keep-serving]
//   run real-user-activity --node URL [--node URL ...] [--registrar nathan]
//       --registrar-wif-file F [--claim-genesis-balance] [...]
//
// Without --node the devnet runs in this process (its chain under DIR/devnet) and nathan with the
// development key provisions the accounts. With --node every node is asked for its chain id
// first (they must all agree), and the registrar provisions the accounts on the first node; its
// key is read from the file by provisioning and never copied, printed or logged. The overseer and
// the beacons run in this process (local_run). Progress goes to stderr once a second;
// the result (store, run id, nodes and chain, dashboard, report command) to stdout. Ctrl-C stops
// the run cleanly, keeping what was measured; a second Ctrl-C stops waiting for the beacons.
// Each beacon checks its fee budget at its start (beacon/fee_budget.hpp): when its accounts cannot
// pay its share of the scenario the run fails, and the beacons' refusals (with the numbers) are
// printed with the result; --ignore-fee-budget runs anyway.
// Exit 0 when the run completed, 130 when it was interrupted, 1 when it failed, 2 for bad input
// (unreachable nodes and nodes on different chains included).
#include <CLI/CLI.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <boost/system/system_error.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "scenario/scenario.hpp"
#include "cli/command.hpp"
#include "crypto/keys.hpp"
#include "devnet/devnet.hpp"
#include "load/rate_profile.hpp"
#include "cli/local_run.hpp"
#include "rpc/url.hpp"
#include "stats/json_io.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"

namespace bts::cli {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// The genesis registrar of the built-in devnet genesis: bitshares-core's public development key
// (sha256("nathan")), as `devnet --help` prints it. Not a secret; it still travels through a 0600
// file, never argv or logs.
constexpr const char* dev_registrar_wif = "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3";

std::atomic<int> stop_requests{0};
extern "C" void on_run_signal(int) { stop_requests.fetch_add(1); }

struct signal_scope {
  using handler = void (*)(int);
  handler prev_int, prev_term;
  signal_scope() {
    stop_requests.store(0);
    prev_int = std::signal(SIGINT, on_run_signal);
    prev_term = std::signal(SIGTERM, on_run_signal);
  }
  ~signal_scope() {
    std::signal(SIGINT, prev_int);
    std::signal(SIGTERM, prev_term);
  }
};

struct run_flags {
  std::string scenario;
  std::size_t beacons = 3;
  std::size_t nodes = 3;
  bool nodes_given = false;            // --nodes was on the command line
  std::vector<std::string> node_urls;  // --node, each possibly comma-separated
  std::string registrar = "nathan";
  bool registrar_given = false;
  std::string registrar_wif_file;
  bool claim_genesis_balance = false;
  std::string rate;
  std::string duration;
  std::string out;
  std::string listen = "127.0.0.1:0";
  std::uint32_t accounts_per_beacon = 4;
  bool keep_serving = false;
  bool ignore_fee_budget = false;
};

// The --node values, comma-separated lists split, each a ws://, wss://, http:// or https:// URL.
std::vector<std::string> parse_nodes(const std::vector<std::string>& given) {
  std::vector<std::string> urls;
  for (const std::string& v : given) {
    std::size_t at = 0;
    for (;;) {
      const std::size_t comma = v.find(',', at);
      std::string u = v.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
      u.erase(0, u.find_first_not_of(" \t"));
      u.erase(u.find_last_not_of(" \t") + 1);
      bool ok = false;
      for (const char* scheme : {"ws://", "wss://", "http://", "https://"}) {
        const std::string sc = scheme;
        if (u.size() > sc.size() && u.compare(0, sc.size(), sc) == 0) ok = true;
      }
      if (!ok) {
        throw input_error("--node",
                          "expected a ws://, wss://, http:// or https:// URL, got \"" + u + "\"");
      }
      urls.push_back(std::move(u));
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
  }
  return urls;
}

// Checks that the registrar key file can be read and holds a WIF key (its first line that is
// neither blank nor a #comment, as beacon::provision reads it). The key is wiped, not kept.
void check_registrar_wif_file(const std::string& file) {
  const std::string where = "--registrar-wif-file " + file;
  std::ifstream f(file, std::ios::binary);
  if (!f) throw input_error(where, "cannot read the file");
  std::string line;
  std::string wif;
  while (std::getline(f, line)) {
    const std::size_t b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos || line[b] == '#') continue;
    const std::size_t e = line.find_last_not_of(" \t\r");
    wif = line.substr(b, e - b + 1);
    break;
  }
  std::fill(line.begin(), line.end(), '\0');
  struct wipe {
    std::string& s;
    ~wipe() { std::fill(s.begin(), s.end(), '\0'); }
  } wipe_wif{wif};
  if (wif.empty()) throw input_error(where, "no WIF key in the file");
  try {
    (void)crypto::private_key::from_wif(wif);
  } catch (const input_error& e) {
    throw input_error(where, e.problem());
  }
}

// The websocket URL of a node given as http(s)://: the beacons stream over websockets, which
// witness_node serves on the same port (and path) as HTTP.
std::string websocket_url(const std::string& url) {
  if (url.rfind("http://", 0) == 0) return "ws://" + url.substr(7);
  if (url.rfind("https://", 0) == 0) return "wss://" + url.substr(8);
  return url;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : sep) + x;
  return out;
}

// The in-process devnet: endpoints on ephemeral loopback ports, chain under `dir`, run by two
// threads; stopped and joined on destruction.
struct local_devnet {
  boost::asio::io_context io{2};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work =
      boost::asio::make_work_guard(io);
  std::optional<devnet::devnet> chain;
  std::vector<std::thread> threads;

  local_devnet(std::size_t nodes, const fs::path& dir) {
    devnet::devnet_options dopt;
    dopt.host = "127.0.0.1";
    dopt.port = 0;
    dopt.nodes = nodes;
    dopt.data_dir = dir;
    chain.emplace(io.get_executor(), std::move(dopt));
    chain->start();
    for (int i = 0; i < 2; ++i) threads.emplace_back([this] { io.run(); });
  }
  ~local_devnet() {
    if (chain) chain->stop();
    io.stop();
    for (auto& t : threads) t.join();
  }
  local_devnet(const local_devnet&) = delete;
  local_devnet& operator=(const local_devnet&) = delete;
};

// A preset name or a scenario file: (source name for messages, text).
std::pair<std::string, std::string> load_scenario(const std::string& arg) {
  const bool looks_like_file = arg.find('/') != std::string::npos || arg.ends_with(".yaml") ||
                               arg.ends_with(".yml") || arg.ends_with(".json");
  if (fs::exists(arg) || looks_like_file) {
    std::ifstream f(arg, std::ios::binary);
    if (!f) throw input_error(arg, "cannot read the scenario file");
    std::ostringstream s;
    s << f.rdbuf();
    return {arg, s.str()};
  }
  try {
    return {arg, scenarios::preset_text(arg)};
  } catch (const input_error& e) {
    throw input_error("PRESET", e.problem());
  }
}

std::string default_out() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::ostringstream s;
  s << "results/run-" << std::put_time(&tm, "%Y%m%d-%H%M%S");
  return s.str();
}

std::string shell_quote(const std::string& s) {
  if (s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=") ==
      std::string::npos)
    return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

using stats::json::find_path;

std::string text_of(const json::value* v) {
  if (v == nullptr || v->is_null()) return "-";
  if (v->is_string()) return std::string(v->as_string());
  if (v->is_double()) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(2) << v->as_double();
    std::string t = s.str();
    while (t.back() == '0') t.pop_back();
    if (t.back() == '.') t.pop_back();
    return t;
  }
  return json::serialize(*v);
}

int run_local(const run_flags& f, io& s) {
  const auto [source, text] = load_scenario(f.scenario);
  if (f.nodes < 1 || f.nodes > 64) throw input_error("--nodes", "must be between 1 and 64");
  if (f.beacons < 1 || f.beacons > 64) throw input_error("--beacons", "must be between 1 and 64");
  if (f.accounts_per_beacon < 1) throw input_error("--accounts-per-beacon", "must be at least 1");
  const std::vector<std::string> node_urls = parse_nodes(f.node_urls);
  const bool real = !node_urls.empty();
  if (real) {
    if (f.nodes_given) {
      throw input_error("--nodes",
                        "cannot be combined with --node (--nodes is the number of "
                        "devnet endpoints; --node runs against existing nodes)");
    }
    if (f.registrar.empty()) throw input_error("--registrar", "expected an account name");
    if (f.registrar_wif_file.empty()) {
      throw input_error("--registrar-wif-file",
                        "required with --node (a file holding the registrar's active WIF key)");
    }
    check_registrar_wif_file(f.registrar_wif_file);
  } else {
    const char* devnet_only =
        "only with --node (on the devnet nathan provisions with the development key)";
    if (!f.registrar_wif_file.empty()) throw input_error("--registrar-wif-file", devnet_only);
    if (f.registrar_given) throw input_error("--registrar", devnet_only);
  }
  local_run_options o;
  o.scenario_name = source;
  o.scenario_text = text;
  o.beacons = f.beacons;
  o.accounts_per_beacon = f.accounts_per_beacon;
  if (!f.rate.empty()) o.rate = load::parse_sending_rate(f.rate, "--rate");
  if (!f.duration.empty()) load::parse_duration(f.duration, "--duration");
  o.duration = f.duration;
  o.ignore_fee_budget = f.ignore_fee_budget;
  const auto [host, port] = rpc::parse_host_port(f.listen, "--listen");
  o.host = host;
  o.port = port;
  o.out = f.out.empty() ? default_out() : f.out;
  const bool claims = !real || f.claim_genesis_balance;
  if (real) {
    o.registrar = f.registrar;
    o.registrar_wif_file = fs::absolute(f.registrar_wif_file).string();
    o.claim_genesis_balance = f.claim_genesis_balance;
  } else {
    o.registrar_wif = dev_registrar_wif;
    o.claim_genesis_balance = true;  // the devnet's genesis allocation waits in 1.15.0
  }
  // Checks the scenario (file:line) before anything starts.
  scenarios::parse_scenario(text, source);

  // Existing nodes: every one answers and all are on one chain, before anything is started or
  // written.
  std::string chain_id;
  if (real) {
    s.err << "run: checking " << node_urls.size() << (node_urls.size() == 1 ? " node" : " nodes")
          << ": " << join(node_urls, ", ") << std::endl;
    chain_id = check_nodes_chain_id(node_urls);
  }

  signal_scope signals;
  std::error_code ec;
  fs::create_directories(o.out, ec);
  if (ec) throw input_error("--out " + o.out.string(), ec.message());
  o.out = fs::absolute(o.out);

  // The nodes: the given ones, or a devnet in this process (chain under out/devnet).
  std::optional<local_devnet> dev;
  if (real) {
    for (const auto& u : node_urls) o.nodes.push_back(websocket_url(u));
    s.err << "run: nodes " << join(o.nodes, ", ") << " chain_id " << chain_id << std::endl;
  } else {
    dev.emplace(f.nodes, o.out / "devnet");
    o.nodes = dev->chain->endpoints();
    chain_id = to_hex(dev->chain->chain_id());
    s.err << "run: " << dev->chain->banner() << std::endl;
  }
  const std::vector<std::string> nodes = o.nodes;
  const std::string over = std::to_string(nodes.size()) +
                           (real ? (nodes.size() == 1 ? " node" : " nodes")
                                 : (nodes.size() == 1 ? " devnet endpoint" : " devnet endpoints"));

  const std::string listen = f.listen;
  std::optional<local_run> lr_storage;
  try {
    lr_storage.emplace(std::move(o));
  } catch (const boost::system::system_error& e) {
    throw input_error("--listen " + listen, "cannot listen: " + e.code().message());
  }
  local_run& lr = *lr_storage;
  const fs::path out = lr.store_path().parent_path();
  s.err << "run: overseer and dashboard at " << lr.dashboard_url() << " (log " << lr.log_path()
        << ")" << std::endl;
  auto interrupted = [&s] {
    if (stop_requests.load() == 0) return false;
    s.err << "run: interrupted before the run started\n";
    return true;
  };
  s.err << "run: provisioning " << f.beacons * f.accounts_per_beacon << " accounts for "
        << f.beacons << " beacons on " << nodes.front() << " through "
        << (real ? f.registrar : std::string("nathan"))
        << (claims ? " (claiming its genesis balances first)" : "") << std::endl;
  const beacon::provision_report pr = lr.provision();
  s.err << "run: accounts: " << pr.created << " created, " << pr.existing << " existing, "
        << pr.funded << " funded";
  if (pr.claimed > 0) {
    s.err << "; claimed " << pr.claimed << " genesis balance(s) (" << pr.claimed_core
          << " core asset units)";
  }
  s.err << std::endl;
  if (interrupted()) return 130;
  lr.connect_beacons();
  if (interrupted()) return 130;
  const std::string id = lr.create_and_start();
  s.err << "run: " << id << " started: " << source << " with " << f.beacons << " beacons over "
        << over << " of chain " << chain_id.substr(0, 8)
        << " (Ctrl-C stops it and keeps what was measured)" << std::endl;
  const local_run_result r = lr.wait(
      [&s](const local_run_progress& p) {
        s.err << "run: " << format_progress(p) << std::endl;
      },
      [] { return stop_requests.load(); });

  const fs::path store = lr.store_path();
  std::ostringstream o_;
  o_ << "run " << id << ": " << r.status << "\n";
  for (const auto& e : r.errors) o_ << "  " << e << "\n";
  if (!r.summary.empty()) {
    const json::object& sm = r.summary;
    o_ << "  sent " << text_of(find_path(sm, {"totals", "sent"})) << "  accepted "
       << text_of(find_path(sm, {"totals", "accepted"})) << "  rejected "
       << text_of(find_path(sm, {"totals", "rejected"})) << "  unanswered "
       << text_of(find_path(sm, {"totals", "unanswered"})) << "  included "
       << text_of(find_path(sm, {"totals", "included"})) << "\n";
    o_ << "  tx/s offered " << text_of(find_path(sm, {"rates_tx_per_s", "offered"})) << "  accepted "
       << text_of(find_path(sm, {"rates_tx_per_s", "accepted"})) << "  included "
       << text_of(find_path(sm, {"rates_tx_per_s", "included"})) << "  inclusion ratio "
       << text_of(find_path(sm, {"ratios", "inclusion"})) << "\n";
    if (const json::value* p99 = find_path(sm, {"latency_us", "inclusion_corrected", "p99"});
        p99 != nullptr && p99->is_number()) {
      o_ << "  inclusion latency p99 " << std::fixed << std::setprecision(0)
         << p99->to_number<double>() / 1000.0 << " ms\n";
    }
  }
  o_ << "store      " << store.string() << "\n";
  o_ << "run id     " << id << "\n";
  o_ << "nodes      " << join(nodes, ",") << (real ? "\n" : " (devnet)\n");
  o_ << "chain id   " << chain_id << "\n";
  o_ << "dashboard  " << lr.dashboard_url()
     << (f.keep_serving ? " (served until Ctrl-C)\n"
                        : " (was live during the run; --keep-serving)\n");
  o_ << "report     bts-infra report --store " << shell_quote(store.string()) << " " << id
     << " --out " << shell_quote((out / "report").string()) << "\n";
  const std::string base = lr.dashboard_url().substr(0, lr.dashboard_url().size() - 1);
  o_ << "ctl        bts-infra ctl --overseer " << base << " --admin-token-file "
     << shell_quote((out / "admin.token").string()) << " status " << id
     << (f.keep_serving ? "\n" : " (with --keep-serving)\n");
  o_ << "logs       " << lr.log_path().string() << "\n";
  s.out << o_.str() << std::flush;

  if (f.keep_serving && stop_requests.load() < 2) {
    s.err << "run: serving the dashboard at " << lr.dashboard_url() << " until Ctrl-C" << std::endl;
    const int seen = stop_requests.load();
    while (stop_requests.load() == seen)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  lr.stop();
  if (r.status == "completed") return 0;
  if (r.interrupted) return 130;
  return 1;
}

}  // namespace

command make_run_command() {
  return {
      "run",
      "The whole stress test in one command: the overseer and N beacons run a scenario against "
      "a local devnet or existing nodes (--node) and store it",
      [](CLI::App& app) -> std::function<int(io&)> {
        auto f = std::make_shared<run_flags>();
        app.footer(
            "Without --node: starts a local devnet with several endpoints (--nodes), provisions "
            "accounts for every beacon through nathan, starts the overseer (SQLite store, JSON "
            "API, dashboard) and N real beacons connected to it over loopback, runs the "
            "scenario through the overseer against the devnet's endpoints and prints where the "
            "results are.\n\n"
            "With --node URL (repeatable or comma-separated; ws://, wss://, http://, https://, "
            "where the beacons use an http(s) node's port over websocket, as witness_node "
            "serves both): the same against existing nodes, e.g. a testnet. Every node must answer "
            "get_chain_id with the same chain id (checked first); the registrar (--registrar, "
            "a lifetime member) provisions the beacons' accounts on the first node with the key "
            "in --registrar-wif-file, which is never copied, printed or logged; "
            "--claim-genesis-balance first claims the registrar key's genesis balances "
            "(balance_claim, idempotent), as a fresh testnet needs. On the devnet nathan's are "
            "always claimed.\n\n"
            "Ctrl-C stops the run and keeps what was measured.");
        app.add_option(
               "PRESET|FILE", f->scenario,
               "A preset name (" +
                   [] {
                     std::string k;
                     for (const auto& n : scenarios::preset_names()) k += (k.empty() ? "" : ", ") + n;
                     return k;
                   }() +
                   ") or a scenario YAML file")
            ->required();
        app.add_option("--beacons", f->beacons, "Beacons (in this process)")->capture_default_str();
        CLI::Option* nodes_opt =
            app.add_option("--nodes", f->nodes, "Devnet API endpoints (not with --node)")
                ->capture_default_str();
        app.add_option("--node", f->node_urls,
                       "Run against this existing node instead of a devnet (repeatable, or "
                       "comma-separated URLs)")
            ->allow_extra_args(false);
        CLI::Option* registrar_opt =
            app.add_option("--registrar", f->registrar,
                           "With --node: lifetime-member account that provisions the beacons' "
                           "accounts")
                ->capture_default_str();
        app.add_option("--registrar-wif-file", f->registrar_wif_file,
                       "With --node (required): file holding the registrar's active WIF key");
        app.add_flag(
            "--claim-genesis-balance", f->claim_genesis_balance,
            "With --node: first claim the registrar key's genesis balances (balance_claim)");
        app.add_option("--rate", f->rate, "Total rate in tx/s (default: the scenario's)");
        app.add_option("--duration", f->duration, "Run length, e.g. 60s (default: the scenario's)");
        app.add_option("--out", f->out,
                       "Output directory: store, tokens, accounts, devnet chain, log "
                       "(default results/run-<UTC timestamp>)");
        app.add_option("--listen", f->listen,
                       "HOST:PORT of the overseer and its dashboard (port 0: ephemeral)")
            ->capture_default_str();
        app.add_option("--accounts-per-beacon", f->accounts_per_beacon,
                       "Accounts provisioned for each beacon")
            ->capture_default_str();
        app.add_flag("--ignore-fee-budget", f->ignore_fee_budget,
                     "Run even when the beacons' accounts cannot pay the scenario's fees");
        app.add_flag("--keep-serving", f->keep_serving,
                     "Keep the overseer and dashboard up after the run until Ctrl-C");
        return [f, nodes_opt, registrar_opt](io& s) {
          f->nodes_given = nodes_opt->count() > 0;
          f->registrar_given = registrar_opt->count() > 0;
          return run_local(*f, s);
        };
      }};
}

}  // namespace bts::cli
