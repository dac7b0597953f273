#include "beacon/run_result.hpp"

#include <boost/json.hpp>

#include <cmath>
#include <map>

namespace bts::beacon {

namespace json = boost::json;

namespace {

void chain_info(const run_parts& p, json::object& info) {
  info["beacon"] = p.options.name;
  info["chain_id"] = p.setup.chain_id_hex;
  info["node"] = p.options.sc.nodes.front().url;
  info["head_block_at_start"] = p.setup.head.head_block_number;
  info["chain_parameters"] = p.setup.raw_parameters;
  info["key_prefix"] = p.setup.key_prefix;
  json::array names;
  for (const auto& a : *p.setup.accounts) names.emplace_back(a.name);
  info["accounts"] = std::move(names);
}

void producer_info(const run_parts& p, json::object& info) {
  const auto fcnt = p.factory.counters();
  info["factory"] = {{"built", fcnt.built},
                     {"cancel_fallbacks", fcnt.cancel_fallbacks},
                     {"ops_dropped_for_size", fcnt.too_large},
                     {"id_collisions_retried", p.ids.collisions()}};
  info["pool"] = {{"depth", p.pool_options.depth},
                  {"signer_threads", p.pool_options.threads},
                  {"produced", p.pool.produced()},
                  {"expired", p.pool.expired()},
                  {"sign_errors", p.pool.sign_errors()},
                  {"misses", p.pool_misses},
                  {"prefilled", p.prefill.depth},
                  {"prefill_seconds", std::round(p.prefill.seconds * 100) / 100}};
}

void search_and_propagation(const run_parts& p, beacon_result& out) {
  if (p.search != nullptr) {
    out.notes.push_back(p.search->note());
    out.info["search"] = p.search->result_json(p.schedule_end, p.ended_at);
  }
  if (!p.propagation.empty()) {
    out.notes.push_back("block propagation: " +
                        std::string(p.propagation.at("summary").as_string()));
    out.info["propagation"] = p.propagation;
  }
}

// What the operator should know about the beacon's own limits and losses.
void beacon_notes(const run_parts& p, std::vector<std::string>& notes) {
  if (p.pool_misses > 0) {
    notes.push_back(std::to_string(p.pool_misses) +
                    " sends found no pre-signed transaction ready: the signers could not keep up "
                    "(a beacon bottleneck; raise presign_depth or signer_threads)");
  }
  for (auto& n : p.node_load.notes()) notes.push_back(std::move(n));
  if (!p.prefill.filled) {
    notes.push_back("the signers filled " + std::to_string(p.prefill.depth) + " of " +
                    std::to_string(p.pool_options.depth) + " pre-signed transactions in " +
                    std::to_string(static_cast<int>(p.prefill.seconds)) +
                    " s before the run started (signer_threads " +
                    std::to_string(p.pool_options.threads) + ")");
  }
  if (p.pool.expired() > 0) {
    notes.push_back(
        std::to_string(p.pool.expired()) +
        " pre-signed transactions expired unsent (expiration_seconds too short for the pool)");
  }
  if (p.output.full_waits() > 0) {
    notes.push_back("the send thread waited " + std::to_string(p.output.full_waits()) +
                    " times for the output thread (run directory or results store too slow)");
  }
  if (p.inclusion.blocks_missed() > 0) {
    notes.push_back(std::to_string(p.inclusion.blocks_missed()) +
                    " blocks could not be fetched: inclusion may be undercounted");
  }
}

// info["per_node"]: each node URL's transactions, answers included.
void per_node(const run_parts& p, beacon_result& out) {
  const auto& nodes = p.options.sc.nodes;
  const auto& tally = p.rec.per_node();
  out.node_tx = node_tx_of(nodes, p.connections, p.rec);
  std::map<std::string, node_tally> answers;
  for (std::size_t i = 0; i < nodes.size() && i < tally.size(); ++i) {
    answers[nodes[i].url].rejected += tally[i].rejected;
    answers[nodes[i].url].unanswered += tally[i].unanswered;
  }
  json::array rows;
  for (const auto& [url, c] : out.node_tx) {
    rows.push_back({{"url", url},
                    {"sent", c.sent},
                    {"accepted", c.accepted},
                    {"rejected", answers[url].rejected},
                    {"unanswered", answers[url].unanswered},
                    {"included", c.included}});
  }
  out.info["per_node"] = std::move(rows);
}

}  // namespace

std::map<std::string, stats::node_tx_counts> node_tx_of(
    const std::vector<scenarios::node_endpoint>& nodes, const broadcaster& connections,
    const run_recorder& rec) {
  std::map<std::string, stats::node_tx_counts> out;
  const auto& sent = connections.sent_per_node();
  const auto& tally = rec.per_node();
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    stats::node_tx_counts& c = out[nodes[i].url];
    if (i < sent.size()) c.sent += static_cast<std::int64_t>(sent[i]);
    if (i < tally.size()) {
      c.accepted += tally[i].accepted;
      c.included += tally[i].included;
    }
  }
  return out;
}

json::object per_node_note(const std::map<std::string, stats::node_tx_counts>& node_tx) {
  json::array rows;
  for (const auto& [url, c] : node_tx) {
    rows.push_back(
        {{"url", url}, {"sent", c.sent}, {"accepted", c.accepted}, {"included", c.included}});
  }
  return {{"per_node", std::move(rows)}};
}

beacon_result assemble_result(const run_parts& p) {
  beacon_result out;
  out.series = p.rec.series();
  out.cumulative = p.rec.cumulative();
  out.blocks = p.inclusion.blocks();
  out.duration_seconds = std::chrono::duration<double>(p.ended_at - p.started_at).count();
  out.interrupted = p.interrupted;
  chain_info(p, out.info);
  producer_info(p, out.info);
  out.info["connections"] = p.connections.connections_json();
  out.info["inclusion_watcher"] = p.inclusion.info_json();
  out.info["node_load"] = p.node_load.info_json();
  out.info["head_sampling"] = p.heads.info_json();
  per_node(p, out);
  out.info["output"] = {{"full_waits", p.output.full_waits()},
                        {"peak_depth", p.output.peak_depth()}};
  search_and_propagation(p, out);
  beacon_notes(p, out.notes);
  return out;
}

}  // namespace bts::beacon
