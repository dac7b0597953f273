#include "beacon/node_load_sampling.hpp"

#include <chrono>
#include <set>

#include "monitor/node_load_row.hpp"
#include "rpc/url.hpp"
#include "util/error.hpp"

namespace bts::beacon {

namespace json = boost::json;
using namespace std::chrono_literals;

void node_load_sampling::check(const std::vector<scenarios::node_endpoint>& nodes) {
  std::set<std::string> seen;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const scenarios::node_endpoint& n = nodes[i];
    if (!seen.insert(n.url).second) continue;
    if (n.node_load.empty()) {
      nodes_.push_back(default_source(n));
      continue;
    }
    node_source m;
    m.node = n.url;
    if (n.node_load == "none") {
      m.status = "off (node_load: none)";
    } else {
      const std::string where = "nodes[" + std::to_string(i) + "].node_load";
      monitor::load_source src = monitor::parse_load_source(n.node_load, where);
      try {
        monitor::check_load_source(src);
      } catch (const input_error& e) {
        throw input_error(where, src.to_string() + ": " + e.problem());
      }
      m.spec = src.to_string();
      m.source = std::move(src);
      m.status = "sampled";
    }
    nodes_.push_back(std::move(m));
  }
}

// The node's own /metrics, when it answers.
node_load_sampling::node_source node_load_sampling::default_source(
    const scenarios::node_endpoint& n) {
  node_source m;
  m.node = n.url;
  rpc::url u = rpc::parse_url(n.url);
  const std::string spec =
      std::string("metrics:") + (u.tls() ? "https://" : "http://") + u.host_header() + "/metrics";
  m.spec = spec;
  try {
    monitor::load_source src = monitor::parse_load_source(spec, "default node_load");
    monitor::check_load_source(src);
    m.source = std::move(src);
    m.status = "sampled (default: the node's /metrics)";
  } catch (const std::exception& e) {
    m.status = std::string("not measured: the node serves no process /metrics (") + e.what() +
               "); set node_load";
  }
  return m;
}

void node_load_sampling::start(boost::asio::any_io_executor executor) {
  for (auto& m : nodes_) {
    if (m.source) {
      m.sampler = std::make_unique<monitor::node_load_sampler>(executor, *m.source);
      m.sampler->start(1s);
    }
  }
}

void node_load_sampling::stop() {
  for (auto& m : nodes_) {
    if (m.sampler) m.sampler->stop();
  }
}

void node_load_sampling::fill(stats::second_row& row) const {
  const auto now = std::chrono::system_clock::now();
  for (const auto& m : nodes_) {
    if (!m.sampler) continue;
    const auto s = m.sampler->latest();
    if (!s || !s->ok() || now - s->at > 3s) continue;
    const stats::node_load_row r = monitor::to_row(s->load);
    if (!r.empty()) row.add_node_load(m.node, r);
  }
}

json::array node_load_sampling::info_json() const {
  json::array loads;
  for (const auto& m : nodes_) {
    json::object l{{"node", m.node}, {"source", m.spec}, {"status", m.status}};
    if (m.sampler) {
      const auto c = m.sampler->counters();
      l["readings"] = c.readings;
      l["errors"] = c.errors;
      if (!c.last_error.empty()) l["last_error"] = c.last_error;
    }
    loads.push_back(std::move(l));
  }
  return loads;
}

std::vector<std::string> node_load_sampling::notes() const {
  std::vector<std::string> out;
  for (const auto& m : nodes_) {
    if (!m.sampler && m.status.rfind("not measured", 0) == 0) {
      out.push_back("node CPU of " + m.node + " " + m.status);
    }
  }
  return out;
}

}  // namespace bts::beacon
