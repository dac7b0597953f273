#include "devnet/devnet.hpp"

#include <fstream>
#include <iterator>
#include <sstream>

#include "devnet/metrics.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"

namespace bts::devnet {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(path.string(), "cannot read");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// --data-dir: the genesis the chain was started from is kept next to its block log; restarting
// with another genesis (or other genesis-changing flags) is refused rather than silently mixed.
std::string resolve_genesis(const devnet_options& options) {
  std::string text = options.genesis_text.empty() ? chain::builtin_genesis_json(options.builtin)
                                                  : options.genesis_text;
  if (!options.data_dir) return text;
  std::filesystem::create_directories(*options.data_dir);
  const auto path = *options.data_dir / "genesis.json";
  if (std::filesystem::exists(path)) {
    const std::string stored = read_file(path);
    if (stored != text) {
      throw input_error(
          "--data-dir " + options.data_dir->string(),
          "holds a chain started from another genesis (genesis.json differs from the one the "
          "flags select); use another directory or the same flags");
    }
    return stored;
  }
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw input_error(path.string(), "cannot write");
  return text;
}

}  // namespace

devnet::devnet(asio::any_io_executor executor, devnet_options options)
    : options_(std::move(options)) {
  network_options n;
  n.genesis_text = resolve_genesis(options_);
  n.nodes = options_.nodes;
  n.propagation_delay = options_.propagation_delay;
  n.node_delay = options_.node_delay;
  n.stalled_nodes = options_.stalled_nodes;
  n.p2p_max_message_size = options_.p2p_max_message_size;
  n.witness_keys = options_.witness_keys;
  n.witness_keys.push_back(crypto::private_key::from_wif(chain::dev_private_key_wif));
  if (options_.data_dir) n.block_log = *options_.data_dir / "blocks.log";
  n.database.block_history_bytes = options_.block_history_bytes;
  n.clock = options_.clock;
  net_ = network::create(executor, std::move(n));

  for (std::size_t i = 0; i < net_->size(); ++i) {
    auto a = std::make_shared<api>(net_, i);
    apis_.push_back(a);
    rpc::server_options so;
    so.host = options_.host;
    so.port = options_.port == 0 ? 0 : static_cast<std::uint16_t>(options_.port + i);
    // Sessions may outlive the server: they keep the api (and through it the network) alive.
    so.handler = [a](std::shared_ptr<rpc::session> s, rpc::rpc_request r) {
      return a->handle(std::move(s), std::move(r));
    };
    so.on_close = [a](rpc::session& s) { a->on_close(s); };
    std::weak_ptr<network> weak = net_;
    const std::size_t index = i;
    auto servers = &servers_;
    so.http = [weak, index, servers](const rpc::http_request_info& req) -> rpc::http_response {
      const auto path = req.target.substr(0, req.target.find('?'));
      if (req.method == "GET" && path == "/metrics") {
        auto net = weak.lock();
        if (!net) return {503, "text/plain; charset=utf-8", "shutting down\n", {}};
        const auto& server = *(*servers)[index];
        return {200,
                "text/plain; version=0.0.4; charset=utf-8",
                render_metrics(net->metrics(), index, server.counters().snapshot(),
                               server.session_count()),
                {}};
      }
      return {404, "text/plain; charset=utf-8", "not found\n", {}};
    };
    servers_.push_back(std::make_unique<rpc::server>(executor, std::move(so)));
  }
}

devnet::~devnet() { stop(); }

void devnet::start() { net_->start(); }

void devnet::stop() {
  net_->stop();
  for (auto& s : servers_) s->stop();
}

std::vector<std::uint16_t> devnet::ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& s : servers_) out.push_back(s->port());
  return out;
}

std::vector<std::string> devnet::endpoints() const {
  std::vector<std::string> out;
  for (const auto p : ports()) out.push_back("ws://" + options_.host + ":" + std::to_string(p));
  return out;
}

std::string devnet::banner() const {
  const auto urls = endpoints();
  std::ostringstream out;
  out << "devnet listening " << urls.front() << " chain_id " << to_hex(chain_id()) << " endpoints ";
  for (std::size_t i = 0; i < urls.size(); ++i) out << (i ? "," : "") << urls[i];
  out << " block_interval " << static_cast<unsigned>(net_->read(0, [](const auto& db) {
    return db.parameters().block_interval;
  }));
  return out.str();
}

}  // namespace bts::devnet
