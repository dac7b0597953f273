// counters: the tables in stats/counters.hpp cover every member of stats::counters,
// stats::gauges and stats::node_load_row (byte by byte, so a member added without an entry fails
// here), name each member once, and are what a row's JSON form is read and written by.
#include "stats/counters.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "stats/second_series.hpp"

namespace bts::stats {
namespace {

// The bytes of `object` that `member` occupies, as [begin, end) offsets.
template <typename T, typename M>
std::pair<std::size_t, std::size_t> span_of(const T& object, M T::*member) {
  const auto* base = reinterpret_cast<const std::byte*>(&object);
  const auto* at = reinterpret_cast<const std::byte*>(&(object.*member));
  const auto begin = static_cast<std::size_t>(at - base);
  return {begin, begin + sizeof(M)};
}

// Marks the spans as covered; fails when two spans overlap (a member listed twice).
void cover(std::vector<int>& bytes, std::pair<std::size_t, std::size_t> span,
           std::string_view key) {
  for (std::size_t i = span.first; i < span.second; ++i) {
    ASSERT_LT(i, bytes.size()) << key;
    EXPECT_EQ(bytes[i], 0) << key << " overlaps another entry (listed twice?)";
    bytes[i] = 1;
  }
}

std::size_t uncovered(const std::vector<int>& bytes) {
  std::size_t n = 0;
  for (int b : bytes) n += b == 0;
  return n;
}

TEST(counters, the_table_covers_every_member_of_counters) {
  const counters c;
  std::vector<int> bytes(sizeof(counters), 0);
  for (const auto& f : counter_fields) cover(bytes, span_of(c, f.member), f.key);
  cover(bytes, span_of(c, &counters::rejected_by_reason), "rejected_by_reason");
  EXPECT_EQ(uncovered(bytes), 0u)
      << "stats::counters has a member that counter_fields does not list";
}

TEST(counters, the_tables_cover_every_member_of_gauges) {
  const gauges g;
  std::vector<int> bytes(sizeof(gauges), 0);
  for (const auto& f : count_gauge_fields) cover(bytes, span_of(g, f.member), f.key);
  for (const auto& f : cpu_gauge_fields) cover(bytes, span_of(g, f.member), f.key);
  EXPECT_EQ(uncovered(bytes), 0u) << "stats::gauges has a member that no table lists";
}

TEST(counters, the_table_covers_every_member_of_node_load_row) {
  const node_load_row l;
  std::vector<int> bytes(sizeof(node_load_row), 0);
  for (const auto& f : node_load_fields) cover(bytes, span_of(l, f.member), f.key);
  EXPECT_EQ(uncovered(bytes), 0u)
      << "stats::node_load_row has a member that node_load_fields does not list";
}

TEST(counters, names_are_unique) {
  std::set<std::string_view> keys, families, labels;
  std::set<int> columns;
  std::size_t n = 0, with_column = 0, with_label = 0, by_reason = 0;
  for (const auto& f : counter_fields) {
    keys.insert(f.key);
    families.insert(f.prometheus);
    ++n;
    EXPECT_FALSE(f.help.empty()) << f.key;
    EXPECT_TRUE(f.prometheus.starts_with("_")) << f.key;
    if (f.report_column > 0) {
      ++with_column;
      columns.insert(f.report_column);
      EXPECT_LE(f.report_column, static_cast<int>(counter_fields.size())) << f.key;
    }
    if (!f.error_label.empty()) {
      ++with_label;
      labels.insert(f.error_label);
    }
    by_reason += f.by_reason;
  }
  for (const auto& f : count_gauge_fields) {
    keys.insert(f.key);
    families.insert(f.prometheus);
    ++n;
  }
  for (const auto& f : cpu_gauge_fields) {
    keys.insert(f.key);
    families.insert(f.prometheus);
    ++n;
  }
  EXPECT_EQ(keys.size(), n);
  EXPECT_EQ(families.size(), n);
  EXPECT_EQ(columns.size(), with_column) << "two counters share a report column";
  EXPECT_EQ(labels.size(), with_label);
  EXPECT_EQ(by_reason, 1u) << "rejected_by_reason belongs to exactly one counter";
}

TEST(counters, a_row_is_written_and_read_member_by_member) {
  second_row r;
  std::int64_t v = 1;
  for (const auto& f : counter_fields) r.*(f.member) = v++;
  for (const auto& f : count_gauge_fields) r.*(f.member) = v++;
  for (const auto& f : cpu_gauge_fields) r.*(f.member) = static_cast<double>(v++) + 0.25;
  const boost::json::object o = to_json(r);
  v = 1;
  for (const auto& f : counter_fields) EXPECT_EQ(o.at(f.key).as_int64(), v++) << f.key;
  for (const auto& f : count_gauge_fields) EXPECT_EQ(o.at(f.key).as_int64(), v++) << f.key;
  for (const auto& f : cpu_gauge_fields) {
    EXPECT_EQ(o.at(f.key).as_double(), static_cast<double>(v++) + 0.25) << f.key;
  }
  EXPECT_EQ(row_from_json(o, "x"), r);
}

TEST(counters, add_sums_every_counter_and_reason) {
  counters a, b;
  std::int64_t v = 1;
  for (const auto& f : counter_fields) {
    a.*(f.member) = v;
    b.*(f.member) = 10 * v++;
  }
  a.rejected_by_reason = {{"fc:10", 1}};
  b.rejected_by_reason = {{"fc:10", 2}, {"timeout", 3}};
  a.add(b);
  v = 1;
  for (const auto& f : counter_fields) EXPECT_EQ(a.*(f.member), 11 * v++) << f.key;
  EXPECT_EQ(a.rejected_by_reason,
            (std::map<std::string, std::int64_t>{{"fc:10", 3}, {"timeout", 3}}));
}

}  // namespace
}  // namespace bts::stats
