#include "stats/latency_histogram.hpp"

#include <hdr_histogram.h>
#include <hdr_histogram_log.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>
#include <utility>

#include "util/error.hpp"

namespace bts::stats {
namespace {

// The standard V2 cookies; the low nibble's upper half carries a word size we ignore, as every
// HdrHistogram port does (get_cookie_base in hdr_histogram_log.c).
constexpr std::uint32_t v2_compression_cookie = 0x1c849304;
constexpr std::uint32_t v2_encoding_cookie = 0x1c849303;
constexpr std::uint32_t cookie_base(std::uint32_t c) { return c & ~0xf0U; }

constexpr std::size_t compression_header_size = 8;  // cookie, compressed length
constexpr std::size_t encoding_header_size = 40;    // cookie, payload length, offset, digits,
                                                    // lowest, highest, conversion ratio bits
constexpr std::size_t max_leb128_bytes = 9;

[[noreturn]] void fail(const std::string& problem) { throw input_error("histogram", problem); }

hdr_histogram* new_hdr() {
  hdr_histogram* h = nullptr;
  if (hdr_init(latency_histogram::lowest_discernible_us, latency_histogram::highest_trackable_us,
               latency_histogram::significant_digits, &h) != 0 ||
      h == nullptr) {
    throw std::bad_alloc();
  }
  return h;
}

void copy_counts(hdr_histogram* to, const hdr_histogram* from) {
  std::memcpy(to->counts, from->counts,
              sizeof(std::int64_t) * static_cast<std::size_t>(to->counts_len));
  to->total_count = from->total_count;
  to->min_value = from->min_value;
  to->max_value = from->max_value;
}

std::uint32_t read_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}
std::uint64_t read_be64(const std::uint8_t* p) {
  return (std::uint64_t{read_be32(p)} << 32) | read_be32(p + 4);
}

// Value of each base64 character, -1 for anything else.
constexpr std::array<std::int8_t, 256> base64_table = [] {
  std::array<std::int8_t, 256> t{};
  t.fill(-1);
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (int i = 0; i < 64; ++i)
    t[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  return t;
}();

// Strict standard base64 (RFC 4648 with padding, no whitespace), into `out`.
void base64_decode(std::string_view text, std::vector<std::uint8_t>& out) {
  if (text.empty()) fail("empty text");
  if (text.size() % 4 != 0) fail("base64 length is not a multiple of 4");
  std::size_t pad = 0;
  if (text.back() == '=') pad = text[text.size() - 2] == '=' ? 2 : 1;
  out.resize(text.size() / 4 * 3);
  std::uint8_t* o = out.data();
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t block = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      int v = base64_table[static_cast<unsigned char>(c)];
      if (v < 0) {
        if (c != '=' || i + 4 != text.size() || j < 4 - pad) {
          fail("invalid base64 character at offset " + std::to_string(i + j));
        }
        v = 0;
      }
      block = (block << 6) | static_cast<std::uint32_t>(v);
    }
    *o++ = static_cast<std::uint8_t>(block >> 16);
    *o++ = static_cast<std::uint8_t>(block >> 8);
    *o++ = static_cast<std::uint8_t>(block);
  }
  out.resize(out.size() - pad);
}

