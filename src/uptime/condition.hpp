// Conditions in a Gatus-like language, evaluated against one probe's facts.
//
//   [STATUS] == 200              [RESPONSE_TIME] < 500          [CONNECTED] == true
//   [CERTIFICATE_EXPIRATION] > 336h                             [BODY].result.head_block_number > 0
//   [CHAIN_ID] == 4018d784...    [HEAD_BLOCK_AGE] < 30s         [HEAD_BLOCK_LAG] <= 3
//   [PARTICIPATION] >= 90        [API_SETS] has history         [LAST_IRREVERSIBLE_LAG] < 50
//   len([API_SETS]) >= 4
//   [ES_LAG] < 100               [ES_BLOCK_AGE] < 5m            [ES_OBJECTS_LAG] < 1000
//
// Operands are placeholders (optionally followed by a JSON path for [BODY]), len(placeholder),
// or literals: numbers, durations (500ms, 30s, 5m, 336h, 14d), true/false, bare words or
// "quoted strings". Durations are compared in milliseconds, so a bare number next to
// [RESPONSE_TIME], [CERTIFICATE_EXPIRATION] or [HEAD_BLOCK_AGE] means milliseconds (as in
// Gatus). Operators: == != < <= > >= and `has` / `!has` (list membership; `has history` also
// matches bitshares-core's "history_api").
//
// A condition whose placeholder has no value in a probe (e.g. [CHAIN_ID] when the connection
// failed) fails, and its description says "(missing)".
//
// Plain values; any thread.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bts::uptime {

enum class placeholder {
  status,
  response_time,
  connected,
  certificate_expiration,
  body,
  chain_id,
  head_block_age,
  head_block_lag,
  participation,
  api_sets,
  last_irreversible_lag,
  es_lag,          // Elasticsearch: chain head - newest indexed block_data.block_num
  es_block_age,    // Elasticsearch: now - the newest indexed block_data.block_time
  es_objects_lag,  // Elasticsearch: chain head - newest objects-* block_number
};
// "[STATUS]" ...
const char* placeholder_name(placeholder p);

// What a probe found, as conditions see it. Unset optionals are "missing".
struct facts {
  bool connected = false;
  std::optional<std::int64_t> status;               // HTTP status
  std::optional<double> response_time_ms;           // whole probe up to the first answer
  std::optional<double> certificate_expiration_ms;  // time left on the leaf certificate
  std::optional<boost::json::value> body;           // HTTP body (JSON or string), or {"result":..}
  std::optional<std::string> chain_id;
  std::optional<double> head_block_age_ms;
  std::optional<double> head_block_lag;  // blocks behind the chain's median head
  std::optional<double> participation;   // percent of the last 128 slots filled
  std::optional<std::vector<std::string>> api_sets;
  std::optional<double> last_irreversible_lag;  // head - last irreversible, in blocks
  // Elasticsearch endpoints (filled in by the tracker, which knows the chain head).
  std::optional<double> es_lag;           // blocks the index is behind the chain head
  std::optional<double> es_block_age_ms;  // age of the newest indexed block
  std::optional<double> es_objects_lag;   // blocks objects-* is behind the chain head
  // Why es_lag / es_objects_lag are missing ("no chain head known for chain ..."), shown in
  // place of "missing" in the failed condition.
  std::string es_lag_missing, es_objects_lag_missing;
};

struct operand {
  enum class kind { placeholder, length, literal };
  kind type = kind::literal;
  uptime::placeholder ph = placeholder::status;
  std::vector<std::string> path;  // [BODY] path: keys, or "[N]" for array indices
  std::string text;               // literal as written
  std::optional<double> number;   // literal as a number (durations in ms, true=1/false=0)
  bool is_duration = false;
  bool is_bool = false;
};

enum class comparison { eq, ne, lt, le, gt, ge, has, not_has };

struct condition {
  std::string text;  // as written in the config
  operand left;
  comparison op = comparison::eq;
  operand right;

  // The placeholders it reads (to decide which calls a probe makes and how a failure is
  // classified).
  bool uses(placeholder p) const;
};

// Throws input_error(where, ...) naming the expected form, e.g.
//   uptime.yaml:12: condition "[STATUS] = 200": expected an operator (==, !=, <, <=, >, >=, has)
//   after [STATUS]
condition parse_condition(std::string_view text, const std::string& where);

struct evaluation {
  bool passed = false;
  // "[HEAD_BLOCK_AGE] (95s) < 30s"; the resolved value in parentheses.
  std::string description;
};
evaluation evaluate(const condition& c, const facts& f);

// A duration such as 500ms, 30s, 5m, 336h, 14d (or a bare number of `bare_unit_ms`) in
// milliseconds; nullopt when it is not one.
std::optional<double> parse_duration_ms(std::string_view text, double bare_unit_ms = 1);
// "350ms", "1.2s", "1m 35s", "26h 30m", "14d 3h" for humans.
std::string format_duration_ms(double ms);

}  // namespace bts::uptime
