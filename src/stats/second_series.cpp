#include "stats/second_series.hpp"

#include <algorithm>
#include <cmath>

#include "stats/json_io.hpp"
#include "stats/rejection.hpp"
#include "util/error.hpp"

namespace bts::stats {
namespace {

constexpr std::array<std::string_view, latency_kind_count> kind_names = {
    "schedule_lag", "ack_corrected", "ack_uncorrected", "inclusion_corrected",
    "inclusion_uncorrected"};

boost::json::value optional_number(const std::optional<double>& v) {
  if (!v) return nullptr;
  return json::rounded(*v, 2);
}

boost::json::array node_load_to_json(const std::map<std::string, node_load_row>& loads) {
  boost::json::array a;
  a.reserve(loads.size());
  for (const auto& [node, l] : loads) {
    boost::json::object o;
    o["node"] = node;
    for (const auto& f : node_load_fields) {
      const auto& v = l.*(f.member);
      if (!v) {
        o[f.key] = nullptr;
      } else if (f.bytes) {
        o[f.key] = static_cast<std::int64_t>(std::llround(*v));
      } else {
        o[f.key] = json::rounded(*v, 2);
      }
    }
    a.emplace_back(std::move(o));
  }
  return a;
}

std::map<std::string, node_load_row> node_load_from_json(const boost::json::value& v,
                                                         const std::string& where) {
  std::map<std::string, node_load_row> out;
  const auto& a = json::as_array(v, where);
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::string item_where = json::index_path(where, i);
    const auto& o = json::as_object(a[i], item_where);
    std::string node = json::get_string(o, "node", item_where);
    if (node.empty()) throw input_error(json::member_path(item_where, "node"), "is empty");
    node_load_row l;
    for (const auto& f : node_load_fields) {
      l.*(f.member) = json::get_optional_number(o, f.key, item_where);
      if (l.*(f.member) && *(l.*(f.member)) < 0) {
        throw input_error(json::member_path(item_where, f.key), "is negative");
      }
    }
    if (!out.emplace(node, l).second) {
      throw input_error(json::member_path(item_where, "node"), "\"" + node + "\" appears twice");
    }
  }
  return out;
}

std::optional<double> max_of(const std::optional<double>& a, const std::optional<double>& b) {
  if (!a) return b;
  if (!b) return a;
  return std::max(*a, *b);
}

}  // namespace

boost::json::object to_json(const latency_digest& d) {
  boost::json::object o;
  o["count"] = d.count;
  o["min"] = d.min;
  o["p50"] = d.p50;
  o["p90"] = d.p90;
  o["p99"] = d.p99;
  o["p999"] = d.p999;
  o["max"] = d.max;
  o["mean"] = d.mean;
  if (!d.hdr.empty()) o["hdr"] = d.hdr;
  return o;
}

namespace {

latency_digest digest_from_json(const boost::json::value& v, const std::string& where) {
  const auto& o = json::as_object(v, where);
  latency_digest d;
  d.count = json::get_count(o, "count", where);
  d.min = json::get_count(o, "min", where);
  d.p50 = json::get_count(o, "p50", where);
  d.p90 = json::get_count(o, "p90", where);
  d.p99 = json::get_count(o, "p99", where);
  d.p999 = json::get_count(o, "p999", where);
  d.max = json::get_count(o, "max", where);
  d.mean = json::get_number(o, "mean", where);
  d.hdr = json::get_optional_string(o, "hdr", where).value_or("");
  return d;
}

// Adds `row`'s latency histograms into `set`, naming the row in errors.
void merge_latency(latency_set& set, const second_row& row) {
  for (latency_kind k : all_latency_kinds) {
    const latency_digest& d = row[k];
    const std::string where =
        "second " + std::to_string(row.second) + " latency_us." + std::string(name(k));
    if (d.hdr.empty()) {
      if (d.count != 0) {
        throw input_error(where, "has " + std::to_string(d.count) +
                                     " samples but no histogram (hdr); cannot merge");
      }
      continue;
    }
    try {
      set[k].merge_encoded(d.hdr);
    } catch (const input_error& e) {
      throw e.within(where);
    }
  }
}

// Merges `from` into `to` as beacons of one second merge (see second_row).
void add_counters(second_row& to, const second_row& from) {
  to.add(from);
  for (const auto& g : count_gauge_fields) to.*(g.member) += from.*(g.member);
  for (const auto& c : cpu_gauge_fields) to.*(c.member) = max_of(to.*(c.member), from.*(c.member));
  for (const auto& [node, l] : from.node_load) to.node_load[node].merge(l);
}

}  // namespace

std::string_view name(latency_kind k) { return kind_names[static_cast<std::size_t>(k)]; }

std::optional<latency_kind> parse_latency_kind(std::string_view text) {
  for (latency_kind k : all_latency_kinds) {
    if (name(k) == text) return k;
  }
  return std::nullopt;
}

void latency_set::merge(const latency_set& other) {
  for (std::size_t i = 0; i < h_.size(); ++i) h_[i].merge(other.h_[i]);
}

void latency_set::reset() {
  for (auto& h : h_) h.reset();
}

latency_digest latency_digest::of(const latency_histogram& h, bool with_hdr) {
  latency_digest d;
  d.count = h.count();
  d.min = h.min();
  static constexpr std::array<double, 4> ps = {50, 90, 99, 99.9};
  std::array<std::int64_t, 4> at{};
  double mean = 0;
  h.percentiles(ps, at, &mean);  // one walk over the counts instead of five
  d.p50 = at[0];
  d.p90 = at[1];
  d.p99 = at[2];
  d.p999 = at[3];
  d.max = h.max();
  d.mean = json::rounded(mean, 1);
  if (with_hdr) d.hdr = h.encode();
  return d;
}

