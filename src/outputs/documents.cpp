#include "outputs/documents.hpp"

#include <cctype>
#include <cstdio>

#include "stats/counters.hpp"
#include "stats/json_io.hpp"
#include "stats/rejection.hpp"
#include "util/error.hpp"

namespace bts::outputs {

namespace json = boost::json;

void check_index_prefix(std::string_view prefix, const std::string& where) {
  if (prefix.empty() || prefix.size() > 100) {
    throw input_error(where, "index prefix must have 1 to 100 characters");
  }
  for (char c : prefix) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) {
      throw input_error(where, "index prefix \"" + std::string(prefix) +
                                   "\" may only use a-z 0-9 . _ - (Elasticsearch index names "
                                   "are lower case)");
    }
  }
  if (prefix[0] == '-' || prefix[0] == '_' || prefix[0] == '+' || prefix[0] == '.') {
    throw input_error(
        where, "index prefix \"" + std::string(prefix) + "\" must not start with - _ + or .");
  }
}

namespace {

// YYYY.MM.DD of a UTC time (days-from-civil inverse, H. Hinnant's algorithm).
std::string utc_day(store::unix_ms t) {
  std::int64_t days = (t >= 0 ? t : t - 86'399'999) / 86'400'000;
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t doe = days - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = yoe + era * 400;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld.%02lld.%02lld", static_cast<long long>(y),
                static_cast<long long>(m), static_cast<long long>(d));
  return buf;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string index_name(const elasticsearch_options& o, std::string_view kind, std::string_view run,
                       store::unix_ms time) {
  std::string name = o.prefix;
  name += '-';
  name += kind;
  name += '-';
  name += o.index == index_mode::daily ? utc_day(time) : lower(run);
  return name;
}

void append_record(std::string_view index, std::string_view id, const json::object& source,
                   std::string& out, std::size_t& records) {
  json::object meta;
  meta["_index"] = index;
  meta["_id"] = id;
  json::object action;
  action["index"] = std::move(meta);
  out += stats::json::write(action);
  out += '\n';
  // Shortest round-trip numbers ("12.5"), as in series.jsonl.
  out += stats::json::write(source);
  out += '\n';
  ++records;
}

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

json::value optional_time(const std::optional<store::unix_ms>& t) {
  if (!t) return nullptr;
  return json::string(store::format_unix_ms(*t));
}

}  // namespace

std::string stats_index(const elasticsearch_options& o, std::string_view run, store::unix_ms time) {
  return index_name(o, "stats", run, time);
}

std::string events_index(const elasticsearch_options& o, std::string_view run,
                         store::unix_ms time) {
  return index_name(o, "events", run, time);
}

std::string runs_index(const elasticsearch_options& o) { return o.prefix + "-runs"; }

void append_records(const stats_document& d, const elasticsearch_options& o, std::string& out,
                    std::size_t& records) {
  const std::string index = stats_index(o, d.run, d.time);
  const std::string timestamp = store::format_unix_ms(d.time);
  const std::string id = d.run + ":" + d.beacon + ":" + std::to_string(d.row.second);
  const char* scope = d.whole_run ? "run" : "beacon";

  json::object row = stats::to_json(d.row);
  if (!o.include_hdr) {
    if (auto* latency = row.if_contains("latency_us"); latency && latency->is_object()) {
      for (auto& kind : latency->get_object()) {
        if (kind.value().is_object()) kind.value().get_object().erase("hdr");
      }
    }
  }
  // The members every record of the stats index starts with.
  auto head = [&](const char* record, std::size_t more) {
    json::object r;
    r.reserve(more + 5);
    r["@timestamp"] = timestamp;
    r["run"] = d.run;
    r["beacon"] = d.beacon;
    r["scope"] = scope;
    r["record"] = record;
    return r;
  };
  json::object doc = head("second", row.size());
  for (auto& member : row) doc[member.key()] = std::move(member.value());
  append_record(index, id, doc, out, records);

  for (const auto& [reason, count] : d.row.rejected_by_reason) {
    json::object r = head("rejection", 6);
    r["second"] = d.row.second;
    r["reason"] = reason;
    const stats::rejection_parts parts = stats::split_rejection(reason);
    r["code"] = parts.code;
    r["kind"] = parts.kind;
    r["side"] = stats::to_string(stats::side_of(reason));
    r["count"] = count;
    append_record(index, id + ":" + reason, r, out, records);
  }

  // One record per measured node (its URL is a value, never a field name), after the
  // rejections. The members come from the row's JSON, so they are rounded as in series.jsonl.
  if (const json::value* loads = doc.if_contains("node_load"); loads && loads->is_array()) {
    for (const json::value& item : loads->get_array()) {
      if (!item.is_object()) continue;
      const json::object& load = item.get_object();
      const json::value* node = load.if_contains("node");
      if (!node || !node->is_string()) continue;
      json::object r = head("node_load", load.size() + 1);
      r["second"] = d.row.second;
      for (const auto& member : load) r[member.key()] = member.value();
      append_record(index, id + ":node:" + std::string(node->get_string()), r, out, records);
    }
  }
}

