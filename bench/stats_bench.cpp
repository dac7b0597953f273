// stats_bench: what recording and merging latency histograms costs, against the cheapest
// possible alternative measured in the same run.
//
//   record: latency_histogram::record() of N precomputed latencies vs a plain counter loop over
//           the same values (count and sum, what a histogram-free beacon would do). The ratio
//           says how much of the send loop's budget the histogram takes.
//   merge:  the overseer's per-second work: 200 beacons' one-second histograms (5,000 values
//           each) merged into one, from objects and from their encoded text as they arrive in
//           control messages. Reported per second of wall time and as the share of one core
//           that 200 beacons x 5 latency kinds need.
//
// Output: key=value lines. Usage: stats_bench [--count N] [--rounds R]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "stats/latency_histogram.hpp"

namespace {

using bts::stats::latency_histogram;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

template <class T>
void keep(T const& v) {
  asm volatile("" : : "r,m"(v) : "memory");
}

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr, "stats_bench: %s (usage: stats_bench [--count N] [--rounds R])\n",
               problem.c_str());
  std::exit(2);
}

long parse_positive(const char* flag, const char* text) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v <= 0) {
    usage(std::string(flag) + ": expected a positive integer, got '" + text + "'");
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  long count = 5'000'000;
  long rounds = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--count" || arg == "--rounds") && i + 1 < argc) {
      (arg == "--count" ? count : rounds) = parse_positive(arg.c_str(), argv[++i]);
    } else {
      usage("unexpected argument '" + arg + "'");
    }
  }

  // Latencies shaped like inclusion latencies: log-normal around a few ms with a long tail.
  std::mt19937_64 rng(20240601);
  std::lognormal_distribution<double> shape(8.0, 1.2);
  std::vector<std::int64_t> values(static_cast<std::size_t>(count));
  for (auto& v : values) v = static_cast<std::int64_t>(shape(rng));

  double record_best = 0, counter_best = 0;
  for (long r = 0; r < rounds; ++r) {
    latency_histogram h;
    auto start = clock_type::now();
    for (std::int64_t v : values) h.record(v);
    record_best = std::max(record_best, static_cast<double>(count) / seconds_since(start));
    keep(h.count());

    std::int64_t n = 0, sum = 0;
    start = clock_type::now();
    for (std::int64_t v : values) {
      ++n;
      sum += v;
      keep(sum);
    }
    counter_best = std::max(counter_best, static_cast<double>(count) / seconds_since(start));
    keep(n);
  }

  // 200 beacons, one second each at 5,000 tx/s.
  constexpr int beacons = 200;
  constexpr int per_second = 5000;
  std::vector<latency_histogram> seconds(beacons);
  std::vector<std::string> encoded;
  for (auto& h : seconds) {
    for (int i = 0; i < per_second; ++i) h.record(static_cast<std::int64_t>(shape(rng)));
    encoded.push_back(h.encode());
  }
  std::size_t encoded_bytes = 0;
  for (const auto& e : encoded) encoded_bytes += e.size();

  double merge_best = 0, merge_encoded_best = 0, encode_best = 0;
  bool exact = true;
  for (long r = 0; r < rounds; ++r) {
    int reps = 0;
    auto start = clock_type::now();
    latency_histogram from_objects;
    do {
      from_objects.reset();
      for (const auto& h : seconds) from_objects.merge(h);
      ++reps;
    } while (seconds_since(start) < 0.5);
    merge_best = std::max(merge_best, reps * beacons / seconds_since(start));

    reps = 0;
    start = clock_type::now();
    latency_histogram from_text;
    do {
      from_text.reset();
      for (const auto& e : encoded) from_text.merge_encoded(e);
      ++reps;
    } while (seconds_since(start) < 0.5);
    merge_encoded_best = std::max(merge_encoded_best, reps * beacons / seconds_since(start));
    exact = exact && from_text == from_objects && from_objects.count() == beacons * per_second;

    reps = 0;
    start = clock_type::now();
    do {
      for (const auto& h : seconds) keep(h.encode().size());
      ++reps;
    } while (seconds_since(start) < 0.5);
    encode_best = std::max(encode_best, reps * beacons / seconds_since(start));
  }

  // The overseer each second: 200 beacons x 5 kinds, decoded from text and merged.
  const double overseer_share = beacons * 5 / merge_encoded_best;

  std::printf("stats.record_count=%ld\n", count);
  std::printf("stats.record_per_sec=%.0f\n", record_best);
  std::printf("stats.counter_per_sec=%.0f\n", counter_best);
  std::printf("stats.record_ratio_vs_counter=%.3f\n", record_best / counter_best);
  std::printf("stats.record_ns=%.2f\n", 1e9 / record_best);
  std::printf("stats.merge_per_sec=%.0f\n", merge_best);
  std::printf("stats.merge_200_per_sec=%.1f\n", merge_best / beacons);
  std::printf("stats.merge_encoded_per_sec=%.0f\n", merge_encoded_best);
  std::printf("stats.merge_encoded_200_per_sec=%.1f\n", merge_encoded_best / beacons);
  std::printf("stats.encode_per_sec=%.0f\n", encode_best);
  std::printf("stats.encoded_bytes_per_second_histogram=%.0f\n",
              static_cast<double>(encoded_bytes) / beacons);
  std::printf("stats.overseer_200x5_core_share=%.4f\n", overseer_share);
  std::printf("stats.merge_exact=%d\n", exact ? 1 : 0);
  return exact ? 0 : 1;
}
