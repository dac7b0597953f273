// Prometheus text exposition format 0.0.4: the body of a GET /metrics.
//
//   # HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
//   # TYPE node_cpu_seconds_total counter
//   node_cpu_seconds_total{cpu="0",mode="idle"} 11704.87
//   http_requests_total{path="/a\"b"} 3 1700000000000
//
// A sample line is `name[{label="value",...}] value [timestamp_ms]`; label values escape `\\`,
// `\"` and `\n`; values are floats including NaN, +Inf and -Inf. `# HELP` and `# TYPE` lines
// are checked (one TYPE per metric, known types); other `#` lines are comments. Blank lines are
// ignored. Errors name the line: "metrics line 12: expected '=' after label name \"cpu\"".
//
// Plain values; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace bts::monitor {

struct metric_sample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;  // in the order written
  double value = 0;
  std::optional<std::int64_t> timestamp_ms;

  // The value of label `name`, or nullptr.
  const std::string* label(std::string_view name) const;
};

// A label that must be present with this value.
struct label_match {
  std::string_view name;
  std::string_view value;
};

class exposition {
 public:
  // Every sample, in the order of the text.
  const std::vector<metric_sample>& samples() const { return samples_; }
  // Samples of one metric name, in text order (empty if none).
  std::vector<const metric_sample*> find(std::string_view name) const;
  // The first sample of `name` carrying every label in `match` (other labels are ignored).
  std::optional<double> value(std::string_view name,
                              std::initializer_list<label_match> match = {}) const;
  bool has(std::string_view name) const;

  // From `# TYPE` / `# HELP` lines; empty if absent.
  std::string type(std::string_view name) const;
  std::string help(std::string_view name) const;

 private:
  friend exposition parse_exposition(std::string_view, const std::string&, std::size_t);
  std::vector<metric_sample> samples_;
  std::unordered_map<std::string, std::vector<std::size_t>> by_name_;
  std::unordered_map<std::string, std::pair<std::string, std::string>> type_help_;
};

inline constexpr std::size_t default_max_exposition_bytes = 16 * 1024 * 1024;

// Parses a whole exposition. `source` prefixes error locations ("metrics" gives
// "metrics line 3"). Throws bts::input_error on the first bad line, or when the text is longer
// than `max_bytes`.
exposition parse_exposition(std::string_view text, const std::string& source = "metrics",
                            std::size_t max_bytes = default_max_exposition_bytes);

}  // namespace bts::monitor
