// latency_histogram: percentiles, clamping, exact merge, the standard compressed base64 form
// (interoperable with other HdrHistogram ports) and a decoder that refuses hostile text.
#include "stats/latency_histogram.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <random>

#include "util/error.hpp"

// The vendored upstream decoder, used only to cross-check our encoding and decoding.
#include "../../third_party/hdr_histogram/src/hdr_histogram_log.h"

namespace bts::stats {
namespace {

// Encoded by hdr-histogram-js 3.0 (an independent port, npm) from: the values 1..10000 once
// each, 250000 recorded 1000 times, and 3600000000 once; range [1, 3600000000], 3 digits.
// Its own readings: count 11001, p50 5503, p90 9903, p99 250111, p99.9 250111,
// max 3600809983 (highest equivalent value of 3600000000).
constexpr const char* js_encoded =
    "HISTFAAAAEt4nO3HsRFAQBQA0b0jkLkZqYrUpYMrgYJEIh0oQWKMGUX4+6Ldca4DlBNIQMPrafa68n2WJEnRtJLC6iSF"
    "VX4vX9PWL0fKN2RgVhs=";

latency_histogram js_equivalent() {
  latency_histogram h;
  for (int v = 1; v <= 10000; ++v) h.record(v);
  h.record(250000, 1000);
  h.record(3600000000);
  return h;
}

std::string decode_error(std::string_view text) {
  try {
    latency_histogram::decode(text);
  } catch (const input_error& e) {
    EXPECT_EQ(e.where(), "histogram");
    return e.what();
  }
  return "no error";
}

TEST(LatencyHistogram, EmptyReadsAsZero) {
  latency_histogram h;
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.percentile(99), 0);
  EXPECT_TRUE(h.spectrum().empty());
}

TEST(LatencyHistogram, PercentilesWithinThreeDigits) {
  latency_histogram h;
  for (int v = 1; v <= 100000; ++v) h.record(v);
  EXPECT_EQ(h.count(), 100000);
  EXPECT_EQ(h.min(), 1);
  EXPECT_NEAR(static_cast<double>(h.max()), 100000, 100);
  EXPECT_NEAR(static_cast<double>(h.percentile(50)), 50000, 50);
  EXPECT_NEAR(static_cast<double>(h.percentile(99)), 99000, 99);
  EXPECT_NEAR(static_cast<double>(h.percentile(99.9)), 99900, 100);
  EXPECT_NEAR(h.mean(), 50000.5, 50);
  // Small values are exact.
  latency_histogram small;
  small.record(7, 3);
  small.record(1999);
  EXPECT_EQ(small.percentile(50), 7);
  EXPECT_EQ(small.max(), 1999);
}

TEST(LatencyHistogram, ClampsOutOfRangeValuesAndSaysSo) {
  latency_histogram h;
  EXPECT_TRUE(h.record(0));
  EXPECT_FALSE(h.record(-250));  // e.g. a block timestamp that rounds before the send
  EXPECT_FALSE(h.record(latency_histogram::highest_trackable_us + 1));
  EXPECT_TRUE(h.record(latency_histogram::highest_trackable_us));
  EXPECT_EQ(h.count(), 4);
  EXPECT_EQ(h.min(), 0);
  EXPECT_GE(h.max(), latency_histogram::highest_trackable_us);
}

TEST(LatencyHistogram, MergeIsExact) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(8.0, 1.5);
  latency_histogram a, b, all;
  for (int i = 0; i < 20000; ++i) {
    const auto v = static_cast<std::int64_t>(dist(rng));
    (i % 3 == 0 ? a : b).record(v);
    all.record(v);
  }
  latency_histogram merged = a;
  merged.merge(b);
  EXPECT_EQ(merged, all);
  EXPECT_EQ(merged.count(), all.count());
  EXPECT_EQ(merged.min(), all.min());
  EXPECT_EQ(merged.max(), all.max());
  for (double p : {0.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    EXPECT_EQ(merged.percentile(p), all.percentile(p)) << p;
  }
  latency_histogram via_text = a;
  via_text.merge_encoded(b.encode());
  EXPECT_EQ(via_text, all);
  EXPECT_EQ(via_text.min(), all.min());
  EXPECT_EQ(via_text.max(), all.max());
}

TEST(LatencyHistogram, MergeKeepsZeroAndEmptySides) {
  latency_histogram a, empty;
  a.record(0);
  a.record(500);
  a.merge(empty);
  EXPECT_EQ(a.count(), 2);
  EXPECT_EQ(a.min(), 0);
  empty.merge(a);
  EXPECT_EQ(empty, a);
  EXPECT_EQ(empty.max(), a.max());
}

TEST(LatencyHistogram, EncodesToStandardCompressedBase64AndBack) {
  const latency_histogram h = js_equivalent();
  const std::string text = h.encode();
  EXPECT_EQ(text.rfind("HISTFAA", 0), 0u) << text;
  const latency_histogram back = latency_histogram::decode(text);
  EXPECT_EQ(back, h);
  EXPECT_EQ(back.min(), h.min());
  EXPECT_EQ(back.max(), h.max());

  const latency_histogram empty;
  EXPECT_EQ(latency_histogram::decode(empty.encode()), empty);
}

TEST(LatencyHistogram, ReadsAnotherPortsEncoding) {
  const latency_histogram h = latency_histogram::decode(js_encoded);
  EXPECT_EQ(h.count(), 11001);
  EXPECT_EQ(h.min(), 1);
  EXPECT_EQ(h.percentile(50), 5503);
  EXPECT_EQ(h.percentile(90), 9903);
  EXPECT_EQ(h.percentile(99), 250111);
  EXPECT_EQ(h.percentile(99.9), 250111);
  EXPECT_EQ(h.max(), 3600809983);
  EXPECT_EQ(h, js_equivalent());
}

TEST(LatencyHistogram, UpstreamDecoderReadsOurEncoding) {
  const latency_histogram h = js_equivalent();
  std::string text = h.encode();
  hdr_histogram* up = nullptr;
  ASSERT_EQ(hdr_log_decode(&up, text.data(), text.size()), 0);
  ASSERT_NE(up, nullptr);
  EXPECT_EQ(up->total_count, h.count());
  EXPECT_EQ(hdr_value_at_percentile(up, 99), h.percentile(99));
  EXPECT_EQ(hdr_max(up), h.max());
  hdr_close(up);
}

TEST(LatencyHistogram, RefusesMalformedText) {
  EXPECT_EQ(decode_error(""), "histogram: empty text");
  EXPECT_EQ(decode_error("HISTFAA"), "histogram: base64 length is not a multiple of 4");
  EXPECT_EQ(decode_error("HIST FAA"), "histogram: invalid base64 character at offset 4");
  EXPECT_EQ(decode_error("AAAA"), "histogram: too short to be a compressed histogram");
  EXPECT_EQ(decode_error("AAAAAAAAAAAA"),
            "histogram: not a V2 compressed histogram (cookie 0x00000000)");

  std::string text = js_equivalent().encode();
  // Drop 4 characters from the middle: still base64, no longer the declared length.
  std::string shorter = text.substr(0, 20) + text.substr(24);
  EXPECT_EQ(decode_error(shorter), "histogram: compressed length does not match the text");
}

TEST(LatencyHistogram, RefusesOtherRangesAndPrecisions) {
  hdr_histogram* other = nullptr;
  ASSERT_EQ(hdr_init(1, 1000000, 2, &other), 0);
  hdr_record_value(other, 42);
  char* text = nullptr;
  ASSERT_EQ(hdr_log_encode(other, &text), 0);
  EXPECT_EQ(decode_error(text),
            "histogram: recorded with range [1, 1000000] and 2 significant digits; expected "
            "[1, 3600000000] and 3");
  free(text);
  hdr_close(other);
}

TEST(LatencyHistogram, HostileMutationsNeverCrashOrChangeTheTarget) {
  const std::string text = js_equivalent().encode();
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::mt19937 rng(11);
  int refused = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string t = text;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      t[rng() % (t.size() - 2)] = alphabet[rng() % alphabet.size()];
    }
    latency_histogram target;
    target.record(5);
    try {
      target.merge_encoded(t);
      EXPECT_GE(target.count(), 1);
    } catch (const input_error&) {
      ++refused;
      EXPECT_EQ(target.count(), 1);  // unchanged on error
      EXPECT_EQ(target.max(), 5);
    }
  }
  EXPECT_GT(refused, 2000);  // zlib's checksum catches nearly every corruption
}

