#include "beacon/propagation_watch.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

#include "beacon/block_reader.hpp"
#include "beacon/node_calls.hpp"
#include "beacon/number_text.hpp"

namespace bts::beacon {

namespace json = boost::json;

propagation_watch::propagation_watch(boost::asio::any_io_executor executor,
                                     std::chrono::milliseconds call_timeout,
                                     std::chrono::milliseconds connect_timeout)
    : executor_(std::move(executor)),
      call_timeout_(call_timeout),
      connect_timeout_(connect_timeout) {}

void propagation_watch::open(const std::vector<scenarios::node_endpoint>& nodes,
                             std::uint32_t head_block_number) {
  std::set<std::string> seen{nodes.front().url};
  for (const scenarios::node_endpoint& n : nodes) {
    if (!seen.insert(n.url).second) continue;
    auto p = std::make_unique<peer_blocks>();
    p->url = n.url;
    rpc::client_options wo;
    wo.url = n.url;
    wo.call_timeout = call_timeout_;
    wo.connect_timeout = connect_timeout_;
    p->client.emplace(executor_, wo);
    peer_blocks* raw = p.get();
    watch_blocks(*p->client, executor_,
                 [this, raw](const json::array& args) { on_notice(*raw, args); });
    p->last_block = head_block_number;
    p->client->start();
    peers_.push_back(std::move(p));
  }
}

void propagation_watch::close() {
  for (auto& p : peers_) p->client->close();
}

void propagation_watch::on_notice(peer_blocks& p, const json::array& args) {
  const std::optional<std::uint32_t> block = block_number_of_notice(args);
  if (!block) return;
  const std::uint32_t num = *block;
  std::uint32_t from = std::max(p.last_block + 1, num > 1000 ? num - 1000 : 1);
  if (num < from) from = num;
  for (std::uint32_t n = from; n <= num; ++n) {
    p.client->async_call("database", "get_block", {n}, [&p, n](rpc::call_result r) {
      if (!r.ok() || !r.value().is_object()) return;
      try {
        p.sizes[n] = read_block(r.value().as_object(), n).record.bytes;
      } catch (const std::exception&) {
      }
    });
  }
  p.last_block = std::max(p.last_block, num);
}

namespace {

// One node's row of the summary; adds to `missed_text` and clears `all` when it missed blocks.
struct node_rows {
  const std::map<std::uint32_t, std::int64_t>& primary;
  json::array nodes;
  bool all = true;
  std::string missed_text;

  void add(const std::string& url, const std::map<std::uint32_t, std::int64_t>& sizes) {
    json::object o{{"url", url}, {"blocks_seen", sizes.size()}};
    std::int64_t big = 0, big_num = 0;
    for (const auto& [num, bytes] : sizes) {
      if (bytes > big) big = bytes, big_num = num;
    }
    o["largest_block_bytes"] = big;
    o["largest_block_num"] = big_num;
    json::array missed;
    std::size_t count = 0;
    // The first node's last two blocks may still have been on their way to the others when
    // the watchers stopped: missed only when the node saw a later block.
    const std::uint32_t primary_last = primary.empty() ? 0 : primary.rbegin()->first;
    const std::uint32_t cutoff = std::max(sizes.empty() ? 0 : sizes.rbegin()->first,
                                          primary_last >= 2 ? primary_last - 2 : 0);
    std::int64_t worst = -1, worst_num = 0;
    for (const auto& [num, bytes] : primary) {
      if (num > cutoff || sizes.count(num) != 0) continue;
      ++count;
      if (missed.size() < 10) missed.push_back({{"block_num", num}, {"bytes", bytes}});
      if (bytes > worst) worst = bytes, worst_num = num;
    }
    o["missed"] = std::move(missed);
    o["missed_count"] = count;
    if (count > 0) {
      all = false;
      if (missed_text.size() < 600) {
        missed_text += (missed_text.empty() ? "" : "; ") + url + " missed " +
                       std::to_string(count) + " of " + std::to_string(primary.size()) +
                       " blocks, the largest #" + std::to_string(worst_num) + " (" +
                       grouped(static_cast<double>(worst)) + " bytes)";
      }
    }
    nodes.push_back(std::move(o));
  }
};

}  // namespace

json::object propagation_watch::summary(const std::vector<store::block_record>& first_blocks,
                                        const std::string& first_url,
                                        std::int64_t maximum_block_size) const {
  block_sizes primary;
  for (const auto& b : first_blocks) primary[static_cast<std::uint32_t>(b.block_num)] = b.bytes;
  std::int64_t largest = 0;
  for (const auto& [num, bytes] : primary) largest = std::max(largest, bytes);
  node_rows rows{primary, {}, true, {}};
  rows.add(first_url, primary);
  for (const auto& p : peers_) rows.add(p->url, p->sizes);
  json::object out;
  out["propagated"] = rows.all && !primary.empty();
  out["largest_block_bytes"] = largest;
  out["maximum_block_size"] = maximum_block_size;
  out["nodes"] = std::move(rows.nodes);
  const double pct =
      maximum_block_size > 0 ? 100.0 * static_cast<double>(largest) / maximum_block_size : 0;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", pct);
  const std::size_t k = peers_.size() + 1;
  std::string text;
  if (primary.empty())
    text = "no block seen on " + first_url + ": propagation not measured";
  else if (rows.all)
    text = "blocks up to " + grouped(static_cast<double>(largest)) + " bytes (" + buf +
           " of maximum_block_size) seen on all " + std::to_string(k) + " nodes";
  else
    text = "blocks up to " + grouped(static_cast<double>(largest)) + " bytes (" + buf +
           " of maximum_block_size) on " + first_url + ", but " + rows.missed_text;
  out["summary"] = text;
  return out;
}

}  // namespace bts::beacon
