// `bts-infra devnet`: run a local BitShares node (see docs/devnet.md). Prints one line when it is
// ready, serves until SIGINT/SIGTERM, then exits 0.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <charconv>
#include <csignal>
#include <fstream>
#include <iterator>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "chain/config.hpp"
#include "chain/genesis.hpp"
#include "cli/command.hpp"
#include "crypto/keys.hpp"
#include "devnet/devnet.hpp"
#include "rpc/url.hpp"
#include "util/error.hpp"

namespace bts::cli {
namespace {

namespace asio = boost::asio;

struct devnet_flags {
  std::string listen = "127.0.0.1:8090";
  std::size_t nodes = 1;
  std::uint64_t propagation_delay_ms = 0;
  std::vector<std::string> node_delays;  // "I=MS"
  std::vector<std::size_t> stalled_nodes;
  unsigned block_interval = 1;
  std::uint32_t max_block_size = 2000000;
  std::uint32_t max_transaction_size = 2048;
  std::string genesis_file;
  bool print_genesis = false;
  std::vector<std::string> witness_keys;
  std::string data_dir;
  unsigned threads = 2;
  std::size_t block_history_mb = 512;
  std::size_t p2p_max_message_size = chain::config::p2p_max_message_size;
};

constexpr const char* footer = R"(
Accounts of the built-in genesis (bitshares-core's genesis-dev.json layout):
  1.2.0 committee-account, 1.2.1 witness-account, 1.2.2 relaxed-committee-account,
  1.2.3 null-account, 1.2.4 temp-account, 1.2.5 proxy-to-self (as bitshares-core creates them)
  1.2.6 .. 1.2.16  init0 .. init10: the 11 witnesses (1.6.1 .. 1.6.11) and committee members
  1.2.17 nathan: lifetime member; its key owns genesis balance 1.15.0, all 10,000,000,000 BTS
         (core asset 1.3.0, precision 5), claimed with balance_claim as on witness_node
         (`beacon provision --claim-genesis-balance` does it)
Every account above uses the development key (owner, active, memo and block signing):
  private key (WIF)  5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3   (= sha256("nathan"))
  public key         BTS6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5GDW5CV
The chain id is sha256 of the genesis JSON bytes; --print-genesis shows them. The first line on
stdout is "devnet listening <ws url> chain_id <hex> endpoints <url,...> block_interval <s>".
API: ws:// and HTTP POST JSON-RPC as witness_node (login, database, network_broadcast, history),
GET /metrics (Prometheus) on the same port. See docs/devnet.md for what differs from witness_node.
)";

// "I=MS": endpoint I (1 .. nodes-1) gets blocks and transactions MS ms later than the others.
std::pair<std::size_t, std::uint64_t> parse_node_delay(const std::string& text, std::size_t nodes) {
  const std::string where = "--node-delay-ms " + text;
  const auto eq = text.find('=');
  std::size_t index = 0;
  std::uint64_t ms = 0;
  const auto number = [](std::string_view digits, auto& out) {
    if (digits.empty()) return false;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    return ec == std::errc{} && end == digits.data() + digits.size();
  };
  if (eq == std::string::npos || !number(std::string_view(text).substr(0, eq), index) ||
      !number(std::string_view(text).substr(eq + 1), ms) || ms > 3'600'000) {
    throw input_error(where, "expected ENDPOINT=MILLISECONDS such as 2=6000 (at most 3600000 ms)");
  }
  if (index < 1 || index >= nodes) {
    throw input_error(where, "expected an endpoint index from 1 to " + std::to_string(nodes - 1) +
                                 " (endpoint 0 produces the blocks)");
  }
  return {index, ms};
}

int run_devnet(const devnet_flags& f, const CLI::App& app, io& s) {
  const bool genesis_flags = app.count("--block-interval") + app.count("--max-block-size") +
                                 app.count("--max-transaction-size") >
                             0;
  if (!f.genesis_file.empty() && genesis_flags) {
    throw input_error("--genesis",
                      "cannot be combined with --block-interval, --max-block-size or "
                      "--max-transaction-size: set initial_parameters in the file");
  }
  if (f.block_interval < 1 || f.block_interval > 30) {
    throw input_error("--block-interval", "must be between 1 and 30 seconds");
  }
  if (f.max_block_size < 5120) throw input_error("--max-block-size", "must be at least 5120 bytes");
  if (f.max_transaction_size < 1024)
    throw input_error("--max-transaction-size", "must be at least 1024 bytes");
  if (f.nodes < 1 || f.nodes > 64) throw input_error("--nodes", "must be between 1 and 64");
  if (f.threads < 1 || f.threads > 64) throw input_error("--threads", "must be between 1 and 64");

  devnet::devnet_options o;
  o.builtin.block_interval = static_cast<std::uint8_t>(f.block_interval);
  o.builtin.maximum_block_size = f.max_block_size;
  o.builtin.maximum_transaction_size = f.max_transaction_size;
  if (f.print_genesis) {
    s.out << chain::builtin_genesis_json(o.builtin);
    s.out.flush();
    return 0;
  }
  const auto [host, port] = rpc::parse_host_port(f.listen, "--listen");
  o.host = host;
  o.port = port;
  o.nodes = f.nodes;
  o.propagation_delay = std::chrono::milliseconds(f.propagation_delay_ms);
  for (const std::string& d : f.node_delays) {
    const auto [index, ms] = parse_node_delay(d, f.nodes);
    o.node_delay[index] = std::chrono::milliseconds(ms);
  }
  for (const std::size_t i : f.stalled_nodes) {
    if (i < 1 || i >= f.nodes) {
      throw input_error("--stall-node " + std::to_string(i),
                        "expected an endpoint index from 1 to " + std::to_string(f.nodes - 1) +
                            " (endpoint 0 produces the blocks)");
    }
    o.stalled_nodes.insert(i);
  }
  o.p2p_max_message_size = f.p2p_max_message_size;
  o.block_history_bytes = f.block_history_mb * 1024 * 1024;
  if (!f.genesis_file.empty()) {
    std::ifstream in(f.genesis_file, std::ios::binary);
    if (!in) throw input_error("--genesis " + f.genesis_file, "cannot read the file");
    o.genesis_text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    try {
      chain::parse_genesis(o.genesis_text, f.genesis_file);
    } catch (const input_error& e) {
      throw e.within("--genesis");
    }
  }
  for (const auto& wif : f.witness_keys) {
    try {
      o.witness_keys.push_back(crypto::private_key::from_wif(wif));
    } catch (const input_error& e) {
      throw e.within("--witness-key");
    }
  }
  if (!f.data_dir.empty()) o.data_dir = f.data_dir;

  asio::io_context io(static_cast<int>(f.threads));
  devnet::devnet node(io.get_executor(), std::move(o));
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    node.stop();
    io.stop();
  });
  node.start();
  s.out << node.banner() << std::endl;

