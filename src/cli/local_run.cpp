#include "cli/local_run.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "beacon/chain_context.hpp"
#include "beacon/fee_budget.hpp"
#include "beacon/provision.hpp"
#include "scenario/scenario.hpp"
#include "load/rate_profile.hpp"
#include "beacon/agent_runner.hpp"
#include "control/agent.hpp"
#include "overseer/overseer.hpp"
#include "rpc/blocking_client.hpp"
#include "util/error.hpp"

namespace bts::cli {

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

// Writes `text` to a new file readable by the owner only (an existing file is replaced).
void write_private(const fs::path& p, const std::string& text) {
  ::unlink(p.c_str());
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw input_error(p.string(), std::string("cannot create: ") + std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = errno;
      ::close(fd);
      throw input_error(p.string(), std::string("cannot write: ") + std::strerror(e));
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

std::string random_token() {
  std::random_device rd;  // getrandom(2) on Linux
  std::ostringstream s;
  for (int i = 0; i < 8; ++i) s << std::hex << std::setw(8) << std::setfill('0') << rd();
  return s.str();
}

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) throw input_error(p.string(), std::string("cannot open: ") + std::strerror(errno));
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

double number(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) return 0;
  if (v->is_int64()) return static_cast<double>(v->as_int64());
  if (v->is_uint64()) return static_cast<double>(v->as_uint64());
  if (v->is_double()) return v->as_double();
  return 0;
}

std::string string_member(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

bool ended(const std::string& status) {
  return status == "completed" || status == "stopped" || status == "failed";
}

}  // namespace

std::string replace_scenario_nodes(const std::string& text, const std::vector<std::string>& nodes,
                                   const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw input_error(source + ":" + std::to_string(e.mark.line + 1), e.msg);
  }
  if (!root.IsMap()) throw input_error(source, "expected a mapping of scenario fields");
  // Endpoint j takes the settings (connections, weight) of the scenario's node j mod k; where
  // the node's load is read is dropped, so each endpoint's own /metrics is used.
  const YAML::Node given = root["nodes"];
  YAML::Node list(YAML::NodeType::Sequence);
  for (std::size_t j = 0; j < nodes.size(); ++j) {
    const YAML::Node like =
        given && given.IsSequence() && given.size() > 0 ? given[j % given.size()] : YAML::Node();
    if (like && like.IsMap()) {
      YAML::Node n = YAML::Clone(like);
      n["url"] = nodes[j];
      n.remove("node_load");
      list.push_back(n);
    } else {
      list.push_back(nodes[j]);
    }
  }
  root["nodes"] = list;
  root.remove("node_metrics_url");
  YAML::Emitter out;
  out << root;
  return std::string(out.c_str()) + "\n";
}

std::string check_nodes_chain_id(const std::vector<std::string>& nodes,
                                 std::chrono::milliseconds timeout) {
  if (nodes.empty()) throw input_error("--node", "at least one node is needed");
  std::string first;
  for (const std::string& url : nodes) {
    rpc::client_options co;
    co.url = url;
    co.call_timeout = timeout;
    co.connect_timeout = timeout;
    co.reconnect = false;  // a node that refuses the connection fails at once
    std::string id;
    try {
      rpc::blocking_client c(co);
      const rpc::call_result r = c.call("database", "get_chain_id", {});
      if (!r) throw input_error("--node " + url, "get_chain_id: " + r.error().to_string());
      if (!r.value().is_string())
        throw input_error("--node " + url,
                          "get_chain_id: expected a string, got " + json::serialize(r.value()));
      id = std::string(r.value().as_string());
    } catch (const input_error& e) {
      if (e.where().starts_with("--node ")) throw;
      throw input_error("--node " + url, e.what());
    }
    if (first.empty()) {
      first = id;
    } else if (id != first) {
      throw input_error("--node " + url,
                        "chain id " + id + " differs from " + first + " of " + nodes.front());
    }
  }
  return first;
}

std::string format_progress(const local_run_progress& p) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(0);
  s << "t=" << std::setw(3) << p.elapsed_s << "s";
  if (p.second < 0) {
    s << "  waiting for the first merged second (" << p.status << ")";
  } else {
    s << "  second " << p.second << ": offered " << p.offered << " accepted " << p.accepted
      << " included " << p.included << " tx/s  p99 inclusion ";
    if (p.inclusion_p99_ms)
      s << std::setprecision(0) << *p.inclusion_p99_ms << " ms";
    else
      s << "-";
    s << "  | total sent " << p.sent_total << " accepted " << p.accepted_total << " included "
      << p.included_total;
  }
  if (p.stopping) s << "  (stopping)";
  return s.str();
}