// Inflates a zlib stream into `out` (at most `limit` bytes); the stream must end within the
// input and within the limit. `out` is per-thread scratch, so its capacity is reused: a fresh
// 200 KB buffer per call would cost more in page faults than the decoding itself. Its size is
// kept too (the bytes produced are returned): shrinking it to the output made every call
// zero-fill the whole limit again (a memset of ~200 KB per histogram decoded, 5% of the
// overseer's CPU with 200 beacons).
std::size_t inflate_bounded(const std::uint8_t* data, std::size_t size, std::size_t limit,
                            std::vector<std::uint8_t>& out) {
  if (out.size() < limit + 1) out.resize(limit + 1);
  z_stream strm{};
  if (inflateInit(&strm) != Z_OK) throw std::bad_alloc();
  strm.next_in = const_cast<Bytef*>(data);
  strm.avail_in = static_cast<uInt>(size);
  strm.next_out = out.data();
  strm.avail_out = static_cast<uInt>(limit + 1);
  const int rc = inflate(&strm, Z_FINISH);
  const std::size_t produced = limit + 1 - strm.avail_out;
  const std::size_t unused_input = strm.avail_in;
  inflateEnd(&strm);
  if (rc != Z_STREAM_END) {
    if (produced > limit) fail("compressed payload is larger than any valid histogram");
    fail("compressed payload is truncated or corrupt");
  }
  if (unused_input != 0) fail("trailing bytes after the compressed payload");
  return produced;
}

// Reads one LEB128 ZigZag value as zig_zag_decode_i64 does (8 bytes of 7 bits, a 9th of 8),
// without reading past `end`. Returns false when the value is truncated.
bool read_zig_zag(const std::uint8_t*& p, const std::uint8_t* end, std::int64_t& out) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < max_leb128_bytes; ++i) {
    if (p == end) return false;
    const std::uint64_t b = *p++;
    if (i == max_leb128_bytes - 1) {
      value |= b << 56;
      break;
    }
    value |= (b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) break;
  }
  out = static_cast<std::int64_t>((value >> 1) ^ (~(value & 1) + 1));
  return true;
}

struct decoded_counts {
  // (index, count) for every non-zero bucket, in increasing index order.
  std::vector<std::pair<std::int32_t, std::int64_t>> buckets;
  std::int64_t total = 0;
};

decoded_counts decode_counts(std::string_view encoded, std::int32_t counts_len) {
  thread_local std::vector<std::uint8_t> bytes;
  thread_local std::vector<std::uint8_t> raw;
  base64_decode(encoded, bytes);
  if (bytes.size() < compression_header_size) fail("too short to be a compressed histogram");
  if (cookie_base(read_be32(bytes.data())) != v2_compression_cookie) {
    char cookie[16];
    std::snprintf(cookie, sizeof cookie, "0x%08x", static_cast<unsigned>(read_be32(bytes.data())));
    fail(std::string("not a V2 compressed histogram (cookie ") + cookie + ")");
  }
  const auto compressed_len = static_cast<std::int32_t>(read_be32(bytes.data() + 4));
  if (compressed_len < 0 ||
      static_cast<std::size_t>(compressed_len) != bytes.size() - compression_header_size) {
    fail("compressed length does not match the text");
  }
  const std::size_t max_payload = static_cast<std::size_t>(counts_len) * max_leb128_bytes;
  const std::size_t raw_size = inflate_bounded(bytes.data() + compression_header_size,
                                               static_cast<std::size_t>(compressed_len),
                                               encoding_header_size + max_payload, raw);
  if (raw_size < encoding_header_size) fail("encoding header is truncated");
  const std::uint8_t* h = raw.data();
  if (cookie_base(read_be32(h)) != v2_encoding_cookie) fail("not a V2 encoded histogram");
  const auto payload_len = static_cast<std::int32_t>(read_be32(h + 4));
  const auto normalizing_offset = static_cast<std::int32_t>(read_be32(h + 8));
  const auto digits = static_cast<std::int32_t>(read_be32(h + 12));
  const auto lowest = static_cast<std::int64_t>(read_be64(h + 16));
  const auto highest = static_cast<std::int64_t>(read_be64(h + 24));
  const std::uint64_t ratio_bits = read_be64(h + 32);
  if (payload_len < 0 || static_cast<std::size_t>(payload_len) != raw_size - encoding_header_size) {
    fail("payload length does not match the data");
  }
  if (digits != latency_histogram::significant_digits ||
      lowest != latency_histogram::lowest_discernible_us ||
      highest != latency_histogram::highest_trackable_us) {
    fail("recorded with range [" + std::to_string(lowest) + ", " + std::to_string(highest) +
         "] and " + std::to_string(digits) + " significant digits; expected [1, 3600000000] and 3");
  }
  // The normalizing index offset and the integer-to-double conversion ratio only matter for
  // shifted or double histograms, which nothing here writes. Like hdr-histogram-js (which
  // writes 1 and 1 into them), the reader ignores both.
  (void)normalizing_offset;
  (void)ratio_bits;

  decoded_counts result;
  result.buckets.reserve(256);
  const std::uint8_t* p = h + encoding_header_size;
  const std::uint8_t* end = p + payload_len;
  std::int64_t index = 0;
  while (p != end) {
    std::int64_t v;
    if (!read_zig_zag(p, end, v)) fail("truncated count");
    if (v < 0) {
      // A run of -v empty buckets.
      if (v == std::numeric_limits<std::int64_t>::min() || index - v > counts_len) {
        fail("run of empty buckets goes past the histogram's range");
      }
      index -= v;
      continue;
    }
    if (index >= counts_len) fail("more buckets than the histogram's range holds");
    if (v > 0) {
      if (v > std::numeric_limits<std::int64_t>::max() / 4 - result.total)
        fail("total count overflows");
      result.total += v;
      result.buckets.emplace_back(static_cast<std::int32_t>(index), v);
    }
    ++index;
  }
  return result;
}

}  // namespace