  std::vector<std::thread> threads;
  for (unsigned i = 1; i < f.threads; ++i) threads.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : threads) t.join();
  s.err << "devnet: stopped at block "
        << node.net().read(0, [](const auto& db) { return db.head_block_num(); }) << "\n";
  return 0;
}

}  // namespace

command make_devnet_command() {
  return {
      "devnet", "Run a local BitShares node: witness_node's API, validation and block production",
      [](CLI::App& app) {
        auto f = std::make_shared<devnet_flags>();
        app.description(
            "Run a local BitShares (Graphene) node that speaks bitshares-core's websocket/HTTP "
            "JSON-RPC API and validates transactions as witness_node does, producing a block every "
            "block interval. Prints one line when ready; stops on SIGINT/SIGTERM.");
        app.footer(footer);
        app.add_option("--listen", f->listen,
                       "HOST:PORT of the first endpoint (port 0: ephemeral ports)")
            ->capture_default_str();
        app.add_option(
               "--nodes", f->nodes,
               "endpoints on consecutive ports over one chain, each with its own pending pool; "
               "endpoint 0 produces the blocks")
            ->capture_default_str();
        app.add_option("--propagation-delay-ms", f->propagation_delay_ms,
                       "delay before a transaction or block reaches the other endpoints")
            ->capture_default_str();
        app.add_option(
            "--node-delay-ms", f->node_delays,
            "ENDPOINT=MS: blocks and transactions reach endpoint ENDPOINT (1 or more) MS "
            "ms later than the others: a node that lags behind (repeatable)");
        app.add_option("--stall-node", f->stalled_nodes,
                       "endpoint (1 or more) that stops receiving blocks and transactions: a "
                       "stalled node that still answers (repeatable)");
        app.add_option("--block-interval", f->block_interval,
                       "seconds between blocks (built-in genesis)")
            ->capture_default_str();
        app.add_option("--max-block-size", f->max_block_size,
                       "maximum_block_size in bytes (built-in genesis)")
            ->capture_default_str();
        app.add_option("--max-transaction-size", f->max_transaction_size,
                       "maximum_transaction_size in bytes (built-in genesis)")
            ->capture_default_str();
        app.add_option("--p2p-max-message-size", f->p2p_max_message_size,
                       "blocks larger than this never reach the other endpoints (graphene "
                       "MAX_MESSAGE_SIZE)")
            ->capture_default_str();
        app.add_option("--genesis", f->genesis_file,
                       "a bitshares-core genesis JSON file instead of the built-in genesis");
        app.add_flag("--print-genesis", f->print_genesis,
                     "print the built-in genesis JSON (the bytes the "
                     "chain id hashes) and exit");
        app.add_option(
            "--witness-key", f->witness_keys,
            "WIF of a witness signing key (repeatable; the development key is always known)");
        app.add_option(
            "--data-dir", f->data_dir,
            "keep the chain across restarts: genesis.json and an append-only blocks.log here");
        app.add_option("--threads", f->threads, "threads serving the API")->capture_default_str();
        app.add_option("--block-history-mb", f->block_history_mb,
                       "megabytes of recent blocks kept in memory for get_block")
            ->capture_default_str();
        return [f, &app](io& s) -> int { return run_devnet(*f, app, s); };
      }};
}

}  // namespace bts::cli
