// --out flags and YAML `outputs:` blocks: what they select, and the one-line errors.
#include "outputs/spec.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "util/error.hpp"

namespace bts::outputs {
namespace {

std::string error_of(auto f) {
  try {
    f();
  } catch (const input_error& e) {
    return e.what();
  }
  return "(no error)";
}

struct password_env {
  password_env() { ::setenv("BTS_ES_PASSWORD", "s3cret", 1); }
  ~password_env() { ::unsetenv("BTS_ES_PASSWORD"); }
};

TEST(Spec, SimpleOutputs) {
  EXPECT_EQ(parse_out_flag("prometheus").kind, output_kind::prometheus);
  const auto j = parse_out_flag("json=run.jsonl");
  EXPECT_EQ(j.kind, output_kind::json);
  EXPECT_EQ(j.json_file, "run.jsonl");
  EXPECT_EQ(error_of([] { parse_out_flag("influxdb=http://x"); }),
            "--out: unknown output \"influxdb\" (known: prometheus, elasticsearch=URL, json=FILE)");
  EXPECT_EQ(error_of([] { parse_out_flag("json="); }), "--out: json needs a file: json=FILE");
}

TEST(Spec, ElasticsearchWithOptionsAndPasswordFromTheEnvironment) {
  password_env env;
  const auto s = parse_out_flag(
      "elasticsearch=https://bts@es.example:9200/proxy?prefix=bts&index=run&hdr=false&flush=500ms"
      "&spool=/tmp/sp&spool_max=64M&batch=200&timeout=5s");
  ASSERT_EQ(s.kind, output_kind::elasticsearch);
  const auto& o = s.elasticsearch;
  EXPECT_EQ(o.url, "https://es.example:9200/proxy");
  EXPECT_EQ(o.user, "bts");
  EXPECT_EQ(o.password, "s3cret");
  EXPECT_EQ(o.prefix, "bts");
  EXPECT_EQ(o.index, index_mode::per_run);
  EXPECT_FALSE(o.include_hdr);
  EXPECT_EQ(o.flush_interval, std::chrono::milliseconds(500));
  EXPECT_EQ(o.spool_dir, "/tmp/sp");
  EXPECT_EQ(o.spool_max_bytes, 64ull << 20);
  EXPECT_EQ(o.max_batch_documents, 200u);
  EXPECT_EQ(o.request_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(o.where, "--out elasticsearch");
  // Defaults.
  const auto d = parse_out_flag("elasticsearch=http://127.0.0.1:9200");
  EXPECT_EQ(d.elasticsearch.prefix, "bts-infra");
  EXPECT_EQ(d.elasticsearch.index, index_mode::daily);
  EXPECT_TRUE(d.elasticsearch.user.empty());
  EXPECT_TRUE(d.elasticsearch.password.empty());
}

TEST(Spec, PasswordsNeverFromTheCommandLine) {
  ::unsetenv("BTS_ES_PASSWORD");
  EXPECT_EQ(error_of([] { parse_out_flag("elasticsearch=https://bts:hunter2@es:9200"); }),
            "--out elasticsearch: do not put the password in the URL (it would show in process "
            "lists and logs); set BTS_ES_PASSWORD or password_file=FILE");
  EXPECT_EQ(error_of([] { parse_out_flag("elasticsearch=https://bts@es:9200"); }),
            "--out elasticsearch: no password for user \"bts\": set BTS_ES_PASSWORD or "
            "password_file=FILE");
  const auto file =
      std::filesystem::temp_directory_path() / ("bts-es-pw-" + std::to_string(::getpid()));
  std::ofstream(file) << "from-file\n";
  const auto s = parse_out_flag("elasticsearch=https://bts@es:9200?password_file=" + file.string());
  EXPECT_EQ(s.elasticsearch.password, "from-file");
  std::filesystem::remove(file);
}

TEST(Spec, OptionErrorsNameTheOption) {
  EXPECT_EQ(error_of([] { parse_out_flag("elasticsearch=http://h:9200?prefx=a"); }),
            "--out elasticsearch: unknown option \"prefx\" (known: prefix, index, ca, insecure, "
            "user, password_file, password_env, spool, spool_max, hdr, flush, batch, timeout)");
  EXPECT_EQ(error_of([] { parse_out_flag("elasticsearch=http://h:9200?index=weekly"); }),
            "--out elasticsearch: expected daily or run, got \"weekly\"");
  EXPECT_EQ(error_of([] { parse_out_flag("elasticsearch=http://h:9200?prefix=BTS"); }),
            "--out elasticsearch: index prefix \"BTS\" may only use a-z 0-9 . _ - "
            "(Elasticsearch index names are lower case)");
  EXPECT_EQ(error_of([] { parse_out_flag("elasticsearch=ftp://h"); }),
            "--out elasticsearch: expected an http:// or https:// URL, got \"ftp://h\"");
  EXPECT_EQ(error_of([] { parse_out_flag("elasticsearch=http://h:9200?ca=/nonexistent.pem"); }),
            "--out elasticsearch: cannot read CA file /nonexistent.pem");
}

TEST(Spec, YamlBlock) {
  password_env env;
  const auto specs = parse_outputs_yaml(R"(name: demo
outputs:
  - prometheus
  - json: results.jsonl
  - elasticsearch: https://bts@es.example:9200
    prefix: stress
    index: daily
    spool: /var/lib/bts/es
  - "elasticsearch=http://127.0.0.1:9200?prefix=local&spool=/tmp/other"
)",
                                        "scenario.yaml");
  ASSERT_EQ(specs.size(), 4u);
  EXPECT_EQ(specs[0].kind, output_kind::prometheus);
  EXPECT_EQ(specs[1].json_file, "results.jsonl");
  EXPECT_EQ(specs[2].elasticsearch.prefix, "stress");
  EXPECT_EQ(specs[2].elasticsearch.password, "s3cret");
  EXPECT_EQ(specs[2].where, "scenario.yaml:5:5");
  EXPECT_EQ(specs[3].elasticsearch.prefix, "local");
  EXPECT_TRUE(parse_outputs_yaml("name: x\n", "s.yaml").empty());
}

TEST(Spec, YamlErrorsPointIntoTheFile) {
  EXPECT_EQ(error_of([] {
              parse_outputs_yaml("outputs:\n  - elasticsearch: http://h:9200\n    index: weekly\n",
                                 "s.yaml");
            }),
            "s.yaml:3:5: outputs[0].index: expected daily or run, got \"weekly\"");
  EXPECT_EQ(error_of([] { parse_outputs_yaml("outputs:\n  - kafka: x\n", "s.yaml"); }),
            "s.yaml:2:5: outputs[0]: expected one of prometheus, elasticsearch, json");
  EXPECT_EQ(error_of([] { parse_outputs_yaml("outputs: prometheus\n", "s.yaml"); }),
            "s.yaml:1:10: outputs: expected a list of outputs (- prometheus, - elasticsearch: "
            "URL, - json: FILE)");
  EXPECT_EQ(
      error_of([] { parse_outputs_yaml("outputs:\n  - prometheus\n  - prometheus\n", "s.yaml"); }),
      "s.yaml:3:5: prometheus given twice");
  EXPECT_EQ(error_of([] { parse_outputs_yaml("outputs: [\n", "s.yaml"); }).substr(0, 7), "s.yaml:");
}

}  // namespace
}  // namespace bts::outputs
