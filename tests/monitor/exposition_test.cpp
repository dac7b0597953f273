#include "monitor/exposition.hpp"

#include "util/error.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace bts::monitor {
namespace {

// The error message of parsing `text`, or "" if it parsed.
std::string error_of(std::string_view text, std::size_t max_bytes = default_max_exposition_bytes) {
  try {
    parse_exposition(text, "metrics", max_bytes);
  } catch (const input_error& e) {
    return e.what();
  }
  return "";
}

TEST(Exposition, ParsesNamesLabelsValuesTimestampsAndMetadata) {
  const auto e = parse_exposition(
      "# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.\n"
      "# TYPE node_cpu_seconds_total counter\n"
      "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 11704.87\n"
      "node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 6004.92\n"
      "node_cpu_seconds_total{cpu=\"1\",mode=\"user\",} 1e3\n"
      "\n"
      "# just a comment\n"
      "#\n"
      "process_start_time_seconds 1.7e+09 1700000000123\n"
      "  spaced_out \t { a = \"1\" , b=\"2\" }   -3.5   -42  \n"
      "colon:name:total 7\r\n");
  ASSERT_EQ(e.samples().size(), 6u);
  EXPECT_EQ(e.type("node_cpu_seconds_total"), "counter");
  EXPECT_EQ(e.help("node_cpu_seconds_total"), "Seconds the CPUs spent in each mode.");
  EXPECT_EQ(e.find("node_cpu_seconds_total").size(), 3u);
  EXPECT_EQ(e.value("node_cpu_seconds_total", {{"mode", "user"}}), 6004.92);
  EXPECT_EQ(e.value("node_cpu_seconds_total", {{"cpu", "1"}, {"mode", "user"}}), 1000.0);
  EXPECT_EQ(e.value("node_cpu_seconds_total", {{"cpu", "2"}}), std::nullopt);
  EXPECT_EQ(e.value("no_such_metric"), std::nullopt);
  const metric_sample& start = e.samples()[3];
  EXPECT_EQ(start.value, 1.7e9);
  EXPECT_EQ(start.timestamp_ms, 1700000000123);
  EXPECT_TRUE(start.labels.empty());
  const metric_sample& spaced = e.samples()[4];
  EXPECT_EQ(spaced.name, "spaced_out");
  ASSERT_EQ(spaced.labels.size(), 2u);
  EXPECT_EQ(*spaced.label("a"), "1");
  EXPECT_EQ(*spaced.label("b"), "2");
  EXPECT_EQ(spaced.value, -3.5);
  EXPECT_EQ(spaced.timestamp_ms, -42);
  EXPECT_EQ(e.value("colon:name:total"), 7.0);
  EXPECT_FALSE(e.samples()[0].timestamp_ms.has_value());
}

TEST(Exposition, SpecialValues) {
  const auto e = parse_exposition(
      "a NaN\nb +Inf\nc -Inf\nd Inf\ne nan\nf .5\ng -0\nh 1E-3\ni +2\nj 123456789012345678\n");
  EXPECT_TRUE(std::isnan(*e.value("a")));
  EXPECT_EQ(*e.value("b"), INFINITY);
  EXPECT_EQ(*e.value("c"), -INFINITY);
  EXPECT_EQ(*e.value("d"), INFINITY);
  EXPECT_TRUE(std::isnan(*e.value("e")));
  EXPECT_EQ(*e.value("f"), 0.5);
  EXPECT_EQ(*e.value("g"), 0.0);
  EXPECT_EQ(*e.value("h"), 0.001);
  EXPECT_EQ(*e.value("i"), 2.0);
  EXPECT_EQ(*e.value("j"), 123456789012345678.0);
}

TEST(Exposition, LabelValueEscapesAndHelpEscapes) {
  const auto e = parse_exposition(
      "# HELP m A \\\\ backslash\\nand a newline, \"quotes\" kept.\n"
      "m{path=\"C:\\\\dir\",msg=\"say \\\"hi\\\"\\nbye\",empty=\"\",brace=\"}{,=\"} 1\n");
  EXPECT_EQ(e.help("m"), "A \\ backslash\nand a newline, \"quotes\" kept.");
  const metric_sample& s = e.samples().at(0);
  EXPECT_EQ(*s.label("path"), "C:\\dir");
  EXPECT_EQ(*s.label("msg"), "say \"hi\"\nbye");
  EXPECT_EQ(*s.label("empty"), "");
  EXPECT_EQ(*s.label("brace"), "}{,=");
  EXPECT_EQ(s.label("absent"), nullptr);
}

TEST(Exposition, EmptyInputAndEmptyLabelSet) {
  EXPECT_TRUE(parse_exposition("").samples().empty());
  EXPECT_TRUE(parse_exposition("\n\n# only comments\n").samples().empty());
  EXPECT_EQ(*parse_exposition("m{a=\"1\"}1\n").value("m"), 1.0);  // as Prometheus parses it
  const auto e = parse_exposition("up{} 1");                      // no trailing newline
  ASSERT_EQ(e.samples().size(), 1u);
  EXPECT_TRUE(e.samples()[0].labels.empty());
  EXPECT_EQ(*e.value("up"), 1.0);
}

TEST(Exposition, MalformedLinesNameTheLineAndTheProblem) {
  EXPECT_EQ(error_of("ok 1\n9bad 1\n"),
            "metrics line 2: expected a metric name or '#' at \"9bad 1\"");
  EXPECT_EQ(error_of("m{cpu 1}\n"),
            "metrics line 1: expected '=' after label name \"cpu\" at \"1}\"");
  EXPECT_EQ(error_of("m{cpu=0} 1\n"),
            "metrics line 1: expected '\"' to open the value of label \"cpu\" at \"0} 1\"");
  EXPECT_EQ(error_of("m{cpu=\"0} 1\n"), "metrics line 1: unterminated value of label \"cpu\"");
  EXPECT_EQ(error_of("m{cpu=\"\\t\"} 1\n"),
            "metrics line 1: invalid escape \"\\t\" in the value of label \"cpu\" (expected \\\\, "
            "\\\" or \\n)");
  EXPECT_EQ(error_of("m{a=\"1\" b=\"2\"} 1\n"),
            "metrics line 1: expected ',' or '}' after the value of label \"a\" at \"b=\\\"2\\\"} "
            "1\"");
  EXPECT_EQ(error_of("m{a=\"1\",a=\"2\"} 1\n"), "metrics line 1: label \"a\" appears twice");
  EXPECT_EQ(error_of("m{9=\"1\"} 1\n"),
            "metrics line 1: expected a label name at \"9=\\\"1\\\"} 1\"");
  EXPECT_EQ(error_of("m\n"), "metrics line 1: expected a value after m (end of line)");
  EXPECT_EQ(error_of("m{a=\"1\"}\n"), "metrics line 1: expected a value after m (end of line)");
  EXPECT_EQ(error_of("m-1 2\n"),
            "metrics line 1: expected a blank and a value after m at \"-1 2\"");
  EXPECT_EQ(error_of("m abc\n"), "metrics line 1: invalid value \"abc\" for m");
  EXPECT_EQ(error_of("m 1.2.3\n"), "metrics line 1: invalid value \"1.2.3\" for m");
  EXPECT_EQ(error_of("m 1e999\n"), "metrics line 1: invalid value \"1e999\" for m");
  EXPECT_EQ(error_of("m 1 12.5\n"),
            "metrics line 1: invalid timestamp \"12.5\" (expected integer milliseconds)");
  EXPECT_EQ(error_of("m 1 12 extra\n"),
            "metrics line 1: unexpected text after the timestamp at \"extra\"");
  EXPECT_EQ(error_of("# TYPE m countr\n"),
            "metrics line 1: unknown type \"countr\" for m (expected counter, gauge, histogram, "
            "summary or untyped)");
  EXPECT_EQ(error_of("# TYPE m counter\n# TYPE m gauge\n"),
            "metrics line 2: second TYPE line for m");
  EXPECT_EQ(error_of("m 1\n# TYPE m gauge\n"), "metrics line 2: TYPE line for m after its samples");
  EXPECT_EQ(error_of("# HELP m a\n# HELP m b\n"), "metrics line 2: second HELP line for m");
  EXPECT_EQ(error_of("# HELP m bad \\x escape\n"),
            "metrics line 1: invalid escape \"\\x\" in HELP text (expected \\\\ or \\n)");
  EXPECT_EQ(error_of("# TYPE\n"),
            "metrics line 1: expected a metric name after # TYPE (end of line)");
  // HTML where an exposition was expected (a URL missing /metrics) fails on its first line.
  EXPECT_EQ(error_of("<html>\n<head><title>Node Exporter</title></head>\n"),
            "metrics line 1: expected a metric name or '#' at \"<html>\"");
}

TEST(Exposition, ErrorTextIsOneLineAndBounded) {
  const std::string long_garbage = "m{a=" + std::string(10'000, 'x') + "\n";
  const std::string e = error_of(long_garbage);
  EXPECT_NE(e, "");
  EXPECT_LT(e.size(), 200u);
  EXPECT_EQ(e.find('\n'), std::string::npos);
  EXPECT_EQ(error_of("m{a=\"x\ny\"} 1\n").find('\n'), std::string::npos);
}

TEST(Exposition, InputSizeIsBounded) {
  const std::string text = "m 1\n";
  EXPECT_EQ(error_of(text, 3), "metrics: exposition of 4 bytes is larger than the limit of 3");
  EXPECT_EQ(error_of(text, 4), "");
}

TEST(Exposition, LargeInputParses) {
  std::string text;
  for (int cpu = 0; cpu < 256; ++cpu) {
    for (const char* mode : {"idle", "user", "system", "iowait"}) {
      text += "node_cpu_seconds_total{cpu=\"" + std::to_string(cpu) + "\",mode=\"" + mode + "\"} " +
              std::to_string(cpu) + ".25\n";
    }
  }
  const auto e = parse_exposition(text);
  EXPECT_EQ(e.find("node_cpu_seconds_total").size(), 1024u);
  EXPECT_EQ(e.value("node_cpu_seconds_total", {{"cpu", "255"}, {"mode", "iowait"}}), 255.25);
}

}  // namespace
}  // namespace bts::monitor
