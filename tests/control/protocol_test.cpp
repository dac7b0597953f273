#include "control/protocol.hpp"

#include <gtest/gtest.h>

#include "util/error.hpp"

namespace bts::control {
namespace {

namespace json = boost::json;

std::string error_of(std::string_view type, const std::string& body) {
  try {
    json::array args;
    args.push_back(json::parse(body));
    parse_beacon_message(type, args);
  } catch (const input_error& e) {
    return e.what();
  }
  return "";
}

TEST(Protocol, RegisterRoundTrips) {
  register_msg r;
  r.name = "b1";
  r.version = "0.1";
  r.host = "h";
  r.cores = 4;
  r.commands = 7;
  r.state = beacon_state::running;
  r.run = "20240501-120000-x";
  r.last_second = 12;
  r.nodes = {"ws://a", "ws://b"};
  json::array args;
  args.emplace_back(to_json(beacon_message(r)));
  auto back = std::get<register_msg>(parse_beacon_message("register", args));
  EXPECT_EQ(back.name, "b1");
  EXPECT_EQ(back.cores, 4);
  EXPECT_EQ(back.commands, 7u);
  EXPECT_EQ(back.state, beacon_state::running);
  EXPECT_EQ(back.run, r.run);
  EXPECT_EQ(back.last_second, 12);
  EXPECT_EQ(back.nodes, r.nodes);
}

TEST(Protocol, ErrorsNameTheJsonPath) {
  const std::string reg =
      R"({"protocol":1,"name":"b1","version":"1","host":"h","cores":"four","commands":1,"state":"idle"})";
  EXPECT_EQ(error_of("register", reg), "register.cores: expected an integer");
  EXPECT_EQ(error_of("hello", "{}").rfind("type: unknown message type \"hello\"", 0), 0u);
  EXPECT_EQ(
      error_of("heartbeat", R"({"state":"sleeping"})").rfind("heartbeat.state: unknown state", 0),
      0u);
  EXPECT_EQ(error_of("heartbeat", R"({"state":"idle","colour":1})"),
            "heartbeat.colour: unknown member");
  EXPECT_EQ(
      error_of("register",
               R"({"protocol":2,"name":"b","version":"1","cores":1,"commands":1,"state":"idle"})")
          .rfind("register.protocol: unsupported protocol version 2", 0),
      0u);
  EXPECT_EQ(
      error_of(
          "register",
          R"({"protocol":1,"name":"../x","version":"1","cores":1,"commands":1,"state":"idle"})")
          .rfind("register.name:", 0),
      0u);

  stats::second_row row;
  row.second = 0;
  json::object good = stats::to_json(row);
  json::object bad = good;
  bad["second"] = 1;
  bad["sent"] = "many";
  json::object body;
  body["run"] = "r1";
  body["rows"] = json::array{good, bad};
  EXPECT_EQ(error_of("stats", json::serialize(body)), "stats.rows[1].sent: expected an integer");
  body["rows"] = json::array{good, good};
  EXPECT_EQ(error_of("stats", json::serialize(body)),
            "stats.rows[1].second: rows must be in increasing second");
  EXPECT_EQ(error_of("ack", R"({"command":1})"), "ack.ok: missing");
}

TEST(Protocol, CommandsRoundTripAndValidate) {
  configure_cmd c;
  c.run = "r1";
  c.scenario_name = "s";
  c.scenario_text = "nodes: []";
  c.nodes = {"ws://n1"};
  c.rate_share = 0.5;
  c.seed = 3;
  c.rate = 25;
  c.duration = "10s";
  command cmd{9, c};
  command back = parse_command(to_json(cmd));
  EXPECT_EQ(back.id, 9u);
  const auto& b = std::get<configure_cmd>(back.body);
  EXPECT_EQ(b.nodes, c.nodes);
  EXPECT_EQ(*b.rate, 25);
  EXPECT_EQ(b.duration, "10s");

  auto err = [](const std::string& text) {
    try {
      parse_command(json::parse(text));
    } catch (const input_error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(err(R"({"id":1,"type":"dance"})").rfind("command.type: unknown command \"dance\"", 0),
            0u);
  EXPECT_EQ(err(R"({"id":1,"type":"change_rate","run":"r1","rate":-1})"),
            "command.rate: expected a rate > 0");
  EXPECT_EQ(err(R"({"id":1,"type":"start","run":"r1","at":"soon"})"),
            "command.at: expected an integer");
}

TEST(Protocol, ClockOffsetIsNtpStyle) {
  // Beacon clock 5 s ahead, 10 ms each way, 1 ms processing on the beacon.
  const unix_us t0 = 1'000'000'000;
  const unix_us t1 = t0 + 10'000 + 5'000'000;
  const unix_us t2 = t1 + 1'000;
  const unix_us t3 = t0 + 21'000;
  clock_sample s = measure_clock(t0, t1, t2, t3);
  EXPECT_EQ(s.offset_us, 5'000'000);
  EXPECT_EQ(s.delay_us, 20'000);
}

}  // namespace
}  // namespace bts::control