void second_row::add_node_load(const std::string& node, const node_load_row& load) {
  node_load[node].merge(load);
  node_cpu_percent = max_of(node_cpu_percent, load.cpu_percent);
}

void second_row::set_latency(const latency_set& window) {
  for (latency_kind k : all_latency_kinds) (*this)[k] = latency_digest::of(window[k]);
}

boost::json::object to_json(const second_row& row) {
  boost::json::object o;
  o["second"] = row.second;
  o["beacons"] = row.beacons;
  for (const auto& c : counter_fields) {
    o[c.key] = row.*(c.member);
    if (c.by_reason) {
      boost::json::object reasons;
      for (const auto& [reason, n] : row.rejected_by_reason) reasons[reason] = n;
      o["rejected_by_reason"] = std::move(reasons);
      o["rejected_by_side"] = sides_json(row.rejected_by_reason);
    }
  }
  for (const auto& g : count_gauge_fields) o[g.key] = row.*(g.member);
  for (const auto& c : cpu_gauge_fields) o[c.key] = optional_number(row.*(c.member));
  if (!row.node_load.empty()) o["node_load"] = node_load_to_json(row.node_load);
  boost::json::object latency;
  for (latency_kind k : all_latency_kinds) latency[name(k)] = to_json(row[k]);
  o["latency_us"] = std::move(latency);
  return o;
}

second_row row_from_json(const boost::json::value& v, const std::string& where) {
  const auto& o = json::as_object(v, where);
  second_row row;
  row.second = json::get_count(o, "second", where);
  row.beacons = json::get_count(o, "beacons", where);
  for (const auto& c : counter_fields) row.*(c.member) = json::get_count(o, c.key, where);
  const std::string reasons_where = json::member_path(where, "rejected_by_reason");
  for (const auto& m : json::as_object(json::get(o, "rejected_by_reason", where), reasons_where)) {
    const std::string key(m.key());
    row.rejected_by_reason[key] = json::as_count(m.value(), json::member_path(reasons_where, key));
  }
  for (const auto& g : count_gauge_fields) row.*(g.member) = json::get_count(o, g.key, where);
  for (const auto& c : cpu_gauge_fields) {
    row.*(c.member) = json::get_optional_number(o, c.key, where);
  }
  if (const auto* loads = o.if_contains("node_load"); loads && !loads->is_null()) {
    row.node_load = node_load_from_json(*loads, json::member_path(where, "node_load"));
  }
  const std::string latency_where = json::member_path(where, "latency_us");
  const auto& latency = json::as_object(json::get(o, "latency_us", where), latency_where);
  for (latency_kind k : all_latency_kinds) {
    row[k] = digest_from_json(json::get(latency, name(k), latency_where),
                              json::member_path(latency_where, name(k)));
  }
  return row;
}

void second_merger::add(const second_row& row) {
  merge_latency(histograms_, row);  // first: a bad row leaves the merger unchanged
  add_counters(merged_, row);
  merged_.beacons += row.beacons;
}

second_row second_merger::result() const {
  second_row r = merged_;
  r.set_latency(histograms_);
  return r;
}

const second_row* second_series::find(std::int64_t second) const {
  auto it = std::lower_bound(rows_.begin(), rows_.end(), second,
                             [](const second_row& r, std::int64_t s) { return r.second < s; });
  return it != rows_.end() && it->second == second ? &*it : nullptr;
}

void second_series::insert(second_row row) {
  auto it = std::lower_bound(rows_.begin(), rows_.end(), row.second,
                             [](const second_row& r, std::int64_t s) { return r.second < s; });
  if (it != rows_.end() && it->second == row.second) {
    throw input_error("second " + std::to_string(row.second) + " appears twice");
  }
  rows_.insert(it, std::move(row));
}

second_series second_series::merge(std::span<const second_series> beacons) {
  std::vector<std::int64_t> seconds;
  for (const auto& s : beacons) {
    for (const auto& r : s.rows_) seconds.push_back(r.second);
  }
  std::sort(seconds.begin(), seconds.end());
  seconds.erase(std::unique(seconds.begin(), seconds.end()), seconds.end());
  second_series out;
  out.rows_.reserve(seconds.size());
  for (std::int64_t second : seconds) {
    second_merger m(second);
    for (const auto& s : beacons) {
      if (const second_row* r = s.find(second)) m.add(*r);
    }
    out.rows_.push_back(m.result());
  }
  return out;
}

std::string second_series::to_jsonl() const {
  std::string out;
  for (const auto& r : rows_) {
    out += json::write(to_json(r));
    out += '\n';
  }
  return out;
}

second_series second_series::from_jsonl(std::string_view text, const std::string& where) {
  second_series s;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string line_where = where + ":" + std::to_string(line_no);
    second_row row = row_from_json(json::parse(line, line_where), line_where);
    if (s.find(row.second) != nullptr) {
      throw input_error(line_where, "second " + std::to_string(row.second) + " appears twice");
    }
    s.insert(std::move(row));
  }
  return s;
}

second_row totals(const second_series& series) {
  second_row t;
  t.beacons = 0;
  latency_set merged;
  for (const auto& r : series.rows()) {
    merge_latency(merged, r);
    add_counters(t, r);
    t.beacons = std::max(t.beacons, r.beacons);
  }
  if (!series.empty()) {
    t.second = series.rows().front().second;
    for (const auto& g : count_gauge_fields) t.*(g.member) = series.rows().back().*(g.member);
  }
  t.set_latency(merged);
  return t;
}

}  // namespace bts::stats