struct local_run::impl {
  local_run_options opt;
  fs::path out;
  std::mutex log_mu;
  std::ofstream log_file;
  std::unique_ptr<overseer::overseer> ov;
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread io_thread;
  std::vector<std::unique_ptr<control::agent>> agents;
  std::vector<std::string> names;
  std::vector<std::vector<beacon::account_entry>> accounts;
  std::string run_id;
  std::string scenario_text;  // with the nodes replaced
  bool stopped = false;

  void log(const std::string& line) {
    std::lock_guard lock(log_mu);
    log_file << line << "\n";
    log_file.flush();
    if (opt.log) opt.log(line);
  }
};

local_run::local_run(local_run_options o) : impl_(std::make_unique<impl>()) {
  impl& m = *impl_;
  if (o.beacons < 1 || o.beacons > 64) throw input_error("--beacons", "must be between 1 and 64");
  if (o.nodes.empty()) throw input_error("--nodes", "at least one node endpoint is needed");
  if (o.accounts_per_beacon < 1) throw input_error("accounts_per_beacon", "must be at least 1");
  // The scenario is checked as given first, so errors carry the file's own line numbers.
  scenarios::parse_scenario(o.scenario_text, o.scenario_name);
  m.scenario_text = replace_scenario_nodes(o.scenario_text, o.nodes, o.scenario_name);
  if (o.ignore_fee_budget) {
    YAML::Node root = YAML::Load(m.scenario_text);
    root["ignore_fee_budget"] = true;
    YAML::Emitter out;
    out << root;
    m.scenario_text = std::string(out.c_str()) + "\n";
  }
  scenarios::parse_scenario(m.scenario_text, o.scenario_name);

  std::error_code ec;
  fs::create_directories(o.out, ec);
  if (ec) throw input_error("--out " + o.out.string(), ec.message());
  m.out = o.out;
  m.log_file.open(m.out / "run.log", std::ios::app);
  if (!m.log_file) throw input_error("--out " + o.out.string(), "cannot write run.log");

  overseer::overseer_options oo;
  oo.host = o.host;
  oo.port = o.port;
  oo.store = m.out / "results.sqlite";
  oo.beacon_token = random_token();
  oo.admin_token = random_token();
  write_private(m.out / "beacon.token", oo.beacon_token + "\n");
  write_private(m.out / "admin.token", oo.admin_token + "\n");
  impl* mp = &m;
  oo.log = [mp](const std::string& l) { mp->log("overseer: " + l); };
  m.opt = std::move(o);
  m.ov = std::make_unique<overseer::overseer>(std::move(oo));
  m.log("overseer: listening on " + m.opt.host + ":" + std::to_string(m.ov->port()));
}

local_run::~local_run() { stop(); }

std::uint16_t local_run::port() const { return impl_->ov->port(); }

std::string local_run::dashboard_url() const {
  std::string h = impl_->opt.host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  return "http://" + h + ":" + std::to_string(port()) + "/";
}

fs::path local_run::store_path() const { return impl_->out / "results.sqlite"; }
fs::path local_run::log_path() const { return impl_->out / "run.log"; }