void append_records(const event_document& d, const elasticsearch_options& o, std::string& out,
                    std::size_t& records) {
  const store::event& e = d.event;
  json::object doc;
  doc["@timestamp"] = store::format_unix_ms(e.time);
  doc["run"] = d.run;
  doc["beacon"] = e.beacon;
  doc["kind"] = store::name(e.kind);
  doc["data"] = e.data;
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx",
                static_cast<unsigned long long>(fnv1a(json::serialize(e.data))));
  const std::string id = d.run + ":e:" + std::to_string(e.time) + ":" +
                         std::string(store::name(e.kind)) + ":" + e.beacon + ":" + hash;
  append_record(events_index(o, d.run, e.time), id, doc, out, records);
}

void append_records(const run_document& d, const elasticsearch_options& o, std::string& out,
                    std::size_t& records) {
  const store::run_info& r = d.info;
  json::object doc;
  doc["@timestamp"] = store::format_unix_ms(r.created_at);
  doc["run"] = r.id;
  doc["name"] = r.name;
  doc["status"] = store::name(r.status);
  doc["created_at"] = store::format_unix_ms(r.created_at);
  doc["started_at"] = optional_time(r.started_at);
  doc["ended_at"] = optional_time(r.ended_at);
  json::object scenario;
  scenario["name"] = r.scenario_name;
  scenario["text"] = r.scenario_text;
  doc["scenario"] = std::move(scenario);
  json::array beacons;
  for (const auto& b : d.beacons) beacons.push_back(store::to_json(b));
  doc["beacons"] = std::move(beacons);
  doc["manifest"] = r.manifest;
  append_record(runs_index(o), r.id, doc, out, records);
}

namespace {

json::object type(std::string_view t) { return {{"type", t}}; }

json::object stored_only_keyword() {
  return {{"type", "keyword"}, {"index", false}, {"doc_values", false}};
}

json::object template_body(const elasticsearch_options& o, std::string_view pattern,
                           json::object mappings) {
  json::object meta;
  meta["bts_infra"] = template_version;
  meta["description"] = "installed by bts-infra (docs/outputs.md)";
  mappings["_meta"] = meta;
  json::object settings;
  settings["number_of_shards"] = 1;
  json::object tmpl;
  tmpl["settings"] = std::move(settings);
  tmpl["mappings"] = std::move(mappings);
  json::object body;
  body["index_patterns"] = json::array{json::string(pattern)};
  // Above the built-in templates of Elasticsearch 8 (priority 100) so overlaps cannot win.
  body["priority"] = 200;
  body["version"] = template_version;
  body["_meta"] = std::move(meta);
  body["template"] = std::move(tmpl);
  (void)o;
  return body;
}

json::object stats_mappings() {
  json::object p;
  p["@timestamp"] = type("date");
  p["run"] = type("keyword");
  p["beacon"] = type("keyword");
  p["scope"] = type("keyword");
  p["record"] = type("keyword");
  p["second"] = type("long");
  p["beacons"] = type("long");
  for (const auto& c : stats::counter_fields) p[c.key] = type("long");
  for (const auto& g : stats::count_gauge_fields) p[g.key] = type("long");
  // Reason keys hold dots and spaces ("fc:10 now <= trx.expiration"), which Elasticsearch would
  // read as object paths: the map is kept in _source only; the "rejection" records index each
  // reason as values (reason, code, kind, side, count).
  p["rejected_by_reason"] = json::object{{"type", "object"}, {"enabled", false}};
  p["rejected_by_side"] = json::object{
      {"properties", json::object{{"beacon", type("long")}, {"network", type("long")}}}};
  for (const auto& c : stats::cpu_gauge_fields) p[c.key] = type("float");
  // In a "second" record node_load is kept as the row has it but not indexed (its objects are
  // keyed by node URLs); the "node_load" records carry each node's members as fields.
  p["node_load"] = json::object{{"type", "object"}, {"enabled", false}};
  p["node"] = type("keyword");
  for (const auto& f : stats::node_load_fields) p[f.key] = type(f.bytes ? "long" : "float");
  json::object digest;
  for (const char* f : {"count", "min", "p50", "p90", "p99", "p999", "max"})
    digest[f] = type("long");
  digest["mean"] = type("double");
  digest["hdr"] = stored_only_keyword();
  json::object kinds;
  for (stats::latency_kind k : stats::all_latency_kinds) {
    kinds[stats::name(k)] = json::object{{"properties", digest}};
  }
  p["latency_us"] = json::object{{"properties", std::move(kinds)}};
  p["reason"] = type("keyword");
  p["code"] = type("keyword");
  p["kind"] = type("keyword");
  p["side"] = type("keyword");
  p["count"] = type("long");

  json::object m;
  // Members a newer writer adds are kept in _source but not indexed until the template knows
  // them.
  m["dynamic"] = false;
  m["properties"] = std::move(p);
  return m;
}

json::object events_mappings() {
  json::object p;
  p["@timestamp"] = type("date");
  p["run"] = type("keyword");
  p["beacon"] = type("keyword");
  p["kind"] = type("keyword");
  // Free-form: stored, not indexed (its members change type from event to event).
  p["data"] = json::object{{"type", "object"}, {"enabled", false}};
  json::object m;
  m["dynamic"] = false;
  m["properties"] = std::move(p);
  return m;
}

json::object runs_mappings() {
  json::object p;
  p["@timestamp"] = type("date");
  p["run"] = type("keyword");
  p["name"] = type("keyword");
  p["status"] = type("keyword");
  p["created_at"] = type("date");
  p["started_at"] = type("date");
  p["ended_at"] = type("date");
  p["scenario"] = json::object{
      {"properties", json::object{{"name", type("keyword")},
                                  {"text", json::object{{"type", "text"}, {"index", false}}}}}};
  p["beacons"] = json::object{
      {"properties", json::object{{"name", type("keyword")},
                                  {"info", json::object{{"type", "object"}, {"enabled", false}}}}}};
  p["manifest"] = json::object{{"type", "object"}, {"enabled", false}};
  json::object m;
  m["dynamic"] = false;
  m["properties"] = std::move(p);
  return m;
}

}  // namespace