TEST(LatencyHistogram, SpectrumRisesToOneHundredPercent) {
  const latency_histogram h = js_equivalent();
  const auto points = h.spectrum();
  ASSERT_GT(points.size(), 20u);
  EXPECT_DOUBLE_EQ(points.front().percentile, 0.0);
  EXPECT_DOUBLE_EQ(points.back().percentile, 100.0);
  EXPECT_EQ(points.back().count_at_or_below, h.count());
  EXPECT_EQ(points.back().value_us, h.max());
  for (std::size_t i = 1; i < points.size(); ++i) {
    EXPECT_GE(points[i].percentile, points[i - 1].percentile);
    EXPECT_GE(points[i].value_us, points[i - 1].value_us);
  }
}

TEST(LatencyHistogram, CopiesAreDeepAndMovesTransfer) {
  latency_histogram a;
  a.record(100);
  latency_histogram b = a;
  b.record(200);
  EXPECT_EQ(a.count(), 1);
  EXPECT_EQ(b.count(), 2);
  latency_histogram c = std::move(b);
  EXPECT_EQ(c.count(), 2);
  b = a;  // a moved-from histogram may be assigned to
  EXPECT_EQ(b.count(), 1);
  c.reset();
  EXPECT_TRUE(c.empty());
}

}  // namespace
}  // namespace bts::stats

namespace bts::stats {
namespace {

// The one-walk percentiles and mean equal HdrHistogram's own functions (one walk each), to the
// bit, on skewed random data, one value, and an empty histogram.
TEST(LatencyHistogram, OneWalkPercentilesEqualOneWalkEach) {
  const std::array<double, 7> ps = {0, 1, 50, 90, 99, 99.9, 100};
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> lat(std::log(20'000.0), 1.2);
  for (int n : {0, 1, 3, 1000, 100'000}) {
    latency_histogram h;
    for (int i = 0; i < n; ++i) h.record(static_cast<std::int64_t>(lat(rng)));
    std::array<std::int64_t, ps.size()> at{};
    double mean = -1;
    h.percentiles(ps, at, &mean);
    for (std::size_t i = 0; i < ps.size(); ++i)
      EXPECT_EQ(at[i], h.percentile(ps[i])) << n << " " << ps[i];
    EXPECT_EQ(mean, h.mean()) << n;
  }
}

}  // namespace
}  // namespace bts::stats
