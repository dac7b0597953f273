#include <gtest/gtest.h>

#include <filesystem>

#include "uptime/store.hpp"

namespace bts::uptime {
namespace {

constexpr std::int64_t hour = 3'600'000;
constexpr std::int64_t day = 24 * hour;

struct store_fixture : ::testing::Test {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("bts-uptime-store-" + std::to_string(getpid()) + ".sqlite");
  void SetUp() override { std::filesystem::remove(path); }
  void TearDown() override {
    std::filesystem::remove(path);
    std::filesystem::remove(path.string() + "-wal");
    std::filesystem::remove(path.string() + "-shm");
  }
};

stored_result result(std::int64_t ts, endpoint_state s, double ms) {
  stored_result r;
  r.ts_ms = ts;
  r.state = s;
  r.response_ms = ms;
  r.failed = s == endpoint_state::up ? "[]" : "[\"x\"]";
  return r;
}

TEST_F(store_fixture, UptimeWindowsSurviveRollUp) {
  const std::int64_t now = 1'700'000'000'000 / hour * hour + hour / 2;
  uptime_store s(path);
  // 40 days, one result per hour; days 10..12 ago are down, 3 hours ago degraded.
  for (std::int64_t h = 40 * 24; h >= 1; --h) {
    const std::int64_t ts = now - h * hour;
    endpoint_state st = endpoint_state::up;
    if (h >= 10 * 24 && h < 12 * 24) st = endpoint_state::down;
    if (h == 3) st = endpoint_state::degraded;
    s.record("g_n", result(ts, st, 100.0 + static_cast<double>(h % 2)));
  }
  auto check = [&](std::int64_t window, std::int64_t total, std::int64_t up) {
    const state_counts c = s.counts("g_n", now - window);
    EXPECT_EQ(c.total, total) << window / hour << "h";
    EXPECT_EQ(c.up, up) << window / hour << "h";
  };
  check(day, 24, 23);
  check(7 * day, 7 * 24, 7 * 24 - 1);
  check(30 * day, 30 * 24, 30 * 24 - 1 - 48);
  EXPECT_DOUBLE_EQ(*s.counts("g_n", now - day).uptime_ratio(), 23.0 / 24.0);

  // Roll up everything older than 7 days: raw rows go, the windows stay exact.
  const std::int64_t deleted = s.roll_up(now, 7 * day);
  EXPECT_GT(deleted, 30 * 24 - 7 * 24 - 2);
  EXPECT_LT(s.raw_count(), 7 * 24 + 2);
  EXPECT_EQ(s.rollup_count(), 40 * 24);
  check(day, 24, 23);
  check(7 * day, 7 * 24, 7 * 24 - 1);
  check(30 * day, 30 * 24, 30 * 24 - 1 - 48);
  EXPECT_EQ(s.roll_up(now, 7 * day), 0);  // idempotent

  // History: hourly points over 30 days, including the rolled-up part; down shows as worst.
  const auto h = s.history("g_n", now - 30 * day, hour);
  ASSERT_EQ(h.size(), 30u * 24u);
  EXPECT_EQ(h[30 * 24 - 11 * 24].worst, endpoint_state::down);
  EXPECT_NEAR(*h.front().response_ms, 100.5, 0.51);
  EXPECT_EQ(s.counts("other", now - day).total, 0);
  EXPECT_FALSE(s.counts("other", now - day).uptime_ratio());
}

TEST_F(store_fixture, IncidentsAndCertificates) {
  uptime_store s(path);
  const auto id = s.open_incident("g_n", 1000, endpoint_state::down, "connect: Connection refused");
  ASSERT_TRUE(s.open_incident_of("g_n"));
  EXPECT_EQ(s.open_incident_of("g_n")->id, id);
  s.close_incident(id, 5000);
  EXPECT_FALSE(s.open_incident_of("g_n"));
  const auto list = s.incidents(10);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].ended_ms, 5000);
  EXPECT_EQ(list[0].reason, "connect: Connection refused");
  s.put_certificate(
      {"h:443", "CN=h", "CN=ca", "DNS:h", 9000, 1000, false, "self-signed certificate"});
  s.put_certificate({"h:443", "CN=h", "CN=ca", "DNS:h", 9500, 2000, true, ""});
  const auto certs = s.certificates();
  ASSERT_EQ(certs.size(), 1u);
  EXPECT_EQ(certs[0].not_after_ms, 9500);
  EXPECT_TRUE(certs[0].verified);
  // A second handle on the same file reads what the first wrote (WAL).
  uptime_store reader(path);
  EXPECT_EQ(reader.incidents(10).size(), 1u);
}

}  // namespace
}  // namespace bts::uptime
