#include "store/run_directory.hpp"

#include <algorithm>
#include <array>
#include <sstream>

#include "stats/json_io.hpp"
#include "store/results_store.hpp"
#include "util/error.hpp"

namespace bts::store {
namespace {

namespace fs = std::filesystem;
namespace json = stats::json;

constexpr const char* format_name = "bts-infra run directory";
constexpr std::int64_t format_version = 1;
constexpr const auto& reserved = reserved_manifest_keys;

[[noreturn]] void io_fail(const fs::path& p, const std::string& what) {
  throw store_error(p.string() + ": " + what);
}

void make_dirs(const fs::path& p) {
  std::error_code ec;
  fs::create_directories(p, ec);
  if (ec) io_fail(p, "cannot create directory: " + ec.message());
}

// Writes `text` to `path` via a temporary file and a rename, so readers and a crash see either
// the old file or the new one.
void write_file_atomically(const fs::path& path, const std::string& text) {
  make_dirs(path.parent_path());
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) io_fail(tmp, "cannot write");
    out << text;
    out.flush();
    if (!out) io_fail(tmp, "write failed");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) io_fail(path, "cannot rename into place: " + ec.message());
}

std::optional<std::string> read_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) io_fail(path, "cannot read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// JSON-lines text without a final line that a kill cut short: no newline and not valid JSON.
std::string without_torn_line(std::string text) {
  if (text.empty() || text.back() == '\n') return text;
  const std::size_t start = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
  boost::system::error_code ec;
  boost::json::parse(boost::json::string_view(text.data() + start, text.size() - start), ec);
  if (ec) text.resize(start);
  return text;
}

fs::path scope_dir(const std::string& beacon) {
  return beacon.empty() ? fs::path() : fs::path("beacons") / beacon;
}

boost::json::value optional_time(const std::optional<unix_ms>& t) {
  if (!t) return nullptr;
  return boost::json::value(format_unix_ms(*t));
}

std::optional<unix_ms> optional_time_from(const boost::json::object& o, std::string_view key,
                                          const std::string& where) {
  const auto text = json::get_optional_string(o, key, where);
  if (!text) return std::nullopt;
  return parse_unix_ms(*text, json::member_path(where, key));
}

void read_histograms(const fs::path& dir, const std::string& scope, run_record& rec) {
  for (auto k : stats::all_latency_kinds) {
    const fs::path file = dir / "histograms" / (std::string(stats::name(k)) + ".hdr");
    auto text = read_file(file);
    if (!text) continue;
    while (!text->empty() &&
           (text->back() == '\n' || text->back() == '\r' || text->back() == ' ')) {
      text->pop_back();
    }
    try {
      stats::latency_histogram::decode(*text);
    } catch (const input_error& e) {
      throw input_error(file.string(), e.what());
    }
    rec.cumulative[scope][static_cast<std::size_t>(k)] = std::move(*text);
  }
}

stats::second_series read_series(const fs::path& file) {
  const auto text = read_file(file);
  if (!text) return {};
  return stats::second_series::from_jsonl(without_torn_line(*text), file.string());
}

// Calls f(value, "FILE:LINE") for every non-blank line of a JSON-lines file, if it exists.
template <class F>
void for_each_line(const fs::path& file, F&& f) {
  const auto content = read_file(file);
  if (!content) return;
  const std::string text = without_torn_line(*content);
  const std::string name = file.string();
  std::size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    ++line_no;
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    const std::string_view line(text.data() + pos, nl - pos);
    pos = nl + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string where = name + ":" + std::to_string(line_no);
    f(json::parse(line, where), where);
  }
}

}  // namespace

