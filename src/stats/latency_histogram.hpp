// A latency distribution in microseconds, recorded losslessly to 3 significant digits
// (HdrHistogram), exactly mergeable, and encodable as the standard compressed base64 text
// ("HISTFAA...") so it can travel in control messages and live in the results store.
//
// Coordinated omission is handled by *what* is recorded, not by this class: the beacon records
// each latency twice, into a "corrected" histogram measured from the intended send time and an
// "uncorrected" one measured from the actual send time (see second_series.hpp, latency_kind).
// HdrHistogram's own record_corrected back-filling is deliberately not offered.
//
// Range: 0 .. 3,600,000,000 µs (one hour); every value is kept to within 0.1%.
//
// Ownership: each object owns its counts (about 190 KB, allocated in the constructor).
// Threads: not thread-safe. One thread owns and records into a histogram (wrk2 style: every
// worker keeps its own and they are merged after the fact); const methods may run concurrently
// with each other but not with a mutation.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

struct hdr_histogram;

namespace bts::stats {

class latency_histogram {
 public:
  static constexpr std::int64_t lowest_discernible_us = 1;
  static constexpr std::int64_t highest_trackable_us = 3'600'000'000;  // one hour
  static constexpr int significant_digits = 3;

  // An empty histogram. Throws std::bad_alloc.
  latency_histogram();
  ~latency_histogram();
  latency_histogram(const latency_histogram& other);
  latency_histogram& operator=(const latency_histogram& other);
  // A moved-from histogram may only be destroyed or assigned to.
  latency_histogram(latency_histogram&& other) noexcept;
  latency_histogram& operator=(latency_histogram&& other) noexcept;

  // Records `count` occurrences of `micros`. Values outside [0, highest_trackable_us] are clamped
  // into it, so that count() always equals the number of things measured; returns false when
  // the value was clamped (the caller may count that separately).
  // REQUIRES: count >= 0.
  bool record(std::int64_t micros, std::int64_t count = 1);

  // Adds every count of `other` into this histogram. Exact: the result is identical to having
  // recorded both streams of values into one histogram.
  void merge(const latency_histogram& other);

  // Decodes `encoded` (as produced by encode()) and adds it into this histogram, without
  // allocating a temporary histogram. Throws bts::input_error as decode() does; on error this
  // histogram is left unchanged.
  void merge_encoded(std::string_view encoded);

  void reset();

  std::int64_t count() const;
  bool empty() const { return count() == 0; }
  // Smallest and largest recorded values (each to within the histogram's resolution); 0 when
  // empty.
  std::int64_t min() const;
  std::int64_t max() const;
  // Mean of the recorded values; 0 when empty.
  double mean() const;
  // The value at `percentile` (0..100; 50 is the median); 0 when empty. Follows HdrHistogram:
  // the highest value equivalent to the recorded one at that rank.
  std::int64_t percentile(double percentile) const;
  // percentile(ps[i]) for every i into out[i], and mean() into *mean (if not null), in one walk
  // over the counts instead of one walk each; the same values to the bit.
  // REQUIRES: ps ascending, out.size() == ps.size().
  void percentiles(std::span<const double> ps, std::span<std::int64_t> out, double* mean) const;

  // The percentile spectrum HdrHistogram prints (and wrk2 shows): points at percentiles that
  // get denser towards 100%, `ticks_per_half_distance` per halving of the remaining distance.
  // Last point is always 100%. Empty when the histogram is empty.
  struct spectrum_point {
    double percentile;      // 0..100
    std::int64_t value_us;  // value at that percentile
    std::int64_t count_at_or_below;
  };
  std::vector<spectrum_point> spectrum(int ticks_per_half_distance = 5) const;

  // The standard compressed V2 encoding (cookie 0x1c849314, zlib), base64 without line breaks.
  // Readable by every HdrHistogram port. An empty histogram encodes too.
  std::string encode() const;

  // Inverse of encode(), also for text from other HdrHistogram ports (Java, JS, Go...).
  // Accepts V2 compressed histograms with range 1 .. 3,600,000,000 and 3 significant digits;
  // the normalizing-offset and conversion-ratio fields are ignored (only shifted or double
  // histograms use them). Throws bts::input_error ("histogram: ...") on anything else,
  // including truncated or corrupt text, without reading out of bounds or allocating more
  // than one histogram's worth of memory.
  static latency_histogram decode(std::string_view encoded);

  // Same recorded counts.
  friend bool operator==(const latency_histogram& a, const latency_histogram& b);

 private:
  hdr_histogram* h_;
};

}  // namespace bts::stats