beacon::provision_report local_run::provision() {
  impl& m = *impl_;
  if (m.opt.registrar_wif.empty() && m.opt.registrar_wif_file.empty())
    throw input_error("registrar", "no registrar key given");
  // A key given as text goes to provision through a 0600 file, deleted right after.
  fs::path wif_file = m.opt.registrar_wif_file;
  struct remove_after {
    fs::path p;
    ~remove_after() {
      std::error_code ec;
      if (!p.empty()) fs::remove(p, ec);
    }
  } guard;
  if (wif_file.empty()) {
    wif_file = m.out / "registrar.wif";
    write_private(wif_file, m.opt.registrar_wif + "\n");
    guard.p = wif_file;
  }
  beacon::provision_options po;
  po.node = m.opt.nodes.front();
  po.registrar = m.opt.registrar;
  po.registrar_wif_file = wif_file.string();
  po.claim_genesis_balance = m.opt.claim_genesis_balance;
  po.count = static_cast<std::uint32_t>(m.opt.beacons) * m.opt.accounts_per_beacon;
  po.accounts_out = (m.out / "accounts.txt").string();
  po.wait = m.opt.provision_wait;
  // Funded for the scenario as this run gives it (rate and duration overrides), at least the
  // usual amount: a search's worst case can need far more than that.
  {
    scenarios::scenario sc = scenarios::parse_scenario(m.scenario_text, m.opt.scenario_name);
    if (m.opt.rate) {
      sc.search.reset();
      sc.rate = load::rate_profile::constant(*m.opt.rate);
    }
    if (!m.opt.duration.empty()) sc.duration = load::parse_duration(m.opt.duration, "duration");
    if (beacon::estimate_transactions(sc, 3).transactions) {
      po.for_scenario = std::move(sc);
      po.for_scenario_source = m.opt.scenario_name;
      po.min_fund = po.fund;
    }
  }
  const beacon::provision_report r = beacon::provision(po);
  m.log("provision: " + json::serialize(r.to_json()));
  auto all = beacon::parse_accounts(read_file(po.accounts_out), po.accounts_out);
  if (all.size() < m.opt.beacons) {
    throw input_error(po.accounts_out, "provisioned " + std::to_string(all.size()) +
                                           " accounts for " + std::to_string(m.opt.beacons) +
                                           " beacons");
  }
  // Provisioning waited for nodes[0] only; a beacon on another node of a real network must not
  // prepare before that node has the accounts (a block or so later).
  json::array names;
  for (const auto& a : all) names.emplace_back(a.name);
  for (std::size_t j = 1; j < m.opt.nodes.size(); ++j) {
    const std::string& url = m.opt.nodes[j];
    if (url == po.node) continue;
    rpc::client_options co;
    co.url = url;
    co.call_timeout = std::chrono::seconds(10);
    rpc::blocking_client c(co);
    const auto deadline = std::chrono::steady_clock::now() + m.opt.provision_wait;
    for (;;) {
      const rpc::call_result r =
          c.call("database", "lookup_account_names", json::array{json::value(names)});
      std::size_t found = 0;
      if (r.ok() && r.value().is_array()) {
        for (const auto& v : r.value().as_array()) found += v.is_object() ? 1 : 0;
      }
      if (found == names.size()) break;
      if (std::chrono::steady_clock::now() > deadline) {
        throw input_error(url, r.ok()
                                   ? std::to_string(found) + " of " + std::to_string(names.size()) +
                                         " provisioned accounts visible after " +
                                         std::to_string(m.opt.provision_wait.count()) + " s"
                                   : "lookup_account_names: " + r.error().to_string());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
  // Disjoint sets: account i goes to beacon i mod N.
  m.accounts.assign(m.opt.beacons, {});
  for (std::size_t i = 0; i < all.size(); ++i)
    m.accounts[i % m.opt.beacons].push_back(std::move(all[i]));
  return r;
}

void local_run::connect_beacons(std::chrono::seconds timeout) {
  impl& m = *impl_;
  if (m.accounts.size() != m.opt.beacons) throw input_error("beacons", "provision() first");
  m.work.emplace(m.io.get_executor());
  m.io_thread = std::thread([&m] { m.io.run(); });
  std::string host = m.opt.host;
  if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  const std::string url = "ws://" + host + ":" + std::to_string(port());
  const std::string token = read_file(m.out / "beacon.token");
  impl* mp = &m;
  for (std::size_t i = 0; i < m.opt.beacons; ++i) {
    control::agent_options ao;
    ao.overseer = url;
    ao.name = "beacon-" + std::to_string(i + 1);
    ao.token = token.substr(0, token.find('\n'));
    ao.make_runner = beacon::beacon_runner(m.accounts[i]);
    ao.log = [mp, n = ao.name](const std::string& l) { mp->log(n + ": " + l); };
    m.names.push_back(ao.name);
    m.agents.push_back(std::make_unique<control::agent>(m.io.get_executor(), std::move(ao)));
    m.agents.back()->start();
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::size_t connected = 0;
    for (const auto& v : m.ov->beacons_json()) {
      if (string_member(v.as_object(), "connection") == "connected") ++connected;
    }
    if (connected >= m.opt.beacons) break;
    if (std::chrono::steady_clock::now() > deadline) {
      throw input_error("beacons",
                        std::to_string(connected) + " of " + std::to_string(m.opt.beacons) +
                            " beacons connected within " + std::to_string(timeout.count()) +
                            " s (see " + log_path().string() + ")");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  m.log("beacons: " + std::to_string(m.opt.beacons) + " connected to " + url);
}

std::string local_run::create_and_start(std::chrono::seconds timeout) {
  impl& m = *impl_;
  overseer::run_request rq;
  rq.scenario_name = m.opt.scenario_name;
  rq.scenario_text = m.scenario_text;
  rq.beacons = m.names;
  rq.rate = m.opt.rate;
  rq.duration = m.opt.duration;
  const json::object created = m.ov->create_run(rq);
  m.run_id = string_member(created, "id");
  m.log("run " + m.run_id + ": created " + json::serialize(created));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    std::size_t prepared = 0;
    for (const auto& v : m.ov->beacons_json()) {
      const json::object& b = v.as_object();
      if (string_member(b, "run") != m.run_id) continue;
      const std::string state = string_member(b, "state");
      if (state == "failed" || !string_member(b, "last_command_error").empty()) {
        std::string why = string_member(b, "last_command_error");
        if (why.empty()) why = string_member(b, "error");
        throw input_error("beacon " + string_member(b, "name"), "cannot prepare: " + why);
      }
      if (state == "prepared") ++prepared;
    }
    if (prepared >= m.names.size()) break;
    if (std::chrono::steady_clock::now() > deadline) {
      throw input_error("run " + m.run_id, std::to_string(prepared) + " of " +
                                               std::to_string(m.names.size()) +
                                               " beacons prepared in time");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const json::object started = m.ov->start_run(m.run_id);
  m.log("run " + m.run_id + ": " + json::serialize(started));
  return m.run_id;
}

local_run_result local_run::wait(const std::function<void(const local_run_progress&)>& on_progress,
                                 const std::function<int()>& stop_requests) {
  impl& m = *impl_;
  local_run_result res;
  res.run_id = m.run_id;
  const auto t0 = std::chrono::steady_clock::now();
  auto next = t0 + std::chrono::seconds(1);
  int stops_sent = 0;
  std::optional<std::chrono::steady_clock::time_point> give_up;
  // A run with a duration that has not ended a minute after it is stopped, so the wait is
  // bounded even if a beacon hangs.
  std::optional<std::chrono::steady_clock::time_point> overrun;
  {
    const scenarios::scenario sc = scenarios::parse_scenario(m.scenario_text, m.opt.scenario_name);
    std::optional<std::chrono::nanoseconds> d = sc.duration;
    if (!m.opt.duration.empty()) d = load::parse_duration(m.opt.duration, "duration");
    if (d) {
      overrun = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(*d) +
                std::chrono::seconds(60);
    }
  }
  std::int64_t sent = 0, accepted = 0, included = 0, from = 0, last_second = -1;
  json::object last_row;
  for (;;) {
    const int requests = stop_requests ? stop_requests() : 0;
    json::object run = m.ov->run_json(m.run_id);
    std::string status = string_member(run, "status");
    const bool overran = overrun && std::chrono::steady_clock::now() > *overrun;
    if ((requests > 0 || overran) && stops_sent == 0 && !ended(status)) {
      res.interrupted = requests > 0;
      m.log(
          "run " + m.run_id +
          (overran ? ": still running a minute past its duration, stopping" : ": stop requested"));
      try {
        m.ov->stop_run(m.run_id);
      } catch (const input_error&) {
        // ended meanwhile
      }
      stops_sent = 1;
      // The beacons drain (up to a third of their drain timeout) and report their last rows.
      give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    }
    if (requests > 1 || (give_up && std::chrono::steady_clock::now() > *give_up)) {
      m.log("run " + m.run_id + ": gave up waiting for the beacons to finish");
      res.status = status;
      break;
    }
    if (ended(status)) {
      res.status = status;
      for (const auto& v : m.ov->beacons_json()) {
        const json::object& b = v.as_object();
        if (string_member(b, "run") == m.run_id && !string_member(b, "error").empty())
          res.errors.push_back(string_member(b, "name") + ": " + string_member(b, "error"));
      }
      if (const json::value* s = run.if_contains("summary"); s != nullptr && s->is_object())
        res.summary = s->as_object();
      break;
    }
    if (std::chrono::steady_clock::now() >= next) {
      next += std::chrono::seconds(1);
      for (const auto& v : m.ov->series_json(m.run_id, "", from)) {
        const json::object& row = v.as_object();
        sent += static_cast<std::int64_t>(number(row, "sent"));
        accepted += static_cast<std::int64_t>(number(row, "accepted"));
        included += static_cast<std::int64_t>(number(row, "included"));
        last_second = static_cast<std::int64_t>(number(row, "second"));
        from = last_second + 1;
        last_row = row;
      }
      local_run_progress p;
      p.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      p.second = last_second;
      p.status = status;
      p.stopping = stops_sent > 0;
      p.sent_total = sent;
      p.accepted_total = accepted;
      p.included_total = included;
      if (last_second >= 0) {
        p.offered = number(last_row, "offered");
        p.accepted = number(last_row, "accepted");
        p.included = number(last_row, "included");
        if (const json::value* l = last_row.if_contains("latency_us"); l && l->is_object()) {
          if (const json::value* d = l->as_object().if_contains("inclusion_corrected");
              d && d->is_object() && number(d->as_object(), "count") > 0) {
            p.inclusion_p99_ms = number(d->as_object(), "p99") / 1000.0;
          }
        }
      }
      if (on_progress) on_progress(p);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  m.ov->flush();
  m.log("run " + m.run_id + ": " + res.status);
  return res;
}

void local_run::stop() {
  impl& m = *impl_;
  if (m.stopped) return;
  m.stopped = true;
  for (auto& a : m.agents) a->close();
  if (m.ov) m.ov->stop();
  m.agents.clear();
  m.work.reset();
  m.io.stop();
  if (m.io_thread.joinable()) m.io_thread.join();
}

}  // namespace bts::cli