std::string manifest_text(const run_info& info, const std::vector<beacon_info>& beacons) {
  boost::json::object o;
  o["format"] = format_name;
  o["format_version"] = format_version;
  boost::json::object run;
  run["id"] = info.id;
  run["name"] = info.name;
  run["status"] = name(info.status);
  run["created_at"] = format_unix_ms(info.created_at);
  run["started_at"] = optional_time(info.started_at);
  run["ended_at"] = optional_time(info.ended_at);
  o["run"] = std::move(run);
  boost::json::object scenario;
  scenario["name"] = info.scenario_name;
  scenario["text"] = info.scenario_text;
  o["scenario"] = std::move(scenario);
  boost::json::array list;
  for (const auto& b : beacons) list.push_back(to_json(b));
  o["beacons"] = std::move(list);
  check_manifest(info.manifest);
  for (const auto& m : info.manifest) o[m.key()] = m.value();
  return json::write_pretty(o) + "\n";
}

run_directory_writer::run_directory_writer(fs::path dir, const run_info& info,
                                           const std::vector<beacon_info>& beacons)
    : dir_(std::move(dir)) {
  std::error_code ec;
  if (fs::exists(dir_ / "manifest.json", ec)) {
    throw input_error((dir_ / "manifest.json").string(),
                      "already holds a run; runs never overwrite each other");
  }
  make_dirs(dir_);
  update_manifest(info, beacons);
}

run_directory_writer::~run_directory_writer() = default;

void run_directory_writer::update_manifest(const run_info& info,
                                           const std::vector<beacon_info>& beacons) {
  write_file_atomically(dir_ / "manifest.json", manifest_text(info, beacons));
}

std::ofstream& run_directory_writer::open_append(const fs::path& relative) {
  auto& slot = streams_[relative];
  if (!slot) {
    const fs::path full = dir_ / relative;
    make_dirs(full.parent_path());
    slot = std::make_unique<std::ofstream>(full, std::ios::binary | std::ios::app);
    if (!*slot) io_fail(full, "cannot open for appending");
  }
  return *slot;
}

namespace {
void append_line(std::ofstream& out, const fs::path& path, const std::string& line) {
  out << line << '\n';
  out.flush();
  if (!out) io_fail(path, "write failed");
}
}  // namespace

void run_directory_writer::append_second(const stats::second_row& row) {
  append_line(open_append("series.jsonl"), dir_ / "series.jsonl", json::write(stats::to_json(row)));
}

void run_directory_writer::append_beacon_second(const std::string& beacon,
                                                const stats::second_row& row) {
  check_beacon_name(beacon, "beacon name");
  const fs::path rel = scope_dir(beacon) / "series.jsonl";
  append_line(open_append(rel), dir_ / rel, json::write(stats::to_json(row)));
}

void run_directory_writer::add_event(const event& e) {
  if (!e.beacon.empty()) check_beacon_name(e.beacon, "event beacon");
  append_line(open_append("events.jsonl"), dir_ / "events.jsonl", json::write(to_json(e)));
}

void run_directory_writer::append_block(const block_record& b) {
  append_line(open_append("blocks.jsonl"), dir_ / "blocks.jsonl", json::write(to_json(b)));
}

void run_directory_writer::write_histograms(const std::string& beacon,
                                            const encoded_histograms& h) {
  if (!beacon.empty()) check_beacon_name(beacon, "beacon name");
  for (auto k : stats::all_latency_kinds) {
    const std::string& text = h[static_cast<std::size_t>(k)];
    if (text.empty()) continue;
    write_file_atomically(
        dir_ / scope_dir(beacon) / "histograms" / (std::string(stats::name(k)) + ".hdr"),
        text + "\n");
  }
}

void run_directory_writer::write_summary(const boost::json::object& summary) {
  write_file_atomically(dir_ / "summary.json", json::write_pretty(summary) + "\n");
}

void write_run_directory(const fs::path& dir, const run_record& run) {
  run_directory_writer w(dir, run.info, run.beacons);
  for (const auto& r : run.merged.rows()) w.append_second(r);
  for (const auto& [beacon, series] : run.by_beacon) {
    for (const auto& r : series.rows()) w.append_beacon_second(beacon, r);
  }
  for (const auto& e : run.events) w.add_event(e);
  for (const auto& b : run.blocks) w.append_block(b);
  for (const auto& [scope, h] : run.cumulative) w.write_histograms(scope, h);
  if (run.summary) w.write_summary(*run.summary);
}

