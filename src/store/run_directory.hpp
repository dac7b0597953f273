// A run as plain files, for people and tools that do not want SQLite (docs/formats.md, "Run
// directory"):
//
//   DIR/manifest.json          run identity, scenario, beacons, and the free-form manifest
//   DIR/series.jsonl           one merged second per line (stats::second_row JSON)
//   DIR/events.jsonl           one event per line
//   DIR/blocks.jsonl           one block seen during the run per line (block_record JSON)
//   DIR/histograms/<kind>.hdr  cumulative merged histograms, one base64 line each
//   DIR/summary.json           the run summary, once the run has finished
//   DIR/beacons/<name>/series.jsonl, DIR/beacons/<name>/histograms/<kind>.hdr
//                              the same per beacon, when the run kept them
//
// Crash safety: whole files (manifest, histograms, summary) are written to a temporary name
// and renamed into place; JSON-lines files are appended and flushed one line at a time, and
// the reader ignores a final line that a kill cut short (no newline, not valid JSON).
//
// Threads: a run_directory_writer is used by one thread at a time; readers may read while it
// writes and see whole lines and whole files.
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "stats/second_series.hpp"
#include "store/run_record.hpp"

namespace bts::store {

// Writes a run directory as the run goes.
class run_directory_writer {
 public:
  // Creates `dir` (and parents) and writes manifest.json. REQUIRES: `dir` holds no
  // manifest.json yet (else bts::input_error naming it): runs never overwrite each other.
  // Throws store_error naming the path on I/O failure.
  run_directory_writer(std::filesystem::path dir, const run_info& info,
                       const std::vector<beacon_info>& beacons);
  ~run_directory_writer();

  const std::filesystem::path& dir() const { return dir_; }

  // Rewrites manifest.json (e.g. when the run starts, a beacon joins or the run ends).
  void update_manifest(const run_info& info, const std::vector<beacon_info>& beacons);
  // Appends one merged second to series.jsonl.
  void append_second(const stats::second_row& row);
  // Appends one second of one beacon to beacons/<beacon>/series.jsonl.
  void append_beacon_second(const std::string& beacon, const stats::second_row& row);
  void add_event(const event& e);
  // Appends one block to blocks.jsonl.
  void append_block(const block_record& b);
  // Writes histograms/<kind>.hdr (beacon empty) or beacons/<beacon>/histograms/<kind>.hdr.
  void write_histograms(const std::string& beacon, const encoded_histograms& h);
  void write_summary(const boost::json::object& summary);

 private:
  std::ofstream& open_append(const std::filesystem::path& relative);

  std::filesystem::path dir_;
  std::map<std::filesystem::path, std::unique_ptr<std::ofstream>> streams_;
};

// Writes a whole run at once (e.g. exporting from the store). Same rules as the writer.
void write_run_directory(const std::filesystem::path& dir, const run_record& run);

// Reads a run directory. Throws bts::input_error naming the file (and line) of anything
// malformed, e.g. "DIR/series.jsonl:12.sent: expected an integer".
run_record read_run_directory(const std::filesystem::path& dir);

// The manifest.json text for a run: pretty-printed, reserved members first.
std::string manifest_text(const run_info& info, const std::vector<beacon_info>& beacons);

}  // namespace bts::store
