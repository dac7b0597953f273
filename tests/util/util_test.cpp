#include <gtest/gtest.h>

#include "util/error.hpp"
#include "util/hex.hpp"
#include "util/time.hpp"

namespace bts {
namespace {

TEST(Hex, RoundTrip) {
  const std::vector<std::uint8_t> bytes{0x00, 0x7f, 0x80, 0xff};
  EXPECT_EQ(to_hex(bytes), "007f80ff");
  EXPECT_EQ(from_hex("007F80ff"), bytes);
}

TEST(Hex, RejectsOddLengthAndNonHex) {
  EXPECT_THROW(from_hex("abc"), input_error);
  try {
    from_hex("00zz");
    FAIL();
  } catch (const input_error& e) {
    EXPECT_STREQ(e.what(), "not hex at offset 2");
  }
  std::array<std::uint8_t, 4> out{};
  EXPECT_THROW(from_hex_exact("0011", out), input_error);
}

TEST(Time, FormatsAndParsesBitsharesForm) {
  EXPECT_EQ(format_time_point_sec(1459931367), "2016-04-06T08:29:27");
  EXPECT_EQ(parse_time_point_sec("2016-04-06T08:29:27"), 1459931367u);
  EXPECT_EQ(format_time_point_sec(0xffffffff), "2106-02-07T06:28:15");
  EXPECT_EQ(parse_time_point_sec("2106-02-07T06:28:15"), 0xffffffffu);
  EXPECT_EQ(parse_time_point_sec("1970-01-01T00:00:00Z"), 0u);
}

TEST(Time, RejectsMalformed) {
  EXPECT_THROW(parse_time_point_sec("2016-04-06 08:29:27"), input_error);
  EXPECT_THROW(parse_time_point_sec("2016-02-30T00:00:00"), input_error);
  EXPECT_THROW(parse_time_point_sec("2106-02-07T06:28:16"), input_error);
  EXPECT_THROW(parse_time_point_sec("1969-12-31T23:59:59"), input_error);
}

TEST(InputError, WithinPrependsPath) {
  const input_error inner("amount.amount", "expected an integer");
  EXPECT_STREQ(inner.within("operations[0][1]").what(),
               "operations[0][1].amount.amount: expected an integer");
  EXPECT_STREQ(input_error("[1]", "x").within("operations[0]").what(), "operations[0][1]: x");
}

}  // namespace
}  // namespace bts
