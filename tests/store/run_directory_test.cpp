// Run directories: the exact files (golden), reading them back, torn last lines after a kill,
// and errors that name the file and line.
#include "store/run_directory.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "store/results_store.hpp"
#include "store/sample_run.hpp"
#include "util/error.hpp"

namespace bts::store {
namespace {

namespace fs = std::filesystem;
using test::sample_run;
using test::sample_second;
using test::temp_dir;

const fs::path golden_dir = fs::path(BTS_SOURCE_DIR) / "tests/store/testdata/golden_run";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<fs::path> files_under(const fs::path& root) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) out.push_back(fs::relative(e.path(), root));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string error_of(auto&& f) {
  try {
    f();
  } catch (const input_error& e) {
    return e.what();
  }
  return "no error";
}

// BTS_UPDATE_GOLDEN=1 rewrites testdata/golden_run from the current writer (review the diff!).
TEST(RunDirectory, WritesTheGoldenFiles) {
  temp_dir dir;
  const fs::path out = dir / "run";
  write_run_directory(out, sample_run());
  if (std::getenv("BTS_UPDATE_GOLDEN") != nullptr) {
    fs::remove_all(golden_dir);
    fs::create_directories(golden_dir.parent_path());
    fs::copy(out, golden_dir, fs::copy_options::recursive);
  }
  const auto files = files_under(out);
  ASSERT_EQ(files, files_under(golden_dir));
  for (const auto& f : files) EXPECT_EQ(slurp(out / f), slurp(golden_dir / f)) << f;
  // manifest, summary, events, blocks, series (merged and 2 beacons), 5 histograms for each of
  // 3 scopes
  EXPECT_EQ(files.size(), 22u);
}

TEST(RunDirectory, ReadsTheGoldenRunBack) {
  const run_record got = read_run_directory(golden_dir);
  const run_record expected = sample_run();
  EXPECT_EQ(got.info, expected.info);
  EXPECT_EQ(got.beacons, expected.beacons);
  EXPECT_EQ(got.merged, expected.merged);
  EXPECT_EQ(got.by_beacon, expected.by_beacon);
  EXPECT_EQ(got.cumulative, expected.cumulative);
  EXPECT_EQ(got.events, expected.events);
  EXPECT_EQ(got.blocks, expected.blocks);
  EXPECT_EQ(got.summary, expected.summary);
  EXPECT_EQ(got, expected);
}

TEST(RunDirectory, BlocksAreOneObjectPerLineWithTheFieldNames) {
  const std::string text = slurp(golden_dir / "blocks.jsonl");
  EXPECT_EQ(text.substr(0, text.find('\n')),
            R"({"block_num":1000,"time_ms":1714564803000,"witness":"1.6.1","transactions":32,)"
            R"("operations":37,"bytes":5272,"run_transactions":30,"max_block_size":2000000})");
}

TEST(RunDirectory, ManifestCarriesTheFreeFormMembersAfterOurs) {
  const std::string text = slurp(golden_dir / "manifest.json");
  EXPECT_EQ(
      text.rfind("{\n  \"format\": \"bts-infra run directory\",\n  \"format_version\": 1,", 0), 0u);
  EXPECT_LT(text.find("\"beacons\""), text.find("\"seed\": 42"));
}

TEST(RunDirectory, WriterAppendsAsTheRunGoes) {
  temp_dir dir;
  run_record rec = sample_run();
  run_directory_writer w(dir / "live", rec.info, rec.beacons);
  w.append_second(rec.merged.rows()[0]);
  EXPECT_EQ(read_run_directory(dir / "live").merged.rows().size(), 1u);
  w.append_second(rec.merged.rows()[1]);
  w.append_beacon_second("alpha", rec.by_beacon["alpha"].rows()[0]);
  w.add_event(rec.events[0]);
  w.append_block(rec.blocks[1]);
  w.append_block(rec.blocks[0]);
  rec.info.status = run_status::stopped;
  w.update_manifest(rec.info, rec.beacons);
  const run_record back = read_run_directory(dir / "live");
  EXPECT_EQ(back.merged.rows().size(), 2u);
  EXPECT_EQ(back.by_beacon.at("alpha").rows().size(), 1u);
  EXPECT_EQ(back.events.size(), 1u);
  ASSERT_EQ(back.blocks.size(), 2u);
  EXPECT_EQ(back.blocks[0], rec.blocks[0]);  // in block order
  EXPECT_EQ(back.info.status, run_status::stopped);
  EXPECT_FALSE(back.summary);
  EXPECT_TRUE(back.cumulative.empty());
}

TEST(RunDirectory, NeverOverwritesARun) {
  temp_dir dir;
  const run_record rec = sample_run();
  run_directory_writer first(dir / "run", rec.info, rec.beacons);
  EXPECT_EQ(error_of([&] { run_directory_writer again(dir / "run", rec.info, rec.beacons); }),
            (dir / "run" / "manifest.json").string() +
                ": already holds a run; runs never overwrite each other");
}

TEST(RunDirectory, IgnoresALastLineCutShortByAKill) {
  temp_dir dir;
  write_run_directory(dir / "run", sample_run());
  const std::string line = slurp(dir / "run" / "series.jsonl").substr(0, 80);
  std::ofstream(dir / "run" / "series.jsonl", std::ios::app) << line;  // no newline
  std::ofstream(dir / "run" / "events.jsonl", std::ios::app) << "{\"time\":\"2024";
  std::ofstream(dir / "run" / "blocks.jsonl", std::ios::app) << "{\"block_num\":10";
  const run_record back = read_run_directory(dir / "run");
  EXPECT_EQ(back.merged, sample_run().merged);
  EXPECT_EQ(back.events, sample_run().events);
  EXPECT_EQ(back.blocks, sample_run().blocks);
}

TEST(RunDirectory, ErrorsNameFileAndLine) {
  temp_dir dir;
  const fs::path run = dir / "run";
  write_run_directory(run, sample_run());
  std::ofstream(run / "series.jsonl", std::ios::app) << "{\"second\":9,\"beacons\":\"two\"}\n";
  EXPECT_EQ(error_of([&] { read_run_directory(run); }),
            (run / "series.jsonl").string() + ":4.beacons: expected an integer");

  fs::remove(run / "series.jsonl");
  std::ofstream(run / "events.jsonl", std::ios::app)
      << "{\"time\":\"2024-05-01T12:00:09.000Z\","
         "\"kind\":\"party\",\"beacon\":\"\",\"data\":{}}\n";
  EXPECT_EQ(error_of([&] { read_run_directory(run); }),
            (run / "events.jsonl").string() +
                ":5.kind: unknown event kind \"party\" (expected start, stop, rate_change, error, "
                "break_point, beacon_joined, beacon_lost or note)");

  fs::remove(run / "events.jsonl");
  std::ofstream(run / "blocks.jsonl", std::ios::app)
      << "{\"block_num\":1003,\"time_ms\":1,\"witness\":\"1.6.1\","
         "\"transactions\":-1}\n";
  EXPECT_EQ(error_of([&] { read_run_directory(run); }),
            (run / "blocks.jsonl").string() + ":4.transactions: expected a count >= 0");

  fs::remove(run / "blocks.jsonl");
  std::ofstream(run / "histograms" / "ack_corrected.hdr") << "HISTnope\n";
  EXPECT_EQ(error_of([&] { read_run_directory(run); }),
            (run / "histograms" / "ack_corrected.hdr").string() +
                ": histogram: too short to be a compressed histogram");

  std::ofstream(run / "manifest.json") << "{\"format\":\"something else\"}";
  EXPECT_EQ(error_of([&] { read_run_directory(run); }),
            (run / "manifest.json").string() +
                ": not a bts-infra run directory manifest (format is \"something else\")");
  EXPECT_EQ(error_of([&] { read_run_directory(dir / "nowhere"); }),
            (dir / "nowhere").string() + ": not a run directory (no manifest.json)");
}

TEST(RunDirectory, ExportFromTheStoreMatches) {
  temp_dir dir;
  results_store db(dir / "results.db");
  run_record rec = sample_run();
  const std::string id = db.create_run(rec.info);
  for (const auto& b : rec.beacons) db.put_beacon(id, b);
  for (const auto& [beacon, series] : rec.by_beacon) {
    for (const auto& r : series.rows()) db.append_second(id, beacon, r);
  }
  for (const auto& r : rec.merged.rows()) db.append_second(id, results_store::merged, r);
  for (const auto& [scope, h] : rec.cumulative) {
    db.append_second(id, scope, rec.merged.rows().back(), h);  // already stored: cumulative only
  }
  for (const auto& e : rec.events) db.add_event(id, e);
  db.append_blocks(id, rec.blocks);
  db.finish_run(id, run_status::completed, *rec.info.ended_at, *rec.summary);
  write_run_directory(dir / "export", db.load_run(id));
  EXPECT_EQ(read_run_directory(dir / "export"), rec);
}

}  // namespace
}  // namespace bts::store
