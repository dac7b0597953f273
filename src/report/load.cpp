#include <filesystem>
#include <string>
#include <vector>

#include "report/report.hpp"
#include "store/results_store.hpp"
#include "store/run_directory.hpp"
#include "util/error.hpp"

namespace bts::report {
namespace {

// Read-only when the store is current; a store written by an older schema is opened read-write
// once, which applies its migrations (the store's own rule), then read.
store::results_store open_store(const std::filesystem::path& path) {
  try {
    return store::results_store(path, store::results_store::mode::read_only);
  } catch (const input_error&) {
    return store::results_store(path, store::results_store::mode::read_write);
  }
}

}  // namespace

std::vector<store::run_record> load_runs(const run_sources& sources) {
  std::vector<store::run_record> runs;
  if (!sources.run_ids.empty()) {
    if (sources.store.empty())
      throw input_error("--store", "run ids need a results store (--store FILE)");
    if (!std::filesystem::exists(sources.store)) {
      throw input_error(sources.store.string(), "no such results store");
    }
    store::results_store db = open_store(sources.store);
    for (const auto& id : sources.run_ids) {
      if (id == "latest") {
        const auto all = db.list_runs();
        if (all.empty()) throw input_error(sources.store.string(), "the store holds no runs");
        runs.push_back(db.load_run(all.front().id));
      } else {
        runs.push_back(db.load_run(id));
      }
    }
  }
  for (const auto& dir : sources.run_dirs) {
    if (!std::filesystem::is_directory(dir)) throw input_error(dir.string(), "not a run directory");
    runs.push_back(store::read_run_directory(dir));
  }
  return runs;
}

}  // namespace bts::report