latency_histogram::latency_histogram() : h_(new_hdr()) {}

latency_histogram::~latency_histogram() {
  if (h_ != nullptr) hdr_close(h_);
}

latency_histogram::latency_histogram(const latency_histogram& other) : h_(new_hdr()) {
  copy_counts(h_, other.h_);
}

latency_histogram& latency_histogram::operator=(const latency_histogram& other) {
  if (this != &other) {
    if (h_ == nullptr) h_ = new_hdr();
    copy_counts(h_, other.h_);
  }
  return *this;
}

latency_histogram::latency_histogram(latency_histogram&& other) noexcept
    : h_(std::exchange(other.h_, nullptr)) {}

latency_histogram& latency_histogram::operator=(latency_histogram&& other) noexcept {
  if (this != &other) {
    if (h_ != nullptr) hdr_close(h_);
    h_ = std::exchange(other.h_, nullptr);
  }
  return *this;
}

bool latency_histogram::record(std::int64_t micros, std::int64_t count) {
  assert(count >= 0);
  const std::int64_t v = std::clamp<std::int64_t>(micros, 0, highest_trackable_us);
  hdr_record_values(h_, v, count);
  return v == micros;
}

void latency_histogram::merge(const latency_histogram& other) {
  // Both sides always have the same bucket layout, so adding counts index by index is exact
  // (and about 10x faster than hdr_add, which walks and re-records every recorded value).
  const std::int64_t* from = other.h_->counts;
  std::int64_t* to = h_->counts;
  const std::int32_t n = h_->counts_len;
  for (std::int32_t i = 0; i < n; ++i) to[i] += from[i];
  h_->total_count += other.h_->total_count;
  h_->min_value = std::min(h_->min_value, other.h_->min_value);
  h_->max_value = std::max(h_->max_value, other.h_->max_value);
}

void latency_histogram::merge_encoded(std::string_view encoded) {
  const decoded_counts d = decode_counts(encoded, h_->counts_len);
  if (d.total > std::numeric_limits<std::int64_t>::max() / 2 - h_->total_count) {
    fail("total count overflows");
  }
  if (d.buckets.empty()) return;
  for (const auto& [index, count] : d.buckets) h_->counts[index] += count;
  // Update the totals as hdr_reset_internal_counters would, without rescanning every bucket.
  h_->total_count += d.total;
  const auto first_non_zero =
      d.buckets.front().first != 0 ? d.buckets.begin() : d.buckets.begin() + 1;
  if (first_non_zero != d.buckets.end()) {
    h_->min_value = std::min(h_->min_value, hdr_value_at_index(h_, first_non_zero->first));
  }
  const std::int64_t top = hdr_value_at_index(h_, d.buckets.back().first);
  h_->max_value = std::max(h_->max_value, hdr_next_non_equivalent_value(h_, top) - 1);
}

