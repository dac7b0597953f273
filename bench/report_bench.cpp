// report_bench: the report of a 1-hour run at 1,000 tx/s (3,600 merged per-second rows with
// realistic per-second HDR histograms, ~1,200 blocks when the store records them), against the
// goals (< 5 s, < 5 MB) and against the physical floor measured in the same run: loading the run
// from the SQLite results store, which any report must do.
//
//   load:   results_store::load_run of the run (rows, per-second and cumulative histograms)
//   build:  build_report (model: series, merged percentiles, spectra, tables)
//   render: report.html + report.md + report.json
//
// Output: key=value lines. Usage: report_bench [--seconds N] [--rate R]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "../tests/report/synthetic_run.hpp"
#include "report/report.hpp"
#include "store/results_store.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
namespace fs = std::filesystem;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr, "report_bench: %s (usage: report_bench [--seconds N] [--rate R])\n",
               problem.c_str());
  std::exit(2);
}

long parse_positive(const char* flag, const char* text) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v <= 0)
    usage(std::string(flag) + ": expected a positive integer");
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  long seconds = 3600;
  long rate = 1000;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--seconds" || arg == "--rate") && i + 1 < argc) {
      (arg == "--seconds" ? seconds : rate) = parse_positive(arg.c_str(), argv[++i]);
    } else {
      usage("unknown argument '" + arg + "'");
    }
  }
  using namespace bts;
  report::test::synthetic_options o;
  o.seconds = seconds;
  o.rate = rate;
  o.rejected_every = 500;
  o.include_share = 0.999;
  const auto t_gen = clock_type::now();
  store::run_record run = report::test::synthetic_run(o);
  const double gen_s = seconds_since(t_gen);

  std::string templ = (fs::temp_directory_path() / "bts-report-bench-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) usage("mkdtemp failed");
  const fs::path dir = templ;
  const fs::path db_path = dir / "results.sqlite";
  {
    store::results_store db(db_path);
    store::run_info info = run.info;
    info.status = store::run_status::created;
    info.started_at.reset();
    info.ended_at.reset();
    db.create_run(info);
    for (const auto& b : run.beacons) db.put_beacon(info.id, b);
    db.start_run(info.id, *run.info.started_at);
    std::vector<store::second_record> batch;
    const auto& rows = run.merged.rows();
    for (std::size_t i = 0; i < rows.size(); ++i) {
      batch.push_back({"", rows[i], std::nullopt});
      if (i + 1 == rows.size()) batch.back().cumulative = run.cumulative.at("");
      if (batch.size() == 60 || i + 1 == rows.size()) {
        db.append_seconds(info.id, batch);
        batch.clear();
      }
    }
    for (const auto& e : run.events) db.add_event(info.id, e);
    db.finish_run(info.id, run.info.status, *run.info.ended_at, *run.summary);
  }
  const auto db_bytes = static_cast<long long>(fs::file_size(db_path));

  // Load (the floor), then build and render, as `bts-infra report` does.
  const auto t_load = clock_type::now();
  store::results_store db(db_path, store::results_store::mode::read_only);
  std::vector<store::run_record> runs;
  runs.push_back(db.load_run(run.info.id));
  const double load_s = seconds_since(t_load);
  // Blocks are attached in memory (the bench does not depend on how the store keeps them).
  report::test::add_blocks(runs[0], o);
  std::size_t blocks = 0;
  if constexpr (report::test::supports_blocks<store::run_record>()) blocks = runs[0].blocks.size();

  report::report_options ro;
  ro.generated_at = "bench";
  const auto t_build = clock_type::now();
  const boost::json::object model = report::build_report(runs, ro);
  const double build_s = seconds_since(t_build);
  const auto t_render = clock_type::now();
  const std::string html = report::render_html(model);
  const std::string md = report::render_markdown(model);
  const std::string js = report::render_json(model);
  const double render_s = seconds_since(t_render);
  const double total_s = load_s + build_s + render_s;

  std::error_code ec;
  fs::remove_all(dir, ec);

  std::printf("report.seconds=%ld\nreport.rate=%ld\nreport.blocks=%zu\n", seconds, rate, blocks);
  std::printf("report.synthesize_s=%.3f\nreport.store_bytes=%lld\n", gen_s, db_bytes);
  std::printf(
      "report.load_s=%.3f\nreport.build_s=%.3f\nreport.render_s=%.3f\nreport.total_s=%.3f\n",
      load_s, build_s, render_s, total_s);
  std::printf("report.html_bytes=%zu\nreport.md_bytes=%zu\nreport.json_bytes=%zu\n", html.size(),
              md.size(), js.size());
  std::printf("report.time_ratio_vs_5s_goal=%.3f\n", total_s / 5.0);
  std::printf("report.html_size_ratio_vs_5MB_goal=%.3f\n", static_cast<double>(html.size()) / 5e6);
  std::printf("report.json_size_ratio_vs_5MB_goal=%.3f\n", static_cast<double>(js.size()) / 5e6);
  std::printf("report.time_ratio_vs_load=%.3f\n", load_s > 0 ? total_s / load_s : 0.0);
  return 0;
}
