// `bts-infra run PRESET|FILE`: the whole stress test on one machine — a devnet with several
// endpoints, the overseer (store and dashboard) and N real beacons — running one scenario, then
// printing where the results are.
//
//   run real-user-activity [--beacons 3] [--nodes 3] [--rate R] [--duration D] [--out DIR]
//       [--listen 127.0.0.1:0] [--keep-serving]
//
// The devnet runs in this process (its chain under DIR/devnet); the overseer and the beacons too
// (overseer::local_run). Progress goes to stderr once a second; the result (store, run id,
// dashboard, report command) to stdout. Ctrl-C stops the run cleanly, keeping what was measured;
// a second Ctrl-C stops waiting for the beacons. Exit 0 when the run completed, 130 when it was
// interrupted, 1 when it failed.
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

#include "beacon/scenario.hpp"
#include "cli/command.hpp"
#include "devnet/devnet.hpp"
#include "load/rate_profile.hpp"
#include "overseer/local_run.hpp"
#include "util/error.hpp"

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
  std::string rate;
  std::string duration;
  std::string out;
  std::string listen = "127.0.0.1:0";
  std::uint32_t accounts_per_beacon = 4;
  bool keep_serving = false;
};

std::pair<std::string, std::uint16_t> parse_listen(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    throw input_error("--listen", "expected HOST:PORT, got \"" + text + "\"");
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  unsigned long port = 0;
  try {
    std::size_t used = 0;
    port = std::stoul(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    throw input_error("--listen", "expected HOST:PORT, got \"" + text + "\"");
  }
  if (port > 65535) throw input_error("--listen", "port must be at most 65535");
  return {host, static_cast<std::uint16_t>(port)};
}

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
    return {arg, beacon::preset_text(arg)};
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

const json::value* path(const json::object& o, std::initializer_list<const char*> keys) {
  const json::value* v = nullptr;
  const json::object* cur = &o;
  for (const char* k : keys) {
    if (cur == nullptr) return nullptr;
    v = cur->if_contains(k);
    if (v == nullptr) return nullptr;
    cur = v->is_object() ? &v->as_object() : nullptr;
  }
  return v;
}

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
  overseer::local_run_options o;
  o.scenario_name = source;
  o.scenario_text = text;
  o.beacons = f.beacons;
  o.accounts_per_beacon = f.accounts_per_beacon;
  if (!f.rate.empty()) {
    try {
      std::size_t used = 0;
      const double r = std::stod(f.rate, &used);
      if (used != f.rate.size() || !(r > 0)) throw std::invalid_argument("rate");
      o.rate = r;
    } catch (const std::exception&) {
      throw input_error("--rate", "expected a rate in tx/s > 0, got \"" + f.rate + "\"");
    }
  }
  if (!f.duration.empty()) load::parse_duration(f.duration, "--duration");
  o.duration = f.duration;
  const auto [host, port] = parse_listen(f.listen);
  o.host = host;
  o.port = port;
  o.out = f.out.empty() ? default_out() : f.out;
  o.registrar_wif = dev_registrar_wif;
  // Checks the scenario (file:line) before anything starts.
  beacon::parse_scenario(text, source);

  signal_scope signals;
  std::error_code ec;
  fs::create_directories(o.out, ec);
  if (ec) throw input_error("--out " + o.out.string(), ec.message());
  o.out = fs::absolute(o.out);

  // The devnet: in this process, endpoints on ephemeral loopback ports, chain under out/devnet.
  boost::asio::io_context devnet_io(2);
  auto devnet_work = boost::asio::make_work_guard(devnet_io);
  devnet::devnet_options dopt;
  dopt.host = "127.0.0.1";
  dopt.port = 0;
  dopt.nodes = f.nodes;
  dopt.data_dir = o.out / "devnet";
  devnet::devnet chain(devnet_io.get_executor(), std::move(dopt));
  chain.start();
  std::vector<std::thread> devnet_threads;
  for (int i = 0; i < 2; ++i) devnet_threads.emplace_back([&devnet_io] { devnet_io.run(); });
  struct devnet_stopper {
    devnet::devnet& d;
    boost::asio::io_context& io;
    std::vector<std::thread>& threads;
    ~devnet_stopper() {
      d.stop();
      io.stop();
      for (auto& t : threads) t.join();
    }
  } stop_devnet{chain, devnet_io, devnet_threads};
  o.nodes = chain.endpoints();
  s.err << "run: " << chain.banner() << std::endl;

  const std::string listen = f.listen;
  std::optional<overseer::local_run> lr_storage;
  try {
    lr_storage.emplace(std::move(o));
  } catch (const boost::system::system_error& e) {
    throw input_error("--listen " + listen, "cannot listen: " + e.code().message());
  }
  overseer::local_run& lr = *lr_storage;
  const fs::path out = lr.store_path().parent_path();
  s.err << "run: overseer and dashboard at " << lr.dashboard_url() << " (log " << lr.log_path()
        << ")" << std::endl;
  auto interrupted = [&s] {
    if (stop_requests.load() == 0) return false;
    s.err << "run: interrupted before the run started\n";
    return true;
  };
  s.err << "run: provisioning " << f.beacons * f.accounts_per_beacon << " accounts for "
        << f.beacons << " beacons" << std::endl;
  lr.provision();
  if (interrupted()) return 130;
  lr.connect_beacons();
  if (interrupted()) return 130;
  const std::string id = lr.create_and_start();
  s.err << "run: " << id << " started: " << source << " with " << f.beacons << " beacons over "
        << f.nodes << " endpoints (Ctrl-C stops it and keeps what was measured)" << std::endl;
  const overseer::local_run_result r = lr.wait(
      [&s](const overseer::local_run_progress& p) {
        s.err << "run: " << overseer::format_progress(p) << std::endl;
      },
      [] { return stop_requests.load(); });

  const fs::path store = lr.store_path();
  std::ostringstream o_;
  o_ << "run " << id << ": " << r.status << "\n";
  if (!r.summary.empty()) {
    const json::object& sm = r.summary;
    o_ << "  sent " << text_of(path(sm, {"totals", "sent"})) << "  accepted "
       << text_of(path(sm, {"totals", "accepted"})) << "  rejected "
       << text_of(path(sm, {"totals", "rejected"})) << "  unanswered "
       << text_of(path(sm, {"totals", "unanswered"})) << "  included "
       << text_of(path(sm, {"totals", "included"})) << "\n";
    o_ << "  tx/s offered " << text_of(path(sm, {"rates_tx_per_s", "offered"})) << "  accepted "
       << text_of(path(sm, {"rates_tx_per_s", "accepted"})) << "  included "
       << text_of(path(sm, {"rates_tx_per_s", "included"})) << "  inclusion ratio "
       << text_of(path(sm, {"ratios", "inclusion"})) << "\n";
    if (const json::value* p99 = path(sm, {"latency_us", "inclusion_corrected", "p99"});
        p99 != nullptr && p99->is_number()) {
      o_ << "  inclusion latency p99 " << std::fixed << std::setprecision(0)
         << p99->to_number<double>() / 1000.0 << " ms\n";
    }
  }
  o_ << "store      " << store.string() << "\n";
  o_ << "run id     " << id << "\n";
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
      "Everything on one machine: a devnet, the overseer and N beacons run a scenario and "
      "store it",
      [](CLI::App& app) -> std::function<int(io&)> {
        auto f = std::make_shared<run_flags>();
        app.footer(
            "Starts a local devnet with several endpoints, provisions accounts for every "
            "beacon, starts the overseer (SQLite store, JSON API, dashboard) and N real "
            "beacons connected to it over loopback, runs the scenario through the overseer "
            "against the devnet's endpoints and prints where the results are. Ctrl-C stops "
            "the run and keeps what was measured.");
        app.add_option(
               "PRESET|FILE", f->scenario,
               "A preset name (" +
                   [] {
                     std::string k;
                     for (const auto& n : beacon::preset_names()) k += (k.empty() ? "" : ", ") + n;
                     return k;
                   }() +
                   ") or a scenario YAML file")
            ->required();
        app.add_option("--beacons", f->beacons, "Beacons (in this process)")->capture_default_str();
        app.add_option("--nodes", f->nodes, "Devnet API endpoints")->capture_default_str();
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
        app.add_flag("--keep-serving", f->keep_serving,
                     "Keep the overseer and dashboard up after the run until Ctrl-C");
        return [f](io& s) { return run_local(*f, s); };
      }};
}

}  // namespace bts::cli