std::vector<index_template> index_templates(const elasticsearch_options& o) {
  std::vector<index_template> t;
  t.push_back({o.prefix + "-stats", template_body(o, o.prefix + "-stats-*", stats_mappings())});
  t.push_back({o.prefix + "-events", template_body(o, o.prefix + "-events-*", events_mappings())});
  t.push_back({o.prefix + "-runs", template_body(o, o.prefix + "-runs", runs_mappings())});
  return t;
}

mapping_update stats_mapping_update(const elasticsearch_options& o) {
  mapping_update u;
  u.path = "/" + o.prefix + "-stats-*/_mapping?allow_no_indices=true";
  u.body = index_templates(o)[0].body.at("template").at("mappings").as_object();
  return u;
}

bulk_reply parse_bulk_reply(std::string_view body, std::size_t records) {
  bulk_reply r;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return r;
  const json::object& o = v.get_object();
  const json::value* items = o.if_contains("items");
  if (!items || !items->is_array() || items->get_array().size() != records) return r;
  r.valid = true;
  r.items.reserve(records);
  for (const json::value& item : items->get_array()) {
    const json::object* op = nullptr;
    if (item.is_object() && !item.get_object().empty() &&
        item.get_object().begin()->value().is_object()) {
      op = &item.get_object().begin()->value().get_object();
    }
    std::int64_t status = 0;
    if (op) {
      if (const json::value* s = op->if_contains("status"); s && s->is_int64())
        status = s->as_int64();
    }
    if (status >= 200 && status < 300) {
      r.items.push_back(item_outcome::indexed);
      continue;
    }
    const bool retry = status == 429 || status >= 500 || status == 0;
    r.items.push_back(retry ? item_outcome::retry : item_outcome::rejected);
    std::string text = std::to_string(status);
    if (op) {
      if (const json::value* e = op->if_contains("error"); e && e->is_object()) {
        const json::object& eo = e->get_object();
        if (const json::value* t = eo.if_contains("type"); t && t->is_string()) {
          text += " " + std::string(t->get_string());
        }
        if (const json::value* why = eo.if_contains("reason"); why && why->is_string()) {
          text += ": " + std::string(why->get_string());
        }
      }
    }
    r.errors.push_back(std::move(text));
  }
  return r;
}

server_info parse_server_info(std::string_view body, const std::string& where) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  const json::object* version = nullptr;
  if (!ec && v.is_object()) {
    if (const json::value* ver = v.get_object().if_contains("version"); ver && ver->is_object()) {
      version = &ver->get_object();
    }
  }
  const json::value* number = version ? version->if_contains("number") : nullptr;
  if (!number || !number->is_string()) {
    throw input_error(where,
                      "GET / did not answer like Elasticsearch or OpenSearch (no "
                      "version.number); is this the cluster's URL?");
  }
  server_info info;
  info.version = std::string(number->get_string());
  info.distribution = "elasticsearch";
  if (const json::value* d = version->if_contains("distribution"); d && d->is_string()) {
    info.distribution = std::string(d->get_string());
  }
  if (std::sscanf(info.version.c_str(), "%d.%d", &info.major, &info.minor) != 2) {
    throw input_error(where, "cannot read the server version \"" + info.version + "\"");
  }
  if (info.distribution == "opensearch") {
    if (info.major < 1) throw input_error(where, "OpenSearch " + info.version + " is too old");
  } else if (info.major < 7 || (info.major == 7 && info.minor < 8)) {
    throw input_error(where, "Elasticsearch " + info.version +
                                 " has no composable index templates; version 7.8 or newer "
                                 "(or OpenSearch 1/2) is needed");
  }
  return info;
}

}  // namespace bts::outputs
