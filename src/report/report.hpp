// The stress-test report: one or more stored runs turned into a model of numbers and series
// (report.json), a Markdown document (report.md) and a self-contained HTML page with plots
// (report.html), all with the same numbers.
//
// The model is built once (build_report) and is the only input of the renderers: the Markdown
// and HTML writers format what the model holds and compute nothing of their own, so the three
// outputs cannot disagree. Latency distributions of several seconds or beacons come from merged
// HDR histograms (exact), never from averaged percentiles.
//
//   std::vector<store::run_record> runs = report::load_runs(sources);
//   boost::json::object model = report::build_report(runs, {.generated_at = "..."});
//   write(report::render_html(model)); write(report::render_markdown(model)); ...
//
// What a run lacks (no summary, no blocks, no events, a single second, nothing included) is
// said in the report, never an error. docs/report.md describes every section.
//
// Threads: pure functions over plain values.
#pragma once

#include <boost/json.hpp>

#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "store/run_record.hpp"

namespace bts::report {

struct report_options {
  // Shown as "generated at"; empty leaves it out (golden tests pass a fixed text).
  std::string generated_at;
  // The maximum block size when a run's manifest does not say (chain_parameters).
  std::int64_t default_maximum_block_size = 0;
};

// Where runs come from: ids in one results store, and/or run directories.
struct run_sources {
  std::filesystem::path store;       // empty: no store
  std::vector<std::string> run_ids;  // ids in the store; "latest" is the newest run
  std::vector<std::filesystem::path> run_dirs;
};

// Loads every run named, in the order given (store ids first, then directories). Throws
// bts::input_error naming the run or file that cannot be read (unknown id, not a store, a
// malformed run directory).
std::vector<store::run_record> load_runs(const run_sources& sources);

// The report model (report.json): see docs/report.md. REQUIRES: !runs.empty().
boost::json::object build_report(std::span<const store::run_record> runs,
                                 const report_options& options);

// The three outputs. Each takes the model build_report made.
std::string render_json(const boost::json::object& model);  // indented, newline at the end
std::string render_markdown(const boost::json::object& model);
std::string render_html(const boost::json::object& model);  // one file, no external references

}  // namespace bts::report