void latency_histogram::reset() { hdr_reset(h_); }

std::int64_t latency_histogram::count() const { return h_->total_count; }

std::int64_t latency_histogram::min() const { return empty() ? 0 : hdr_min(h_); }

std::int64_t latency_histogram::max() const { return empty() ? 0 : hdr_max(h_); }

double latency_histogram::mean() const { return empty() ? 0.0 : hdr_mean(h_); }

std::int64_t latency_histogram::percentile(double p) const {
  if (empty()) return 0;
  return hdr_value_at_percentile(h_, std::clamp(p, 0.0, 100.0));
}

void latency_histogram::percentiles(std::span<const double> ps, std::span<std::int64_t> out,
                                    double* mean) const {
  std::fill(out.begin(), out.end(), 0);
  if (mean != nullptr) *mean = 0;
  if (empty()) return;
  // As hdr_value_at_percentile: the first value whose cumulative count reaches
  // round(p% of the total) (at least 1), reported as the highest equivalent value; and as
  // hdr_mean: the sum of count x median equivalent value over the total.
  std::vector<std::int64_t> wanted(ps.size());
  for (std::size_t i = 0; i < ps.size(); ++i) {
    const double p = std::clamp(ps[i], 0.0, 100.0);
    wanted[i] = std::max<std::int64_t>(
        1, static_cast<std::int64_t>(((p / 100) * static_cast<double>(h_->total_count)) + 0.5));
  }
  // The counts in index order, as HdrHistogram's own iterator visits them (without its per-index
  // bookkeeping, which made five walks a large share of a 200-beacon overseer's CPU).
  std::size_t next = 0;
  std::int64_t cumulative = 0, weighted = 0;
  const bool raw = h_->normalizing_index_offset == 0;
  for (std::int32_t i = 0; i < h_->counts_len && cumulative < h_->total_count; ++i) {
    const std::int64_t count = raw ? h_->counts[i] : hdr_count_at_index(h_, i);
    if (count == 0) continue;
    const std::int64_t value = hdr_value_at_index(h_, i);
    cumulative += count;
    weighted += count * hdr_median_equivalent_value(h_, value);
    while (next < wanted.size() && cumulative >= wanted[next]) {
      out[next++] = hdr_next_non_equivalent_value(h_, value) - 1;
    }
  }
  if (mean != nullptr) *mean = static_cast<double>(weighted) / static_cast<double>(h_->total_count);
}

std::vector<latency_histogram::spectrum_point> latency_histogram::spectrum(
    int ticks_per_half_distance) const {
  std::vector<spectrum_point> points;
  if (empty()) return points;
  hdr_iter iter;
  hdr_iter_percentile_init(&iter, h_, std::max(1, ticks_per_half_distance));
  while (hdr_iter_next(&iter)) {
    points.push_back(
        {iter.specifics.percentiles.percentile, iter.value_iterated_to, iter.cumulative_count});
  }
  return points;
}

std::string latency_histogram::encode() const {
  char* text = nullptr;
  if (hdr_log_encode(h_, &text) != 0 || text == nullptr) {
    std::free(text);
    throw std::runtime_error("histogram: encoding failed");
  }
  std::string out(text);
  std::free(text);
  return out;
}

latency_histogram latency_histogram::decode(std::string_view encoded) {
  latency_histogram h;
  h.merge_encoded(encoded);
  return h;
}

bool operator==(const latency_histogram& a, const latency_histogram& b) {
  return a.h_->total_count == b.h_->total_count &&
         std::equal(a.h_->counts, a.h_->counts + a.h_->counts_len, b.h_->counts);
}

}  // namespace bts::stats
