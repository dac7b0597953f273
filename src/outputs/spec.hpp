// Output selection, k6-style: `--out prometheus`, `--out json=FILE`,
// `--out elasticsearch=https://user@host:9200?prefix=bts&index=daily&ca=FILE`, and the same in a
// scenario or config file's `outputs:` list (docs/outputs.md, "Choosing outputs").
//
// Passwords never come from the command line: the Elasticsearch password is read from the
// environment variable BTS_ES_PASSWORD (or the one named by `password_env`) or from
// `password_file`; a password inside the URL is refused.
//
// Plain functions; any thread (they read the environment and password files).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "outputs/elasticsearch_options.hpp"

namespace YAML {
class Node;
}

namespace bts::outputs {

enum class output_kind { prometheus, elasticsearch, json };
std::string_view name(output_kind k);

struct output_spec {
  output_kind kind = output_kind::prometheus;
  // Where it was given, for later errors: "--out" or "scenario.yaml:12:5".
  std::string where;
  std::string json_file;                // kind == json
  elasticsearch_options elasticsearch;  // kind == elasticsearch (its `where` is set too)
};

// One `--out` value. Throws bts::input_error("--out", ...) naming the problem, e.g.
//   --out: unknown output "influxdb" (known: prometheus, elasticsearch=URL, json=FILE)
//   --out elasticsearch: unknown option "prefx" (known: prefix, index, ca, ...)
output_spec parse_out_flag(std::string_view text);

// The `outputs:` list of a YAML document (absent: empty). `source` names the file in errors,
// which read "source:line:column: outputs[1].index: expected daily or run, got \"weekly\"".
std::vector<output_spec> parse_outputs_yaml(std::string_view yaml_text, const std::string& source);
// The same for an already parsed `outputs:` node (e.g. inside a scenario parser).
std::vector<output_spec> parse_outputs_node(const YAML::Node& outputs, const std::string& source);

// Throws bts::input_error when two outputs of one kind would collide (two prometheus, or two
// elasticsearch outputs with the same spool directory).
void check_outputs(const std::vector<output_spec>& specs);

}  // namespace bts::outputs
