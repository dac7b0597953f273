// `bts-infra devnet`: a local BitShares node for tests and demos. Wires the chain network
// (network.hpp), one API server per endpoint (api.hpp over rpc::server, websocket and HTTP on
// one port, /metrics on the same port) and the optional --data-dir snapshot.
//
//   asio::io_context io;
//   devnet::devnet d(io.get_executor(), {.port = 0});
//   d.start();                   // produce a block every block_interval
//   std::cout << d.banner();     // "devnet listening ws://127.0.0.1:PORT chain_id ... endpoints
//   ..." io.run();
//
// Ownership: the devnet owns the network and the servers; stop() closes the servers and stops
// block production. The executor must outlive the devnet.
// Threads: members may be called from any thread; the executor may be run by several threads.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "chain/genesis.hpp"
#include "devnet/api.hpp"
#include "devnet/network.hpp"
#include "rpc/server.hpp"

namespace bts::devnet {

struct devnet_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8090;  // endpoint i listens on port + i; 0: an ephemeral port each
  std::size_t nodes = 1;
  std::chrono::milliseconds propagation_delay{0};
  // network_options::node_delay and stalled_nodes (endpoint indexes >= 1).
  std::map<std::size_t, std::chrono::milliseconds> node_delay;
  std::set<std::size_t> stalled_nodes;
  // The genesis JSON text (e.g. a --genesis file's bytes); empty: the built-in genesis.
  std::string genesis_text;
  chain::builtin_genesis_options builtin;
  // Keys the producer signs with, in addition to the development key.
  std::vector<crypto::private_key> witness_keys;
  std::optional<std::filesystem::path> data_dir;
  std::size_t p2p_max_message_size = chain::config::p2p_max_message_size;
  std::size_t block_history_bytes = 512u * 1024 * 1024;
  wall_clock clock;  // nullptr: the system clock
};

class devnet {
 public:
  // Builds the chain (replaying --data-dir) and binds every endpoint. Throws input_error for bad
  // options or genesis, boost::system::system_error when a port cannot be bound.
  devnet(asio::any_io_executor executor, devnet_options options);
  ~devnet();
  devnet(const devnet&) = delete;
  devnet& operator=(const devnet&) = delete;

  void start();
  // Stops block production and closes every endpoint. Idempotent.
  void stop();

  const chain::chain_id_type& chain_id() const { return net_->chain_id(); }
  std::vector<std::uint16_t> ports() const;
  std::vector<std::string> endpoints() const;  // ws://host:port per endpoint
  // One line for scripts: "devnet listening <ws url> chain_id <hex> endpoints <url,...>
  // block_interval <s>" (no newline).
  std::string banner() const;
  network& net() { return *net_; }

 private:
  devnet_options options_;
  std::shared_ptr<network> net_;
  std::vector<std::shared_ptr<api>> apis_;
  std::vector<std::unique_ptr<rpc::server>> servers_;
};

}  // namespace bts::devnet
