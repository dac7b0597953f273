// The control protocol between beacons and the overseer (docs/control-protocol.md).
//
// Beacons connect *out* to the overseer over a websocket (ws:// or wss://) with
// `Authorization: Bearer <token>` on the upgrade. Framing is bitshares-core's JSON-RPC dialect
// (src/rpc), so both ends reuse rpc::client and rpc::server:
//   beacon -> overseer: calls {"id":N,"method":"call","params":["control","<type>",[{body}]]},
//                       answered with a result or an error whose message names the JSON path;
//   overseer -> beacon: notices {"method":"notice","params":[<commands id>,[{command}]]}, each
//                       command answered by an `ack` call.
// This header holds the messages as plain structs, their JSON forms and the strict readers:
// unknown message types, unknown members and mistyped members are input_errors naming the
// path ("register.cores: expected an integer"). Times are Unix microseconds.
//
// Threads: plain values and pure functions.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "stats/second_series.hpp"
#include "store/run_record.hpp"

namespace bts::control {

inline constexpr int protocol_version = 1;
// The API name in beacon calls: ["control", "<type>", [body]].
inline constexpr const char* control_api = "control";
// The websocket path beacons connect to.
inline constexpr const char* control_path = "/control";

using unix_us = std::int64_t;
unix_us now_unix_us();

// What a beacon is doing, as it reports it.
enum class beacon_state { idle, configured, prepared, running, finished, failed };
std::string_view name(beacon_state s);
std::optional<beacon_state> parse_beacon_state(std::string_view text);

// ---- beacon -> overseer -----------------------------------------------------------------------

// First call on every connection (and again after a reconnect). `run` and `state` let an
// overseer that restarted, or a beacon that was lost, resume the run where it was.
struct register_msg {
  int protocol = protocol_version;
  std::string name;  // a beacon name (docs/formats.md): [A-Za-z0-9._-], 1-64
  std::string version;
  std::string host;
  std::int64_t cores = 0;
  std::uint64_t commands = 0;  // callback id the overseer's commands are sent to
  beacon_state state = beacon_state::idle;
  std::string run;                 // empty: none
  std::int64_t last_second = -1;   // last second of `run` the beacon produced, -1 if none
  std::vector<std::string> nodes;  // nodes the beacon is configured for (informative)
};

// Liveness and state, about once a second.
struct heartbeat_msg {
  beacon_state state = beacon_state::idle;
  std::string run;
  std::int64_t last_second = -1;
  std::optional<double> rate;  // current target rate (tx/s), when paced
  std::string error;           // why the beacon failed, when state == failed
};

// Answer to a ping command: t0 is the overseer's send time copied back, t1/t2 the beacon's
// receive/send times. The overseer adds t3 (its receive time) and computes the offset.
struct pong_msg {
  std::uint64_t command = 0;
  unix_us t0 = 0, t1 = 0, t2 = 0;
};

// Per-second statistics: rows of one run in increasing `second` (the beacon's own rows, with
// histograms), and the blocks it saw. Answered once the rows are stored; the beacon resends
// rows until they are acknowledged, the overseer ignores rows stored before.
struct stats_msg {
  std::string run;
  std::vector<stats::second_row> rows;
  std::vector<store::block_record> blocks;
};

struct event_msg {
  std::string run;
  unix_us time = 0;
  store::event_kind kind = store::event_kind::note;
  boost::json::object data;
};

// Answer to any command but ping.
struct ack_msg {
  std::uint64_t command = 0;
  bool ok = true;
  std::string error;  // one line, when !ok
};

using beacon_message =
    std::variant<register_msg, heartbeat_msg, pong_msg, stats_msg, event_msg, ack_msg>;

// "register", "heartbeat", ...
std::string_view message_type(const beacon_message& m);
// The body object of a message.
boost::json::object to_json(const beacon_message& m);
// Reads a call's method and args. Throws bts::input_error naming the path, rooted at the type:
// "type: unknown message type \"x\" (expected register, ...)", "stats.rows[2].sent: ...".
beacon_message parse_beacon_message(std::string_view type, const boost::json::array& args);

// ---- overseer -> beacon -----------------------------------------------------------------------

struct ping_cmd {
  unix_us t0 = 0;
};
// What to run: the scenario (YAML text, as in docs/scenarios.md) with the overseer's
// assignment applied on top: nodes, and the rate as a share of the scenario's.
struct configure_cmd {
  std::string run;
  std::string scenario_name;
  std::string scenario_text;
  std::vector<std::string> nodes;  // the nodes this beacon sends to
  double rate_share = 1;           // constant rates are multiplied by it (0 < share <= 1)
  std::uint64_t seed = 0;          // the beacon's seed (distinct per beacon)
  std::optional<double> rate;      // this beacon's constant rate, overriding the scenario's
  std::string duration;            // overrides the scenario's ("30s"); empty: as the scenario
  // Run even when this beacon's accounts cannot pay its fee budget (scenario ignore_fee_budget).
  bool ignore_fee_budget = false;
};
struct prepare_cmd {
  std::string run;
};
struct start_cmd {
  std::string run;
  unix_us at = 0;  // overseer time; the beacon converts it with the measured offset
  std::int64_t clock_offset_us = 0;  // beacon clock - overseer clock, as the overseer measured
};
struct stop_cmd {
  std::string run;
};
struct change_rate_cmd {
  std::string run;
  double rate = 0;  // tx/s for this beacon
};

struct command {
  std::uint64_t id = 0;
  std::variant<ping_cmd, configure_cmd, prepare_cmd, start_cmd, stop_cmd, change_rate_cmd> body;
};

std::string_view command_type(const command& c);  // "ping", "configure", ...
boost::json::object to_json(const command& c);    // {"id":..,"type":..,...}
// Throws bts::input_error naming the path ("command.rate: expected a number").
command parse_command(const boost::json::value& v);

// ---- clock offset -------------------------------------------------------------------------

// One NTP-style exchange: t0 overseer send, t1 beacon receive, t2 beacon send, t3 overseer
// receive. offset = beacon clock - overseer clock.
struct clock_sample {
  std::int64_t offset_us = 0;
  std::int64_t delay_us = 0;  // round trip minus the beacon's processing time
};
clock_sample measure_clock(unix_us t0, unix_us t1, unix_us t2, unix_us t3);

}  // namespace bts::control
