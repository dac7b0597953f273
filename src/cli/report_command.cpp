// `bts-infra report`: the stress-test report of stored runs.
//
//   report RUN [RUN ...] --store FILE      runs by id from the SQLite results store ("latest":
//   newest) report --run-dir DIR [--run-dir DIR]   runs from run directories (a RUN that is a run
//   directory
//                                          works too when no --store is given)
//          [--out DIR] [--format html|md|json|all]
//
// Writes DIR/report.html (self-contained: opens offline), DIR/report.md and DIR/report.json
// (default: all three; DIR defaults to reports/<first run id>) and prints each path written.
// Several runs make one comparison report. See docs/report.md.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "report/report.hpp"
#include "store/run_record.hpp"
#include "util/error.hpp"

namespace bts::cli {
namespace {

struct report_flags {
  std::vector<std::string> runs;
  std::string store;
  std::vector<std::string> run_dirs;
  std::string out;
  std::string format = "all";
};

void write_file(const std::filesystem::path& p, const std::string& text) {
  const std::filesystem::path tmp = p.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw std::runtime_error("cannot write " + tmp.string());
    f << text;
    if (!f.flush()) throw std::runtime_error("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, p);
}

int run_report(const report_flags& flags, io& s) {
  report::run_sources src;
  src.store = flags.store;
  for (const auto& r : flags.runs) {
    if (flags.store.empty() &&
        std::filesystem::exists(std::filesystem::path(r) / "manifest.json")) {
      src.run_dirs.emplace_back(r);
    } else {
      src.run_ids.push_back(r);
    }
  }
  for (const auto& d : flags.run_dirs) src.run_dirs.emplace_back(d);
  if (src.run_ids.empty() && src.run_dirs.empty()) {
    throw input_error("RUN", "name at least one run (an id with --store FILE, or --run-dir DIR)");
  }
  if (!src.run_ids.empty() && src.store.empty()) {
    throw input_error("RUN " + src.run_ids.front(),
                      "not a run directory, and no --store FILE given to look it up in");
  }
  const std::vector<store::run_record> runs = report::load_runs(src);

  report::report_options options;
  options.generated_at = store::format_unix_ms(store::now_unix_ms());
  const boost::json::object model = report::build_report(runs, options);

  std::filesystem::path out = flags.out;
  if (out.empty()) {
    out = std::filesystem::path("reports") / runs.front().info.id;
    if (runs.size() > 1) out += "-and-" + std::to_string(runs.size() - 1) + "-more";
  }
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec) throw input_error("--out " + out.string(), ec.message());

  std::vector<std::filesystem::path> written;
  auto emit = [&](const char* name, const std::string& text) {
    write_file(out / name, text);
    written.push_back(out / name);
  };
  const bool all = flags.format == "all";
  if (all || flags.format == "html") emit("report.html", report::render_html(model));
  if (all || flags.format == "md") emit("report.md", report::render_markdown(model));
  if (all || flags.format == "json") emit("report.json", report::render_json(model));
  for (const auto& p : written) s.out << p.string() << "\n";
  return 0;
}

}  // namespace

command make_report_command() {
  return {"report",
          "Stress-test report (HTML with plots, Markdown, JSON) of stored runs; several runs are "
          "compared",
          [](CLI::App& app) -> std::function<int(io&)> {
            auto f = std::make_shared<report_flags>();
            app.add_option("RUN", f->runs,
                           "Run id in --store (\"latest\" for the newest), or a run directory");
            app.add_option("--store", f->store, "SQLite results store holding the runs");
            app.add_option("--run-dir", f->run_dirs, "Run directory (repeat for several)");
            app.add_option("--out", f->out, "Output directory (default reports/<run id>)");
            app.add_option("--format", f->format, "html, md, json or all (default all)")
                ->check(CLI::IsMember({"html", "md", "json", "all"}));
            return [f](io& s) { return run_report(*f, s); };
          }};
}

}  // namespace bts::cli
