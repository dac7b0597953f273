// `bts-infra ctl --overseer URL ...`: the overseer's JSON API for scripts.
//
//   ctl --overseer http://127.0.0.1:8700 beacons
//   ctl ... runs | status RUN | series RUN [--beacon B] [--from N]
//   ctl ... create (--scenario FILE | --preset NAME) [--beacons a,b] [--rate N] [--duration 60s]
//               [--ignore-fee-budget]
//   ctl ... start RUN [--delay-ms N] | stop RUN | rate RUN TX_PER_S
//
// Prints the API's JSON answer on stdout. State-changing commands send the admin token
// (--admin-token-file FILE or $BTS_ADMIN_TOKEN). An API error (4xx) is one line on stderr and
// exit code 2; an unreachable overseer exit code 1.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "cli/command.hpp"
#include "overseer/api_client.hpp"
#include "util/error.hpp"

namespace bts::cli {

std::string read_token(const std::string& file, const char* env, const std::string& flag);

namespace {

struct ctl_options {
  std::string overseer = "http://127.0.0.1:8700";
  std::string admin_token_file;
  std::string tls_ca_file;
  bool tls_insecure = false;
  std::string run;
  std::string beacon;
  long long from = 0;
  std::string scenario;
  std::string preset;
  std::string beacons;
  std::string rate;
  std::string duration;
  std::string name;
  long long delay_ms = -1;
  bool ignore_fee_budget = false;
};

int finish(const overseer::api_response& r, io& s) {
  if (r.status >= 200 && r.status < 300) {
    s.out << r.body;
    if (r.body.empty() || r.body.back() != '\n') s.out << "\n";
    return 0;
  }
  std::string message = r.body;
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (!ec && v.is_object()) {
    if (auto* e = v.as_object().if_contains("error"); e && e->is_string())
      message = std::string(e->get_string());
  }
  while (!message.empty() && message.back() == '\n') message.pop_back();
  s.err << "bts-infra ctl: HTTP " << r.status << ": " << message << "\n";
  return r.status >= 500 ? 1 : exit_bad_input;
}

}  // namespace

command make_ctl_command() {
  return {
      "ctl", "Script the overseer's JSON API: beacons, runs, start, stop, rate",
      [](CLI::App& app) -> std::function<int(io&)> {
        auto o = std::make_shared<ctl_options>();
        app.add_option("--overseer", o->overseer, "Overseer URL (default http://127.0.0.1:8700)");
        app.add_option("--admin-token-file", o->admin_token_file,
                       "File holding the admin token (else $BTS_ADMIN_TOKEN)");
        app.add_option("--tls-ca-file", o->tls_ca_file,
                       "CA certificate (PEM) for an https:// overseer");
        app.add_flag("--tls-insecure", o->tls_insecure, "Accept any certificate");
        app.require_subcommand(1);
        app.add_subcommand("beacons", "List beacons and their state");
        app.add_subcommand("runs", "List runs");
        auto* status = app.add_subcommand("status", "One run's status");
        status->add_option("run", o->run, "Run id")->required();
        auto* series =
            app.add_subcommand("series", "A run's per-second series (merged, or one beacon's)");
        series->add_option("run", o->run, "Run id")->required();
        series->add_option("--beacon", o->beacon, "One beacon's rows instead of the merged ones");
        series->add_option("--from", o->from, "First second");
        auto* create = app.add_subcommand("create", "Create a run from a scenario");
        create->add_option("--scenario", o->scenario, "Scenario file (YAML)");
        create->add_option("--preset", o->preset, "Built-in scenario");
        create->add_option("--beacons", o->beacons,
                           "Beacon names, comma-separated (default: every idle beacon)");
        create->add_option("--rate", o->rate,
                           "Total constant rate in tx/s, split over the beacons");
        create->add_option("--duration", o->duration, "Run length such as 60s");
        create->add_option("--name", o->name, "Run title");
        create->add_flag("--ignore-fee-budget", o->ignore_fee_budget,
                         "Beacons run even when their accounts cannot pay the scenario's fees");
        auto* start = app.add_subcommand("start", "Start a created run");
        start->add_option("run", o->run, "Run id")->required();
        start->add_option("--delay-ms", o->delay_ms, "Start this long from now");
        auto* stop = app.add_subcommand("stop", "Stop a run");
        stop->add_option("run", o->run, "Run id")->required();
        auto* rate = app.add_subcommand("rate", "Change a running run's total rate");
        rate->add_option("run", o->run, "Run id")->required();
        rate->add_option("tx_per_s", o->rate, "New total rate")->required();

        return [&app, o](io& s) -> int {
          rpc::tls_client_options tls;
          if (!o->tls_ca_file.empty()) tls = {rpc::tls_verify::ca_file, o->tls_ca_file, ""};
          if (o->tls_insecure) tls.verify = rpc::tls_verify::none;
          auto get = [&](const std::string& target) {
            return finish(overseer::api_request(o->overseer, "GET", target, {}, {}, tls), s);
          };
          auto post = [&](const std::string& target, const boost::json::object& body) {
            const std::string token =
                read_token(o->admin_token_file, "BTS_ADMIN_TOKEN", "--admin-token-file");
            if (token.empty()) {
              throw input_error(
                  "--admin-token-file",
                  "an admin token is required (--admin-token-file FILE or BTS_ADMIN_TOKEN)");
            }
            return finish(overseer::api_request(o->overseer, "POST", target,
                                                boost::json::serialize(body), token, tls),
                          s);
          };
          const auto* sub = app.get_subcommands().front();
          const std::string cmd = sub->get_name();
          if (cmd == "beacons") return get("/api/beacons");
          if (cmd == "runs") return get("/api/runs");
          if (cmd == "status") return get("/api/runs/" + o->run);
          if (cmd == "series") {
            std::string t = "/api/runs/" + o->run + "/series?from=" + std::to_string(o->from);
            if (!o->beacon.empty()) t += "&beacon=" + o->beacon;
            return get(t);
          }
          if (cmd == "create") {
            boost::json::object b;
            if (!o->scenario.empty() == !o->preset.empty())
              throw input_error("--scenario", "give --scenario FILE or --preset NAME");
            if (!o->scenario.empty()) {
              std::ifstream f(o->scenario, std::ios::binary);
              if (!f)
                throw input_error("--scenario " + o->scenario,
                                  std::string("cannot open: ") + std::strerror(errno));
              std::ostringstream text;
              text << f.rdbuf();
              b["scenario"] = text.str();
              b["scenario_name"] = o->scenario;
            } else {
              b["preset"] = o->preset;
            }
            if (!o->beacons.empty()) {
              boost::json::array a;
              std::stringstream ss(o->beacons);
              for (std::string n; std::getline(ss, n, ',');) a.emplace_back(n);
              b["beacons"] = std::move(a);
            }
            if (!o->rate.empty()) b["rate"] = o->rate;
            if (!o->duration.empty()) b["duration"] = o->duration;
            if (!o->name.empty()) b["name"] = o->name;
            if (o->ignore_fee_budget) b["ignore_fee_budget"] = true;
            return post("/api/runs", b);
          }
          if (cmd == "start") {
            boost::json::object b;
            if (o->delay_ms >= 0) b["delay_ms"] = o->delay_ms;
            return post("/api/runs/" + o->run + "/start", b);
          }
          if (cmd == "stop") return post("/api/runs/" + o->run + "/stop", {});
          boost::json::object b;
          b["rate"] = o->rate;
          return post("/api/runs/" + o->run + "/rate", b);
        };
      }};
}

}  // namespace bts::cli
