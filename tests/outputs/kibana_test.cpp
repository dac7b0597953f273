// deploy/kibana/bts-infra.ndjson: every line a saved object Kibana's _import accepts (id, type,
// attributes, references), every reference resolves inside the file, every field a
// visualization aggregates is mapped by the output's index template, and the index patterns
// match the indices the output writes.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "outputs/documents.hpp"

namespace bts::outputs {
namespace {

namespace json = boost::json;

std::vector<json::object> load() {
  std::ifstream f(std::string(BTS_SOURCE_DIR) + "/deploy/kibana/bts-infra.ndjson");
  EXPECT_TRUE(f.good());
  std::vector<json::object> out;
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    ++n;
    boost::system::error_code ec;
    json::value v = json::parse(line, ec);
    EXPECT_FALSE(ec) << "line " << n << " is not JSON";
    EXPECT_TRUE(v.is_object()) << "line " << n;
    if (!ec && v.is_object()) out.push_back(v.get_object());
  }
  return out;
}

// Is `path` (a.b.c) a mapped leaf field of the template's mappings?
bool mapped(const json::object& mappings, const std::string& path) {
  const json::object* props = &mappings.at("properties").as_object();
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? dot : dot - start);
    const json::value* field = props->if_contains(part);
    if (!field) return false;
    if (dot == std::string::npos) return field->as_object().contains("type");
    const json::value* sub = field->as_object().if_contains("properties");
    if (!sub) return false;
    props = &sub->as_object();
    start = dot + 1;
  }
}

std::string str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

TEST(Kibana, SavedObjectsAreImportableAndConsistent) {
  const auto objects = load();
  ASSERT_GE(objects.size(), 9u);
  elasticsearch_options o;  // the default prefix, bts-infra
  const auto templates = index_templates(o);
  const auto& stats_mappings = templates[0].body.at("template").at("mappings").as_object();

  std::map<std::string, std::string> type_of;
  for (const auto& obj : objects) {
    const std::string id = str(obj, "id");
    const std::string type = str(obj, "type");
    ASSERT_FALSE(id.empty());
    EXPECT_TRUE(type == "index-pattern" || type == "visualization" || type == "dashboard" ||
                type == "search")
        << type;
    EXPECT_TRUE(type_of.emplace(id, type).second) << "duplicate id " << id;
    ASSERT_TRUE(obj.contains("attributes")) << id;
    ASSERT_TRUE(obj.at("references").is_array()) << id;
    EXPECT_FALSE(str(obj.at("attributes").as_object(), "title").empty()) << id;
  }

  std::set<std::string> patterns;
  int dashboards = 0, visualizations = 0;
  std::set<std::string> node_fields;  // fields charted per node from node_load records
  std::set<std::string> on_dashboard;
  for (const auto& obj : objects) {
    const std::string id = str(obj, "id");
    const std::string type = str(obj, "type");
    const auto& attrs = obj.at("attributes").as_object();
    std::set<std::string> ref_names;
    for (const auto& r : obj.at("references").as_array()) {
      const auto& ro = r.as_object();
      const std::string target = str(ro, "id");
      ASSERT_TRUE(type_of.contains(target)) << id << " refers to missing " << target;
      EXPECT_EQ(type_of[target], str(ro, "type")) << id << " -> " << target;
      ref_names.insert(str(ro, "name"));
    }
    if (type == "index-pattern") {
      EXPECT_EQ(str(attrs, "timeFieldName"), "@timestamp");
      patterns.insert(str(attrs, "title"));
    }
    if (type == "visualization" || type == "search") {
      const auto source =
          json::parse(str(attrs.at("kibanaSavedObjectMeta").as_object(), "searchSourceJSON"))
              .as_object();
      EXPECT_TRUE(ref_names.contains(str(source, "indexRefName"))) << id;
    }
    if (type == "visualization") {
      ++visualizations;
      const auto vis = json::parse(str(attrs, "visState")).as_object();
      EXPECT_EQ(str(vis, "title"), str(attrs, "title"));
      bool has_time_axis = false;
      for (const auto& a : vis.at("aggs").as_array()) {
        const std::string field = str(a.at("params").as_object(), "field");
        EXPECT_TRUE(mapped(stats_mappings, field)) << id << ": field " << field << " not mapped";
        has_time_axis = has_time_axis || field == "@timestamp";
      }
      EXPECT_TRUE(has_time_axis) << id;
      // Per-node charts: node_load records only, split by node, never by a field named after
      // a node (node URLs are values, not fields).
      const std::string query =
          str(json::parse(str(attrs.at("kibanaSavedObjectMeta").as_object(), "searchSourceJSON"))
                  .at("query")
                  .as_object(),
              "query");
      if (query.find("node_load") != std::string::npos) {
        EXPECT_EQ(query, "record : \"node_load\"") << id;
        bool split_by_node = false;
        for (const auto& a : vis.at("aggs").as_array()) {
          const auto& ao = a.as_object();
          const std::string field = str(ao.at("params").as_object(), "field");
          if (str(ao, "schema") == "group") {
            split_by_node = str(ao, "type") == "terms" && field == "node";
          } else if (str(ao, "schema") == "metric") {
            node_fields.insert(field);
          }
        }
        EXPECT_TRUE(split_by_node) << id;
      }
    }
    if (type == "dashboard") {
      ++dashboards;
      const auto panels = json::parse(str(attrs, "panelsJSON")).as_array();
      EXPECT_EQ(panels.size(), obj.at("references").as_array().size());
      for (const auto& p : panels) {
        EXPECT_TRUE(ref_names.contains(str(p.as_object(), "panelRefName"))) << id;
      }
      for (const auto& r : obj.at("references").as_array())
        on_dashboard.insert(str(r.as_object(), "id"));
    }
  }
  EXPECT_EQ(dashboards, 1);
  EXPECT_GE(visualizations, 10);
  // Node CPU, memory, network rx/tx and disk read/write per node, all on the dashboard.
  EXPECT_EQ(node_fields, (std::set<std::string>{"cpu_percent", "memory_bytes", "net_rx_bytes_per_s",
                                                "net_tx_bytes_per_s", "disk_read_bytes_per_s",
                                                "disk_write_bytes_per_s"}));
  for (const auto& [id, type] : type_of) {
    if (type == "visualization" || type == "search") {
      EXPECT_TRUE(on_dashboard.contains(id)) << id << " is not on the dashboard";
    }
  }
  // The data views cover what the output writes with the default prefix.
  EXPECT_TRUE(patterns.contains(
      std::string(templates[0].body.at("index_patterns").as_array().at(0).as_string())));
  EXPECT_TRUE(patterns.contains(
      std::string(templates[1].body.at("index_patterns").as_array().at(0).as_string())));
}

}  // namespace
}  // namespace bts::outputs