run_record read_run_directory(const fs::path& dir) {
  run_record rec;
  const fs::path manifest_file = dir / "manifest.json";
  const auto manifest = read_file(manifest_file);
  if (!manifest) {
    throw input_error(dir.string(), "not a run directory (no manifest.json)");
  }
  const std::string mw = manifest_file.string();
  const boost::json::value mv = json::parse(*manifest, mw);
  const auto& m = json::as_object(mv, mw);
  const auto format = json::get_optional_string(m, "format", mw);
  if (format != format_name) {
    throw input_error(mw, "not a bts-infra run directory manifest (format is " +
                              (format ? "\"" + *format + "\"" : std::string("missing")) + ")");
  }
  const std::int64_t version = json::get_int(m, "format_version", mw);
  if (version > format_version) {
    throw input_error(mw, "written by a newer bts-infra (format_version " +
                              std::to_string(version) + "; this build reads up to " +
                              std::to_string(format_version) + ")");
  }
  const std::string rw = json::member_path(mw, "run");
  const auto& run = json::as_object(json::get(m, "run", mw), rw);
  rec.info.id = json::get_string(run, "id", rw);
  check_run_id(rec.info.id, json::member_path(rw, "id"));
  rec.info.name = json::get_string(run, "name", rw);
  const std::string status = json::get_string(run, "status", rw);
  const auto st = parse_run_status(status);
  if (!st) throw input_error(json::member_path(rw, "status"), "unknown status \"" + status + "\"");
  rec.info.status = *st;
  rec.info.created_at =
      parse_unix_ms(json::get_string(run, "created_at", rw), json::member_path(rw, "created_at"));
  rec.info.started_at = optional_time_from(run, "started_at", rw);
  rec.info.ended_at = optional_time_from(run, "ended_at", rw);
  const std::string sw = json::member_path(mw, "scenario");
  const auto& scenario = json::as_object(json::get(m, "scenario", mw), sw);
  rec.info.scenario_name = json::get_string(scenario, "name", sw);
  rec.info.scenario_text = json::get_string(scenario, "text", sw);
  const std::string bw = json::member_path(mw, "beacons");
  const auto& beacons = json::as_array(json::get(m, "beacons", mw), bw);
  for (std::size_t i = 0; i < beacons.size(); ++i) {
    rec.beacons.push_back(beacon_from_json(beacons[i], json::index_path(bw, i)));
  }
  for (const auto& member : m) {
    if (std::find(reserved.begin(), reserved.end(), std::string_view(member.key())) ==
        reserved.end()) {
      rec.info.manifest[member.key()] = member.value();
    }
  }

  rec.merged = read_series(dir / "series.jsonl");
  read_histograms(dir, "", rec);
  std::error_code ec;
  if (fs::is_directory(dir / "beacons", ec)) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir / "beacons")) {
      if (entry.is_directory()) names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      check_beacon_name(name, (dir / "beacons" / name).string());
      const fs::path bdir = dir / "beacons" / name;
      stats::second_series s = read_series(bdir / "series.jsonl");
      if (!s.empty()) rec.by_beacon[name] = std::move(s);
      read_histograms(bdir, name, rec);
    }
  }

  for_each_line(dir / "events.jsonl", [&](const boost::json::value& v, const std::string& where) {
    rec.events.push_back(event_from_json(v, where));
  });
  // One record per block number, the first one written; in block order.
  std::map<std::int64_t, block_record> blocks;
  for_each_line(dir / "blocks.jsonl", [&](const boost::json::value& v, const std::string& where) {
    block_record b = block_from_json(v, where);
    blocks.try_emplace(b.block_num, std::move(b));
  });
  for (auto& [num, b] : blocks) rec.blocks.push_back(std::move(b));
  if (const auto summary = read_file(dir / "summary.json")) {
    const std::string sw2 = (dir / "summary.json").string();
    rec.summary = json::as_object(json::parse(*summary, sw2), sw2);
  }
  return rec;
}

}  // namespace bts::store
